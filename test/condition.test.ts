/**
 * Condition (AnyIO's tests/test_synchronization.py, TestCondition). Concurrency uses plain Effect
 * fibers; no test depends on time. `// anyio: name` marks a port.
 */
import { Effect, Exit, Fiber } from "effect"
import { Condition } from "../src/Condition.ts"
import { InvalidArgumentError, RuntimeError, WouldBlock } from "../src/Errors.ts"
import { Event } from "../src/Event.ts"
import { Lock } from "../src/Lock.ts"
import { describe, expect, expectDefect, expectFailure, isDone, it, settle } from "./helpers.ts"

// Built outside of any running program, on purpose.
const moduleCondition = new Condition()

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
