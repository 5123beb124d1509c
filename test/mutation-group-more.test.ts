/**
 * Tests written to kill mutants of internal/group.ts (see test/MUTATION.md, group.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import {
  cancelScope,
  createTaskGroup,
  makeCancelScope,
  RuntimeError,
  sleep,
  sleepForever,
  type TaskGroup
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"
import { failure } from "./taskgroup-helpers.ts"

it.effect("a group entered in a cancelled task's cleanup cancels its body at its first suspension", () =>
  Effect.gen(function* () {
    // AnyIO: in a `finally` of a cancelled task the scope is still cancelled, so a task group
    // opened there sees its body cancelled at its first checkpoint (level-triggered). The host is
    // uninterruptible there (an Effect finalizer): only the group itself can cancel its body.
    const outer = makeCancelScope()
    yield* outer.cancel("before")
    let bodyCancelled = false
    const exit = yield* Effect.exit(
      autojump(
        cancelScope(
          outer,
          Effect.ensuring(
            sleepForever(),
            Effect.exit(
              createTaskGroup(() =>
                Effect.onInterrupt(Effect.never, () =>
                  Effect.sync(() => {
                    bodyCancelled = true
                  })
                )
              )
            )
          )
        )
      )
    )
    expect(bodyCancelled).toBe(true)
    expect(Exit.isSuccess(exit)).toBe(true)
  })
)

describe("an outer cancellation that reaches a group's host at its exit", () => {
  it.effect("leaving an empty group: lands at the host's next suspension, after the code that follows", () =>
    Effect.gen(function* () {
      // AnyIO: leaving an empty task group is a cancel-shielded checkpoint; a cancellation that
      // came meanwhile is raised at the next checkpoint, not at the group's exit.
      const outer = makeCancelScope()
      const seen: Array<string> = []
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.suspend(() => outer.cancel("meanwhile")))
            yield* cancelScope(
              outer,
              Effect.gen(function* () {
                yield* createTaskGroup(() => Effect.void)
                seen.push("after the group")
                yield* sleepForever()
                seen.push("after the sleep")
              })
            )
          })
        )
      )
      expect(seen).toEqual(["after the group"])
    })
  )

  it.effect("leaving a group that waited on its tasks: raised at the exit (a checkpoint)", () =>
    Effect.gen(function* () {
      // AnyIO: the exit of a task group that waited is a checkpoint; the scope being cancelled,
      // it raises there, even though the body itself had ended with a value.
      const outer = makeCancelScope()
      const seen: Array<string> = []
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.gen(function* () {
                yield* sleep(1)
                yield* outer.cancel("while waiting")
              })
            )
            yield* cancelScope(
              outer,
              Effect.gen(function* () {
                yield* createTaskGroup((inner) => inner.startSoon(sleepForever()))
                seen.push("after the group")
              })
            )
          })
        )
      )
      expect(seen).toEqual([])
    })
  )
})

it.effect("a group whose host was interrupted from outside is closed: no new task can start", () =>
  autojump(
    Effect.gen(function* () {
      let group: TaskGroup | undefined
      const host = yield* Effect.forkChild(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            group = tg
            yield* tg.startSoon(sleepForever())
          })
        )
      )
      yield* sleep(1)
      yield* Fiber.interrupt(host)
      // Outside its group the handle's `Spawned` capability has no provider: erase it for this check.
      const exit = yield* Effect.exit(group!.startSoon(sleepForever()) as Effect.Effect<unknown>)
      expect(Exit.isFailure(exit)).toBe(true)
      const reason = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      const defect = reason?._tag === "Die" ? reason.defect : undefined
      expect(defect).toBeInstanceOf(RuntimeError)
      expect((defect as RuntimeError).message).toBe(
        "This task group is not active; no new tasks can be started."
      )
    })
  )
)

it.effect(
  "a task failing while an outer cancellation is delivered still cancels the group, after the delivery",
  () =>
    Effect.gen(function* () {
      // AnyIO: a task's failure always cancels its group's scope (`cancel_called`), here once every
      // task got the outer cancellation (see mutation-group-deferred.test.ts for the tasks' reasons).
      const outer = makeCancelScope()
      let group: TaskGroup | undefined
      const failAtCancel = Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Effect.exit(restore(sleepForever())), () => Effect.fail(failure("A")))
      )
      const exit = yield* Effect.exit(
        autojump(
          cancelScope(
            outer,
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                group = tg
                yield* tg.startSoon(sleepForever(), { name: "before" })
                yield* tg.startSoon(failAtCancel, { name: "A" })
                yield* tg.startSoon(sleepForever(), { name: "B" })
                yield* sleep(1)
                yield* outer.cancel("outer")
              })
            )
          )
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(group!.cancelScope.cancelCalled).toBe(true)
      expect(group!.cancelScope.cancelReason?._tag).toBe("TaskFailed")
    })
)
