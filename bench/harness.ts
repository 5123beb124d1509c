/**
 * A tiny benchmark harness: each case runs `n` operations per sample; we report the median
 * nanoseconds per operation over several samples after warm-up, and the ratio to a reference case
 * measured in the same process run (ratios hold on a noisy machine; absolute figures do not).
 */
import { Effect } from "effect"
import { withBatchingScheduler } from "../src/Scheduler.ts"

/**
 * The scheduler every case runs on: effect-anyio's default (the batching scheduler, what `run(main)`
 * uses), raw Effect references included so that ratios compare like with like; with
 * `BENCH_SCHEDULER=effect`, Effect's own default scheduler (what a bare `Effect.runPromise` uses).
 */
export const onEffectScheduler = process.env.BENCH_SCHEDULER === "effect"

/** Suffix of the rows measured on Effect's own scheduler (`BENCH_SCHEDULER=effect`). */
export const EFFECT_SCHEDULER = " · Effect's scheduler"

const onScheduler = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  onEffectScheduler ? effect : withBatchingScheduler(effect)

export interface Result {
  readonly name: string
  readonly nsPerOp: number
  readonly reference?: string | undefined
  readonly ratio?: number | undefined
  readonly peakHeapMB?: number | undefined
}

export interface Case {
  readonly name: string
  /**
   * Runs `n` operations. With `timed: true` it measures itself: its value is the nanoseconds of the
   * measured phase (so setup, such as starting the tasks to cancel, is left out).
   */
  readonly run: (n: number) => Effect.Effect<unknown, unknown>
  readonly timed?: boolean | undefined
  /** Name of the case this one is compared to. */
  readonly reference?: string | undefined
  /**
   * With `resident`: started (never ending) beside the case's samples and interrupted after them, so
   * that objects of the kinds the case makes are alive through each collection, as in a running
   * program (see `resident`).
   */
  readonly alive?: Effect.Effect<unknown, unknown> | undefined
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) g()
}

/** Measures every case, interleaving them sample by sample so drift hits all alike. */
export const measure = async (
  cases: ReadonlyArray<Case>,
  options: {
    readonly n: number
    readonly samples?: number
    readonly warmup?: number
    /**
     * Operations of each case run, untimed, between the collection that precedes each sample and the
     * sample. A forced full collection deoptimizes the optimized code that embedded objects it freed
     * (V8: "embedded weak objects cleared"; Effect's run loop among them), and the next few thousand
     * operations run while it is re-optimized: several times slower. A section whose samples are
     * that short measures the re-optimization unless it sets this (default 0).
     */
    readonly rewarm?: number
    /**
     * Runs every sample as a step of one program, whose fiber lives through each collection (as
     * `run(main)`'s main fiber does), instead of a fresh `Effect.runPromise` per sample. A forced full
     * collection with no fiber alive frees the hidden classes ("maps") of Effect's fiber objects
     * (V8 keeps a class's maps only while an object has them), and with them every optimized
     * function that checked them, Effect's run loop and its callers' alike: each sample then starts
     * from the interpreter. A program always has a live fiber, so this measures what it runs at.
     * The same holds for the maps of any other class whose objects all die between samples: each
     * case's `alive` effect keeps some of its kind alive.
     */
    readonly resident?: boolean
  }
): Promise<Array<Result>> => {
  const samples = options.samples ?? 7
  const warmup = options.warmup ?? 2
  const rewarm = options.rewarm ?? 0
  const times = new Map<string, Array<number>>()
  const peaks = new Map<string, number>()
  const record = (c: Case, round: number, elapsed: number): void => {
    if (round >= warmup) {
      const list = times.get(c.name) ?? []
      list.push(elapsed / options.n)
      times.set(c.name, list)
    }
  }
  if (options.resident) {
    await Effect.runPromise(
      onScheduler(
        Effect.gen(function* () {
          for (const c of cases) if (c.alive !== undefined) yield* Effect.forkChild(c.alive)
          for (let round = 0; round < warmup + samples; round++) {
            for (const c of cases) {
              gc()
              if (rewarm > 0) yield* c.run(rewarm)
              const start = process.hrtime.bigint()
              const value = yield* c.run(options.n)
              record(c, round, c.timed ? Number(value) : Number(process.hrtime.bigint() - start))
            }
          }
        })
      )
    )
  } else {
    for (let round = 0; round < warmup + samples; round++) {
      for (const c of cases) {
        gc()
        if (rewarm > 0) await Effect.runPromise(onScheduler(c.run(rewarm)))
        const start = process.hrtime.bigint()
        const value = await Effect.runPromise(onScheduler(c.run(options.n)))
        record(c, round, c.timed ? Number(value) : Number(process.hrtime.bigint() - start))
      }
    }
  }
  // The peak heap comes from one more, untimed round: the 5 ms sampler slowed the runs it watched,
  // and unevenly (net echo: some process.memoryUsage() calls took ~1 ms inside our runs, against far
  // less inside raw node:net's; bench/probes/net-echo-one.ts SAMPLER=1), so it stays out of the timed ones.
  for (const c of cases) {
    gc()
    if (rewarm > 0) await Effect.runPromise(onScheduler(c.run(rewarm)))
    const heapBefore = process.memoryUsage().heapUsed
    let peak = heapBefore
    const sampler = setInterval(() => {
      const h = process.memoryUsage().heapUsed
      if (h > peak) peak = h
    }, 5)
    await Effect.runPromise(onScheduler(c.run(options.n)))
    clearInterval(sampler)
    const h = process.memoryUsage().heapUsed
    if (h > peak) peak = h
    peaks.set(c.name, (peak - heapBefore) / 1024 / 1024)
  }
  const ns = new Map(cases.map((c) => [c.name, median(times.get(c.name)!)]))
  return cases.map((c) => ({
    name: c.name,
    nsPerOp: ns.get(c.name)!,
    reference: c.reference,
    ratio: c.reference === undefined ? undefined : ns.get(c.name)! / ns.get(c.reference)!,
    peakHeapMB: peaks.get(c.name)
  }))
}

export const format = (results: ReadonlyArray<Result>): string => {
  const lines = ["| workload | ns/op | reference | ratio |", "| --- | ---: | --- | ---: |"]
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.nsPerOp.toFixed(0)} | ${r.reference ?? ""} | ${r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`} |`
    )
  }
  return lines.join("\n")
}
