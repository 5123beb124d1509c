/**
 * Tests of the synchronization primitives. Every test ported from AnyIO's tests/test_synchronization.py
 * names its origin in a `// anyio:` comment. Concurrency uses plain Effect fibers (each forked fiber is
 * its own AnyIO task), no task group; no test depends on time.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Scope } from "effect"
import fc from "fast-check"
import { CapacityLimiter } from "../src/CapacityLimiter.ts"
import { Condition } from "../src/Condition.ts"
import { BusyResourceError, InvalidArgumentError, RuntimeError, WouldBlock } from "../src/Errors.ts"
import { Event } from "../src/Event.ts"
import { CurrentTask, makeTask } from "../src/internal/task.ts"
import { setScheduledWakeups } from "../src/internal/waiters.ts"
import { Lock } from "../src/Lock.ts"
import { ResourceGuard } from "../src/ResourceGuard.ts"
import { Semaphore } from "../src/Semaphore.ts"

// ---------------------------------------------------------------------------------------------------
// helpers

/** Lets every runnable fiber run until it blocks (the stand-in for AnyIO's `wait_all_tasks_blocked`). */
const settle = (n = 20): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (let i = 0; i < n; i++) yield* Effect.yieldNow
  })

/** Runs `effect` as the task named `name`. */
const asTask =
  (name: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.provideService(effect, CurrentTask, makeTask(name, undefined))

/** Runs `effect` with every wake-up scheduled instead of inline (opens the grant-then-cancel window). */
const scheduledWakeups = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => setScheduledWakeups(true)),
    () => effect,
    (previous) => Effect.sync(() => setScheduledWakeups(previous))
  )

const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown => {
  if (!Exit.isFailure(exit)) return undefined
  const die = exit.cause.reasons.find(Cause.isDieReason)
  return die?.defect
}

const expectDefect = (
  exit: Exit.Exit<unknown, unknown>,
  type: typeof RuntimeError | typeof InvalidArgumentError,
  message: RegExp
): void => {
  const defect = defectOf(exit)
  expect(defect).toBeInstanceOf(type)
  expect((defect as { message: string }).message).toMatch(message)
}

const expectFailure = (exit: Exit.Exit<unknown, unknown>, type: new (...args: never) => unknown): void => {
  expect(Exit.isFailure(exit)).toBe(true)
  if (Exit.isFailure(exit)) {
    const fail = exit.cause.reasons.find(Cause.isFailReason)
    expect(fail?.error).toBeInstanceOf(type)
  }
}

const isDone = (fiber: Fiber.Fiber<unknown, unknown>): boolean => fiber.pollUnsafe() !== undefined

const expectThrows = (f: () => unknown, message: RegExp): void => {
  let thrown: unknown
  try {
    f()
  } catch (e) {
    thrown = e
  }
  expect(thrown).toBeInstanceOf(InvalidArgumentError)
  expect((thrown as InvalidArgumentError).message).toMatch(message)
}

// Built outside of any running program, on purpose.
const moduleLock = new Lock()
const moduleEvent = new Event()
const moduleCondition = new Condition()
const moduleSemaphore = new Semaphore(1, { maxValue: 3 })
const moduleLimiter = new CapacityLimiter(1)

// ---------------------------------------------------------------------------------------------------

describe("Lock", () => {
  // anyio: TestLock.test_contextmanager
  it.effect("withLock: a second task waits until the holder leaves", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      const results: Array<string> = []
      let sawLocked = false
      const task = Effect.suspend(() => {
        sawLocked = lock.locked()
        return lock.withLock(Effect.sync(() => results.push("2")))
      })
      const fiber = yield* lock.withLock(
        Effect.gen(function* () {
          const f = yield* Effect.forkChild(task)
          yield* settle()
          results.push("1")
          return f
        })
      )
      yield* Fiber.join(fiber)
      expect(sawLocked).toBe(true)
      expect(lock.locked()).toBe(false)
      expect(results).toEqual(["1", "2"])
    })
  )

  // anyio: TestLock.test_manual_acquire
  it.effect("acquire/release by hand", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      const results: Array<string> = []
      let sawLocked = false
      const task = Effect.gen(function* () {
        sawLocked = lock.locked()
        yield* lock.acquire()
        results.push("2")
        yield* lock.release()
      })
      yield* lock.acquire()
      const fiber = yield* Effect.forkChild(task)
      yield* settle()
      results.push("1")
      yield* lock.release()
      yield* Fiber.join(fiber)
      expect(sawLocked).toBe(true)
      expect(lock.locked()).toBe(false)
      expect(results).toEqual(["1", "2"])
    })
  )

  // anyio: TestLock.test_fast_acquire
  it.effect("fastAcquire: an uncontended acquire does not yield", () =>
    Effect.gen(function* () {
      const lock = new Lock({ fastAcquire: true })
      let otherRan = false
      yield* Effect.forkChild(Effect.sync(() => (otherRan = true)))
      const seen = yield* lock.withLock(Effect.sync(() => otherRan))
      expect(seen).toBe(false)
      yield* lock.acquire()
      expect(otherRan).toBe(false)
      yield* lock.release()
    })
  )

  it.effect("default: an uncontended acquire is a checkpoint (yields once)", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      let otherRan = false
      yield* Effect.forkChild(Effect.sync(() => (otherRan = true)))
      yield* lock.acquire()
      expect(otherRan).toBe(true)
      yield* lock.release()
      otherRan = false
      yield* Effect.forkChild(Effect.sync(() => (otherRan = true)))
      expect(yield* lock.withLock(Effect.sync(() => otherRan))).toBe(true)
    })
  )

  it.effect("cancelled at the checkpoint of an uncontended acquire: the lock is not held", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      const fiber = yield* Effect.forkChild(lock.acquire(), { startImmediately: true })
      expect(lock.locked()).toBe(true) // taken, now yielding
      yield* Fiber.interrupt(fiber)
      expect(lock.locked()).toBe(false)
    })
  )

  it.effect(
    "withLock cancelled at its (cancel-shielded) checkpoint: the body never runs, the lock is freed",
    () =>
      Effect.gen(function* () {
        for (const make of [() => new Lock(), () => new Semaphore(1), () => new CapacityLimiter(1)]) {
          const primitive = make()
          let ran = false
          const body = Effect.sync(() => (ran = true))
          const guarded =
            primitive instanceof Lock
              ? primitive.withLock(body)
              : primitive instanceof Semaphore
                ? primitive.withPermit(body)
                : primitive.withToken(body)
          const fiber = yield* Effect.forkChild(guarded, { startImmediately: true })
          expect(isDone(fiber)).toBe(false) // holding it, yielding once
          yield* Fiber.interrupt(fiber)
          expect(ran).toBe(false)
          expect(Exit.hasInterrupts(fiber.pollUnsafe()!)).toBe(true)
          if (primitive instanceof Lock) expect(primitive.locked()).toBe(false)
          else if (primitive instanceof Semaphore) expect(primitive.value).toBe(1)
          else expect(primitive.borrowedTokens).toBe(0)
        }
      })
  )

  // anyio: TestLock.test_acquire_nowait
  it.effect("acquireNowait takes a free lock", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      yield* lock.acquireNowait()
      expect(lock.locked()).toBe(true)
    })
  )

  // anyio: TestLock.test_acquire_nowait_wouldblock
  it.effect("acquireNowait fails with WouldBlock when another task holds the lock", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      const exit = yield* lock.withLock(
        Effect.forkChild(Effect.exit(lock.acquireNowait())).pipe(Effect.flatMap(Fiber.join))
      )
      expectFailure(exit, WouldBlock)
      expect(lock.locked()).toBe(false)
    })
  )

  // anyio: TestLock.test_acquire_twice_async (fast_acquire True and False)
  for (const fastAcquire of [true, false]) {
    it.effect(`acquiring a held lock again dies with RuntimeError (fastAcquire ${fastAcquire})`, () =>
      Effect.gen(function* () {
        const lock = new Lock({ fastAcquire })
        yield* lock.acquire()
        expectDefect(
          yield* Effect.exit(lock.acquire()),
          RuntimeError,
          /Attempted to acquire an already held Lock/
        )
        expectDefect(
          yield* Effect.exit(lock.withLock(Effect.void)),
          RuntimeError,
          /Attempted to acquire an already held Lock/
        )
        expect(lock.statistics().tasksWaiting).toBe(0)
      })
    )
  }

  // anyio: TestLock.test_acquire_twice_sync
  it.effect("acquireNowait on a lock the task holds dies with RuntimeError", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      yield* lock.acquireNowait()
      expectDefect(yield* Effect.exit(lock.acquireNowait()), RuntimeError, /already held Lock/)
    })
  )

  it.effect("releasing a lock the task does not hold dies with RuntimeError", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      expectDefect(yield* Effect.exit(lock.release()), RuntimeError, /not holding this lock/)
      yield* lock.acquire()
      const other = yield* Effect.forkChild(Effect.exit(lock.release()))
      expectDefect(yield* Fiber.join(other), RuntimeError, /not holding this lock/)
      expect(lock.locked()).toBe(true)
      // releasing inside withLock makes the implicit release at the end fail loudly
      yield* lock.release()
      expectDefect(yield* Effect.exit(lock.withLock(lock.release())), RuntimeError, /not holding this lock/)
    })
  )

  // anyio: TestLock.test_cancel_during_acquire (releaselast, releasefirst)
  for (const releaseFirst of [false, true]) {
    it.effect(`a waiter cancelled during acquire never gets the lock (releaseFirst ${releaseFirst})`, () =>
      Effect.gen(function* () {
        const lock = new Lock()
        let acquired = false
        yield* lock.acquire()
        const fiber = yield* Effect.forkChild(lock.withLock(Effect.sync(() => (acquired = true))))
        yield* settle()
        fiber.interruptUnsafe()
        if (releaseFirst) {
          yield* lock.release()
          yield* settle()
        } else {
          yield* settle()
          yield* lock.release()
        }
        yield* Fiber.await(fiber)
        expect(acquired).toBe(false)
        expect(lock.locked()).toBe(false)
      })
    )
  }

  // anyio: TestLock.test_statistics
  it.effect("statistics", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      expect(lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 })
      const waiters: Array<Fiber.Fiber<void>> = []
      yield* asTask("holder")(
        lock.withLock(
          Effect.gen(function* () {
            const stats = lock.statistics()
            expect(stats.locked).toBe(true)
            expect(stats.owner?.name).toBe("holder")
            expect(stats.tasksWaiting).toBe(0)
            for (let i = 1; i < 3; i++) {
              // a fiber forked by "holder" would be the same task: give each waiter its own
              waiters.push(yield* Effect.forkChild(asTask(`waiter${i}`)(lock.withLock(Effect.void))))
              yield* settle()
              expect(lock.statistics().tasksWaiting).toBe(i)
            }
          })
        )
      )
      yield* Fiber.joinAll(waiters)
      expect(lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 })
    })
  )

  // anyio: TestLock.test_asyncio_deadlock
  it.effect("cancelling the holder while another task waits does not deadlock", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      const body = lock.withLock(Effect.yieldNow)
      const task1 = yield* Effect.forkChild(body, { startImmediately: true })
      const task2 = yield* Effect.forkChild(body, { startImmediately: true })
      yield* Fiber.interrupt(task1)
      yield* settle()
      expect(isDone(task2)).toBe(true)
      expect(lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 })
    })
  )

  // anyio: TestLock.test_cancel_after_release (the window between hand-off and resumption)
  it.effect("a waiter cancelled after the lock was handed to it passes the lock on", () =>
    scheduledWakeups(
      Effect.gen(function* () {
        const lock = new Lock()
        yield* lock.acquireNowait()
        const task1 = yield* Effect.forkChild(asTask("task1")(lock.acquire()))
        yield* settle()
        yield* lock.release()
        expect(lock.statistics().owner?.name).toBe("task1") // handed over, not yet resumed
        yield* Fiber.interrupt(task1)
        expect(lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 })
        yield* lock.acquireNowait()
      })
    )
  )

  it.effect("a lock handed over, then cancelled, goes to the next waiter in line", () =>
    scheduledWakeups(
      Effect.gen(function* () {
        const lock = new Lock()
        yield* lock.acquireNowait()
        const task1 = yield* Effect.forkChild(asTask("task1")(lock.acquire()))
        yield* settle()
        const task2 = yield* Effect.forkChild(asTask("task2")(lock.withLock(Effect.never)))
        yield* settle()
        yield* lock.release()
        yield* Fiber.interrupt(task1)
        expect(lock.statistics().owner?.name).toBe("task2")
        yield* settle()
        expect(isDone(task2)).toBe(false) // inside its body
        yield* Fiber.interrupt(task2)
        expect(lock.locked()).toBe(false)
      })
    )
  )

  it.effect("a hand-off that already happened wins over a later cancellation", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      yield* lock.acquireNowait()
      let acquired = false
      const task1 = yield* Effect.forkChild(
        lock.acquire().pipe(
          Effect.tap(() => Effect.sync(() => (acquired = true))),
          Effect.andThen(Effect.never),
          Effect.ensuring(lock.release())
        )
      )
      yield* settle()
      yield* lock.release()
      yield* Fiber.interrupt(task1)
      expect(acquired).toBe(true)
      expect(lock.locked()).toBe(false)
    })
  )

  // anyio: TestLock.test_cancelled_after_acquire
  it.effect("a waiter cancelled before the release leaves the queue", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      yield* lock.acquireNowait()
      const task1 = yield* Effect.forkChild(lock.acquire())
      yield* settle()
      task1.interruptUnsafe()
      yield* lock.release()
      expect(lock.statistics().tasksWaiting).toBe(0)
      yield* lock.acquire()
      expect(lock.locked()).toBe(true)
    })
  )

  // anyio: TestLock.test_instantiate_outside_event_loop
  it("can be created outside of any running program", async () => {
    expect(moduleLock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 })
    await Effect.runPromise(moduleLock.withLock(Effect.void))
    expect(moduleLock.locked()).toBe(false)
  })

  // anyio: TestLock.test_owner_after_release
  it.effect("the owner is the waiter the lock was handed to", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      const event = new Event()
      const owners: Array<string | undefined> = []
      const task1 = yield* Effect.forkChild(
        asTask("task1")(
          Effect.gen(function* () {
            yield* lock.acquire()
            owners.push(lock.statistics().owner?.name)
            yield* event.wait()
            yield* lock.release()
            owners.push(lock.statistics().owner?.name)
          })
        )
      )
      yield* settle()
      const task2 = yield* Effect.forkChild(asTask("task2")(lock.acquire()))
      yield* settle()
      yield* event.set()
      yield* Fiber.join(task1)
      yield* Fiber.join(task2)
      expect(owners).toEqual(["task1", "task2"])
    })
  )

  it.effect("fibers of the same task share the ownership", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      yield* asTask("same")(
        Effect.gen(function* () {
          yield* lock.acquire()
          // a plain child fiber inherits the task: it may release, and acquiring again is re-entry
          yield* Effect.forkChild(lock.release()).pipe(Effect.flatMap(Fiber.join))
          expect(lock.locked()).toBe(false)
        })
      )
    })
  )

  it.effect("acquireScoped releases when the scope closes", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* lock.acquireScoped()
          expect(lock.locked()).toBe(true)
        })
      )
      expect(lock.locked()).toBe(false)
      // works with Effect.acquireRelease-style resource code: waiting stays interruptible
      const scope = yield* Scope.make()
      yield* lock.acquire()
      const waiting = yield* Effect.forkChild(Scope.provide(lock.acquireScoped(), scope))
      yield* settle()
      expect(lock.statistics().tasksWaiting).toBe(1)
      yield* Fiber.interrupt(waiting)
      expect(lock.statistics().tasksWaiting).toBe(0)
      yield* lock.release()
      yield* Scope.close(scope, Exit.void)
      expect(lock.locked()).toBe(false)
    })
  )

  it.effect("withLock releases on failure, defect and interruption of the body", () =>
    Effect.gen(function* () {
      const lock = new Lock({ fastAcquire: true })
      expect(yield* Effect.exit(lock.withLock(Effect.fail("boom")))).toEqual(Exit.fail("boom"))
      expect(lock.locked()).toBe(false)
      yield* Effect.exit(lock.withLock(Effect.die("bug")))
      expect(lock.locked()).toBe(false)
      const fiber = yield* Effect.forkChild(lock.withLock(Effect.never), { startImmediately: true })
      expect(lock.locked()).toBe(true)
      yield* Fiber.interrupt(fiber)
      expect(lock.locked()).toBe(false)
    })
  )
})

// ---------------------------------------------------------------------------------------------------

describe("Event", () => {
  // anyio: TestEvent.test_event
  it.effect("wait returns once another task sets the event", () =>
    Effect.gen(function* () {
      const event = new Event()
      let sawUnset = false
      yield* Effect.forkChild(
        Effect.suspend(() => {
          sawUnset = !event.isSet()
          return event.set()
        })
      )
      yield* event.wait()
      expect(sawUnset).toBe(true)
      expect(event.isSet()).toBe(true)
    })
  )

  // anyio: TestEvent.test_event_cancel
  it.effect("a waiter cancelled before the event is set is not woken", () =>
    Effect.gen(function* () {
      const event = new Event()
      let started = false
      let woke = false
      const fiber = yield* Effect.forkChild(
        Effect.suspend(() => {
          started = true
          return event.wait()
        }).pipe(Effect.tap(() => Effect.sync(() => (woke = true))))
      )
      yield* settle()
      fiber.interruptUnsafe()
      yield* event.set()
      yield* Fiber.await(fiber)
      expect(started).toBe(true)
      expect(woke).toBe(false)
      expect(event.statistics().tasksWaiting).toBe(0)
    })
  )

  // anyio: TestEvent.test_event_wait_before_set_before_cancel
  it.effect("a waiter woken by set() before being cancelled still returns from wait", () =>
    Effect.gen(function* () {
      const event = new Event()
      let setterStarted = false
      let waiterWoke = false
      const waiter = yield* Effect.forkChild(
        event.wait().pipe(
          Effect.tap(() => Effect.sync(() => (waiterWoke = true))),
          Effect.andThen(Effect.never)
        )
      )
      yield* settle()
      yield* Effect.forkChild(
        Effect.gen(function* () {
          setterStarted = true
          expect(event.isSet()).toBe(false)
          yield* event.set()
          yield* Fiber.interrupt(waiter)
        })
      )
      yield* Fiber.await(waiter)
      expect(setterStarted).toBe(true)
      expect(waiterWoke).toBe(true)
    })
  )

  // anyio: TestEvent.test_statistics
  it.effect("statistics", () =>
    Effect.gen(function* () {
      const event = new Event()
      expect(event.statistics().tasksWaiting).toBe(0)
      const waiters: Array<Fiber.Fiber<void>> = []
      for (let i = 1; i < 3; i++) {
        waiters.push(yield* Effect.forkChild(event.wait()))
        yield* settle()
        expect(event.statistics().tasksWaiting).toBe(i)
      }
      yield* event.set()
      yield* Fiber.joinAll(waiters)
      expect(event.statistics().tasksWaiting).toBe(0)
    })
  )

  // anyio: TestEvent.test_instantiate_outside_event_loop
  it("can be created and set outside of any running program", async () => {
    expect(moduleEvent.isSet()).toBe(false)
    expect(moduleEvent.statistics().tasksWaiting).toBe(0)
    Effect.runSync(moduleEvent.set())
    expect(moduleEvent.isSet()).toBe(true)
    await Effect.runPromise(moduleEvent.wait())
  })

  it.effect("wait is a checkpoint even when the event is already set", () =>
    Effect.gen(function* () {
      const event = new Event()
      yield* event.set()
      yield* event.set() // idempotent
      let otherRan = false
      yield* Effect.forkChild(Effect.sync(() => (otherRan = true)))
      yield* event.wait()
      expect(otherRan).toBe(true)
      // and it observes a cancellation there
      const fiber = yield* Effect.forkChild(event.wait().pipe(Effect.andThen(Effect.never)), {
        startImmediately: true
      })
      yield* Fiber.interrupt(fiber)
      expect(Exit.hasInterrupts(fiber.pollUnsafe()!)).toBe(true)
    })
  )

  it.effect("set wakes every waiter in the order they started waiting", () =>
    Effect.gen(function* () {
      const event = new Event()
      const order: Array<number> = []
      const fibers: Array<Fiber.Fiber<number>> = []
      for (let i = 0; i < 5; i++) {
        fibers.push(
          yield* Effect.forkChild(
            event
              .wait()
              .pipe(Effect.tap(() => Effect.sync(() => order.push(i))))
              .pipe(Effect.as(i))
          )
        )
        yield* settle(2)
      }
      yield* event.set()
      yield* Fiber.joinAll(fibers)
      expect(order).toEqual([0, 1, 2, 3, 4])
    })
  )
})

// ---------------------------------------------------------------------------------------------------

describe("Condition", () => {
  // anyio: TestCondition.test_contextmanager
  it.effect("wait inside withLock is woken by notifyAll from another task", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      yield* condition.withLock(
        Effect.gen(function* () {
          expect(condition.locked()).toBe(true)
          yield* Effect.forkChild(condition.withLock(condition.notifyAll()))
          yield* condition.wait()
          expect(condition.statistics().lockStatistics.locked).toBe(true)
        })
      )
      expect(condition.locked()).toBe(false)
    })
  )

  // anyio: TestCondition.test_manual_acquire
  it.effect("acquire/release by hand", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      const notifier = Effect.gen(function* () {
        yield* condition.acquire()
        yield* condition.notifyAll()
        yield* condition.release()
      })
      yield* condition.acquire()
      expect(condition.locked()).toBe(true)
      yield* Effect.forkChild(notifier)
      yield* condition.wait()
      yield* condition.release()
      expect(condition.locked()).toBe(false)
    })
  )

  // anyio: TestCondition.test_acquire_nowait
  it.effect("acquireNowait", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      yield* condition.acquireNowait()
      expect(condition.locked()).toBe(true)
    })
  )

  // anyio: TestCondition.test_acquire_nowait_wouldblock
  it.effect("acquireNowait fails with WouldBlock when another task holds the lock", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      const exit = yield* condition.withLock(
        Effect.forkChild(Effect.exit(condition.acquireNowait())).pipe(Effect.flatMap(Fiber.join))
      )
      expectFailure(exit, WouldBlock)
    })
  )

  // anyio: TestCondition.test_wait_cancel
  it.effect("a cancelled wait is not notified, and takes the lock back before leaving", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      const event = new Event()
      let started = false
      let notified = false
      let heldWhenCancelled: boolean | undefined
      const task = condition.withLock(
        Effect.gen(function* () {
          started = true
          yield* event.set()
          yield* condition
            .wait()
            .pipe(
              Effect.onInterrupt(() =>
                Effect.sync(
                  () => (heldWhenCancelled = condition.statistics().lockStatistics.owner !== undefined)
                )
              )
            )
          notified = true
        })
      )
      const fiber = yield* Effect.forkChild(task)
      yield* event.wait()
      yield* settle()
      expect(condition.locked()).toBe(false) // released by wait()
      yield* Fiber.interrupt(fiber)
      expect(started).toBe(true)
      expect(notified).toBe(false)
      expect(heldWhenCancelled).toBe(true)
      expect(condition.locked()).toBe(false)
      expect(condition.statistics().tasksWaiting).toBe(0)
    })
  )

  it.effect("a cancelled wait waits for the lock, uninterruptibly, before leaving", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      const waiter = yield* Effect.forkChild(condition.withLock(condition.wait()))
      yield* settle()
      yield* condition.acquire()
      waiter.interruptUnsafe()
      yield* settle()
      expect(isDone(waiter)).toBe(false) // still taking the lock back
      expect(condition.statistics().lockStatistics.tasksWaiting).toBe(1)
      yield* condition.release()
      yield* Fiber.await(waiter)
      expect(condition.locked()).toBe(false)
    })
  )

  // anyio: TestCondition.test_notification_handover_on_cancel
  it.effect("a waiter cancelled before a notification does not swallow it", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      const acquirer = condition.withLock(condition.wait())
      const first = yield* Effect.forkChild(acquirer)
      const second = yield* Effect.forkChild(acquirer)
      yield* settle()
      yield* condition.withLock(
        Effect.gen(function* () {
          first.interruptUnsafe()
          yield* condition.notify(1)
        })
      )
      yield* settle()
      expect(isDone(second)).toBe(true)
      expect(Exit.isSuccess(second.pollUnsafe()!)).toBe(true)
    })
  )

  it.effect("a waiter notified, then cancelled before it ran, passes the notification on", () =>
    scheduledWakeups(
      Effect.gen(function* () {
        const condition = new Condition()
        const acquirer = condition.withLock(condition.wait())
        const first = yield* Effect.forkChild(acquirer)
        const second = yield* Effect.forkChild(acquirer)
        yield* settle()
        yield* condition.withLock(
          Effect.gen(function* () {
            yield* condition.notify(1)
            first.interruptUnsafe()
          })
        )
        yield* settle()
        expect(Exit.hasInterrupts(first.pollUnsafe()!)).toBe(true)
        expect(isDone(second)).toBe(true)
        expect(Exit.isSuccess(second.pollUnsafe()!)).toBe(true)
        expect(condition.statistics()).toMatchObject({ tasksWaiting: 0, lockStatistics: { locked: false } })
      })
    )
  )

  // anyio: TestCondition.test_wait_no_lock
  it.effect("wait without holding the lock dies with RuntimeError", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      expectDefect(yield* Effect.exit(condition.wait()), RuntimeError, /not holding the underlying lock/)
    })
  )

  it.effect("notify and notifyAll without holding the lock die with RuntimeError", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      expectDefect(yield* Effect.exit(condition.notify()), RuntimeError, /not holding the underlying lock/)
      expectDefect(yield* Effect.exit(condition.notifyAll()), RuntimeError, /not holding the underlying lock/)
      // held by another task is not enough
      yield* condition.acquire()
      const other = yield* Effect.forkChild(Effect.exit(condition.notify()))
      expectDefect(yield* Fiber.join(other), RuntimeError, /not holding the underlying lock/)
    })
  )

  // anyio: TestCondition.test_statistics
  it.effect("statistics", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      expect(condition.statistics().lockStatistics.locked).toBe(false)
      expect(condition.statistics().tasksWaiting).toBe(0)
      yield* condition.withLock(
        Effect.sync(() => {
          expect(condition.statistics().lockStatistics.locked).toBe(true)
          expect(condition.statistics().tasksWaiting).toBe(0)
        })
      )
      const waiters: Array<Fiber.Fiber<void>> = []
      for (let i = 1; i < 3; i++) {
        waiters.push(yield* Effect.forkChild(condition.withLock(condition.wait())))
        yield* settle()
        expect(condition.statistics().tasksWaiting).toBe(i)
      }
      for (let i = 1; i > -1; i--) {
        yield* condition.withLock(condition.notify(1))
        yield* settle()
        expect(condition.statistics().tasksWaiting).toBe(i)
      }
      yield* Fiber.joinAll(waiters)
      expect(condition.statistics().lockStatistics.locked).toBe(false)
      expect(condition.statistics().tasksWaiting).toBe(0)
    })
  )

  // anyio: TestCondition.test_instantiate_outside_event_loop
  it("can be created outside of any running program", async () => {
    expect(moduleCondition.statistics().tasksWaiting).toBe(0)
    await Effect.runPromise(moduleCondition.withLock(Effect.void))
    expect(moduleCondition.locked()).toBe(false)
  })

  // anyio: TestCondition.test_wait_for
  it.effect("waitFor re-checks the predicate after each notification", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      let value: string | undefined
      let result: string | undefined
      const waiter = yield* Effect.forkChild(
        condition
          .withLock(condition.waitFor(() => value))
          .pipe(Effect.tap((r) => Effect.sync(() => (result = r))))
      )
      yield* settle()
      yield* condition.withLock(condition.notifyAll())
      yield* settle()
      expect(result).toBeUndefined()
      expect(condition.statistics().tasksWaiting).toBe(1)
      value = "foo"
      yield* condition.withLock(condition.notifyAll())
      yield* Fiber.join(waiter)
      expect(result).toBe("foo")
    })
  )

  it.effect("notify(n) wakes the n longest-waiting tasks, in order", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      const order: Array<number> = []
      const fibers: Array<Fiber.Fiber<void>> = []
      for (let i = 0; i < 4; i++) {
        fibers.push(
          yield* Effect.forkChild(
            condition.withLock(condition.wait().pipe(Effect.tap(() => Effect.sync(() => order.push(i)))))
          )
        )
        yield* settle(3)
      }
      yield* condition.withLock(condition.notify(2))
      yield* settle()
      expect(order).toEqual([0, 1])
      expect(condition.statistics().tasksWaiting).toBe(2)
      yield* condition.withLock(condition.notify(0))
      yield* condition.withLock(condition.notifyAll())
      yield* Fiber.joinAll(fibers)
      expect(order).toEqual([0, 1, 2, 3])
    })
  )

  it.effect("notify with a bad count dies with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      yield* condition.withLock(
        Effect.gen(function* () {
          expectDefect(yield* Effect.exit(condition.notify(-1)), InvalidArgumentError, /non-negative integer/)
          expectDefect(
            yield* Effect.exit(condition.notify(1.5)),
            InvalidArgumentError,
            /non-negative integer/
          )
        })
      )
    })
  )

  it.effect("shares a lock given to the constructor", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      const condition = new Condition(lock)
      yield* lock.acquire()
      expect(condition.locked()).toBe(true)
      // holding the lock directly (not through the condition) is enough to wait/notify
      yield* condition.notify()
      yield* lock.release()
    })
  )
})

// ---------------------------------------------------------------------------------------------------

describe("Semaphore", () => {
  // anyio: TestSemaphore.test_contextmanager
  it.effect("withPermit", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(2)
      const values: Array<number> = []
      const acquire = semaphore.withPermit(Effect.sync(() => values.push(semaphore.value)))
      const a = yield* Effect.forkChild(acquire)
      const b = yield* Effect.forkChild(acquire)
      yield* Fiber.joinAll([a, b])
      expect(values.every((v) => v === 0 || v === 1)).toBe(true)
      expect(semaphore.value).toBe(2)
    })
  )

  // anyio: TestSemaphore.test_manual_acquire
  it.effect("acquire/release by hand", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(2)
      const values: Array<number> = []
      const acquire = Effect.gen(function* () {
        yield* semaphore.acquire()
        values.push(semaphore.value)
        yield* semaphore.release()
      })
      const a = yield* Effect.forkChild(acquire)
      const b = yield* Effect.forkChild(acquire)
      yield* Fiber.joinAll([a, b])
      expect(values.length).toBe(2)
      expect(values.every((v) => v === 0 || v === 1)).toBe(true)
      expect(semaphore.value).toBe(2)
    })
  )

  // anyio: TestSemaphore.test_fast_acquire
  it.effect("fastAcquire: an uncontended acquire does not yield", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(1, { fastAcquire: true })
      let otherRan = false
      yield* Effect.forkChild(Effect.sync(() => (otherRan = true)))
      expect(yield* semaphore.withPermit(Effect.sync(() => otherRan))).toBe(false)
      const slow = new Semaphore(1)
      yield* slow.acquire()
      expect(otherRan).toBe(true) // the default acquire is a checkpoint
    })
  )

  // anyio: TestSemaphore.test_acquire_nowait
  it.effect("acquireNowait", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(1)
      yield* semaphore.acquireNowait()
      expect(semaphore.value).toBe(0)
      expectFailure(yield* Effect.exit(semaphore.acquireNowait()), WouldBlock)
    })
  )

  // anyio: TestSemaphore.test_cancel_during_acquire (releaselast, releasefirst)
  for (const releaseFirst of [false, true]) {
    it.effect(`a waiter cancelled during acquire never gets a unit (releaseFirst ${releaseFirst})`, () =>
      Effect.gen(function* () {
        const semaphore = new Semaphore(1)
        let acquired = false
        yield* semaphore.acquire()
        const fiber = yield* Effect.forkChild(semaphore.withPermit(Effect.sync(() => (acquired = true))))
        yield* settle()
        fiber.interruptUnsafe()
        if (releaseFirst) {
          yield* semaphore.release()
          yield* settle()
        } else {
          yield* settle()
          yield* semaphore.release()
        }
        yield* Fiber.await(fiber)
        expect(acquired).toBe(false)
        expect(semaphore.value).toBe(1)
      })
    )
  }

  // anyio: TestSemaphore.test_max_value (2 and None)
  it("maxValue", () => {
    expect(new Semaphore(0, { maxValue: 2 }).maxValue).toBe(2)
    expect(new Semaphore(0).maxValue).toBeUndefined()
  })

  // anyio: TestSemaphore.test_max_value_exceeded
  it.effect("releasing beyond maxValue dies with RuntimeError", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(1, { maxValue: 2 })
      yield* semaphore.release()
      expectDefect(yield* Effect.exit(semaphore.release()), RuntimeError, /released too many times/)
      expect(semaphore.value).toBe(2)
      // without maxValue, releasing without acquiring just raises the value (no owner, as AnyIO)
      const unbounded = new Semaphore(0)
      yield* unbounded.release()
      expect(unbounded.value).toBe(1)
    })
  )

  // anyio: TestSemaphore.test_statistics
  it.effect("statistics", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(1)
      expect(semaphore.statistics().tasksWaiting).toBe(0)
      const waiters: Array<Fiber.Fiber<void>> = []
      yield* semaphore.withPermit(
        Effect.gen(function* () {
          expect(semaphore.statistics().tasksWaiting).toBe(0)
          for (let i = 1; i < 3; i++) {
            waiters.push(yield* Effect.forkChild(semaphore.withPermit(Effect.void)))
            yield* settle()
            expect(semaphore.statistics().tasksWaiting).toBe(i)
          }
        })
      )
      yield* Fiber.joinAll(waiters)
      expect(semaphore.statistics().tasksWaiting).toBe(0)
    })
  )

  // anyio: TestSemaphore.test_acquire_race
  it.effect("a unit released to a waiter cannot be taken by acquireNowait", () =>
    scheduledWakeups(
      Effect.gen(function* () {
        const semaphore = new Semaphore(1)
        yield* semaphore.acquireNowait()
        const waiter = yield* Effect.forkChild(semaphore.acquire())
        yield* settle()
        yield* semaphore.release()
        expectFailure(yield* Effect.exit(semaphore.acquireNowait()), WouldBlock)
        yield* Fiber.join(waiter)
        expect(semaphore.value).toBe(0)
      })
    )
  )

  // anyio: TestSemaphore.test_asyncio_deadlock
  it.effect("cancelling the holder while another task waits does not deadlock", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(1)
      const body = semaphore.withPermit(Effect.yieldNow)
      const task1 = yield* Effect.forkChild(body, { startImmediately: true })
      const task2 = yield* Effect.forkChild(body, { startImmediately: true })
      yield* Fiber.interrupt(task1)
      yield* settle()
      expect(isDone(task2)).toBe(true)
      expect(semaphore.value).toBe(1)
    })
  )

  // anyio: TestSemaphore.test_cancel_after_release
  it.effect("a waiter cancelled after a unit was handed to it gives the unit back", () =>
    scheduledWakeups(
      Effect.gen(function* () {
        const semaphore = new Semaphore(0, { maxValue: 1 })
        const task1 = yield* Effect.forkChild(semaphore.acquire())
        yield* settle()
        yield* semaphore.release()
        expect(semaphore.value).toBe(0) // handed over, not yet resumed
        yield* Fiber.interrupt(task1)
        expect(semaphore.value).toBe(1)
        expect(semaphore.statistics().tasksWaiting).toBe(0)
        yield* semaphore.acquireNowait()
      })
    )
  )

  // anyio: TestSemaphore.test_cancelled_after_acquire
  it.effect("a waiter cancelled before the release leaves the queue", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(1, { maxValue: 1 })
      yield* semaphore.acquireNowait()
      const task1 = yield* Effect.forkChild(semaphore.acquire())
      yield* settle()
      task1.interruptUnsafe()
      yield* semaphore.release()
      expect(semaphore.statistics().tasksWaiting).toBe(0)
      yield* semaphore.acquire()
      expect(semaphore.value).toBe(0)
    })
  )

  // anyio: TestSemaphore.test_instantiate_outside_event_loop
  it("can be created outside of any running program", async () => {
    expect(moduleSemaphore.value).toBe(1)
    expect(moduleSemaphore.maxValue).toBe(3)
    expect(moduleSemaphore.statistics().tasksWaiting).toBe(0)
    await Effect.runPromise(moduleSemaphore.withPermit(Effect.void))
    expect(moduleSemaphore.value).toBe(1)
  })

  it("rejects bad constructor arguments with InvalidArgumentError", () => {
    expectThrows(() => new Semaphore(-1), /initialValue must be a non-negative integer/)
    expectThrows(() => new Semaphore(1.5), /initialValue must be a non-negative integer/)
    expectThrows(() => new Semaphore(Number.NaN), /initialValue must be a non-negative integer/)
    expectThrows(() => new Semaphore(Number.POSITIVE_INFINITY), /initialValue must be a non-negative integer/)
    expectThrows(() => new Semaphore("1" as unknown as number), /initialValue must be a non-negative integer/)
    expectThrows(
      () => new Semaphore(2, { maxValue: 1 }),
      /maxValue must be equal to or higher than initialValue/
    )
    expectThrows(() => new Semaphore(0, { maxValue: 1.5 }), /maxValue must be a non-negative integer/)
    expect(new Semaphore(2, { maxValue: 2 }).value).toBe(2)
  })

  it.effect("acquireScoped gives the unit back when the scope closes", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(1)
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* semaphore.acquireScoped()
          expect(semaphore.value).toBe(0)
        })
      )
      expect(semaphore.value).toBe(1)
    })
  )
})

// ---------------------------------------------------------------------------------------------------

describe("CapacityLimiter", () => {
  // anyio: TestCapacityLimiter.test_bad_init_type
  it("rejects a non-integer total", () => {
    expectThrows(() => new CapacityLimiter(1.5), /totalTokens must be an integer or Infinity/)
    expectThrows(() => new CapacityLimiter(Number.NaN), /totalTokens must be an integer or Infinity/)
    expectThrows(
      () => new CapacityLimiter("2" as unknown as number),
      /totalTokens must be an integer or Infinity/
    )
  })

  // anyio: TestCapacityLimiter.test_bad_init_value
  it("rejects a negative total", () => {
    expectThrows(() => new CapacityLimiter(-1), /totalTokens must be >= 0/)
    expectThrows(() => new CapacityLimiter(Number.NEGATIVE_INFINITY), /totalTokens must be >= 0/)
  })

  // anyio: TestCapacityLimiter.test_zero_tokens
  it("accepts zero tokens", () => {
    expect(new CapacityLimiter(0).totalTokens).toBe(0)
  })

  // anyio: TestCapacityLimiter.test_borrow
  it.effect("borrow", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(2)
      expect([limiter.totalTokens, limiter.availableTokens, limiter.borrowedTokens]).toEqual([2, 2, 0])
      yield* limiter.withToken(
        Effect.sync(() => {
          expect([limiter.totalTokens, limiter.availableTokens, limiter.borrowedTokens]).toEqual([2, 1, 1])
        })
      )
      expect(limiter.borrowedTokens).toBe(0)
    })
  )

  // anyio: TestCapacityLimiter.test_limit
  it.effect("never lets more borrowers in than there are tokens", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      let value = 0
      const taskfunc = Effect.gen(function* () {
        for (let i = 0; i < 5; i++) {
          yield* limiter.withToken(
            Effect.gen(function* () {
              expect(value).toBe(0)
              value = 1
              yield* settle(3)
              value = 0
            })
          )
        }
      })
      const fibers = [
        yield* Effect.forkChild(taskfunc),
        yield* Effect.forkChild(taskfunc),
        yield* Effect.forkChild(taskfunc)
      ]
      yield* Fiber.joinAll(fibers)
      expect(limiter.borrowedTokens).toBe(0)
    })
  )

  // anyio: TestCapacityLimiter.test_borrow_twice
  it.effect("borrowing twice dies with RuntimeError", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      yield* limiter.acquire()
      expectDefect(
        yield* Effect.exit(limiter.acquire()),
        RuntimeError,
        /already holding one of this CapacityLimiter's tokens/
      )
      expectDefect(
        yield* Effect.exit(limiter.acquireNowait()),
        RuntimeError,
        /already holding one of this CapacityLimiter's tokens/
      )
    })
  )

  it.effect("waiting twice with the same borrower dies with RuntimeError", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(0)
      const waiter = yield* Effect.forkChild(limiter.acquireOnBehalfOf("b"))
      yield* settle()
      expectDefect(
        yield* Effect.exit(limiter.acquireOnBehalfOf("b")),
        RuntimeError,
        /already waiting for one of this CapacityLimiter's tokens/
      )
      yield* Fiber.interrupt(waiter)
      expect(limiter.statistics().tasksWaiting).toBe(0)
    })
  )

  // anyio: TestCapacityLimiter.test_bad_release
  it.effect("releasing without a token dies with RuntimeError", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      expectDefect(
        yield* Effect.exit(limiter.release()),
        RuntimeError,
        /isn't holding any of this CapacityLimiter's tokens/
      )
      expectDefect(
        yield* Effect.exit(limiter.releaseOnBehalfOf("nobody")),
        RuntimeError,
        /isn't holding any of this CapacityLimiter's tokens/
      )
    })
  )

  // anyio: TestCapacityLimiter.test_increase_tokens
  it.effect("raising totalTokens lets a waiter in", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      const event1 = new Event()
      const event2 = new Event()
      const setter = Effect.gen(function* () {
        yield* event1.wait()
        yield* limiter.withToken(event2.set())
      })
      const waiter = limiter.withToken(
        Effect.gen(function* () {
          yield* event1.set()
          yield* event2.wait()
        })
      )
      const fibers = [yield* Effect.forkChild(setter), yield* Effect.forkChild(waiter)]
      yield* settle()
      expect(event1.isSet()).toBe(true)
      expect(event2.isSet()).toBe(false)
      limiter.totalTokens = 2
      yield* Fiber.joinAll(fibers)
      expect(event2.isSet()).toBe(true)
    })
  )

  // anyio: TestCapacityLimiter.test_statistics
  it.effect("statistics", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      expect(limiter.statistics()).toEqual({
        borrowedTokens: 0,
        totalTokens: 1,
        borrowers: [],
        tasksWaiting: 0
      })
      const waiters: Array<Fiber.Fiber<void>> = []
      yield* limiter.withToken(
        Effect.gen(function* () {
          expect(limiter.statistics().borrowedTokens).toBe(1)
          expect(limiter.statistics().borrowers.length).toBe(1)
          expect(limiter.statistics().tasksWaiting).toBe(0)
          for (let i = 1; i < 3; i++) {
            waiters.push(yield* Effect.forkChild(limiter.withToken(Effect.void)))
            yield* settle()
            expect(limiter.statistics().tasksWaiting).toBe(i)
          }
        })
      )
      yield* Fiber.joinAll(waiters)
      expect(limiter.statistics().tasksWaiting).toBe(0)
      expect(limiter.statistics().borrowedTokens).toBe(0)
    })
  )

  // anyio: TestCapacityLimiter.test_asyncio_deadlock
  it.effect("cancelling the holder while another task waits does not deadlock", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      const body = limiter.withToken(Effect.yieldNow)
      const task1 = yield* Effect.forkChild(body, { startImmediately: true })
      const task2 = yield* Effect.forkChild(body, { startImmediately: true })
      yield* Fiber.interrupt(task1)
      yield* settle()
      expect(isDone(task2)).toBe(true)
      expect(limiter.borrowedTokens).toBe(0)
    })
  )

  // anyio: TestCapacityLimiter.test_ordered_queue
  it.effect("waiters get tokens in the order they asked", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      const results: Array<number> = []
      const event = new Event()
      const fibers: Array<Fiber.Fiber<void>> = []
      for (const i of [0, 1, 2]) {
        fibers.push(
          yield* Effect.forkChild(
            limiter.withToken(
              Effect.gen(function* () {
                yield* event.wait()
                results.push(i)
              })
            )
          )
        )
        yield* settle(3)
      }
      yield* event.set()
      yield* Fiber.joinAll(fibers)
      expect(results).toEqual([0, 1, 2])
    })
  )

  // anyio: TestCapacityLimiter.test_increase_tokens_lets_others_acquire
  it.effect("after raising totalTokens, new and waiting borrowers all get in", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      const entered = [new Event(), new Event(), new Event()]
      const proceed = new Event()
      const worker = (ev: Event) =>
        limiter.withToken(
          Effect.gen(function* () {
            yield* ev.set()
            yield* proceed.wait()
          })
        )
      const fibers = [
        yield* Effect.forkChild(worker(entered[0]!)),
        yield* Effect.forkChild(worker(entered[1]!))
      ]
      yield* settle()
      expect(entered.filter((ev) => ev.isSet()).length).toBe(1)
      limiter.totalTokens = 3
      fibers.push(yield* Effect.forkChild(worker(entered[2]!)))
      yield* settle()
      expect(entered.every((ev) => ev.isSet())).toBe(true)
      yield* proceed.set()
      yield* Fiber.joinAll(fibers)
    })
  )

  // anyio: TestCapacityLimiter.test_instantiate_outside_event_loop
  it("can be created and resized outside of any running program", async () => {
    moduleLimiter.totalTokens = 2
    expectThrows(() => {
      moduleLimiter.totalTokens = "2" as unknown as number
    }, /integer or Infinity/)
    expectThrows(() => {
      moduleLimiter.totalTokens = 3.5
    }, /integer or Infinity/)
    expect(moduleLimiter.totalTokens).toBe(2)
    expect(moduleLimiter.borrowedTokens).toBe(0)
    expect(moduleLimiter.statistics()).toEqual({
      borrowedTokens: 0,
      totalTokens: 2,
      borrowers: [],
      tasksWaiting: 0
    })
    await Effect.runPromise(moduleLimiter.withToken(Effect.void))
    expect(moduleLimiter.borrowedTokens).toBe(0)
  })

  // anyio: TestCapacityLimiter.test_zero_tokens_outside_event_loop
  it("totalTokens can be set to 0", () => {
    const limiter = new CapacityLimiter(1)
    limiter.totalTokens = 0
    expect(limiter.totalTokens).toBe(0)
    expect(limiter.availableTokens).toBe(0)
  })

  // anyio: TestCapacityLimiter.test_float_infinity_outside_event_loop
  it("accepts Infinity", () => {
    expect(new CapacityLimiter(Number.POSITIVE_INFINITY).totalTokens).toBe(Number.POSITIVE_INFINITY)
    const limiter = new CapacityLimiter(1)
    limiter.totalTokens = Number.POSITIVE_INFINITY
    expect(limiter.totalTokens).toBe(Number.POSITIVE_INFINITY)
    expect(limiter.availableTokens).toBe(Number.POSITIVE_INFINITY)
  })

  // anyio: TestCapacityLimiter.test_acquire_cancelled
  it.effect("a borrower cancelled while waiting does not block the next one", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      const borrower = (ev: Event) =>
        limiter.withToken(
          Effect.gen(function* () {
            yield* ev.set()
            yield* Effect.yieldNow
          })
        )
      const event1 = new Event()
      const event2 = new Event()
      let first: Fiber.Fiber<void> | undefined
      let second: Fiber.Fiber<void> | undefined
      yield* limiter.withToken(
        Effect.gen(function* () {
          first = yield* Effect.forkChild(borrower(event1))
          second = yield* Effect.forkChild(borrower(event2))
          yield* settle()
          first.interruptUnsafe()
        })
      )
      yield* settle()
      expect(event1.isSet()).toBe(false)
      expect(event2.isSet()).toBe(true)
      yield* Fiber.join(second!)
      expect(limiter.borrowedTokens).toBe(0)
    })
  )

  it.effect("a token handed to a waiter cancelled before it ran goes to the next waiter", () =>
    scheduledWakeups(
      Effect.gen(function* () {
        const limiter = new CapacityLimiter(1)
        yield* limiter.acquireOnBehalfOfNowait("A")
        const b = yield* Effect.forkChild(limiter.acquireOnBehalfOf("B"))
        yield* settle()
        const c = yield* Effect.forkChild(limiter.acquireOnBehalfOf("C"))
        yield* settle()
        yield* limiter.releaseOnBehalfOf("A")
        expect(limiter.statistics().borrowers).toEqual(["B"])
        yield* Fiber.interrupt(b)
        expect(limiter.statistics().borrowers).toEqual(["C"])
        yield* Fiber.join(c)
        expect(limiter.statistics()).toMatchObject({ borrowers: ["C"], tasksWaiting: 0 })
      })
    )
  )

  // anyio: TestCapacityLimiter.test_acquire_nowait
  it.effect("acquireNowait fails with WouldBlock when no token is free", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      yield* limiter.acquireNowait()
      const other = yield* Effect.forkChild(Effect.exit(limiter.acquireNowait()))
      expectFailure(yield* Fiber.join(other), WouldBlock)
    })
  )

  // anyio: TestCapacityLimiter.test_acquire_on_behalf_of_nowait
  it.effect("acquireOnBehalfOfNowait", () =>
    Effect.gen(function* () {
      const borrower1 = {}
      const borrower2 = {}
      const limiter = new CapacityLimiter(1)
      yield* limiter.acquireOnBehalfOfNowait(borrower1)
      expectFailure(yield* Effect.exit(limiter.acquireOnBehalfOfNowait(borrower2)), WouldBlock)
      expect(limiter.statistics().borrowers).toEqual([borrower1])
    })
  )

  // anyio: TestCapacityLimiter.test_nowait_acquire_after_release_does_not_oversubscribe
  it.effect("a token freed for a waiter is reserved for it", () =>
    scheduledWakeups(
      Effect.gen(function* () {
        const limiter = new CapacityLimiter(1)
        yield* limiter.acquireOnBehalfOfNowait("A")
        const waiter = yield* Effect.forkChild(limiter.acquireOnBehalfOf("B"))
        yield* settle()
        expect(limiter.statistics().tasksWaiting).toBe(1)
        yield* limiter.releaseOnBehalfOf("A")
        expectFailure(yield* Effect.exit(limiter.acquireOnBehalfOfNowait("X")), WouldBlock)
        yield* Fiber.join(waiter)
        expect(limiter.borrowedTokens).toBeLessThanOrEqual(limiter.totalTokens)
        expect(limiter.availableTokens).toBeGreaterThanOrEqual(0)
        expect(limiter.statistics().borrowers).toEqual(["B"])
        yield* limiter.releaseOnBehalfOf("B")
      })
    )
  )

  it.effect("lowering totalTokens makes newcomers wait until enough tokens come back", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(2)
      yield* limiter.acquireOnBehalfOfNowait("a")
      yield* limiter.acquireOnBehalfOfNowait("b")
      limiter.totalTokens = 1
      expect(limiter.availableTokens).toBe(0)
      const c = yield* Effect.forkChild(limiter.acquireOnBehalfOf("c"))
      yield* settle()
      yield* limiter.releaseOnBehalfOf("a")
      yield* settle()
      expect(isDone(c)).toBe(false)
      yield* limiter.releaseOnBehalfOf("b")
      yield* Fiber.join(c)
      expect(limiter.statistics().borrowers).toEqual(["c"])
    })
  )

  it.effect("acquire is a checkpoint; cancelled there, the token is returned", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      const fiber = yield* Effect.forkChild(limiter.acquire(), { startImmediately: true })
      expect(limiter.borrowedTokens).toBe(1)
      yield* Fiber.interrupt(fiber)
      expect(limiter.borrowedTokens).toBe(0)
    })
  )

  it.effect("acquireScoped returns the token when the scope closes", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* limiter.acquireScoped()
          expect(limiter.borrowedTokens).toBe(1)
        })
      )
      expect(limiter.borrowedTokens).toBe(0)
    })
  )
})

// ---------------------------------------------------------------------------------------------------

describe("ResourceGuard", () => {
  it.effect("use fails with BusyResourceError while the resource is in use", () =>
    Effect.gen(function* () {
      const guard = new ResourceGuard("reading from")
      const inner = yield* guard.use(Effect.exit(guard.use(Effect.void)))
      expectFailure(inner, BusyResourceError)
      if (Exit.isFailure(inner)) {
        const error = inner.cause.reasons.find(Cause.isFailReason)?.error as BusyResourceError
        expect(error.message).toBe("Another task is already reading from this resource")
      }
      expect(guard.inUse()).toBe(false)
      // free again after a failure, and for another task
      yield* Effect.exit(guard.use(Effect.fail("boom")))
      expect(yield* guard.use(Effect.succeed(1))).toBe(1)
    })
  )

  it.effect("concurrent use by another task fails", () =>
    Effect.gen(function* () {
      const guard = new ResourceGuard()
      const holder = yield* Effect.forkChild(guard.use(Effect.never), { startImmediately: true })
      const exit = yield* Effect.exit(guard.use(Effect.void))
      expectFailure(exit, BusyResourceError)
      yield* Fiber.interrupt(holder)
      expect(guard.inUse()).toBe(false)
    })
  )

  it.effect("useScoped holds the guard until the scope closes", () =>
    Effect.gen(function* () {
      const guard = new ResourceGuard()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* guard.useScoped()
          expect(guard.inUse()).toBe(true)
          expectFailure(yield* Effect.exit(Effect.scoped(guard.useScoped())), BusyResourceError)
        })
      )
      expect(guard.inUse()).toBe(false)
    })
  )
})

// ---------------------------------------------------------------------------------------------------
// Property tests: random interleavings of acquire / hold / release / cancel across many fibers.

interface Actor {
  readonly startDelay: number
  readonly hold: number
  readonly rounds: number
  readonly manual: boolean
  readonly cancelAt: number | undefined
}

interface Scenario {
  readonly capacity: number
  readonly fastAcquire: boolean
  readonly scheduled: boolean
  readonly actors: ReadonlyArray<Actor>
}

/** What the driver needs to know about a primitive under test. */
interface Subject {
  readonly capacity: number
  readonly acquire: Effect.Effect<void>
  readonly release: Effect.Effect<void>
  readonly withIt: <A, E, R>(body: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Would an acquire started now have to wait? */
  readonly mustWait: () => boolean
  /** Idle: nothing held, nobody waiting. */
  readonly idle: () => boolean
}

const scenario = (maxCapacity: number): fc.Arbitrary<Scenario> =>
  fc.record({
    capacity: fc.integer({ min: 1, max: maxCapacity }),
    fastAcquire: fc.boolean(),
    scheduled: fc.boolean(),
    actors: fc.array(
      fc.record({
        startDelay: fc.integer({ min: 0, max: 3 }),
        hold: fc.integer({ min: 0, max: 3 }),
        rounds: fc.integer({ min: 1, max: 3 }),
        manual: fc.boolean(),
        cancelAt: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined })
      }),
      { minLength: 1, maxLength: 8 }
    )
  })

/**
 * Runs the scenario and checks: never more holders than the capacity; waiters are served in the order
 * they started waiting (skipping cancelled ones); every actor that is not cancelled finishes (no
 * deadlock, no lost wake-up); the primitive ends idle.
 */
const runScenario = (s: Scenario, subject: Subject): Effect.Effect<void> => {
  const body = Effect.gen(function* () {
    let holders = 0
    const queue: Array<number> = [] // ids of actors waiting, in arrival order
    const cancelled = new Set<number>()
    const problems: Array<string> = []

    const enter = (id: number) =>
      Effect.sync(() => {
        const index = queue.indexOf(id)
        if (index >= 0) {
          const first = queue.find((other) => !cancelled.has(other))
          if (first !== id) problems.push(`actor ${id} served before ${first} (queue ${queue.join(",")})`)
          queue.splice(index, 1)
        }
        holders++
        if (holders > subject.capacity) problems.push(`${holders} holders > ${subject.capacity}`)
      })
    const critical = (id: number, hold: number) =>
      Effect.gen(function* () {
        yield* enter(id)
        for (let i = 0; i < hold; i++) yield* Effect.yieldNow
      }).pipe(Effect.ensuring(Effect.sync(() => holders--)))
    const arrive = (id: number) =>
      Effect.sync(() => {
        if (subject.mustWait()) queue.push(id)
      })

    const actor = (id: number, a: Actor) =>
      Effect.gen(function* () {
        for (let i = 0; i < a.startDelay; i++) yield* Effect.yieldNow
        for (let round = 0; round < a.rounds; round++) {
          yield* arrive(id)
          if (a.manual) {
            yield* Effect.uninterruptibleMask((restore) =>
              Effect.flatMap(restore(subject.acquire), () =>
                Effect.ensuring(restore(critical(id, a.hold)), subject.release)
              )
            )
          } else {
            yield* subject.withIt(critical(id, a.hold))
          }
        }
      }).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            const index = queue.indexOf(id)
            if (index >= 0) queue.splice(index, 1)
          })
        )
      )

    const fibers: Array<Fiber.Fiber<void>> = []
    for (let id = 0; id < s.actors.length; id++)
      fibers.push(yield* Effect.forkChild(actor(id, s.actors[id]!)))
    for (let step = 0; step <= 12; step++) {
      for (let id = 0; id < s.actors.length; id++) {
        if (s.actors[id]!.cancelAt === step && !isDone(fibers[id]!)) {
          cancelled.add(id)
          fibers[id]!.interruptUnsafe()
        }
      }
      yield* Effect.yieldNow
    }
    for (let i = 0; i < 500 && !fibers.every(isDone); i++) yield* Effect.yieldNow
    for (let id = 0; id < fibers.length; id++) {
      const exit = fibers[id]!.pollUnsafe()
      if (exit === undefined) problems.push(`actor ${id} never finished`)
      else if (Exit.isFailure(exit) && !(cancelled.has(id) && Cause.hasInterruptsOnly(exit.cause))) {
        problems.push(`actor ${id} failed: ${Cause.pretty(exit.cause)}`)
      }
    }
    if (!subject.idle()) problems.push("primitive not idle at the end")
    expect(problems).toEqual([])
  })
  return s.scheduled ? scheduledWakeups(body) : body
}

describe("properties", () => {
  const numRuns = 150

  it("Lock: mutual exclusion, FIFO, no deadlock under random cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(scenario(1), (s) => {
        const lock = new Lock({ fastAcquire: s.fastAcquire })
        return Effect.runPromise(
          runScenario(s, {
            capacity: 1,
            acquire: lock.acquire(),
            release: lock.release(),
            withIt: (body) => lock.withLock(body),
            mustWait: () => lock.locked(),
            idle: () => !lock.locked() && lock.statistics().tasksWaiting === 0
          })
        )
      }),
      { numRuns }
    )
  })

  it("Semaphore: never over-subscribed, FIFO, no deadlock under random cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(scenario(3), (s) => {
        const semaphore = new Semaphore(s.capacity, { maxValue: s.capacity, fastAcquire: s.fastAcquire })
        return Effect.runPromise(
          runScenario(s, {
            capacity: s.capacity,
            acquire: semaphore.acquire(),
            release: semaphore.release(),
            withIt: (body) => semaphore.withPermit(body),
            mustWait: () => semaphore.value === 0,
            idle: () => semaphore.value === s.capacity && semaphore.statistics().tasksWaiting === 0
          })
        )
      }),
      { numRuns }
    )
  })

  it("CapacityLimiter: never over-subscribed, FIFO, no deadlock under random cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(scenario(3), (s) => {
        const limiter = new CapacityLimiter(s.capacity)
        return Effect.runPromise(
          runScenario(s, {
            capacity: s.capacity,
            acquire: limiter.acquire(),
            release: limiter.release(),
            withIt: (body) => limiter.withToken(body),
            mustWait: () => limiter.availableTokens === 0 || limiter.statistics().tasksWaiting > 0,
            idle: () => limiter.borrowedTokens === 0 && limiter.statistics().tasksWaiting === 0
          })
        )
      }),
      { numRuns }
    )
  })

  it("CapacityLimiter: resizing while busy never over-subscribes and never strands a waiter", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 2, max: 8 }),
        (sizes, actors) =>
          Effect.runPromise(
            Effect.gen(function* () {
              const limiter = new CapacityLimiter(1)
              let holders = 0
              let maxTotal = 1
              let violation = false
              const fibers: Array<Fiber.Fiber<void>> = []
              for (let i = 0; i < actors; i++) {
                fibers.push(
                  yield* Effect.forkChild(
                    limiter.withToken(
                      Effect.gen(function* () {
                        holders++
                        // lowering the total never revokes tokens, so compare with the largest total
                        if (holders > limiter.borrowedTokens || limiter.borrowedTokens > maxTotal)
                          violation = true
                        yield* Effect.yieldNow
                        yield* Effect.yieldNow
                      }).pipe(Effect.ensuring(Effect.sync(() => holders--)))
                    )
                  )
                )
              }
              for (const size of sizes) {
                yield* Effect.yieldNow
                maxTotal = Math.max(maxTotal, size) // first: raising the total wakes waiters at once
                limiter.totalTokens = size
              }
              limiter.totalTokens = 1
              for (let i = 0; i < 500 && !fibers.every(isDone); i++) yield* Effect.yieldNow
              expect(fibers.every(isDone)).toBe(true)
              expect(violation).toBe(false)
              expect(limiter.statistics()).toMatchObject({ borrowedTokens: 0, tasksWaiting: 0 })
            })
          )
      ),
      { numRuns: 100 }
    )
  })
})
