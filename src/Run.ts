/**
 * Running a program on Node (AnyIO's `anyio.run`).
 *
 * @since 0.1.0
 */
import { constants } from "node:os"
import { Cause, Effect, Exit, Runtime } from "effect"
import { isHeld } from "./internal/process/signals.ts"
import { type BatchingSchedulerOptions, withBatchingScheduler } from "./Scheduler.ts"
import { surfaceTaskGroupFailures } from "./TaskGroupService.ts"

/**
 * Options of {@link run}.
 *
 * @category models
 */
export interface RunOptions {
  /** Do not log the failure of `main` (the exit code still says it failed). */
  readonly disableErrorReporting?: boolean | undefined
  /**
   * The batching scheduler (see `withBatchingScheduler`, `defaultScheduler`): on by default (a
   * checkpoint then costs well under a microsecond, with a bounded budget before timers and I/O
   * run); its options to tune it, or `false` for Effect's own scheduler.
   */
  readonly batchingScheduler?: boolean | BatchingSchedulerOptions | undefined
}

/**
 * A {@link run} with its options fixed: `run.with(options)(main)` or
 * `run.with(options)(fn, ...args)`.
 *
 * @category models
 */
export interface RunWithOptions {
  <A, E>(main: Effect.Effect<A, E>): void
  <Args extends ReadonlyArray<unknown>, A, E>(
    main: (...args: Args) => Effect.Effect<A, E>,
    ...args: Args
  ): void
}

/**
 * The type of {@link run}.
 *
 * @category models
 */
export interface Run {
  <A, E>(main: Effect.Effect<A, E>, options?: RunOptions): void
  <Args extends ReadonlyArray<unknown>, A, E>(
    main: (...args: Args) => Effect.Effect<A, E>,
    ...args: Args
  ): void
  /**
   * The same `run`, with options, for both forms: `run.with({ batchingScheduler: true })(main,
   * "world")`. (Options after a function's arguments could not be told from its last argument.)
   */
  with(options: RunOptions): RunWithOptions
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const

/** 128 + the signal's number, as a shell reports a process killed by it (SIGINT 130, SIGTERM 143). */
const exitCodeOf = (signal: NodeJS.Signals): number => 128 + constants.signals[signal]

/**
 * `NodeRuntime.runMain`'s rules (keep-alive while `main` runs, error logging, exit codes), with
 * our own signal handling, because runMain's listener always interrupts `main`: AnyIO leaves a
 * signal held by `open_signal_receiver` to the receiver, and a second Ctrl-C during cleanup must
 * not be ignored.
 */
const runMain = Runtime.makeRunMain(({ fiber, teardown }) => {
  let received: NodeJS.Signals | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    // A receiver holds it: the signal is the program's to handle (its own listener got it).
    if (isHeld(signal)) return
    // Second signal while cleanup still runs: leave now (asyncio's runner and Node's default do).
    if (received !== undefined) process.exit(exitCodeOf(signal))
    received = signal
    fiber.interruptUnsafe(fiber.id)
  }
  for (const signal of SIGNALS) process.on(signal, onSignal)
  fiber.addObserver((exit) => {
    for (const signal of SIGNALS) process.removeListener(signal, onSignal)
    if (received !== undefined && Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) {
      return process.exit(exitCodeOf(received))
    }
    teardown(exit, (code) => {
      // A clean finish lets Node exit by itself (as runMain does), once nothing is left running.
      if (received !== undefined || code !== 0) process.exit(code)
    })
  })
})

const start = (options: RunOptions | undefined, main: unknown, args: ReadonlyArray<unknown>): void => {
  const effect: Effect.Effect<unknown, unknown> = Effect.isEffect(main)
    ? (main as Effect.Effect<unknown, unknown>)
    : Effect.suspend(() =>
        (main as (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>)(...args)
      )
  const batching = options?.batchingScheduler
  const program =
    batching === false
      ? effect
      : withBatchingScheduler(effect, batching === true || batching === undefined ? undefined : batching)
  // A scoped task group's failure (createTaskGroupScoped) becomes main's typed failure.
  runMain(surfaceTaskGroupFailures(program), { disableErrorReporting: options?.disableErrorReporting })
}

/**
 * Runs `main` as the process's main program (AnyIO's `run(main, *args)`).
 *
 * **Details**
 * - `main` is an effect, or a function and its arguments that returns one; its requirements must
 *   be satisfied (`R = never`). Options: `run(effect, options)`, or `run.with(options)(...)` for
 *   both forms.
 * - The process stays alive until `main` is done. Exit code: 0 on success, 1 on failure (which is
 *   logged unless `disableErrorReporting`).
 * - SIGINT and SIGTERM cancel `main`, so every finalizer runs; the process then exits with 130
 *   (SIGINT) or 143 (SIGTERM), 128 + the signal number as a shell reports it. A second SIGINT or
 *   SIGTERM while that cleanup still runs exits at once, with that signal's code.
 * - While an `openSignalReceiver` holds SIGINT or SIGTERM, that signal goes to the receiver
 *   only and `main` is not cancelled (AnyIO's behaviour).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { run, sleep } from "effect-anyio"
 * const main = (name: string) => Effect.andThen(sleep(1), Effect.log(`hello ${name}`))
 * run(main, "world")
 * // with options:
 * run.with({ batchingScheduler: true })(main, "world")
 * ```
 * @category running
 */
export const run: Run = Object.assign(
  (main: unknown, ...rest: ReadonlyArray<unknown>): void =>
    Effect.isEffect(main) ? start(rest[0] as RunOptions | undefined, main, []) : start(undefined, main, rest),
  {
    with:
      (options: RunOptions): RunWithOptions =>
      (main: unknown, ...args: ReadonlyArray<unknown>): void =>
        start(options, main, args)
  }
) as Run
