/**
 * Issue 13: where the CPU time of a nested group's level goes, by our function. Profiles a nest
 * (`group`, or `raw` nested forkChild + join) in-process with the inspector's sampling profiler at a
 * high rate and charges every sample to the innermost frame of ours on its stack (src/, bench/), so
 * that Effect's run loop, the scheduler and the GC count for the function of ours that caused them;
 * `(effect)` is a sample with no frame of ours (the run loop between our steps), `(gc)` V8's own.
 * Prints ns per level and share for the top entries, then the top self times (any file).
 * `node_modules/.bin/node bench/probes/nest-prof.ts [group|raw] [depth] [levels]`
 * (`INTERVAL=<µs>`, default 20; `TOP=<n>`; `SAVE=<file>` also writes the .cpuprofile).
 */
import * as fs from "node:fs"
import { Session } from "node:inspector/promises"
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { groupNest, rawNest } from "../workloads.ts"

const which = process.argv[2] ?? "group"
const depth = Number(process.argv[3] ?? 1000)
const LEVELS = Number(process.argv[4] ?? 400_000)
const top = Number(process.env.TOP ?? 25)

const nest = which === "raw" ? rawNest : groupNest
const times = (n: number, op: () => Effect.Effect<unknown, unknown>): Effect.Effect<void, unknown> => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: op, step: () => {} })
}
const run = (levels: number) =>
  Effect.runPromise(withBatchingScheduler(times(levels / depth, () => nest(depth))))

await run(LEVELS / 4) // warm up: optimized code only in the profile

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: Array<number>
}
interface Profile {
  nodes: Array<Node>
  samples: Array<number>
  timeDeltas: Array<number>
  startTime: number
  endTime: number
}

const session = new Session()
session.connect()
await session.post("Profiler.enable")
await session.post("Profiler.setSamplingInterval", { interval: Number(process.env.INTERVAL ?? 20) })
await session.post("Profiler.start")
const t = process.cpuUsage()
await run(LEVELS)
const u = process.cpuUsage(t)
const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile }
session.disconnect()
if (process.env.SAVE) fs.writeFileSync(process.env.SAVE, JSON.stringify(profile))

const ours = (url: string) => /\/(src|bench)\//.test(url) && !url.includes("node_modules")
const label = (f: Node["callFrame"]) =>
  `${f.functionName || "(anon)"} ${f.url.replace(/.*\/(src|bench)\//, "$1/")}:${f.lineNumber + 1}`
const parent = new Map<number, number>()
const byId = new Map<number, Node>()
for (const n of profile.nodes) {
  byId.set(n.id, n)
  for (const c of n.children ?? []) parent.set(c, n.id)
}
// The innermost frame of ours above each node (memoized per node).
const owner = new Map<number, string>()
const ownerOf = (id: number): string => {
  const known = owner.get(id)
  if (known !== undefined) return known
  const n = byId.get(id)!
  const f = n.callFrame
  let o: string
  if (f.functionName === "(garbage collector)") o = "(gc)"
  else if (ours(f.url)) o = label(f)
  else {
    const p = parent.get(id)
    o = p === undefined ? "(effect)" : ownerOf(p)
    if (o === "(root)" || o === "(program)" || o === "(idle)") o = "(effect)"
  }
  if (f.functionName === "(root)") o = "(effect)"
  owner.set(id, o)
  return o
}
const charged = new Map<string, number>()
const self = new Map<string, number>()
let total = 0
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!
  const dt = profile.timeDeltas[i + 1] ?? 0
  const n = byId.get(id)!
  if (n.callFrame.functionName === "(idle)" || n.callFrame.functionName === "(program)") continue
  total += dt
  const o = ownerOf(id)
  charged.set(o, (charged.get(o) ?? 0) + dt)
  const s = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/.*\/(node_modules\/|src\/)/, "")}:${n.callFrame.lineNumber + 1}`
  self.set(s, (self.get(s) ?? 0) + dt)
}
const cpuNs = ((u.user + u.system) * 1000) / LEVELS
console.log(
  `${which} ${depth} deep: ${cpuNs.toFixed(0)} CPU ns/level (profiled), ${((total * 1000) / LEVELS).toFixed(0)} ns/level sampled`
)
const print = (title: string, m: Map<string, number>) => {
  console.log(`-- ${title}`)
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((v * 1000) / LEVELS).toFixed(0).padStart(6)} ns ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`
    )
  }
}
print("charged to the innermost frame of ours", charged)
print("self", self)
