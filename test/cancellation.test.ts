/**
 * Cancellation: level-triggered delivery, who catches, cancel reasons, propagation into nested
 * groups and scopes (AnyIO's tests/test_taskgroups.py). Every test runs under `autojump` (virtual
 * time starting at 0, FIFO scheduling), so sleeps are instant and the order of events is
 * deterministic. `// anyio: name` marks a port of the AnyIO test `name`.
 */
import { Deferred, Effect, Exit, Fiber, Option } from "effect"
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
  waitAllTasksBlocked
} from "../src/index.ts"
import { defectsOf, describe, expect, isInterruptOnly, it } from "./helpers.ts"

describe("cancellation", () => {
  // anyio: test_level_cancellation
  it.autojump("a task started into a group cancelled before it ran stops at its first checkpoint", () =>
    Effect.gen(function* () {
      let marker = 0
      let markerWhenCancelling = -1
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              marker = 1
              yield* checkpoint()
              marker = 2
            })
          )
          markerWhenCancelling = marker
          yield* tg.cancelScope.cancel()
        })
      )
      expect(markerWhenCancelling).toBe(0)
      expect(marker).toBe(1)
    })
  )

  // anyio: test_level_cancellation (level-triggered: entering scopes inside a cancelled scope)
  it.autojump("scopes and groups entered inside a cancelled scope are cancelled too (level-triggered)", () =>
    Effect.gen(function* () {
      const ran: Array<string> = []
      const mark = (what: string) => Effect.sync(() => ran.push(what))
      const outer = yield* cancelScope({}, (outer) =>
        // uninterruptible (as in a finalizer): the only way to get past the cancel at all
        Effect.uninterruptible(
          Effect.gen(function* () {
            yield* outer.cancel()
            yield* cancelScope({}, Effect.andThen(sleep(1), mark("scope body")))
            yield* createTaskGroup((tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(Effect.andThen(sleep(1), mark("group task")))
                yield* sleep(1)
                yield* mark("group body")
              })
            )
          })
        )
      )
      expect(Option.isNone(outer)).toBe(true)
      // AnyIO: every checkpoint inside the cancelled scope raises, in nested scopes too
      expect(ran).toEqual([])
      expect(yield* currentTime()).toBe(0)
    })
  )

  // anyio: test_cancel
  it.autojump("tg.cancel() cancels a task before it passes its first checkpoint", () =>
    Effect.gen(function* () {
      let started = false
      let passed = false
      let startedWhenCancelling = true
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              started = true
              yield* checkpoint()
              passed = true
            })
          )
          startedWhenCancelling = started
          yield* tg.cancel()
        })
      )
      expect(startedWhenCancelling).toBe(false)
      expect(started).toBe(true)
      expect(passed).toBe(false)
    })
  )

  // anyio: test_cancelled_not_caught (for a group; test/reference/checkpoint_delivery.py)
  it.autojump(
    "a group body that returns right after tg.cancel() returns its value (no checkpoint followed)",
    () =>
      Effect.gen(function* () {
        let scope: CancelScope | undefined
        const result = yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            scope = tg.cancelScope
            yield* tg.cancel()
            return "value"
          })
        )
        expect(result).toEqual(Option.some("value"))
        expect(scope?.cancelCalled).toBe(true)
        expect(scope?.cancelledCaught).toBe(false)
      })
  )

  it.autojump("a group body that goes on after tg.cancel() without suspending returns its value", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      const result = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          scope = tg.cancelScope
          yield* tg.cancel()
          return yield* Effect.succeed("value")
        })
      )
      expect(result).toEqual(Option.some("value"))
      expect(scope?.cancelledCaught).toBe(false)
    })
  )

  it.autojump("a group body stopped by tg.cancel() at its next suspension gives Option.none()", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      const result = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          scope = tg.cancelScope
          yield* checkpoint()
          yield* tg.cancel()
          yield* checkpoint()
          return yield* Effect.succeed("value")
        })
      )
      expect(result).toEqual(Option.none())
      expect(scope?.cancelledCaught).toBe(true)
    })
  )

  // anyio: test_cancel_with_reason
  it.autojump("tg.cancel(reason) records the reason on the group's scope", () =>
    Effect.gen(function* () {
      let passed = false
      let scope: CancelScope | undefined
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          scope = tg.cancelScope
          yield* tg.cancel("test reason")
          yield* checkpoint()
          passed = true
        })
      )
      expect(passed).toBe(false)
      expect(scope?.cancelCalled).toBe(true)
      expect(scope?.cancelledCaught).toBe(true)
      // AnyIO's reason names the task that called cancel() (here the test's main task)
      expect(scope?.cancelReason).toEqual({
        _tag: "Explicit",
        message: "test reason",
        by: expect.any(String)
      })
      expect(scope?.cancelReasonText).toContain("test reason")
    })
  )

  // anyio: test_cancel_reason
  it.autojump("scope.cancel(reason) records the reason; the text names it", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      const r = yield* cancelScope({}, (s) =>
        Effect.gen(function* () {
          scope = s
          yield* s.cancel("test reason")
          yield* checkpoint()
        })
      )
      expect(Option.isNone(r)).toBe(true)
      expect(scope?.cancelReason).toEqual({
        _tag: "Explicit",
        message: "test reason",
        by: expect.any(String)
      })
      expect(scope?.cancelReasonText).toMatch(/^cancelled explicitly by task '[^']+': test reason$/)
    })
  )

  it.autojump("a scope that was not cancelled has no reason", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      const r = yield* cancelScope({}, (s) => Effect.sync(() => (scope = s)))
      expect(Option.isSome(r)).toBe(true)
      expect(scope?.cancelCalled).toBe(false)
      expect(scope?.cancelReason).toBeUndefined()
      expect(scope?.cancelReasonText).toBeUndefined()
    })
  )

  it.autojump("a scope stopped by its deadline says so in its reason", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      yield* moveOnAfter(1.5, (s) =>
        Effect.andThen(
          Effect.sync(() => (scope = s)),
          sleep(5)
        )
      )
      expect(scope?.cancelReason).toEqual({ _tag: "Deadline", deadline: 1.5 })
      expect(scope?.cancelReasonText).toBe("deadline 1.5s exceeded")
    })
  )

  it.autojump("a group cancelled by a failing task names the task in its reason and in the printout", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      const error = yield* Effect.flip(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            scope = tg.cancelScope
            yield* tg.startSoon(sleep(5), { name: "sleeper" })
            yield* tg.startSoon(Effect.andThen(sleep(1), Effect.fail(new Error("boom"))), {
              name: "crasher"
            })
          })
        )
      )
      expect(scope?.cancelReason?._tag).toBe("TaskFailed")
      expect(scope?.cancelReason?._tag === "TaskFailed" && scope.cancelReason.task).toBe("crasher")
      expect(scope?.cancelReasonText).toBe("task 'crasher' failed: Error: boom")
      expect(error.cancelled).toEqual([{ name: "sleeper", reason: "task 'crasher' failed: Error: boom" }])
      expect(error.pretty()).toContain("(cancelled: task 'sleeper' — task 'crasher' failed: Error: boom)")
    })
  )

  it.autojump(
    "tasks cancelled by an enclosing deadline are noted as cancelled from outside, not by a sibling",
    () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(
          moveOnAfter(
            1,
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                // fails only while being cancelled: its cleanup dies
                yield* tg.startSoon(Effect.ensuring(sleep(5), Effect.die(new Error("cleanup failed"))), {
                  name: "fragile"
                })
                yield* tg.startSoon(sleep(5), { name: "sleeper" })
              })
            )
          )
        )
        // Its only failure is a defect: the group dies with its ExceptionGroup.
        const group = defectsOf(exit)[0]
        expect(isExceptionGroup(group)).toBe(true)
        if (!isExceptionGroup(group)) return
        expect(group.cancelled.map((c) => c.name)).toEqual(["sleeper"])
        expect(group.cancelled[0]?.reason).toContain("outside")
        expect(yield* currentTime()).toBe(1)
      })
  )

  // anyio: test_cancel_scope_in_another_task
  it.autojump("a scope entered by a child can be cancelled by the host", () =>
    Effect.gen(function* () {
      let result = false
      const entered = yield* Deferred.make<CancelScope>()
      let outcome: Option.Option<void> | undefined
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              outcome = yield* cancelScope({}, (s) =>
                Effect.gen(function* () {
                  yield* Deferred.succeed(entered, s)
                  yield* sleep(2)
                  result = true
                })
              )
            })
          )
          const scope = yield* Deferred.await(entered)
          yield* scope.cancel()
        })
      )
      expect(result).toBe(false)
      expect(outcome !== undefined && Option.isNone(outcome)).toBe(true)
      expect(yield* currentTime()).toBe(0)
    })
  )

  it.autojump("a task that wakes the host during its first steps is still waited for by the group", () =>
    Effect.gen(function* () {
      const ready = yield* Deferred.make<void>()
      let taskDone = false
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              yield* Deferred.succeed(ready, undefined) // resumes the waiting host inline
              yield* sleep(1)
              taskDone = true
            })
          )
          yield* Deferred.await(ready)
        })
      )
      expect(taskDone).toBe(true)
      expect(yield* currentTime()).toBe(1)
    })
  )

  // anyio: test_cancel_propagation
  it.autojump("cancelling a group cancels a nested group's body and the code after it", () =>
    Effect.gen(function* () {
      let reachedAfterInner = false
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              yield* createTaskGroup(() => sleep(1))
              reachedAfterInner = true
            })
          )
          yield* checkpoint()
          yield* tg.cancelScope.cancel()
        })
      )
      expect(reachedAfterInner).toBe(false)
      expect(yield* currentTime()).toBe(0)
    })
  )

  // anyio: test_cancel_twice
  it.autojump("the same task can be cancelled by two groups one after the other", () =>
    Effect.gen(function* () {
      let reached = 0
      for (let i = 0; i < 2; i++) {
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.andThen(sleep(0.01), tg.cancelScope.cancel()))
            yield* sleep(1)
            reached++
          })
        )
      }
      expect(reached).toBe(0)
      expect(yield* currentTime()).toBeCloseTo(0.02)
    })
  )

  // anyio: test_cancel_exiting_task_group
  it.autojump("a group waiting for its tasks at exit forwards a cancellation to them", () =>
    Effect.gen(function* () {
      let cancelReceived = false
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            createTaskGroup((tg2) =>
              tg2.startSoon(
                Effect.ensuring(
                  sleep(5),
                  Effect.sync(() => (cancelReceived = true))
                )
              )
            )
          )
          yield* sleep(0.01)
          yield* tg.cancelScope.cancel()
        })
      )
      expect(cancelReceived).toBe(true)
      expect(yield* currentTime()).toBeCloseTo(0.01)
    })
  )

  // anyio: test_cancel_before_entering_scope
  it.autojump("a scope cancelled before it is entered cancels its body on entry and catches it", () =>
    Effect.gen(function* () {
      let reached = false
      const scope = makeCancelScope()
      scope.cancelUnsafe()
      const r = yield* cancelScope(
        scope,
        Effect.andThen(
          sleep(1),
          Effect.sync(() => (reached = true))
        )
      )
      expect(Option.isNone(r)).toBe(true)
      expect(reached).toBe(false)
      expect(scope.cancelledCaught).toBe(true)
      expect(yield* currentTime()).toBe(0)
    })
  )

  it.autojump(
    "a scope cancelled before entry runs its body up to the first suspension and catches there",
    () =>
      Effect.gen(function* () {
        let ran = false
        let after = false
        const scope = makeCancelScope()
        yield* scope.cancel()
        const r = yield* cancelScope(
          scope,
          Effect.sync(() => (ran = true)).pipe(
            Effect.andThen(sleep(1)),
            Effect.andThen(Effect.sync(() => (after = true)))
          )
        )
        // AnyIO: the block runs up to its first checkpoint, which raises.
        expect(ran).toBe(true)
        expect(after).toBe(false)
        expect(Option.isNone(r)).toBe(true)
        expect(scope.cancelledCaught).toBe(true)
        expect(yield* currentTime()).toBe(0)
      })
  )

  it.autojump("a scope cancelled before entry whose body never suspends completes uncaught", () =>
    Effect.gen(function* () {
      const scope = makeCancelScope()
      yield* scope.cancel()
      const r = yield* cancelScope(scope, Effect.succeed(1))
      expect(Option.getOrThrow(r)).toBe(1)
      expect(scope.cancelledCaught).toBe(false)
    })
  )

  // anyio: test_cancel_before_entering_task_group (ported literally; the code after the group runs
  // up to the next suspension, and with none the scope exits uncaught, as AnyIO's: see
  // test/reference/checkpoint_bugs.py, "6")
  it.autojump("an empty task group entered in a cancelled scope does not raise the cancellation", () =>
    Effect.gen(function* () {
      let groupExit: Exit.Exit<unknown, unknown> | undefined
      let afterGroup = false
      const scope = makeCancelScope()
      yield* cancelScope(scope, () =>
        Effect.gen(function* () {
          yield* scope.cancel()
          groupExit = yield* Effect.exit(createTaskGroup(() => Effect.void))
          afterGroup = true
        })
      )
      expect(groupExit !== undefined && Exit.isSuccess(groupExit)).toBe(true)
      expect(afterGroup).toBe(true)
      expect(scope.cancelledCaught).toBe(false)
    })
  )

  // anyio: test_cancel_scope_cleared
  it.autojump("after a scope caught its cancellation, the task goes on uncancelled", () =>
    Effect.gen(function* () {
      yield* moveOnAfter(0.1, sleep(1))
      yield* checkpoint()
      yield* sleep(1)
      expect(yield* currentTime()).toBeCloseTo(1.1)
      expect(yield* currentEffectiveDeadline()).toBe(Number.POSITIVE_INFINITY)
    })
  )

  // anyio: test_cancelled_not_caught
  it.autojump(
    "a scope that cancels itself as its last operation does not catch (no checkpoint followed)",
    () =>
      Effect.gen(function* () {
        let scope: CancelScope | undefined
        const r = yield* cancelScope({}, (s) =>
          Effect.sync(() => (scope = s)).pipe(Effect.andThen(s.cancel()))
        )
        expect(scope?.cancelCalled).toBe(true)
        expect(scope?.cancelledCaught).toBe(false)
        expect(Option.isSome(r)).toBe(true)
      })
  )

  it.autojump("a scope cancelled from another task after its body finished has caught nothing", () =>
    Effect.gen(function* () {
      const scope = makeCancelScope()
      const r = yield* cancelScope(scope, Effect.succeed(1))
      yield* scope.cancel()
      expect(scope.cancelCalled).toBe(true)
      expect(scope.cancelledCaught).toBe(false)
      expect(Option.getOrThrow(r)).toBe(1)
    })
  )

  // test/reference/checkpoint_delivery.py
  it.autojump(
    "a scope cancelled with more code after cancel() runs that code and catches at the next suspension",
    () =>
      Effect.gen(function* () {
        let scope: CancelScope | undefined
        let after = false
        let afterCheckpoint = false
        const r = yield* cancelScope({}, (s) =>
          Effect.gen(function* () {
            scope = s
            yield* s.cancel()
            yield* Effect.sync(() => (after = true))
            yield* checkpoint()
            afterCheckpoint = true
          })
        )
        expect(after).toBe(true)
        expect(afterCheckpoint).toBe(false)
        expect(scope?.cancelledCaught).toBe(true)
        expect(Option.isNone(r)).toBe(true)
      })
  )

  // test/reference/checkpoint_delivery.py
  it.autojump("a scope cancelled after its body suspended once runs on to its end without catching", () =>
    Effect.gen(function* () {
      let after = false
      const scope = makeCancelScope()
      const r = yield* cancelScope(scope, () =>
        Effect.gen(function* () {
          yield* checkpoint()
          yield* scope.cancel()
          yield* Effect.sync(() => (after = true))
        })
      )
      expect(after).toBe(true)
      expect(scope.cancelledCaught).toBe(false)
      expect(Option.isSome(r)).toBe(true)
    })
  )

  // anyio: test_cancelled_scope_based_checkpoint
  it.autojump("a cancelled inner scope does not catch when an enclosing scope is cancelled too", () =>
    Effect.gen(function* () {
      let inner: CancelScope | undefined
      let afterInner = false
      const outer = makeCancelScope()
      const r = yield* cancelScope(outer, () =>
        Effect.gen(function* () {
          // uninterruptible: the inner scope must be entered although `outer` is cancelled
          yield* Effect.uninterruptible(
            Effect.andThen(
              outer.cancel(),
              cancelScope({}, (s) =>
                Effect.andThen(
                  Effect.sync(() => (inner = s)).pipe(Effect.andThen(s.cancel())),
                  sleepForever()
                )
              )
            )
          )
          afterInner = true
        })
      )
      expect(Option.isNone(r)).toBe(true)
      expect(afterInner).toBe(false)
      expect(inner?.cancelCalled).toBe(true)
      expect(inner?.cancelledCaught).toBe(false)
      expect(outer.cancelledCaught).toBe(true)
    })
  )

  // anyio: test_cancelled_raises_beyond_origin_unshielded
  it.autojump("cancelling the outer scope from the inner scope's cleanup: the outer one catches", () =>
    Effect.gen(function* () {
      let inner: CancelScope | undefined
      let afterCheckpoint = false
      let afterInner = false
      const outer = makeCancelScope()
      yield* cancelScope(outer, () =>
        Effect.gen(function* () {
          yield* checkpoint()
          yield* cancelScope({}, (s) =>
            Effect.gen(function* () {
              inner = s
              yield* s.cancel()
              yield* checkpoint()
              afterCheckpoint = true
            }).pipe(Effect.ensuring(outer.cancel()))
          )
          yield* Effect.sync(() => (afterInner = true))
        })
      )
      expect(afterCheckpoint).toBe(false)
      expect(afterInner).toBe(false)
      expect(inner?.cancelledCaught).toBe(false)
      expect(outer.cancelledCaught).toBe(true)
    })
  )

  for (const early of [true, false]) {
    // anyio: test_cancelled_raises_beyond_origin_shielded
    it.autojump(
      `a shielded inner scope catches its own cancellation though the outer is cancelled meanwhile (${early ? "in the body's first steps" : "after a checkpoint"})`,
      () =>
        Effect.gen(function* () {
          let inner: CancelScope | undefined
          let afterCheckpoint = false
          let codeBetweenScopesRan = false
          const outer = makeCancelScope()
          yield* cancelScope(outer, () =>
            Effect.gen(function* () {
              yield* checkpoint()
              yield* cancelScope({ shield: true }, (s) =>
                Effect.gen(function* () {
                  inner = s
                  if (!early) yield* checkpoint()
                  yield* s.cancel()
                  yield* checkpoint()
                  afterCheckpoint = true
                }).pipe(Effect.ensuring(outer.cancel()))
              )
              yield* Effect.sync(() => (codeBetweenScopesRan = true))
            })
          )
          expect(afterCheckpoint).toBe(false)
          // as AnyIO: the code between the scopes runs (no suspension came before it)...
          expect(codeBetweenScopesRan).toBe(true)
          // ...the inner scope caught (its own cancel stopped the body)...
          expect(inner?.cancelledCaught).toBe(true)
          // ...and the outer did not (no checkpoint followed its cancellation)
          expect(outer.cancelledCaught).toBe(false)
        })
    )
  }

  // anyio: test_cancel_scope_in_child_task
  it.autojump("cancelling a child's own scope does not cancel the group", () =>
    Effect.gen(function* () {
      let hostDone = false
      let groupScope: CancelScope | undefined
      const childScope = makeCancelScope()
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          groupScope = tg.cancelScope
          yield* tg.startSoon(cancelScope(childScope, sleep(2)))
          yield* sleep(0.01)
          yield* childScope.cancel()
          yield* sleep(0.1)
          hostDone = true
        })
      )
      expect(hostDone).toBe(true)
      expect(childScope.cancelledCaught).toBe(true)
      expect(groupScope?.cancelCalled).toBe(false)
      expect(yield* currentTime()).toBeCloseTo(0.11)
    })
  )

  // anyio: test_cancel_cascade
  it.autojump("cancelling a group cancels the tasks of a group nested in a task", () =>
    Effect.gen(function* () {
      let reached = false
      let nestedSleepDone = false
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              yield* createTaskGroup((tg2) =>
                tg2.startSoon(
                  Effect.andThen(
                    sleep(1),
                    Effect.sync(() => (nestedSleepDone = true))
                  ),
                  {
                    name: "sleep"
                  }
                )
              )
              reached = true
            }),
            { name: "do_something" }
          )
          yield* sleep(0.01)
          yield* tg.cancelScope.cancel()
        })
      )
      expect(reached).toBe(false)
      expect(nestedSleepDone).toBe(false)
      expect(yield* currentTime()).toBeCloseTo(0.01)
    })
  )

  // anyio: test_cancelled_parent
  it.autojump(
    "a task spawned into a cancelled group by a sibling is cancelled and its error never raised",
    () =>
      Effect.gen(function* () {
        let childStarted = false
        const child = Effect.gen(function* () {
          childStarted = true
          yield* cancelScope({}, sleep(1))
          return yield* Effect.fail(new Error("foo"))
        })
        const exit = yield* Effect.exit(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon((g: typeof tg) => g.startSoon(child), tg)
              yield* tg.cancelScope.cancel()
            })
          )
        )
        expect(childStarted).toBe(true)
        expect(Exit.isSuccess(exit)).toBe(true)
        expect(yield* currentTime()).toBe(0)
      })
  )

  // anyio: test_cancel_with_nested_task_groups
  it.autojump("a shielded scope two groups down keeps running when the outer group is cancelled", () =>
    Effect.gen(function* () {
      let shieldedDone = false
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            createTaskGroup((middle) =>
              middle.startSoon(
                cancelScope(
                  { shield: true },
                  Effect.andThen(
                    sleep(0.5),
                    Effect.sync(() => (shieldedDone = true))
                  )
                ),
                { name: "shield task" }
              )
            ),
            { name: "middle task" }
          )
          yield* waitAllTasksBlocked()
          yield* tg.cancelScope.cancel()
        })
      )
      expect(shieldedDone).toBe(true)
      expect(yield* currentTime()).toBeCloseTo(0.5)
    })
  )

  // anyio: test_cancel_propagation_with_inner_spawn
  it.autojump("cancelling a group cancels a nested group's body and its tasks", () =>
    Effect.gen(function* () {
      let reached = false
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              yield* createTaskGroup((tg2) => Effect.andThen(tg2.startSoon(sleep(10)), sleep(1)))
              reached = true
            })
          )
          yield* sleep(0.01)
          yield* tg.cancelScope.cancel()
        })
      )
      expect(reached).toBe(false)
      expect(yield* currentTime()).toBeCloseTo(0.01)
    })
  )

  // anyio: test_cancel_child_task_when_host_is_shielded
  it.autojump("a shielded host does not shield its group's tasks from an enclosing cancellation", () =>
    Effect.gen(function* () {
      const cancelled = yield* Deferred.make<void>()
      const parent = makeCancelScope()
      const r = yield* cancelScope(
        parent,
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.onInterrupt(sleepForever(), () => Deferred.succeed(cancelled, undefined))
            )
            yield* sleep(0.01)
            yield* cancelScope(
              { shield: true },
              failAfter(1, Effect.andThen(parent.cancel(), Deferred.await(cancelled)))
            )
          })
        )
      )
      expect(Option.isNone(r)).toBe(true)
      expect(parent.cancelledCaught).toBe(true)
      expect(yield* currentTime()).toBeCloseTo(0.01)
    })
  )

  // anyio: test_propagate_native_cancellation_from_taskgroup
  it.autojump("an Effect interruption of a fiber running a group cancels the group and propagates", () =>
    Effect.gen(function* () {
      let childDone = false
      const fiber = yield* Effect.forkChild(
        createTaskGroup((tg) =>
          tg.startSoon(
            Effect.andThen(
              sleep(2),
              Effect.sync(() => (childDone = true))
            )
          )
        )
      )
      yield* sleep(0.5)
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      expect(isInterruptOnly(exit)).toBe(true)
      expect(childDone).toBe(false)
      expect(yield* currentTime()).toBe(0.5)
    })
  )

  it.autojump("an Effect interruption from outside is not caught by a scope inside", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      const fiber = yield* Effect.forkChild(
        cancelScope({}, (s) =>
          Effect.andThen(
            Effect.sync(() => (scope = s)),
            sleep(2)
          )
        )
      )
      yield* sleep(0.5)
      yield* Fiber.interrupt(fiber)
      expect(isInterruptOnly(yield* Fiber.await(fiber))).toBe(true)
      expect(scope?.cancelCalled).toBe(false)
      expect(scope?.cancelledCaught).toBe(false)
    })
  )
})
