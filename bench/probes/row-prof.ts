// One row of bench/probes/rows.ts in a loop, for a CPU profile: ROW=<case name> node --cpu-prof ...
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { cases as syncCases } from "../sync.ts"
import { cancelFanOut, moveOn } from "../workloads.ts"

const all = [...cancelFanOut, ...moveOn, ...syncCases]
const c = all.find((x) => x.name === process.env.ROW)
if (c === undefined) throw new Error(`no row ${process.env.ROW}; rows: ${all.map((x) => x.name).join(" | ")}`)
const N = Number(process.env.N ?? 100_000)
for (let r = 0; r < Number(process.env.ROUNDS ?? 5); r++) {
  await Effect.runPromise(withBatchingScheduler(c.run(N)) as Effect.Effect<unknown>)
}
