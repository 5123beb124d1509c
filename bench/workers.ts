/**
 * Worker threads, worker processes and files (issue 19): a `toThread.runSync` round trip,
 * sequential and 8 in flight, against raw `node:worker_threads` postMessage in the same run (target
 * ≤ 1.3×); `toProcess.runSync` on a warm worker against a raw `child_process.fork` IPC round trip;
 * `Path.readText` of a small file against `fs.promises.readFile`; and AnyIO 4.14's
 * `to_thread.run_sync`, `to_process.run_sync` and `Path.read_text` on asyncio
 * (`bench/anyio_workers.py`, when a python3 that can `import anyio` is around: `. /work/anyio-env.sh`).
 *
 * Run: `node --expose-gc bench/workers.ts` (Node 24). `run()` is also used by the bench runner.
 * `BENCH_WORKERS_ONLY=toThread` (any part of a case name) measures those cases and the raw
 * references they are compared to, without the AnyIO rows.
 */
import { type ChildProcess, fork } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Worker } from "node:worker_threads"
import { Effect } from "effect"
import { Path } from "../src/Path.ts"
import * as toProcess from "../src/ToProcess.ts"
import * as toThread from "../src/ToThread.ts"
import { workerFunction } from "../src/WorkerFunction.ts"
import { type Case, format, measure, type Result } from "./harness.ts"
import { withAnyioRows } from "./python.ts"

const N = Number(process.env.BENCH_WORKERS_N ?? 2000)
/**
 * Untimed calls of each case after the collection that precedes each sample (see `measure`): right
 * after it, toThread.runSync's first 500 calls take about 4x as long, and it is back to its steady
 * cost after about 4000 (bench/probes/README.md). 0 measures right after the collection.
 */
export const REWARM = Number(process.env.BENCH_WORKERS_REWARM ?? 5000)
const WIDTH = 8
const echo = workerFunction<(x: number) => number>(new URL("./worker-fns.ts", import.meta.url), "echo")

// ----- raw references

const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "bench-workers-"))
const small = nodePath.join(dir, "small.txt")
fs.writeFileSync(small, "hello world\n".repeat(20))
const smallPath = new Path(small)

const rawWorkerCode = `
const { parentPort } = require("node:worker_threads")
parentPort.on("message", (m) => parentPort.postMessage(m))
`

const rawWorkers: Array<Worker> = []
const rawWorker = (i: number): Worker => {
  while (rawWorkers.length <= i) {
    rawWorkers.push(new Worker(rawWorkerCode, { eval: true }))
  }
  return rawWorkers[i]!
}

/** One listener per raw worker, resolving the pending call: the cheapest way to await a reply. */
const pending = new Map<Worker, () => void>()
const rawCall = (w: Worker): Promise<void> =>
  new Promise((resolve) => {
    if (!pending.has(w)) {
      w.on("message", () => {
        const p = pending.get(w)
        pending.set(w, noop)
        p?.()
      })
    }
    pending.set(w, resolve)
    w.postMessage([1, "echo", [1]])
  })
const noop = () => {}

/** n sequential round trips on one raw worker, each awaited as a caller awaits a result. */
const rawChain = async (w: Worker, n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await rawCall(w)
}

/** n round trips with the next message posted from inside the reply handler (no await between). */
const rawHandlerChain = (w: Worker, n: number): Promise<void> =>
  new Promise((resolve) => {
    let i = 0
    const onMessage = () => {
      if (++i >= n) {
        w.off("message", onMessage)
        resolve()
      } else w.postMessage([i, "echo", [i]])
    }
    w.on("message", onMessage)
    w.postMessage([i, "echo", [i]])
  })

let rawChild: ChildProcess | undefined
const rawProcess = (): ChildProcess => {
  if (rawChild === undefined) {
    const script = nodePath.join(dir, "echo-child.mjs")
    fs.writeFileSync(
      script,
      'process.on("message", (m) => process.send(m)); process.on("disconnect", () => process.exit(0))'
    )
    rawChild = fork(script, [], {
      serialization: "advanced",
      stdio: ["ignore", "ignore", "ignore", "ipc"]
    })
    rawChild.unref()
    ;(rawChild.channel as { unref?: () => void } | null)?.unref?.()
  }
  return rawChild
}

const rawProcessChain = (n: number): Promise<void> =>
  new Promise((resolve) => {
    const child = rawProcess()
    ;(child.channel as { ref?: () => void } | null)?.ref?.()
    let i = 0
    const onMessage = () => {
      if (++i >= n) {
        child.off("message", onMessage)
        ;(child.channel as { unref?: () => void } | null)?.unref?.()
        resolve()
      } else child.send([i, "echo", [i]])
    }
    child.on("message", onMessage)
    child.send([i, "echo", [i]])
  })

// ----- cases

const rawSeq = "raw worker_threads postMessage round trip, awaited, sequential"
const rawPar = `raw worker_threads postMessage round trips, awaited, ${WIDTH} in flight`
const rawIpc = "raw child_process.fork IPC round trip (advanced serialization)"
const readFile = "fs.promises.readFile(small file, utf8)"

export const cases: ReadonlyArray<Case> = [
  { name: rawSeq, run: (n) => Effect.promise(() => rawChain(rawWorker(0), n)) },
  {
    name: "raw worker_threads, next message posted from the reply handler (no await; informative)",
    run: (n) => Effect.promise(() => rawHandlerChain(rawWorker(WIDTH), n))
  },
  {
    name: "toThread.runSync round trip, sequential",
    reference: rawSeq,
    run: (n) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* toThread.runSync(echo, [i])
      })
  },
  {
    name: rawPar,
    run: (n) =>
      Effect.promise(() =>
        Promise.all(Array.from({ length: WIDTH }, (_, k) => rawChain(rawWorker(k), n / WIDTH)))
      )
  },
  {
    name: `toThread.runSync, ${WIDTH} in flight`,
    reference: rawPar,
    run: (n) =>
      Effect.forEach(
        Array.from({ length: WIDTH }, (_, k) => k),
        () =>
          Effect.gen(function* () {
            for (let i = 0; i < n / WIDTH; i++) yield* toThread.runSync(echo, [i])
          }),
        { concurrency: WIDTH, discard: true }
      )
  },
  { name: rawIpc, run: (n) => Effect.promise(() => rawProcessChain(n)) },
  {
    name: "toProcess.runSync on a warm worker",
    reference: rawIpc,
    run: (n) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* toProcess.runSync(echo, [i])
      })
  },
  {
    name: readFile,
    run: (n) =>
      Effect.promise(async () => {
        for (let i = 0; i < n; i++) await fs.promises.readFile(small, "utf8")
      })
  },
  {
    name: "Path.readText(small file)",
    reference: readFile,
    run: (n) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* smallPath.readText()
      })
  }
]

export const run = async (): Promise<Array<Result>> => {
  // Warm-up outside the samples: workers started, modules imported.
  await Effect.runPromise(
    Effect.andThen(
      Effect.forEach(
        Array.from({ length: WIDTH }, (_, i) => i),
        (i) => toThread.runSync(echo, [i]),
        {
          concurrency: WIDTH
        }
      ),
      toProcess.runSync(echo, [0])
    )
  )
  // rewarm: each sample follows a forced full collection, which deoptimizes Effect's run loop; a
  // sample of 2000 round trips would mostly measure its re-optimization (harness.ts, REWARM).
  const only = process.env.BENCH_WORKERS_ONLY
  const chosen =
    only === undefined
      ? cases
      : cases.filter(
          (c) => c.name.includes(only) || cases.some((d) => d.reference === c.name && d.name.includes(only))
        )
  const results = await measure(chosen, { n: N, samples: 7, warmup: 2, rewarm: REWARM })
  await Promise.all(rawWorkers.map((w) => w.terminate()))
  rawChild?.kill()
  if (only !== undefined) return results
  return withAnyioRows(
    results,
    "anyio_workers.py",
    ["--n", "1000", "--samples", "3"],
    [
      ["to_thread.run_sync, sequential", "thread_sequential", "toThread.runSync round trip, sequential"],
      [
        `to_thread.run_sync, ${WIDTH} in flight`,
        "thread_in_flight_8",
        `toThread.runSync, ${WIDTH} in flight`
      ],
      ["to_process.run_sync, warm worker", "process_warm", "toProcess.runSync on a warm worker"],
      ["Path.read_text(small file)", "path_read_text", "Path.readText(small file)"]
    ]
  )
}

if (import.meta.main) {
  console.log(format(await run()))
  fs.rmSync(dir, { recursive: true, force: true })
}
