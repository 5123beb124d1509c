/**
 * Task groups owned by a Scope or a Layer (createTaskGroupScoped, taskGroupLayer, CurrentTaskGroup):
 * a worker's failure reaches the program that owns the scope, promptly and exactly once.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Data, Deferred, Effect, Exit, Layer } from "effect"
import {
  CurrentTaskGroup,
  createTaskGroupScoped,
  currentTime,
  isExceptionGroup,
  sleep,
  sleepForever,
  surfaceTaskGroupFailures,
  type TaskStatus,
  taskGroupLayer
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

class Crash extends Data.TaggedError("Crash")<{ readonly id: number }> {}

class Workers extends Context.Service<Workers, { readonly ready: ReadonlyArray<string> }>()("test/Workers") {}

const worker = (id: number, crashAfter: number | undefined, log: Array<string>, status: TaskStatus<string>) =>
  Effect.gen(function* () {
    yield* status.started(`worker ${id} up`)
    if (crashAfter === undefined) return yield* sleepForever()
    yield* sleep(crashAfter)
    return yield* Effect.fail(new Crash({ id }))
  }).pipe(Effect.ensuring(Effect.sync(() => log.push(`worker ${id} finalized`))))

const WorkersLive = (log: Array<string>, crashAfter?: number) =>
  Layer.effect(Workers)(
    Effect.gen(function* () {
      const tg = yield* createTaskGroupScoped({ name: "workers" })
      const a = yield* tg.start(worker, 1, crashAfter, log)
      const b = yield* tg.start(worker, 2, undefined, log)
      return { ready: [a, b] }
    })
  )

describe("createTaskGroupScoped / taskGroupLayer", () => {
  it.effect("start() readiness during layer construction; every task cancelled when the layer closes", () =>
    autojump(
      Effect.gen(function* () {
        const log: Array<string> = []
        const ready = yield* Effect.gen(function* () {
          const w = yield* Workers
          yield* sleep(10)
          return w.ready
        }).pipe(Effect.provide(WorkersLive(log)))
        expect(ready).toEqual(["worker 1 up", "worker 2 up"])
        expect(log.sort()).toEqual(["worker 1 finalized", "worker 2 finalized"])
      })
    )
  )

  it.effect(
    "a worker's crash cancels its siblings and fails the owning program with the ExceptionGroup, promptly",
    () =>
      autojump(
        Effect.gen(function* () {
          const log: Array<string> = []
          const start = yield* currentTime()
          const exit = yield* Effect.gen(function* () {
            yield* Workers
            yield* sleep(3600) // the program would run for an hour; the crash at 1 s ends it
            log.push("program finished normally")
          }).pipe(Effect.provide(WorkersLive(log, 1)), surfaceTaskGroupFailures, Effect.exit)
          expect((yield* currentTime()) - start).toBe(1)
          expect(exit._tag).toBe("Failure")
          if (Exit.isSuccess(exit)) return
          // exactly one reason: the ExceptionGroup, as a typed failure
          expect(exit.cause.reasons).toHaveLength(1)
          const eg = Cause.squash(exit.cause)
          expect(isExceptionGroup(eg)).toBe(true)
          if (!isExceptionGroup(eg)) return
          expect(eg.exceptions).toEqual([new Crash({ id: 1 })])
          expect(log.sort()).toEqual(["worker 1 finalized", "worker 2 finalized"])
        })
      )
  )

  it("without surfaceTaskGroupFailures: the program's exit holds the interruption and the ExceptionGroup", async () => {
    const log: Array<string> = []
    const program = Effect.gen(function* () {
      yield* Workers
      yield* sleep(3600)
    }).pipe(Effect.provide(WorkersLive(log, 0.01)))
    const exit = await Effect.runPromiseExit(program)
    expect(exit._tag).toBe("Failure")
    if (Exit.isSuccess(exit)) return
    const dies = exit.cause.reasons.filter((r) => r._tag === "Die")
    expect(dies).toHaveLength(1)
    expect(isExceptionGroup(Cause.squash(exit.cause))).toBe(true)
    await expect(Effect.runPromise(program)).rejects.toSatisfy(isExceptionGroup)
  })

  it.effect("surfaceTaskGroupFailures turns it into a typed failure", () =>
    autojump(
      Effect.gen(function* () {
        const result = yield* Effect.scoped(
          Effect.gen(function* () {
            const tg = yield* createTaskGroupScoped()
            yield* tg.startSoon(Effect.andThen(sleep(1), Effect.fail(new Crash({ id: 7 }))))
            yield* sleepForever()
          })
        ).pipe(
          surfaceTaskGroupFailures,
          Effect.catchTag("ExceptionGroup", (eg) => Effect.succeed(eg.exceptions))
        )
        expect(result).toEqual([new Crash({ id: 7 })])
      })
    )
  )

  it.effect("a defect of the program's own stays a defect", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.scoped(
        Effect.gen(function* () {
          yield* createTaskGroupScoped()
          return yield* Effect.die("own defect")
        })
      ).pipe(surfaceTaskGroupFailures, Effect.exit)
      expect(exit).toEqual(Exit.die("own defect"))
    })
  )

  it.effect("CurrentTaskGroup reaches the group from deep code", () =>
    autojump(
      Effect.gen(function* () {
        const done = yield* Deferred.make<number>()
        const deep = Effect.gen(function* () {
          const tg = yield* CurrentTaskGroup
          yield* tg.startSoon(Effect.andThen(sleep(1), Deferred.succeed(done, 42)))
        })
        const value = yield* Effect.andThen(deep, Deferred.await(done)).pipe(Effect.provide(taskGroupLayer()))
        expect(value).toBe(42)
      })
    )
  )

  it.effect("tasks still running when the scope closes are cancelled with their finalizers run once", () =>
    autojump(
      Effect.gen(function* () {
        let finalized = 0
        yield* Effect.scoped(
          Effect.gen(function* () {
            const tg = yield* createTaskGroupScoped()
            for (let i = 0; i < 3; i++) {
              yield* tg.startSoon(sleepForever().pipe(Effect.ensuring(Effect.sync(() => finalized++))))
            }
            yield* sleep(1)
          })
        )
        expect(finalized).toBe(3)
      })
    )
  )
})
