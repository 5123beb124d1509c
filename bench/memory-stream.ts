/**
 * Memory object stream throughput: one producer and one consumer move N items through a
 * `createMemoryObjectStream(0)` / `(100)`, against Effect's `Queue.bounded(0)` / `(100)` measured in
 * the same run. Target: ratio <= 1.0. For scale, AnyIO itself takes about 9,300 ns per item (buffer 0).
 *
 * Run: `node bench/memory-stream.ts` (Node 24; add `--expose-gc` for steadier figures). `run()` is
 * also used by the bench runner. N items per sample; median of 9 samples after 3 warm-up rounds.
 */
import { Effect, Fiber, Queue } from "effect"
import { createMemoryObjectStream } from "../src/MemoryObjectStream.ts"
import { type Case, format, measure, type Result } from "./harness.ts"

const N = 100_000

const memoryStream = (n: number, buffer: number): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    const [send, receive] = createMemoryObjectStream<number>(buffer)
    const consumer = yield* Effect.forkChild(
      Effect.gen(function* () {
        let sum = 0
        for (let i = 0; i < n; i++) sum += yield* receive.receive()
        return sum
      })
    )
    for (let i = 0; i < n; i++) yield* send.send(i)
    yield* send.close()
    const sum = yield* Fiber.join(consumer)
    if (sum !== (n * (n - 1)) / 2) throw new Error(`lost items: ${sum}`)
  })

const queue = (n: number, capacity: number, checkpoint = false): Effect.Effect<void> =>
  Effect.gen(function* () {
    const q = yield* Queue.bounded<number>(capacity)
    const consumer = yield* Effect.forkChild(
      Effect.gen(function* () {
        let sum = 0
        for (let i = 0; i < n; i++) {
          if (checkpoint) yield* Effect.yieldNow
          sum += yield* Queue.take(q)
        }
        return sum
      })
    )
    for (let i = 0; i < n; i++) {
      if (checkpoint) yield* Effect.yieldNow
      yield* Queue.offer(q, i)
    }
    const sum = yield* Fiber.join(consumer)
    if (sum !== (n * (n - 1)) / 2) throw new Error(`lost items: ${sum}`)
  })

const queue0 = "Queue.bounded(0) offer/take"
const queue100 = "Queue.bounded(100) offer/take"

const queue0y = "Queue.bounded(0) offer/take, Effect.yieldNow before each"
const queue100y = "Queue.bounded(100) offer/take, Effect.yieldNow before each"

// send and receive are AnyIO checkpoints (a yield first); the rows against Queue with a yield before
// each op show what the stream itself costs beyond that yield.
export const cases: ReadonlyArray<Case> = [
  { name: queue0, run: (n) => queue(n, 0) },
  { name: queue100, run: (n) => queue(n, 100) },
  { name: queue0y, run: (n) => queue(n, 0, true) },
  { name: queue100y, run: (n) => queue(n, 100, true) },
  { name: "memory stream, buffer 0", run: (n) => memoryStream(n, 0), reference: queue0 },
  { name: "memory stream, buffer 100", run: (n) => memoryStream(n, 100), reference: queue100 },
  {
    name: "memory stream, buffer 0 (vs Queue with a yield per op)",
    run: (n) => memoryStream(n, 0),
    reference: queue0y
  },
  {
    name: "memory stream, buffer 100 (vs Queue with a yield per op)",
    run: (n) => memoryStream(n, 100),
    reference: queue100y
  }
]

export const run = (): Promise<Array<Result>> => measure(cases, { n: N, samples: 9, warmup: 3 })

if (import.meta.main) console.log(format(await run()))
