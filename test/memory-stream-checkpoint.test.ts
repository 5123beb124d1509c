/**
 * Memory streams, issue 14: `send` and `receive` are one `Effect.callback` each (checkpoint, step
 * and park; see internal/memoryStream.ts). An operation guessed to park parks in its checkpoint's
 * callback ("fused"); the others yield and make their step in the fiber ("light"). These tests drive
 * both kinds through each phase where an interruption can land, and the guesses that turn out wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { createMemoryObjectStream } from "../src/MemoryObjectStream.ts"

/** Forks `effect`, started at once: it runs up to its first suspension (a stream op's checkpoint). */
const start = <A, E>(effect: Effect.Effect<A, E>) => Effect.forkChild(effect, { startImmediately: true })

const settle = Effect.gen(function* () {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow
})

describe("memory stream operations interrupted during their checkpoint", () => {
  it.effect("a fused receive (nothing to take) interrupted before its checkpoint ran takes nothing", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(0)
      const r = yield* start(receive.receive())
      yield* Fiber.interrupt(r)
      yield* settle
      expect(receive.statistics().tasksWaitingReceive).toBe(0)
      expect(Exit.isFailure(yield* Effect.exit(send.sendNowait(1)))).toBe(true)
    })
  )

  it.effect("a fused send (no receiver) interrupted before its checkpoint ran offers nothing", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(0)
      const s = yield* start(send.send(1))
      yield* Fiber.interrupt(s)
      yield* settle
      expect(send.statistics().tasksWaitingSend).toBe(0)
      expect(Exit.isFailure(yield* Effect.exit(receive.receiveNowait()))).toBe(true)
    })
  )

  it.effect("a light receive (an item buffered) interrupted before its checkpoint ran leaves the item", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(1)
      yield* send.sendNowait(7)
      const r = yield* start(receive.receive())
      yield* Fiber.interrupt(r)
      yield* settle
      expect(receive.statistics().currentBufferUsed).toBe(1)
      expect(yield* receive.receiveNowait()).toBe(7)
    })
  )

  it.effect("a light send (room in the buffer) interrupted before its checkpoint ran buffers nothing", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(1)
      const s = yield* start(send.send(7))
      yield* Fiber.interrupt(s)
      yield* settle
      expect(receive.statistics().currentBufferUsed).toBe(0)
    })
  )

  it.effect("a fused send interrupted while parked withdraws its item", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(0)
      const s = yield* start(send.send(1))
      yield* settle
      expect(send.statistics().tasksWaitingSend).toBe(1)
      yield* Fiber.interrupt(s)
      expect(send.statistics().tasksWaitingSend).toBe(0)
      expect(Exit.isFailure(yield* Effect.exit(receive.receiveNowait()))).toBe(true)
    })
  )
})

describe("memory stream guesses that turn out wrong", () => {
  it.effect(
    "a light send whose receiver left before its checkpoint parks, then completes when received",
    () =>
      Effect.gen(function* () {
        const [send, receive] = createMemoryObjectStream<string>(0)
        const r1 = yield* start(receive.receive())
        yield* settle
        expect(receive.statistics().tasksWaitingReceive).toBe(1)
        // A receiver is parked: the send is guessed not to park.
        const s = yield* start(send.send("x"))
        yield* Fiber.interrupt(r1)
        yield* settle
        expect(send.statistics().tasksWaitingSend).toBe(1)
        expect(yield* receive.receive()).toBe("x")
        expect(Exit.isSuccess(yield* Fiber.await(s))).toBe(true)
      })
  )

  it.effect("a fused receive that finds an item at its checkpoint takes it without parking", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<string>(1)
      // Nothing buffered: the receive is guessed to park; the item arrives before its checkpoint.
      const r = yield* start(receive.receive())
      yield* send.sendNowait("y")
      expect(yield* Fiber.join(r)).toBe("y")
      expect(receive.statistics().tasksWaitingReceive).toBe(0)
    })
  )

  it.effect("a light receive whose item was taken before its checkpoint parks, then gets the next", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<string>(1)
      yield* send.sendNowait("a")
      const r = yield* start(receive.receive())
      expect(yield* receive.receiveNowait()).toBe("a")
      yield* settle
      expect(receive.statistics().tasksWaitingReceive).toBe(1)
      yield* send.send("b")
      expect(yield* Fiber.join(r)).toBe("b")
    })
  )

  it.effect("ping-pong through a rendezvous keeps every item in order, both ways round", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(0)
      const got: Array<number> = []
      const consumer = yield* Effect.forkChild(
        Effect.gen(function* () {
          for (let i = 0; i < 200; i++) got.push(yield* receive.receive())
        })
      )
      for (let i = 0; i < 200; i++) yield* send.send(i)
      yield* Fiber.join(consumer)
      expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i))
      expect(send.statistics().tasksWaitingSend + receive.statistics().tasksWaitingReceive).toBe(0)
    })
  )
})
