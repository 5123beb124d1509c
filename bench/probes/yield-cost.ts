// Per-yield cost on each scheduler, in one run (the machine is loaded: compare ratios).
import { AsyncResource } from "node:async_hooks"
import { Scheduler } from "effect"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"
import { makeBatchingScheduler as makeOld } from "./old-scheduler.ts"
import { runRound, yieldWorkloads } from "./sched-rounds.ts"

const N = Number(process.env.N ?? 200_000)
const workloads = yieldWorkloads(N)
const schedulers: Record<string, () => Scheduler.Scheduler | undefined> = {
  mixed: () => undefined,
  "old batching": () => makeOld(),
  "new batching": () => makeBatchingScheduler(),
  "sync mixed": () => new Scheduler.MixedScheduler("sync")
}
const res = new Map<string, Array<number>>()
for (let round = 0; round < 5; round++) {
  await runRound(round, N, workloads, schedulers, res)
  const t = process.hrtime.bigint()
  for (let i = 0; i < N; i++) {
    const a = new AsyncResource("x")
    a.runInAsyncScope(() => {})
    a.emitDestroy()
  }
  const ns = Number(process.hrtime.bigint() - t) / N
  if (round > 0)
    res.set("AsyncResource new+run+destroy", [...(res.get("AsyncResource new+run+destroy") ?? []), ns])
  const t2 = process.hrtime.bigint()
  await new Promise<void>((r) => {
    let i = 0
    const f = () => (++i < N ? queueMicrotask(f) : r())
    f()
  })
  if (round > 0)
    res.set("raw queueMicrotask hop", [
      ...(res.get("raw queueMicrotask hop") ?? []),
      Number(process.hrtime.bigint() - t2) / N
    ])
}
for (const [n, v] of res) console.log(n.padEnd(44), v.sort((a, b) => a - b)[v.length >> 1]!.toFixed(0), "ns")
