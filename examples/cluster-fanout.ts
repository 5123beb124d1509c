/**
 * A job fan-out whose workers are cluster entities: the job's items are split into chunks, each
 * chunk is a remote task (`effect-anyio/cluster`) served by whichever runner owns its entity, and
 * one task group gathers the results. The group's rules hold across the wire: a chunk with a bad
 * item fails the group with that chunk's typed error, and the other chunks are cancelled on their
 * runners (their finalizers run there) before the group exits.
 *
 * - Embedded (`npm run example -- cluster-fanout`, or `node examples/cluster-fanout.ts`): one
 *   runner in this process, storage in memory. Nothing to install.
 * - Distributed (`node examples/cluster-fanout.ts --distributed`): two runner processes on
 *   127.0.0.1 (this file with `--runner`), runner and message storage in PostgreSQL: the database
 *   at $DATABASE_URL, or else a throwaway server started for the run (needs Debian's
 *   `postgresql`), this process a client-only member.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Layer, Redacted, Schema } from "effect"
import * as Entity from "effect/cluster/Entity"
import type * as Sharding from "effect/cluster/Sharding"
import * as Cluster from "../src/Cluster.ts"
import { createTaskGroup, currentTime, ExceptionGroup, run, sleep } from "../src/index.ts"

// ----- the workers (shared by callers and runners)

class BadItem extends Schema.TaggedError<BadItem>()("BadItem", {
  chunk: Schema.Number,
  item: Schema.Number
}) {}

const Chunk = Schema.Struct({ job: Schema.String, chunk: Schema.Number, items: Schema.Array(Schema.Number) })
const ChunkResult = Schema.Struct({ chunk: Schema.Number, sum: Schema.Number, worker: Schema.String })

export const Workers = Cluster.make("FanoutWorkers", {
  /** Sums the squares of a chunk's items, 10 ms per item; a negative item is a BadItem. */
  sumSquares: Cluster.task({ payload: Chunk, success: ChunkResult, error: BadItem })
})

/** The workers' handlers; `log` receives one line per event on the runner. */
export const workersLayer = (log: (line: string) => void) =>
  Cluster.toLayer(
    Workers,
    Effect.gen(function* () {
      const address = yield* Entity.CurrentAddress
      const worker = `worker ${address.entityId} (pid ${process.pid})`
      return {
        sumSquares: ({ job, chunk, items }) =>
          Effect.gen(function* () {
            let sum = 0
            for (const item of items) {
              yield* sleep(0.01)
              if (item < 0) return yield* new BadItem({ chunk, item })
              sum += item * item
            }
            return { chunk, sum, worker }
          }).pipe(
            Effect.onInterrupt(() => Effect.sync(() => log(`${job}: chunk ${chunk} cancelled on ${worker}`)))
          )
      }
    })
  )

// ----- the job

/** Runs one job: `items` in chunks of `size`, each on a worker; the sum of all the squares. */
export const fanOut = (
  job: string,
  items: ReadonlyArray<number>,
  size: number,
  log: (line: string) => void
): Effect.Effect<number, ExceptionGroup<BadItem | Cluster.RemoteCallError>, Sharding.Sharding> =>
  Effect.gen(function* () {
    const start = yield* currentTime()
    const chunks: Array<ReadonlyArray<number>> = []
    for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size))
    const results: Array<typeof ChunkResult.Type> = []
    yield* createTaskGroup((tg) =>
      Effect.forEach(
        chunks.entries(),
        ([chunk, part]) =>
          tg.startSoon(
            Effect.map(Workers.sumSquares({ job, chunk, items: part }), (r) => {
              results[chunk] = r
            })
          ),
        { discard: true }
      )
    )
    let total = 0
    for (const r of results) {
      log(`${job}: chunk ${r.chunk} = ${r.sum} (${r.worker})`)
      total += r.sum
    }
    log(
      `${job}: ${chunks.length} chunks, total ${total}, in ${((yield* currentTime()) - start).toFixed(2)} s`
    )
    return total
  })

/** A good job and a job with a bad item (its group fails with BadItem; the rest is cancelled). */
export const jobs = (log: (line: string) => void) =>
  Effect.gen(function* () {
    const items = Array.from({ length: 40 }, (_, i) => i + 1)
    const total = yield* fanOut("job-1", items, 5, log)
    const failed = yield* Effect.flip(
      fanOut(
        "job-2",
        items.map((x) => (x === 13 ? -x : x)),
        5,
        log
      )
    )
    const members = failed instanceof ExceptionGroup ? failed.exceptions : [failed]
    const describe = (m: unknown) =>
      m instanceof BadItem ? `BadItem (chunk ${m.chunk}, item ${m.item})` : String(m)
    log(`job-2 failed: ${members.map(describe).join("; ")}`)
    return { total, failed }
  })

/** Embedded: one runner in this process, storage in memory. */
export const main = Effect.asVoid(
  jobs((line) => console.log(line)).pipe(
    Effect.provide(workersLayer((line) => console.log(`  [runner] ${line}`))),
    Effect.provide(Cluster.layerEmbedded())
  )
)

// ----- distributed: runner processes and PostgreSQL

/** Short intervals so that freshly started runners agree on their shards within a second or so. */
const shardingConfig = {
  shardsPerGroup: 12,
  refreshAssignmentsInterval: "200 millis",
  shardLockRefreshInterval: "1 second",
  shardLockExpiration: "5 seconds",
  entityMessagePollInterval: "500 millis"
} as const

/** Marks a runner's own lines on its stdout (the parent shows these, not the cluster's logs). */
const MARK = "@@ "

/** A runner process: serves the workers until stopped; prints `ready` once it is up. */
const runner = (port: number, url: string) =>
  Effect.provide(
    Effect.andThen(
      Effect.sync(() => console.log("ready")),
      Effect.never
    ),
    workersLayer((line) => console.log(`${MARK}${line}`)).pipe(
      Layer.provideMerge(Cluster.layerSocket({ runnerAddress: { host: "127.0.0.1", port }, shardingConfig })),
      Layer.provide(PgClient.layer({ url: Redacted.make(url) }))
    )
  )

const spawnRunner = (port: number, url: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [new URL(import.meta.url).pathname, "--runner", String(port), url],
      {
        stdio: ["pipe", "pipe", "inherit"]
      }
    )
    let ready = false
    child.stdout!.on("data", (data: Buffer) => {
      for (const line of data.toString().split("\n")) {
        if (line === "") continue
        if (!ready && line === "ready") {
          ready = true
          resolve(child)
        } else if (line.startsWith(MARK)) console.log(`  [runner :${port}] ${line.slice(MARK.length)}`)
      }
    })
    child.once("exit", (code) => {
      if (!ready) reject(new Error(`runner on port ${port} exited (${code}) before it was ready`))
    })
  })

const distributed = async (): Promise<void> => {
  const { findPgBin, freePort, startPostgres } = await import("../test/fixtures/postgres.ts")
  let url = process.env.DATABASE_URL
  let stopDatabase = () => {}
  if (url === undefined) {
    const bin = findPgBin()
    if (bin === undefined)
      throw new Error("set DATABASE_URL, or install PostgreSQL (apt-get install postgresql)")
    const pg = await startPostgres(bin)
    url = pg.url
    stopDatabase = pg.stop
  }
  const children: Array<ChildProcess> = []
  try {
    for (let i = 0; i < 2; i++) children.push(await spawnRunner(await freePort(), url))
    const client = Cluster.layerSocket({ clientOnly: true, shardingConfig }).pipe(
      Layer.provide(PgClient.layer({ url: Redacted.make(url) }))
    )
    await Effect.runPromise(
      Effect.provide(
        jobs((line) => console.log(line)),
        client
      )
    )
  } finally {
    // Waits for "close" (after the runner's last output arrived), not "exit".
    const closed = children.map((c) => new Promise((resolve) => c.once("close", resolve)))
    for (const child of children) child.kill("SIGTERM")
    await Promise.all(closed)
    stopDatabase()
  }
}

if (import.meta.main) {
  const args = process.argv.slice(2)
  if (args[0] === "--runner") {
    // Exits with its parent (stdin closes), or on SIGTERM.
    process.stdin.on("close", () => process.exit(0))
    process.stdin.resume()
    run(runner(Number(args[1]), args[2]!))
  } else if (args[0] === "--distributed") {
    await distributed()
  } else {
    run(main)
  }
}
