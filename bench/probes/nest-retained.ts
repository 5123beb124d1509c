/**
 * Issue 13: heap retained per level of a 1,000-deep nest, read at the leaf after a full collection,
 * raw nested forkChild + join against nested task groups.
 * `node_modules/.bin/node --expose-gc bench/probes/nest-retained.ts`
 */
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { groupNest, rawNest } from "../workloads.ts"

const gc = (globalThis as { gc: () => void }).gc
const at = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}
for (const which of ["raw", "group", "raw", "group"]) {
  const base = at()
  let inLeaf = 0
  const leaf = Effect.sync(() => {
    inLeaf = at()
  })
  await Effect.runPromise(
    withBatchingScheduler(which === "raw" ? rawNest(1000, leaf) : groupNest(1000, leaf))
  )
  console.log(which, "retained per level at the leaf:", ((inLeaf - base) / 1000).toFixed(0), "B")
}
