/**
 * The batching scheduler: effect-anyio's event loop on Node, the default of `run(main)`, and a
 * one-liner for programs started with `Effect.runPromise` (`withBatchingScheduler(main)`).
 *
 * Effect's default scheduler gives every fiber its own queue and ends every `yieldNow` (and so
 * every AnyIO checkpoint) with a `setImmediate`: one full turn of Node's event loop (timers, I/O
 * polling), several microseconds, per yield when only a few fibers are runnable. This scheduler
 * keeps one FIFO queue for all fibers (the ready queue of asyncio and trio) and runs it in rounds,
 * one after the other, while fibers keep yielding: a checkpoint costs a fraction of a microsecond.
 *
 * Fairness, stated and tested (test/scheduler-fairness.test.ts):
 * - Node's event loop: fibers run at most one budget (1 ms by default, plus at most 64 tasks:
 *   the scheduler checks the time every 64 tasks, cutting a long round, however many fibers are
 *   ready) before the scheduler hands the turn back with a `setImmediate`, so timers and I/O
 *   callbacks wait at most about one budget per turn of the loop while fibers keep yielding (a
 *   1 ms interval timer keeps firing every 1-2 ms, a loopback socket's round trip takes a few
 *   milliseconds at most, beside one yielding fiber or 10,000), as with a CPU-bound asyncio task.
 * - Promise callbacks run at least every 8 rounds (the scheduler hops to a microtask), Node's
 *   `process.nextTick` callbacks at least every 64 rounds.
 * - Fibers: one FIFO queue, in the order they were scheduled; a round runs the tasks queued when
 *   it starts (a round cut for a hop goes on after it, in order). Effect's operation budget
 *   (`Scheduler.MaxOpsBeforeYield`) still applies.
 *
 * Cost (bench/probes/sched-floor.ts, CPU time): a checkpoint of one fiber takes about 0.3 µs
 * (Effect's scheduler: 2.2 µs), the same as an unfair queue drained in one microtask; what is left
 * is Effect's own per yield (the fiber loop's step, ~80 ns, the `AsyncResource` Effect 4.1 makes at
 * every suspension, ~120 ns, and the yield's closures), not the scheduler's.
 *
 * Semantics do not change: a yield is still a yield. Under a custom scheduler (the TestClock's,
 * `autojump`'s) `withBatchingScheduler` leaves it in place.
 *
 * @since 0.1.0
 */
import { Effect, Function as Fn, Layer, Scheduler } from "effect"
import { InvalidArgumentError } from "./Errors.ts"
import { BatchingScheduler } from "./internal/batchingScheduler.ts"
import { toSeconds } from "./internal/time.ts"
import type { Seconds } from "./Time.ts"

/**
 * Options of {@link makeBatchingScheduler}.
 *
 * @category models
 */
export interface BatchingSchedulerOptions {
  /**
   * How long fibers may run in one turn of the event loop before timers and I/O get their turn
   * (seconds or a `Duration`; default 0.001). Positive.
   */
  readonly budget?: Seconds | undefined
}

/**
 * Makes a batching scheduler (see the module's documentation). Provide it as Effect's
 * `Scheduler.Scheduler` reference, or use {@link withBatchingScheduler}.
 *
 * @example
 * ```ts
 * import { Effect, Scheduler } from "effect"
 * import { makeBatchingScheduler } from "effect-anyio"
 * const scheduler = makeBatchingScheduler({ budget: 0.002 })
 * const program = Effect.provideService(Effect.yieldNow, Scheduler.Scheduler, scheduler)
 * ```
 * @category scheduling
 */
export const makeBatchingScheduler = (options?: BatchingSchedulerOptions): Scheduler.Scheduler => {
  const budget = options?.budget === undefined ? 0.001 : toSeconds(options.budget, "budget")
  if (!(budget > 0) || !Number.isFinite(budget)) {
    throw new InvalidArgumentError({ message: `budget must be a positive number of seconds, got ${budget}` })
  }
  return new BatchingScheduler(budget * 1000)
}

let shared: Scheduler.Scheduler | undefined

/**
 * The scheduler `run(main)` uses: one batching scheduler (default budget) shared by every caller,
 * so that all fibers of a program run in the same rounds. For `Effect.runPromise` /
 * `Effect.runFork` users: pass it as their `scheduler` option (or use {@link withBatchingScheduler}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { checkpoint, defaultScheduler } from "effect-anyio"
 * const main = Effect.repeat(checkpoint(), { times: 1000 })
 * Effect.runPromise(main, { scheduler: defaultScheduler() })
 * ```
 * @category scheduling
 */
export const defaultScheduler = (): Scheduler.Scheduler => (shared ??= makeBatchingScheduler())

/**
 * Runs `effect` (and every fiber it starts) on a batching scheduler: the way to get `run`'s
 * scheduler under `Effect.runPromise` (`Effect.runPromise(withBatchingScheduler(main))`). Only
 * Effect's default scheduler is replaced: under a custom one (the TestClock's, `autojump`'s,
 * another batching scheduler) `effect` runs unchanged. With no options, the shared
 * {@link defaultScheduler} is used.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { checkpoint, withBatchingScheduler } from "effect-anyio"
 * const main = Effect.repeat(checkpoint(), { times: 1000 })
 * Effect.runPromise(withBatchingScheduler(main))
 * ```
 * @category scheduling
 */
export const withBatchingScheduler: {
  (options?: BatchingSchedulerOptions): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(effect: Effect.Effect<A, E, R>, options?: BatchingSchedulerOptions): Effect.Effect<A, E, R>
} = Fn.dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(effect: Effect.Effect<A, E, R>, options?: BatchingSchedulerOptions): Effect.Effect<A, E, R> =>
    Effect.withFiber((fiber) => {
      if (!(fiber.getRef(Scheduler.Scheduler) instanceof Scheduler.MixedScheduler)) return effect
      // Bad options are a defect of the calling code: they throw here, inside the effect.
      const scheduler = options === undefined ? defaultScheduler() : makeBatchingScheduler(options)
      return Effect.provideService(effect, Scheduler.Scheduler, scheduler)
    })
)

/**
 * A layer providing the shared batching scheduler (or one with `options`), for programs built on
 * layers (`ManagedRuntime.make(Layer.mergeAll(batchingSchedulerLayer(), ...))`). Unlike
 * {@link withBatchingScheduler} it replaces whatever scheduler was there.
 *
 * @example
 * ```ts
 * import { Effect, ManagedRuntime } from "effect"
 * import { batchingSchedulerLayer, checkpoint } from "effect-anyio"
 * const runtime = ManagedRuntime.make(batchingSchedulerLayer())
 * runtime.runPromise(Effect.repeat(checkpoint(), { times: 1000 }))
 * ```
 * @category scheduling
 */
export const batchingSchedulerLayer = (options?: BatchingSchedulerOptions): Layer.Layer<never> =>
  Layer.succeed(
    Scheduler.Scheduler,
    options === undefined ? defaultScheduler() : makeBatchingScheduler(options)
  )
