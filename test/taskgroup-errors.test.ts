/**
 * Task group errors: exception groups, which failure cancels what, nested groups. Ported from
 * AnyIO's tests/test_taskgroups.py (each ported test names its original). Programs with sleeps run
 * under `autojump` (virtual time).
 */
import { Cause, Effect, Exit, Option } from "effect"
import {
  cancelScope,
  checkpoint,
  createTaskGroup,
  Defect,
  ExceptionGroup,
  moveOnAfter,
  sleep,
  sleepForever,
  waitAllTasksBlocked
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"
import { describe, expect, it } from "./helpers.ts"
import { type Failure, failFinally, failure, groupOf, runExit, shapeOf, tagsOf } from "./taskgroup-helpers.ts"

describe("task group errors", () => {
  // anyio: test_host_exception
  it.effect("a failing body cancels the tasks and fails the group with a one-member group", () =>
    Effect.gen(function* () {
      let result: string | undefined
      const setResult = (value: string) =>
        Effect.andThen(
          sleep(3),
          Effect.sync(() => (result = value))
        )
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(setResult, "a")
            return yield* Effect.fail(failure("dummy error"))
          })
        )
      )
      expect(shapeOf(groupOf(exit))).toEqual(["dummy error"])
      expect(result).toBeUndefined()
    })
  )

  // anyio: test_failing_child_task_cancels_host
  it.effect("a failing task cancels the body", () =>
    Effect.gen(function* () {
      let sleepCompleted = false
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.andThen(waitAllTasksBlocked(), Effect.fail(failure("foo"))))
            yield* sleep(0.5)
            sleepCompleted = true
          })
        )
      )
      expect(shapeOf(groupOf(exit))).toEqual(["foo"])
      expect(sleepCompleted).toBe(false)
    })
  )

  // anyio: test_failing_host_task_cancels_children
  it.effect("a failing body cancels a sleeping task", () =>
    Effect.gen(function* () {
      let sleepCompleted = false
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.andThen(
                sleep(1),
                Effect.sync(() => (sleepCompleted = true))
              )
            )
            yield* waitAllTasksBlocked()
            return yield* Effect.fail(failure("foo"))
          })
        )
      )
      expect(shapeOf(groupOf(exit))).toEqual(["foo"])
      expect(sleepCompleted).toBe(false)
    })
  )

  // anyio: test_exception_group_children
  it.effect("two failing tasks give a group of both", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(failFinally("task1", 0.1))
            yield* tg.startSoon(failFinally("task2", 0.15))
          })
        )
      )
      expect(shapeOf(groupOf(exit))).toEqual(["task1", "task2"])
    })
  )

  // anyio: test_exception_group_host
  it.effect("a failing task and a failing body give a group of both", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(failFinally("child", 2))
            yield* waitAllTasksBlocked()
            return yield* Effect.fail(failure("host"))
          })
        )
      )
      expect([...shapeOf(groupOf(exit))].sort()).toEqual(["child", "host"])
    })
  )

  // anyio: test_exception_cancels_siblings
  it.effect("a failing task cancels its sleeping siblings", () =>
    Effect.gen(function* () {
      let sleepCompleted = false
      const child = (fail: boolean) =>
        fail
          ? Effect.fail(failure("foo"))
          : Effect.andThen(
              sleep(1),
              Effect.sync(() => (sleepCompleted = true))
            )
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(child, false)
            yield* waitAllTasksBlocked()
            yield* tg.startSoon(child, true)
          })
        )
      )
      expect(shapeOf(groupOf(exit))).toEqual(["foo"])
      expect(sleepCompleted).toBe(false)
    })
  )

  // anyio: test_nested_task_group_filtering
  it.effect("a nested group's ExceptionGroup is a nested member, without cancellations", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(failFinally("parent task failed", 0.1))
            yield* createTaskGroup((tg2) =>
              Effect.gen(function* () {
                yield* tg2.startSoon(failFinally("child task failed", 0.1))
                yield* sleep(1)
              })
            )
          })
        )
      )
      const eg = groupOf(exit)
      expect(shapeOf(eg)).toEqual(["parent task failed", ["child task failed"]])
      expect(eg.exceptions[1]).toBeInstanceOf(ExceptionGroup)
    })
  )

  // anyio: test_exception_group_filtering. Effect's Cause is the group here: a scope whose body
  // ends with a failure and its own cancellation lets the failure out, alone.
  it.effect("a cancelled scope strips its own cancellation from a failure next to it", () =>
    Effect.gen(function* () {
      const bodyError = failure("body")
      const exit = yield* runExit(
        cancelScope({}, (cs) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.gen(function* () {
              yield* cs.cancel()
              const cancelled = yield* Effect.exit(restore(checkpoint()))
              expect(tagsOf(cancelled)).toEqual(["Interrupt"])
              return yield* Effect.failCause(
                Cause.fromReasons([
                  Cause.makeFailReason(bodyError),
                  ...(cancelled as Exit.Failure<void, never>).cause.reasons
                ])
              )
            })
          )
        )
      )
      expect(tagsOf(exit)).toEqual(["Fail"])
      expect((exit as Exit.Failure<unknown, Failure>).cause.reasons[0]).toMatchObject({ error: bodyError })
    })
  )

  // anyio: test_nested_exception_group_filtering
  it.effect("a task group in a cancelled scope fails with a group of the real failures only", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        cancelScope({}, (cs) =>
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(failFinally("body", 10))
              yield* tg.startSoon(sleepForever())
              yield* waitAllTasksBlocked()
              yield* cs.cancel()
            })
          )
        )
      )
      const eg = groupOf(exit)
      expect(shapeOf(eg)).toEqual(["body"])
    })
  )

  // anyio: test_reraise_cancelled_in_excgroup
  it.effect("a scope catches its own cancellation re-raised by its body", () =>
    Effect.gen(function* () {
      const r = yield* autojump(
        cancelScope({}, (scope) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.gen(function* () {
              yield* scope.cancel()
              const exit = yield* Effect.exit(restore(sleepForever()))
              if (Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
            })
          )
        )
      )
      expect(Option.isNone(r)).toBe(true)
    })
  )

  // anyio: test_single_cancellation_exc
  it.effect("a group cancelled by an outer scope lets out one plain cancellation", () =>
    Effect.gen(function* () {
      let groupExit: Exit.Exit<unknown, unknown> | undefined
      const r = yield* autojump(
        cancelScope({}, (outer) =>
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(sleep(5))
              yield* waitAllTasksBlocked()
              yield* outer.cancel()
              yield* sleep(5)
            })
          ).pipe(Effect.onExit((exit) => Effect.sync(() => (groupExit = exit))))
        )
      )
      expect(Option.isNone(r)).toBe(true)
      expect(
        groupExit !== undefined && Exit.isFailure(groupExit) && Cause.hasInterruptsOnly(groupExit.cause)
      ).toBe(true)
    })
  )

  // anyio: test_escaping_cancelled_exception
  it.effect("a group that cancels itself exits quietly", () =>
    Effect.gen(function* () {
      const value = yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.cancel()
            yield* checkpoint()
            return 1
          })
        )
      )
      expect(value).toEqual(Option.none())
    })
  )

  // anyio: test_escaping_cancelled_error_from_cancelled_task
  it.effect("no cancellation escapes a scope cancelled after an inner scope timed out", () =>
    Effect.gen(function* () {
      let inner: Option.Option<void> | undefined
      const exit = yield* runExit(
        cancelScope({}, (scope) =>
          Effect.gen(function* () {
            inner = yield* moveOnAfter(0.1, sleep(1))
            yield* scope.cancel()
          })
        )
      )
      expect(tagsOf(exit)).toEqual(["Success"])
      expect(Option.isNone(inner!)).toBe(true)
    })
  )

  // anyio: test_cancel_completed_task
  it.effect("cancelling a group right after starting a task that does nothing reports nothing", () =>
    Effect.gen(function* () {
      let ran = false
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.sync(() => (ran = true)))
            yield* tg.cancel()
          })
        )
      )
      expect(tagsOf(exit)).toEqual(["Success"])
      // A task begun in a cancelled group runs up to its first suspension (difference 4).
      expect(ran).toBe(true)
    })
  )

  // A task begun in a cancelled group runs up to its first suspension (difference 4), so its
  // failures before that are reported; opening a nested group is not a suspension in AnyIO either.
  it.effect("a task begun in a cancelled group reports a failure raised in a nested group's body", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.fail(failure("first")))
            yield* tg.startSoon(createTaskGroup(() => Effect.fail(failure("nested body"))))
          })
        )
      )
      expect(shapeOf(groupOf(exit))).toEqual(["first", ["nested body"]])
    })
  )

  it.effect("two equal failures stay two members", () =>
    Effect.gen(function* () {
      const same = failure("same")
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.fail(same))
            yield* tg.startSoon(Effect.fail(same))
            yield* tg.startSoon(Effect.fail("plain"))
            yield* tg.startSoon(Effect.fail("plain"))
          })
        )
      )
      const eg = groupOf(exit)
      expect(eg.exceptions).toEqual([same, same, "plain", "plain"])
    })
  )

  it.effect("a defect next to typed failures keeps every member", () =>
    Effect.gen(function* () {
      const boom = new Error("boom")
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.fail(failure("a")))
            yield* tg.startSoon(Effect.die(boom))
            yield* tg.startSoon(Effect.fail(failure("c")))
          })
        )
      )
      const eg = groupOf(exit)
      expect(shapeOf(eg)).toEqual(["a", "defect:boom", "c"])
      expect((eg.exceptions[1] as Defect).defect).toBe(boom)
    })
  )

  it.effect("a thrown exception in a task is a Defect member", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          tg.startSoon(
            Effect.sync(() => {
              throw new RangeError("thrown")
            })
          )
        )
      )
      const member = groupOf(exit).exceptions[0]
      expect(member).toBeInstanceOf(Defect)
      expect((member as Defect).defect).toBeInstanceOf(RangeError)
    })
  )

  it.effect("the tasks the group cancelled are listed, not members", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(sleepForever(), { name: "sleeper" })
            yield* tg.startSoon(Effect.andThen(waitAllTasksBlocked(), Effect.fail(failure("x"))), {
              name: "failer"
            })
          })
        )
      )
      const eg = groupOf(exit)
      expect(shapeOf(eg)).toEqual(["x"])
      expect(eg.cancelled.map((c) => c.name)).toContain("sleeper")
      expect(eg.cancelled.find((c) => c.name === "sleeper")?.reason).toMatch(/failer/)
    })
  )

  // anyio: test_unhandled_exception_group (the top line of the printout, as Python prints it)
  it.effect("an unhandled group's printout starts with the header and the member count", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.fail(failure("a")))
            yield* tg.startSoon(Effect.fail(failure("b")))
          })
        )
      )
      expect(groupOf(exit).exceptions).toHaveLength(2)
      const printed = Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause)
      // Effect prints `name: message` on the first line; the message holds the count (Python's
      // `str(eg)`), so the header is one line, as Python prints it.
      expect(printed.split("\n")[0]).toBe(
        "ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)"
      )
    })
  )

  // anyio: test_unhandled_exception_group (here: how an unhandled group prints)
  it.effect("an unhandled nested group prints as a tree", () =>
    Effect.gen(function* () {
      const exit = yield* runExit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(sleepForever(), { name: "sleeper" })
            yield* tg.startSoon(
              createTaskGroup((inner) => inner.startSoon(failFinally("deep", 5), { name: "deep" })),
              { name: "nested" }
            )
            yield* waitAllTasksBlocked()
            return yield* Effect.fail(failure("top"))
          })
        )
      )
      const eg = groupOf(exit)
      expect(shapeOf(eg)).toEqual(["top", ["deep"]])
      const lines = eg.pretty().split("\n")
      expect(lines[0]).toBe("ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)")
      // the nested group is a member, indented one level
      expect(lines).toContain("  | ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)")
      expect(lines.some((l) => /^ {2}\| Failure: top$/.test(l))).toBe(true)
      expect(lines.some((l) => /^ {4}\| Failure: deep$/.test(l))).toBe(true)
      expect(lines.some((l) => /^\(cancelled: task 'sleeper'/.test(l))).toBe(true)
      // what an unhandled failure prints (runMain logs Cause.pretty) shows the same tree
      const printed = Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause)
      expect(printed).toContain("  | ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)")
      expect(printed).toContain("| Failure: deep")
    })
  )
})
