/**
 * Running blocking or CPU-bound functions in worker threads (AnyIO's `anyio.to_thread`), imported
 * as the namespace `toThread`: `toThread.runSync(...)`, `toThread.currentDefaultThreadLimiter()`.
 *
 * A JavaScript function cannot be sent to another thread, so the function is named by its module
 * and export ({@link WorkerFunction}); arguments and results are structured-cloned, and an error
 * the function throws is re-raised with its class (builtin error classes), name, message, stack,
 * cause and own properties (so a tagged error's `_tag` survives and `Effect.catchTag` works).
 *
 * **Pools.** Calls run in a pool of `node:worker_threads` workers: the process-wide default pool
 * (started on first use), or a pool of your own with {@link makePool} / {@link withPool}, closed
 * with its scope. Workers are reused, stopped after 10 s idle (AnyIO's `MAX_IDLE_TIME`), and an
 * idle worker never keeps the process alive. The default limiter has 40 tokens (AnyIO's
 * `current_default_thread_limiter()`); each pool has its own.
 *
 * The worker entry point does not load effect: a plain function's first call takes a few
 * milliseconds (plus the worker's start, ~70 ms, once).
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
import { dispatch, invalid } from "./internal/workers/target.ts"
import {
  DEFAULT_MAX_IDLE_TIME,
  defaultThreadPool,
  runInThread,
  ThreadPoolImpl,
  type ThreadPoolOptions
} from "./internal/workers/threadPool.ts"
import type { AnyFunction, ArgsOf, ResultOf, WorkerFunction } from "./WorkerFunction.ts"

/**
 * Functions a worker may call back by name with `fromThread.run` / `fromThread.runSync` (the
 * `callbacks` option of {@link runSync}). A callback may return a value, a promise or an `Effect`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { toThread } from "effect-anyio"
 * let done = 0
 * const callbacks: toThread.Callbacks = { progress: (n: number) => Effect.sync(() => (done = n)) }
 * ```
 * @category models
 */
export type Callbacks = Readonly<Record<string, (...args: Array<never>) => unknown>>

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * Options of {@link runSync}.
 * @category models
 */
export interface RunSyncOptions {
  /** Limiter bounding the calls in flight (default: the pool's, 40 tokens). */
  readonly limiter?: CapacityLimiter | undefined
  /**
   * On cancellation, return at once and let the function finish in the background (its result is
   * dropped; the worker is reused only once it is done). Default `false`: the caller waits,
   * shielded, until the function returns (AnyIO's `abandon_on_cancel`).
   */
  readonly abandonOnCancel?: boolean | undefined
  /**
   * On cancellation, terminate the worker thread, even in the middle of `while (true) {}`, and
   * return once it is gone. Node only (AnyIO has no peer: a Python thread cannot be killed).
   */
  readonly terminateOnCancel?: boolean | undefined
  /** Functions the worker may call back by name with `fromThread.run` / `fromThread.runSync`. */
  readonly callbacks?: Callbacks | undefined
}

/**
 * A pool of worker threads.
 * @category models
 */
export interface ThreadPool {
  /** The pool's default limiter (40 tokens; writable `totalTokens`). */
  readonly limiter: CapacityLimiter
  /** Seconds a worker may stay idle before it is stopped. */
  readonly maxIdleTime: number
  /** How many workers exist, idle and busy (abandoned calls count as busy). */
  statistics(): ThreadPoolStatistics
}

/** @category models */
export interface ThreadPoolStatistics {
  readonly workers: number
  readonly idle: number
  readonly busy: number
}

/**
 * Options of {@link makePool} and {@link withPool}.
 * @category models
 */
export interface PoolOptions {
  /** Seconds an idle worker lives (default 10). */
  readonly maxIdleTime?: number | undefined
  /** Node flags of the workers (default: the process's `execArgv`). */
  readonly execArgv?: ReadonlyArray<string> | undefined
  /** Heap limits of each worker (`node:worker_threads` `resourceLimits`). */
  readonly resourceLimits?: import("node:worker_threads").ResourceLimits | undefined
  /** Environment of the workers (default: a copy of `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** Tokens of the pool's default limiter (default 40). */
  readonly tokens?: number | undefined
}

/**
 * The pool `runSync` uses: the process-wide default pool unless a pool is provided
 * (`Effect.provideService(toThread.CurrentPool, pool)` or {@link withPool}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { toThread } from "effect-anyio"
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const pool = yield* toThread.makePool()
 *     return yield* Effect.provideService(toThread.runSync("node:os", "cpus"), toThread.CurrentPool, pool)
 *   })
 * )
 * ```
 * @category services
 */
export const CurrentPool = Context.Reference<ThreadPool | undefined>("effect-anyio/toThread/CurrentPool", {
  defaultValue: () => undefined
})

// -----------------------------------------------------------------------------
// Operations
// -----------------------------------------------------------------------------

const currentPool = currentPoolOf<ThreadPool, ThreadPoolImpl>(CurrentPool, defaultThreadPool)

const FLAGS = ["abandonOnCancel", "terminateOnCancel"] as const

const DEFAULT_CALL_OPTIONS = {
  limiter: undefined,
  abandonOnCancel: false,
  terminateOnCancel: false,
  callbacks: undefined
} as const

const run = (
  moduleUrl: string,
  exportName: string,
  args: ReadonlyArray<unknown>,
  options: RunSyncOptions | undefined
): Effect.Effect<unknown, unknown> => {
  const problem = checkRunOptions(args, options, FLAGS)
  if (problem !== undefined) return problem
  if (
    options?.callbacks !== undefined &&
    (typeof options.callbacks !== "object" || options.callbacks === null)
  ) {
    return invalid("callbacks must be an object of functions")
  }
  const callOptions =
    options === undefined
      ? DEFAULT_CALL_OPTIONS
      : {
          limiter: options.limiter,
          abandonOnCancel: options.abandonOnCancel === true,
          terminateOnCancel: options.terminateOnCancel === true,
          callbacks: options.callbacks
        }
  return runInThread(currentPool, moduleUrl, exportName, args, callOptions)
}

/**
 * The type of `toThread.runSync` and `toProcess.runSync` (`Options`: each one's options): a typed
 * {@link WorkerFunction} with its arguments (optional when it takes none), or a module and an export
 * name, untyped.
 *
 * @category models
 */
export interface RunSync<Options> {
  <F extends AnyFunction>(
    fn: WorkerFunction<F>,
    ...rest: ArgsOf<F> extends readonly []
      ? [args?: ArgsOf<F>, options?: Options]
      : [args: ArgsOf<F>, options?: Options]
  ): Effect.Effect<ResultOf<F>, unknown>
  (
    module: string | URL,
    exportName: string,
    args?: ReadonlyArray<unknown>,
    options?: Options
  ): Effect.Effect<unknown, unknown>
}

/**
 * Calls a function in a worker thread and waits for its result (AnyIO's `to_thread.run_sync`).
 *
 * **Details**
 *
 * - The function is a {@link WorkerFunction} (typed: arguments checked, result inferred) or a module
 *   (`URL`, absolute path, `node:` or package specifier) and an export name. It may return a promise.
 * - Fails with what the function threw (re-created: builtin class, name, message, stack, cause, own
 *   properties), `WorkerFunctionNotFound`, `UncloneableValue` (arguments or result not cloneable),
 *   or `BrokenWorkerThread` (the worker died: only this call fails; the pool replaces it).
 * - Holds a token of `limiter` (default: the pool's 40-token limiter) while it runs; a limiter with
 *   0 tokens dies with `InvalidArgumentError` (the call could never start).
 * - Cancellation: by default the caller waits, shielded, until the function returns (a function can
 *   stop early with `fromThread.checkCancelled()`); `abandonOnCancel` returns at once;
 *   `terminateOnCancel` terminates the worker.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { toThread, workerFunction } from "effect-anyio"
 *
 * // fns.ts: export const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2))
 * const fib = workerFunction<(n: number) => number>(new URL("./fns.ts", import.meta.url), "fib")
 * const program = Effect.gen(function* () {
 *   const n = yield* toThread.runSync(fib, [30]) // number
 *   const cpus = yield* toThread.runSync("node:os", "availableParallelism", [])
 * })
 * ```
 * @category operations
 */
export const runSync: RunSync<RunSyncOptions> = dispatch<RunSyncOptions>(run) as never

/**
 * The limiter that bounds `runSync` calls given no `limiter` (AnyIO's
 * `to_thread.current_default_thread_limiter()`): the current pool's, 40 tokens by default.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { toThread } from "effect-anyio"
 * const fewerThreads = Effect.map(toThread.currentDefaultThreadLimiter(), (limiter) => {
 *   limiter.totalTokens = 8
 * })
 * ```
 * @category operations
 */
export const currentDefaultThreadLimiter = (): Effect.Effect<CapacityLimiter> => currentLimiterOf(currentPool)

// -----------------------------------------------------------------------------
// Pools
// -----------------------------------------------------------------------------

const makePoolImpl = (options: PoolOptions | undefined): ThreadPoolImpl => {
  const maxIdleTime =
    options?.maxIdleTime === undefined ? DEFAULT_MAX_IDLE_TIME : toSeconds(options.maxIdleTime, "maxIdleTime")
  const poolOptions: ThreadPoolOptions = {
    maxIdleTime,
    execArgv: options?.execArgv,
    resourceLimits: options?.resourceLimits,
    env: options?.env
  }
  const pool = new ThreadPoolImpl(poolOptions)
  if (options?.tokens !== undefined) pool.limiter.totalTokens = options.tokens
  return pool
}

/**
 * A pool of worker threads of your own, closed with the current `Scope`: closing it terminates
 * every worker (calls still running in it fail with `BrokenWorkerThread`) and waits until they are
 * gone. Use it as `runSync`'s pool with `Effect.provideService(toThread.CurrentPool, pool)`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { toThread } from "effect-anyio"
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const pool = yield* toThread.makePool({ tokens: 4, maxIdleTime: 1 })
 *     return pool.limiter.totalTokens // 4
 *   })
 * )
 * ```
 * @category pools
 */
export const makePool = (options?: PoolOptions): Effect.Effect<ThreadPool, never, Scope.Scope> =>
  scopedPool(() => makePoolImpl(options))

/**
 * Runs `body` with a pool of its own as the current pool, and closes the pool (every worker gone)
 * when `body` ends.
 *
 * @example
 * ```ts
 * import { toThread } from "effect-anyio"
 * const program = toThread.withPool({ maxIdleTime: 1 }, () => toThread.runSync("node:os", "cpus"))
 * ```
 * @category pools
 */
export const withPool = <A, E, R>(
  options: PoolOptions | undefined,
  body: Effect.Effect<A, E, R> | ((pool: ThreadPool) => Effect.Effect<A, E, R>)
): Effect.Effect<A, E, R> => withPoolOf(makePool, CurrentPool, options, body)
