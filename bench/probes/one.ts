import { Effect, Scheduler } from "effect"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"
import { Variant } from "./variant-scheduler.ts"

const N = 100_000
const loop = (n: number) => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => Effect.yieldNow, step: () => {} })
}
const s: Record<string, () => Scheduler.Scheduler> = {
  src: () => makeBatchingScheduler(),
  sync: () => new Scheduler.MixedScheduler("sync"),
  "then, tick/8, check/8": () =>
    new Variant({ budgetMs: 1, tickEvery: 8, turnStart: "immediate", checkEvery: 8, hop: "then" }),
  "then, no tick, check/8": () =>
    new Variant({ budgetMs: 1, tickEvery: 0, turnStart: "immediate", checkEvery: 8, hop: "then" }),
  "then, no tick, check/64": () =>
    new Variant({ budgetMs: 1, tickEvery: 0, turnStart: "immediate", checkEvery: 64, hop: "then" }),
  "then, tick/64, check/64": () =>
    new Variant({ budgetMs: 1, tickEvery: 64, turnStart: "immediate", checkEvery: 64, hop: "then" })
}
const res: Record<string, number[]> = Object.fromEntries(Object.keys(s).map((k) => [k, []]))
for (let r = 0; r < 21; r++) {
  for (const [k, f] of Object.entries(s)) {
    const t = process.hrtime.bigint()
    await Effect.runPromise(Effect.provideService(loop(N), Scheduler.Scheduler, f()))
    if (r > 0) res[k]!.push(Number(process.hrtime.bigint() - t) / N)
  }
}
for (const [k, v] of Object.entries(res)) console.log(k, v.sort((a, b) => a - b)[v.length >> 1]!.toFixed(0))
