/**
 * Task handles and tracing (issue 6): `createTask` + `join` per task against `startSoon` + the
 * group's join, and spawning with `TaskTracing` on against off, measured in the same run.
 * Run: `node --expose-gc bench/handles.ts` (also part of `npm run bench`).
 */
import { Effect, Tracer } from "effect"
import { createTaskGroup, TaskTracing } from "../src/index.ts"
import { format, measure, type Result } from "./harness.ts"

const N = 50_000

// A tracer that keeps nothing: measures our cost of creating spans, not an exporter's.
const discard = Tracer.make({ span: (options) => new Tracer.NativeSpan(options) })

const spawnAll = (n: number) =>
  createTaskGroup((tg) =>
    Effect.gen(function* () {
      for (let i = 0; i < n; i++) yield* tg.startSoon(Effect.yieldNow)
    })
  )

export const run = (): Promise<Array<Result>> =>
  measure(
    [
      { name: "startSoon + group join", run: spawnAll },
      {
        name: "createTask + join each handle",
        reference: "startSoon + group join",
        run: (n) =>
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              const handles = []
              for (let i = 0; i < n; i++) handles.push(yield* tg.createTask(Effect.yieldNow))
              for (const h of handles) yield* h.join
            })
          )
      },
      {
        name: "startSoon, TaskTracing on (spans per task)",
        reference: "startSoon + group join",
        run: (n) =>
          spawnAll(n).pipe(
            Effect.provideService(TaskTracing, true),
            Effect.provideService(Tracer.Tracer, discard)
          )
      },
      {
        name: "startSoon, TaskTracing off, tracer installed",
        reference: "startSoon + group join",
        run: (n) => spawnAll(n).pipe(Effect.provideService(Tracer.Tracer, discard))
      }
    ],
    { n: N }
  )

if (import.meta.main) console.log(format(await run()))
