// Issue 14 floor: what a buffer-0 send/receive ping costs in raw Effect when each operation does
// only what AnyIO requires: one yield to the dispatcher first (the checkpoint), then the
// rendezvous, parking in the same suspension, the parked peer's wake-up scheduled on its dispatcher
// (FIFO, not run inside the waker's call). No closing, no errors, no task records, no give-back:
// less than the real stream must do. Against Queue.bounded(0) (no yield, the taker resumed inline)
// and the memory stream, same driver as bench/memory-stream.ts, CPU ns per item, interleaved.
// Run: node_modules/.bin/node --expose-gc bench/probes/stream-floor.ts
import { Effect, Exit, Fiber, Queue } from "effect"
import { createMemoryObjectStream } from "../../src/MemoryObjectStream.ts"
import { withBatchingScheduler } from "../../src/Scheduler.ts"

type Resume = (e: Effect.Effect<unknown>) => void
interface Parked {
  resume: Resume
  item: unknown
  fiber: Fiber.Fiber<unknown, unknown>
  cancelled: boolean
}

/** A rendezvous channel: parked senders (with items) or parked receivers, FIFO. */
class Chan {
  senders: Array<Parked> = []
  receivers: Array<Parked> = []
  /** Checkpoints scheduled and not run ("guess" mode). */
  sendCheckpoints = 0
  receiveCheckpoints = 0
}

const wake = (p: Parked, e: Effect.Effect<unknown>) =>
  p.fiber.currentDispatcher.scheduleTask(() => p.resume(e), 0)

/**
 * `canceler`: return a fresh `Effect.sync` canceler per operation (as a real stream must), a shared
 * prebuilt one ("shared": what the canceler machinery costs without the allocation) or none.
 */
type Canceler = boolean | "shared"
const shared = Effect.void
const cancelerOf = (c: Canceler, p: Parked) =>
  c === "shared" ? shared : c ? Effect.sync(() => (p.cancelled = true)) : undefined

const send = (ch: Chan, item: unknown, canceler: Canceler): Effect.Effect<unknown> =>
  Effect.callback<unknown>((resume) => {
    const fiber = Fiber.getCurrent()!
    const p: Parked = { resume, item, fiber, cancelled: false }
    fiber.currentDispatcher.scheduleTask(() => {
      if (p.cancelled) return
      const r = ch.receivers.shift()
      if (r !== undefined) {
        wake(r, Exit.succeed(item))
        resume(Exit.void)
      } else ch.senders.push(p)
    }, 0)
    return cancelerOf(canceler, p)
  })

const receive = (ch: Chan, canceler: Canceler): Effect.Effect<unknown> =>
  Effect.callback<unknown>((resume) => {
    const fiber = Fiber.getCurrent()!
    const p: Parked = { resume, item: undefined, fiber, cancelled: false }
    fiber.currentDispatcher.scheduleTask(() => {
      if (p.cancelled) return
      const s = ch.senders.shift()
      if (s !== undefined) {
        wake(s, Exit.void)
        resume(Exit.succeed(s.item))
      } else ch.receivers.push(p)
    }, 0)
    return cancelerOf(canceler, p)
  })

/**
 * The least a correct stream can do on Effect's public API: a canceler only where an operation may
 * park. An operation that will probably park (the memory stream's guess) parks in its checkpoint's
 * callback, with a canceler; any other yields without one and makes its step in the fiber (a step
 * made in the task would be lost if the fiber was interrupted meanwhile), parking, if it must after
 * all, in a second callback.
 */
const park = (queue: Array<Parked>, item: unknown) =>
  Effect.callback<unknown>((resume) => {
    const p: Parked = { resume, item, fiber: Fiber.getCurrent()!, cancelled: false }
    queue.push(p)
    return Effect.sync(() => (p.cancelled = true))
  })

const sendGuess = (ch: Chan, item: unknown): Effect.Effect<unknown> =>
  Effect.callback<unknown>((resume) => {
    const fiber = Fiber.getCurrent()!
    ch.sendCheckpoints++
    if (ch.receivers.length === 0 && ch.receiveCheckpoints === 0) {
      const p: Parked = { resume, item, fiber, cancelled: false }
      fiber.currentDispatcher.scheduleTask(() => {
        ch.sendCheckpoints--
        if (p.cancelled) return
        const r = ch.receivers.shift()
        if (r !== undefined) {
          wake(r, Exit.succeed(item))
          resume(Exit.void)
        } else ch.senders.push(p)
      }, 0)
      return Effect.sync(() => (p.cancelled = true))
    }
    fiber.currentDispatcher.scheduleTask(() => {
      ch.sendCheckpoints--
      resume(
        Effect.suspend(() => {
          const r = ch.receivers.shift()
          if (r === undefined) return park(ch.senders, item)
          wake(r, Exit.succeed(item))
          return Exit.void
        })
      )
    }, 0)
    return undefined
  })

const receiveGuess = (ch: Chan): Effect.Effect<unknown> =>
  Effect.callback<unknown>((resume) => {
    const fiber = Fiber.getCurrent()!
    ch.receiveCheckpoints++
    if (ch.senders.length === 0 && ch.sendCheckpoints === 0) {
      const p: Parked = { resume, item: undefined, fiber, cancelled: false }
      fiber.currentDispatcher.scheduleTask(() => {
        ch.receiveCheckpoints--
        if (p.cancelled) return
        const s = ch.senders.shift()
        if (s !== undefined) {
          wake(s, Exit.void)
          resume(Exit.succeed(s.item))
        } else ch.receivers.push(p)
      }, 0)
      return Effect.sync(() => (p.cancelled = true))
    }
    fiber.currentDispatcher.scheduleTask(() => {
      ch.receiveCheckpoints--
      resume(
        Effect.suspend(() => {
          const s = ch.senders.shift()
          if (s === undefined) return park(ch.receivers, undefined)
          wake(s, Exit.void)
          return Exit.succeed(s.item)
        })
      )
    }, 0)
    return undefined
  })

const floorGuess = (n: number): Effect.Effect<void> =>
  Effect.gen(function* () {
    const ch = new Chan()
    const consumer = yield* Effect.forkChild(
      Effect.gen(function* () {
        let sum = 0
        for (let i = 0; i < n; i++) sum += (yield* receiveGuess(ch)) as number
        return sum
      })
    )
    for (let i = 0; i < n; i++) yield* sendGuess(ch, i)
    const sum = yield* Fiber.join(consumer)
    if (sum !== (n * (n - 1)) / 2) throw new Error(`lost items: ${sum}`)
  })

const floor = (n: number, canceler: Canceler): Effect.Effect<void> =>
  Effect.gen(function* () {
    const ch = new Chan()
    const consumer = yield* Effect.forkChild(
      Effect.gen(function* () {
        let sum = 0
        for (let i = 0; i < n; i++) sum += (yield* receive(ch, canceler)) as number
        return sum
      })
    )
    for (let i = 0; i < n; i++) yield* send(ch, i, canceler)
    const sum = yield* Fiber.join(consumer)
    if (sum !== (n * (n - 1)) / 2) throw new Error(`lost items: ${sum}`)
  })

const queue = (n: number): Effect.Effect<void> =>
  Effect.gen(function* () {
    const q = yield* Queue.bounded<number>(0)
    const consumer = yield* Effect.forkChild(
      Effect.gen(function* () {
        let sum = 0
        for (let i = 0; i < n; i++) sum += yield* Queue.take(q)
        return sum
      })
    )
    for (let i = 0; i < n; i++) yield* Queue.offer(q, i)
    const sum = yield* Fiber.join(consumer)
    if (sum !== (n * (n - 1)) / 2) throw new Error(`lost items: ${sum}`)
  })

const stream = (n: number): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    const [s, r] = createMemoryObjectStream<number>(0)
    const consumer = yield* Effect.forkChild(
      Effect.gen(function* () {
        let sum = 0
        for (let i = 0; i < n; i++) sum += yield* r.receive()
        return sum
      })
    )
    for (let i = 0; i < n; i++) yield* s.send(i)
    yield* s.close()
    const sum = yield* Fiber.join(consumer)
    if (sum !== (n * (n - 1)) / 2) throw new Error(`lost items: ${sum}`)
  })

const cases: Array<[string, (n: number) => Effect.Effect<unknown, unknown>]> = [
  ["Queue.bounded(0) offer/take", queue],
  ["floor: yield + rendezvous, no canceler", (n) => floor(n, false)],
  ["floor: yield + rendezvous + canceler", (n) => floor(n, true)],
  ["floor: yield + rendezvous + shared canceler", (n) => floor(n, "shared")],
  ["floor: canceler where an op may park (guess)", floorGuess],
  ["memory stream, buffer 0", stream]
]
const n = Number(process.env.N ?? 100_000)
const rounds = Number(process.env.SAMPLES ?? 7)
const cpu = () => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const times = new Map<string, Array<number>>()
for (let r = 0; r < rounds + 2; r++) {
  for (const [name, run] of cases) {
    gc()
    const t = cpu()
    await Effect.runPromise(withBatchingScheduler(run(n)))
    if (r >= 2) times.set(name, [...(times.get(name) ?? []), (cpu() - t) / n])
  }
}
const med = (v: Array<number>) => [...v].sort((a, b) => a - b)[v.length >> 1]!
const q = med(times.get(cases[0]![0])!)
for (const [name] of cases) {
  const m = med(times.get(name)!)
  console.log(`${name.padEnd(42)} ${m.toFixed(0).padStart(6)} CPU ns  ${(m / q).toFixed(2)}×`)
}
