/**
 * Task groups and cancel scopes against raw Effect, measured in one run.
 * Run: `node --expose-gc bench/core.ts` (or `npm run bench`).
 */
import { Effect, Fiber } from "effect"
import { cancelScope, createTaskGroup, moveOnAfter } from "../src/index.ts"
import { type Case, format, measure, type Result } from "./harness.ts"

const N = 100_000

export const cases: ReadonlyArray<Case> = [
  {
    name: "raw forkChild + Fiber.join (trivial task)",
    run: (n) =>
      Effect.gen(function* () {
        const fibers: Array<Fiber.Fiber<void>> = new Array(n)
        for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(Effect.void)
        for (let i = 0; i < n; i++) yield* Fiber.join(fibers[i]!)
      })
  },
  {
    name: "startSoon + group join (trivial task)",
    reference: "raw forkChild + Fiber.join (trivial task)",
    run: (n) =>
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* tg.startSoon(Effect.void)
        })
      )
  },
  {
    name: "raw forkChild + Fiber.join (task yields once)",
    run: (n) =>
      Effect.gen(function* () {
        const fibers: Array<Fiber.Fiber<void>> = new Array(n)
        for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(Effect.yieldNow)
        for (let i = 0; i < n; i++) yield* Fiber.join(fibers[i]!)
      })
  },
  {
    name: "startSoon + group join (task yields once)",
    reference: "raw forkChild + Fiber.join (task yields once)",
    run: (n) =>
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* tg.startSoon(Effect.yieldNow)
        })
      )
  },
  {
    name: "Effect.timeoutOption(void, 10s)",
    run: (n) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* Effect.timeoutOption(Effect.void, "10 seconds")
      })
  },
  {
    name: "moveOnAfter(10, void)",
    reference: "Effect.timeoutOption(void, 10s)",
    run: (n) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* moveOnAfter(10, Effect.void)
      })
  },
  {
    name: "raw forkChild + Fiber.await",
    run: (n) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* Fiber.await(yield* Effect.forkChild(Effect.void))
      })
  },
  {
    name: "cancelScope({}, void)",
    reference: "raw forkChild + Fiber.await",
    run: (n) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* cancelScope({}, Effect.void)
      })
  }
]

export const run = (): Promise<Array<Result>> => measure(cases, { n: N })

if (import.meta.main) console.log(format(await run()))
