/**
 * Running CPU-bound functions in worker processes (AnyIO's `anyio.to_process`), imported as the
 * namespace `toProcess`: `toProcess.runSync(...)`, `toProcess.currentDefaultProcessLimiter()`.
 *
 * As with `toThread`, the function is named by module and export ({@link WorkerFunction});
 * arguments and results are structured-cloned (Node's `advanced` IPC serialization) and errors
 * re-raised with their class and message.
 *
 * **Pools.** The process-wide default pool (started on first use) or one of your own
 * ({@link makePool} / {@link withPool}, closed with its scope). Its default limiter has as many
 * tokens as the machine has CPUs (AnyIO's `os.cpu_count()`); idle workers are stopped after 300 s
 * (AnyIO's `WORKER_MAX_IDLE_TIME`) and never keep the parent alive; a worker exits with its parent.
 * The workers' standard streams go to /dev/null, as AnyIO's do (`stdio: "inherit"` to see them).
 *
 * @since 0.3.0
 */
import { Context, type Effect, type Scope } from "effect"
import type { CapacityLimiter } from "./CapacityLimiter.ts"
import { toSeconds } from "./internal/time.ts"
import {
  checkRunOptions,
  currentLimiterOf,
  currentPoolOf,
  scopedPool,
  withPoolOf
} from "./internal/workers/face.ts"
import {
  DEFAULT_PROCESS_MAX_IDLE_TIME,
  defaultProcessPool,
  ProcessPoolImpl,
  runInProcess
} from "./internal/workers/processPool.ts"
import { dispatch } from "./internal/workers/target.ts"
import type { RunSync } from "./ToThread.ts"

/**
 * Options of {@link runSync}.
 * @category models
 */
export interface RunSyncOptions {
  /** Limiter bounding the calls in flight (default: the pool's, one token per CPU). */
  readonly limiter?: CapacityLimiter | undefined
  /**
   * On cancellation, kill the worker process (SIGKILL) and return (AnyIO's `cancellable`). Default
   * `false`: the caller waits, shielded, until the function returns.
   */
  readonly cancellable?: boolean | undefined
}

/**
 * A pool of worker processes.
 * @category models
 */
export interface ProcessPool {
  /** The pool's default limiter (one token per CPU). */
  readonly limiter: CapacityLimiter
  /** Seconds a worker may stay idle before it is stopped (default 300). */
  readonly maxIdleTime: number
  statistics(): { readonly workers: number; readonly idle: number; readonly busy: number }
  /** The pids of the live worker processes. */
  pids(): ReadonlyArray<number>
}

/**
 * Options of {@link makePool} and {@link withPool}.
 * @category models
 */
export interface PoolOptions {
  /** Seconds an idle worker lives (default 300, AnyIO's). */
  readonly maxIdleTime?: number | undefined
  /** Node flags of the workers (default: the parent's `execArgv`). */
  readonly execArgv?: ReadonlyArray<string> | undefined
  /** Environment of the workers (default: the parent's). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** The workers' standard streams: `"ignore"` (default, AnyIO's /dev/null) or `"inherit"`. */
  readonly stdio?: "ignore" | "inherit" | undefined
  /** Tokens of the pool's default limiter (default: the number of CPUs). */
  readonly tokens?: number | undefined
}

/**
 * The pool `runSync` uses: the process-wide default pool unless one is provided.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { toProcess } from "effect-anyio"
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const pool = yield* toProcess.makePool({ tokens: 2 })
 *     return yield* Effect.provideService(toProcess.runSync("node:os", "hostname"), toProcess.CurrentPool, pool)
 *   })
 * )
 * ```
 * @category services
 */
export const CurrentPool = Context.Reference<ProcessPool | undefined>("effect-anyio/toProcess/CurrentPool", {
  defaultValue: () => undefined
})

const currentPool = currentPoolOf<ProcessPool, ProcessPoolImpl>(CurrentPool, defaultProcessPool)

const FLAGS = ["cancellable"] as const

const run = (
  moduleUrl: string,
  exportName: string,
  args: ReadonlyArray<unknown>,
  options: RunSyncOptions | undefined
): Effect.Effect<unknown, unknown> => {
  const problem = checkRunOptions(args, options, FLAGS)
  if (problem !== undefined) return problem
  return runInProcess(
    currentPool,
    moduleUrl,
    exportName,
    args,
    options?.limiter,
    options?.cancellable === true
  )
}

/**
 * Calls a function in a worker process and waits for its result (AnyIO's `to_process.run_sync`).
 *
 * **Details**
 *
 * - The function: a {@link WorkerFunction}, or a module and an export name (as `toThread.runSync`).
 * - Fails with what the function threw (re-created), `WorkerFunctionNotFound`, `UncloneableValue`,
 *   or `BrokenWorkerProcess` (the process died: only this call fails; the pool replaces it).
 * - Holds a token of `limiter` (default: the pool's, one per CPU); 0 tokens dies with
 *   `InvalidArgumentError`.
 * - Cancellation: the caller waits, shielded, unless `cancellable`, which kills the process.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { toProcess, workerFunction } from "effect-anyio"
 * const fib = workerFunction<(n: number) => number>(new URL("./fns.ts", import.meta.url), "fib")
 * const program = Effect.gen(function* () {
 *   const n = yield* toProcess.runSync(fib, [35], { cancellable: true })
 *   const pid = yield* toProcess.runSync("node:process", "cwd", [])
 * })
 * ```
 * @category operations
 */
export const runSync: RunSync<RunSyncOptions> = dispatch<RunSyncOptions>(run) as never

/**
 * The limiter that bounds `runSync` calls given no `limiter` (AnyIO's
 * `to_process.current_default_process_limiter()`): the current pool's, one token per CPU.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { toProcess } from "effect-anyio"
 * const tokens = Effect.map(toProcess.currentDefaultProcessLimiter(), (l) => l.totalTokens)
 * ```
 * @category operations
 */
export const currentDefaultProcessLimiter = (): Effect.Effect<CapacityLimiter> =>
  currentLimiterOf(currentPool)

/**
 * A pool of worker processes of your own, closed with the current `Scope`: closing it kills every
 * worker and waits until they are gone.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { toProcess } from "effect-anyio"
 * const program = Effect.scoped(Effect.map(toProcess.makePool({ maxIdleTime: 5 }), (p) => p.maxIdleTime))
 * ```
 * @category pools
 */
export const makePool = (options?: PoolOptions): Effect.Effect<ProcessPool, never, Scope.Scope> =>
  scopedPool(() => {
    const pool = new ProcessPoolImpl({
      maxIdleTime:
        options?.maxIdleTime === undefined
          ? DEFAULT_PROCESS_MAX_IDLE_TIME
          : toSeconds(options.maxIdleTime, "maxIdleTime"),
      execArgv: options?.execArgv,
      env: options?.env,
      stdio: options?.stdio
    })
    if (options?.tokens !== undefined) pool.limiter.totalTokens = options.tokens
    return pool
  })

/**
 * Runs `body` with a process pool of its own as the current pool, and closes it (every worker
 * gone) when `body` ends.
 *
 * @example
 * ```ts
 * import { toProcess } from "effect-anyio"
 * const program = toProcess.withPool({ tokens: 2 }, toProcess.runSync("node:os", "hostname"))
 * ```
 * @category pools
 */
export const withPool = <A, E, R>(
  options: PoolOptions | undefined,
  body: Effect.Effect<A, E, R> | ((pool: ProcessPool) => Effect.Effect<A, E, R>)
): Effect.Effect<A, E, R> => withPoolOf(makePool, CurrentPool, options, body)
