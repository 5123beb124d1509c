/**
 * CapacityLimiter (AnyIO's tests/test_synchronization.py, TestCapacityLimiter). Concurrency uses
 * plain Effect fibers; no test depends on time. `// anyio: name` marks a port.
 */
import { Effect, Fiber } from "effect"
import { CapacityLimiter } from "../src/CapacityLimiter.ts"
import { RuntimeError, WouldBlock } from "../src/Errors.ts"
import { Event } from "../src/Event.ts"
import { describe, expect, expectDefect, expectFailure, expectThrows, isDone, it, settle } from "./helpers.ts"

// Built outside of any running program, on purpose.
const moduleLimiter = new CapacityLimiter(1)

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
