// CapacityLimiter's borrower-based acquire/release against a bare yield, in one run (CPU per op).
import { Effect, Scheduler } from "effect"
import { CapacityLimiter } from "../../src/CapacityLimiter.ts"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"

const N = 200_000
const limiter = new CapacityLimiter(40)
const loop = (op: () => Effect.Effect<unknown, unknown>) => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < N, body: op, step: () => {} })
}
const cases: Record<string, () => Effect.Effect<unknown, unknown>> = {
  yieldNow: () => Effect.yieldNow,
  "acquireOnBehalfOf + release": () => {
    const b = {}
    return Effect.andThen(limiter.acquireOnBehalfOf(b), limiter.releaseOnBehalfOf(b))
  },
  "withToken(void)": () => limiter.withToken(Effect.void),
  "acquireOnBehalfOfNowait + release": () => {
    const b = {}
    return Effect.andThen(limiter.acquireOnBehalfOfNowait(b), limiter.releaseOnBehalfOf(b))
  }
}
const s = makeBatchingScheduler()
const cpu = () => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}
const res = new Map<string, number[]>()
for (let r = 0; r < 9; r++) {
  for (const [k, f] of Object.entries(cases)) {
    const c = cpu()
    await Effect.runPromise(Effect.provideService(loop(f), Scheduler.Scheduler, s))
    if (r > 0) res.set(k, [...(res.get(k) ?? []), (cpu() - c) / N])
  }
}
for (const [k, v] of res)
  console.log(
    k.padEnd(36),
    v
      .sort((a, b) => a - b)
      [v.length >> 1]!.toFixed(0)
      .padStart(6),
    "ns CPU"
  )
