// Self time by function (and file:line) of a .cpuprofile, top 40: node bench/probes/prof-top.ts <file>
import { readFileSync } from "node:fs"

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
}
const prof = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as { nodes: Array<Node> }
const self = new Map<string, number>()
let total = 0
for (const n of prof.nodes) {
  const f = n.callFrame
  const key = `${f.functionName || "(anon)"} ${f.url.replace(/.*\/(node_modules\/)?/, "")}:${f.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + n.hitCount)
  total += n.hitCount
}
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 40))
for (const [k, v] of top) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
