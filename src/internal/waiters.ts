/**
 * The waiter queue shared by the synchronization primitives (Event, Lock, Semaphore, Condition,
 * CapacityLimiter).
 *
 * Why not Effect's own `Semaphore`/`Latch`/`Deferred`: AnyIO's primitives are strictly FIFO, hand the
 * resource directly to the next waiter (so a freed slot cannot be stolen by a newcomer), have an owner
 * (Lock) or borrowers (CapacityLimiter), and report how many tasks wait. Effect's `Semaphore` wakes every
 * fitting waiter and lets them race (not FIFO, no hand-off, no owner); `Latch` has no waiter count. So
 * the primitives keep their own queue of parked fibers, built on two public Effect facts:
 *
 * - `Effect.callback(register)`: `register` runs synchronously when the fiber reaches it, so putting the
 *   waiter in the queue inside `register` is atomic with installing the canceler it returns. The
 *   canceler runs (synchronously, in the interrupter's call stack) if and only if the fiber is
 *   interrupted while suspended there; afterwards `resume` is ignored.
 * - `fiber.currentDispatcher.scheduleTask(task, 0)`: waking a waiter is scheduled, never run inline.
 *   `resume` runs the waiter's continuation synchronously, so waking inline would run the woken task's
 *   code inside the releaser's call stack (and a chain of hand-offs would grow the stack without bound).
 *   Effect's own `Semaphore` and `Latch` schedule their wake-ups the same way.
 *
 * Invariants (every primitive relies on them):
 * - A waiter is in exactly one of three states: queued (`queued`), granted (removed from the queue and
 *   given the resource, its resume scheduled but not yet run: `granted`), or done (resumed or cancelled).
 * - The thing a waiter waits for is assigned to it **when it is granted**, not when it runs. So between
 *   the grant and the scheduled resume, nobody else can take it; and if the waiter is interrupted in that
 *   window, its canceler finds `granted === true` and passes the resource on (or gives it back).
 * - The queue is an intrusive doubly linked list: push, shift and removal of a cancelled waiter are O(1).
 *
 * @internal
 */
import { Effect, type Fiber } from "effect"

/**
 * One parked fiber. Primitives extend it with what they need (the task that will own a lock, the
 * borrower of a capacity-limiter token, ...).
 * @internal
 */
export class Waiter {
  /** The parked fiber; its dispatcher schedules the wake-up. */
  readonly fiber: Fiber.Fiber<unknown, unknown>
  resume: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  prev: Waiter | undefined = undefined
  next: Waiter | undefined = undefined
  /** In the queue. */
  queued = false
  /** Removed from the queue by a grant/notification; the resume is scheduled. */
  granted = false

  constructor(fiber: Fiber.Fiber<unknown, unknown>) {
    this.fiber = fiber
  }
}

/**
 * FIFO queue of waiters (intrusive doubly linked list).
 * @internal
 */
export class WaiterQueue<W extends Waiter> {
  head: W | undefined = undefined
  tail: W | undefined = undefined
  size = 0

  push(w: W): void {
    w.queued = true
    w.prev = this.tail
    w.next = undefined
    if (this.tail === undefined) this.head = w
    else this.tail.next = w
    this.tail = w
    this.size++
  }

  shift(): W | undefined {
    const w = this.head
    if (w === undefined) return undefined
    this.head = w.next as W | undefined
    if (this.head === undefined) this.tail = undefined
    else this.head.prev = undefined
    w.next = undefined
    w.queued = false
    this.size--
    return w
  }

  /** Removes a queued waiter in O(1). Returns false if it was not queued. */
  remove(w: W): boolean {
    if (!w.queued) return false
    const prev = w.prev
    const next = w.next
    if (prev === undefined) this.head = next as W | undefined
    else prev.next = next
    if (next === undefined) this.tail = prev as W | undefined
    else next.prev = prev
    w.prev = undefined
    w.next = undefined
    w.queued = false
    this.size--
    return true
  }
}

const resumeVoid = (w: Waiter): void => {
  const resume = w.resume
  w.resume = undefined
  resume?.(Effect.void)
}

/**
 * Marks a waiter (already shifted or removed from its queue) as granted and schedules its resumption on
 * its own fiber's dispatcher, so that no caller, not even a plain setter outside any fiber, runs the
 * woken task's code inline.
 * @internal
 */
export const grant = (w: Waiter): void => {
  w.granted = true
  w.fiber.currentDispatcher.scheduleTask(() => resumeVoid(w), 0)
}
