/**
 * Tests written to kill the survivors of the 2026-12-06 Stryker run over internal/group.ts (see
 * test/MUTATION.md, group.ts): the group's own cancellation on exit (`cancelOnExit`), the reason and
 * causes of a failure, `cancelledCaught`, a task's scope when spawned from a nested scope, and
 * `started()` after the task ended. Public API, virtual time.
 */
import { Cause, Effect, Exit, Option } from "effect"
import {
  cancelScope,
  createTaskGroup,
  currentEffectiveDeadline,
  ExceptionGroup,
  makeCancelScope,
  moveOnAfter,
  RuntimeError,
  sleep,
  sleepForever,
  type TaskGroup,
  type TaskHandle,
  type TaskStatus
} from "../src/index.ts"
import { defectsOf, describe, expect, it } from "./helpers.ts"
import { failure } from "./taskgroup-helpers.ts"

describe("the group's own cancellation when it exits (AnyIO's __aexit__)", () => {
  it.autojump("an outer cancellation reaching the exit wait sets tg.cancelScope.cancelCalled", () =>
    Effect.gen(function* () {
      // The body has ended; only the wait for the task is cancelled from outside.
      const outer = makeCancelScope()
      let group: TaskGroup | undefined
      yield* createTaskGroup((top) =>
        Effect.gen(function* () {
          yield* top.startSoon(Effect.andThen(sleep(1), outer.cancel("outer")))
          yield* cancelScope(
            outer,
            createTaskGroup((tg) => {
              group = tg
              return tg.startSoon(sleepForever())
            })
          )
        })
      )
      expect(group!.cancelScope.cancelCalled).toBe(true)
      expect(group!.cancelScope.cancelledCaught).toBe(false)
      expect(outer.cancelledCaught).toBe(true)
    })
  )

  it.autojump("an outer cancellation of a running body: cancelCalled false until the body ends", () =>
    Effect.gen(function* () {
      // AnyIO: `tg.cancel_scope.cancel_called` stays False while the body runs its (shielded)
      // cleanup; `__aexit__` sets it once the body has raised the cancellation.
      const outer = makeCancelScope()
      let group: TaskGroup | undefined
      let duringCleanup: boolean | undefined
      yield* createTaskGroup((top) =>
        Effect.gen(function* () {
          yield* top.startSoon(Effect.andThen(sleep(1), outer.cancel("outer")))
          yield* cancelScope(
            outer,
            createTaskGroup((tg) => {
              group = tg
              return Effect.onInterrupt(sleepForever(), () =>
                Effect.andThen(
                  sleep(1),
                  Effect.sync(() => {
                    duringCleanup = tg.cancelScope.cancelCalled
                  })
                )
              )
            })
          )
        })
      )
      expect(duringCleanup).toBe(false)
      expect(group!.cancelScope.cancelCalled).toBe(true)
    })
  )

  it.autojump("a body that interrupts itself cancels the group's scope and its tasks at once", () =>
    Effect.gen(function* () {
      // Not a delivery of ours (AnyIO: the body raises CancelledError itself): the group's scope
      // is cancelled and the cancellation delivered to the tasks, which end at 1, not at 10.
      let group: TaskGroup | undefined
      let taskEnd: string | undefined
      const exit = yield* Effect.exit(
        createTaskGroup((tg) => {
          group = tg
          return Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.onInterrupt(
                Effect.andThen(
                  sleep(10),
                  Effect.sync(() => {
                    taskEnd = "finished"
                  })
                ),
                () =>
                  Effect.sync(() => {
                    taskEnd = "cancelled"
                  })
              )
            )
            yield* sleep(1)
            return yield* Effect.interrupt
          })
        })
      )
      expect(taskEnd).toBe("cancelled")
      expect(group!.cancelScope.cancelCalled).toBe(true)
      expect(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)).toBe(true)
    })
  )

  it.autojump(
    "a body that shields its group while an outer cancellation is delivered: tasks cancelled from outside",
    () =>
      Effect.gen(function* () {
        // The body's cleanup runs inside the delivery (the body is interrupted first) and turns the
        // group's shield on; the body ends there. The group's own cancellation on exit waits until
        // the delivery is over, so the task, reached next, keeps the reason "from outside".
        let h: TaskHandle<void, never> | undefined
        let group: TaskGroup | undefined
        yield* moveOnAfter(
          1,
          createTaskGroup((tg) => {
            group = tg
            return Effect.gen(function* () {
              h = yield* tg.createTask(sleepForever())
              yield* Effect.onInterrupt(sleepForever(), () =>
                Effect.sync(() => {
                  tg.cancelScope.shield = true
                })
              )
            })
          })
        )
        expect(group!.cancelScope.cancelCalled).toBe(true)
        const e = yield* Effect.flip(h!.join)
        expect(e._tag === "TaskCancelled" ? e.reason : e._tag).toBe(
          "cancelled from outside (an enclosing scope or fiber interruption)"
        )
      })
  )

  it.autojump("a group cancelled by tg.cancel() catches its cancellation: cancelledCaught", () =>
    Effect.gen(function* () {
      let group: TaskGroup | undefined
      const result = yield* createTaskGroup((tg) => {
        group = tg
        return Effect.andThen(tg.startSoon(sleepForever()), Effect.andThen(tg.cancel(), sleepForever()))
      })
      expect(Option.isNone(result as Option.Option<unknown>)).toBe(true)
      expect(group!.cancelScope.cancelCalled).toBe(true)
      expect(group!.cancelScope.cancelledCaught).toBe(true)
    })
  )
})

it.autojump(
  "a failure during an outer delivery cancels the group only once the outermost delivery is over",
  () =>
    Effect.gen(function* () {
      // The outer cancellation reaches the tasks in order: A fails at once (the group's cancellation
      // is deferred), B's cleanup turns the group's shield on and off, which delivers the outer
      // cancellation again (a nested delivery) before B reads cancelCalled: still false, the deferred
      // cancellation waits for the first delivery to end. Afterwards the group is cancelled by A.
      const outer = makeCancelScope()
      let group: TaskGroup | undefined
      let seenByB: boolean | undefined
      const failAtCancel = Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Effect.exit(restore(sleepForever())), () => Effect.fail(failure("A")))
      )
      const exit = yield* Effect.exit(
        createTaskGroup((top) =>
          Effect.gen(function* () {
            yield* top.startSoon(Effect.andThen(sleep(1), outer.cancel("outer")))
            yield* cancelScope(
              outer,
              createTaskGroup((tg) => {
                group = tg
                return Effect.gen(function* () {
                  yield* tg.startSoon(failAtCancel, { name: "A" })
                  yield* tg.startSoon(
                    Effect.onInterrupt(sleepForever(), () =>
                      Effect.sync(() => {
                        tg.cancelScope.shield = true
                        tg.cancelScope.shield = false
                        seenByB = tg.cancelScope.cancelCalled
                      })
                    ),
                    { name: "B" }
                  )
                  // The body's cleanup suspends: the body does not end inside the delivery.
                  yield* Effect.onInterrupt(sleepForever(), () => sleep(1))
                })
              })
            )
          })
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(seenByB).toBe(false)
      expect(group!.cancelScope.cancelCalled).toBe(true)
      expect(group!.cancelScope.cancelReason?._tag).toBe("TaskFailed")
    })
)

describe("a failure's record", () => {
  it.autojump("the body's failure cancels the group with a reason naming the body", () =>
    Effect.gen(function* () {
      let group: TaskGroup | undefined
      const exit = yield* Effect.exit(
        createTaskGroup((tg) => {
          group = tg
          return Effect.andThen(
            tg.startSoon(sleepForever()),
            Effect.andThen(sleep(1), Effect.fail(failure("B")))
          )
        })
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const reason = group!.cancelScope.cancelReason
      expect(reason?._tag).toBe("TaskFailed")
      expect(reason?._tag === "TaskFailed" ? reason.task : undefined).toMatch(/^.+ \(group body\)$/)
    })
  )

  it.autojump("each member of the ExceptionGroup keeps the Effect Cause it came from", () =>
    Effect.gen(function* () {
      const error = failure("A")
      const exit = yield* Effect.exit(createTaskGroup((tg) => tg.startSoon(Effect.fail(error))))
      const eg = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(eg).toBeInstanceOf(ExceptionGroup)
      const causes = (eg as ExceptionGroup<unknown>).causes
      expect(causes.length).toBe(1)
      const reasons = causes[0]!.reasons
      expect(reasons.length).toBe(1)
      expect(reasons[0]!._tag === "Fail" ? reasons[0]!.error : undefined).toBe(error)
    })
  )
})

it.autojump("a task started from a nested scope of the body runs in the group's scope", () =>
  Effect.gen(function* () {
    // AnyIO: a task's cancel scope is its group's, wherever start_soon was called from.
    let deadline: number | undefined
    yield* createTaskGroup((tg) =>
      moveOnAfter(5, () =>
        tg.startSoon(
          Effect.gen(function* () {
            deadline = yield* currentEffectiveDeadline()
          })
        )
      )
    )
    expect(deadline).toBe(Number.POSITIVE_INFINITY)
  })
)

it.autojump("started() called after its task ended without calling it: RuntimeError", () =>
  Effect.gen(function* () {
    // AnyIO: the start future already holds "child exited without calling started()": the late
    // started() raises "called 'started' twice on the same task status".
    let leaked: TaskStatus | undefined
    let late: Exit.Exit<void> | undefined
    yield* createTaskGroup((tg) =>
      Effect.gen(function* () {
        const first = yield* Effect.exit(
          tg.start((status: TaskStatus) =>
            Effect.suspend(() => {
              leaked = status
              return Effect.void
            })
          )
        )
        expect(Exit.isFailure(first)).toBe(true)
        late = yield* Effect.exit(leaked!.started())
      })
    )
    const defect = defectsOf(late!)[0]
    expect(defect).toBeInstanceOf(RuntimeError)
    expect((defect as RuntimeError).message).toBe("called 'started' twice on the same task status")
  })
)
