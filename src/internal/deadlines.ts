/**
 * Deadline timers of cancel scopes: one timer per clock, set for the earliest armed deadline,
 * instead of a timer fiber (and a Node timer) per scope. AnyIO's event loops keep deadlines the
 * same way, in a heap checked by the loop. A scope that finishes before its deadline (the common
 * case: `moveOnAfter(10, request)`) then costs a heap insertion and removal, not a fiber fork, a
 * `setTimeout`, an interruption and a `clearTimeout`.
 *
 * - Effect's default clock: a plain Node timer. It is kept, but unref'd, while no deadline is
 *   armed (so a finished program exits at once) and re-used when the next deadline is not earlier
 *   (a loop of timeouts sets one Node timer per timer period, not one per scope).
 * - Any other clock (the TestClock, `autojump`'s world): a fiber sleeping on that clock, so virtual
 *   time drives deadlines exactly as before; it is interrupted when no deadline is armed.
 *
 * @internal
 */
import { Clock, Context, Duration, Effect, type Fiber } from "effect"
import { together } from "./trampoline.ts"

/** What a deadline belongs to: the plumbing of an entered cancel scope (`CancelStatus` in scope.ts). */
export interface DeadlineOwner {
  /** The context a timer fiber on a custom clock runs in (the scope's host's). */
  readonly hostContext: Context.Context<never> | undefined
  /**
   * Its deadline has passed (it is no longer armed then): records the cancellation and returns
   * whether it must still be delivered (by `deliverDeadline`). Deadlines due in one tick are all
   * recorded first, then delivered.
   */
  onDeadline(): boolean
  deliverDeadline(): void
}

/**
 * One slot of a queue's heap: allocated the first time a scope arms its deadline (most scopes finish
 * before they suspend and never do), then re-used by that scope.
 *
 * Invariants: `heapIndex >= 0` iff `queue !== undefined` iff the entry is in `queue`'s heap at that
 * index; `armedFor` is only meaningful while armed.
 */
export class DeadlineEntry {
  /** Position in its queue's heap; -1 when not armed. */
  heapIndex = -1
  /** The deadline it is armed for (seconds, on its clock). */
  armedFor = 0
  /** Arming order: equal deadlines fire in the order they were armed (sleepers FIFO). */
  seq = 0
  /** Its queue while armed. */
  queue: DeadlineQueue | undefined = undefined
  /**
   * Discarded ({@link DeadlineQueue.discard}): disarmed but still in the heap until the queue drops
   * it. Such an entry is never armed again.
   */
  discarded = false
  readonly owner: DeadlineOwner
  constructor(owner: DeadlineOwner) {
    this.owner = owner
  }
}

/** Heap order: earlier deadline first, then earlier arming. */
const before = (a: DeadlineEntry, b: DeadlineEntry): boolean =>
  a.armedFor < b.armedFor || (a.armedFor === b.armedFor && a.seq < b.seq)

/** Node's timers fire at once past this delay (about 24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Effect's default clock (real time). @internal */
export const defaultClock = Context.get(Context.empty(), Clock.Clock)

/** A clock's monotonic time in seconds (what deadlines are measured in). */
export const clockSeconds = (clock: Clock.Clock): number => Number(clock.monotonicTimeNanosUnsafe()) / 1e9

const queues = new WeakMap<Clock.Clock, DeadlineQueue>()

/** The queue of the clock in `context`. */
export const queueOf = (context: Context.Context<never>): DeadlineQueue =>
  queueOfClock(Context.get(context, Clock.Clock))

/** The queue of `clock`. */
export const queueOfClock = (clock: Clock.Clock): DeadlineQueue => {
  let queue = queues.get(clock)
  if (queue === undefined) {
    queue = new DeadlineQueue(clock)
    queues.set(clock, queue)
  }
  return queue
}

/** No live (armed, not discarded) entry left. */
const noneArmed = (queue: DeadlineQueue): boolean => queue.liveCount() === 0

export class DeadlineQueue {
  private readonly clock: Clock.Clock
  /** Binary min-heap on `armedFor`. */
  private readonly heap: Array<DeadlineEntry> = []
  /** When the pending timer fires (seconds); Infinity: none pending. */
  private timerAt = Number.POSITIVE_INFINITY
  private nodeTimer: ReturnType<typeof setTimeout> | undefined = undefined
  private fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  private nextSeq = 0
  /** Set while due deadlines fire: arming inside waits for the loop's own re-arm. */
  private firing = false
  /** Discarded entries still in the heap (see {@link discard}). */
  private discardedCount = 0

  constructor(clock: Clock.Clock) {
    this.clock = clock
  }

  now(): number {
    return clockSeconds(this.clock)
  }

  /** How many entries are armed. */
  liveCount(): number {
    return this.heap.length - this.discardedCount
  }

  /** Arms `item` for `deadline` (it must not be armed). */
  add(item: DeadlineEntry, deadline: number): void {
    const heap = this.heap
    item.armedFor = deadline
    item.seq = this.nextSeq++
    item.queue = this
    item.heapIndex = heap.length
    heap.push(item)
    this.up(item.heapIndex)
    if (this.firing) return
    if (deadline < this.timerAt) this.schedule(item)
    else if (this.nodeTimer !== undefined && heap.length - this.discardedCount === 1) this.nodeTimer.ref()
  }

  /** Disarms `item` (if armed). */
  remove(item: DeadlineEntry): void {
    if (item.heapIndex < 0 || item.discarded) return
    this.extract(item)
    if (noneArmed(this) && !this.firing) this.idle()
  }

  /**
   * Disarms `item` (if armed) for good: it will not be armed again (a sleeper's entry). It stays in
   * the heap, skipped when it comes due, until the heap is mostly such entries, then they are
   * dropped all at once. Cancelling many sleepers (a task group of 100,000 sleeping tasks) then costs
   * O(1) each instead of a sift through the heap, as Node's own timer lists do for Effect's `sleep`.
   */
  discard(item: DeadlineEntry): void {
    if (item.heapIndex < 0 || item.discarded) return
    item.discarded = true
    item.queue = undefined
    const heap = this.heap
    if (item.heapIndex === heap.length - 1) {
      heap.pop()
      item.heapIndex = -1
    } else if (++this.discardedCount * 2 > heap.length && heap.length > 64) this.compact()
    if (noneArmed(this) && !this.firing) {
      this.compact()
      this.idle()
    }
  }

  /** Drops the discarded entries and rebuilds the heap (O(n), amortized over the discards). */
  private compact(): void {
    const heap = this.heap
    let j = 0
    for (let i = 0; i < heap.length; i++) {
      const item = heap[i]!
      if (item.discarded) item.heapIndex = -1
      else {
        heap[j] = item
        item.heapIndex = j++
      }
    }
    heap.length = j
    this.discardedCount = 0
    for (let i = (j >> 1) - 1; i >= 0; i--) this.down(i)
  }

  /** Takes `item` out of the heap. */
  private extract(item: DeadlineEntry): void {
    const i = item.heapIndex
    item.heapIndex = -1
    item.queue = undefined
    if (item.discarded) this.discardedCount--
    const heap = this.heap
    const last = heap.pop()!
    if (i < heap.length) {
      heap[i] = last
      last.heapIndex = i
      this.down(i)
      this.up(last.heapIndex)
    }
  }

  /** Nothing armed: the real-clock timer stays (re-used) but no longer keeps Node alive. */
  private idle(): void {
    if (this.nodeTimer !== undefined) {
      this.nodeTimer.unref()
    } else if (this.fiber !== undefined) {
      const fiber = this.fiber
      this.fiber = undefined
      this.timerAt = Number.POSITIVE_INFINITY
      fiber.interruptUnsafe()
    }
  }

  /** Sets the timer for `first`, the earliest armed item. */
  private schedule(first: DeadlineEntry): void {
    const at = first.armedFor
    const now = this.now()
    const delayMs = Math.max(0, (at - now) * 1000)
    if (this.clock === defaultClock) {
      if (this.nodeTimer !== undefined) clearTimeout(this.nodeTimer)
      // Past Node's limit the timer stands for an earlier time, at which the rest is re-armed.
      const waitMs = Math.min(Math.ceil(delayMs), MAX_TIMER_MS)
      this.timerAt = waitMs === MAX_TIMER_MS ? now + waitMs / 1000 : at
      this.nodeTimer = setTimeout(this.onTimer, waitMs)
      return
    }
    this.timerAt = at
    const previous = this.fiber
    this.fiber = undefined
    previous?.interruptUnsafe()
    const fiber = Effect.runForkWith(first.owner.hostContext!)(Effect.sleep(Duration.millis(delayMs)))
    this.fiber = fiber
    fiber.addObserver((exit) => {
      if (exit._tag === "Success" && this.fiber === fiber) this.onTimer()
    })
  }

  private readonly onTimer = (): void => {
    // The timer was set for `timerAt`: once it fires, that deadline counts as reached even if the
    // clock reads a hair earlier (a Node timer's millisecond rounding, a sub-millisecond virtual
    // sleep), as when each scope had its own sleep.
    const now = Math.max(this.now(), this.timerAt)
    this.nodeTimer = undefined
    this.fiber = undefined
    this.timerAt = Number.POSITIVE_INFINITY
    const heap = this.heap
    this.firing = true
    try {
      // Deadlines due together are cancelled together (AnyIO): every one is recorded before any is
      // delivered, so that the outermost of nested scopes with equal deadlines catches, and the
      // deliveries all land before a cancelled body's host goes on (`together`). Delivering runs
      // cancellation code, which may arm scopes that are due already: the heap is re-read.
      while (heap.length > 0 && heap[0]!.armedFor <= now) {
        const due: Array<DeadlineOwner> = []
        while (heap.length > 0 && heap[0]!.armedFor <= now) {
          const item = heap[0]!
          const discarded = item.discarded
          this.extract(item)
          if (!discarded && item.owner.onDeadline()) due.push(item.owner)
        }
        together(() => {
          for (const owner of due) owner.deliverDeadline()
        })
      }
    } finally {
      this.firing = false
    }
    this.dropDiscardedRoots()
    if (heap.length > 0) this.schedule(heap[0]!)
    else this.idle()
  }

  /** Pops discarded entries off the top, so that the timer is set for a live deadline. */
  private dropDiscardedRoots(): void {
    const heap = this.heap
    while (heap.length > 0 && heap[0]!.discarded) this.extract(heap[0]!)
  }

  private up(i: number): void {
    const heap = this.heap
    const item = heap[i]!
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = heap[p]!
      if (!before(item, parent)) break
      heap[i] = parent
      parent.heapIndex = i
      i = p
    }
    heap[i] = item
    item.heapIndex = i
  }

  private down(i: number): void {
    const heap = this.heap
    const n = heap.length
    const item = heap[i]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && before(heap[r]!, heap[l]!) ? r : l
      const child = heap[c]!
      if (!before(child, item)) break
      heap[i] = child
      child.heapIndex = i
      i = c
    }
    heap[i] = item
    item.heapIndex = i
  }
}
