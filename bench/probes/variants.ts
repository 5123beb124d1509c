// Design choices of the batching scheduler, measured interleaved in one run (loaded machine: ratios).
import { Scheduler } from "effect"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"
import { runRound, yieldWorkloads } from "./sched-rounds.ts"
import { type Knobs, Variant } from "./variant-scheduler.ts"

const N = Number(process.env.N ?? 100_000)
const ROUNDS = Number(process.env.ROUNDS ?? 7)
const workloads = yieldWorkloads(N)
const base: Knobs = { budgetMs: 1, tickEvery: 8, turnStart: "immediate", checkEvery: 1 }
const sel = (process.env.ONLY ?? "").split(",").filter(Boolean)
const all: Record<string, () => Scheduler.Scheduler | undefined> = {
  mixed: () => undefined,
  src: () => makeBatchingScheduler(),
  "v base": () => new Variant(base),
  "v no ticks": () => new Variant({ ...base, tickEvery: 0 }),
  "v check/4": () => new Variant({ ...base, checkEvery: 4 }),
  "v message": () => new Variant({ ...base, turnStart: "message" }),
  "v 0.1ms": () => new Variant({ ...base, budgetMs: 0.1 }),
  "v 0.25ms": () => new Variant({ ...base, budgetMs: 0.25 }),
  "v 0.5ms": () => new Variant({ ...base, budgetMs: 0.5 }),
  "v 2ms": () => new Variant({ ...base, budgetMs: 2 }),
  "v 10ms": () => new Variant({ ...base, budgetMs: 10 }),
  "sync mixed": () => new Scheduler.MixedScheduler("sync")
}
const schedulers = Object.fromEntries(
  Object.entries(all).filter(([k]) => sel.length === 0 || sel.includes(k))
)
const res = new Map<string, Array<number>>()
for (let round = 0; round < ROUNDS; round++) {
  await runRound(round, N, workloads, schedulers, res)
}
let ref = 0
for (const [n, v] of res) {
  const m = v.sort((a, b) => a - b)[v.length >> 1]!
  if (n.endsWith("| src")) ref = m
  console.log(n.padEnd(40), m.toFixed(0).padStart(7), "ns")
}
void ref
