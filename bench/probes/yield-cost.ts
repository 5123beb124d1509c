// Per-yield cost on each scheduler, in one run (the machine is loaded: compare ratios).
import { AsyncResource } from "node:async_hooks"
import { Effect, Fiber, Scheduler } from "effect"
import { Lock } from "../../src/Lock.ts"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"
import { makeBatchingScheduler as makeOld } from "./old-scheduler.ts"

const N = Number(process.env.N ?? 200_000)
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
const schedulers: Record<string, () => Scheduler.Scheduler | undefined> = {
  mixed: () => undefined,
  "old batching": () => makeOld(),
  "new batching": () => makeBatchingScheduler(),
  "sync mixed": () => new Scheduler.MixedScheduler("sync")
}
const res = new Map<string, Array<number>>()
for (let round = 0; round < 5; round++) {
  for (const [w, make] of Object.entries(workloads)) {
    for (const [s, sched] of Object.entries(schedulers)) {
      const sc = sched()
      const eff = sc === undefined ? make() : Effect.provideService(make(), Scheduler.Scheduler, sc)
      const t = process.hrtime.bigint()
      await Effect.runPromise(eff)
      const ns = Number(process.hrtime.bigint() - t) / N
      if (round > 0) res.set(`${w} | ${s}`, [...(res.get(`${w} | ${s}`) ?? []), ns])
    }
  }
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
