// autojump at scale (issue 20): the jump loop is iterative (a million consecutive jumps, no stack
// overflow, no lost wake-up) and the timer store is a heap (thousands of pending timers, no
// quadratic cost). The real time of each run is printed as jumps per second.
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createTaskGroup, currentTime, moveOnAfter, sleep } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"
import { settle, takeUncaught } from "./uncaught.ts"

const rate = (label: string, jumps: number, ms: number) =>
  console.log(`${label}: ${jumps} jumps in ${ms.toFixed(0)} ms = ${Math.round((jumps / ms) * 1000)} jumps/s`)

/** The day of test/reference/autojump_day.py, on autojump. */
const day = (seconds: number, timers: number) =>
  Effect.gen(function* () {
    const start = yield* currentTime()
    const r = { ticks: 0, inner: 0, outer: 0, wakes: 0, wakeSum: 0, end: 0 }
    const ticker = Effect.gen(function* () {
      for (let i = 0; i < seconds; i++) {
        yield* sleep(1)
        r.ticks++
      }
    })
    const nester = Effect.gen(function* () {
      while ((yield* currentTime()) - start < Math.max(seconds - 3600, 1)) {
        const outer = yield* moveOnAfter(
          3599.5,
          Effect.gen(function* () {
            for (;;) {
              const inner = yield* moveOnAfter(60, sleep(90))
              if (inner._tag === "None") r.inner++
              yield* sleep(30)
            }
          })
        )
        if (outer._tag === "None") r.outer++
      }
    })
    const periodic = (k: number) =>
      Effect.gen(function* () {
        const period = ((k % 97) + 1) * 127
        while ((yield* currentTime()) - start + period <= seconds) {
          yield* sleep(period)
          r.wakes++
          r.wakeSum += Math.trunc((yield* currentTime()) - start) % 1000
        }
      })
    yield* createTaskGroup((tg) =>
      Effect.gen(function* () {
        yield* tg.startSoon(ticker)
        yield* tg.startSoon(nester)
        for (let k = 0; k < timers; k++) yield* tg.startSoon(periodic(k))
      })
    )
    r.end = (yield* currentTime()) - start
    return r
  })

describe("autojump at scale", () => {
  it.effect(
    "a million consecutive jumps: a ticker, no stack overflow, no tick lost",
    () =>
      Effect.gen(function* () {
        const n = 1_000_000
        const t0 = performance.now()
        const { ticks, end } = yield* autojump(
          Effect.gen(function* () {
            let ticks = 0
            for (let i = 0; i < n; i++) {
              yield* sleep(1)
              ticks++
            }
            return { ticks, end: yield* currentTime() }
          })
        )
        rate("ticker", n, performance.now() - t0)
        expect(ticks).toBe(n)
        expect(end).toBe(n)
      }),
    120_000 // real time here is a few seconds; the margin is for a loaded machine
  )

  it.effect("the hour of issue 20: a 1 s ticker beside nested moveOnAfters", () =>
    Effect.gen(function* () {
      const r = yield* autojump(day(3600, 0))
      // python3 test/reference/autojump_day.py 3600 0 (AnyIO on trio's MockClock)
      expect(r).toEqual({ ticks: 3600, inner: 40, outer: 1, wakes: 0, wakeSum: 0, end: 3600 })
    })
  )

  it.effect(
    "a 24-hour day: a 1 s ticker, nested moveOnAfters and 2,000 periodic timers",
    () =>
      Effect.gen(function* () {
        const t0 = performance.now()
        const r = yield* autojump(day(86400, 2000))
        rate("day", r.ticks, performance.now() - t0)
        // python3 test/reference/autojump_day.py (AnyIO on trio's MockClock: the same figures)
        expect(r).toEqual({
          ticks: 86400,
          inner: 960,
          outer: 24,
          wakes: 72457,
          wakeSum: 34899040,
          end: 86400
        })
      }),
    120_000
  )

  it.effect("10,000 timers pending at once wake in time order (ties in the order they began)", () =>
    Effect.gen(function* () {
      const woke: Array<number> = []
      const n = 10_000
      // A permutation of 0..n-1 as delays (plus ties: every delay twice).
      const delay = (i: number) => ((i * 7919) % n) + 1
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            for (let i = 0; i < 2 * n; i++) {
              const d = delay(i % n)
              yield* tg.startSoon(
                Effect.andThen(
                  sleep(d),
                  Effect.sync(() => woke.push(i))
                )
              )
            }
          })
        )
      )
      expect(woke.length).toBe(2 * n)
      for (let j = 1; j < woke.length; j++) {
        const a = woke[j - 1]!
        const b = woke[j]!
        const da = delay(a % n)
        const db = delay(b % n)
        expect(da < db || (da === db && a < b)).toBe(true)
      }
    })
  )

  it.effect(
    "timers cancelled before they fire leave the store at once (a long-lived loop of timeouts)",
    () =>
      Effect.gen(function* () {
        // 50,000 scopes with a day-long deadline that finish after 1 s: with a store that kept
        // cancelled timers, or scanned them per jump, this would not finish in time.
        const t0 = performance.now()
        const n = 50_000
        const end = yield* autojump(
          Effect.gen(function* () {
            for (let i = 0; i < n; i++) yield* moveOnAfter(86400, sleep(1))
            return yield* currentTime()
          })
        )
        rate("timeouts", n, performance.now() - t0)
        expect(end).toBe(n)
      }),
    120_000 // real time here is a few seconds; the margin is for a loaded machine
  )

  it.effect("a task that throws out of the run queue is reported as uncaught; the world goes on", () =>
    Effect.gen(function* () {
      const end = yield* autojump(
        Effect.gen(function* () {
          yield* Effect.withFiber((fiber) =>
            Effect.sync(() =>
              fiber.currentDispatcher.scheduleTask(() => {
                throw new Error("task boom")
              }, 0)
            )
          )
          for (let i = 0; i < 10; i++) yield* sleep(1)
          return yield* currentTime()
        })
      )
      expect(end).toBe(10)
      yield* Effect.promise(settle)
      expect(takeUncaught().map((u) => (u.error as Error).message)).toEqual(["task boom"])
    })
  )
})
