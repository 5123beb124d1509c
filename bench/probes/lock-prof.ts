import { Effect, Semaphore as ES } from "effect"
import { checkpoint } from "../../src/index.ts"
import { Lock } from "../../src/Lock.ts"
import { withBatchingScheduler } from "../../src/Scheduler.ts"

const N = 100_000
const loop = (n: number, op: Effect.Effect<unknown>) => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
}
const cases: Record<string, () => Effect.Effect<unknown>> = {
  yieldNow: () => loop(N, Effect.yieldNow),
  checkpoint: () => loop(N, checkpoint()),
  "Lock() withLock(void)": () => Effect.suspend(() => loop(N, new Lock().withLock(Effect.void))),
  "Lock(fast) withLock(void)": () =>
    Effect.suspend(() => loop(N, new Lock({ fastAcquire: true }).withLock(Effect.void))),
  "Lock(fast) withLock(yieldNow)": () =>
    Effect.suspend(() => loop(N, new Lock({ fastAcquire: true }).withLock(Effect.yieldNow))),
  "Effect sem withPermits(yieldNow)": () =>
    Effect.flatMap(ES.make(1), (s) => loop(N, s.withPermits(1)(Effect.yieldNow)))
}
const only = process.env.ONLY
const res = new Map<string, number[]>()
for (let r = 0; r < 7; r++) {
  for (const [k, f] of Object.entries(cases)) {
    if (only && k !== only) continue
    const t = process.hrtime.bigint()
    await Effect.runPromise(withBatchingScheduler(f()))
    if (r > 0) res.set(k, [...(res.get(k) ?? []), Number(process.hrtime.bigint() - t) / N])
  }
}
for (const [k, v] of res) console.log(k.padEnd(36), v.sort((a, b) => a - b)[v.length >> 1]!.toFixed(0), "ns")
