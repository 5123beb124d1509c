/**
 * Testing utilities: run a program on a virtual clock that jumps straight to the next timer
 * whenever every task is blocked (trio's `MockClock(autojump_threshold=0)`), with deterministic
 * scheduling, an optional seeded shuffle of ready tasks, and a failure instead of a hang when the
 * program deadlocks.
 *
 * @since 0.1.0
 */
import { Clock, Context, Data, Duration, Effect, Fiber, Scheduler } from "effect"
import { Heap, type HeapItem } from "./internal/heap.ts"
import { type IdleAware, ScheduleEachTask, WhenIdle } from "./internal/idle.ts"
import { CurrentTask, makeRootTask, renderTree, type TaskNode } from "./internal/task.ts"
import { scheduleWake } from "./internal/waitQueue.ts"

/**
 * The program under {@link autojump} can make no progress: every task is blocked and no timer is
 * pending.
 *
 * @category errors
 */
export class DeadlockError extends Data.TaggedError("DeadlockError")<{
  readonly message: string
  readonly virtualTime: number
}> {}

/**
 * Options of {@link autojump}.
 *
 * @category models
 */
export interface AutojumpOptions {
  /**
   * Run ready tasks in a random order drawn from this seed (reproducible: the same seed gives the
   * same order), instead of first-in first-out.
   */
  readonly shuffleSeed?: number | undefined
  /**
   * How many idle turns of the real event loop to wait before calling the program deadlocked when
   * no timer is pending (promises from outside may still resolve). Default 3.
   */
  readonly idleTurns?: number | undefined
}

/** A pending sleep of one fiber: what `jump` wakes. */
class Sleeper implements HeapItem {
  heapIndex = -1
  readonly at: number
  readonly seq: number
  readonly fiber: Fiber.Fiber<unknown, unknown>
  readonly resume: (effect: Effect.Effect<void>) => void
  constructor(
    at: number,
    seq: number,
    fiber: Fiber.Fiber<unknown, unknown>,
    resume: (effect: Effect.Effect<void>) => void
  ) {
    this.at = at
    this.seq = seq
    this.fiber = fiber
    this.resume = resume
  }
}

const sleeperBefore = (a: Sleeper, b: Sleeper): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** Schedules a sleeper's wake-up on its fiber's dispatcher (see `scheduleWake`). */
const wake = (s: Sleeper): void => scheduleWake(s.fiber, () => s.resume(Effect.void))

/**
 * Steps (tasks run or clock jumps) of one turn of the world before it lets the real event loop
 * run: a program that never blocks, or a ticker of a million virtual seconds, still lets outside
 * callbacks (I/O, worker replies) in, and the real loop never starves.
 */
const STEPS_PER_TURN = 16_384

/** xorshift32: small, fast, reproducible. */
const prng = (seed: number): (() => number) => {
  let x = seed | 0 || 0x9e3779b9
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
}

/**
 * One virtual world: a run queue shared by every fiber of the program, and a clock. One loop
 * (`turn`) drains the queue, wakes `waitAllTasksBlocked` callers and jumps the clock, iteratively:
 * a million consecutive jumps use one stack frame each, not one more frame per jump.
 */
class World implements Scheduler.Scheduler, Clock.Clock, IdleAware {
  readonly executionMode = "async" as const
  nowMillis = 0
  private queue: Array<() => void> = []
  private head = 0
  /** Pending sleeps, earliest first (equal times: in the order they began). */
  private readonly sleepers = new Heap<Sleeper>(sleeperBefore)
  private seq = 0
  /** A turn is running or scheduled (setImmediate): scheduling a task needs nothing more. */
  private pumping = false
  private idleTurns = 0
  done = false
  onDeadlock: ((message: string) => void) | undefined = undefined
  /** The program's root task, for the deadlock report. */
  root: TaskNode | undefined = undefined
  /** Clock jumps so far (for benchmarks and tests). */
  jumps = 0
  private readonly random: (() => number) | undefined
  private readonly maxIdleTurns: number

  constructor(options: AutojumpOptions | undefined) {
    this.random = options?.shuffleSeed === undefined ? undefined : prng(options.shuffleSeed)
    this[ScheduleEachTask] = options?.shuffleSeed !== undefined
    this.maxIdleTurns = options?.idleTurns ?? 3
  }

  /** In shuffle mode, tasks are scheduled one by one so that their order can be shuffled. */
  readonly [ScheduleEachTask]: boolean
  private idleWaiters: Array<() => void> = []
  readonly [WhenIdle] = (callback: () => void): void => {
    this.idleWaiters.push(callback)
    this.pump()
  }

  // Scheduler ---------------------------------------------------------------------------------
  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return fiber.currentOpCount >= fiber.cache.maxOpsBeforeYield
  }
  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return {
      scheduleTask: (task) => this.schedule(task),
      flush: () => {
        this.drain(Number.POSITIVE_INFINITY)
      }
    }
  }
  schedule(task: () => void): void {
    this.queue.push(task)
    this.idleTurns = 0
    this.pump()
  }
  private pump(): void {
    if (this.pumping || this.done) return
    this.pumping = true
    setImmediate(this.turn)
  }
  private next(): (() => void) | undefined {
    const size = this.queue.length - this.head
    if (size === 0) return undefined
    if (this.random !== undefined && size > 1) {
      const i = this.head + Math.floor(this.random() * size)
      const task = this.queue[i]!
      this.queue[i] = this.queue[this.head]!
      this.queue[this.head++] = task
      return task
    }
    return this.queue[this.head++]
  }
  /** Runs ready tasks, up to `budget` of them; returns how many ran. */
  private drain(budget: number): number {
    let n = 0
    let task: (() => void) | undefined
    while (n < budget && (task = this.next()) !== undefined) {
      n++
      task()
    }
    if (this.head < this.queue.length) {
      // Out of budget: keep the tasks still queued, drop the ones that ran.
      this.queue = this.queue.slice(this.head)
    } else {
      this.queue.length = 0
    }
    this.head = 0
    return n
  }
  /**
   * One turn of the world, from `setImmediate`: run ready tasks; once none is ready, wake
   * `waitAllTasksBlocked` callers, else jump the clock to the next sleeper, else give outside
   * promises a few turns of the real event loop, else report a deadlock.
   */
  private readonly turn = (): void => {
    let steps = STEPS_PER_TURN
    try {
      for (;;) {
        if (this.done) {
          this.pumping = false
          return
        }
        steps -= this.drain(steps)
        if (this.queue.length > 0) break
        if (this.idleWaiters.length > 0) {
          // Every fiber is blocked: wake `waitAllTasksBlocked` callers before moving the clock.
          const waiters = this.idleWaiters
          this.idleWaiters = []
          for (const w of waiters) w()
          continue
        }
        if (this.sleepers.size > 0) {
          if (--steps <= 0) break
          this.jump()
          continue
        }
        if (++this.idleTurns <= this.maxIdleTurns) break
        this.onDeadlock?.(
          `deadlock: every task is blocked and no timer is pending (virtual time ${this.nowMillis / 1000}s)\n${this.root === undefined ? "" : renderTree(undefined, [this.root])}`
        )
        // Look again later: the interrupted program may still be unwinding (or may never end).
        this.idleTurns = 0
        break
      }
    } catch (error) {
      // A task threw out of the fiber runtime (a bug): keep the world running, report the error.
      this.pumping = false
      this.pump()
      throw error
    }
    // Let the real event loop run once, then go on.
    if (this.done) this.pumping = false
    else setImmediate(this.turn)
  }
  /** Advances the clock to the earliest sleeper and wakes every sleeper due then, in order. */
  private jump(): void {
    const sleepers = this.sleepers
    const first = sleepers.peek()!
    if (first.at > this.nowMillis) this.nowMillis = first.at
    this.jumps++
    // Sleeps that begin while these wake up wait for the next jump, even when due now.
    const seqLimit = this.seq
    sleepers.remove(first)
    let s = sleepers.peek()
    if (s === undefined || s.at > this.nowMillis) {
      // The only sleeper due, and the run queue is empty (a jump happens only then): its wake-up
      // would be the next task run, with nothing between, so resume it here. This is the ticker's
      // path, and saves the scheduled task's allocations and queue round trip.
      this.idleTurns = 0
      first.resume(Effect.void)
      return
    }
    // Several due: each wake-up is scheduled (FIFO) before any of them runs, as asyncio readies
    // every due timer first, so one that wakes and fails cannot cancel another due with it.
    wake(first)
    while (s !== undefined && s.at <= this.nowMillis && s.seq < seqLimit) {
      sleepers.remove(s)
      wake(s)
      s = sleepers.peek()
    }
  }

  // Clock -------------------------------------------------------------------------------------
  currentTimeMillisUnsafe(): number {
    return this.nowMillis
  }
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.nowMillis)
  // The time moves only at jumps, and deadlines read it several times per scope: convert once.
  private nanosOf = 0
  private nanos = 0n
  currentTimeNanosUnsafe(): bigint {
    if (this.nanosOf !== this.nowMillis) {
      this.nanosOf = this.nowMillis
      this.nanos = BigInt(Math.round(this.nowMillis * 1e6))
    }
    return this.nanos
  }
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.currentTimeNanosUnsafe())
  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }
  readonly monotonicTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.currentTimeNanosUnsafe())
  sleep(duration: Duration.Duration): Effect.Effect<void> {
    const millis = Duration.toMillis(duration)
    if (!(millis > 0)) return Effect.yieldNow
    if (!Number.isFinite(millis)) return Effect.never
    // `register` runs inside the sleeping fiber's step, so the current fiber is the sleeper (one
    // primitive less per sleep than `Effect.withFiber`).
    return Effect.callback<void>((resume) => {
      const sleeper = new Sleeper(this.nowMillis + millis, this.seq++, Fiber.getCurrent()!, resume)
      this.sleepers.push(sleeper)
      return Effect.sync(() => this.sleepers.remove(sleeper))
    })
  }
}

/**
 * The ids of a deadlock report numbered per report, so that a report is the same on every run
 * (ids are process-wide counters: they depend on what ran before, e.g. earlier tests). Each kind
 * (`task #`, `task '...' (#n)`, `group #`, `cancel scope #`, `Lock #`, `Event #`, `memory stream #`,
 * ...) is numbered from 1 in creation order of the ones the report shows.
 */
const renumberIds = (report: string): string => {
  // `Word #n`, a task's `(#n)`, and a default task name `'Task-n'` (named after the task's id).
  const pattern = /(\w+) #(\d+)|\(#(\d+)\)|'Task-(\d+)'/g
  const seen = new Map<string, Set<number>>()
  for (const m of report.matchAll(pattern)) {
    const kind = m[1] ?? "task"
    let ids = seen.get(kind)
    if (ids === undefined) seen.set(kind, (ids = new Set()))
    ids.add(Number(m[2] ?? m[3] ?? m[4]))
  }
  const numbering = new Map<string, Map<number, number>>()
  for (const [kind, ids] of seen)
    numbering.set(kind, new Map([...ids].sort((a, b) => a - b).map((id, i) => [id, i + 1])))
  return report.replace(pattern, (_text, word?: string, id?: string, taskId?: string, nameId?: string) => {
    const n = numbering.get(word ?? "task")!.get(Number(id ?? taskId ?? nameId))!
    return word !== undefined ? `${word} #${n}` : taskId !== undefined ? `(#${n})` : `'Task-${n}'`
  })
}

/**
 * Runs `effect` on a virtual clock that starts at 0 and jumps straight to the next pending timer
 * whenever every task is blocked. An hour of sleeps in a tree of task groups with timeouts takes
 * milliseconds of real time, and `currentTime()` shows the virtual time.
 *
 * **When to use**: in tests of code that uses effect-anyio (or plain Effect sleeps and timeouts),
 * instead of advancing the `TestClock` by hand.
 *
 * **Details**
 *
 * - Every fiber of the program runs on one first-in first-out run queue, so the same program gives
 *   the same order of events on every run. With `shuffleSeed`, ready tasks run in a random order
 *   drawn from the seed (reproducible), to flush out order-dependent bugs; the seed is in the
 *   failure message of a deadlock.
 * - When every task is blocked and no timer is pending, the program is interrupted and the result
 *   fails with {@link DeadlockError} instead of hanging.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup, currentTime, sleep } from "effect-anyio"
 * import { autojump } from "effect-anyio/testing"
 * const program = Effect.gen(function* () {
 *   yield* createTaskGroup((tg) => tg.startSoon(sleep(3600)))
 *   return yield* currentTime() // 3600, after a few milliseconds of real time
 * })
 * const test = autojump(program)
 * ```
 * @category testing
 */
export const autojump = <A, E>(
  effect: Effect.Effect<A, E>,
  options?: AutojumpOptions
): Effect.Effect<A, E | DeadlockError> =>
  Effect.withFiber((parent) => {
    const world = new World(options)
    // The program is a root task of its own ('main'), also when `autojump` runs inside a task: the
    // deadlock report lists the program's tasks only, lock ownership does not leak across the
    // boundary, and plain fibers the program forks belong to it (their waits are reported).
    const root = makeRootTask("main")
    world.root = root
    const context = Context.add(
      Context.add(Context.add(parent.context, Scheduler.Scheduler, world), Clock.Clock, world),
      CurrentTask,
      root
    )
    let fiber: Fiber.Fiber<A, E> | undefined
    let deadlock: string | undefined
    let finish: ((effect: Effect.Effect<A, E | DeadlockError>) => void) | undefined
    const deadlockError = () => new DeadlockError({ message: deadlock!, virtualTime: world.nowMillis / 1000 })
    world.onDeadlock = (message) => {
      if (deadlock !== undefined) {
        // Interrupting did not end it (it waits uninterruptibly, e.g. in a shielded scope): give
        // up on the program and report.
        world.done = true
        finish?.(Effect.fail(deadlockError()))
        return
      }
      const report = renumberIds(message)
      deadlock =
        options?.shuffleSeed === undefined ? report : `${report} [shuffleSeed ${options.shuffleSeed}]`
      fiber?.interruptUnsafe()
    }
    return Effect.callback<A, E | DeadlockError>((resume) => {
      let resumed = false
      finish = (effect) => {
        if (resumed) return
        resumed = true
        resume(effect)
      }
      // Start the program from inside the world so that its first steps are on the run queue too.
      world.schedule(() => {
        fiber = Effect.runForkWith(context)(effect)
        fiber.addObserver((exit) => {
          world.done = true
          finish!(deadlock !== undefined && exit._tag === "Failure" ? Effect.fail(deadlockError()) : exit)
        })
      })
      return Effect.sync(() => fiber?.interruptUnsafe())
    })
  })
