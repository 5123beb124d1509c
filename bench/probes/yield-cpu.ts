// CPU time per checkpoint on Effect's scheduler and on the batching one (one run, interleaved),
// and the cost of the AsyncResource Effect 4.1 creates at every suspension.
import { AsyncResource } from "node:async_hooks"
import { Effect, Fiber, Scheduler } from "effect"
import { checkpoint } from "../../src/index.ts"
import { Lock } from "../../src/Lock.ts"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"

const N = Number(process.env.N ?? 200_000)
const loop = (n: number, op: () => Effect.Effect<unknown>) => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: op, step: () => {} })
}
const fibers = (k: number) =>
  Effect.gen(function* () {
    const fs = []
    for (let j = 0; j < k; j++) fs.push(yield* Effect.forkChild(loop(N / k, () => Effect.yieldNow)))
    yield* Fiber.joinAll(fs)
  })
const workloads: Record<string, () => Effect.Effect<unknown>> = {
  "yieldNow, 1 fiber": () => loop(N, () => Effect.yieldNow),
  "checkpoint(), 1 fiber": () => loop(N, () => checkpoint()),
  "yieldNow, 10 fibers": () => fibers(10),
  "Lock() withLock(void)": () =>
    Effect.suspend(() => {
      const l = new Lock()
      return loop(N, () => l.withLock(Effect.void))
    })
}
const batching = makeBatchingScheduler()
const cpu = () => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}
const res = new Map<string, number[]>()
const add = (k: string, v: number) => res.set(k, [...(res.get(k) ?? []), v])
for (let r = 0; r < Number(process.env.ROUNDS ?? 7); r++) {
  for (const [w, make] of Object.entries(workloads)) {
    for (const s of ["Effect's scheduler", "batching"] as const) {
      const e = s === "batching" ? Effect.provideService(make(), Scheduler.Scheduler, batching) : make()
      const c = cpu()
      const t = process.hrtime.bigint()
      await Effect.runPromise(e)
      if (r > 0) {
        add(`${w} | ${s} | CPU`, (cpu() - c) / N)
        add(`${w} | ${s} | wall`, Number(process.hrtime.bigint() - t) / N)
      }
    }
  }
  const c = cpu()
  for (let i = 0; i < N; i++) {
    const a = new AsyncResource("effect/Fiber")
    a.runInAsyncScope(() => {})
    a.emitDestroy()
  }
  if (r > 0) add("AsyncResource new + runInAsyncScope + emitDestroy | | CPU", (cpu() - c) / N)
}
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!
for (const [k, v] of res) console.log(k.padEnd(64), med(v).toFixed(0).padStart(7), "ns")
