/**
 * Synchronization primitives against Effect's own `Semaphore`, measured in one run.
 * Run: `node --expose-gc bench/sync.ts`.
 *
 * - Uncontended: one fiber acquires and releases `n` times. `fastAcquire: true` is the like-for-like
 *   comparison with Effect's `Semaphore.withPermits(1)` (neither yields). AnyIO's default
 *   (`fastAcquire: false`) makes every acquire a checkpoint, i.e. one `Effect.yieldNow`; it is compared
 *   with `withPermits(1)` around an `Effect.yieldNow` (the same amount of scheduling).
 * - Contended: `k` fibers each take the lock `n / k` times around an `Effect.yieldNow` (so the holder
 *   always gets overtaken while holding it and every acquisition is a hand-off); ns per acquisition.
 */
import { Effect, Semaphore as EffectSemaphore, Fiber } from "effect"
import { CapacityLimiter } from "../src/CapacityLimiter.ts"
import { Lock } from "../src/Lock.ts"
import { Semaphore } from "../src/Semaphore.ts"
import { type Case, format, measure, type Result } from "./harness.ts"

const N = 100_000

/** Runs `op` `n` times in one fiber, without generator overhead per iteration. */
const times = (n: number, op: Effect.Effect<unknown>): Effect.Effect<void> => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
}

/** `k` fibers each run `op` `n / k` times; waits for all. */
const contended = (n: number, k: number, op: Effect.Effect<unknown>): Effect.Effect<void> =>
  Effect.gen(function* () {
    const fibers: Array<Fiber.Fiber<void>> = []
    for (let j = 0; j < k; j++) fibers.push(yield* Effect.forkChild(times(Math.floor(n / k), op)))
    yield* Fiber.joinAll(fibers)
  })

const ref = "Effect Semaphore.withPermits(1)(void)"
const refYield = "Effect Semaphore.withPermits(1)(yieldNow)"

const effectWithPermit = (body: Effect.Effect<void>) => (n: number) =>
  Effect.flatMap(EffectSemaphore.make(1), (sem) => times(n, sem.withPermits(1)(body)))

export const cases: ReadonlyArray<Case> = [
  { name: ref, run: effectWithPermit(Effect.void) },
  {
    name: "Lock(fast).withLock(void)",
    reference: ref,
    run: (n) => Effect.suspend(() => times(n, new Lock({ fastAcquire: true }).withLock(Effect.void)))
  },
  {
    name: "Lock(fast) acquire + release",
    reference: ref,
    run: (n) =>
      Effect.suspend(() => {
        const lock = new Lock({ fastAcquire: true })
        return times(n, Effect.andThen(lock.acquire(), lock.release()))
      })
  },
  {
    name: "Semaphore(1, fast).withPermit(void)",
    reference: ref,
    run: (n) =>
      Effect.suspend(() => times(n, new Semaphore(1, { fastAcquire: true }).withPermit(Effect.void)))
  },
  {
    name: "Semaphore(1, fast) acquire + release",
    reference: ref,
    run: (n) =>
      Effect.suspend(() => {
        const sem = new Semaphore(1, { fastAcquire: true })
        return times(n, Effect.andThen(sem.acquire(), sem.release()))
      })
  },
  { name: refYield, run: effectWithPermit(Effect.yieldNow) },
  {
    name: "Lock() (AnyIO default, checkpoint) withLock(void)",
    reference: refYield,
    run: (n) => Effect.suspend(() => times(n, new Lock().withLock(Effect.void)))
  },
  {
    name: "Semaphore(1) (checkpoint) withPermit(void)",
    reference: refYield,
    run: (n) => Effect.suspend(() => times(n, new Semaphore(1).withPermit(Effect.void)))
  },
  {
    name: "CapacityLimiter(1) (always a checkpoint) withToken(void)",
    reference: refYield,
    run: (n) => Effect.suspend(() => times(n, new CapacityLimiter(1).withToken(Effect.void)))
  },
  ...[2, 100].flatMap((k): Array<Case> => {
    const effectName = `contended x${k}: Effect Semaphore.withPermits(1)(yieldNow)`
    return [
      {
        name: effectName,
        run: (n) =>
          Effect.flatMap(EffectSemaphore.make(1), (sem) =>
            contended(n, k, sem.withPermits(1)(Effect.yieldNow))
          )
      },
      {
        name: `contended x${k}: Lock(fast).withLock(yieldNow)`,
        reference: effectName,
        run: (n) =>
          Effect.suspend(() => contended(n, k, new Lock({ fastAcquire: true }).withLock(Effect.yieldNow)))
      },
      {
        name: `contended x${k}: Semaphore(1, fast).withPermit(yieldNow)`,
        reference: effectName,
        run: (n) =>
          Effect.suspend(() =>
            contended(n, k, new Semaphore(1, { fastAcquire: true }).withPermit(Effect.yieldNow))
          )
      }
    ]
  })
]

export const run = (): Promise<Array<Result>> => measure(cases, { n: N })

if (import.meta.main) console.log(format(await run()))
