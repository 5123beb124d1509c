/**
 * The wait queue of every synchronization primitive (Event, Lock, Semaphore, Condition,
 * CapacityLimiter) and of memory object streams: a FIFO of parked fibers.
 *
 * Why not Effect's own `Semaphore`/`Latch`/`Deferred`/`Queue`: AnyIO's primitives hand the resource
 * directly to the next waiter (it belongs to the waiter from the moment it is woken, so a waiter
 * cancelled before it runs can pass it on), have an owner (Lock) or borrowers (CapacityLimiter), and
 * report how many tasks wait. Effect 4.1's `Semaphore` is FIFO too (first fit), but a wake-up
 * reserves nothing: the woken fiber takes its permits when it runs, and it has no owner; `Latch` has
 * no waiter count. So the primitives keep their own queue, built on these public Effect facts:
 *
 * - `Effect.callback(register)`: `register` runs synchronously when the fiber reaches it, so pushing
 *   the waiter inside `register` is atomic with installing the canceler it returns. The canceler
 *   runs (synchronously, in the interrupter's call stack) if and only if the fiber is interrupted
 *   while suspended there; a `resume` after that is ignored.
 * - `resume(effect)` runs the waiter's continuation synchronously, in the caller's call stack
 *   (Effect's `Deferred` wakes its waiters the same way). AnyIO's waker goes on to its own next
 *   checkpoint before the woken task runs, so `wake` does not call `resume` in line: it schedules it
 *   on the waiter's dispatcher (FIFO, as Effect's `Latch` and `Queue` wake theirs). The hand-off
 *   itself is atomic all the same: what the waiter waits for is its own from the moment it is served.
 * - A served waiter whose wake-up has not run yet is not interrupted by a cancel scope
 *   ({@link isWakePending}): a wait that completed wins over a cancellation requested afterwards, as
 *   in AnyIO and trio (`event.set()` then cancelling the waiter's scope: the waiter still sees the
 *   event, and is cancelled at its next suspension). Only a foreign interruption (`Fiber.interrupt`)
 *   can reach it in that window; its canceler then passes the resource on or gives it back.
 *
 * Rules every user of the queue follows:
 * - A waiter is either queued (`queued`) or served: taken out of the queue by `shift` and given what
 *   it waits for. What it waits for is assigned to it **when it is served**, not when it runs; its
 *   canceler, finding it no longer queued, knows that it was served but not resumed yet (a deferred
 *   wake-up) and passes the resource on or gives it back.
 * - Update the primitive's state **before** `wake`: the woken task may run, and re-enter the
 *   primitive (release, acquire again), before `wake` returns.
 *
 * The queue also keeps the record of what each parked task is blocked on, for task-tree printouts
 * and deadlock reports (`Wait` in `task.ts`): a waiter's wait begins when it is pushed and ends when
 * it leaves the queue. Users of the queue only say what the waiter waits on (`describe`).
 *
 * @internal
 */
import { type Effect, Fiber } from "effect"
import { beginWait, endWait, Wait, waitingTask } from "./task.ts"

let nextPrimitiveId = 0

/**
 * A fresh id for a primitive or stream (`Lock #2`, `memory stream #6` in task-tree printouts). One
 * counter for every kind, so that an id names one object in a printout.
 * @internal
 */
export const primitiveId = (): number => ++nextPrimitiveId

/**
 * One parked fiber. Users extend it with what they need (the owner-to-be of a lock, the borrower of
 * a capacity-limiter token, a sender's item...). `X` is what `resume` takes (an Effect).
 * @internal
 */
export class Waiter<X = Effect.Effect<void>> extends Wait {
  prev: Waiter<never> | undefined = undefined
  next: Waiter<never> | undefined = undefined
  /** In the queue (not yet served nor withdrawn). */
  queued = false
  /** The parked fiber (set by `push`). */
  fiber: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** The `resume` of the `Effect.callback` the fiber is parked in. */
  readonly resume: (effect: X) => void
  /** What the waiter waits on, e.g. `Lock #2 held by task 'writer' (#7)`, for printouts. */
  readonly describeWait: () => string

  constructor(resume: (effect: X) => void, describeWait: () => string) {
    super()
    this.resume = resume
    this.describeWait = describeWait
  }

  describe(): string {
    return this.describeWait()
  }
}

/**
 * FIFO of waiters (intrusive doubly linked list: push, shift and removal are O(1)).
 * @internal
 */
export class WaitQueue<W extends Waiter<never>> {
  head: W | undefined = undefined
  tail: W | undefined = undefined
  size = 0

  /**
   * Parks `w` at the end of the queue. Call it from `Effect.callback`'s `register`: the current
   * fiber's task (if it runs in one) is now blocked on `w`.
   */
  push(w: W): void {
    const fiber = Fiber.getCurrent()
    w.fiber = fiber
    const task = fiber === undefined ? undefined : waitingTask(fiber)
    if (task !== undefined) beginWait(task, w)
    w.queued = true
    w.prev = this.tail
    w.next = undefined
    if (this.tail === undefined) this.head = w
    else this.tail.next = w
    this.tail = w
    this.size++
  }

  /** Takes the oldest waiter out of the queue, to be served; `undefined` if empty. */
  shift(): W | undefined {
    const w = this.head
    if (w !== undefined) this.unlink(w)
    return w
  }

  /** Withdraws a queued waiter (it was cancelled). Returns false if it was no longer queued. */
  remove(w: W): boolean {
    if (!w.queued) return false
    this.unlink(w)
    return true
  }

  private unlink(w: W): void {
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
  }
}

/**
 * The mark of a fiber that was served and whose wake-up is scheduled but has not run yet. A cancel
 * scope does not interrupt such a fiber at once (`scope.ts`, rule 2): as AnyIO on asyncio does not
 * cancel a task whose awaited future is already done, the wake-up wins and the cancellation lands at
 * the fiber's next suspension. (A fiber has one wait at a time, so one flag is enough.) A property of
 * the fiber object rather than a set of fibers: setting and clearing it costs two stores per
 * wake-up, where a set cost an insertion and a deletion (issue 14).
 */
interface WakeMark {
  anyioWakePending?: boolean
}

/**
 * True while `fiber` has a wake-up scheduled that has not run yet (see {@link scheduleWake}).
 * @internal
 */
export const isWakePending = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  (fiber as unknown as WakeMark).anyioWakePending === true

/**
 * Runs `run` (which resumes `fiber`) as a task on the fiber's own dispatcher, in FIFO order with
 * every other scheduled task: the waker goes on to its own next suspension first, as in AnyIO, and
 * woken tasks run in the order they were woken. Effect's dispatchers batch the tasks of one step
 * into one round, so a burst of wake-ups costs one hop, not one each.
 * @internal
 */
export const scheduleWake = (fiber: Fiber.Fiber<unknown, unknown>, run: () => void): void =>
  scheduleWakeCall(fiber, callIt, run, undefined)

const callIt = (run: () => void): void => run()

/**
 * {@link scheduleWake} of `run(a, b)`: the caller passes a function and its two arguments, not a
 * closure of its own to be wrapped in this one (one closure per wake-up: a task group's host).
 * @internal
 */
export const scheduleWakeCall = <A, B>(
  fiber: Fiber.Fiber<unknown, unknown>,
  run: (a: A, b: B) => void,
  a: A,
  b: B
): void => {
  const dispatcher = fiber.currentDispatcher
  const mark = fiber as unknown as WakeMark
  mark.anyioWakePending = true
  dispatcher.scheduleTask(() => {
    mark.anyioWakePending = false
    run(a, b)
  }, 0)
}

/**
 * Resumes a served waiter (one taken out of its queue by `shift`) with `effect`, scheduled (see
 * {@link scheduleWake} and the module comment). `scheduleWake` written out, so that a wake-up
 * allocates one closure.
 * @internal
 */
export const wake = <X>(w: Waiter<X>, effect: X): void => {
  const fiber = w.fiber
  if (fiber === undefined) {
    w.resume(effect)
    return
  }
  const dispatcher = fiber.currentDispatcher
  const mark = fiber as unknown as WakeMark
  mark.anyioWakePending = true
  dispatcher.scheduleTask(() => {
    mark.anyioWakePending = false
    w.resume(effect)
  }, 0)
}
