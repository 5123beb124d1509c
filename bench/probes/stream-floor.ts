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
