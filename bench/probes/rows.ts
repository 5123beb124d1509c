// The rows issue 21 names, on the default (batching) scheduler, with their raw-Effect references,
// CPU and wall time per op, then AnyIO 4.14 on asyncio for the same workloads right after, in CPU
// time (wall-clock figures mean little on a loaded machine: compare the CPU ratios). Run: . /work/anyio-env.sh; node --expose-gc bench/probes/rows.ts
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import type { Case } from "../harness.ts"
import { findAnyioPython } from "../python.ts"
import { cases as syncCases } from "../sync.ts"
import { cancelFanOut, moveOn } from "../workloads.ts"

const N = Number(process.env.N ?? 100_000)
const pick = (cs: ReadonlyArray<Case>, names: ReadonlyArray<string>) =>
  cs.filter((c) => names.includes(c.name))
const rows: Array<[Case, string | undefined]> = [
  ...cancelFanOut.map((c): [Case, string | undefined] => [c, c.reference ? "cancel_fanout" : undefined]),
  ...pick(moveOn, [
    "Effect.timeoutOption(void, 10s)",
    "effect-anyio moveOnAfter(10, void)",
    "Effect.timeoutOption(yieldNow, 10s)",
    "effect-anyio moveOnAfter(10, yieldNow)"
  ]).map((c): [Case, string | undefined] => [
    c,
    c.name.endsWith("(10, void)")
      ? "move_on_sync"
      : c.name.endsWith("(10, yieldNow)")
        ? "move_on_yield"
        : undefined
  ]),
  ...pick(syncCases, [
    "Effect Semaphore.withPermits(1)(yieldNow)",
    "Lock() (AnyIO default, checkpoint) withLock(void)",
    "contended x2: Effect Semaphore.withPermits(1)(yieldNow)",
    "contended x2: Lock(fast).withLock(yieldNow)",
    "contended x100: Effect Semaphore.withPermits(1)(yieldNow)",
    "contended x100: Lock(fast).withLock(yieldNow)"
  ]).map((c): [Case, string | undefined] => [
    c,
    c.name.startsWith("Lock()")
      ? "lock_uncontended"
      : c.name === "contended x2: Lock(fast).withLock(yieldNow)"
        ? "lock_contended_2"
        : c.name === "contended x100: Lock(fast).withLock(yieldNow)"
          ? "lock_contended_100"
          : undefined
  ])
]
const cpu = () => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const wall = new Map<string, number[]>()
const cpus = new Map<string, number[]>()
const rounds = Number(process.env.ROUNDS ?? 5)
for (let r = 0; r < rounds + 1; r++) {
  for (const [c] of rows) {
    gc()
    const t = process.hrtime.bigint()
    const c0 = cpu()
    const v = await Effect.runPromise(withBatchingScheduler(c.run(N)) as Effect.Effect<unknown>)
    const w = c.timed ? Number(v) : Number(process.hrtime.bigint() - t)
    const cc = cpu() - c0
    if (r > 0) {
      wall.set(c.name, [...(wall.get(c.name) ?? []), w / N])
      cpus.set(c.name, [...(cpus.get(c.name) ?? []), cc / N])
    }
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const keys = rows.flatMap(([, k]) => (k === undefined ? [] : [k]))
let anyio: Record<string, number> = {}
const py = findAnyioPython()
if (py !== undefined && process.env.NO_ANYIO === undefined) {
  const r = spawnSync(
    py.python,
    [
      fileURLToPath(new URL("../anyio_bench.py", import.meta.url)),
      "--n",
      "20000",
      "--samples",
      "3",
      "--backends",
      "asyncio",
      "--only",
      keys.join(","),
      "--clock",
      "cpu"
    ],
    { env: py.env, encoding: "utf8", timeout: 900_000 }
  )
  if (r.status === 0)
    anyio = (JSON.parse(r.stdout) as { backends: { asyncio: Record<string, number> } }).backends.asyncio
  else console.error(r.stderr)
}
console.log(
  "| row | wall ns/op | ÷ ref (wall) | CPU ns/op | ÷ ref (CPU) | AnyIO asyncio CPU ns/op | AnyIO ÷ ours (CPU) |"
)
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for (const [c, k] of rows) {
  const w = med(wall.get(c.name)!)
  const u = med(cpus.get(c.name)!)
  const ref = c.reference === undefined ? undefined : med(wall.get(c.reference)!)
  const refCpu = c.reference === undefined ? undefined : med(cpus.get(c.reference)!)
  const a = k === undefined ? undefined : anyio[k]
  console.log(
    `| ${c.name} | ${w.toFixed(0)} | ${ref === undefined ? "" : `${(w / ref).toFixed(2)}×`} | ${u.toFixed(0)} | ${refCpu === undefined ? "" : `${(u / refCpu).toFixed(2)}×`} | ${a === undefined ? "" : a.toFixed(0)} | ${a === undefined ? "" : `${(a / u).toFixed(1)}×`} |`
  )
}
