/**
 * The waiter queue shared by the synchronization primitives (Event, Lock, Semaphore, Condition,
 * CapacityLimiter).
 *
 * Why not Effect's own `Semaphore`/`Latch`/`Deferred`: AnyIO's primitives hand the resource directly
 * to the next waiter (it belongs to the waiter from the moment it is woken, so a waiter cancelled
 * before it runs can pass it on), have an owner (Lock) or borrowers (CapacityLimiter), and report how
 * many tasks wait. Effect 4.1's `Semaphore` is FIFO too (first fit), but a wake-up reserves nothing:
 * the woken fiber takes its permits when it runs, and it has no owner; `Latch` has no waiter count.
 * So the primitives keep their own queue of parked fibers, built on these public Effect facts:
 *
 * - `Effect.callback(register)`: `register` runs synchronously when the fiber reaches it, so putting the
 *   waiter in the queue inside `register` is atomic with installing the canceler it returns. The
 *   canceler runs (synchronously, in the interrupter's call stack) if and only if the fiber is
 *   interrupted while suspended there; afterwards `resume` is ignored.
 * - `resume(effect)` runs the waiter's continuation synchronously, in the caller's call stack (Effect's
 *   `Deferred` wakes its waiters the same way). Waking inline is what makes a hand-off atomic: the waiter
 *   has left its wait before anyone can interrupt it, so, as in AnyIO and trio, a wait that completed wins
 *   over a cancellation requested afterwards (e.g. `event.set()` then cancelling the waiter: the waiter
 *   still sees the event). Every primitive updates its state **before** calling `grant`, so the woken
 *   task may re-enter the primitive (release, acquire again) safely.
 * - A wake-up is one bounded re-entry (`trampoline.ts`): chains of hand-offs (A releases to B, whose
 *   body releases to C, ...) run in line up to its depth bound, and past it the wake-up waits for the
 *   outermost one to return.
 *
 * Invariants (every primitive relies on them):
 * - A waiter is in exactly one of three states: queued (`queued`), granted (removed from the queue and
 *   given the resource: `granted`; normally resumed at once, or its resume deferred), or done.
 * - The thing a waiter waits for is assigned to it **when it is granted**, not when it runs. So between
 *   the grant and a deferred resume, nobody else can take it; and if the waiter is interrupted in that
 *   window, its canceler finds `granted === true` and passes the resource on (or gives it back).
 * - The queue is an intrusive doubly linked list: push, shift and removal of a cancelled waiter are O(1).
 *
 * @internal
 */
import { Effect, type Fiber } from "effect"
import { beginWait, endWait, type TaskNode, Wait } from "./task.ts"
import { wake } from "./trampoline.ts"

let nextPrimitiveId = 0

/**
 * A fresh id for a primitive or stream (`Lock #2`, `memory stream #6` in task-tree printouts). One
 * counter for every kind, so that an id names one object in a printout.
 * @internal
 */
export const primitiveId = (): number => ++nextPrimitiveId

/**
 * What a waiter waits on, described when a task tree is printed (the primitive itself).
 * @internal
 */
export interface WaitSource {
  /** e.g. `Lock #2 held by task 'writer' (#7)`, from the primitive's current state. */
  _describeWait(): string
}

/**
 * One parked fiber. Primitives extend it with what they need (the borrower of a capacity-limiter
 * token, ...). It is also the record of what its task is blocked on (`task.waitingOn`, see
 * `Wait`): the wait begins when it is queued and ends when it is granted or leaves the queue.
 * @internal
 */
export class Waiter extends Wait {
  /** The parked fiber; its dispatcher runs a scheduled wake-up. */
  readonly fiber: Fiber.Fiber<unknown, unknown>
  /** The primitive waited on. */
  readonly source: WaitSource
  resume: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  prev: Waiter | undefined = undefined
  next: Waiter | undefined = undefined
  /** In the queue. */
  queued = false
  /** Removed from the queue by a grant/notification; the resume is scheduled. */
  granted = false

  /** `task`: the task of `fiber` (the one blocked), if it runs in one (see `waitingTask`). */
  constructor(fiber: Fiber.Fiber<unknown, unknown>, task: TaskNode | undefined, source: WaitSource) {
    super()
    this.fiber = fiber
    this.task = task
    this.source = source
  }

  describe(): string {
    return this.source._describeWait()
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

  /** Parks `w` at the end of the queue; its task is now blocked on it. */
  push(w: W): void {
    if (w.task !== undefined) beginWait(w.task, w)
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
    endWait(w)
    return true
  }
}

let scheduleAll = false

/**
 * Test hook: `true` makes every wake-up go through the waiter's dispatcher instead of running it
 * in line, which opens the grant-then-cancel window on purpose. Returns the previous value.
 * @internal
 */
export const setScheduledWakeups = (on: boolean): boolean => {
  const previous = scheduleAll
  scheduleAll = on
  return previous
}

/**
 * Marks a waiter (already shifted or removed from its queue) as granted and resumes it, as one
 * bounded re-entry (`trampoline.ts`). Callers must have finished updating their state: the woken
 * task may run, and re-enter the primitive, before this returns.
 * @internal
 */
export const grant = (w: Waiter): void => {
  w.granted = true
  endWait(w)
  const resume = w.resume
  if (resume === undefined) return
  w.resume = undefined
  if (scheduleAll) w.fiber.currentDispatcher.scheduleTask(() => resume(Effect.void), 0)
  else wake(resume, Effect.void)
}
