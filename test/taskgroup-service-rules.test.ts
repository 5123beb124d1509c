/**
 * The rules of a Scope-owned task group (createTaskGroupScoped) beyond the main path of
 * taskgroup-service.test.ts: shielded cleanup on close, a crash before `started()`, two failures
 * at once, a failure while the scope closes, an owner that already finished (a ManagedRuntime).
 */
import { Cause, Context, Data, Effect, Exit, Layer, Logger, ManagedRuntime } from "effect"
import { vi } from "vitest"
import {
  CurrentTaskGroup,
  cancelScope,
  createTaskGroupScoped,
  currentTime,
  Defect,
  type ExceptionGroup,
  isExceptionGroup,
  sleep,
  sleepForever,
  surfaceTaskGroupFailures,
  type TaskStatus,
  taskGroupLayer
} from "../src/index.ts"
import { describe, expect, it } from "./helpers.ts"

class Crash extends Data.TaggedError("Crash")<{ readonly id: number }> {}
class Workers extends Context.Service<Workers, { readonly n: number }>()("test/rules/Workers") {}
class Other extends Context.Service<Other, { readonly m: number }>()("test/rules/Other") {}

/** A worker that crashes 1 s after the layer is built; a sibling layer that takes 0.1 s to build. */
const WorkersLive = Layer.effect(Workers)(
  Effect.gen(function* () {
    const tg = yield* createTaskGroupScoped({ name: "workers" })
    yield* tg.startSoon(Effect.andThen(sleep(1), Effect.fail(new Crash({ id: 5 }))))
    return { n: 1 }
  })
)
const OtherLive = Layer.effect(Other)(Effect.andThen(sleep(0.1), Effect.succeed({ m: 2 })))

const groupOf = (exit: Exit.Exit<unknown, unknown>) => {
  expect(Exit.isFailure(exit)).toBe(true)
  const eg = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)
  expect(isExceptionGroup(eg)).toBe(true)
  return eg as ExceptionGroup<unknown>
}

describe("createTaskGroupScoped: AnyIO's rules for a Scope's lifetime", () => {
  it.autojump("closing the scope waits for a task's shielded cleanup, run once", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      yield* Effect.scoped(
        Effect.gen(function* () {
          const tg = yield* createTaskGroupScoped()
          yield* tg.startSoon(
            sleepForever().pipe(
              Effect.onInterrupt(() =>
                cancelScope({ shield: true }, () =>
                  Effect.andThen(
                    sleep(2),
                    Effect.sync(() => log.push("cleanup done"))
                  )
                )
              )
            )
          )
          yield* sleep(1)
        })
      )
      log.push(`closed at ${yield* currentTime()}`)
      expect(log).toEqual(["cleanup done", "closed at 3"])
    })
  )

  it.autojump("a crash before started() fails start() in the layer's construction (AnyIO's start)", () =>
    Effect.gen(function* () {
      const crashing = (status: TaskStatus<string>) =>
        Effect.andThen(sleep(1), Effect.fail(new Crash({ id: 1 }))).pipe(
          Effect.andThen(status.started("never"))
        )
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const tg = yield* createTaskGroupScoped()
            return yield* tg.start(crashing)
          })
        ).pipe(surfaceTaskGroupFailures)
      )
      expect(exit).toEqual(Exit.fail(new Crash({ id: 1 })))
    })
  )

  it.autojump("a crash and a sibling failing in its cancellation: one ExceptionGroup holding both", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const tg = yield* createTaskGroupScoped({ name: "pair" })
            yield* tg.startSoon({ name: "w1" }, Effect.andThen(sleep(1), Effect.fail(new Crash({ id: 1 }))))
            yield* tg.startSoon(
              { name: "w2" },
              sleepForever().pipe(Effect.onInterrupt(() => Effect.die(new Crash({ id: 2 }))))
            )
            yield* sleepForever()
          })
        ).pipe(surfaceTaskGroupFailures)
      )
      const eg = groupOf(exit)
      expect(
        eg.leaves().map((l) => (l.exception instanceof Defect ? l.exception.defect : l.exception))
      ).toEqual([new Crash({ id: 1 }), new Crash({ id: 2 })])
      expect(eg.origins.map((o) => o?.name)).toEqual(["w1", "w2"])
      expect(eg.groupName).toBe("pair")
    })
  )

  it.autojump("a task failing while the scope closes (in its cleanup) still reaches the program", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.scoped(
          Effect.gen(function* () {
            const tg = yield* createTaskGroupScoped()
            yield* tg.startSoon(
              sleepForever().pipe(
                Effect.onInterrupt(() => Effect.fail(new Crash({ id: 3 })).pipe(Effect.orDie))
              )
            )
            yield* sleep(1)
            return "body done"
          })
        ).pipe(surfaceTaskGroupFailures)
      )
      const eg = groupOf(exit)
      expect(eg.exceptions).toEqual([new Defect({ defect: new Crash({ id: 3 }) })])
    })
  )

  it.autojump(
    "Layer.mergeAll builds each layer in a fiber of its own: surfaceTaskGroupFailures still fails the program at once",
    () =>
      Effect.gen(function* () {
        const exit = yield* Effect.gen(function* () {
          yield* Workers
          yield* Other
          yield* sleep(100)
          return "finished normally"
        }).pipe(Effect.provide(Layer.mergeAll(WorkersLive, OtherLive)), surfaceTaskGroupFailures, Effect.exit)
        expect(yield* currentTime()).toBe(1)
        expect(groupOf(exit).exceptions).toEqual([new Crash({ id: 5 })])
      })
  )

  it.autojump(
    "Layer.mergeAll without surfaceTaskGroupFailures: the builder fiber is gone, so logged at once, raised at the end",
    () =>
      Effect.gen(function* () {
        const logged: Array<string> = []
        const logger = Logger.make(({ message }) => {
          logged.push(String(Array.isArray(message) ? message[0] : message))
        })
        const exit = yield* Effect.gen(function* () {
          yield* Workers
          yield* sleep(100)
          logged.push(`program ran to ${yield* currentTime()}`)
        }).pipe(
          Effect.provide(Layer.mergeAll(WorkersLive, OtherLive)),
          Effect.provide(Logger.layer([logger])),
          Effect.exit
        )
        expect(logged).toEqual([
          "a scoped task group failed after its owner finished",
          "program ran to 100.1"
        ])
        expect(groupOf(exit).exceptions).toEqual([new Crash({ id: 5 })])
      })
  )

  it("an owner that already finished (a ManagedRuntime's layer): the failure is logged at once, raised at dispose", async () => {
    const printed: Array<string> = []
    const spy = vi.spyOn(console, "log").mockImplementation((...args) => {
      printed.push(args.map(String).join(" "))
    })
    const errorSpy = vi.spyOn(console, "error").mockImplementation((...args) => {
      printed.push(args.map(String).join(" "))
    })
    try {
      const runtime = ManagedRuntime.make(taskGroupLayer({ name: "bg" }))
      await runtime.runPromise(
        Effect.gen(function* () {
          const tg = yield* CurrentTaskGroup
          yield* tg.startSoon(
            { name: "late" },
            Effect.andThen(sleep(0.01), Effect.fail(new Crash({ id: 4 })))
          )
        })
      )
      for (let i = 0; i < 100 && printed.length === 0; i++) await new Promise((r) => setTimeout(r, 10))
      const log = printed.join("\n")
      expect(log).toContain("a scoped task group failed after its owner finished")
      expect(log).toContain(
        "ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception in task group 'bg')"
      )
      expect(log).toContain("| in task 'late'")
      await expect(runtime.dispose()).rejects.toSatisfy(isExceptionGroup)
    } finally {
      spy.mockRestore()
      errorSpy.mockRestore()
    }
  })
})
