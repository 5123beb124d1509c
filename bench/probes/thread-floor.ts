// Issue 19 floor: what an Effect-based round trip to a worker thread costs at the least, beside
// raw node:worker_threads and toThread.runSync, all through the bench harness (same measure(),
// cases interleaved sample by sample, median of SAMPLES). The floor rows call the same raw echo
// worker as the raw rows, from an Effect fiber:
//   - "callback": one Effect.callback per call (post, resume from the reply listener);
//   - "yield + callback": plus one Effect.yieldNow before the post (AnyIO's checkpoint before the
//     call, which toThread.runSync keeps: a task cancelled there never runs the function);
//   - "scheduled post": that checkpoint as toThread.runSync takes it: one Effect.callback whose
//     post waits in a task of the fiber's dispatcher (one suspension instead of two);
//   - "scheduled post + limiter": plus a free CapacityLimiter token taken and given back
//     (acquireOnBehalfOfNowait, releaseOnBehalfOf) inside uninterruptibleMask + onExitPrimitive,
//     restore around the wait: toThread.runSync's path without its pool, options and messages.
// Run: node --expose-gc bench/probes/thread-floor.ts (as `npm run bench` runs its sections: the
// harness then collects garbage before every sample); NOGC=1 to leave the collector alone.
// N=<calls per sample> (2000), SAMPLES (7), REWARM=<calls run untimed after each collection> (0).
import { Worker } from "node:worker_threads"
import { Effect } from "effect"
import { CapacityLimiter } from "../../src/CapacityLimiter.ts"
import * as toThread from "../../src/ToThread.ts"
import { workerFunction } from "../../src/WorkerFunction.ts"
import { type Case, format, measure } from "../harness.ts"

if (process.env.NOGC) (globalThis as { gc?: unknown }).gc = undefined
const N = Number(process.env.N ?? 2000)
const WIDTH = 8
const echo = workerFunction<(x: number) => number>(new URL("../worker-fns.ts", import.meta.url), "echo")
const code = `const { parentPort } = require("node:worker_threads")
parentPort.on("message", (m) => parentPort.postMessage(m))`

interface Channel {
  readonly worker: Worker
  waiter: ((value: unknown) => void) | undefined
}
const channels: Array<Channel> = Array.from({ length: 2 * WIDTH }, () => {
  const c: Channel = { worker: new Worker(code, { eval: true }), waiter: undefined }
  c.worker.on("message", (m) => {
    const w = c.waiter
    c.waiter = undefined
    w?.(m)
  })
  return c
})

// Raw: awaited, as bench/workers.ts does.
const rawCall = (c: Channel, i: number) =>
  new Promise<unknown>((resolve) => {
    c.waiter = resolve
    c.worker.postMessage([i, 0, [i]])
  })
const rawChain = async (c: Channel, n: number) => {
  for (let i = 0; i < n; i++) await rawCall(c, i)
}

// Effect floor: one Effect.callback per call.
const callback = (c: Channel, i: number) =>
  Effect.callback<unknown>((resume) => {
    c.waiter = (m) => resume(Effect.succeed(m))
    c.worker.postMessage([i, 0, [i]])
  })
const withYield = (c: Channel, i: number) => Effect.andThen(Effect.yieldNow, callback(c, i))
// The checkpoint as toThread.runSync takes it: the post waits in a task of the fiber's
// dispatcher, inside the one callback that waits for the reply (one suspension, not two).
const scheduled = (c: Channel, i: number) =>
  Effect.withFiber((fiber) =>
    Effect.callback<unknown>((resume) => {
      fiber.currentDispatcher.scheduleTask(() => {
        c.waiter = (m) => resume(Effect.succeed(m))
        c.worker.postMessage([i, 0, [i]])
      }, 0)
    })
  )
const limiter = new CapacityLimiter(40)
const withLimiter = (c: Channel, i: number) => {
  const borrower = {}
  return Effect.uninterruptibleMask((restore) =>
    Effect.onExitPrimitive(
      Effect.flatMap(limiter.acquireOnBehalfOfNowait(borrower), () => restore(scheduled(c, i))),
      () => limiter.releaseOnBehalfOf(borrower)
    )
  )
}

const chains =
  (width: number, call: (c: Channel, i: number) => Effect.Effect<unknown, unknown>, base: number) =>
  (n: number) =>
    Effect.forEach(
      Array.from({ length: width }, (_, k) => k),
      (k) =>
        Effect.gen(function* () {
          const c = channels[base + k]!
          for (let i = 0; i < n / width; i++) yield* call(c, i)
        }),
      { concurrency: width, discard: true }
    )
const ours = (width: number) => (n: number) =>
  Effect.forEach(
    Array.from({ length: width }, (_, k) => k),
    () =>
      Effect.gen(function* () {
        for (let i = 0; i < n / width; i++) yield* toThread.runSync(echo, [i])
      }),
    { concurrency: width, discard: true }
  )

const rawSeq = "raw seq"
const rawPar = `raw x${WIDTH}`
const cases: Array<Case> = [
  { name: rawSeq, run: (n) => Effect.promise(() => rawChain(channels[0]!, n)) },
  { name: "floor seq: callback", reference: rawSeq, run: chains(1, callback, 1) },
  { name: "floor seq: yield + callback", reference: rawSeq, run: chains(1, withYield, 2) },
  { name: "floor seq: scheduled post", reference: rawSeq, run: chains(1, scheduled, 3) },
  { name: "floor seq: scheduled post + limiter", reference: rawSeq, run: chains(1, withLimiter, 4) },
  { name: "toThread.runSync seq", reference: rawSeq, run: ours(1) },
  {
    name: rawPar,
    run: (n) =>
      Effect.promise(() =>
        Promise.all(Array.from({ length: WIDTH }, (_, k) => rawChain(channels[k]!, n / WIDTH)))
      )
  },
  { name: `floor x${WIDTH}: callback`, reference: rawPar, run: chains(WIDTH, callback, WIDTH) },
  { name: `floor x${WIDTH}: yield + callback`, reference: rawPar, run: chains(WIDTH, withYield, WIDTH) },
  { name: `floor x${WIDTH}: scheduled post`, reference: rawPar, run: chains(WIDTH, scheduled, WIDTH) },
  {
    name: `floor x${WIDTH}: scheduled post + limiter`,
    reference: rawPar,
    run: chains(WIDTH, withLimiter, WIDTH)
  },
  { name: `toThread.runSync x${WIDTH}`, reference: rawPar, run: ours(WIDTH) }
]
const only = process.env.ONLY
const chosen =
  only === undefined ? cases : cases.filter((c) => c.name.startsWith("raw") || c.name.includes(only))
await Effect.runPromise(ours(WIDTH)(64))
console.log(
  format(
    await measure(chosen, {
      n: N,
      samples: Number(process.env.SAMPLES ?? 7),
      warmup: 2,
      rewarm: Number(process.env.REWARM ?? 0)
    })
  )
)
await Promise.all(channels.map((c) => c.worker.terminate()))
process.exit(0)
