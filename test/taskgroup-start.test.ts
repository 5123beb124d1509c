/**
 * `tg.start()`: the value given to `started()`, errors before and after it, cancellation of the
 * caller. Ported from AnyIO's tests/test_taskgroups.py (each ported test names its original).
 * Programs with sleeps run under `autojump` (virtual time).
 */
import { Deferred, Effect, type Exit, Option } from "effect"
import {
  cancelScope,
  checkpoint,
  createTaskGroup,
  type Defect,
  InvalidArgumentError,
  makeCancelScope,
  moveOnAfter,
  RuntimeError,
  sleep,
  sleepForever,
  type TaskGroup,
  type TaskStatus,
  waitAllTasksBlocked
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"
import { describe, expect, it } from "./helpers.ts"
import { defectOf, failure, groupOf, HANG_TIMEOUT, runExit, shapeOf, tagsOf } from "./taskgroup-helpers.ts"

describe("start()", () => {
  // anyio: test_start_no_value
  it.effect("start() returns undefined when started() got no value", () =>
    Effect.gen(function* () {
      const value = yield* autojump(
        createTaskGroup((tg) => tg.start((status: TaskStatus) => status.started()))
      )
      expect(value).toEqual(Option.some(undefined))
    })
  )

  // anyio: test_start_with_value
  it.effect("start() returns the value given to started()", () =>
    Effect.gen(function* () {
      const value = yield* autojump(
        createTaskGroup((tg) =>
          tg.start(
            (prefix: string, status: TaskStatus<string>) =>
              Effect.andThen(status.started(`${prefix}foo`), sleep(1)),
            ">"
          )
        )
      )
      expect(value).toEqual(Option.some(">foo"))
    })
  )

  it.effect("start() returns as soon as started() is called; the task goes on in the group", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.start((status: TaskStatus) =>
              Effect.gen(function* () {
                yield* status.started()
                yield* sleep(1)
                events.push("task done")
              })
            )
            events.push("start returned")
          })
        )
      )
      expect(events).toEqual(["start returned", "task done"])
    })
  )

  // anyio: test_start_called_twice
  it.effect("calling started() twice dies with RuntimeError in the task", () =>
    Effect.gen(function* () {
      let second: Exit.Exit<void> | undefined
      const value = yield* autojump(
        createTaskGroup((tg) =>
          tg.start((status: TaskStatus) =>
            Effect.gen(function* () {
              yield* status.started()
              second = yield* Effect.exit(status.started())
            })
          )
        )
      )
      expect(value).toEqual(Option.some(undefined))
      const defect = defectOf(second!)
      expect(defect).toBeInstanceOf(RuntimeError)
      expect((defect as RuntimeError).message).toBe("called 'started' twice on the same task status")
    })
  )

  // anyio: test_no_called_started_twice. The caller of start() is cancelled (it begins in a group
  // that was cancelled) while the task calls started(): no error, nothing hangs.
  it.effect(
    "a cancelled start() whose task calls started() at once does not hang or fail",
    () =>
      Effect.gen(function* () {
        const exit = yield* runExit(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(tg.start((status: TaskStatus) => status.started()))
              yield* tg.cancel()
            })
          )
        )
        expect(tagsOf(exit)).toEqual(["Success"])
      }),
    HANG_TIMEOUT
  )

  it.effect(
    "a start() cancelled after its task called started() does not hang",
    () =>
      Effect.gen(function* () {
        const exit = yield* runExit(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                tg.start((status: TaskStatus) => Effect.andThen(status.started(), sleepForever()))
              )
              yield* tg.cancel()
            })
          )
        )
        expect(tagsOf(exit)).toEqual(["Success"])
      }),
    HANG_TIMEOUT
  )

  // AnyIO's methods are bound (test_cancel_shielding_start does `tg.start_soon(tg.start, taskfunc)`;
  // that does not type-check here since `start` is generic, but detaching a method does).
  it.effect("the group's methods work detached from the handle", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        createTaskGroup((tg) => {
          const { startSoon, start } = tg
          return Effect.andThen(
            startSoon(Effect.void),
            start((status: TaskStatus) => status.started())
          )
        })
      )
      expect(tagsOf(exit)).toEqual(["Success"])
    })
  )

  // anyio: test_start_crash_before_started_call
  it.effect("a failure before started() comes out of start() unwrapped and does not cancel the group", () =>
    Effect.gen(function* () {
      let saved: TaskGroup | undefined
      let siblingDone = false
      const error = yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            saved = tg
            yield* tg.startSoon(
              Effect.andThen(
                sleep(1),
                Effect.sync(() => (siblingDone = true))
              )
            )
            return yield* Effect.flip(tg.start((_status: TaskStatus) => Effect.fail(failure("foo"))))
          })
        )
      )
      expect(Option.getOrThrow(error)).toEqual(failure("foo"))
      expect(saved!.cancelScope.cancelCalled).toBe(false)
      expect(siblingDone).toBe(true)
    })
  )

  it.effect("a defect before started() comes out of start() as that defect", () =>
    Effect.gen(function* () {
      const exit = yield* autojump(
        createTaskGroup((tg) =>
          Effect.exit(tg.start((_status: TaskStatus) => Effect.die(new Error("kaput"))))
        )
      )
      expect((defectOf(Option.getOrThrow(exit)) as Error).message).toBe("kaput")
    })
  )

  // anyio: test_start_crash_after_started_call
  it.effect("a failure after started() goes to the group", () =>
    Effect.gen(function* () {
      let value: number | undefined
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            value = yield* tg.start((status: TaskStatus<number>) =>
              Effect.andThen(status.started(2), Effect.fail(failure("foo")))
            )
          })
        )
      )
      expect(shapeOf(groupOf(exit))).toEqual(["foo"])
      expect(value).toBe(2)
    })
  )

  // anyio: test_start_no_started_call
  it.effect("a task that returns without calling started() makes start() die with RuntimeError", () =>
    Effect.gen(function* () {
      const exit = yield* autojump(
        createTaskGroup((tg) => Effect.exit(tg.start((_status: TaskStatus) => Effect.void)))
      )
      const defect = defectOf(Option.getOrThrow(exit))
      expect(defect).toBeInstanceOf(RuntimeError)
      expect((defect as RuntimeError).message).toMatch(
        /the task ended without calling started\(\) on the TaskStatus/
      )
    })
  )

  // anyio: test_start_cancelled. Here the code after `tg.cancel()` never runs (difference 1), so
  // the caller of start() is a task that begins in the cancelled group: the task of start() still
  // begins and is cancelled at its first suspension.
  it.effect("start() from a cancelled caller runs the task up to its first suspension, then cancels it", () =>
    Effect.gen(function* () {
      let started = false
      let finished = false
      const taskfunc = (_status: TaskStatus) =>
        Effect.gen(function* () {
          started = true
          yield* sleep(2)
          finished = true
        })
      const value = yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(tg.start(taskfunc))
            yield* tg.cancel()
          })
        )
      )
      expect(Option.getOrUndefined(value)).toBeUndefined()
      expect(started).toBe(true)
      expect(finished).toBe(false)
    })
  )

  // Like test_start_cancels_parent_scope, with the caller cancelled (by a deadline) while it waits.
  it.effect("cancelling the caller of start() cancels the task, not the group", () =>
    Effect.gen(function* () {
      let started = false
      let saved: TaskGroup | undefined
      let siblingDone = false
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            saved = tg
            yield* tg.startSoon(
              Effect.andThen(
                sleep(2),
                Effect.sync(() => (siblingDone = true))
              )
            )
            return yield* moveOnAfter(
              1,
              tg.start((_status: TaskStatus) =>
                Effect.andThen(
                  Effect.sync(() => (started = true)),
                  sleepForever()
                )
              )
            )
          })
        )
      )
      expect(tagsOf(exit)).toEqual(["Success"])
      expect(
        Option.isNone(Option.getOrThrow((exit as Exit.Success<Option.Option<Option.Option<unknown>>>).value))
      ).toBe(true)
      expect(started).toBe(true)
      expect(saved!.cancelScope.cancelCalled).toBe(false)
      expect(siblingDone).toBe(true)
    })
  )

  // anyio: test_start_cancels_parent_scope (as written there: start() inside a scope cancelled first)
  it.effect("start() inside a cancelled scope starts the task, cancels it, and not the group", () =>
    Effect.gen(function* () {
      let started = false
      let saved: TaskGroup | undefined
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            saved = tg
            const inner = makeCancelScope()
            inner.cancelUnsafe()
            yield* cancelScope(
              inner,
              tg.start((_status: TaskStatus) =>
                Effect.andThen(
                  Effect.sync(() => (started = true)),
                  sleepForever()
                )
              )
            )
          })
        )
      )
      expect(tagsOf(exit)).toEqual(["Success"])
      expect(started).toBe(true)
      expect(saved!.cancelScope.cancelCalled).toBe(false)
    })
  )

  // anyio: test_start_exception_delivery
  it.effect(
    "start() with a function that does not return an Effect fails the group with InvalidArgumentError",
    () =>
      Effect.gen(function* () {
        const taskFn = ((status: TaskStatus<string>) => {
          void status.started("hello")
          return undefined
        }) as unknown as (status: TaskStatus<string>) => Effect.Effect<void>
        const exit = yield* runExit(createTaskGroup((tg) => tg.start(taskFn)))
        const eg = groupOf(exit)
        expect(eg.exceptions).toHaveLength(1)
        expect((eg.exceptions[0] as Defect).defect).toBeInstanceOf(InvalidArgumentError)
        expect(String(((eg.exceptions[0] as Defect).defect as InvalidArgumentError).message)).toMatch(
          /not an Effect/
        )
      })
  )

  // anyio: test_start_cancel_after_error
  it.effect("a failure in a nested group cancels a start() waiting in its body", () =>
    Effect.gen(function* () {
      let sleepCompleted = false
      const sleepOnly = (status: TaskStatus) =>
        Effect.gen(function* () {
          yield* sleep(1)
          sleepCompleted = true
          yield* status.started()
        })
      const exit = yield* runExit(
        createTaskGroup((outerTg) =>
          createTaskGroup((innerTg) =>
            Effect.gen(function* () {
              yield* innerTg.startSoon(Effect.andThen(waitAllTasksBlocked(), Effect.fail(failure("inner"))))
              yield* outerTg.start(sleepOnly)
            })
          )
        )
      )
      expect(shapeOf(groupOf(exit))).toEqual([["inner"]])
      expect(sleepCompleted).toBe(false)
    })
  )

  // anyio: test_cancel_shielding_start
  it.effect(
    "a shielded scope in a start() task holds off the cancellation of its caller",
    () =>
      Effect.gen(function* () {
        const events: Array<string> = []
        const exit = yield* runExit(
          Effect.gen(function* () {
            const resume = yield* Deferred.make<void>()
            const taskfunc = (_status: TaskStatus) =>
              Effect.gen(function* () {
                yield* cancelScope(
                  { shield: true },
                  Effect.andThen(
                    Deferred.await(resume),
                    Effect.sync(() => events.push("shielded part done"))
                  )
                )
                // AnyIO runs code up to the next checkpoint here; Effect stops at once (difference 1)
                yield* checkpoint()
                events.push("after checkpoint")
              })
            return yield* cancelScope({}, (outer) =>
              createTaskGroup((tg) =>
                Effect.gen(function* () {
                  yield* tg.startSoon(tg.start(taskfunc))
                  yield* waitAllTasksBlocked()
                  // AnyIO sets the event after cancel(), before the next checkpoint
                  yield* Effect.uninterruptible(
                    Effect.andThen(outer.cancel(), Deferred.succeed(resume, undefined))
                  )
                })
              )
            )
          })
        )
        expect(tagsOf(exit)).toEqual(["Success"])
        expect(events).toEqual(["shielded part done"])
      }),
    HANG_TIMEOUT
  )
})
