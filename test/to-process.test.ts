/**
 * toProcess: AnyIO's tests/test_to_process.py, ported, plus crash/replace, bad input, and a child
 * program that checks nothing (thread or process) outlives it.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import {
  BrokenWorkerProcess,
  CapacityLimiter,
  cancelScope,
  createTaskGroup,
  failAfter,
  sleep,
  toProcess,
  UncloneableValue,
  WorkerFunctionNotFound,
  waitAllTasksBlocked,
  workerModule
} from "../src/index.ts"
import { alive } from "./process-helpers.ts"

const url = new URL("./fixtures/worker-fns.ts", import.meta.url)
const fns = workerModule<typeof import("./fixtures/worker-fns.ts")>(url)

describe("toProcess.runSync (AnyIO's test_to_process.py)", () => {
  // anyio: test_run_sync_in_process_pool
  it.live("the function runs in another process, the same one for both calls", () =>
    Effect.gen(function* () {
      const workerPid = yield* toProcess.runSync(fns.getPid)
      expect(workerPid).not.toBe(process.pid)
      expect(yield* toProcess.runSync(fns.getPid)).toBe(workerPid)
    })
  )

  // anyio: test_exception
  it.live("exceptions are delivered with their class and message", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(toProcess.runSync(fns.throwRange, ["invalid literal for int"]))
      expect(error).toBeInstanceOf(RangeError)
      expect((error as Error).message).toMatch(/invalid literal for int/)
    })
  )

  // anyio: test_print
  it.live("output of the worker does not interfere with the protocol", () =>
    Effect.gen(function* () {
      const workerPid = yield* toProcess.runSync(fns.getPid)
      yield* toProcess.runSync(fns.writeStdout, ["hello\n"])
      yield* toProcess.runSync(fns.writeStdout, ["world\n"])
      expect(yield* toProcess.runSync(fns.getPid)).toBe(workerPid)
    })
  )

  // anyio: test_stderr_flood
  it.live("flooding stdout and stderr does not deadlock the call", () =>
    Effect.gen(function* () {
      expect(yield* failAfter(10, toProcess.runSync(fns.floodStdio))).toBe("completed")
    })
  )

  // anyio: test_cancel_before
  it.live("a call in an already cancelled scope reserves no worker", () =>
    toProcess.withPool({}, (pool) =>
      Effect.gen(function* () {
        yield* cancelScope({}, (scope) => Effect.andThen(scope.cancel(), toProcess.runSync(fns.getPid)))
        expect(pool.statistics().workers).toBe(0)
      })
    )
  )

  // anyio: test_cancel_during
  it.live("cancelling a cancellable call kills its worker; the next call gets a new one", () =>
    Effect.gen(function* () {
      const workerPid = yield* toProcess.runSync(fns.getPid)
      yield* failAfter(
        4,
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(toProcess.runSync(fns.sleepSync, [5], { cancellable: true }))
            yield* waitAllTasksBlocked()
            yield* sleep(0.05)
            yield* tg.cancelScope.cancel()
          })
        )
      )
      expect(yield* toProcess.runSync(fns.getPid)).not.toBe(workerPid)
    })
  )

  // anyio: test_exec_while_pruning (with a real idle worker past maxIdleTime instead of a mock) (maxIdleTime 1 s: under load the second fork can outlast 0.1 s and the first worker was pruned before the check)
  it.live("idle workers past maxIdleTime are pruned; a busy one is kept", () =>
    toProcess.withPool({ maxIdleTime: 1 }, (pool) =>
      Effect.gen(function* () {
        // Two calls at once run in two workers. (Which pids ran them, rather than the pool's
        // statistics right after: on a loaded machine the two processes may start far enough apart
        // for the first to be idle past maxIdleTime, and pruned, before the second is done.)
        const pids = yield* Effect.forEach([0.05, 0.05], (s) => toProcess.runSync(fns.sleepThenPid, [s]), {
          concurrency: 2
        })
        expect(new Set(pids).size).toBe(2)
        yield* failAfter(3, Effect.repeat(sleep(0.02), { until: () => pool.statistics().workers === 0 }))
        yield* sleep(0.05)
        for (const pid of pids) expect(alive(pid)).toBe(false)
        expect(yield* toProcess.runSync(fns.add, [1, 2])).toBe(3)
      })
    )
  )
})

describe("toProcess.runSync: crashes, bad input, cleanup", () => {
  it.live("a worker that dies fails only its call and is replaced", () =>
    Effect.gen(function* () {
      const before = yield* toProcess.runSync(fns.getPid)
      const error = yield* Effect.flip(toProcess.runSync(fns.exitWorker, [7]))
      expect(error).toBeInstanceOf(BrokenWorkerProcess)
      expect((error as BrokenWorkerProcess).exitCode).toBe(7)
      const after = yield* toProcess.runSync(fns.getPid)
      expect(after).not.toBe(before)
      expect(alive(before)).toBe(false)
    })
  )

  it.live("bad input: clear errors, and the pool stays usable", () =>
    Effect.gen(function* () {
      expect(yield* Effect.flip(toProcess.runSync(url, "nope"))).toBeInstanceOf(WorkerFunctionNotFound)
      expect(yield* Effect.flip(toProcess.runSync(fns.makeFunction))).toBeInstanceOf(UncloneableValue)
      const args = yield* Effect.flip(toProcess.runSync(fns.identity, [Symbol("x") as never]))
      expect((args as UncloneableValue).what).toBe("arguments")
      const zero = yield* Effect.exit(toProcess.runSync(fns.add, [1, 1], { limiter: new CapacityLimiter(0) }))
      expect(Exit.isFailure(zero) && String(zero.cause)).toContain("0 tokens")
      expect(yield* toProcess.runSync(fns.add, [1, 1])).toBe(2)
      const limiter = yield* toProcess.currentDefaultProcessLimiter()
      expect(limiter.totalTokens).toBeGreaterThanOrEqual(1)
    })
  )

  it.live("a scoped pool kills its workers when it closes", () =>
    Effect.gen(function* () {
      let pids: ReadonlyArray<number> = []
      yield* toProcess.withPool({}, (pool) =>
        Effect.gen(function* () {
          yield* toProcess.runSync(fns.getPid)
          pids = pool.pids()
        })
      )
      expect(pids.length).toBe(1)
      expect(alive(pids[0]!)).toBe(false)
    })
  )

  // anyio: test_run_sync_from_thread_pooling (the thread exits with the program), and AnyIO's
  // asyncio shutdown tests: nothing keeps the program alive, nothing outlives it.
  it("a program using the default pools exits by itself, and no worker survives it", async () => {
    const program = fileURLToPath(new URL("./fixtures/pool-exit.ts", import.meta.url))
    const child = spawn(process.execPath, [program], { stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
    })
    const started = Date.now()
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve))
    expect(code).toBe(0)
    expect(Date.now() - started).toBeLessThan(10_000)
    const { threads, pids } = JSON.parse(out) as { threads: number; pids: Array<number> }
    expect(threads).toBe(1)
    expect(pids.length).toBeGreaterThanOrEqual(1)
    await new Promise((r) => setTimeout(r, 100))
    for (const pid of pids) expect(alive(pid)).toBe(false)
  }, 20_000)
})
