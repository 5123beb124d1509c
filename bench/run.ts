/**
 * The benchmark suite (`npm run bench`): runs every workload, each section in a child process of its
 * own (a clean heap, and a crash such as a stack overflow is reported instead of ending the run),
 * then AnyIO itself (`bench/anyio_bench.py`, when a Python with anyio is around) and the
 * deep-nesting probes, and writes `bench/RESULTS.md` (also printed).
 *
 * Figures: median ns per task/op over the samples after warm-up; peak heap growth during a
 * sample; the ratio to the reference measured in the same process run; AnyIO's figures divided by
 * ours ("× slower than us").
 *
 * Options: `--quick` (no AnyIO, fewer probe depths; for a smoke run), `--no-anyio`, `--no-deep`,
 * `--only=<id>,<id>` (those sections only, e.g. `--only=moveon,moveon-effect`, and only their
 * AnyIO workloads; printed, RESULTS.md left as it is).
 *
 * AnyIO: the first `python3` that can import it (bench/python.ts: `PYTHONPATH`, `ANYIO_SRC_DIR` for
 * AnyIO 4.x from its source tree, `ANYIO_PYTHON`); none: the AnyIO columns are left out.
 * `BENCH_ANYIO_N` (default 20000) and `BENCH_ANYIO_TIMEOUT` (seconds, default 900) for a loaded
 * machine.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import os from "node:os"
import { fileURLToPath } from "node:url"
import { probes } from "./deep.ts"
import { EFFECT_SCHEDULER, measure, type Result } from "./harness.ts"
import { anyioHint, findAnyioPython } from "./python.ts"
import {
  cancelFanOut,
  measureHeap,
  moveOn,
  N,
  N_EFFECTION,
  N_NESTED,
  nested,
  spawnEffection,
  spawnTrivial,
  spawnYield
} from "./workloads.ts"

const here = fileURLToPath(new URL(".", import.meta.url))
const self = fileURLToPath(import.meta.url)

interface SectionData {
  readonly results: ReadonlyArray<Result>
  /** Peak heap of the whole section, when its cases do not report their own. */
  readonly sectionPeakHeapMB?: number | undefined
}

interface Section {
  readonly id: string
  /** Run on Effect's own scheduler instead of the default (the batching scheduler). */
  readonly effectScheduler?: boolean | undefined
  readonly workload: string
  readonly title: string
  readonly run: () => Promise<SectionData>
}

/** Runs `f` while sampling heapUsed; returns its value and the peak growth in MB. */
const withPeakHeap = async <A>(f: () => Promise<A>): Promise<{ value: A; peakMB: number }> => {
  const before = process.memoryUsage().heapUsed
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed)
  }, 5)
  const value = await f()
  clearInterval(timer)
  peak = Math.max(peak, process.memoryUsage().heapUsed)
  return { value, peakMB: (peak - before) / 1024 / 1024 }
}

interface ExternalResult {
  readonly name: string
  readonly nsPerOp: number
  readonly reference?: string | undefined
  readonly ratio?: number | undefined
  readonly peakHeapMB?: number | undefined
}

const external = async (file: string): Promise<SectionData> => {
  const mod = (await import(file)) as { run: () => Promise<ReadonlyArray<ExternalResult>> }
  const { value, peakMB } = await withPeakHeap(() => mod.run())
  const own = value.some((r) => r.peakHeapMB !== undefined)
  return { results: value, sectionPeakHeapMB: own ? undefined : peakMB }
}

const sections: ReadonlyArray<Section> = [
  {
    id: "spawn",
    workload: "1",
    title: `spawn + join a trivial task (N = ${N})`,
    run: async () => ({ results: await measure(spawnTrivial, { n: N }) })
  },
  {
    id: "effection",
    workload: "1",
    title: `spawn + join a trivial task, effection 4 (N = ${N_EFFECTION})`,
    run: async () => ({ results: await measure(spawnEffection, { n: N_EFFECTION, samples: 3, warmup: 1 }) })
  },
  {
    id: "yield",
    workload: "2",
    title: `spawn + join a task that yields once (N = ${N})`,
    run: async () => ({ results: await measure(spawnYield, { n: N }) })
  },
  {
    id: "yield-effect",
    workload: "2",
    effectScheduler: true,
    title: `spawn + join a task that yields once, on Effect's own scheduler (N = ${N})`,
    run: async () => ({ results: await measure(spawnYield, { n: N }) })
  },
  {
    id: "cancel",
    workload: "3",
    title: `cancel ${N} sleeping tasks at once (ns per task, cancellation only)`,
    run: async () => ({ results: await measure(cancelFanOut, { n: N, samples: 5 }) })
  },
  {
    id: "cancel-effect",
    workload: "3",
    effectScheduler: true,
    title: `cancel ${N} sleeping tasks at once, on Effect's own scheduler (ns per task, cancellation only)`,
    run: async () => ({ results: await measure(cancelFanOut, { n: N, samples: 5 }) })
  },
  {
    id: "moveon",
    workload: "4",
    title: `moveOnAfter that never fires; a plain cancelScope (N = ${N})`,
    run: async () => ({ results: await measure(moveOn, { n: N }) })
  },
  {
    id: "moveon-effect",
    workload: "4",
    effectScheduler: true,
    title: `moveOnAfter that never fires; a plain cancelScope; on Effect's own scheduler (N = ${N})`,
    run: async () => ({ results: await measure(moveOn, { n: N }) })
  },
  {
    id: "nested100",
    workload: "5",
    title: `nested task groups 100 deep (ns per level, ${N_NESTED} levels per sample)`,
    run: async () => ({ results: await measure(nested(100), { n: N_NESTED, resident: true }) })
  },
  {
    id: "nested1000",
    workload: "5",
    title: `nested task groups 1,000 deep (ns per level, ${N_NESTED} levels per sample)`,
    run: async () => ({ results: await measure(nested(1000), { n: N_NESTED, resident: true }) })
  },
  {
    id: "nested1000raw",
    workload: "5",
    title: "nested forks 1,000 deep, raw only (run when the combined section fails)",
    run: async () => ({ results: await measure(nested(1000).slice(0, 1), { n: N_NESTED, resident: true }) })
  },
  {
    id: "nested1000-effect",
    workload: "5",
    effectScheduler: true,
    title: `nested task groups 1,000 deep, on Effect's own scheduler (ns per level, ${N_NESTED} levels per sample)`,
    run: async () => ({ results: await measure(nested(1000), { n: N_NESTED, resident: true }) })
  },
  {
    id: "stream",
    workload: "6",
    title: "memory object streams, 1 producer 1 consumer (ns per item; bench/memory-stream.ts)",
    run: () => external("./memory-stream.ts")
  },
  {
    id: "stream-effect",
    workload: "6",
    effectScheduler: true,
    title: "memory object streams on Effect's own scheduler (ns per item)",
    run: () => external("./memory-stream.ts")
  },
  {
    id: "sync",
    workload: "7",
    title: "Lock / Semaphore (ns per acquire + release; bench/sync.ts)",
    run: () => external("./sync.ts")
  },
  {
    id: "sync-effect",
    workload: "7",
    effectScheduler: true,
    title: "Lock / Semaphore on Effect's own scheduler (ns per acquire + release)",
    run: () => external("./sync.ts")
  },
  {
    id: "handles",
    workload: "6b",
    title: "task handles and tracing (ns per task, N = 50,000; bench/handles.ts)",
    run: () => external("./handles.ts")
  },
  {
    id: "workers",
    workload: "9",
    title:
      "worker threads, worker processes, files (ns per call; bench/workers.ts, AnyIO rows from bench/anyio_workers.py)",
    run: () => external("./workers.ts")
  },
  {
    id: "process",
    workload: "10",
    title:
      "subprocesses: spawn `true` and wait, per process (bench/process.ts, AnyIO rows from bench/anyio_process.py)",
    run: () => external("./process.ts")
  },
  {
    id: "streams",
    workload: "10",
    title: `receiveUntil line splitting of 64 MiB (ns per line; bench/streams.ts, AnyIO rows from bench/anyio_streams.py)`,
    run: () => external("./streams.ts")
  },
  {
    id: "net",
    workload: "10",
    title:
      "networking: TCP ping-pong, echo throughput, accepts through serve (bench/net.ts, AnyIO rows from bench/anyio_net.py)",
    run: () => external("./net.ts")
  },
  {
    id: "cluster",
    workload: "10",
    title:
      "remote task calls on Effect Cluster, embedded and across processes (ns per call; bench/cluster.ts)",
    run: () => external("./cluster.ts")
  },
  {
    id: "heap",
    workload: "8",
    title: "heap per sleeping task (bytes per task, 100,000 tasks, after a full GC; median of 5)",
    run: async () => ({ results: await measureHeap() })
  }
]

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

const MARK = "@@RESULT "

interface ChildOutcome {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly timedOut: boolean
  readonly stdout: string
  readonly stderr: string
  readonly seconds: number
}

const runChild = (
  args: ReadonlyArray<string>,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env
): Promise<ChildOutcome> =>
  new Promise((resolve) => {
    const start = Date.now()
    const child: ChildProcess = spawn(process.execPath, ["--expose-gc", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env
    })
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill("SIGKILL")
    }, timeoutMs)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, timedOut, stdout, stderr, seconds: (Date.now() - start) / 1000 })
    })
  })

/** One line saying how a child failed. */
const describeFailure = (o: ChildOutcome): string => {
  if (o.timedOut) return `no result after ${o.seconds.toFixed(0)} s (hang)`
  const text = `${o.stdout}\n${o.stderr}`
  if (/Maximum call stack size exceeded/.test(text))
    return "stack overflow (RangeError: Maximum call stack size exceeded)"
  if (/async hook stack has become corrupted/.test(text))
    return "process crashed: async hook stack corrupted (a stack overflow inside async_hooks)"
  if (o.code === 13 || /unsettled top-level await/.test(text))
    return "never finished: the event loop emptied with the program still waiting (lost wake-up)"
  const error = o.stdout.match(/"error":"([^"]*)"/)?.[1] ?? o.stderr.split("\n").find((l) => /Error/.test(l))
  return `failed (exit ${o.code ?? o.signal}): ${error ?? "see stderr"}`
}

const runSection = async (s: Section): Promise<{ data?: SectionData; error?: string; seconds: number }> => {
  const env = { ...process.env, BENCH_SCHEDULER: s.effectScheduler ? "effect" : "batching" }
  const o = await runChild([self, "--child", s.id], 240_000, env)
  const line = o.stdout.split("\n").find((l) => l.startsWith(MARK))
  if (line !== undefined && o.code === 0)
    return { data: JSON.parse(line.slice(MARK.length)) as SectionData, seconds: o.seconds }
  return { error: describeFailure(o), seconds: o.seconds }
}

// ---------------------------------------------------------------------------------------------
// Deep-nesting probes: the first depth at which each one fails
// ---------------------------------------------------------------------------------------------

interface ProbeResult {
  readonly kind: string
  readonly label: string
  readonly maxOk: number | undefined
  readonly firstFail: number | undefined
  readonly failure: string | undefined
}

const probeOnce = async (kind: string, depth: number): Promise<string | undefined> => {
  const o = await runChild([`${here}deep.ts`, kind, String(depth)], 5_000)
  return o.code === 0 && o.stdout.includes('"ok":true') ? undefined : describeFailure(o)
}

const searchDepth = async (
  kind: string,
  ladder: ReadonlyArray<number>,
  bisect: number
): Promise<ProbeResult> => {
  let ok: number | undefined
  let fail: number | undefined
  let failure: string | undefined
  for (const d of ladder) {
    const f = await probeOnce(kind, d)
    if (f === undefined) ok = d
    else {
      fail = d
      failure = f
      break
    }
  }
  for (let i = 0; i < bisect && fail !== undefined && fail - (ok ?? 0) > 1; i++) {
    const mid = Math.round(((ok ?? 0) + fail) / 2)
    const f = await probeOnce(kind, mid)
    if (f === undefined) ok = mid
    else {
      fail = mid
      failure = f
    }
  }
  return { kind, label: probes[kind]!.label, maxOk: ok, firstFail: fail, failure }
}

// ---------------------------------------------------------------------------------------------
// AnyIO
// ---------------------------------------------------------------------------------------------

interface AnyioReport {
  readonly python: string
  readonly executable: string
  readonly anyio: string | null
  /** "installed" or "source <dir>" (older reports: absent). */
  readonly anyio_from?: string | undefined
  readonly trio: string | null
  readonly n: number
  readonly samples: number
  readonly backends: Record<string, Record<string, number>>
  readonly skipped: Record<string, string>
}

const runAnyio = async (
  only: ReadonlyArray<string> | undefined
): Promise<{ report?: AnyioReport; message: string }> => {
  const found = findAnyioPython()
  if (found === undefined) return { message: `AnyIO skipped: ${anyioHint}.` }
  if (only !== undefined && only.length === 0)
    return { message: "AnyIO skipped: no AnyIO row in these sections" }
  const start = Date.now()
  // A loaded machine needs more than the usual ~3 minutes: BENCH_ANYIO_TIMEOUT (seconds).
  const timeoutS = Number(process.env.BENCH_ANYIO_TIMEOUT ?? 900)
  const child = spawn(
    found.python,
    [
      "-W",
      "ignore::DeprecationWarning",
      `${here}anyio_bench.py`,
      "--n",
      process.env.BENCH_ANYIO_N ?? "20000",
      "--samples",
      "3",
      "--warmup",
      "1",
      ...(only === undefined ? [] : ["--only", only.join(",")])
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: found.env }
  )
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString()
    process.stderr.write(d)
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill("SIGKILL")
  }, timeoutS * 1000)
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve))
  clearTimeout(timer)
  if (timedOut) return { message: `AnyIO run timed out after ${timeoutS} s (BENCH_ANYIO_TIMEOUT)` }
  if (code !== 0) return { message: `AnyIO run failed (exit ${code}): ${stderr.trim().split("\n").pop()}` }
  const report = JSON.parse(stdout) as AnyioReport
  return { report, message: `AnyIO run: ${((Date.now() - start) / 1000).toFixed(0)} s` }
}

/** Which AnyIO figure each of our rows compares with. */
const anyioKey = (row: string): string | undefined => {
  const name = row.endsWith(EFFECT_SCHEDULER) ? row.slice(0, -EFFECT_SCHEDULER.length) : row
  const table: Record<string, string> = {
    "effect-anyio startSoon + group exit (trivial task)": "spawn_trivial",
    "effect-anyio startSoon + group exit (task yields once)": "spawn_yield",
    "effect-anyio tg.cancel() of N sleeping tasks": "cancel_fanout",
    "effect-anyio moveOnAfter(10, void)": "move_on_sync",
    "effect-anyio moveOnAfter(10, yieldNow)": "move_on_yield",
    "effect-anyio nested task groups, 1000 deep": "nested",
    "memory stream, buffer 0": "stream_0",
    "memory stream, buffer 100": "stream_100",
    "Lock() (AnyIO default, checkpoint) withLock(void)": "lock_uncontended",
    "Semaphore(1) (checkpoint) withPermit(void)": "semaphore_uncontended",
    "contended x2: Lock(fast).withLock(yieldNow)": "lock_contended_2",
    "contended x2: Semaphore(1, fast).withPermit(yieldNow)": "semaphore_contended_2",
    "contended x100: Lock(fast).withLock(yieldNow)": "lock_contended_100",
    "contended x100: Semaphore(1, fast).withPermit(yieldNow)": "semaphore_contended_100",
    "effect-anyio startSoon(sleep(3600)), bytes per task": "heap_per_task"
  }
  return table[name]
}

/** The target ratio (ours / reference) for one of our rows, if the issue sets one. */
const targetOf = (sectionId: string, r: Result): number | undefined => {
  if (r.ratio === undefined) return undefined
  const n = r.name.endsWith(EFFECT_SCHEDULER) ? r.name.slice(0, -EFFECT_SCHEDULER.length) : r.name
  if (n.startsWith("effect-anyio startSoon +") || n.startsWith("effect-anyio tg.cancel()")) return 1.2
  if (n.startsWith("effect-anyio moveOnAfter")) return 1.0
  if (n === "effect-anyio cancelScope({}, void)") return 1.5
  if (n === "memory stream, buffer 0" || n === "memory stream, buffer 100") return 1.0
  if (sectionId.startsWith("sync") && /^(contended x\d+: )?(Lock|Semaphore)/.test(n)) return 1.2
  if (sectionId === "heap") return 1.3
  if (sectionId === "workers" && n.startsWith("toThread.runSync")) return 1.3
  if (sectionId === "process" && (n.startsWith("runProcess(") || n.startsWith("openProcess("))) return 1.2
  if (sectionId === "streams") return n.startsWith("AnyIO") ? 0.1 : n.startsWith("floor") ? undefined : 1.5
  if (sectionId === "net" && n.startsWith("connectTcp + serve 16-byte")) return 1.2
  if (sectionId === "net" && n.startsWith("connectTcp + serve echo")) return 1.25
  if (sectionId === "cluster") return n.startsWith("floor") ? undefined : 1.1
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))

const machine = (): Array<string> => {
  const cpus = os.cpus()
  const pkg = (name: string): string => {
    try {
      return (
        JSON.parse(readFileSync(`${here}../node_modules/${name}/package.json`, "utf8")) as { version: string }
      ).version
    } catch {
      return "?"
    }
  }
  return [
    `- CPU: ${cpus[0]?.model ?? "?"}, ${os.availableParallelism()} cores (${cpus.length} logical CPUs)`,
    `- Memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} ${os.arch()}`,
    `- Node ${process.version}, effect ${pkg("effect")}, effection ${pkg("effection")}`
  ]
}

/** The machine line naming the AnyIO that was measured (and warning when it is not 4.x). */
const anyioLine = (r: AnyioReport): string => {
  const from = r.anyio_from === undefined ? "" : ` (${r.anyio_from})`
  const skipped = Object.entries(r.skipped)
    .map(([b, why]) => `${b} backend skipped: ${why}`)
    .join("; ")
  const major = Number(/^(\d+)/.exec(r.anyio ?? "")?.[1])
  const old = major < 4 ? " ⚠ not AnyIO 4.x: the AnyIO ratios do not compare with AnyIO 4.14" : ""
  return `- AnyIO ${r.anyio ?? "unknown"}${from} on Python ${r.python} (${r.executable}), trio ${r.trio ?? "not installed"}; N = ${r.n} per workload, median of ${r.samples} after 1 warm-up${skipped ? `; ${skipped}` : ""}${old}`
}

const main = async (): Promise<void> => {
  const argv = process.argv.slice(2)
  const quick = argv.includes("--quick")
  const started = Date.now()
  const log = (line: string) => console.error(line)
  if ((globalThis as { gc?: unknown }).gc === undefined)
    log("note: run with --expose-gc (npm run bench does)")

  const only = argv
    .find((a) => a.startsWith("--only="))
    ?.slice("--only=".length)
    .split(",")
  const done: Array<{ section: Section; data?: SectionData; error?: string }> = []
  for (const s of sections) {
    if (only !== undefined && !only.includes(s.id)) continue
    if (s.id === "nested1000raw") {
      const combined = done.find((d) => d.section.id === "nested1000")
      if (combined?.error === undefined) continue
    }
    const r = await runSection(s)
    log(`${s.id}: ${r.error ?? "ok"} (${r.seconds.toFixed(1)} s)`)
    done.push({ section: s, ...r })
  }

  // With --only, AnyIO runs just the workloads those sections compare with.
  const anyioKeys =
    only === undefined
      ? undefined
      : [...new Set(done.flatMap((d) => (d.data?.results ?? []).map((r) => anyioKey(r.name) ?? [])).flat())]
  const anyio =
    argv.includes("--no-anyio") || quick
      ? { message: "AnyIO skipped (--no-anyio)" }
      : await runAnyio(anyioKeys)
  log(anyio.message)

  const probeResults: Array<ProbeResult> = []
  if (!argv.includes("--no-deep") && only === undefined) {
    const ladder = quick ? [100, 1000] : [250, 500, 1000, 2000, 5000, 10_000, 100_000]
    for (const kind of Object.keys(probes)) {
      const r = await searchDepth(kind, ladder, quick ? 0 : 3)
      log(`deep ${kind}: ok up to ${r.maxOk ?? "-"}, fails at ${r.firstFail ?? "-"} ${r.failure ?? ""}`)
      probeResults.push(r)
    }
  }

  // ----- the table
  const backends = anyio.report === undefined ? [] : Object.keys(anyio.report.backends)
  const header = [
    "#",
    "workload",
    "ns/op",
    "peak heap MB",
    "reference (same run)",
    "ratio",
    "target",
    ...backends.flatMap((b) => [`AnyIO ${b} ns/op`, `AnyIO ${b} ÷ ours`])
  ]
  const lines: Array<string> = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((h, i) => (i >= 2 && h !== "reference (same run)" && h !== "target" ? "---:" : "---")).join(" | ")} |`
  ]
  const missed: Array<string> = []
  let totalTargets = 0
  let missedTargets = 0
  for (const { section, data, error } of done) {
    lines.push(`| ${section.workload} | **${section.title}** |${" |".repeat(header.length - 2)}`)
    if (data === undefined) {
      lines.push(`| ${section.workload} | ⚠ ${error} |${" |".repeat(header.length - 2)}`)
      missed.push(`${section.title}: ${error}`)
      continue
    }
    const unit = section.id === "heap" ? "B" : ""
    for (const r of data.results) {
      const target = targetOf(section.id, r)
      let targetCell = ""
      if (target !== undefined) {
        totalTargets++
        const met = r.ratio! <= target
        targetCell = `≤ ${target.toFixed(1)}× ${met ? "✅" : "❌"}`
        if (!met) missedTargets++
        if (!met) missed.push(`${r.name}: ${r.ratio!.toFixed(2)}× (target ≤ ${target.toFixed(1)}×)`)
      }
      const key = anyioKey(r.name)
      const anyioCells = backends.flatMap((b) => {
        const v = key === undefined ? undefined : anyio.report!.backends[b]![key]
        if (v === undefined) return ["", ""]
        const x = v / r.nsPerOp
        const counted = b === "asyncio" && section.id !== "heap" && !section.effectScheduler
        if (counted) {
          totalTargets++
          if (x < 10) missedTargets++
          if (x < 10) {
            // What bounds the row: the raw Effect reference measured in the same run, against the same AnyIO figure.
            const ref = data.results.find((o) => o.name === r.reference)
            const bound =
              ref === undefined
                ? ""
                : `; the raw Effect reference (${ref.name}) is itself ${(v / ref.nsPerOp).toFixed(1)}× faster than AnyIO`
            missed.push(
              `${r.name}: only ${x.toFixed(1)}× faster than AnyIO on asyncio (target ≥ 10×)${bound}`
            )
          }
        }
        return [`${fmt(v)}${unit}`, `${x.toFixed(1)}×${counted ? (x >= 10 ? " ✅" : " ❌") : ""}`]
      })
      const peak = r.peakHeapMB ?? data.sectionPeakHeapMB
      lines.push(
        `| ${section.workload} | ${r.name} | ${fmt(r.nsPerOp)}${unit} | ${peak === undefined ? "" : `${fmt(peak)}${r.peakHeapMB === undefined ? "†" : ""}`} | ${r.reference ?? ""} | ${r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`} | ${targetCell} | ${anyioCells.join(" | ")}${backends.length ? " |" : ""}`
      )
    }
  }

  const out: Array<string> = [
    "# Benchmark results",
    "",
    `Written by \`npm run bench\` (\`bench/run.ts\`) on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; the run took ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    "",
    ...machine(),
    anyio.report === undefined ? `- ${anyio.message}` : anyioLine(anyio.report),
    "",
    "ns/op: median nanoseconds per task / operation over the samples after warm-up (per item for streams, per level for nesting, bytes per task for heap). " +
      "Peak heap: the largest heapUsed growth seen during one sample (†: for the whole section, which does not report it per case). " +
      "Ratio: ns/op divided by the reference's, measured interleaved in the same process. " +
      "AnyIO ÷ ours: how many times slower AnyIO is on the same workload (target ≥ 10× on asyncio, on the default configuration). " +
      "Every row runs on effect-anyio's default scheduler (the batching scheduler, what `run(main)` uses; raw Effect references too, so ratios compare like with like), " +
      'except the sections marked "on Effect\'s own scheduler" (a bare `Effect.runPromise`), shown for comparison.',
    "",
    ...lines,
    "",
    `Targets: ${totalTargets - missedTargets} of ${totalTargets} met.`,
    ...(missed.length ? ["", "Missed or failed:", "", ...missed.map((m) => `- ${m}`)] : []),
    ""
  ]
  if (probeResults.length) {
    out.push(
      "## Deep nesting",
      "",
      "Each probe in a fresh `node` process (default stack size, 5 s limit); the depth is the number of nested levels.",
      "",
      "| probe | works up to depth | first failing depth | how it fails |",
      "| --- | ---: | ---: | --- |",
      ...probeResults.map(
        (p) =>
          `| ${p.label} | ${p.maxOk ?? "< first tried"} | ${p.firstFail ?? "none up to 100,000"} | ${p.failure ?? ""} |`
      ),
      ""
    )
  }
  const text = out.join("\n")
  if (only === undefined) writeFileSync(`${here}RESULTS.md`, text)
  console.log(text)
}

const childMain = async (id: string): Promise<void> => {
  const s = sections.find((x) => x.id === id)
  if (s === undefined) throw new Error(`unknown section ${id}`)
  const ran = await s.run()
  // Rows measured on Effect's own scheduler say so (their references too).
  const suffix = (name: string | undefined) =>
    name === undefined || !s.effectScheduler ? name : `${name}${EFFECT_SCHEDULER}`
  const data: SectionData = {
    ...ran,
    results: ran.results.map((r) => ({ ...r, name: suffix(r.name)!, reference: suffix(r.reference) }))
  }
  // Exit at once: a section's leftovers (timers of cancelled work) must not keep the child alive.
  process.stdout.write(`${MARK}${JSON.stringify(data)}\n`, () => process.exit(0))
}

if (import.meta.main) {
  const i = process.argv.indexOf("--child")
  if (i >= 0) await childMain(process.argv[i + 1]!)
  else await main()
}
