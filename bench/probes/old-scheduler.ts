// FROZEN COPY, not maintained: src/Scheduler.ts as of ca08663 (2026-12-02, before bb9e428 made it fit
// to be the default), imports re-pointed. yield-cost.ts measures it against today's scheduler; the
// duplicate-code scan pairs it with src/Scheduler.ts on purpose. Do not fix or refactor it.
/**
 * An opt-in batching scheduler (the counterpart of AnyIO's `backend_options={"use_uvloop": True}`):
 * a faster event loop for programs whose tasks yield often.
 *
 * Effect's default scheduler gives every fiber its own queue and ends every `yieldNow` (and so
 * every AnyIO checkpoint) with a `setImmediate`: one full turn of Node's event loop, about 1-4 µs,
 * per yield when only a few fibers are runnable. This scheduler keeps one FIFO queue for all fibers
 * (the ready queue of asyncio and trio) and, within one turn of the event loop, runs it again and
 * again while fibers keep yielding, until it is empty or a time budget is spent; only then does it
 * hand the turn back to Node (timers, I/O). Each new round starts in a microtask, so promise
 * callbacks still interleave with fibers as they do under Effect's scheduler.
 *
 * The price is latency for timers and I/O while fibers keep yielding: at most one budget (1 ms by
 * default), as with a CPU-bound asyncio task. Semantics do not change: a yield is still a yield,
 * fibers run in the order they were scheduled, and Effect's operation budget
 * (`Scheduler.MaxOpsBeforeYield`) still applies.
 *
 * @since 0.1.0
 */
import { Effect, type Fiber, Function as Fn, Scheduler } from "effect"
import { InvalidArgumentError } from "../../src/Errors.ts"
import { toSeconds } from "../../src/internal/time.ts"
import type { Seconds } from "../../src/Time.ts"

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

type Task = () => void

/**
 * Runs every task. One that throws (a bug: Effect's own tasks do not) does not stop the others or
 * the scheduler, which every fiber shares; its error is rethrown on its own, as an uncaught exception
 * would be under Effect's scheduler.
 */
const runAll = (tasks: ReadonlyArray<Task>): void => {
  for (let i = 0; i < tasks.length; i++) {
    try {
      tasks[i]!()
    } catch (error) {
      queueMicrotask(() => {
        throw error
      })
    }
  }
}

/**
 * One queue for every fiber of the scheduler (it is its own dispatcher: Effect asks for one per
 * fiber, and sharing it is what lets a round run every fiber that yielded).
 */
class BatchingScheduler implements Scheduler.Scheduler, Scheduler.SchedulerDispatcher {
  readonly executionMode = "async" as const
  private readonly budgetMs: number
  /** Priority-0 tasks (all of Effect's own), FIFO. */
  private ready: Array<Task> = []
  /** Other priorities, ascending (lower runs first, as in Effect's scheduler); rare. */
  private others: Array<[number, Array<Task>]> = []
  private scheduled = false
  /** When the current turn of the event loop must end (ms, `performance.now()`). */
  private turnEnds = 0

  constructor(budgetMs: number) {
    this.budgetMs = budgetMs
  }

  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return fiber.currentOpCount >= fiber.cache.maxOpsBeforeYield
  }

  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return this
  }

  scheduleTask(task: Task, priority: number): void {
    if (priority === 0) this.ready.push(task)
    else this.scheduleOther(task, priority)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.startTurn)
    }
  }

  flush(): void {
    while (this.pending()) this.round()
  }

  private scheduleOther(task: Task, priority: number): void {
    const others = this.others
    let i = 0
    while (i < others.length && others[i]![0] < priority) i++
    if (i < others.length && others[i]![0] === priority) others[i]![1].push(task)
    else others.splice(i, 0, [priority, [task]])
  }

  private pending(): boolean {
    return this.ready.length > 0 || this.others.length > 0
  }

  /** Runs what is queued now; what those tasks schedule waits for the next round. */
  private round(): void {
    if (this.others.length === 0) {
      const tasks = this.ready
      this.ready = []
      runAll(tasks)
      return
    }
    const buckets = this.others
    this.others = []
    const ready = this.ready
    this.ready = []
    let zeroDone = false
    for (const [priority, tasks] of buckets) {
      if (!zeroDone && priority > 0) {
        zeroDone = true
        runAll(ready)
      }
      runAll(tasks)
    }
    if (!zeroDone) runAll(ready)
  }

  private readonly startTurn = (): void => {
    this.turnEnds = performance.now() + this.budgetMs
    this.nextRound()
  }

  private readonly nextRound = (): void => {
    this.round()
    if (!this.pending()) {
      this.scheduled = false
    } else if (performance.now() < this.turnEnds) {
      // A microtask, not a loop: promise callbacks queued by this round run before the next one.
      queueMicrotask(this.nextRound)
    } else {
      setImmediate(this.startTurn)
    }
  }
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
 * Runs `effect` (and every fiber it starts) on a batching scheduler. Only Effect's default
 * scheduler is replaced: under a custom one (the TestClock's, `autojump`'s) `effect` runs
 * unchanged. With no options, one scheduler is shared by every caller, so that all fibers of a
 * program run in the same rounds.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { checkpoint, withBatchingScheduler } from "effect-anyio"
 * const program = withBatchingScheduler(Effect.repeat(checkpoint(), { times: 1000 }))
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
      const scheduler =
        options === undefined ? (shared ??= makeBatchingScheduler()) : makeBatchingScheduler(options)
      return Effect.provideService(effect, Scheduler.Scheduler, scheduler)
    })
)
