/**
 * Issue 13: nested groups against raw nested forks in the samples that follow a forced full GC
 * (bench/harness.ts `measure` calls gc() before each sample). Runs raw and group alternately, LEVELS
 * (20000) levels per run, gc() before each run unless GC=0, and prints the CPU ns per level of
 * each run and the median ratio.
 * `node_modules/.bin/node --expose-gc bench/probes/nest-gc.ts [depth] [rounds]`
 * - CHUNKS=1: also the ns per level of each nest of a run (the first ones after a gc() recover).
 * - PERSIST=1: each case's effect is made once (no closure of the bench dies between runs).
 * - KEEP=1: a small waiting tree of each kind lives beside the runs; KEEP=2: also a fiber that
 *   hosted a group that closed (so that was woken) waits forever.
 * - RESIDENT=1: every run is a step of one program, whose fiber lives through each gc().
 * - MARK=1: prints a line before each run (and each nest with CHUNKS=1), to read with
 *   `--trace-deopt` / `--trace-opt` ("embedded weak objects cleared" marks what a gc() deoptimized).
 * bench/.ab/cg.sh (not committed) ran it under callgrind with `--dump-before=uv_getrusage`: one
 * profile part per run, deterministic instruction counts.
 */
import { Effect } from "effect"
import { withBatchingScheduler as batching } from "../../src/Scheduler.ts"

// SCHED=effect: Effect's own scheduler instead of the batching one.
const withBatchingScheduler = <A, E>(e: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  process.env.SCHED === "effect" ? e : batching(e)

import { groupNest, rawNest } from "../workloads.ts"

const depth = Number(process.argv[2] ?? 1000)
const rounds = Number(process.argv[3] ?? 12)
const LEVELS = Number(process.env.LEVELS ?? 20000)
const doGc = process.env.GC !== "0"
const only = process.env.ONLY
const times = (n: number, op: Effect.Effect<unknown, unknown>): Effect.Effect<void, unknown> => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
}
// CHUNKS=1: also the CPU ns per level of each nest of a run (the first ones after a gc() against the rest).
const chunks: Record<string, Array<Array<number>>> = { raw: [], group: [] }
let mark = process.cpuUsage()
const lap = (k: string): Effect.Effect<void> =>
  Effect.sync(() => {
    const u = process.cpuUsage(mark)
    chunks[k]!.at(-1)!.push(((u.user + u.system) * 1000) / depth)
    if (process.env.MARK) console.log(`--- ${k} nest ${chunks[k]!.at(-1)!.length}`)
    mark = process.cpuUsage()
  })
const chunked = (k: string, nest: Effect.Effect<void, unknown>) =>
  process.env.CHUNKS ? Effect.andThen(nest, lap(k)) : nest
// PERSIST=1: each case's whole effect is made once and run again each round (its counter reset),
// so that no closure or effect of the bench dies between runs: only what the runs themselves make.
const persistent = (nest: Effect.Effect<void, unknown>): (() => Effect.Effect<void, unknown>) => {
  let i = 0
  const n = LEVELS / depth
  const effect = withBatchingScheduler(
    Effect.andThen(
      Effect.sync(() => {
        i = 0
      }),
      Effect.whileLoop({ while: () => i++ < n, body: () => nest, step: () => {} })
    )
  )
  return () => effect
}
const cases = process.env.PERSIST
  ? { raw: persistent(chunked("raw", rawNest(depth))), group: persistent(chunked("group", groupNest(depth))) }
  : {
      raw: () => withBatchingScheduler(times(LEVELS / depth, chunked("raw", rawNest(depth)))),
      group: () => withBatchingScheduler(times(LEVELS / depth, chunked("group", groupNest(depth))))
    }
// KEEP=1: a small tree of each kind waits (forever) beside the runs, so that objects of every
// class the runs use stay alive through each gc() (and with them their maps).
// KEEP=2: also a fiber that hosted a group which closed (so that was woken) waits forever.
if (process.env.KEEP) {
  Effect.runFork(withBatchingScheduler(rawNest(3, Effect.never)))
  Effect.runFork(withBatchingScheduler(groupNest(3, Effect.never)))
}
if (process.env.KEEP === "2") {
  Effect.runFork(withBatchingScheduler(Effect.andThen(groupNest(3), Effect.never)))
}
// PRIM=w, a, wa: one never-run instance of the Effect primitives our checks see (startSoon's
// withFiberSucceed, the task's asVoid) lives through the gc()s.
const prims = [
  ...(process.env.PRIM?.includes("w") ? [Effect.withFiberSucceed(() => 0)] : []),
  ...(process.env.PRIM?.includes("a") ? [Effect.asVoid(Effect.suspend(() => Effect.void))] : [])
]
void prims
const gc = (globalThis as { gc?: () => void }).gc
const res: Record<string, Array<number>> = { raw: [], group: [] }
const keys = (only ? [only] : ["raw", "group"]) as Array<"raw" | "group">
const before = (k: "raw" | "group", r: number): [number, NodeJS.CpuUsage] => {
  if (doGc) gc?.()
  if (process.env.MARK) console.log(`=== ${k} round ${r}`)
  chunks[k]!.push([])
  mark = process.cpuUsage()
  return [r, mark]
}
const after = (k: "raw" | "group", [r, t]: [number, NodeJS.CpuUsage]): void => {
  const u = process.cpuUsage(t)
  if (process.env.CHUNKS)
    console.log(
      k.padEnd(6),
      r,
      chunks[k]!.at(-1)!
        .map((x) => x.toFixed(0))
        .join(" ")
    )
  res[k]!.push(((u.user + u.system) * 1000) / LEVELS)
}
if (process.env.RESIDENT) {
  // RESIDENT=1: every run is a step of one program (one fiber that lives through every gc(), as
  // `run(main)`'s does) instead of a fresh Effect.runPromise each.
  await Effect.runPromise(
    withBatchingScheduler(
      Effect.gen(function* () {
        for (let r = 0; r < rounds; r++) {
          for (const k of keys) {
            const b = before(k, r)
            yield* cases[k]()
            after(k, b)
          }
        }
      })
    )
  )
} else {
  for (let r = 0; r < rounds; r++) {
    for (const k of keys) {
      const b = before(k, r)
      await Effect.runPromise(cases[k]())
      after(k, b)
    }
  }
}
const med = (v: Array<number>) => [...v].sort((a, b) => a - b)[v.length >> 1]!
for (const k of keys) {
  console.log(
    k.padEnd(6),
    res[k]!.map((x) => x.toFixed(0)).join(" "),
    "| median(after 2)",
    med(res[k]!.slice(2)).toFixed(0)
  )
}
if (!only) console.log("group/raw median", (med(res.group!.slice(2)) / med(res.raw!.slice(2))).toFixed(2))
