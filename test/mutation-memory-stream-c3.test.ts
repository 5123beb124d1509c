/**
 * Tests written to kill survivors of the memory stream's Stryker run of 2026-12-06 (see
 * test/MUTATION.md, "Re-run of 2026-12-06 after ca599af").
 *
 * Most of them are in the guesses `sendMayPark` / `receiveMayPark` and in the counts of pending
 * checkpoints they read. A wrong guess costs time, never correctness, so the public API cannot tell
 * a mutant of a guess from the original: these tests audit the work instead. They hook the
 * stream's internal steps (`StreamState`'s prototype, restored after each test) and count the two
 * ways a guess is wrong: a fused operation whose checkpoint did not park (it paid for a canceler
 * for nothing), and a light operation that parks after all (a second suspension). The module
 * comment promises that in a buffer-0 ping both guesses are right every time; the other tests set
 * up each case the guesses distinguish, in which the right guess is also known.
 *
 * The last test is about behaviour: `sendNowait`'s yield guard when the item goes to a parked
 * receiver.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { createMemoryObjectStream } from "../src/index.ts"
import { StreamState } from "../src/internal/memoryStream.ts"
import { successesBeforeInterrupt } from "./helpers.ts"

/** The parts of a waiter the audit reads. */
interface AuditedWaiter {
  readonly queued: boolean
  resume: (effect: unknown) => void
}

/** The private steps of `StreamState` that the audit wraps. */
interface Steps {
  sendCheckpoint(w: AuditedWaiter): void
  receiveCheckpoint(w: AuditedWaiter): void
  parkSender(...args: Array<unknown>): unknown
  parkReceiver(...args: Array<unknown>): unknown
}

interface Audit {
  /** Fused operations whose checkpoint parked them (a right guess). */
  fusedParked: number
  /** Fused operations whose checkpoint completed them: the guess "will park" was wrong. */
  fusedDone: number
  /** Light operations that parked in a second suspension: the guess "will not park" was wrong. */
  lightParked: number
}

/** Runs `body` with the stream's steps audited (the prototype is restored afterwards). */
const audited = <A, E>(body: (audit: Audit) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const proto = StreamState.prototype as unknown as Steps
      const saved: Steps = {
        sendCheckpoint: proto.sendCheckpoint,
        receiveCheckpoint: proto.receiveCheckpoint,
        parkSender: proto.parkSender,
        parkReceiver: proto.parkReceiver
      }
      const audit: Audit = { fusedParked: 0, fusedDone: 0, lightParked: 0 }
      const fused = (step: (w: AuditedWaiter) => void) =>
        function (this: unknown, w: AuditedWaiter): void {
          // A checkpoint that completes its operation resumes the fiber, which runs on at once
          // (perhaps to the test's assertions): count it in the resume, before the fiber runs.
          const resume = w.resume
          w.resume = (effect) => {
            w.resume = resume
            audit.fusedDone++
            resume(effect)
          }
          step.call(this, w)
          if (w.resume === resume) return
          w.resume = resume
          if (w.queued) audit.fusedParked++
        }
      const light = (park: (...args: Array<unknown>) => unknown) =>
        function (this: unknown, ...args: Array<unknown>): unknown {
          const canceler = park.apply(this, args)
          if (canceler !== undefined) audit.lightParked++
          return canceler
        }
      proto.sendCheckpoint = fused(saved.sendCheckpoint)
      proto.receiveCheckpoint = fused(saved.receiveCheckpoint)
      proto.parkSender = light(saved.parkSender)
      proto.parkReceiver = light(saved.parkReceiver)
      return { audit, saved }
    }),
    ({ audit }) => body(audit),
    ({ saved }) => Effect.sync(() => Object.assign(StreamState.prototype, saved))
  )

/** Forks `effect`, started at once: it runs up to its first suspension (a stream op's checkpoint). */
const start = <A, E>(effect: Effect.Effect<A, E>) => Effect.forkChild(effect, { startImmediately: true })

const settle = Effect.gen(function* () {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow
})

const rightGuesses = (audit: Audit, fusedParked: number) => {
  expect(audit.fusedDone, "fused operations that did not park").toBe(0)
  expect(audit.lightParked, "light operations that parked").toBe(0)
  expect(audit.fusedParked, "fused operations that parked").toBe(fusedParked)
}

describe("memory stream: the fused/light guesses are right where the module comment says", () => {
  // Kills, in `sendMayPark` and `receiveMayPark`: each whole condition → true / false, `||` → `&&`,
  // `=== 0` → `!== 0`, `!== undefined` → `=== undefined`, `buffer.length < max` → `<=`,
  // `buffer.length > 0` → `>= 0` / `<= 0`; and `++` ↔ `--` on both pending-checkpoint counts (in
  // `sendOp`, its light task, `sendCheckpoint`, `receiveOp`, its light task, `receiveCheckpoint`).
  for (const receiverFirst of [true, false]) {
    it.effect(`a buffer-0 ping (${receiverFirst ? "receiver" : "sender"} first): every guess is right`, () =>
      audited((audit) =>
        Effect.gen(function* () {
          const n = 20
          const [send, receive] = createMemoryObjectStream<number>(0)
          const items = Array.from({ length: n }, (_, i) => i)
          const consume = Effect.forEach(items, () => receive.receive())
          const produce = Effect.forEach(items, (i) => send.send(i), { discard: true })
          let c: Fiber.Fiber<Array<number>, unknown>
          let p: Fiber.Fiber<void, unknown>
          if (receiverFirst) {
            c = yield* start(consume)
            p = yield* start(produce)
          } else {
            p = yield* start(produce)
            c = yield* start(consume)
          }
          expect(yield* Fiber.join(c)).toEqual(items)
          yield* Fiber.join(p)
          // Every item passes through one parked operation: half the operations are fused and park.
          rightGuesses(audit, n)
        })
      )
    )
  }

  // Kills `sendMayPark`'s `receivers.head !== undefined || …` → `false`, `|| → &&`, and
  // `return false` → `true`: a send that finds a receiver parked is light.
  it.effect("a send to a parked receiver is light", () =>
    audited((audit) =>
      Effect.gen(function* () {
        const [send, receive] = createMemoryObjectStream<string>(0)
        const r = yield* start(receive.receive())
        yield* settle
        yield* send.send("a")
        expect(yield* Fiber.join(r)).toBe("a")
        rightGuesses(audit, 1)
      })
    )
  )

  // Kills `sendMayPark`'s `buffer.length < maxBufferSize` → `false` / `>=`: a send with room in the
  // buffer is light.
  it.effect("a send with room in the buffer is light", () =>
    audited((audit) =>
      Effect.gen(function* () {
        const [send, receive] = createMemoryObjectStream<string>(1)
        yield* send.send("a")
        expect(yield* receive.receiveNowait()).toBe("a")
        rightGuesses(audit, 0)
      })
    )
  )

  // Kills `receiveMayPark`'s `buffer.length > 0 || …` → `false`, `buffer.length > 0` → `false`,
  // `|| → &&` and `return false` → `true`: a receive with an item buffered is light.
  it.effect("a receive with an item buffered is light", () =>
    audited((audit) =>
      Effect.gen(function* () {
        const [send, receive] = createMemoryObjectStream<string>(1)
        yield* send.sendNowait("a")
        expect(yield* receive.receive()).toBe("a")
        rightGuesses(audit, 0)
      })
    )
  )

  // Kills `receiveMayPark`'s `senders.head !== undefined` → `false` (a receive that finds a sender
  // parked is light) and `sendMayPark`'s `senders.head !== undefined` → `false` (a send behind a
  // pending receive that will take a parked sender's item is fused: it will park).
  it.effect("with a sender parked: a receive is light, and a send behind it is fused", () =>
    audited((audit) =>
      Effect.gen(function* () {
        const [send, receive] = createMemoryObjectStream<string>(0)
        const x = yield* start(send.send("x"))
        yield* settle
        const r = yield* start(receive.receive())
        const y = yield* start(send.send("y"))
        yield* settle
        expect(send.statistics().tasksWaitingSend).toBe(1)
        expect(yield* Fiber.join(r)).toBe("x")
        expect(yield* receive.receive()).toBe("y")
        yield* Fiber.join(x)
        yield* Fiber.join(y)
        rightGuesses(audit, 2)
      })
    )
  )

  // Kills `receiveMayPark`'s `receivers.head !== undefined` → `false`: a receive behind a pending
  // send that will serve a parked receiver is fused (it will park).
  it.effect("with a receiver parked: a send is light, and a receive behind it is fused", () =>
    audited((audit) =>
      Effect.gen(function* () {
        const [send, receive] = createMemoryObjectStream<string>(0)
        const r1 = yield* start(receive.receive())
        yield* settle
        const s = yield* start(send.send("a"))
        const r2 = yield* start(receive.receive())
        yield* settle
        expect(receive.statistics().tasksWaitingReceive).toBe(1)
        yield* send.send("b")
        expect(yield* Fiber.join(r1)).toBe("a")
        expect(yield* Fiber.join(r2)).toBe("b")
        yield* Fiber.join(s)
        rightGuesses(audit, 2)
      })
    )
  )
})

describe("memory stream: sendNowait's yield guard with parked receivers", () => {
  // Kills `sendStep`'s guard `receivers.head !== undefined` → `false` / `=== undefined`: a
  // `sendNowait` that hands its item to a parked receiver must not commit when the run loop is
  // about to yield (an interruption in that yield would lose the send's success, not the item).
  it.effect(
    "sendNowait to parked receivers, interrupted at every possible yield point: it succeeded iff its item was taken",
    () =>
      Effect.gen(function* () {
        for (let ops = 5; ops <= 48; ops++) {
          const n = 40
          const [send, receive] = createMemoryObjectStream<number>(0)
          const receivers = []
          for (let i = 0; i < n; i++) receivers.push(yield* start(receive.receive()))
          yield* settle
          expect(receive.statistics().tasksWaitingReceive).toBe(n)
          const sent = yield* successesBeforeInterrupt(n, ops, (i) => send.sendNowait(i))
          // A served receiver leaves the queue when it is given its item.
          expect(n - receive.statistics().tasksWaitingReceive, `MaxOpsBeforeYield ${ops}`).toBe(sent)
          for (const f of receivers) yield* Fiber.interrupt(f)
        }
      })
  )
})
