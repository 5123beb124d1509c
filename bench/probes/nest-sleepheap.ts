/**
 * Issue 20 (heap row): which objects a sleeping task retains, by object kind, per task
 * (`startSoon(sleep(3600))` against raw `forkChild(Effect.sleep)`; `--only=raw` for raw).
 * `node_modules/.bin/node --expose-gc bench/probes/nest-sleepheap.ts /tmp`
 */
import * as fs from "node:fs"
import * as v8 from "node:v8"
import { Effect, Fiber } from "effect"
import { createTaskGroup, sleep } from "../../src/index.ts"

const dir = process.argv[2] ?? "/tmp"
const which = process.argv.includes("--only=raw") ? "raw" : "group"
const gc = (globalThis as { gc: () => void }).gc
type Counts = Map<string, { n: number; size: number }>
const snapshot = (): Counts => {
  gc()
  gc()
  const path = v8.writeHeapSnapshot(`${dir}/sleepheap-${which}.heapsnapshot`)
  const snap = JSON.parse(fs.readFileSync(path, "utf8"))
  const meta = snap.snapshot.meta
  const fields: Array<string> = meta.node_fields
  const types: Array<string> = meta.node_types[0]
  const nodes: Array<number> = snap.nodes
  const strings: Array<string> = snap.strings
  const w = fields.length
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f))
  const counts: Counts = new Map()
  for (let i = 0; i < nodes.length; i += w) {
    const type = types[nodes[i + iType!]!]!
    let name = strings[nodes[i + iName!]!]!
    if (type === "string" || type === "concatenated string" || type === "sliced string") name = ""
    if (name.length > 60) name = name.slice(0, 60)
    const key = `${type}:${name}`
    const c = counts.get(key) ?? { n: 0, size: 0 }
    c.n++
    c.size += nodes[i + iSize!]!
    counts.set(key, c)
  }
  if (process.env.KEEP === undefined) fs.unlinkSync(path)
  return counts
}
const N = 2000
const at = (n: number): Promise<Counts> => {
  let counts: Counts | undefined
  if (which === "raw")
    return Effect.runPromise(
      Effect.gen(function* () {
        const fibers = []
        for (let i = 0; i < n; i++) fibers.push(yield* Effect.forkChild(Effect.sleep("3600 seconds")))
        yield* Effect.yieldNow
        counts = snapshot()
        yield* Fiber.interruptAll(fibers)
        return counts
      })
    )
  return Effect.runPromise(
    Effect.as(
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* tg.startSoon(sleep(3600))
          yield* Effect.yieldNow
          counts = snapshot()
          yield* tg.cancel()
        })
      ),
      undefined
    )
  ).then(() => counts!)
}
await at(10)
const base = await at(0)
const deep = await at(N)
const rows: Array<[string, number, number]> = []
let total = 0
for (const [key, c] of deep) {
  const b = base.get(key) ?? { n: 0, size: 0 }
  const dn = (c.n - b.n) / N
  const ds = (c.size - b.size) / N
  total += ds
  if (Math.abs(ds) >= 2) rows.push([key, dn, ds])
}
rows.sort((a, b) => b[2] - a[2])
for (const [key, n, s] of rows) console.log(n.toFixed(2).padStart(7), s.toFixed(0).padStart(6), "B ", key)
console.log(which, "total per task:", total.toFixed(0), "B")
