/**
 * Semaphore (AnyIO's tests/test_synchronization.py, TestSemaphore). Concurrency uses plain Effect
 * fibers; no test depends on time. `// anyio: name` marks a port.
 */
import { Effect, Fiber } from "effect"
import { RuntimeError, WouldBlock } from "../src/Errors.ts"
import { Semaphore } from "../src/Semaphore.ts"
import { describe, expect, expectDefect, expectFailure, expectThrows, isDone, it, settle } from "./helpers.ts"

// Built outside of any running program, on purpose.
const moduleSemaphore = new Semaphore(1, { maxValue: 3 })

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
