// One case of bench/probes/thread-cpu.ts on its own, for strace / perf: CASE=raw|ours|floor,
// N calls sequential (WIDTH=1) or in flight.
import { Worker } from "node:worker_threads"
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import * as toThread from "../../src/ToThread.ts"
import { workerFunction } from "../../src/WorkerFunction.ts"

const N = Number(process.env.N ?? 20000)
const WIDTH = Number(process.env.WIDTH ?? 1)
const echo = workerFunction<(x: number) => number>(new URL("../worker-fns.ts", import.meta.url), "echo")
const w = new Worker(
  `const { parentPort } = require("node:worker_threads")
parentPort.on("message", (m) => parentPort.postMessage(m))`,
  { eval: true }
)
let waiter: ((m: unknown) => void) | undefined
w.on("message", (m) => {
  const f = waiter
  waiter = undefined
  f?.(m)
})
const raw = async (n: number) => {
  for (let i = 0; i < n; i++)
    await new Promise((resolve) => {
      waiter = resolve
      w.postMessage([i, 0, [i]])
    })
}
const ours = (n: number) =>
  Effect.forEach(
    Array.from({ length: WIDTH }, (_, k) => k),
    () =>
      Effect.gen(function* () {
        for (let i = 0; i < n / WIDTH; i++) yield* toThread.runSync(echo, [i])
      }),
    { concurrency: WIDTH, discard: true }
  )
const run = (n: number) =>
  process.env.CASE === "raw" ? raw(n) : Effect.runPromise(withBatchingScheduler(ours(n)))
await run(N)
const c0 = process.threadCpuUsage()
const t0 = performance.now()
await run(N)
const c = process.threadCpuUsage(c0)
console.log(
  process.env.CASE,
  (((performance.now() - t0) * 1000) / N).toFixed(1),
  "us wall",
  ((c.user + c.system) / N).toFixed(1),
  "us main CPU",
  (c.system / N).toFixed(1),
  "sys"
)
process.exit(0)
