/**
 * `npm run soak -- --minutes N` (issue 20): the service of soak.ts with every workload of
 * registry.ts for N minutes (default 10) on the real clock; prints each sample as it is taken,
 * then the curve and the verdict. Exit code 1 if the verdict is not met.
 *
 * Options: `--minutes N` | `--seconds N`, `--sample S` (seconds between samples; default: 40
 * samples), `--size X` (scales each round's work; default 1), `--only a,b` (workloads by name),
 * `--json FILE` (the report as JSON). Run it with `--expose-gc` (the npm script does) for the heap.
 */
import { writeFileSync } from "node:fs"
import { Effect } from "effect"
import { workloads } from "./registry.ts"
import { type Sample, type SoakReport, soak } from "./soak.ts"

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const seconds = flag("seconds") !== undefined ? Number(flag("seconds")) : Number(flag("minutes") ?? 10) * 60
const sampleEvery = Number(flag("sample") ?? Math.max(1, seconds / 40))
const size = Number(flag("size") ?? 1)
const only = flag("only")?.split(",")
const chosen = only === undefined ? workloads : workloads.filter((w) => only.includes(w.name))
if (!(seconds > 0) || !(sampleEvery > 0) || !(size > 0) || chosen.length === 0) {
  console.error(
    "usage: npm run soak -- [--minutes N | --seconds N] [--sample S] [--size X] [--only a,b] [--json FILE]"
  )
  process.exit(2)
}
if ((globalThis as { gc?: unknown }).gc === undefined) console.error("(no --expose-gc: heap not sampled)")

const pad = (s: string | number, n: number) => String(s).padStart(n)
const space = (s: Sample, name: string) => (s.spacesMB[name] ?? 0).toFixed(3)
const row = (s: Sample) =>
  `${pad(s.t.toFixed(1), 8)} ${pad(s.rounds, 9)} ${pad(s.heapMB.toFixed(3), 9)} ${pad(space(s, "old"), 8)} ${pad(space(s, "code"), 8)} ${pad(s.rssMB.toFixed(1), 8)} ${pad(s.handles, 8)} ${pad(s.tasks, 6)}  ${Object.entries(
    s.handlesByType
  )
    .map(([k, v]) => `${k}:${v}`)
    .join(" ")}`

console.log(
  `soak: ${chosen.map((w) => w.name).join(", ")} for ${seconds} s, a sample every ${sampleEvery} s, size ${size}`
)
console.log(
  `${pad("t (s)", 8)} ${pad("rounds", 9)} ${pad("heap MB", 9)} ${pad("old MB", 8)} ${pad("code MB", 8)} ${pad("rss MB", 8)} ${pad("handles", 8)} ${pad("tasks", 6)}  handles by type`
)

/** The heap curve as text: one column per sample, heap relative to the baseline. */
export const chart = (report: SoakReport, height = 10): string => {
  const xs = report.samples.map((s) => s.heapMB)
  const lo = Math.min(...xs)
  const hi = Math.max(...xs)
  const span = hi - lo || 1
  const lines: Array<string> = []
  for (let r = height; r >= 0; r--) {
    const level = lo + (span * r) / height
    lines.push(
      `${pad(level.toFixed(3), 8)} MB |${xs.map((x) => (Math.round(((x - lo) / span) * height) === r ? "*" : " ")).join("")}`
    )
  }
  lines.push(`${" ".repeat(12)}+${"-".repeat(xs.length)}`)
  lines.push(
    `${" ".repeat(13)}0 s${" ".repeat(Math.max(1, xs.length - 3 - String(report.seconds).length - 2))}${report.seconds} s`
  )
  return lines.join("\n")
}

const report = await Effect.runPromise(
  soak({ seconds, sampleEvery, size, workloads: chosen, onSample: (s) => console.log(row(s)) })
)

console.log(`\nheap after GC (each column a sample):\n${chart(report)}\n`)
for (const w of chosen) {
  const t = report.totals[w.name] ?? {}
  console.log(
    `${w.name}: ${report.rounds[w.name]} rounds; ${Object.entries(t)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`
  )
}
console.log(
  `\nbaseline at ${report.baseline.t} s: heap ${report.baseline.heapMB} MB, ${report.baseline.handles} handles, ${report.baseline.tasks} tasks`
)
console.log(
  `end at ${report.last.t} s: heap ${report.last.heapMB} MB (${report.heapDriftPct >= 0 ? "+" : ""}${report.heapDriftPct}%, largest ±${report.maxHeapDriftPct}%), ${report.last.handles} handles (growth ${report.handleGrowth}), ${report.last.tasks} tasks (growth ${report.taskGrowth})`
)
console.log(
  `objects (old space): ${report.baseline.spacesMB.old} MB at the baseline, ${report.last.spacesMB.old} MB at the end (${report.objectsDriftPct >= 0 ? "+" : ""}${report.objectsDriftPct}%, largest ±${report.maxObjectsDriftPct}%)`
)
console.log(`violations: ${report.violationCount}${report.violations.map((v) => `\n  ${v}`).join("")}`)
console.log(
  report.ok
    ? "verdict: flat (heap within 2%, no handle or task growth, nothing lost or duplicated)"
    : "verdict: NOT MET"
)
const json = flag("json")
if (json !== undefined) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`)
process.exitCode = report.ok ? 0 : 1
