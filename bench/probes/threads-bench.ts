// The thread rows of bench/workers.ts alone, through the bench harness (same cases, same
// measure(), same rewarm): quicker to iterate on than the whole section. ONLY=<substring> filters
// cases; BENCH_WORKERS_REWARM=0 measures right after each collection (see harness.ts).

import { format, measure } from "../harness.ts"
import { cases, REWARM } from "../workers.ts"

if (process.env.NOGC) (globalThis as { gc?: unknown }).gc = undefined
const only = process.env.ONLY
const picked = cases.filter((c) => c.name.includes("worker_threads") || c.name.includes("toThread"))
const chosen = only === undefined ? picked : picked.filter((c) => c.name.includes(only))
const N = Number(process.env.BENCH_WORKERS_N ?? 2000)
console.log(
  format(
    await measure(chosen, { n: N, samples: Number(process.env.SAMPLES ?? 7), warmup: 2, rewarm: REWARM })
  )
)
process.exit(0)
