/**
 * Issue 14, part 3: bugs measured on main, each with a regression test named after it. What AnyIO
 * 4.14 does is in test/reference/checkpoint_bugs.py (asyncio backend); its printout is quoted above
 * each test. The type-level one (optional parameters of startSoon's functions) is in
 * test/taskgroup.types.test.ts.
 */
import { Data, Effect, Exit, Option, Stream } from "effect"
import {
  asCompleted,
  type CancelScope,
  cancelScope,
  checkpoint,
  createTaskGroup,
  currentTime,
  Event,
  type ExceptionGroup,
  failAfter,
  failAt,
  InvalidArgumentError,
  makeCancelScope,
  moveOnAt,
  sleep,
  sleepForever,
  type TaskStatus,
  TimeoutError
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"
import { describe, expect, failuresOf, it } from "./helpers.ts"
import { failure, groupOf, runExit, shapeOf } from "./taskgroup-helpers.ts"

describe("issue 14 part 3: bugs measured on main", () => {
  // AnyIO: "1 None group raised ExceptionGroup['ValueError']", "1 0 group ok 1"
  it.effect(
    "started(v), then the child fails, while the caller of start() cancels the group: the failure is reported",
    () =>
      Effect.gen(function* () {
        const exit = yield* runExit(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.start((status: TaskStatus<number>) =>
                Effect.andThen(status.started(1), Effect.fail(failure("boom")))
              )
              yield* tg.cancel()
            })
          )
        )
        expect(shapeOf(groupOf(exit))).toEqual(["boom"])
        // With a suspension between started() and the failure, the cancel lands there first.
        const later = yield* runExit(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              const v = yield* tg.start((status: TaskStatus<number>) =>
                Effect.andThen(status.started(1), Effect.andThen(sleep(0), Effect.fail(failure("boom"))))
              )
              yield* tg.cancel()
              return v
            })
          )
        )
        expect(later).toEqual(Exit.succeed(Option.some(1)))
        // The group cancelled by another task before the child began: the child still runs up to its
        // first suspension (README, deliberate differences #4), calls started() and fails. Its
        // failure is the group's, reported once (it was also raised by the cancelled caller).
        // AnyIO: the task is cancelled before its first step ("started-fail, group cancelled by
        // other task ok").
        const first = yield* runExit(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(() => tg.cancel())
              yield* tg.start((status: TaskStatus<number>) =>
                Effect.andThen(status.started(1), Effect.fail(failure("boom")))
              )
            })
          )
        )
        expect(shapeOf(groupOf(first))).toEqual(["boom"])
      })
  )

  // AnyIO (test/reference/shielded_fail_after.py): "['TimeoutError', "group raised ExceptionGroup['TimeoutError']"]"
  it.effect(
    "a shielded failAfter whose deadline fires while an outer cancellation is held raises TimeoutError",
    () =>
      Effect.gen(function* () {
        const events: Array<string> = []
        const exit = yield* runExit(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                failAfter(0.2, sleep(1), { shield: true }).pipe(
                  Effect.tapError((e) => Effect.sync(() => events.push(e._tag)))
                )
              )
              yield* sleep(0.1)
              yield* tg.cancel()
            })
          )
        )
        expect(events).toEqual(["TimeoutError"])
        expect(groupOf(exit).exceptions.map((e) => e instanceof TimeoutError)).toEqual([true])
      })
  )

  // AnyIO: "3 TimeoutError" (fail_after raises when it caught a cancellation and the deadline passed)
  it.effect("failAfter cancelled explicitly whose body ends after the deadline raises TimeoutError", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      const error = yield* autojump(
        Effect.flip(
          failAfter(0.1, (s) =>
            Effect.gen(function* () {
              scope = s
              yield* sleep(0.05)
              yield* s.cancel()
              yield* cancelScope({ shield: true }, sleep(0.15))
              yield* checkpoint()
            })
          )
        )
      )
      expect(error).toBeInstanceOf(TimeoutError)
      expect(scope?.cancelReason?._tag).toBe("Explicit")
      expect(scope?.cancelledCaught).toBe(true)
      // Ended before the deadline: the explicit cancel is caught, no TimeoutError.
      const early = yield* autojump(failAfter(0.1, (s) => Effect.andThen(s.cancel(), checkpoint())))
      expect(Option.isNone(early)).toBe(true)
    })
  )

  // AnyIO: "4 no error; outer caught: True inner caught: False"
  it.effect("equal deadlines moveOnAt(1, failAt(1, sleep(10))): the outer catches, no TimeoutError", () =>
    Effect.gen(function* () {
      const outer = makeCancelScope({ deadline: 1 })
      let inner: CancelScope | undefined
      const r = yield* autojump(
        cancelScope(outer, () =>
          failAt(1, (s) => {
            inner = s
            return sleep(10)
          })
        )
      )
      expect(Option.isNone(r)).toBe(true)
      expect(outer.cancelledCaught).toBe(true)
      expect(inner?.cancelledCaught).toBe(false)
      // The effect-first forms.
      expect(Option.isNone(yield* autojump(moveOnAt(1, failAt(1, sleep(10)))))).toBe(true)
    })
  )

  // AnyIO: test_start_sync_wrapper's shape with a task that goes on running
  it.effect("tg.start(fn) where fn calls started() before it returns its effect: start() returns", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const r = yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            const v = yield* tg.start((status: TaskStatus<string>) => {
              Effect.runSync(status.started("ready"))
              return Effect.andThen(
                sleep(1),
                Effect.sync(() => log.push("task done"))
              )
            })
            log.push(`start returned ${v} at ${yield* currentTime()}`)
            const handle = yield* tg.start({ returnHandle: true }, (status: TaskStatus<number>) => {
              Effect.runSync(status.started(7))
              return sleepForever()
            })
            expect(handle.startValue).toBe(7)
            yield* handle.cancel()
          })
        )
      )
      expect(Option.isSome(r)).toBe(true)
      expect(log).toEqual(["start returned ready at 0", "task done"])
    })
  )

  // AnyIO: "6 ['after group'] caught: False"
  it.effect("an empty task group inside an already cancelled scope exits without a cancellation", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const scope = makeCancelScope()
      const r = yield* autojump(
        cancelScope(scope, () =>
          Effect.gen(function* () {
            yield* scope.cancel()
            const g = yield* createTaskGroup(() => Effect.void)
            log.push(`after group: ${Option.isSome(g)}`)
          })
        )
      )
      expect(log).toEqual(["after group: true"])
      expect(Option.isSome(r)).toBe(true)
      expect(scope.cancelledCaught).toBe(false)
      // The cancellation lands at the next suspension after the group; the scope catches it there.
      const again = makeCancelScope()
      const caught = yield* autojump(
        cancelScope(again, () =>
          Effect.gen(function* () {
            yield* again.cancel()
            yield* createTaskGroup(() => Effect.void)
            log.push("after the second group")
            yield* checkpoint()
            log.push("after the checkpoint")
          })
        )
      )
      expect(log).toEqual(["after group: true", "after the second group"])
      expect(Option.isNone(caught)).toBe(true)
      expect(again.cancelledCaught).toBe(true)
    })
  )

  // AnyIO: "7 CANCELLING CANCELLED"
  it.effect(
    'a createTask handle reads "cancelling" right after cancel() of a running task until it finished',
    () =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        yield* autojump(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              const handle = yield* tg.createTask(sleep(10))
              yield* sleep(0.01)
              yield* handle.cancel()
              seen.push(handle.status)
              expect((yield* Effect.flip(handle.returnValue))._tag).toBe("TaskCancelled")
              yield* handle.wait
              seen.push(handle.status)
            })
          )
        )
        expect(seen).toEqual(["cancelling", "cancelled"])
        // A task whose cleanup suspends: "cancelling" until the cleanup is done; wait returns then.
        const later: Array<string> = []
        yield* autojump(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              const handle = yield* tg.createTask(
                Effect.ensuring(sleep(10), cancelScope({ shield: true }, sleep(1)))
              )
              yield* sleep(0.01)
              yield* handle.cancel()
              yield* checkpoint()
              later.push(handle.status)
              yield* handle.wait
              later.push(`${handle.status} at ${yield* currentTime()}`)
            })
          )
        )
        expect(later).toEqual(["cancelling", "cancelled at 1.01"])
      })
  )

  // AnyIO: "Cancelled via cancel scope 7feff8f33910 by <Task pending name='the-canceller' ...>; reason: enough"
  it.effect("a cancel reason's text names the task that called cancel()", () =>
    Effect.gen(function* () {
      // Outside every fiber (a timer's callback), nobody is named.
      const plain = makeCancelScope()
      yield* Effect.promise(
        () =>
          new Promise<void>((resolve) =>
            setTimeout(() => {
              plain.cancelUnsafe()
              resolve()
            }, 0)
          )
      )
      expect(plain.cancelReasonText).toBe("cancelled explicitly")
      const scope = makeCancelScope()
      yield* autojump(
        cancelScope(scope, () =>
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon({ name: "the-canceller" }, () => scope.cancel("enough"))
              yield* sleep(1)
            })
          )
        )
      )
      expect(scope.cancelReason).toEqual({ _tag: "Explicit", message: "enough", by: "the-canceller" })
      expect(scope.cancelReasonText).toBe("cancelled explicitly by task 'the-canceller': enough")
      // A task handle's cancel() too.
      let reason: string | undefined
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            const handle = yield* tg.createTask(sleepForever())
            yield* tg.startSoon({ name: "stopper" }, () => handle.cancel("not needed"))
            const e = yield* Effect.flip(handle.join)
            reason = e._tag === "TaskCancelled" ? e.reason : undefined
          })
        )
      )
      expect(reason).toBe("cancelled explicitly by task 'stopper': not needed")
    })
  )

  // AnyIO (master's _concurrency_utils.as_completed): ValueError("as_completed() takes at least one awaitable")
  it.effect("asCompleted([]) dies with InvalidArgumentError, as AnyIO raises ValueError", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Stream.runCollect(asCompleted([])))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const r = exit.cause.reasons[0]
        expect(r?._tag === "Die" && r.defect).toBeInstanceOf(InvalidArgumentError)
        expect(r?._tag === "Die" && (r.defect as InvalidArgumentError).message).toMatch(/at least one/)
      }
    })
  )
})

// Reference: test/reference/woken_tasks_fail_together.py (AnyIO 4.14, asyncio: 2 members both ways).
describe("tasks woken together that then fail together", () => {
  it.effect("two tasks woken by one Event both fail: both are members", () =>
    Effect.gen(function* () {
      const ev = new Event()
      const worker = (i: number) => Effect.andThen(ev.wait(), Effect.fail(new WokenError({ i })))
      const exit = yield* Effect.exit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(worker, 1)
            yield* tg.startSoon(worker, 2)
            yield* sleep(0.01)
            yield* ev.set()
          })
        )
      )
      expect(failuresOf(exit).flatMap((eg) => (eg as ExceptionGroup<unknown>).exceptions)).toHaveLength(2)
    }).pipe((effect) => autojump(effect))
  )

  it.effect("two tasks whose timers are due at the same time both fail: both are members", () =>
    Effect.gen(function* () {
      const worker = (i: number) => Effect.andThen(sleep(1), Effect.fail(new WokenError({ i })))
      const exit = yield* Effect.exit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(worker, 1)
            yield* tg.startSoon(worker, 2)
          })
        )
      )
      expect(failuresOf(exit).flatMap((eg) => (eg as ExceptionGroup<unknown>).exceptions)).toHaveLength(2)
    }).pipe((effect) => autojump(effect))
  )
})

class WokenError extends Data.TaggedError("WokenError")<{ readonly i: number }> {}
