/**
 * The soak engine (issue 20): a long-running service. One task group lives for the whole soak;
 * each workload is a task of it running rounds back to back. Every `sampleEvery` seconds the
 * service is brought to a quiet point (every workload between two rounds), the heap is collected,
 * and the heap after GC, the open handles (`process.getActiveResourcesInfo()`) and the running
 * tasks are sampled; then the workloads go on.
 *
 * Verdict (the goal): from the baseline (the sample after the first minute, or after a
 * tenth of a shorter soak) to the end, the heap after GC stays within 2% of the baseline's, the
 * open handles and running tasks do not grow, and no round broke an invariant (no item lost or
 * duplicated, ...).
 */
import { getHeapSpaceStatistics } from "node:v8"
import { Cause, Effect } from "effect"
import { createTaskGroup, Event, getRunningTasks } from "../src/index.ts"
import type { Workload } from "./workload.ts"

export interface SoakOptions {
  readonly seconds: number
  readonly sampleEvery: number
  /** Scales each round's work (1: the full size). Default 1. */
  readonly size?: number | undefined
  readonly workloads: ReadonlyArray<Workload>
  /** When the baseline is taken (seconds); default min(60, seconds / 10). */
  readonly baselineAt?: number | undefined
  /** Called with each sample as it is taken. */
  readonly onSample?: ((sample: Sample) => void) | undefined
}

export interface Sample {
  /** Seconds since the start. */
  readonly t: number
  /** Rounds done so far, all workloads. */
  readonly rounds: number
  /** Heap used after a full GC (MB); NaN without `--expose-gc`. */
  readonly heapMB: number
  readonly rssMB: number
  /**
   * The heap's spaces after GC (MB): "old" holds the program's objects; "code" and "trusted" grow
   * while V8 compiles code paths the first time they run, and level off.
   */
  readonly spacesMB: Readonly<Record<string, number>>
  /** Open handles and requests (`process.getActiveResourcesInfo()`). */
  readonly handles: number
  readonly handlesByType: Readonly<Record<string, number>>
  /** Running tasks that are children of some group (the workloads' own, at the quiet point). */
  readonly tasks: number
}

export interface SoakReport {
  readonly seconds: number
  readonly samples: ReadonlyArray<Sample>
  readonly baseline: Sample
  readonly last: Sample
  readonly rounds: Readonly<Record<string, number>>
  readonly totals: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** Broken invariants, "workload round n: what" (the first 100). */
  readonly violations: ReadonlyArray<string>
  readonly violationCount: number
  /** (last heap - baseline heap) / baseline heap, in percent; the largest (absolute) over the samples after the baseline. */
  readonly heapDriftPct: number
  readonly maxHeapDriftPct: number
  /**
   * The same for the old space alone (the program's long-lived objects), without what V8 and Node
   * hold for code: compiled code and its metadata (code, trusted) grow while code paths are first
   * compiled, and module sources (large objects) may be let go of late.
   */
  readonly objectsDriftPct: number
  readonly maxObjectsDriftPct: number
  readonly handleGrowth: number
  readonly taskGrowth: number
  /** Heap within 2%, no handle or task growth, no violation. */
  readonly ok: boolean
}

const MB = 1024 * 1024

/** Full collections with turns of the event loop between them (so that finalizers let go). */
// The event loop turns a few times even without a collector: a handle being closed (a child
// process reaped just before the quiet point) leaves the active list only in the loop's close
// phase, so counting it at once reported a handle "left behind" that was already closing.
const collect = (): Promise<void> =>
  (async () => {
    const gc = (globalThis as { gc?: () => void }).gc
    for (let i = 0; i < 4; i++) {
      gc?.()
      await new Promise((resolve) => setImmediate(resolve))
    }
  })()

const handleCounts = (): { total: number; byType: Record<string, number> } => {
  const byType: Record<string, number> = {}
  const all = process.getActiveResourcesInfo()
  for (const type of all) byType[type] = (byType[type] ?? 0) + 1
  return { total: all.length, byType }
}

export const soak = (options: SoakOptions): Effect.Effect<SoakReport, unknown> =>
  Effect.gen(function* () {
    const size = options.size ?? 1
    const baselineAt = options.baselineAt ?? Math.min(60, options.seconds / 10)
    const rounds: Record<string, number> = {}
    const totals: Record<string, Record<string, number>> = {}
    const violations: Array<string> = []
    let violationCount = 0
    const samples: Array<Sample> = []
    let stopping = false
    let pausing = false
    let parked = 0
    let allParked = new Event()
    let resume = new Event()
    const active = options.workloads.length
    const t0 = performance.now()
    const elapsed = () => (performance.now() - t0) / 1000
    let roundsDone = 0

    const violation = (what: string) => {
      violationCount++
      if (violations.length < 100) violations.push(what)
    }

    /** Between two rounds: park while the sampler looks. */
    const gate = Effect.suspend(() => {
      if (!pausing) return Effect.void
      parked++
      const wait = resume.wait()
      if (parked === active) return Effect.andThen(allParked.set(), wait)
      return wait
    })

    const runWorkload = (w: Workload) =>
      Effect.scoped(
        Effect.gen(function* () {
          const round = yield* w.start(size)
          totals[w.name] = {}
          rounds[w.name] = 0
          let i = 0
          for (;;) {
            yield* gate
            if (stopping) return
            const n = i++
            const exit = yield* Effect.exit(round(n))
            rounds[w.name]!++
            roundsDone++
            if (exit._tag === "Failure") {
              violation(`${w.name} round ${n} failed: ${Cause.pretty(exit.cause).split("\n")[0]}`)
              continue
            }
            const t = totals[w.name]!
            for (const [k, v] of Object.entries(exit.value.counts)) t[k] = (t[k] ?? 0) + v
            for (const v of exit.value.violations) violation(`${w.name} round ${n}: ${v}`)
          }
        })
      )

    /** Brings every workload to its gate, runs `body`, lets them go on. */
    const atQuietPoint = <A>(body: Effect.Effect<A>): Effect.Effect<A> =>
      Effect.gen(function* () {
        pausing = true
        if (parked < active) yield* allParked.wait()
        const result = yield* body
        pausing = false
        parked = 0
        allParked = new Event()
        const r = resume
        resume = new Event()
        yield* r.set()
        return result
      })

    const takeSample = Effect.gen(function* () {
      yield* Effect.promise(collect)
      const running = yield* getRunningTasks()
      const { total, byType } = handleCounts()
      const gc = (globalThis as { gc?: () => void }).gc
      const sample: Sample = {
        t: +elapsed().toFixed(2),
        rounds: roundsDone,
        heapMB: gc === undefined ? Number.NaN : +(process.memoryUsage().heapUsed / MB).toFixed(3),
        rssMB: +(process.memoryUsage().rss / MB).toFixed(1),
        spacesMB: Object.fromEntries(
          getHeapSpaceStatistics()
            .filter((space) => space.space_used_size > 0)
            .map((space) => [
              space.space_name.replace(/_space$/, ""),
              +(space.space_used_size / MB).toFixed(3)
            ])
        ),
        handles: total,
        handlesByType: byType,
        tasks: running.filter((t) => t.parentId !== undefined).length
      }
      samples.push(sample)
      options.onSample?.(sample)
    })

    yield* createTaskGroup((service) =>
      Effect.gen(function* () {
        for (const w of options.workloads)
          yield* service.startSoon(runWorkload(w), { name: `soak ${w.name}` })
        let next = 0
        for (;;) {
          // On schedule; after a late sample (a long round, a slow collection), a full interval on.
          next = Math.max(next + options.sampleEvery, elapsed() + options.sampleEvery / 2)
          const wait = next - elapsed()
          if (wait > 0) yield* Effect.sleep(`${Math.round(wait * 1000)} millis`)
          const last = elapsed() + options.sampleEvery > options.seconds + 1e-9
          yield* atQuietPoint(
            Effect.andThen(
              takeSample,
              Effect.sync(() => {
                if (last) stopping = true
              })
            )
          )
          if (last) return
        }
      })
    )

    const baseline = samples.find((s) => s.t >= baselineAt - 1e-9) ?? samples[0]!
    const after = samples.filter((s) => s.t >= baseline.t)
    const last = samples[samples.length - 1]!
    const drift = (s: Sample) => ((s.heapMB - baseline.heapMB) / baseline.heapMB) * 100
    const heapDriftPct = +drift(last).toFixed(2)
    const maxHeapDriftPct = +Math.max(...after.map((x) => Math.abs(drift(x)))).toFixed(2)
    const old = (x: Sample) => x.spacesMB.old ?? Number.NaN
    const objectsDrift = (x: Sample) => ((old(x) - old(baseline)) / old(baseline)) * 100
    const objectsDriftPct = +objectsDrift(last).toFixed(2)
    const maxObjectsDriftPct = +Math.max(...after.map((x) => Math.abs(objectsDrift(x)))).toFixed(2)
    const handleGrowth = Math.max(...after.map((s) => s.handles)) - baseline.handles
    const taskGrowth = Math.max(...after.map((s) => s.tasks)) - baseline.tasks
    const heapOk = Number.isNaN(baseline.heapMB) || maxHeapDriftPct <= 2
    return {
      seconds: +elapsed().toFixed(1),
      samples,
      baseline,
      last,
      rounds,
      totals,
      violations,
      violationCount,
      heapDriftPct,
      maxHeapDriftPct,
      objectsDriftPct,
      maxObjectsDriftPct,
      handleGrowth,
      taskGrowth,
      ok: heapOk && handleGrowth <= 0 && taskGrowth <= 0 && violationCount === 0
    }
  })
