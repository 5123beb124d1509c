/**
 * Running a program on Node (AnyIO's `anyio.run`).
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { type BatchingSchedulerOptions, withBatchingScheduler } from "./Scheduler.ts"

/**
 * Options of {@link run}.
 *
 * @category models
 */
export interface RunOptions {
  /** Do not log the failure of `main` (the exit code still says it failed). */
  readonly disableErrorReporting?: boolean | undefined
  /**
   * Run on the batching scheduler (see `withBatchingScheduler`; AnyIO's `use_uvloop` in spirit):
   * `true`, or its options. Off by default.
   */
  readonly batchingScheduler?: boolean | BatchingSchedulerOptions | undefined
}

/**
 * Runs `main` as the process's main program (AnyIO's `run(main, *args)`), through
 * `@effect/platform-node`'s `NodeRuntime.runMain`: the process stays alive until `main` is done;
 * SIGINT and SIGTERM cancel the main task so that every finalizer runs; the exit code is 0 on
 * success, 130 when cancelled by a signal, 1 on failure (which is logged).
 *
 * `main` is an effect, or a function and its arguments that returns one. Its requirements must be
 * satisfied (`R = never`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { run, sleep } from "effect-anyio"
 * const main = (name: string) => Effect.andThen(sleep(1), Effect.log(`hello ${name}`))
 * run(main, "world")
 * ```
 * @category running
 */
export const run: {
  <A, E>(main: Effect.Effect<A, E>, options?: RunOptions): void
  <Args extends ReadonlyArray<unknown>, A, E>(
    main: (...args: Args) => Effect.Effect<A, E>,
    ...args: Args
  ): void
} = (main: unknown, ...rest: ReadonlyArray<unknown>): void => {
  const options = Effect.isEffect(main) ? (rest[0] as RunOptions | undefined) : undefined
  const effect: Effect.Effect<unknown, unknown> = Effect.isEffect(main)
    ? (main as Effect.Effect<unknown, unknown>)
    : Effect.suspend(() =>
        (main as (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>)(...rest)
      )
  const batching = options?.batchingScheduler
  const program =
    batching === undefined || batching === false
      ? effect
      : withBatchingScheduler(effect, batching === true ? undefined : batching)
  // Loaded on first use: @effect/platform-node pulls in an HTTP stack that library users of the
  // rest of effect-anyio should not pay for at import time.
  void import("@effect/platform-node/NodeRuntime").then(({ runMain }) =>
    runMain(program, { disableErrorReporting: options?.disableErrorReporting })
  )
}
