// What the scheduler probes (variants.ts, yield-cost.ts) share: the yield workloads and one
// interleaved round of every workload on every scheduler.
import { Effect, Fiber, Scheduler } from "effect"
import { Lock } from "../../src/Lock.ts"

export const loop = (n: number, op: Effect.Effect<unknown>) => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
}

const fibers = (k: number, n: number) =>
  Effect.gen(function* () {
    const fs = []
    for (let j = 0; j < k; j++) fs.push(yield* Effect.forkChild(loop(n / k, Effect.yieldNow)))
    yield* Fiber.joinAll(fs)
  })

/** `n` yields by one fiber, by ten, and `n` uncontended Lock acquisitions. */
export const yieldWorkloads = (n: number): Record<string, () => Effect.Effect<unknown>> => ({
  "1 fiber yields": () => loop(n, Effect.yieldNow),
  "10 fibers yield": () => fibers(10, n),
  "Lock() withLock(void)": () => Effect.suspend(() => loop(n, new Lock().withLock(Effect.void)))
})

/**
 * Runs every workload on every scheduler (`undefined`: Effect's own) once and, after round 0 (the
 * warm-up), adds its ns per op to `res` under "workload | scheduler".
 */
export const runRound = async (
  round: number,
  n: number,
  workloads: Record<string, () => Effect.Effect<unknown>>,
  schedulers: Record<string, () => Scheduler.Scheduler | undefined>,
  res: Map<string, Array<number>>
): Promise<void> => {
  for (const [w, make] of Object.entries(workloads)) {
    for (const [s, sched] of Object.entries(schedulers)) {
      const sc = sched()
      const eff = sc === undefined ? make() : Effect.provideService(make(), Scheduler.Scheduler, sc)
      const t = process.hrtime.bigint()
      await Effect.runPromise(eff)
      const ns = Number(process.hrtime.bigint() - t) / n
      ;(sc as { close?: () => void } | undefined)?.close?.()
      if (round > 0) res.set(`${w} | ${s}`, [...(res.get(`${w} | ${s}`) ?? []), ns])
    }
  }
}
