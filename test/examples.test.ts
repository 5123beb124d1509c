import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { jobs, workersLayer } from "../examples/cluster-fanout.ts"
import { pipeline } from "../examples/producer-consumer.ts"
import { JobCrashed, service } from "../examples/queue-service.ts"
import { layerEmbedded } from "../src/Cluster.ts"
import { isExceptionGroup, surfaceTaskGroupFailures } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"
import { findPgBin } from "./fixtures/postgres.ts"

describe("examples", () => {
  it.effect("producer-consumer: every item goes through the pipeline exactly once", () =>
    Effect.gen(function* () {
      const lines = Array.from({ length: 20 }, (_, i) => `${i}: item ${i}`)
      const log: Array<string> = []
      const results = yield* autojump(pipeline(lines, (l) => log.push(l)))
      const ids = results.map((r) => Number(/^#(\d+)/.exec(r)?.[1])).sort((a, b) => a - b)
      expect(ids).toEqual(lines.map((_, i) => i))
      expect(log.filter((l) => l.endsWith("done"))).toHaveLength(2)
      expect(log.at(-1)).toMatch(/^all 20 items through in/)
    })
  )

  it.effect("queue-service: every job done once, every worker stopped once", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const done = yield* autojump(service({ jobs: 12, workers: 3, log: (l) => log.push(l) }))
      expect(done.map((d) => Number(d.split("job ")[1])).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1)
      )
      expect(log[0]).toBe("3 workers ready")
      expect(log.filter((l) => l.endsWith("stopped")).sort()).toEqual([
        "worker 1 stopped",
        "worker 2 stopped",
        "worker 3 stopped"
      ])
    })
  )

  it.effect("queue-service: a crashing worker fails the program with the ExceptionGroup", () =>
    Effect.gen(function* () {
      const log: Array<string> = []
      const exit = yield* autojump(
        service({ jobs: 12, workers: 3, crashOn: 5, log: (l) => log.push(l) }).pipe(surfaceTaskGroupFailures)
      ).pipe(Effect.exit)
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      const eg = error?._tag === "Fail" ? error.error : undefined
      expect(isExceptionGroup(eg)).toBe(true)
      if (!isExceptionGroup(eg)) return
      expect(eg.exceptions).toEqual([new JobCrashed({ job: 5 })])
      expect(log.filter((l) => l.endsWith("stopped"))).toHaveLength(3)
    })
  )

  const runExample = (args: ReadonlyArray<string>, onLine?: (line: string, kill: () => void) => void) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const file = fileURLToPath(new URL("../examples/queue-service.ts", import.meta.url))
      const child = spawn(process.execPath, [file, ...args], { stdio: ["ignore", "pipe", "pipe"] })
      let out = ""
      const take = (chunk: Buffer) => {
        out += chunk.toString()
        for (const line of chunk.toString().split("\n")) onLine?.(line, () => child.kill("SIGINT"))
      }
      child.stdout.on("data", take)
      child.stderr.on("data", take)
      child.on("exit", (code) => resolve({ code, out }))
    })

  it("queue-service under run(): a crash prints the ExceptionGroup and exits 1", async () => {
    const { code, out } = await runExample(["--jobs", "20", "--crash", "4"])
    expect(code).toBe(1)
    expect(out).toContain("ExceptionGroup")
    expect(out).toContain("JobCrashed: job 4 crashed its worker")
    expect(out.match(/worker \d stopped/g)).toHaveLength(3)
    // readable printout: the group's name, each member's task, no internal frames, the cancelled line
    expect(out).toContain(
      "ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception in task group 'workers')\n"
    )
    expect(out).toMatch(/\| in task 'worker-\d' \(#\d+\)\n {2}\| JobCrashed: job 4/)
    expect(out).toMatch(/\(cancelled: tasks 'worker-\d', 'worker-\d' — task 'worker-\d' failed/)
    expect(out).not.toMatch(/at .*(src\/internal|node_modules\/effect)/)
  }, 30_000)

  it("queue-service under run(): SIGINT shuts down gracefully (every worker stopped) and exits 130", async () => {
    let sent = false
    const { code, out } = await runExample(["--jobs", "100000"], (line, kill) => {
      if (!sent && line.includes("workers ready")) {
        sent = true
        kill()
      }
    })
    expect(code).toBe(130)
    expect(out.match(/worker \d stopped/g)).toHaveLength(3)
  }, 30_000)

  it.skipIf(findPgBin() === undefined)(
    "cluster-fanout --distributed: two runner processes + a throwaway PostgreSQL, the same outcome",
    async () => {
      const file = fileURLToPath(new URL("../examples/cluster-fanout.ts", import.meta.url))
      const child = spawn(process.execPath, [file, "--distributed"], { stdio: ["ignore", "pipe", "pipe"] })
      let out = ""
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString()
      })
      child.stderr.on("data", (chunk: Buffer) => {
        out += chunk.toString()
      })
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
      expect(code, out).toBe(0)
      const total = Array.from({ length: 40 }, (_, i) => (i + 1) ** 2).reduce((a, b) => a + b, 0)
      expect(out).toContain(`job-1: 8 chunks, total ${total}`)
      expect(out).toContain("job-2 failed: BadItem (chunk 2, item -13)")
      // The chunks ran in runner processes (the caller is a client-only member): the pid after each
      // chunk's worker is a runner's. (Which runners depends on how far the second one got with
      // its shards when the jobs started.)
      const pids = [...out.matchAll(/^job-1: chunk \d+ = \d+ \(worker \d+ \(pid (\d+)\)\)$/gm)].map(
        (m) => m[1]
      )
      expect(pids).toHaveLength(8)
      expect(pids).not.toContain(String(child.pid))
    },
    90_000
  )

  it.effect(
    "cluster-fanout (embedded): chunks summed on workers; a bad item fails the job, the rest is cancelled",
    () =>
      Effect.gen(function* () {
        const log: Array<string> = []
        const runnerLog: Array<string> = []
        const { total, failed } = yield* autojump(
          jobs((l) => log.push(l)).pipe(
            Effect.provide(workersLayer((l) => runnerLog.push(l))),
            Effect.provide(layerEmbedded())
          )
        )
        expect(total).toBe(Array.from({ length: 40 }, (_, i) => (i + 1) ** 2).reduce((a, b) => a + b, 0))
        expect(isExceptionGroup(failed) && failed.exceptions).toMatchObject([
          { _tag: "BadItem", chunk: 2, item: -13 }
        ])
        // Every other chunk of job-2 was cancelled on its worker before the group exited.
        expect(runnerLog.filter((l) => l.startsWith("job-2:")).length).toBe(7)
        expect(log.at(-1)).toBe("job-2 failed: BadItem (chunk 2, item -13)")
      })
  )
})
