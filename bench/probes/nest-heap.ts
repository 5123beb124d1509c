/**
 * Issue 13: which objects a waiting level of a nest retains. Writes a heap snapshot at the leaf
 * of a nest `depth` deep (raw or group) and prints the per-level count and bytes of each kind of
 * object, against a nest of depth 0 (`--only=raw|group`, default group; argv[2] the output dir).
 * `node_modules/.bin/node --expose-gc bench/probes/nest-heap.ts /tmp`
 */
import * as fs from "node:fs"
import * as v8 from "node:v8"
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { groupNest, rawNest } from "../workloads.ts"

const dir = process.argv[2] ?? "/tmp"
const which = process.argv.includes("--only=raw") ? "raw" : "group"
const gc = (globalThis as { gc: () => void }).gc

type Counts = Map<string, { n: number; size: number }>
const snapshot = (file: string): Counts => {
  gc()
  gc()
  const path = v8.writeHeapSnapshot(`${dir}/${file}`)
  const snap = JSON.parse(fs.readFileSync(path, "utf8"))
  const meta = snap.snapshot.meta
  const fields: Array<string> = meta.node_fields
  const types: Array<string> = meta.node_types[0]
  const nodes: Array<number> = snap.nodes
  const strings: Array<string> = snap.strings
  const w = fields.length
  const iType = fields.indexOf("type")
  const iName = fields.indexOf("name")
  const iSize = fields.indexOf("self_size")
  const counts: Counts = new Map()
  for (let i = 0; i < nodes.length; i += w) {
    const type = types[nodes[i + iType]!]!
    let name = strings[nodes[i + iName]!]!
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = ""
    if (name.length > 60) name = name.slice(0, 60)
    const key = `${type}:${name}`
    const c = counts.get(key) ?? { n: 0, size: 0 }
    c.n++
    c.size += nodes[i + iSize]!
    counts.set(key, c)
  }
  fs.unlinkSync(path)
  return counts
}

const at = async (depth: number): Promise<Counts> => {
  let counts: Counts | undefined
  const leaf = Effect.sync(() => {
    counts = snapshot(`nest-${which}-${depth}.heapsnapshot`)
  })
  await Effect.runPromise(
    withBatchingScheduler(which === "raw" ? rawNest(depth, leaf) : groupNest(depth, leaf))
  )
  return counts!
}

const depth = 1000
await at(10)
const base = await at(0)
const deep = await at(depth)
const rows: Array<[string, number, number]> = []
let total = 0
for (const [key, c] of deep) {
  const b = base.get(key) ?? { n: 0, size: 0 }
  const dn = (c.n - b.n) / depth
  const ds = (c.size - b.size) / depth
  total += ds
  if (Math.abs(ds) >= 4) rows.push([key, dn, ds])
}
rows.sort((a, b) => b[2] - a[2])
for (const [key, n, s] of rows) console.log(n.toFixed(2).padStart(7), s.toFixed(0).padStart(6), "B ", key)
console.log(which, "total per level:", total.toFixed(0), "B")
