/**
 * The machinery of `autojump` (`Testing.ts` holds its public face): the virtual-time world that is
 * the scheduler and the clock of an autojump run, and its pending sleeps.
 *
 * @internal
 */
import { type Clock, Duration, Effect, Fiber, type Scheduler } from "effect"
import type { AutojumpOptions } from "../Testing.ts"
import { Heap, type HeapItem } from "./heap.ts"
import { type IdleAware, ScheduleEachTask, WhenIdle } from "./idle.ts"
import { renderTree, type TaskNode } from "./task.ts"
import { scheduleWake } from "./waitQueue.ts"

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
export class World implements Scheduler.Scheduler, Clock.Clock, IdleAware {
  readonly executionMode = "async" as const
  nowMillis = 0
  #queue: Array<() => void> = []
  #head = 0
  /** Pending sleeps, earliest first (equal times: in the order they began). */
  readonly #sleepers = new Heap<Sleeper>(sleeperBefore)
  #seq = 0
  /** A turn is running or scheduled (setImmediate): scheduling a task needs nothing more. */
  #pumping = false
  #idleTurns = 0
  done = false
  onDeadlock: ((message: string) => void) | undefined = undefined
  /** The program's root task, for the deadlock report. */
  root: TaskNode | undefined = undefined
  /** Clock jumps so far (for benchmarks and tests). */
  jumps = 0
  readonly #random: (() => number) | undefined
  readonly #maxIdleTurns: number

  constructor(options: AutojumpOptions | undefined) {
    this.#random = options?.shuffleSeed === undefined ? undefined : prng(options.shuffleSeed)
    this[ScheduleEachTask] = options?.shuffleSeed !== undefined
    this.#maxIdleTurns = options?.idleTurns ?? 3
  }

  /** In shuffle mode, tasks are scheduled one by one so that their order can be shuffled. */
  readonly [ScheduleEachTask]: boolean
  #idleWaiters: Array<() => void> = []
  readonly [WhenIdle] = (callback: () => void): void => {
    this.#idleWaiters.push(callback)
    this.#pump()
  }

  // Scheduler ---------------------------------------------------------------------------------
  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return fiber.currentOpCount >= fiber.cache.maxOpsBeforeYield
  }
  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return {
      scheduleTask: (task) => this.schedule(task),
      flush: () => {
        this.#drain(Number.POSITIVE_INFINITY)
      }
    }
  }
  schedule(task: () => void): void {
    this.#queue.push(task)
    this.#idleTurns = 0
    this.#pump()
  }
  #pump(): void {
    if (this.#pumping || this.done) return
    this.#pumping = true
    setImmediate(this.#turn)
  }
  #next(): (() => void) | undefined {
    const size = this.#queue.length - this.#head
    if (size === 0) return undefined
    if (this.#random !== undefined && size > 1) {
      const i = this.#head + Math.floor(this.#random() * size)
      const task = this.#queue[i]!
      this.#queue[i] = this.#queue[this.#head]!
      this.#queue[this.#head++] = task
      return task
    }
    return this.#queue[this.#head++]
  }
  /** Runs ready tasks, up to `budget` of them; returns how many ran. */
  #drain(budget: number): number {
    let n = 0
    let task: (() => void) | undefined
    while (n < budget && (task = this.#next()) !== undefined) {
      n++
      task()
    }
    if (this.#head < this.#queue.length) {
      // Out of budget: keep the tasks still queued, drop the ones that ran.
      this.#queue = this.#queue.slice(this.#head)
    } else {
      this.#queue.length = 0
    }
    this.#head = 0
    return n
  }
  /**
   * One turn of the world, from `setImmediate`: run ready tasks; once none is ready, wake
   * `waitAllTasksBlocked` callers, else jump the clock to the next sleeper, else give outside
   * promises a few turns of the real event loop, else report a deadlock.
   */
  readonly #turn = (): void => {
    let steps = STEPS_PER_TURN
    try {
      for (;;) {
        if (this.done) {
          this.#pumping = false
          return
        }
        steps -= this.#drain(steps)
        if (this.#queue.length > 0) break
        if (this.#idleWaiters.length > 0) {
          // Every fiber is blocked: wake `waitAllTasksBlocked` callers before moving the clock.
          const waiters = this.#idleWaiters
          this.#idleWaiters = []
          for (const w of waiters) w()
          continue
        }
        if (this.#sleepers.size > 0) {
          if (--steps <= 0) break
          this.#jump()
          continue
        }
        if (++this.#idleTurns <= this.#maxIdleTurns) break
        this.onDeadlock?.(
          `deadlock: every task is blocked and no timer is pending (virtual time ${this.nowMillis / 1000}s)\n${this.root === undefined ? "" : renderTree(undefined, [this.root])}`
        )
        // Look again later: the interrupted program may still be unwinding (or may never end).
        this.#idleTurns = 0
        break
      }
    } catch (error) {
      // A task threw out of the fiber runtime (a bug): keep the world running, report the error.
      this.#pumping = false
      this.#pump()
      throw error
    }
    // Let the real event loop run once, then go on.
    if (this.done) this.#pumping = false
    else setImmediate(this.#turn)
  }
  /** Advances the clock to the earliest sleeper and wakes every sleeper due then, in order. */
  #jump(): void {
    const sleepers = this.#sleepers
    const first = sleepers.peek()!
    if (first.at > this.nowMillis) this.nowMillis = first.at
    this.jumps++
    // Sleeps that begin while these wake up wait for the next jump, even when due now.
    const seqLimit = this.#seq
    sleepers.remove(first)
    let s = sleepers.peek()
    if (s === undefined || s.at > this.nowMillis) {
      // The only sleeper due, and the run queue is empty (a jump happens only then): its wake-up
      // would be the next task run, with nothing between, so resume it here. This is the ticker's
      // path, and saves the scheduled task's allocations and queue round trip.
      this.#idleTurns = 0
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
  #nanosOf = 0
  #nanos = 0n
  currentTimeNanosUnsafe(): bigint {
    if (this.#nanosOf !== this.nowMillis) {
      this.#nanosOf = this.nowMillis
      this.#nanos = BigInt(Math.round(this.nowMillis * 1e6))
    }
    return this.#nanos
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
      const sleeper = new Sleeper(this.nowMillis + millis, this.#seq++, Fiber.getCurrent()!, resume)
      this.#sleepers.push(sleeper)
      return Effect.sync(() => this.#sleepers.remove(sleeper))
    })
  }
}
