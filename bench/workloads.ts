/**
 * The task-group and cancel-scope workloads of the benchmark suite (issue 9), each measured against
 * its raw-Effect (or other library's) reference in the same process run. `bench/run.ts` runs them
 * with `bench/sync.ts`, `bench/memory-stream.ts`, the deep-nesting probe and AnyIO itself.
 *
 * Run alone: `node --expose-gc bench/workloads.ts` (Node 24).
 */
import { Effect, Fiber, FiberSet } from "effect"
import { type Task as EffectionTask, run as effectionRun, spawn as effectionSpawn } from "effection"
import { cancelScope, createTaskGroup, moveOnAfter, sleep } from "../src/index.ts"
import type { Case, Result } from "./harness.ts"

export const N = 100_000
/** Levels per sample in the nested-groups workload. */
export const N_NESTED = 20_000
/** Tasks kept sleeping in the heap-per-task workload. */
export const N_HEAP = 100_000

const HOUR = 3600

/** Runs `op` `n` times in one fiber, without generator overhead per iteration. */
const times = (n: number, op: Effect.Effect<unknown, unknown>): Effect.Effect<void, unknown> => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
}

const now = (): bigint => process.hrtime.bigint()

// ---------------------------------------------------------------------------------------------
// 1. spawn + join a trivial task
// ---------------------------------------------------------------------------------------------

const rawSpawn = "raw forkChild + Fiber.join (trivial task)"

export const spawnTrivial: ReadonlyArray<Case> = [
  {
    name: rawSpawn,
    run: (n) =>
      Effect.gen(function* () {
        const fibers: Array<Fiber.Fiber<void>> = new Array(n)
        for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(Effect.void)
        for (let i = 0; i < n; i++) yield* Fiber.join(fibers[i]!)
      })
  },
  {
    name: "effect-anyio startSoon + group exit (trivial task)",
    reference: rawSpawn,
    run: (n) =>
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* tg.startSoon(Effect.void)
        })
      )
  },
  {
    name: "FiberSet.run + FiberSet.awaitEmpty (trivial task)",
    reference: rawSpawn,
    run: (n) =>
      Effect.scoped(
        Effect.gen(function* () {
          const set = yield* FiberSet.make<void>()
          for (let i = 0; i < n; i++) yield* FiberSet.run(set, Effect.void)
          yield* FiberSet.awaitEmpty(set)
        })
      )
  },
  {
    name: 'Effect.forEach concurrency "unbounded" (trivial task)',
    reference: rawSpawn,
    run: (n) =>
      Effect.suspend(() =>
        Effect.forEach(new Array<number>(n).fill(0), () => Effect.void, {
          concurrency: "unbounded",
          discard: true
        })
      )
  },
  {
    name: "Promise.all of async functions (trivial task)",
    reference: rawSpawn,
    run: (n) =>
      Effect.promise(() => {
        const task = async (): Promise<void> => {}
        const promises: Array<Promise<void>> = new Array(n)
        for (let i = 0; i < n; i++) promises[i] = task()
        return Promise.all(promises)
      })
  }
]

/**
 * effection 4 costs about 100 µs per spawned task here (most of it its scope and context
 * bookkeeping), so it runs with N / 10 tasks against raw forkChild at the same N.
 */
export const N_EFFECTION = 10_000

export const spawnEffection: ReadonlyArray<Case> = [
  { ...spawnTrivial[0]!, name: `${rawSpawn}, N = ${N_EFFECTION}` },
  {
    name: `effection 4 spawn + join (trivial task), N = ${N_EFFECTION}`,
    reference: `${rawSpawn}, N = ${N_EFFECTION}`,
    run: (n) =>
      Effect.promise(() =>
        effectionRun(function* () {
          const tasks: Array<EffectionTask<void>> = new Array(n)
          for (let i = 0; i < n; i++) tasks[i] = yield* effectionSpawn(function* () {})
          for (let i = 0; i < n; i++) yield* tasks[i]!
        })
      )
  }
]

// ---------------------------------------------------------------------------------------------
// 2. spawn + join a task that yields once
// ---------------------------------------------------------------------------------------------

const rawSpawnYield = "raw forkChild + Fiber.join (task yields once)"

export const spawnYield: ReadonlyArray<Case> = [
  {
    name: rawSpawnYield,
    run: (n) =>
      Effect.gen(function* () {
        const fibers: Array<Fiber.Fiber<void>> = new Array(n)
        for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(Effect.yieldNow)
        for (let i = 0; i < n; i++) yield* Fiber.join(fibers[i]!)
      })
  },
  {
    name: "effect-anyio startSoon + group exit (task yields once)",
    reference: rawSpawnYield,
    run: (n) =>
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* tg.startSoon(Effect.yieldNow)
        })
      )
  }
]

// ---------------------------------------------------------------------------------------------
// 3. cancel N sleeping tasks at once (timed: the cancellation until every task is gone)
// ---------------------------------------------------------------------------------------------

const rawCancel = "raw Fiber.interruptAll of N sleeping fibers"

export const cancelFanOut: ReadonlyArray<Case> = [
  {
    name: rawCancel,
    timed: true,
    run: (n) =>
      Effect.gen(function* () {
        const fibers: Array<Fiber.Fiber<void>> = new Array(n)
        for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(Effect.sleep(`${HOUR} seconds`))
        yield* Effect.yieldNow
        const start = now()
        yield* Fiber.interruptAll(fibers)
        return Number(now() - start)
      })
  },
  {
    name: "effect-anyio tg.cancel() of N sleeping tasks",
    reference: rawCancel,
    timed: true,
    run: (n) =>
      Effect.suspend(() => {
        let start = 0n
        return Effect.map(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (let i = 0; i < n; i++) yield* tg.startSoon(sleep(HOUR))
              yield* Effect.yieldNow // the tasks begin and park in sleep()
              start = now()
              yield* tg.cancel()
            })
          ),
          () => Number(now() - start)
        )
      })
  }
]

// ---------------------------------------------------------------------------------------------
// 4. moveOnAfter that never fires
// ---------------------------------------------------------------------------------------------

const timeoutSync = "Effect.timeoutOption(void, 10s)"
const timeoutYield = "Effect.timeoutOption(yieldNow, 10s)"
const forkAwait = "raw forkChild(void) + Fiber.await"
const forkAwaitNow = "raw forkChild(void, startImmediately) + Fiber.await"

export const moveOn: ReadonlyArray<Case> = [
  { name: timeoutSync, run: (n) => times(n, Effect.timeoutOption(Effect.void, "10 seconds")) },
  {
    name: "effect-anyio moveOnAfter(10, void)",
    reference: timeoutSync,
    run: (n) => times(n, moveOnAfter(10, Effect.void))
  },
  { name: timeoutYield, run: (n) => times(n, Effect.timeoutOption(Effect.yieldNow, "10 seconds")) },
  {
    name: "effect-anyio moveOnAfter(10, yieldNow)",
    reference: timeoutYield,
    run: (n) => times(n, moveOnAfter(10, Effect.yieldNow))
  },
  // A plain scope (no deadline) runs its body in a fiber of its own, started at once. The issue's
  // reference is forkChild + Fiber.await (which also pays a scheduler turn before the child runs);
  // the like-for-like one starts the child at once.
  { name: forkAwait, run: (n) => times(n, Effect.flatMap(Effect.forkChild(Effect.void), Fiber.await)) },
  {
    name: "effect-anyio cancelScope({}, void)",
    reference: forkAwait,
    run: (n) => times(n, cancelScope({}, Effect.void))
  },
  {
    name: forkAwaitNow,
    run: (n) =>
      times(n, Effect.flatMap(Effect.forkChild(Effect.void, { startImmediately: true }), Fiber.await))
  },
  {
    name: "effect-anyio cancelScope({}, void), like for like",
    reference: forkAwaitNow,
    run: (n) => times(n, cancelScope({}, Effect.void))
  }
]

// ---------------------------------------------------------------------------------------------
// 5. nested task groups DEPTH deep (ns per level)
// ---------------------------------------------------------------------------------------------

/** Raw Effect: each level forks the next one and joins it; the innermost fiber runs `leaf`. */
export const rawNest = (depth: number, leaf: Effect.Effect<void> = Effect.void): Effect.Effect<void> =>
  depth === 0
    ? leaf
    : Effect.flatMap(Effect.forkChild(Effect.suspend(() => rawNest(depth - 1, leaf))), Fiber.join)

/** Each level is a task that opens a group and starts the next level in it; the innermost runs `leaf`. */
export const groupNest = (
  depth: number,
  leaf: Effect.Effect<void, unknown> = Effect.void
): Effect.Effect<void, unknown> =>
  depth === 0 ? leaf : Effect.asVoid(createTaskGroup((tg) => tg.startSoon(() => groupNest(depth - 1, leaf))))

/** Nested groups `depth` deep (ns per level); a sample runs `n / depth` nests. */
export const nested = (depth: number): ReadonlyArray<Case> => {
  const raw = `raw nested forkChild + join, ${depth} deep`
  return [
    // alive: a small nest of the same kind that waits, as a running program's tasks do (see Case).
    { name: raw, run: (n) => times(n / depth, rawNest(depth)), alive: rawNest(3, Effect.never) },
    {
      name: `effect-anyio nested task groups, ${depth} deep`,
      reference: raw,
      run: (n) => times(n / depth, groupNest(depth)),
      alive: groupNest(3, Effect.never)
    }
  ]
}

// ---------------------------------------------------------------------------------------------
// 8. heap per sleeping task
// ---------------------------------------------------------------------------------------------

const gc = (): void => {
  const g = (globalThis as { gc?: () => void }).gc
  if (g === undefined) throw new Error("heap per task needs node --expose-gc")
  g()
  g()
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Bytes of heap per task while `n` tasks sleep, after a full GC. */
const heapRaw = (n: number): Effect.Effect<number> =>
  Effect.gen(function* () {
    gc()
    const before = process.memoryUsage().heapUsed
    const fibers: Array<Fiber.Fiber<void>> = new Array(n)
    for (let i = 0; i < n; i++) fibers[i] = yield* Effect.forkChild(Effect.sleep(`${HOUR} seconds`))
    yield* Effect.yieldNow
    gc()
    const after = process.memoryUsage().heapUsed
    yield* Fiber.interruptAll(fibers)
    return (after - before) / n
  })

const heapGroup = (n: number): Effect.Effect<number, unknown> =>
  Effect.suspend(() => {
    let perTask = 0
    return Effect.map(
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          gc()
          const before = process.memoryUsage().heapUsed
          for (let i = 0; i < n; i++) yield* tg.startSoon(sleep(HOUR))
          yield* Effect.yieldNow
          gc()
          perTask = (process.memoryUsage().heapUsed - before) / n
          yield* tg.cancel()
        })
      ),
      () => perTask
    )
  })

const rawHeap = "raw forkChild(Effect.sleep(1h)), bytes per task"

export const measureHeap = async (runs = 5): Promise<Array<Result>> => {
  const raw: Array<number> = []
  const ours: Array<number> = []
  for (let i = 0; i < runs + 1; i++) {
    const r = await Effect.runPromise(heapRaw(N_HEAP))
    const o = await Effect.runPromise(heapGroup(N_HEAP))
    if (i > 0) {
      raw.push(r)
      ours.push(o)
    }
  }
  const rawBytes = median(raw)
  const ourBytes = median(ours)
  return [
    { name: rawHeap, nsPerOp: rawBytes },
    {
      name: "effect-anyio startSoon(sleep(3600)), bytes per task",
      nsPerOp: ourBytes,
      reference: rawHeap,
      ratio: ourBytes / rawBytes
    }
  ]
}
