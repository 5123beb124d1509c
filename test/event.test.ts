/**
 * Event (AnyIO's tests/test_synchronization.py, TestEvent). Concurrency uses plain Effect fibers;
 * no test depends on time. `// anyio: name` marks a port.
 */
import { Effect, Exit, Fiber } from "effect"
import { Event } from "../src/Event.ts"
import { createTaskGroup } from "../src/TaskGroup.ts"
import { describe, expect, it, settle } from "./helpers.ts"

// Built outside of any running program, on purpose.
const moduleEvent = new Event()

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
  it.effect("a waiter woken by set() before its scope is cancelled still returns from wait", () =>
    Effect.gen(function* () {
      const event = new Event()
      let setterStarted = false
      let waiterWoke = false
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              setterStarted = true
              expect(event.isSet()).toBe(false)
              yield* event.set()
              yield* tg.cancelScope.cancel()
            })
          )
          yield* event.wait()
          waiterWoke = true
        })
      )
      expect(setterStarted).toBe(true)
      expect(waiterWoke).toBe(true)
    })
  )

  it.effect("a waiter woken by set(), then interrupted from outside before it ran, ends interrupted", () =>
    Effect.gen(function* () {
      // Effect's own interruption cannot be refused, unlike a cancel scope's (previous test); the
      // waiter was served, but its wake-up had not run yet.
      const event = new Event()
      let waiterWoke = false
      const waiter = yield* Effect.forkChild(
        event.wait().pipe(Effect.tap(() => Effect.sync(() => (waiterWoke = true))))
      )
      yield* settle()
      yield* event.set()
      yield* Fiber.interrupt(waiter)
      expect(waiterWoke).toBe(false)
      expect(event.statistics().tasksWaiting).toBe(0)
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
