/**
 * Shielded cancel scopes (AnyIO's tests/test_taskgroups.py). Every test runs under `autojump`.
 * `// anyio: name` marks a port of the AnyIO test `name`.
 */
import { Deferred, Effect, Fiber, Option } from "effect"
import {
  type CancelScope,
  cancelScope,
  checkpoint,
  createTaskGroup,
  currentEffectiveDeadline,
  currentTime,
  failAfter,
  isExceptionGroup,
  makeCancelScope,
  moveOnAfter,
  sleep,
  sleepForever,
  type TaskStatus,
  waitAllTasksBlocked
} from "../src/index.ts"
import { describe, expect, isInterruptOnly, it, tagOf } from "./helpers.ts"

describe("shielding", () => {
  // anyio: test_shielding
  it.autojump("a shielded scope finishes its body while the enclosing group is cancelled", () =>
    Effect.gen(function* () {
      let innerSleepCompleted = false
      let outerSleepCompleted = false
      let inner: CancelScope | undefined
      let group: CancelScope | undefined
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          group = tg.cancelScope
          yield* tg.startSoon(Effect.andThen(waitAllTasksBlocked(), tg.cancelScope.cancel()))
          yield* moveOnAfter(
            10,
            (s) =>
              Effect.gen(function* () {
                inner = s
                expect(s.shield).toBe(true)
                yield* sleep(0.1)
                innerSleepCompleted = true
              }),
            { shield: true }
          )
          yield* sleep(1)
          outerSleepCompleted = true
        })
      )
      expect(innerSleepCompleted).toBe(true)
      expect(outerSleepCompleted).toBe(false)
      expect(group?.cancelCalled).toBe(true)
      expect(inner?.cancelCalled).toBe(false)
      expect(yield* currentTime()).toBeCloseTo(0.1)
    })
  )

  // anyio: test_cancel_from_shielded_scope
  it.autojump("cancelling the group from inside a shielded scope takes effect after the shield", () =>
    Effect.gen(function* () {
      const seen: Array<string | number> = []
      const r = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* cancelScope({ shield: true }, (inner) =>
            Effect.gen(function* () {
              expect(inner.shield).toBe(true)
              yield* tg.cancelScope.cancel()
              seen.push(yield* currentEffectiveDeadline())
              yield* checkpoint()
              seen.push("after checkpoint in shield")
            })
          )
          seen.push("after shield")
          yield* sleep(0.01)
          seen.push("after sleep")
        }).pipe(
          Effect.ensuring(Effect.suspend(() => Effect.map(currentEffectiveDeadline(), (d) => seen.push(d))))
        )
      )
      // as AnyIO, the code right after the shield runs until its next checkpoint (test/reference/shield_exit.py)
      expect(seen).toEqual([
        Number.POSITIVE_INFINITY,
        "after checkpoint in shield",
        "after shield",
        Number.NEGATIVE_INFINITY
      ])
      expect(r).toEqual(Option.none())
    })
  )

  // anyio: test_cancel_shielded_scope
  it.autojump("a shielded scope's own cancel() still cancels its body", () =>
    Effect.gen(function* () {
      let deadline = 0
      let afterCheckpoint = false
      let scope: CancelScope | undefined
      const r = yield* cancelScope({ shield: true }, (s) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.gen(function* () {
            scope = s
            yield* s.cancel()
            deadline = yield* currentEffectiveDeadline()
            yield* restore(checkpoint())
            afterCheckpoint = true
          })
        )
      )
      expect(deadline).toBe(Number.NEGATIVE_INFINITY)
      expect(afterCheckpoint).toBe(false)
      expect(Option.isNone(r)).toBe(true)
      expect(scope?.cancelledCaught).toBe(true)
    })
  )

  // anyio: test_shielded_cleanup_after_cancel
  it.autojump("a shielded scope in cleanup code hides the cancellation of the scope around it", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const record = Effect.flatMap(currentEffectiveDeadline(), (d) => Effect.sync(() => seen.push(d)))
      const outer = makeCancelScope()
      yield* cancelScope(
        outer,
        Effect.andThen(outer.cancel(), checkpoint()).pipe(
          Effect.ensuring(
            Effect.gen(function* () {
              yield* record
              yield* cancelScope({ shield: true }, record)
              yield* record
            })
          )
        )
      )
      expect(seen).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])
      expect(outer.cancelledCaught).toBe(true)
    })
  )

  // anyio: test_cleanup_after_native_cancel
  it.autojump("cleanup after an Effect interruption from outside runs to the end", () =>
    Effect.gen(function* () {
      let cleanedUpAt = -1
      let deadlineInCleanup = 0
      const fiber = yield* Effect.forkChild(
        cancelScope(
          {},
          sleepForever().pipe(
            Effect.ensuring(
              Effect.gen(function* () {
                deadlineInCleanup = yield* currentEffectiveDeadline()
                yield* sleep(0.1)
                cleanedUpAt = yield* currentTime()
              })
            )
          )
        )
      )
      yield* sleep(1)
      yield* Fiber.interrupt(fiber)
      expect(isInterruptOnly(yield* Fiber.await(fiber))).toBe(true)
      expect(cleanedUpAt).toBeCloseTo(1.1)
      // AnyIO: no cancellation is pending after a native cancel was raised; here the scope
      // remembers the interruption from outside (it is sticky), so the deadline reads -Infinity
      expect(deadlineInCleanup).toBe(Number.NEGATIVE_INFINITY)
    })
  )

  // anyio: test_shielding_immediate_scope_cancelled
  it.autojump("a shielded scope cancelled by another task stops its body", () =>
    Effect.gen(function* () {
      let sleepCompleted = false
      const scope = makeCancelScope({ shield: true })
      yield* createTaskGroup((tg) =>
        cancelScope(
          scope,
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.andThen(sleep(0.01), scope.cancel()))
            yield* sleep(0.5)
            sleepCompleted = true
          })
        )
      )
      expect(sleepCompleted).toBe(false)
      expect(scope.cancelledCaught).toBe(true)
      expect(yield* currentTime()).toBeCloseTo(0.01)
    })
  )

  // anyio: test_shielding_mutate
  it.autojump("turning a shield on blocks a cancellation, turning it off delivers it", () =>
    Effect.gen(function* () {
      let completed = false
      let reachedEnd = false
      let scopeCaught: boolean | undefined
      const task = (status: TaskStatus) =>
        Effect.gen(function* () {
          const scope = makeCancelScope()
          yield* cancelScope(scope, () =>
            Effect.gen(function* () {
              yield* sleep(0.1)
              yield* Effect.sync(() => {
                scope.shield = true
              })
              yield* status.started()
              yield* sleep(0.1)
              completed = true
              yield* Effect.sync(() => {
                scope.shield = false
              })
              yield* sleep(1)
            })
          ).pipe(Effect.ensuring(Effect.sync(() => (scopeCaught = scope.cancelledCaught))))
          reachedEnd = true
        })
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.start(task)
          yield* tg.cancelScope.cancel()
        })
      )
      expect(completed).toBe(true)
      expect(reachedEnd).toBe(false)
      expect(scopeCaught).toBe(false)
      expect(yield* currentTime()).toBeCloseTo(0.2)
    })
  )

  it.autojump(
    "turning the shield on after a cancellation was delivered does not undo it (difference 3)",
    () =>
      Effect.gen(function* () {
        let reached = false
        const outer = makeCancelScope()
        const inner = makeCancelScope()
        yield* cancelScope(
          outer,
          cancelScope(
            inner,
            Effect.andThen(
              sleep(0.5), // the host now waits, so outer.cancel() reaches the body at once
              Effect.uninterruptibleMask((restore) =>
                Effect.gen(function* () {
                  yield* outer.cancel()
                  yield* Effect.sync(() => {
                    inner.shield = true
                  })
                  yield* restore(sleep(1))
                  yield* Effect.sync(() => (reached = true))
                })
              )
            )
          )
        )
        expect(reached).toBe(false)
        expect(yield* currentTime()).toBe(0.5)
      })
  )

  it.autojump(
    "turning the shield on right after an outer cancel in the body's first steps blocks it (as AnyIO)",
    () =>
      Effect.gen(function* () {
        let reached = false
        const outer = makeCancelScope()
        const inner = makeCancelScope()
        yield* cancelScope(
          outer,
          cancelScope(
            inner,
            Effect.uninterruptibleMask((restore) =>
              Effect.gen(function* () {
                yield* outer.cancel()
                yield* Effect.sync(() => {
                  inner.shield = true
                })
                yield* restore(sleep(1))
                yield* Effect.sync(() => (reached = true))
              })
            )
          )
        )
        expect(reached).toBe(true)
        // AnyIO: no checkpoint follows the inner scope, so the outer catches nothing
        // (test/reference/shield_on_after_cancel.py)
        expect(outer.cancelledCaught).toBe(false)
        expect(yield* currentTime()).toBe(1)
      })
  )

  // anyio: test_nested_shield
  it.autojump("a TimeoutError inside a shield under a cancelled scope reaches the group", () =>
    Effect.gen(function* () {
      const scope = makeCancelScope()
      const error = yield* Effect.flip(
        createTaskGroup((tg) =>
          cancelScope(
            scope,
            cancelScope(
              { shield: true },
              Effect.andThen(
                tg.startSoon(Effect.andThen(waitAllTasksBlocked(), scope.cancel())),
                failAfter(0.2, sleep(2))
              )
            )
          )
        )
      )
      expect(isExceptionGroup(error)).toBe(true)
      expect(error.exceptions).toHaveLength(1)
      expect(tagOf(error.exceptions[0])).toBe("TimeoutError")
      expect(yield* currentTime()).toBeCloseTo(0.2)
    })
  )

  // anyio: test_triple_nested_shield_checkpoint_in_outer
  it.autojump("cancellations held back by a shield arrive when it exits (two cancelled scopes)", () =>
    Effect.gen(function* () {
      let gotPastCheckpoint = false
      let shieldedDone = false
      const scope1 = makeCancelScope()
      const scope2 = makeCancelScope()
      const task = cancelScope(
        scope1,
        Effect.gen(function* () {
          yield* cancelScope(
            scope2,
            cancelScope(
              { shield: true },
              Effect.gen(function* () {
                yield* scope1.cancel()
                yield* scope2.cancel()
                yield* checkpoint()
                shieldedDone = true
              })
            )
          )
          yield* checkpoint()
          gotPastCheckpoint = true
        })
      )
      yield* createTaskGroup((tg) => tg.startSoon(task))
      expect(shieldedDone).toBe(true)
      expect(gotPastCheckpoint).toBe(false)
      expect(scope1.cancelledCaught).toBe(true)
      expect(scope2.cancelledCaught).toBe(false)
    })
  )

  // anyio: test_triple_nested_shield_checkpoint_in_middle
  it.autojump("a cancellation held back by a shield arrives in the scope between (one cancelled scope)", () =>
    Effect.gen(function* () {
      let gotPastCheckpoint = false
      const scope1 = makeCancelScope()
      const task = cancelScope(
        scope1,
        cancelScope(
          {},
          Effect.gen(function* () {
            yield* cancelScope({ shield: true }, Effect.andThen(scope1.cancel(), checkpoint()))
            yield* checkpoint()
            gotPastCheckpoint = true
          })
        )
      )
      yield* createTaskGroup((tg) => tg.startSoon(task))
      expect(gotPastCheckpoint).toBe(false)
      expect(scope1.cancelledCaught).toBe(true)
    })
  )

  // anyio: test_shielded_cancel_sleep_time
  it.autojump("cancelling a group whose task is shielded waits without spinning", () =>
    Effect.gen(function* () {
      const event = yield* Deferred.make<void>()
      const startedAt = Date.now()
      let shieldedDone = false
      yield* createTaskGroup((outer) =>
        Effect.gen(function* () {
          yield* outer.startSoon(Effect.andThen(sleep(0.2), Deferred.succeed(event, undefined)))
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                cancelScope(
                  { shield: true },
                  Effect.gen(function* () {
                    yield* sleep(0.2)
                    yield* Deferred.await(event)
                    shieldedDone = true
                  })
                )
              )
              yield* tg.cancelScope.cancel()
            })
          )
        })
      )
      expect(shieldedDone).toBe(true)
      expect(yield* currentTime()).toBeCloseTo(0.2)
      expect(Date.now() - startedAt).toBeLessThan(1000)
    })
  )
})
