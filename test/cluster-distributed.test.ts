/**
 * Remote tasks across processes: three runner processes on 127.0.0.1 (test/fixtures/
 * cluster-runner.ts), runner and message storage in a throwaway PostgreSQL started here (initdb +
 * pg_ctl into a temp dir, removed afterwards), this process a client-only member of the cluster.
 * The cases of cluster.test.ts, plus a runner process killed mid-call. Real time (other
 * processes): deadlines are short. Skipped, saying so, when PostgreSQL's server binaries are
 * missing (`.ci/run` installs Debian's `postgresql`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Option, Redacted } from "effect"
import type * as Sharding from "effect/cluster/Sharding"
import { failAfter } from "../src/CancelScope.ts"
import * as Cluster from "../src/Cluster.ts"
import { TimeoutError } from "../src/Errors.ts"
import { type ExceptionGroup, isExceptionGroup } from "../src/ExceptionGroup.ts"
import { createTaskGroup } from "../src/TaskGroup.ts"
import { shardingConfig } from "./fixtures/cluster-config.ts"
import { type Runners, startRunners } from "./fixtures/cluster-procs.ts"
import { Boom, Tasks } from "./fixtures/cluster-tasks.ts"
import { findPgBin, freePort, type Postgres, postgresUrl, startPostgres } from "./fixtures/postgres.ts"

const pgBin = findPgBin()
if (pgBin === undefined) {
  console.warn(
    "cluster-distributed: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin or $PG_BIN): " +
      "distributed cluster tests SKIPPED. Install them with `apt-get install postgresql`."
  )
}

const RUNNERS = 3

describe.skipIf(pgBin === undefined)("remote tasks, distributed (3 runner processes + PostgreSQL)", () => {
  let dir: string
  let eventsFile: string
  let pg: Postgres | undefined
  let procs: Runners | undefined
  let runtime: ManagedRuntime.ManagedRuntime<Sharding.Sharding, unknown> | undefined

  const run = <A, E>(effect: Effect.Effect<A, E, Sharding.Sharding>): Promise<A> =>
    runtime!.runPromise(effect)
  const runExit = <A, E>(effect: Effect.Effect<A, E, Sharding.Sharding>) =>
    runtime!.runPromise(Effect.exit(effect))

  /** `[pid, event]` of every handler event so far, from all runners. */
  const events = (): Array<[number, string]> =>
    readFileSync(eventsFile, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const space = line.indexOf(" ")
        return [Number(line.slice(0, space)), line.slice(space + 1)]
      })
  const eventsOf = (label: string) => events().filter(([, e]) => e.startsWith(`${label} `))

  const groupOf = (exit: Exit.Exit<unknown, unknown>): ExceptionGroup<unknown> => {
    if (Exit.isSuccess(exit)) throw new Error("expected an ExceptionGroup, got success")
    const reason = exit.cause.reasons[0]
    if (reason?._tag !== "Fail" || !isExceptionGroup(reason.error)) throw new Error(Cause.pretty(exit.cause))
    return reason.error
  }

  /** An entity id served by the runner `pid` (or by another runner than `pid` with `not`). */
  const entityOn = (test: (pid: number) => boolean) =>
    run(
      Effect.gen(function* () {
        for (let i = 0; i < 200; i++) {
          const where = yield* Cluster.at(Tasks, `probe-${i}`).where()
          if (test(where.pid)) return where.entityId
        }
        throw new Error("no such entity id among 200 probes")
      })
    )

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "effect-anyio-cluster-"))
    eventsFile = join(dir, "events.log")
    writeFileSync(eventsFile, "")
    let t1 = 0
    const t0 = Date.now()
    // PostgreSQL and the runners start at once (a runner waits for the database).
    const port = await freePort()
    const url = postgresUrl(port)
    const [database, runners] = await Promise.allSettled([
      startPostgres(pgBin!, port).then((p) => {
        t1 = Date.now()
        return p
      }),
      startRunners({ count: RUNNERS, url, eventsFile })
    ])
    if (database.status === "fulfilled") pg = database.value
    if (runners.status === "fulfilled") procs = runners.value
    if (database.status === "rejected") throw database.reason
    if (runners.status === "rejected") throw runners.reason
    const t2 = Date.now()
    runtime = ManagedRuntime.make(
      Cluster.layerSocket({ clientOnly: true, shardingConfig }).pipe(
        Layer.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 2 }))
      )
    )
    // Barrier: every runner owns shards (calls spread over all of them) before the tests start.
    await run(
      Effect.gen(function* () {
        const deadline = Date.now() + 90_000
        for (;;) {
          const seen = new Set<number>()
          for (let i = 0; i < 32; i++) seen.add((yield* Cluster.at(Tasks, `barrier-${i}`).where()).pid)
          if (seen.size === RUNNERS) return
          if (Date.now() > deadline) throw new Error(`only ${seen.size} of ${RUNNERS} runners own shards`)
          yield* Effect.sleep(100)
        }
      })
    )
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
    console.log(
      `cluster-distributed: PostgreSQL up in ${s(t1 - t0)}, ${RUNNERS} runners ready in ${s(t2 - t0)}, ` +
        `shards spread in ${s(Date.now() - t2)}`
    )
  }, 180_000)

  afterAll(async () => {
    await runtime?.dispose()
    await procs?.stop()
    pg?.stop()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it("success: values computed on several runners", async () => {
    const results = await run(
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          const handles = []
          for (let i = 0; i < 24; i++) handles.push(yield* tg.createTask(Tasks.where()))
          const square = yield* tg.createTask(Tasks.square(12))
          const wheres = []
          for (const h of handles) wheres.push(yield* h.join)
          return { square: yield* square.join, pids: new Set(wheres.map((w) => w.pid)) }
        })
      )
    )
    const { square, pids } = Option.getOrThrow(results)
    expect(square).toBe(144)
    expect(pids.size).toBeGreaterThan(1)
    expect(pids.has(process.pid)).toBe(false)
  })

  it("typed failure: the remote Boom is a member of the group, an instance of its class", async () => {
    const exit = await runExit(createTaskGroup((tg) => tg.startSoon(Tasks.square, -4)))
    const group = groupOf(exit)
    expect(group.exceptions).toHaveLength(1)
    expect(group.exceptions[0]).toBeInstanceOf(Boom)
    expect(group.exceptions[0]).toMatchObject({ n: -4 })
  })

  it("group cancel interrupts the remote call; its finalizer ran on its runner before the group exited", async () => {
    const seenAtExit = await run(
      Effect.andThen(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.start(Tasks.hang, "cancel-1")
            yield* tg.cancel()
          })
        ),
        Effect.sync(() => eventsOf("cancel-1").map(([, e]) => e))
      )
    )
    expect(seenAtExit).toEqual(["cancel-1 running", "cancel-1 interrupted", "cancel-1 finalized"])
    const pids = new Set(eventsOf("cancel-1").map(([pid]) => pid))
    expect(pids.size).toBe(1)
    expect(pids.has(process.pid)).toBe(false)
  })

  it("a deadline around a remote call cancels it on its runner", async () => {
    const started = Date.now()
    const exit = await runExit(failAfter(0.3, Tasks.hang("deadline-1")))
    const elapsed = (Date.now() - started) / 1000
    expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBeInstanceOf(TimeoutError)
    expect(elapsed).toBeGreaterThanOrEqual(0.3)
    expect(eventsOf("deadline-1").map(([, e]) => e)).toEqual([
      "deadline-1 running",
      "deadline-1 interrupted",
      "deadline-1 finalized"
    ])
  })

  it("a sibling's failure cancels remote calls on two runners; each finalizer ran", async () => {
    const first = "sibling-1"
    const where = await run(Cluster.at(Tasks, first).where())
    const second = await entityOn((pid) => pid !== where.pid)
    const exit = await runExit(
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.start(Cluster.at(Tasks, first).hang, "sib-a")
          yield* tg.start(Cluster.at(Tasks, second).hang, "sib-b")
          yield* tg.startSoon(Tasks.square, -1)
        })
      )
    )
    const group = groupOf(exit)
    expect(group.exceptions).toHaveLength(1)
    expect(group.exceptions[0]).toBeInstanceOf(Boom)
    const finalized = events().filter(([, e]) => e === "sib-a finalized" || e === "sib-b finalized")
    expect(finalized).toHaveLength(2)
    expect(new Set(finalized.map(([pid]) => pid)).size).toBe(2)
  })

  it("start(): returns the value the remote task passed to started()", async () => {
    let where: string | undefined
    await run(
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          where = yield* tg.start(Cluster.at(Tasks, "ready-1").hang, "ready-1")
          yield* tg.cancel()
        })
      )
    )
    const [entityId, pid] = where!.split("@")
    expect(entityId).toBe("ready-1")
    expect(procs!.runners.map((r) => r.pid)).toContain(Number(pid))
  })

  // Last: it kills a runner.
  it("a runner killed mid-call: RemoteTaskLost in the group, the sibling on another runner cancelled", async () => {
    const victim = await run(Cluster.at(Tasks, "victim").where())
    const survivorId = await entityOn((pid) => pid !== victim.pid)
    let killedAt = 0
    const exit = await runExit(
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.start(Cluster.at(Tasks, survivorId).hang, "survivor")
          const at = yield* tg.start(Cluster.at(Tasks, "victim").hang, "victim")
          process.kill(Number(at.split("@")[1]), "SIGKILL")
          killedAt = Date.now()
        })
      )
    )
    const group = groupOf(exit)
    expect(group.exceptions).toHaveLength(1)
    const lost = group.exceptions[0]
    expect(lost).toBeInstanceOf(Cluster.RemoteTaskLost)
    expect(lost).toMatchObject({
      entityType: "TestTasks",
      entityId: "victim",
      task: "hang",
      reason: "runner unavailable"
    })
    // No hang: the lost connection ends the call at once (no waiting for the shard to move).
    expect(Date.now() - killedAt).toBeLessThan(15_000)
    expect(eventsOf("survivor").map(([, e]) => e)).toContain("survivor finalized")
    expect(eventsOf("victim").map(([, e]) => e)).toEqual(["victim running"])
  })
})
