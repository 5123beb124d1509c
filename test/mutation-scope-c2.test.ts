/**
 * Tests written to kill the last survivors of scope.ts (issue 20, test/MUTATION.md, scope parts b
 * and c): the shield setter on an exited scope and what it delivers, the rule-8 branch for a
 * cancellation that reached a scope from outside, a pending cancellation in an uninterruptible
 * region and the annotation it lands with, and a repeated outer delivery to a waiting host.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import {
  type CancelScope,
  cancelScope,
  checkpointIfCancelled,
  createTaskGroup,
  moveOnAfter,
  sleep,
  sleepForever,
  type TaskGroup,
  type TaskStatus
} from "../src/index.ts"
import { Lock } from "../src/Lock.ts"
import { autojump } from "../src/Testing.ts"

describe("the shield setter", () => {
  // Mutant `scope.state !== ACTIVE → false` in setShield: turning the shield off after the exit
  // would deliver to the exited group, whose exit wait would then cancel its own scope.
  it.effect("on an exited scope it delivers nothing (the exited group's scope stays uncancelled)", () =>
    autojump(
      Effect.gen(function* () {
        let group: CancelScope | undefined
        yield* cancelScope({}, (a) =>
          Effect.gen(function* () {
            yield* createTaskGroup((tg) =>
              Effect.sync(() => {
                group = tg.cancelScope
                tg.cancelScope.shield = true
              })
            )
            yield* a.cancel()
            group!.shield = false
            expect(group!.cancelCalled).toBe(false)
            yield* sleep(1)
          })
        )
        expect(group!.cancelCalled).toBe(false)
        expect(group!.cancelledCaught).toBe(false)
      })
    )
  )

  // Mutant `status.outer || enclosing… → &&`: a shielded scope entered inside an already cancelled
  // scope was reached by no delivery (`outer` is false); turning its shield off exposes the
  // enclosing cancellation all the same (AnyIO: the next checkpoint raises).
  it.effect("off, it exposes an enclosing cancellation that no delivery brought (entered after it)", () =>
    autojump(
      Effect.gen(function* () {
        const seen: Array<string> = []
        // The scope is entered in the finalizer of the body its deadline interrupted: no delivery
        // comes after its entry.
        yield* moveOnAfter(1, () =>
          Effect.onInterrupt(sleepForever(), () =>
            cancelScope({ shield: true }, (s) =>
              Effect.gen(function* () {
                yield* sleep(1)
                seen.push("shielded sleep")
                s.shield = false
                seen.push("shield off")
                yield* sleep(1)
                seen.push("unshielded sleep")
              })
            )
          )
        )
        expect(seen).toEqual(["shielded sleep", "shield off"])
      })
    )
  )

  // Mutant `status.outer → false`: a foreign interruption of the host (here `Fiber.interrupt`)
  // reached the shielded scope (`outer`) and no enclosing scope is cancelled; turning the shield
  // off must deliver it.
  it.effect("off, it delivers a foreign interruption of the host that it held back", () =>
    autojump(
      Effect.gen(function* () {
        const seen: Array<string> = []
        const fiber = yield* Effect.forkChild(
          cancelScope({ shield: true }, (s) =>
            Effect.gen(function* () {
              yield* sleep(2)
              seen.push("shielded sleep")
              s.shield = false
              yield* sleep(1)
              seen.push("unshielded sleep")
            })
          )
        )
        yield* sleep(1)
        yield* Fiber.interrupt(fiber)
        expect(seen).toEqual(["shielded sleep"])
      })
    )
  )

  // Mutant `deliver(status, false) → true`: the held outer cancellation would be delivered as the
  // group's own, so a task it cancels would name the group (whose exit cancels it explicitly)
  // instead of "from outside".
  it.effect("off, it delivers the held outer cancellation as one from outside, not the scope's own", () =>
    autojump(
      Effect.gen(function* () {
        let handle: { readonly join: Effect.Effect<unknown, { readonly _tag: string }> } | undefined
        yield* cancelScope({}, (a) =>
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              tg.cancelScope.shield = true
              handle = yield* tg.createTask(sleepForever())
              yield* tg.startSoon(
                Effect.gen(function* () {
                  yield* sleep(1)
                  yield* a.cancel()
                  yield* sleep(1)
                  tg.cancelScope.shield = false
                  yield* sleep(1)
                })
              )
            })
          )
        )
        const e = yield* Effect.flip(handle!.join)
        const reason = (e as { reason?: string }).reason
        expect(e._tag).toBe("TaskCancelled")
        expect(reason).toBe("cancelled from outside (an enclosing scope or fiber interruption)")
      })
    )
  )
})

describe("rule 8 for a cancellation that reached a group from outside", () => {
  /**
   * The group's host is interrupted by `Fiber.interrupt` while it waits (`outer` set, no enclosing
   * scope cancelled, the group's own scope not cancelled yet: its body is uninterruptible); then a task of the group, in its interrupt finalizer, starts `task`.
   */
  const startedAfterForeignInterrupt = (task: (tg: TaskGroup) => Effect.Effect<void>) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(
        createTaskGroup((tg) =>
          Effect.andThen(
            tg.startSoon(Effect.onInterrupt(sleepForever(), () => tg.startSoon(task(tg)))),
            // The body goes on (so the group's exit does not cancel the group's own scope yet).
            Effect.uninterruptible(sleep(3))
          )
        )
      )
      yield* sleep(1)
      yield* Fiber.interrupt(fiber)
    })

  // Mutants `receivesOuter(status) → false` and `interruptFiber(fiber, undefined)` removed in
  // `interruptIfCancelled`: the task would not be cancelled at its first suspension.
  it.effect("a task begun afterwards is cancelled at its first suspension", () =>
    autojump(
      Effect.gen(function* () {
        const seen: Array<string> = []
        yield* startedAfterForeignInterrupt(() =>
          Effect.gen(function* () {
            seen.push("began")
            yield* sleep(1)
            seen.push("slept")
          })
        )
        yield* sleep(5)
        expect(seen).toEqual(["began"])
      })
    )
  )

  // Mutant `if (now) → true`: the task, waiting on a shielded scope when rule 8 reaches it, would
  // be interrupted directly rather than forwarded into its scope (rule 3): the code after its
  // shielded scope would not run up to its next suspension.
  it.effect("a task waiting on a shielded scope runs the code after it up to its next suspension", () =>
    autojump(
      Effect.gen(function* () {
        const seen: Array<string> = []
        yield* startedAfterForeignInterrupt(() =>
          Effect.gen(function* () {
            yield* cancelScope(
              { shield: true },
              Effect.andThen(sleep(1), () => Effect.sync(() => seen.push("shielded sleep")))
            )
            seen.push("after the shielded scope")
            yield* sleep(1)
            seen.push("slept")
          })
        )
        yield* sleep(5)
        expect(seen).toEqual(["shielded sleep", "after the shielded scope"])
      })
    )
  )
  // Mutant `if (now) → false`: `checkpointIfCancelled` would only schedule the interruption, so the
  // task's synchronous code after it would still run.
  it.effect("checkpointIfCancelled in a task begun afterwards raises it at once", () =>
    autojump(
      Effect.gen(function* () {
        const seen: Array<string> = []
        yield* startedAfterForeignInterrupt(() =>
          Effect.gen(function* () {
            seen.push("began")
            yield* checkpointIfCancelled()
            seen.push("after checkpointIfCancelled")
          })
        )
        yield* sleep(5)
        expect(seen).toEqual(["began"])
      })
    )
  )
})

describe("a pending cancellation before an operation that need not wait", () => {
  // Mutant `interruptible !== true → false` in pendingCancellation: in an uninterruptible region
  // (an Effect finalizer) the operation goes on, as everything there does.
  it.effect("in an uninterruptible region the operation goes on", () =>
    autojump(
      Effect.gen(function* () {
        const lock = new Lock({ fastAcquire: false })
        let acquired = false
        yield* cancelScope({}, (s) =>
          Effect.gen(function* () {
            yield* s.cancel()
            yield* Effect.uninterruptible(
              Effect.gen(function* () {
                yield* lock.acquire()
                acquired = true
                yield* lock.release()
              })
            )
          })
        )
        expect(acquired).toBe(true)
        expect(lock.locked()).toBe(false)
      })
    )
  )

  // Mutant `interruptIfCancelled(status, fiber, true) → false` in raisePending: the interruption
  // would be scheduled and the operation fail with a bare `Effect.interrupt`, without the
  // annotation that names the scope: a task handle would then read "from outside".
  it.effect("it lands with the annotation naming the cancelled scope", () =>
    autojump(
      Effect.gen(function* () {
        const lock = new Lock({ fastAcquire: false })
        let handle: { readonly join: Effect.Effect<unknown, { readonly _tag: string }> } | undefined
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.cancelScope.cancel("stop")
            handle = yield* tg.createTask(
              Effect.gen(function* () {
                yield* lock.acquire()
                yield* sleep(1)
              })
            )
          })
        )
        const e = yield* Effect.flip(handle!.join)
        expect(e._tag).toBe("TaskCancelled")
        expect((e as { reason?: string }).reason).toMatch(/explicitly.*stop/)
      })
    )
  )
})

describe("a repeated outer delivery to a waiting host", () => {
  // Mutant `!waitingOn.outer → true` in interruptSuspended: a second outer cancellation reaching a
  // host that waits on a group already reached would deliver to the group again, and mark the task
  // begun in between (cancelled by the first, its reason from its interruption) "from outside".
  it.effect("delivers nothing new: a task begun after the first keeps the reason it was cancelled for", () =>
    autojump(
      Effect.gen(function* () {
        let handle: { readonly join: Effect.Effect<unknown, { readonly _tag: string }> } | undefined
        yield* moveOnAfter(2, () =>
          moveOnAfter(1, () =>
            createTaskGroup((tg) =>
              tg.startSoon(
                Effect.onInterrupt(sleepForever(), () =>
                  Effect.gen(function* () {
                    handle = yield* tg.createTask(Effect.uninterruptible(sleep(5)))
                  })
                )
              )
            )
          )
        )
        const e = yield* Effect.flip(handle!.join)
        expect(e._tag).toBe("TaskCancelled")
        expect((e as { reason?: string }).reason).toBe("cancelled explicitly by task 'main'")
      })
    )
  )
})

describe("a cancellation recorded twice", () => {
  // Mutant `if (scope.cancelCalled) return false → true` in markCancelled: a second `cancel()` of a
  // cancelled scope would deliver it again. The group's own `cancel()` for its first failure can
  // find the scope cancelled: the failing task's `onDone` resumes a cancelled `start()` caller
  // synchronously, whose finalizer cancels the group. Meanwhile a task interrupted by that
  // cancellation entered a scope in its finalizer (its body cancelled on entry, rule 8, and
  // uninterruptible); the repeated delivery would be forwarded into that scope as an outer one and
  // interrupt its body a second time (a second `Interrupt` in its cause).
  it.effect("a group whose scope was cancelled during its failing task's exit delivers nothing more", () =>
    autojump(
      Effect.gen(function* () {
        let reasons: Array<string> | undefined
        const exit = yield* Effect.exit(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                Effect.onInterrupt(sleepForever(), () =>
                  Effect.gen(function* () {
                    const e = yield* Effect.exit(cancelScope({}, Effect.uninterruptible(sleep(1))))
                    reasons = e._tag === "Failure" ? e.cause.reasons.map((r) => r._tag) : ["Success"]
                  })
                )
              )
              yield* tg.startSoon(
                moveOnAfter(1, () =>
                  Effect.onInterrupt(
                    tg.start((status: TaskStatus) =>
                      Effect.onInterrupt(sleepForever(), () =>
                        Effect.gen(function* () {
                          yield* status.started()
                          yield* sleep(1)
                          yield* Effect.die("boom")
                        })
                      )
                    ),
                    () => tg.cancelScope.cancel("by the start caller")
                  )
                )
              )
            })
          )
        )
        expect(exit._tag).toBe("Failure")
        expect(reasons).toEqual(["Interrupt"])
      })
    )
  )
})

describe("a group's own cancellation on exit (cancelOnGroupExit)", () => {
  // Mutants `receivesOuter(status) → true` and `cancel(…)` removed: a body interrupted by something
  // outside effect-anyio (here it interrupts itself) cancels the group, delivered to its tasks.
  it.effect("after a body interrupted from outside effect-anyio, it is delivered to the tasks", () =>
    autojump(
      Effect.gen(function* () {
        const seen: Array<string> = []
        let group: CancelScope | undefined
        yield* Effect.exit(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              group = tg.cancelScope
              yield* tg.startSoon(Effect.andThen(sleep(1), () => Effect.sync(() => seen.push("task slept"))))
              // The task has begun (a task begun later is cancelled by rule 8 anyway).
              yield* sleep(0.5)
              yield* Effect.interrupt
            })
          )
        )
        expect(group!.cancelCalled).toBe(true)
        expect(seen).toEqual([])
      })
    )
  )

  // Mutant `receivesOuter(status) → false`: when the outer cancellation reached the group, its
  // fibers got it already and only the record is made; delivering the group's own cancellation
  // (from the host body's exit, inside the outer delivery) would make its tasks read "cancelled
  // explicitly" by the group instead of "from outside".
  it.effect(
    "after an outer cancellation, only the record is made: the tasks were cancelled from outside",
    () =>
      autojump(
        Effect.gen(function* () {
          let handle: { readonly join: Effect.Effect<unknown, { readonly _tag: string }> } | undefined
          let group: CancelScope | undefined
          yield* moveOnAfter(1, () =>
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                group = tg.cancelScope
                handle = yield* tg.createTask(sleepForever())
                yield* sleepForever()
              })
            )
          )
          expect(group!.cancelCalled).toBe(true)
          const e = yield* Effect.flip(handle!.join)
          expect(e._tag).toBe("TaskCancelled")
          expect((e as { reason?: string }).reason).toBe(
            "cancelled from outside (an enclosing scope or fiber interruption)"
          )
        })
      )
  )
})
