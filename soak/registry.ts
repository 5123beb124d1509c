/**
 * The soak's workloads. An area adds its own by exporting a `Workload` (workload.ts) from a file
 * of its own here and listing it below: one line.
 */
import { coreWorkloads } from "./core.ts"
import { ioWorkloads } from "./io.ts"
import type { Workload } from "./workload.ts"

export const workloads: ReadonlyArray<Workload> = [
  ...coreWorkloads, // groups, deadlines, streams, locks
  ...ioWorkloads // sockets, processes (plain node until the library's land), workers
]
