// Issue 14: the memory-stream rows of bench/memory-stream.ts alone (buffer 0 and 100 against
// Queue.bounded), interleaved, CPU time of this thread per item (steadier than wall time on a shared
// machine), for quick A/B runs. `ONLY=0` / `ONLY=100` keeps one pair.
// Run: node_modules/.bin/node --expose-gc bench/probes/stream-ping.ts
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { cases } from "../memory-stream.ts"

const only = process.env.ONLY
const picked = cases.filter(
  (c) => !c.name.includes("yield") && (only === undefined || c.name.match(/\d+/)![0] === only)
)
const n = Number(process.env.N ?? 100_000)
const rounds = Number(process.env.SAMPLES ?? 7)
const cpu = () => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const times = new Map<string, Array<number>>()
for (let r = 0; r < rounds + 2; r++) {
  for (const c of picked) {
    gc()
    const t = cpu()
    await Effect.runPromise(withBatchingScheduler(c.run(n)))
    if (r >= 2) times.set(c.name, [...(times.get(c.name) ?? []), (cpu() - t) / n])
  }
}
const med = (v: Array<number>) => [...v].sort((a, b) => a - b)[v.length >> 1]!
const ns = new Map([...times].map(([k, v]) => [k, med(v)]))
for (const c of picked) {
  const ref = c.reference === undefined ? "" : ` ${(ns.get(c.name)! / ns.get(c.reference)!).toFixed(2)}×`
  console.log(`${c.name.padEnd(40)} ${ns.get(c.name)!.toFixed(0).padStart(6)} CPU ns${ref}`)
}
