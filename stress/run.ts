/**
 * Stress runs (`npm run stress`, issue 8): the scenarios of `stress/scenarios.ts` at full size, on
 * the real clock, each in a child process of its own (a clean heap and peak RSS per scenario; a
 * stack overflow is reported instead of ending the run). Then deeper nesting (20,000 and 40,000
 * levels): whether it crashes, and how the time grows.
 *
 * Per scenario: time, peak RSS, peak heap, heap after the run (after gc) against the heap before
 * it (after a warm-up run at 1/100 size and gc). Exit code 1 if an invariant was violated, the heap
 * did not come back near its start (more than `LEAK_MB` above it), or a scenario crashed.
 *
 * Options: `--quick` (every size / 10, no depth search), `--no-depth`, `--only <name>`.
 * One scenario alone: `node --expose-gc stress/run.ts --child <name> [size]`.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import {
  cancelSleeping,
  lockContention,
  nest,
  type ScenarioResult,
  spawnJoin,
  streamFanInOut
} from "./scenarios.ts"

const LEAK_MB = 8

interface Scenario {
  readonly title: string
  readonly size: number
  readonly run: (size: number) => Effect.Effect<ScenarioResult, unknown>
}

const scenarios: Record<string, Scenario> = {
  spawn: { title: "tasks spawned and joined in one group", size: 1_000_000, run: spawnJoin },
  cancel: { title: "sleeping tasks cancelled at once (tg.cancel())", size: 100_000, run: cancelSleeping },
  "nest-complete": {
    title: "groups nested (each the only task of the one above), run to completion",
    size: 10_000,
    run: (d) => nest(d, "complete")
  },
  "nest-cancel": {
    title: "groups nested, cancelled from the top (tg.cancel())",
    size: 10_000,
    run: (d) => nest(d, "cancel")
  },
  "nest-interrupt": {
    title: "groups nested, program fiber interrupted (Fiber.interrupt)",
    size: 10_000,
    run: (d) => nest(d, "interrupt")
  },
  lock: {
    title: "tasks contending on one lock (every 10th with a timeout)",
    size: 10_000,
    run: lockContention
  },
  stream: {
    title: "memory stream, 100 producers / 100 consumers, a fifth of each cancelled",
    size: 1_000_000,
    run: (n) => streamFanInOut(100, 100, n)
  }
}

const self = fileURLToPath(import.meta.url)
const MB = 1024 * 1024

/** Full collections with pauses in between, so that pending timers and immediates let go first. */
const gc = async (): Promise<void> => {
  const g = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 5; i++) {
    g?.()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

interface ChildReport {
  readonly name: string
  readonly size: number
  readonly ms: number
  readonly peakRssMB: number
  readonly peakHeapMB: number
  readonly heapBeforeMB: number
  readonly heapAfterMB: number
  readonly metrics: Record<string, number | string>
  readonly violations: ReadonlyArray<string>
}

/** In the child: warm up at 1/100 size, measure the run, print one JSON line. */
const child = async (name: string, size: number): Promise<void> => {
  const scenario = scenarios[name]
  if (scenario === undefined) throw new Error(`unknown scenario ${name}`)
  await Effect.runPromise(scenario.run(Math.max(1, Math.floor(size / 100))))
  await gc()
  const heapBefore = process.memoryUsage().heapUsed
  let peakHeap = heapBefore
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
  }, 2)
  const t0 = performance.now()
  let result: ScenarioResult | undefined = await Effect.runPromise(scenario.run(size))
  const ms = performance.now() - t0
  clearInterval(sampler)
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
  const { metrics, violations } = result
  result = undefined
  await gc()
  const report: ChildReport = {
    name,
    size,
    ms: Math.round(ms),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    peakHeapMB: Math.round(peakHeap / MB),
    heapBeforeMB: +(heapBefore / MB).toFixed(1),
    heapAfterMB: +(process.memoryUsage().heapUsed / MB).toFixed(1),
    metrics,
    violations
  }
  console.log(`RESULT ${JSON.stringify(report)}`)
}

const runChild = (name: string, size: number): { report?: ChildReport; error?: string } => {
  const r = spawnSync(process.execPath, ["--expose-gc", self, "--child", name, String(size)], {
    encoding: "utf8",
    maxBuffer: 64 * MB,
    timeout: 300_000
  })
  const line = r.stdout?.split("\n").find((l) => l.startsWith("RESULT "))
  if (line !== undefined) return { report: JSON.parse(line.slice(7)) as ChildReport }
  const err = `${r.stderr ?? ""}`.split("\n").find((l) => /RangeError|Error|error/.test(l))
  return { error: `exit ${r.status ?? r.signal}: ${err ?? "(no output)"}` }
}

/** Depths probed beyond the 10,000 of the scenarios (each in its own child process). */
const PROBE_DEPTHS = [20_000, 40_000]

const main = async (): Promise<void> => {
  const args = process.argv.slice(2)
  if (args[0] === "--child") return child(args[1]!, Number(args[2]))
  const quick = args.includes("--quick")
  const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined
  let failed = false
  console.log(
    `effect-anyio stress runs (Node ${process.version}, ${quick ? "--quick: sizes / 10" : "full size"})\n`
  )
  for (const [name, s] of Object.entries(scenarios)) {
    if (only !== undefined && name !== only) continue
    const size = quick ? Math.floor(s.size / 10) : s.size
    const { report, error } = runChild(name, size)
    if (report === undefined) {
      failed = true
      console.log(`✗ ${name} (${size.toLocaleString("en")}) ${s.title}: CRASHED ${error}\n`)
      continue
    }
    const leak = report.heapAfterMB - report.heapBeforeMB
    const ok = report.violations.length === 0 && leak <= LEAK_MB
    if (!ok) failed = true
    console.log(`${ok ? "✓" : "✗"} ${name}: ${size.toLocaleString("en")} ${s.title}`)
    console.log(
      `    time ${report.ms} ms; peak RSS ${report.peakRssMB} MB; peak heap ${report.peakHeapMB} MB; heap before ${report.heapBeforeMB} MB → after (gc) ${report.heapAfterMB} MB (${leak >= 0 ? "+" : ""}${leak.toFixed(1)} MB)`
    )
    console.log(
      `    ${Object.entries(report.metrics)
        .map(([k, v]) => `${k}: ${typeof v === "number" ? v.toLocaleString("en") : v}`)
        .join("; ")}`
    )
    for (const v of report.violations) console.log(`    VIOLATION: ${v}`)
    if (leak > LEAK_MB) console.log(`    LEAK: heap did not come back within ${LEAK_MB} MB of its start`)
    console.log()
  }
  if (!quick && only === undefined && !args.includes("--no-depth")) {
    // Deeper nesting: does it crash (stack overflow), and how does the time grow?
    console.log("Deeper nesting (child processes, default stack size):")
    for (const mode of ["complete", "cancel", "interrupt"]) {
      const parts: Array<string> = []
      for (const depth of PROBE_DEPTHS) {
        const { report, error } = runChild(`nest-${mode}`, depth)
        if (report === undefined) {
          parts.push(`${depth.toLocaleString("en")}: CRASHED (${error})`)
          break
        }
        const bad = report.violations.length > 0 ? ` VIOLATIONS: ${report.violations.join("; ")}` : ""
        parts.push(
          `${depth.toLocaleString("en")}: ok in ${report.ms} ms, peak RSS ${report.peakRssMB} MB${bad}`
        )
      }
      console.log(`    nest-${mode}: ${parts.join("; ")}`)
    }
  }
  process.exitCode = failed ? 1 : 0
}

await main()
