// Frozen copy of src/Scheduler.ts at e13c576 (arrays swapped per round), for same-run comparison.
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
 * Fairness, stated and tested (test/scheduler.test.ts):
 * - Node's event loop: fibers run at most one budget (1 ms by default, plus the tasks of the round
 *   in progress) before the scheduler hands the turn back with a `setImmediate`, so timers and I/O
 *   callbacks wait at most about one budget per turn of the loop while fibers keep yielding (a
 *   1 ms interval timer keeps firing every 1-2 ms, a loopback socket's round trip takes a few
 *   milliseconds at most), as with a CPU-bound asyncio task.
 * - Promise callbacks run at least every 8 rounds (the scheduler hops to a microtask), Node's
 *   `process.nextTick` callbacks at least every 64 rounds.
 * - Fibers: one FIFO queue, in the order they were scheduled; a round runs the tasks queued when
 *   it starts. Effect's operation budget (`Scheduler.MaxOpsBeforeYield`) still applies.
 *
 * Semantics do not change: a yield is still a yield. Under a custom scheduler (the TestClock's,
 * `autojump`'s) `withBatchingScheduler` leaves it in place.
 *
 * @since 0.1.0
 */
import { Effect, type Fiber, Function as Fn, Layer, Scheduler } from "effect"
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
  for (let i = 0; i < tasks.length; i++) runOne(tasks[i]!)
}

const runOne = (task: Task): void => {
  try {
    task()
  } catch (error) {
    queueMicrotask(() => {
      throw error
    })
  }
}

const IDLE = 0
/** A macrotask (setImmediate) will start the next turn. */
const WAITING = 1
/** Inside a turn: a round is running or queued (microtask / nextTick). */
const TURN = 2

/**
 * Rounds run back to back, up to this many (or until {@link TASKS_PER_HOP} tasks have run), before
 * the scheduler hops to a microtask (so that promise callbacks run) and checks the time:
 * `performance.now()` and the hop cost about as much as a whole round of a single fiber.
 */
const ROUNDS_PER_HOP = 8
const TASKS_PER_HOP = 64
/**
 * Every how many hops the hop is a `process.nextTick` instead of a microtask: a chain of microtasks
 * would keep Node's ticks (stream events, write callbacks) waiting until the turn ends, a chain of
 * ticks would do the same to promise callbacks. A tick costs several microtask hops.
 */
const TICK_EVERY = 8

// A hop is `then` on a resolved promise: Node's `queueMicrotask` allocates an AsyncResource per
// call (about three times the cost).
const resolved = Promise.resolve()

const nextTick: (f: () => void) => void =
  typeof process === "object" && typeof process?.nextTick === "function"
    ? (f) => process.nextTick(f)
    : (f) => {
        resolved.then(f)
      }

/**
 * One queue for every fiber of the scheduler (it is its own dispatcher: Effect asks for one per
 * fiber, and sharing it is what lets a round run every fiber that yielded).
 *
 * Turns and rounds: a turn starts in a macrotask (`setImmediate`, after Node's timers and I/O
 * have had their turn) and opens a window of `budget` ms. In the window, rounds run one after the
 * other; a round runs the tasks queued when it starts (what they schedule goes to the next round),
 * and every few rounds ({@link ROUNDS_PER_HOP}) the scheduler hops to a microtask, every
 * {@link TICK_EVERY}th hop to a `process.nextTick`, so that promise callbacks and Node's ticks
 * (stream events, write callbacks) run in between; it checks the time at each hop.
 * When the queue empties the scheduler goes idle; a task scheduled while the window is still open
 * (a fiber resumed by a promise or an I/O callback) starts a round in a microtask, one scheduled
 * after it waits for the next macrotask. Once the window has passed, the next round waits for a
 * `setImmediate`: Node's event loop runs (timers, I/O polling) at least once per `budget`.
 */
class BatchingScheduler implements Scheduler.Scheduler, Scheduler.SchedulerDispatcher {
  readonly executionMode = "async" as const
  private readonly budgetMs: number
  /** Priority-0 tasks (all of Effect's own), FIFO. */
  private ready: Array<Task> = []
  /** The array of the previous round, emptied, reused for the next (undefined while in use). */
  private spare: Array<Task> | undefined = []
  /** Other priorities, ascending (lower runs first, as in Effect's scheduler); rare. */
  private others: Array<[number, Array<Task>]> = []
  private state = IDLE
  /** When the current window ends (ms, `performance.now()`). */
  private windowEnds = Number.NEGATIVE_INFINITY
  private hops = 0

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
    if (this.state === IDLE) this.wake()
  }

  flush(): void {
    while (this.pending()) this.round()
  }

  private wake(): void {
    if (performance.now() < this.windowEnds) {
      this.state = TURN
      resolved.then(this.nextRound)
    } else {
      this.state = WAITING
      setImmediate(this.startTurn)
    }
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

  /** Runs what is queued now; what those tasks schedule waits for the next round. Returns how many ran. */
  private round(): number {
    const tasks = this.ready
    const count = tasks.length
    if (count === 1 && this.others.length === 0) {
      // The common round of a single yielding fiber: no swap; what it schedules lands in the
      // emptied queue, for the next round.
      const task = tasks[0]!
      tasks.length = 0
      runOne(task)
      return 1
    }
    this.ready = this.spare ?? []
    this.spare = undefined
    if (this.others.length === 0) {
      runAll(tasks)
    } else {
      const buckets = this.others
      this.others = []
      let zeroDone = false
      for (const [priority, bucket] of buckets) {
        if (!zeroDone && priority > 0) {
          zeroDone = true
          runAll(tasks)
        }
        runAll(bucket)
      }
      if (!zeroDone) runAll(tasks)
    }
    tasks.length = 0
    this.spare = tasks
    return count
  }

  private readonly startTurn = (): void => {
    this.windowEnds = performance.now() + this.budgetMs
    this.state = TURN
    this.nextRound()
  }

  private readonly nextRound = (): void => {
    let ran = this.round()
    for (let r = 1; r < ROUNDS_PER_HOP && ran < TASKS_PER_HOP && this.pending(); r++) ran += this.round()
    if (!this.pending()) {
      this.state = IDLE
    } else if (performance.now() < this.windowEnds) {
      if (++this.hops % TICK_EVERY === 0) nextTick(this.nextRound)
      else resolved.then(this.nextRound)
    } else {
      this.state = WAITING
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
