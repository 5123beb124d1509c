// Design choices of the batching scheduler, measured interleaved in one run (loaded machine: ratios).
import { Effect, Fiber, Scheduler } from "effect"
import { Lock } from "../../src/Lock.ts"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"
import { type Knobs, Variant } from "./variant-scheduler.ts"

const N = Number(process.env.N ?? 100_000)
const ROUNDS = Number(process.env.ROUNDS ?? 7)
const loop = (n: number, op: Effect.Effect<unknown>) => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
}
const fibers = (k: number, n: number) =>
  Effect.gen(function* () {
    const fs = []
    for (let j = 0; j < k; j++) fs.push(yield* Effect.forkChild(loop(n / k, Effect.yieldNow)))
    yield* Fiber.joinAll(fs)
  })
const workloads: Record<string, () => Effect.Effect<unknown>> = {
  "1 fiber yields": () => loop(N, Effect.yieldNow),
  "10 fibers yield": () => fibers(10, N),
  "Lock() withLock(void)": () => Effect.suspend(() => loop(N, new Lock().withLock(Effect.void)))
}
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
  for (const [w, make] of Object.entries(workloads)) {
    for (const [s, sched] of Object.entries(schedulers)) {
      const sc = sched()
      const eff = sc === undefined ? make() : Effect.provideService(make(), Scheduler.Scheduler, sc)
      const t = process.hrtime.bigint()
      await Effect.runPromise(eff)
      const ns = Number(process.hrtime.bigint() - t) / N
      ;(sc as { close?: () => void } | undefined)?.close?.()
      if (round > 0) res.set(`${w} | ${s}`, [...(res.get(`${w} | ${s}`) ?? []), ns])
    }
  }
}
let ref = 0
for (const [n, v] of res) {
  const m = v.sort((a, b) => a - b)[v.length >> 1]!
  if (n.endsWith("| src")) ref = m
  console.log(n.padEnd(40), m.toFixed(0).padStart(7), "ns")
}
void ref
