// One memory-stream row in a loop, for a CPU profile (issue 14):
// ROW="memory stream, buffer 0" node_modules/.bin/node --cpu-prof --cpu-prof-dir=/tmp/prof bench/probes/stream-prof.ts
// then `node bench/probes/prof-top.ts /tmp/prof/<file>.cpuprofile` for self time by function.
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { cases } from "../memory-stream.ts"

const c = cases.find((x) => x.name === (process.env.ROW ?? "memory stream, buffer 0"))
if (c === undefined)
  throw new Error(`no row ${process.env.ROW}; rows: ${cases.map((x) => x.name).join(" | ")}`)
const N = Number(process.env.N ?? 100_000)
for (let r = 0; r < Number(process.env.ROUNDS ?? 10); r++) {
  await Effect.runPromise(withBatchingScheduler(c.run(N)))
}
