/**
 * The machinery of the batching scheduler (`Scheduler.ts` holds its public face: options, constructors,
 * the default instance and the layer).
 *
 * @internal
 */
import type { Fiber, Scheduler } from "effect"

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
 * Rounds run back to back, up to this many (or until {@link TASKS_PER_HOP} tasks have run, a long
 * round being cut there), before the scheduler hops to a microtask (so that promise callbacks run)
 * and checks the time: `performance.now()` and the hop cost about as much as a whole round of a
 * single fiber.
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
 * and every few rounds ({@link ROUNDS_PER_HOP}) or {@link TASKS_PER_HOP} tasks (cutting a long
 * round, which goes on after the hop) the scheduler hops to a microtask, every
 * {@link TICK_EVERY}th hop to a `process.nextTick`, so that promise callbacks and Node's ticks
 * (stream events, write callbacks) run in between; it checks the time at each hop.
 * When the queue empties the scheduler goes idle; a task scheduled while the window is still open
 * (a fiber resumed by a promise or an I/O callback) starts a round in a microtask, one scheduled
 * after it waits for the next macrotask. Once the window has passed, the next round waits for a
 * `setImmediate`: Node's event loop runs (timers, I/O polling) at least once per `budget`.
 */
export class BatchingScheduler implements Scheduler.Scheduler, Scheduler.SchedulerDispatcher {
  readonly executionMode = "async" as const
  readonly #budgetMs: number
  /**
   * Priority-0 tasks (all of Effect's own), FIFO: a ring buffer (capacity a power of two) read at
   * `head`, `size` long. A ring, not arrays swapped per round: emptying an array (`length = 0`)
   * frees its backing store, and a single yielding fiber would pay an allocation per yield.
   */
  #ring: Array<Task | undefined> = new Array(64).fill(undefined)
  #mask = 63
  #head = 0
  #size = 0
  /** Tasks of the round in progress still to run (0: the next task starts a new round). */
  #roundLeft = 0
  /** Other priorities, ascending (lower runs first, as in Effect's scheduler); rare. */
  #others: Array<[number, Array<Task>]> = []
  #state = IDLE
  /** When the current window ends (ms, `performance.now()`). */
  #windowEnds = Number.NEGATIVE_INFINITY
  #hops = 0

  constructor(budgetMs: number) {
    this.#budgetMs = budgetMs
  }

  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return fiber.currentOpCount >= fiber.cache.maxOpsBeforeYield
  }

  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return this
  }

  scheduleTask(task: Task, priority: number): void {
    if (priority === 0) {
      if (this.#size > this.#mask) this.#grow()
      this.#ring[(this.#head + this.#size++) & this.#mask] = task
    } else {
      this.#scheduleOther(task, priority)
    }
    if (this.#state === IDLE) this.#wake()
  }

  flush(): void {
    this.#roundLeft = 0
    while (this.#pending()) this.#round()
  }

  #grow(): void {
    const old = this.#ring
    const ring = new Array<Task | undefined>(old.length * 2).fill(undefined)
    for (let i = 0; i < this.#size; i++) ring[i] = old[(this.#head + i) & this.#mask]
    this.#ring = ring
    this.#mask = ring.length - 1
    this.#head = 0
  }

  #wake(): void {
    if (performance.now() < this.#windowEnds) {
      this.#state = TURN
      resolved.then(this.#nextRound)
    } else {
      this.#state = WAITING
      setImmediate(this.#startTurn)
    }
  }

  #scheduleOther(task: Task, priority: number): void {
    const others = this.#others
    let i = 0
    while (i < others.length && others[i]![0] < priority) i++
    if (i < others.length && others[i]![0] === priority) others[i]![1].push(task)
    else others.splice(i, 0, [priority, [task]])
  }

  #pending(): boolean {
    return this.#size > 0 || this.#others.length > 0
  }

  /** Runs the priority-0 tasks queued now, `count` of them (what they schedule comes after). */
  #runReady(count: number): void {
    for (let i = 0; i < count && this.#size > 0; i++) {
      const at = this.#head
      // `ring` may have been replaced by a grow() in a task: read the current one.
      const task = this.#ring[at]!
      this.#ring[at] = undefined
      this.#head = (at + 1) & this.#mask
      this.#size--
      runOne(task)
    }
  }

  /**
   * A whole round: runs what is queued now, other priorities in order; what those tasks schedule
   * waits for the next round. Returns how many ran.
   */
  #round(): number {
    this.#roundLeft = 0
    const count = this.#size
    if (this.#others.length === 0) {
      this.#runReady(count)
      return count
    }
    const buckets = this.#others
    this.#others = []
    let zeroDone = false
    let ran = count
    for (const [priority, bucket] of buckets) {
      if (!zeroDone && priority > 0) {
        zeroDone = true
        this.#runReady(count)
      }
      ran += bucket.length
      runAll(bucket)
    }
    if (!zeroDone) this.#runReady(count)
    return ran
  }

  readonly #startTurn = (): void => {
    this.#windowEnds = performance.now() + this.#budgetMs
    this.#state = TURN
    this.#nextRound()
  }

  readonly #nextRound = (): void => {
    // Up to ROUNDS_PER_HOP rounds or TASKS_PER_HOP tasks, whichever comes first; a long round (many
    // fibers) is cut and goes on after the hop, in the same order: the time between two hops (and
    // two clock checks) is bounded by the task count, not by how many fibers are ready.
    let ran = 0
    let rounds = 0
    while (ran < TASKS_PER_HOP && this.#pending()) {
      if (this.#roundLeft === 0) {
        if (rounds === ROUNDS_PER_HOP) break
        rounds++
        if (this.#others.length > 0) {
          ran += this.#round()
          continue
        }
        this.#roundLeft = this.#size
      }
      const n = Math.min(this.#roundLeft, TASKS_PER_HOP - ran)
      this.#roundLeft -= n
      this.#runReady(n)
      ran += n
    }
    if (!this.#pending()) {
      this.#state = IDLE
    } else if (performance.now() < this.#windowEnds) {
      if (++this.#hops % TICK_EVERY === 0) nextTick(this.#nextRound)
      else resolved.then(this.#nextRound)
    } else {
      this.#state = WAITING
      setImmediate(this.#startTurn)
    }
  }
}
