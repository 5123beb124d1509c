// toThread.runSync against raw worker_threads, sequential and 8 in flight, both schedulers,
// interleaved in one process (loaded machine: compare ratios).
import { Worker } from "node:worker_threads"
import { Effect, Scheduler } from "effect"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"
import * as toThread from "../../src/ToThread.ts"
import { workerFunction } from "../../src/WorkerFunction.ts"

const N = Number(process.env.N ?? 4000)
const WIDTH = 8
const echo = workerFunction<(x: number) => number>(new URL("../worker-fns.ts", import.meta.url), "echo")
const code = `const { parentPort } = require("node:worker_threads")
parentPort.on("message", (m) => parentPort.postMessage(m))`
const raws = Array.from({ length: WIDTH }, () => new Worker(code, { eval: true }))
const pending = new Map<Worker, () => void>()
for (const w of raws)
  w.on("message", () => {
    const p = pending.get(w)
    pending.delete(w)
    p?.()
  })
const rawCall = (w: Worker) =>
  new Promise<void>((resolve) => {
    pending.set(w, resolve)
    w.postMessage([1, "echo", [1]])
  })
const rawChain = async (w: Worker, n: number) => {
  for (let i = 0; i < n; i++) await rawCall(w)
}
const ours = (width: number) => (n: number) =>
  Effect.forEach(
    Array.from({ length: width }, (_, k) => k),
    () =>
      Effect.gen(function* () {
        for (let i = 0; i < n / width; i++) yield* toThread.runSync(echo, [i])
      }),
    { concurrency: width, discard: true }
  )
const batching = makeBatchingScheduler()
const on = (s: "effect" | "batching", e: Effect.Effect<unknown, unknown>) =>
  s === "effect" ? e : Effect.provideService(e, Scheduler.Scheduler, batching)
const cases: Record<string, () => Promise<unknown>> = {
  "raw seq": () => rawChain(raws[0]!, N),
  "raw x8": () => Promise.all(raws.map((w) => rawChain(w, N / WIDTH))),
  "ours seq · effect": () => Effect.runPromise(on("effect", ours(1)(N))),
  "ours x8 · effect": () => Effect.runPromise(on("effect", ours(WIDTH)(N))),
  "ours seq · batching": () => Effect.runPromise(on("batching", ours(1)(N))),
  "ours x8 · batching": () => Effect.runPromise(on("batching", ours(WIDTH)(N)))
}
await Effect.runPromise(ours(WIDTH)(64))
const res = new Map<string, number[]>()
const cpuRes = new Map<string, number[]>()
const allRes = new Map<string, number[]>()
const allCpu = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) * 1000
}
const threadCpu = (): number => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}
const only = process.env.ONLY
for (let r = 0; r < Number(process.env.ROUNDS ?? 7); r++) {
  for (const [k, f] of Object.entries(cases)) {
    if (only !== undefined && !only.split(",").includes(k)) continue
    const t = process.hrtime.bigint()
    const c = threadCpu()
    const a = allCpu()
    await f()
    if (r > 0) allRes.set(k, [...(allRes.get(k) ?? []), (allCpu() - a) / N])
    if (r > 0) res.set(k, [...(res.get(k) ?? []), Number(process.hrtime.bigint() - t) / N])
    if (r > 0) cpuRes.set(k, [...(cpuRes.get(k) ?? []), (threadCpu() - c) / N])
  }
}
const med = (m: Map<string, number[]>, k: string) => {
  const v = m.get(k)!.sort((a, b) => a - b)
  return v[v.length >> 1]!
}
console.log(
  "case                      wall ns/call (÷ raw)   main-thread CPU ns/call (÷ raw)   all threads CPU"
)
for (const k of res.keys()) {
  const rk = k.includes("x8") ? "raw x8" : "raw seq"
  if (!res.has(rk)) {
    console.log(k, med(res, k).toFixed(0), med(cpuRes, k).toFixed(0))
    continue
  }
  const w = med(res, k)
  const c = med(cpuRes, k)
  console.log(
    k.padEnd(24),
    w.toFixed(0).padStart(8),
    k.startsWith("raw") ? "      " : `(${(w / med(res, rk)).toFixed(2)}×)`,
    c.toFixed(0).padStart(8),
    k.startsWith("raw") ? "       " : `(${(c / med(cpuRes, rk)).toFixed(2)}×)`,
    med(allRes, k).toFixed(0).padStart(8),
    k.startsWith("raw") ? "" : `(${(med(allRes, k) / med(allRes, rk)).toFixed(2)}×)`
  )
}
await Promise.all(raws.map((w) => w.terminate()))
