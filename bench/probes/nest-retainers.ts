/**
 * Issue 13: who retains the objects of a waiting level of a nest. Writes a heap snapshot at the
 * leaf of a nest 1000 deep (`--only=raw|group`, default group) and, for each kind of object that
 * is about one or more per level, prints its retainers (retainer kind and edge name, per level),
 * with each closure's source location. `--kinds=closure,object:Object` restricts the kinds.
 * `node_modules/.bin/node --expose-gc bench/probes/nest-retainers.ts /tmp`
 */
import * as fs from "node:fs"
import * as v8 from "node:v8"
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { groupNest, rawNest } from "../workloads.ts"

const dir = process.argv[2] ?? "/tmp"
const which = process.argv.includes("--only=raw") ? "raw" : "group"
const kindsArg = process.argv.find((a) => a.startsWith("--kinds="))
const kinds = kindsArg === undefined ? undefined : new Set(kindsArg.slice(8).split(","))
const gc = (globalThis as { gc: () => void }).gc
const depth = 1000

const analyse = (path: string): void => {
  const snap = JSON.parse(fs.readFileSync(path, "utf8"))
  fs.unlinkSync(path)
  const meta = snap.snapshot.meta
  const nf: Array<string> = meta.node_fields
  const ef: Array<string> = meta.edge_fields
  const nodeTypes: Array<string> = meta.node_types[0]
  const edgeTypes: Array<string> = meta.edge_types[0]
  const nodes: Array<number> = snap.nodes
  const edges: Array<number> = snap.edges
  const strings: Array<string> = snap.strings
  const W = nf.length
  const EW = ef.length
  const N = nodes.length / W
  const [iType, iName, iSize, iEdges] = ["type", "name", "self_size", "edge_count"].map((f) => nf.indexOf(f))
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => ef.indexOf(f))
  const kindOf = (n: number): string => {
    const type = nodeTypes[nodes[n * W + iType!]!]!
    let name = type.includes("string") ? "" : strings[nodes[n * W + iName!]!]!
    if (name.length > 50) name = name.slice(0, 50)
    return `${type}:${name}`
  }
  // Locations of closures: node index -> "script:line:col".
  const loc = new Map<number, string>()
  const lf: Array<string> = meta.location_fields ?? []
  const locs: Array<number> = snap.locations ?? []
  for (let i = 0; i < locs.length; i += lf.length) {
    loc.set(
      locs[i + lf.indexOf("object_index")]! / W,
      `${locs[i + lf.indexOf("line")]! + 1}:${locs[i + lf.indexOf("column")]}`
    )
  }
  // Reverse edges, aggregated per kind: "retainer kind --edge-->".
  const count = new Map<string, { n: number; size: number }>()
  const retainers = new Map<string, Map<string, number>>()
  const closures = new Map<string, number>()
  let e = 0
  for (let n = 0; n < N; n++) {
    const k = kindOf(n)
    const c = count.get(k) ?? { n: 0, size: 0 }
    c.n++
    c.size += nodes[n * W + iSize!]!
    count.set(k, c)
  }
  const interesting = (k: string): boolean =>
    kinds === undefined ? (count.get(k)?.n ?? 0) >= depth : kinds.has(k) || kinds.has(k.split(":")[0]!)
  for (let n = 0; n < N; n++) {
    const ec = nodes[n * W + iEdges!]!
    const from = kindOf(n)
    for (let j = 0; j < ec; j++, e++) {
      const et = edgeTypes[edges[e * EW + eType!]!]!
      if (et === "weak") continue
      const to = edges[e * EW + eTo!]! / W
      const tk = kindOf(to)
      if (!interesting(tk)) continue
      const nameOrIndex = edges[e * EW + eName!]!
      const en = et === "element" || et === "hidden" ? `[${et}]` : strings[nameOrIndex]
      const key = `${from} --${en}-->`
      const m = retainers.get(tk) ?? new Map<string, number>()
      m.set(key, (m.get(key) ?? 0) + 1)
      retainers.set(tk, m)
      if (tk.startsWith("closure:")) {
        const where = `${tk} @${loc.get(to) ?? "?"} <- ${key}`
        closures.set(where, (closures.get(where) ?? 0) + 1)
      }
    }
  }
  // Outgoing edges of each interesting node, as a signature (its fields), with its retainers.
  const firstEdge = new Array<number>(N)
  for (let n = 0, acc = 0; n < N; n++) {
    firstEdge[n] = acc
    acc += nodes[n * W + iEdges!]!
  }
  const sigs = new Map<string, number>()
  for (let n = 0; n < N; n++) {
    const k = kindOf(n)
    if (!interesting(k) || k.startsWith("string") || k.startsWith("code")) continue
    const names: Array<string> = []
    for (let j = 0; j < nodes[n * W + iEdges!]!; j++) {
      const ed = (firstEdge[n]! + j) * EW
      const et = edgeTypes[edges[ed + eType!]!]!
      if (et === "internal" || et === "hidden" || et === "weak") continue
      const nm = et === "element" ? "#" : strings[edges[ed + eName!]!]!
      if (nm === "map" || nm === "__proto__") continue
      names.push(`${nm}=${kindOf(edges[ed + eTo!]! / W).slice(0, 30)}`)
    }
    const key = `${k} {${names.slice(0, 14).join(", ")}}`
    sigs.set(key, (sigs.get(key) ?? 0) + 1)
  }
  console.log("fields of per-level objects:")
  for (const [k, n] of [...sigs].sort((a, b) => b[1] - a[1])) {
    if (n >= depth * 0.9) console.log(`   ${(n / depth).toFixed(2)}  ${k}`)
  }
  const rows = [...retainers].filter(([k]) => (count.get(k)?.n ?? 0) >= depth / 2)
  rows.sort((a, b) => count.get(b[0])!.size - count.get(a[0])!.size)
  for (const [k, m] of rows) {
    const c = count.get(k)!
    console.log(`${k}  (${(c.n / depth).toFixed(2)}/level, ${(c.size / depth).toFixed(0)} B/level)`)
    for (const [r, n] of [...m].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      if (n >= depth / 2) console.log(`   ${(n / depth).toFixed(2)}  ${r}`)
    }
  }
  console.log("closures by location:")
  for (const [w, n] of [...closures].sort((a, b) => b[1] - a[1])) {
    if (n >= depth / 2) console.log(`   ${(n / depth).toFixed(2)}  ${w}`)
  }
}

const leaf = Effect.sync(() => {
  gc()
  gc()
  analyse(v8.writeHeapSnapshot(`${dir}/nest-retainers-${which}.heapsnapshot`))
})
await Effect.runPromise(
  withBatchingScheduler(which === "raw" ? rawNest(depth, leaf) : groupNest(depth, leaf))
)
