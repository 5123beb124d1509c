/**
 * Issue 14 part 1: operations AnyIO makes checkpoints raise a pending cancellation before doing
 * anything, even when they need not wait (memory stream `send`/`receive` with buffer space or a
 * buffered item, `Lock`/`Semaphore` acquire including `fastAcquire`, `CapacityLimiter`, `Event.wait`
 * on a set event, `Condition.wait`). Each test cancels its own scope in the same step, then runs the
 * operation: nothing is taken, held or buffered, and the scope catches its cancellation.
 * Memory stream `send`/`receive` are full checkpoints (they also yield first), as AnyIO's.
 */
import { Effect } from "effect"
import { type CancelScope, cancelScope } from "../src/CancelScope.ts"
import { CapacityLimiter } from "../src/CapacityLimiter.ts"
import { Condition } from "../src/Condition.ts"
import { waitAllTasksBlocked } from "../src/Debugging.ts"
import { Event } from "../src/Event.ts"
import { Lock } from "../src/Lock.ts"
import { createMemoryObjectStream } from "../src/MemoryObjectStream.ts"
import { Semaphore } from "../src/Semaphore.ts"
import { createTaskGroup } from "../src/TaskGroup.ts"
import { describe, expect, it } from "./helpers.ts"

/** `scope.cancel()` then `op` in the same step; what ran after the op, and whether the scope caught. */
const cancelledThen = <A, E>(op: Effect.Effect<A, E>) =>
  Effect.gen(function* () {
    let after = false
    let scope: CancelScope | undefined
    yield* cancelScope({}, (s) =>
      Effect.gen(function* () {
        scope = s
        yield* s.cancel()
        yield* op
        after = true
      })
    )
    return { after, caught: scope!.cancelledCaught }
  })

describe("memory streams: AnyIO's test_memory.py, literally", () => {
  // anyio: test_receive_when_cancelled
  it.effect("a receive in a cancelled scope takes nothing", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<string>()
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(() => send.send("hello"))
          yield* waitAllTasksBlocked()
          yield* tg.startSoon(() => send.send("world"))
          yield* waitAllTasksBlocked()
          yield* cancelScope({}, (scope) => Effect.andThen(scope.cancel(), receive.receive()))
          expect(yield* receive.receive()).toBe("hello")
          expect(yield* receive.receive()).toBe("world")
        })
      )
      yield* send.close()
      yield* receive.close()
    })
  )

  // anyio: test_send_when_cancelled
  it.effect("a send in a cancelled scope sends nothing", () =>
    Effect.gen(function* () {
      const received: Array<string> = []
      const [send, receive] = createMemoryObjectStream<string>()
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(() => Effect.map(receive.receive(), (item) => received.push(item)))
          yield* cancelScope({}, (scope) => Effect.andThen(scope.cancel(), send.send("hello")))
          yield* send.send("world")
        })
      )
      expect(received).toEqual(["world"])
      yield* send.close()
      yield* receive.close()
    })
  )
})

describe("a pending cancellation lands before an operation that need not wait", () => {
  it.effect("memory stream send with buffer space: nothing is buffered", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(10)
      expect(yield* cancelledThen(send.send(1))).toEqual({ after: false, caught: true })
      expect(receive.statistics().currentBufferUsed).toBe(0)
    })
  )

  it.effect("memory stream receive with a buffered item: the item stays", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(10)
      yield* send.sendNowait(1)
      expect(yield* cancelledThen(receive.receive())).toEqual({ after: false, caught: true })
      expect(yield* receive.receiveNowait()).toBe(1)
    })
  )

  it.effect("memory stream runForEach and Stream view: no item taken", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(10)
      yield* send.sendNowait(1)
      const seen: Array<number> = []
      yield* cancelledThen(receive.runForEach((n) => Effect.sync(() => seen.push(n))))
      expect(seen).toEqual([])
      expect(receive.statistics().currentBufferUsed).toBe(1)
    })
  )

  it.effect("sendNowait and receiveNowait are not checkpoints (as AnyIO's)", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(10)
      let got: number | undefined
      yield* cancelScope({}, (s) =>
        Effect.gen(function* () {
          yield* s.cancel()
          yield* send.sendNowait(1)
          got = yield* receive.receiveNowait()
        })
      )
      expect(got).toBe(1)
    })
  )

  for (const fastAcquire of [false, true]) {
    it.effect(`Lock.acquire (fastAcquire ${fastAcquire}): not held afterwards`, () =>
      Effect.gen(function* () {
        const lock = new Lock({ fastAcquire })
        expect(yield* cancelledThen(lock.acquire())).toEqual({ after: false, caught: true })
        expect(lock.locked()).toBe(false)
      })
    )

    it.effect(`Lock.withLock (fastAcquire ${fastAcquire}): the body never runs`, () =>
      Effect.gen(function* () {
        const lock = new Lock({ fastAcquire })
        let ran = false
        yield* cancelledThen(lock.withLock(Effect.sync(() => (ran = true))))
        expect(ran).toBe(false)
        expect(lock.locked()).toBe(false)
      })
    )

    it.effect(`Semaphore.acquire and withPermit (fastAcquire ${fastAcquire}): the value is unchanged`, () =>
      Effect.gen(function* () {
        const semaphore = new Semaphore(1, { fastAcquire })
        expect(yield* cancelledThen(semaphore.acquire())).toEqual({ after: false, caught: true })
        expect(semaphore.value).toBe(1)
        let ran = false
        yield* cancelledThen(semaphore.withPermit(Effect.sync(() => (ran = true))))
        expect(ran).toBe(false)
        expect(semaphore.value).toBe(1)
      })
    )
  }

  it.effect("CapacityLimiter acquire, acquireOnBehalfOf, withToken: no token borrowed", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      expect(yield* cancelledThen(limiter.acquire())).toEqual({ after: false, caught: true })
      expect(yield* cancelledThen(limiter.acquireOnBehalfOf("x"))).toEqual({ after: false, caught: true })
      let ran = false
      yield* cancelledThen(limiter.withToken(Effect.sync(() => (ran = true))))
      expect(ran).toBe(false)
      expect(limiter.statistics().borrowedTokens).toBe(0)
    })
  )

  it.effect("Event.wait on a set event is a checkpoint", () =>
    Effect.gen(function* () {
      const event = new Event()
      yield* event.set()
      expect(yield* cancelledThen(event.wait())).toEqual({ after: false, caught: true })
    })
  )

  it.effect("Condition.wait never releases the lock", () =>
    Effect.gen(function* () {
      const condition = new Condition()
      let releasedMeanwhile = false
      yield* createTaskGroup((tg) =>
        condition.withLock(
          Effect.gen(function* () {
            // A task waiting for the condition's lock would get it if wait() released it.
            yield* tg.startSoon(() => condition.withLock(Effect.sync(() => (releasedMeanwhile = true))))
            yield* waitAllTasksBlocked()
            expect(yield* cancelledThen(condition.wait())).toEqual({ after: false, caught: true })
            expect(releasedMeanwhile).toBe(false)
          })
        )
      )
      expect(releasedMeanwhile).toBe(true)
      expect(condition.locked()).toBe(false)
    })
  )

  it.effect("code between cancel() and an operation that need not wait runs", () =>
    Effect.gen(function* () {
      const lock = new Lock({ fastAcquire: true })
      const steps: Array<string> = []
      yield* cancelScope({}, (s) =>
        Effect.gen(function* () {
          yield* s.cancel()
          steps.push("after cancel")
          yield* lock.acquire()
          steps.push("after acquire")
        })
      )
      expect(steps).toEqual(["after cancel"])
    })
  )
})
