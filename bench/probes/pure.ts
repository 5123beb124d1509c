// Scheduler overhead alone: a task that reschedules itself N times (no fiber).
import { Scheduler } from "effect"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"
import { Variant } from "./variant-scheduler.ts"

const N = 200_000
const s: Record<string, () => Scheduler.Scheduler> = {
  src: () => makeBatchingScheduler(),
  sync: () => new Scheduler.MixedScheduler("sync"),
  "v same as src": () =>
    new Variant({
      budgetMs: 1,
      tickEvery: 16,
      turnStart: "immediate",
      checkEvery: 1,
      hop: "then",
      syncRounds: 4
    }),
  "v then, tick/64, check/8, sync 8": () =>
    new Variant({
      budgetMs: 1,
      tickEvery: 64,
      turnStart: "immediate",
      checkEvery: 8,
      hop: "then",
      syncRounds: 8
    })
}
const res: Record<string, number[]> = Object.fromEntries(Object.keys(s).map((k) => [k, []]))
for (let r = 0; r < 21; r++) {
  for (const [k, f] of Object.entries(s)) {
    const d = f().makeDispatcher()
    const t = process.hrtime.bigint()
    await new Promise<void>((resolve) => {
      let i = 0
      const task = () => {
        if (++i < N) d.scheduleTask(task, 0)
        else resolve()
      }
      d.scheduleTask(task, 0)
    })
    if (r > 0) res[k]!.push(Number(process.hrtime.bigint() - t) / N)
  }
}
for (const [k, v] of Object.entries(res)) console.log(k, v.sort((a, b) => a - b)[v.length >> 1]!.toFixed(0))
