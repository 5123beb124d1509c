/**
 * Issue 13: A/B of nested task groups between the working tree's `src` and a copy of another
 * commit's (`git archive <rev> src | tar -x -C bench/.ab`), interleaved sample by sample in one
 * process, so that a loaded machine slows both alike. Prints the min and median CPU ns per level.
 * `node_modules/.bin/node --expose-gc bench/probes/nest-ab2.ts [depth] [rounds]`
 */
import { Effect } from "effect"
import * as B from "../../src/index.ts"
import * as BSched from "../../src/Scheduler.ts"

// The A side is loaded by a computed path: bench/.ab exists only while an A/B runs (it is not
// committed), and a static import would fail the type check on a clean checkout.
const abRoot = new URL("../.ab/src/", import.meta.url).href
const A = (await import(`${abRoot}index.ts`)) as typeof B
const ASched = (await import(`${abRoot}Scheduler.ts`)) as typeof BSched

const depth = Number(process.argv[2] ?? 1000)
const rounds = Number(process.argv[3] ?? 21)
const LEVELS = Number(process.env.LEVELS ?? 5000)
type Lib = { createTaskGroup: typeof B.createTaskGroup }
const nest = (lib: Lib, d: number): Effect.Effect<void, unknown> =>
  d === 0 ? Effect.void : Effect.asVoid(lib.createTaskGroup((tg) => tg.startSoon(() => nest(lib, d - 1))))
const times = (n: number, op: () => Effect.Effect<unknown, unknown>): Effect.Effect<void, unknown> => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: op, step: () => {} })
}
const cases = {
  base: () => ASched.withBatchingScheduler(times(LEVELS / depth, () => nest(A as unknown as Lib, depth))),
  work: () => BSched.withBatchingScheduler(times(LEVELS / depth, () => nest(B, depth)))
}
const gc = (globalThis as { gc?: () => void }).gc
const res: Record<string, Array<number>> = { base: [], work: [] }
for (let r = 0; r < rounds; r++) {
  for (const k of r % 2 ? (["base", "work"] as const) : (["work", "base"] as const)) {
    gc?.()
    const t = process.cpuUsage()
    await Effect.runPromise(cases[k]())
    const u = process.cpuUsage(t)
    if (r > 1) res[k]!.push(((u.user + u.system) * 1000) / LEVELS)
  }
}
const med = (v: Array<number>) => [...v].sort((a, b) => a - b)[v.length >> 1]!
for (const k of ["base", "work"]) {
  console.log(k.padEnd(6), "min", Math.min(...res[k]!).toFixed(0), "median", med(res[k]!).toFixed(0))
}
console.log(
  "work/base: min",
  (Math.min(...res.work!) / Math.min(...res.base!)).toFixed(3),
  "median",
  (med(res.work!) / med(res.base!)).toFixed(3)
)
