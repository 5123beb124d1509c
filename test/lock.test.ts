/**
 * Lock (AnyIO's tests/test_synchronization.py, TestLock). Concurrency uses plain Effect fibers (each
 * forked fiber is its own AnyIO task); no test depends on time. `// anyio: name` marks a port.
 */
import { Effect, Exit, Fiber, Scope } from "effect"
import { cancelScope, makeCancelScope } from "../src/CancelScope.ts"
import { CapacityLimiter } from "../src/CapacityLimiter.ts"
import { RuntimeError, WouldBlock } from "../src/Errors.ts"
import { Event } from "../src/Event.ts"
import { Lock } from "../src/Lock.ts"
import { Semaphore } from "../src/Semaphore.ts"
import { asTask, describe, expect, expectDefect, expectFailure, isDone, it, settle } from "./helpers.ts"

// Built outside of any running program, on purpose.
const moduleLock = new Lock()

/**
 * Forks task `name` acquiring `lock`, and keeps the acquiring fiber itself (asyncio's
 * `task.cancel()` reaches that fiber, not a wrapper around it).
 */
const forkAcquirer = (lock: Lock, name: string) =>
  Effect.gen(function* () {
    let fiber: Fiber.Fiber<unknown, unknown> | undefined
    const task = yield* Effect.forkChild(
      asTask(name)(
        Effect.withFiber((self) => {
          fiber = self
          return lock.acquire()
        })
      )
    )
    return { task, acquirer: () => fiber! }
  })

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
      const waiters: Array<Fiber.Fiber<void, unknown>> = []
      yield* asTask("holder")(
        lock.withLock(
          Effect.gen(function* () {
            const stats = lock.statistics()
            expect(stats.locked).toBe(true)
            expect(stats.owner?.name).toBe("holder")
            expect(stats.tasksWaiting).toBe(0)
            for (let i = 1; i < 3; i++) {
              // a fiber forked by "holder" would be the same task: give each waiter its own
              // (detached: the holder's task ends before the waiters, woken in turn, have run)
              waiters.push(yield* Effect.forkDetach(asTask(`waiter${i}`)(lock.withLock(Effect.void))))
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
    Effect.gen(function* () {
      const lock = new Lock()
      yield* lock.acquireNowait()
      // The native cancellation (asyncio's `task1.cancel()`) reaches the acquiring fiber itself.
      const { task: task1, acquirer } = yield* forkAcquirer(lock, "task1")
      yield* settle()
      yield* lock.release()
      expect(lock.statistics().owner?.name).toBe("task1") // handed over, not yet resumed
      acquirer().interruptUnsafe()
      yield* Fiber.await(task1)
      expect(lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 })
      yield* lock.acquireNowait()
    })
  )

  it.effect("a lock handed over, then cancelled, goes to the next waiter in line", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      yield* lock.acquireNowait()
      const { task: task1, acquirer } = yield* forkAcquirer(lock, "task1")
      yield* settle()
      const task2 = yield* Effect.forkChild(asTask("task2")(lock.withLock(Effect.never)))
      yield* settle()
      yield* lock.release()
      acquirer().interruptUnsafe() // native: the hand-off is undone
      yield* Fiber.await(task1)
      expect(lock.statistics().owner?.name).toBe("task2")
      yield* settle()
      expect(isDone(task2)).toBe(false) // inside its body
      yield* Fiber.interrupt(task2)
      expect(lock.locked()).toBe(false)
    })
  )

  it.effect("a hand-off that already happened wins over a later cancel scope cancellation", () =>
    Effect.gen(function* () {
      // AnyIO does not cancel a task whose wait already completed: it is cancelled at its next
      // checkpoint, holding the lock.
      const lock = new Lock()
      yield* lock.acquireNowait()
      let acquired = false
      const scope = makeCancelScope()
      const task1 = yield* Effect.forkChild(
        asTask("task1")(
          cancelScope(
            scope,
            lock.acquire().pipe(
              Effect.tap(() => Effect.sync(() => (acquired = true))),
              Effect.andThen(Effect.never),
              Effect.ensuring(lock.release())
            )
          )
        )
      )
      yield* settle()
      yield* lock.release()
      yield* scope.cancel()
      yield* Fiber.join(task1)
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
