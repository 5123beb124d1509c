/**
 * Subprocesses (issue 18): spawn `true` and wait for it, one process after another.
 *
 * - `runProcess(["true"])` against raw `child_process.spawn` with the same stdio (stdin inherited,
 *   stdout/stderr piped, waiting for `'close'`), and `openProcess(["true"], {}, (p) => p.wait())`
 *   against raw spawn with three pipes waiting for `'exit'` (target ≤ 1.2×, same run).
 * - Effect's own spawner (`ChildProcessSpawner.exitCode`, informative).
 * - Where Node's cost goes: the synchronous `spawn()` call alone (libuv forks and waits for the
 *   exec in the caller, blocking the event loop), and the same call with 256 MiB more resident
 *   memory (fork copies the page tables, so it grows with the parent's size; CPython spawns with
 *   vfork, which does not).
 * - AnyIO 4.14's `run_process(["true"])`, `open_process` + `wait()` and the `subprocess.Popen()`
 *   call on asyncio (`bench/anyio_process.py`; the environment of `/work/anyio-env.sh` when it
 *   exists; skipped when no python3 can import anyio).
 *
 * Run: `node bench/process.ts` (Node 24). `run()` is also used by the bench runner.
 */
import { spawn } from "node:child_process"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect } from "effect"
import { ChildProcess } from "effect/process"
import { ChildProcessSpawner } from "effect/process/ChildProcessSpawner"
import { openProcess, runProcess } from "../src/Process.ts"
import { type Case, format, measure, type Result } from "./harness.ts"
import { withAnyioRows } from "./python.ts"

const N = Number(process.env.BENCH_PROCESS_N ?? 40)

const rawClose = (): Promise<void> =>
  new Promise((resolve) => {
    spawn("true", [], { stdio: ["inherit", "pipe", "pipe"] }).once("close", () => resolve())
  })

const rawExit = (): Promise<void> =>
  new Promise((resolve) => {
    const child = spawn("true", [], { stdio: "pipe" })
    child.once("exit", () => {
      child.stdin!.destroy()
      child.stdout!.destroy()
      child.stderr!.destroy()
      resolve()
    })
  })

const sequential = (n: number, once: () => Promise<void>) =>
  Effect.promise(async () => {
    for (let i = 0; i < n; i++) await once()
  })

/** Nanoseconds spent inside the `spawn()` calls only. */
const spawnCallOnly = (n: number) =>
  Effect.promise(async () => {
    let total = 0n
    for (let i = 0; i < n; i++) {
      const start = process.hrtime.bigint()
      const child = spawn("true", [], { stdio: ["inherit", "pipe", "pipe"] })
      total += process.hrtime.bigint() - start
      await new Promise((resolve) => child.once("close", resolve))
    }
    return total
  })

const ballast: Array<Buffer> = []

const rawRun = "raw child_process.spawn('true'), stdout/stderr piped, until 'close'"
const rawOpen = "raw child_process.spawn('true'), three pipes, until 'exit'"
const spawnCall = "  of which: the synchronous spawn() call (fork + exec; blocks the event loop)"

export const cases: ReadonlyArray<Case> = [
  { name: rawRun, run: (n) => sequential(n, rawClose) },
  {
    name: "runProcess(['true'])",
    reference: rawRun,
    run: (n) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* runProcess(["true"])
      })
  },
  { name: rawOpen, run: (n) => sequential(n, rawExit) },
  {
    name: "openProcess(['true'], {}, (p) => p.wait())",
    reference: rawOpen,
    run: (n) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* openProcess(["true"], {}, (p) => p.wait())
      })
  },
  {
    name: "Effect's ChildProcessSpawner.exitCode(make('true')) (informative)",
    reference: rawRun,
    run: (n) =>
      Effect.gen(function* () {
        const spawner = yield* ChildProcessSpawner
        for (let i = 0; i < n; i++) yield* spawner.exitCode(ChildProcess.make("true"))
      }).pipe(Effect.provide(NodeServices.layer), Effect.orDie)
  },
  { name: spawnCall, reference: rawRun, timed: true, run: spawnCallOnly },
  {
    name: "  the same spawn() call with 256 MiB more resident memory in the parent",
    reference: spawnCall,
    timed: true,
    run: (n) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          for (let i = 0; i < 4; i++) ballast.push(Buffer.alloc(64 * 1024 * 1024, 1))
        }),
        () => spawnCallOnly(n),
        () =>
          Effect.sync(() => {
            ballast.length = 0
          })
      )
  }
]

export const run = async (): Promise<Array<Result>> => {
  const results = await measure(cases, { n: N, samples: 5, warmup: 1 })
  return withAnyioRows(
    results,
    "anyio_process.py",
    ["--n", String(N), "--samples", "5"],
    [
      ["run_process(['true'])", "run_process_true", "runProcess(['true'])"],
      ["open_process(['true']) + wait()", "open_process_true", "openProcess(['true'], {}, (p) => p.wait())"],
      ["the subprocess.Popen() call (vfork + exec)", "popen_call", spawnCall]
    ]
  )
}

if (import.meta.main) {
  console.log(format(await run()))
}
