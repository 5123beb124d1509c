/**
 * Issue 14: A/B of memory-stream throughput (buffer 0 and 100) between the working tree's `src` and
 * a copy of another commit's (`git archive <rev> src | tar -x -C bench/.ab`), against
 * `Queue.bounded(0)` / `(100)`, interleaved sample by sample in one process (the order alternates),
 * so a loaded machine slows every row alike. CPU ns per item (this thread), min and median.
 * `node_modules/.bin/node --expose-gc bench/probes/stream-ab.ts [rounds]` (`ONLY=0` / `ONLY=100`).
 */
import { Effect, Fiber, Queue } from "effect"
import * as BStream from "../../src/MemoryObjectStream.ts"
import * as BSched from "../../src/Scheduler.ts"

// Loaded by a computed path: bench/.ab exists only while an A/B runs (see nest-ab2.ts).
const abRoot = new URL("../.ab/src/", import.meta.url).href
const AStream = (await import(`${abRoot}MemoryObjectStream.ts`)) as typeof BStream
const ASched = (await import(`${abRoot}Scheduler.ts`)) as typeof BSched

const rounds = Number(process.argv[2] ?? 15)
const n = Number(process.env.N ?? 100_000)
const only = process.env.ONLY

const stream = (lib: typeof BStream, buffer: number): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    const [send, receive] = lib.createMemoryObjectStream<number>(buffer)
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

const queue = (capacity: number): Effect.Effect<void> =>
  Effect.gen(function* () {
    const q = yield* Queue.bounded<number>(capacity)
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

type Row = { name: string; run: () => Promise<unknown>; ref?: string }
const rows: Array<Row> = []
for (const b of only === undefined ? [0, 100] : [Number(only)]) {
  const q = `Queue.bounded(${b})`
  rows.push({ name: q, run: () => Effect.runPromise(BSched.withBatchingScheduler(queue(b))) })
  rows.push({
    name: `A stream ${b}`,
    ref: q,
    run: () => Effect.runPromise(ASched.withBatchingScheduler(stream(AStream, b)))
  })
  rows.push({
    name: `B stream ${b}`,
    ref: q,
    run: () => Effect.runPromise(BSched.withBatchingScheduler(stream(BStream, b)))
  })
}
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const cpu = () => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}
const times = new Map<string, Array<number>>(rows.map((r) => [r.name, []]))
for (let r = 0; r < rounds + 2; r++) {
  const order = r % 2 ? [...rows].reverse() : rows
  for (const row of order) {
    gc()
    const t = cpu()
    await row.run()
    if (r >= 2) times.get(row.name)!.push((cpu() - t) / n)
  }
}
const med = (v: Array<number>) => [...v].sort((a, b) => a - b)[v.length >> 1]!
const min = (v: Array<number>) => Math.min(...v)
for (const row of rows) {
  const v = times.get(row.name)!
  const ref =
    row.ref === undefined
      ? ""
      : (() => {
          const q = times.get(row.ref)!
          return `  ratio min ${(min(v) / min(q)).toFixed(2)}× median ${(med(v) / med(q)).toFixed(2)}×`
        })()
  console.log(
    `${row.name.padEnd(18)} min ${min(v).toFixed(0).padStart(5)} median ${med(v).toFixed(0).padStart(5)} CPU ns${ref}`
  )
}
for (const b of only === undefined ? [0, 100] : [Number(only)]) {
  const a = times.get(`A stream ${b}`)!
  const bb = times.get(`B stream ${b}`)!
  console.log(`B/A ${b}: min ${(min(bb) / min(a)).toFixed(3)} median ${(med(bb) / med(a)).toFixed(3)}`)
}
