/**
 * Remote tasks (issue 22): a remote call's round trip through `effect-anyio/cluster` against the
 * cluster's own client call of a plain entity with the same schemas, in the same run (target
 * ≤ 1.1×):
 *
 * - embedded: one runner in this process, storage in memory (messages still serialized);
 * - across processes: this process a client-only member, one runner process on 127.0.0.1
 *   (test/fixtures/cluster-runner.ts), runner storage in a throwaway PostgreSQL (skipped, saying
 *   so, without PostgreSQL's server binaries).
 *
 * Each against the plain entity called the same way: one entity id, or round-robin over 16 ids
 * (our default; more entity instances cost the cluster itself a little more), sequential and 16 in
 * flight. A floor row (one entity id): our entity called through the cluster's own client, no
 * wrapper: the part of the guarantees in the cluster and on the runner (the request-id hook on our
 * RPCs runs on each hop, the runner registers the call for cancel by its request id); what our
 * call adds to it is the caller's part (arming the call for its request id, interrupt hook,
 * failure mapping, picking the client of the caller's `Sharding`). Its name
 * starts with "floor" (no target of its own). Embedded rows are CPU time of this process (the
 * work is all here; robust on a busy machine); rows across processes are wall time. Ratios are medians of paired short rounds (see
 * `measurePaired`).
 *
 * Run: `node bench/cluster.ts` (Node 24). `run()` is also used by the bench runner.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import * as Sharding from "effect/cluster/Sharding"
import * as Cluster from "../src/Cluster.ts"
import { BenchLive, BenchRaw, BenchTasks } from "../test/fixtures/cluster-bench.ts"
import { shardingConfig } from "../test/fixtures/cluster-config.ts"
import { startRunners } from "../test/fixtures/cluster-procs.ts"
import { findPgBin, freePort, postgresUrl, startPostgres } from "../test/fixtures/postgres.ts"
import { type Case, format, type Result } from "./harness.ts"

/**
 * Calls per case per round (embedded). 1,000, not 160: a sample of 160 calls (~3 ms) was shorter
 * than one disturbance of a busy machine, and the round-robin ratio moved by ±30% between runs.
 */
const N = Number(process.env.BENCH_CLUSTER_N ?? 1000)
const N_ACROSS = Number(process.env.BENCH_CLUSTER_N_ACROSS ?? 64)
/**
 * Measured rounds after warm-up rounds. Many rounds: on a shared machine one round in four or so is
 * disturbed (another process's turn, a major GC), and with 25 rounds the median ratio of the same
 * code moved by ±10% from run to run; the first rounds also run code the JIT has not settled yet.
 */
const ROUNDS = Number(process.env.BENCH_CLUSTER_ROUNDS ?? 61)
const WARMUP = Number(process.env.BENCH_CLUSTER_WARMUP ?? 10)
/** Unmeasured calls of a case before each of its samples. */
const SETTLE = Number(process.env.BENCH_CLUSTER_SETTLE ?? 16)
const ROUNDS_ACROSS = Number(process.env.BENCH_CLUSTER_ROUNDS_ACROSS ?? 31)
const WARMUP_ACROSS = Number(process.env.BENCH_CLUSTER_WARMUP_ACROSS ?? 5)
const WIDTH = 16
// The default spread of `Cluster.make`.
const SPREAD = 16

type Runtime = ManagedRuntime.ManagedRuntime<Sharding.Sharding, unknown>
type RawMethod = (payload: number) => Effect.Effect<unknown, unknown>
type Call = (i: number) => Effect.Effect<unknown, unknown, Sharding.Sharding>

/**
 * CPU time of this thread (not the process's: V8's compiler and GC helper threads run at their own
 * moments and their time landed on whichever sample was running, both cases alike).
 */
const cpuNanos = (): number => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}

const gc = (globalThis as { gc?: (options?: { readonly type: "minor" }) => void }).gc

/**
 * The cases of one setting. `cpu`: measure this process's CPU time instead of wall time (embedded:
 * all the work is in this process, and CPU time does not count other processes' turns on a busy
 * machine).
 */
const cases = async (runtime: Runtime, where: string, cpu: boolean): Promise<Array<Case>> => {
  const make = await runtime.runPromise(BenchRaw.client)
  const raw = make("0")
  // The floor: our entity called through the cluster's client, no wrapper: what the guarantees
  // cost in the cluster and on the runner (the request-id hook on each hop, the runner registers
  // the call for cancel), without the caller's part (arming, the interrupt hook, the failure
  // mapping, picking the client of the caller's `Sharding`).
  const makeOurs = await runtime.runPromise(
    Effect.flatMap(Effect.service(Sharding.Sharding), (s) => s.makeClient(Cluster.entity(BenchTasks)))
  )
  const plainOurs = (makeOurs as unknown as (id: string) => Record<string, RawMethod>)("0")
  const raws = Array.from({ length: SPREAD }, (_, i) => make(String(i)))
  const pinned = Cluster.at(BenchTasks, "0")
  let next = 0
  const sequential =
    (call: Call) =>
    (n: number): Effect.Effect<unknown, unknown> =>
      Effect.promise(() =>
        runtime.runPromise(
          Effect.gen(function* () {
            const start = cpu ? cpuNanos() : 0
            for (let i = 0; i < n; i++) yield* call(i)
            return cpu ? cpuNanos() - start : 0
          })
        )
      )
  const inFlight =
    (call: Call) =>
    (n: number): Effect.Effect<unknown, unknown> =>
      Effect.promise(() =>
        runtime.runPromise(
          Effect.gen(function* () {
            const start = cpu ? cpuNanos() : 0
            yield* Effect.forEach(
              Array.from({ length: WIDTH }, (_, k) => k),
              (k) =>
                Effect.gen(function* () {
                  for (let i = 0; i < n / WIDTH; i++) yield* call(k * n + i)
                }),
              { concurrency: WIDTH, discard: true }
            )
            return cpu ? cpuNanos() - start : 0
          })
        )
      )
  const unit = cpu ? " (CPU time)" : ""
  const rawOne = `${where}: cluster client call, plain entity, one entity id, sequential${unit}`
  const rawFloor = `${where}: cluster client call, plain entity, one entity id, sequential, again${unit}`
  const rawSpread = `${where}: cluster client call, plain entity, ${SPREAD} entity ids round-robin, sequential${unit}`
  const rawPar = `${where}: cluster client calls, plain entity, ${SPREAD} ids, ${WIDTH} in flight${unit}`
  return [
    { name: rawOne, timed: cpu, run: sequential((i) => raw.square(i)) },
    {
      name: `${where}: remote task call (effect-anyio/cluster), Cluster.at one entity id, sequential${unit}`,
      reference: rawOne,
      timed: cpu,
      run: sequential((i) => pinned.square(i))
    },
    { name: rawFloor, timed: cpu, run: sequential((i) => raw.square(i)) },
    {
      name: `floor, ${where}: cluster client call of our entity, no wrapper, one entity id, sequential${unit}`,
      reference: rawFloor,
      timed: cpu,
      run: sequential((i) => plainOurs.square!(i))
    },
    { name: rawSpread, timed: cpu, run: sequential((i) => raws[next++ % SPREAD]!.square(i)) },
    {
      name: `${where}: remote task call (effect-anyio/cluster), default round-robin, sequential${unit}`,
      reference: rawSpread,
      timed: cpu,
      run: sequential((i) => BenchTasks.square(i))
    },
    { name: rawPar, timed: cpu, run: inFlight((i) => raws[next++ % SPREAD]!.square(i)) },
    {
      name: `${where}: remote task calls (effect-anyio/cluster), round-robin, ${WIDTH} in flight${unit}`,
      reference: rawPar,
      timed: cpu,
      run: inFlight((i) => BenchTasks.square(i))
    }
  ]
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/**
 * Like the harness's `measure`, for cases that come in pairs (a reference, then ours): many short
 * rounds, the two of a pair run back to back in alternating order, and the ratio is the median of
 * the rounds' ratios, so the load of the machine during a round hits both alike.
 */
const measurePaired = async (
  cases: ReadonlyArray<Case>,
  options: { readonly n: number; readonly rounds: number; readonly warmup: number }
): Promise<Array<Result>> => {
  const times = new Map<string, Array<number>>()
  const ratios = new Map<string, Array<number>>()
  const once = async (c: Case): Promise<number> => {
    // A few unmeasured calls of this case first: what the previous, different case left behind
    // (the JIT's feedback, caches, pending work) is absorbed here, not charged to this sample.
    // A minor collection first: a call allocates ~34 KB (both entities alike, ours +3%), so one
    // sample in four used to contain a 30-45 ms scavenge (a sample is ~3 ms), and the median ratio of
    // the round-robin row moved from 1.06x to 1.68x from run to run on the same code. Without it
    // only the mutator's work is compared (the allocation is the same on both sides).
    gc?.({ type: "minor" })
    if (SETTLE > 0) await Effect.runPromise(c.run(SETTLE))
    const start = process.hrtime.bigint()
    const value = await Effect.runPromise(c.run(options.n))
    return (c.timed ? Number(value) : Number(process.hrtime.bigint() - start)) / options.n
  }
  for (let round = 0; round < options.warmup + options.rounds; round++) {
    for (let i = 0; i + 1 < cases.length; i += 2) {
      const [reference, ours] = [cases[i]!, cases[i + 1]!]
      const first = round % 2 === 0 ? reference : ours
      const a = await once(first)
      const b = await once(first === reference ? ours : reference)
      const [tr, to] = first === reference ? [a, b] : [b, a]
      if (round < options.warmup) continue
      times.set(reference.name, [...(times.get(reference.name) ?? []), tr])
      times.set(ours.name, [...(times.get(ours.name) ?? []), to])
      ratios.set(ours.name, [...(ratios.get(ours.name) ?? []), to / tr])
    }
  }
  return cases.map((c) => ({
    name: c.name,
    nsPerOp: median(times.get(c.name)!),
    reference: c.reference,
    ratio: c.reference === undefined ? undefined : median(ratios.get(c.name)!)
  }))
}

const warm = (runtime: Runtime) =>
  runtime.runPromise(
    Effect.gen(function* () {
      const make = yield* BenchRaw.client
      for (let i = 0; i < 64; i++) yield* make(String(i % SPREAD)).square(i)
      for (let i = 0; i < 64; i++) yield* BenchTasks.square(i)
    })
  )

const embedded = async (): Promise<Array<Result>> => {
  const runtime: Runtime = ManagedRuntime.make(BenchLive.pipe(Layer.provideMerge(Cluster.layerEmbedded())))
  try {
    await warm(runtime)
    return await measurePaired(await cases(runtime, "embedded", true), {
      n: N,
      rounds: ROUNDS,
      warmup: WARMUP
    })
  } finally {
    await runtime.dispose()
  }
}

const distributed = async (): Promise<Array<Result> | string> => {
  const bin = findPgBin()
  if (bin === undefined) return "PostgreSQL server binaries not found (apt-get install postgresql)"
  const dir = mkdtempSync(join(tmpdir(), "bench-cluster-"))
  const eventsFile = join(dir, "events.log")
  writeFileSync(eventsFile, "")
  const url = postgresUrl(await freePort())
  const [database, started] = await Promise.allSettled([
    startPostgres(bin, Number(new URL(url).port)),
    startRunners({ count: 1, url, eventsFile })
  ])
  if (database.status === "rejected" || started.status === "rejected") {
    if (database.status === "fulfilled") database.value.stop()
    if (started.status === "fulfilled") await started.value.stop()
    rmSync(dir, { recursive: true, force: true })
    throw database.status === "rejected" ? database.reason : (started as PromiseRejectedResult).reason
  }
  const pg = database.value
  const runners = started.value
  let runtime: Runtime | undefined
  try {
    runtime = ManagedRuntime.make(
      Cluster.layerSocket({ clientOnly: true, shardingConfig }).pipe(
        Layer.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 2 }))
      )
    )
    await warm(runtime)
    return await measurePaired(await cases(runtime, "across processes", false), {
      n: N_ACROSS,
      rounds: ROUNDS_ACROSS,
      warmup: WARMUP_ACROSS
    })
  } finally {
    await runtime?.dispose()
    await runners.stop()
    pg.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export const run = async (): Promise<Array<Result>> => {
  const results = await embedded()
  if (process.env.BENCH_CLUSTER_ACROSS === "0") return results
  const across = await distributed()
  if (typeof across === "string") {
    console.error(`cross-process rows skipped: ${across}`)
    return results
  }
  return [...results, ...across]
}

if (import.meta.main) {
  console.log(format(await run()))
  process.exit(0)
}
