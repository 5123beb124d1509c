/**
 * The shared state of one memory object stream: the buffer, the open-end counts and the queues of
 * parked senders and receivers. `MemoryObjectStream.ts` wraps it in the two public ends. Every rule of
 * the stream lives in this file.
 *
 * ## Rules (AnyIO's `streams/memory.py`, checked against its tests)
 *
 * - Send, in this order: this end closed → `ClosedResourceError`; no receive end open →
 *   `BrokenResourceError`; hand the item to the oldest parked receiver; else append it to the buffer if
 *   there is room; else `WouldBlock` (`sendNowait`) or park (`send`) until a receiver takes the item.
 * - Receive, in this order: this end closed → `ClosedResourceError`; take from a parked sender / the
 *   buffer (oldest first); else no send end open → `EndOfStream`; else `WouldBlock` or park.
 * - An end is closed once all its clones are closed. Closing the last receive end wakes every parked
 *   sender with `BrokenResourceError`; closing the last send end wakes every parked receiver with
 *   `EndOfStream`. Buffered items stay readable after every sender closed.
 * - FIFO: parked senders and parked receivers are each served oldest first.
 *
 * ## How it maps onto Effect
 *
 * - `send` and `receive` are one `Effect.callback` each (`sendOp`, `receiveOp`). Its `register`
 *   schedules the checkpoint as a task on the fiber's dispatcher, as `Effect.yieldNow` does, so
 *   other ready tasks run first and a pending cancellation (a scheduled interrupt) lands before the
 *   step. Then one of two shapes, chosen by a guess made at `register` (`sendMayPark`,
 *   `receiveMayPark`; a wrong guess costs time, never correctness):
 *   - fused, when the operation will probably park: the task makes the step and, if it would
 *     block, queues the waiter there, its resume being the callback's own (one suspension for
 *     checkpoint and park). The canceler covers every phase: before the task ran (the task then does
 *     nothing), parked (withdraw), served but not resumed (give back).
 *   - light, otherwise: no canceler (Effect's canceler frames cost about as much as a yield); the task
 *     resumes the fiber with the step, which runs in the fiber (a step made in the task would be
 *     lost if the fiber had been interrupted meanwhile: its resume is then ignored) and parks, if it
 *     must after all, in a second callback. A light send makes its step in the task when the fiber
 *     was provably not interrupted since it registered (`sendOp`), and parks the same way.
 *   In a buffer-0 ping both guesses are right every time: the op that finds its peer parked, or in
 *   a checkpoint that will park first, is light; the other is fused.
 * - Parking in a second callback (`parkSender`, `parkReceiver`): its `register` re-runs the whole step
 *   before parking, so checking and queueing are one atomic step. The canceler it returns runs
 *   synchronously if the fiber is interrupted while parked: a parked sender withdraws its item, a
 *   parked receiver leaves the queue.
 * - Waking is scheduled (`waitQueue.ts`): the woken fiber runs after the waker's step, as in AnyIO, and
 *   the waker never runs another fiber's code in its own call. The outcome is fixed when the waiter is
 *   served: a receiver's item (or end of stream) is assigned then, a parked sender's item is taken
 *   then. A cancel scope does not interrupt a served waiter before its wake-up has run, so a receive
 *   that was given an item returns it and a send whose item was taken succeeds (AnyIO's
 *   test_cancel_during_receive); the cancellation lands at the next suspension. A foreign
 *   interruption in that window (`Fiber.interrupt`) makes a served receiver give its item back to the
 *   front of the stream; a served sender's send ends interrupted although its item was delivered (as
 *   with asyncio's `task.cancel()` under AnyIO): no item is lost or duplicated.
 * - Effect's run loop may yield to the scheduler between any two operations (every scheduler here,
 *   Effect's and ours, yields once `currentOpCount` reaches `MaxOpsBeforeYield`). An item taken, or a
 *   send committed, in the step whose result then waits in such a yield is lost if the fiber is
 *   interrupted during it (the soak's lost item). So a step that would commit first checks
 *   {@link yieldDue}: if the loop is about to yield, the step yields *before* committing and then
 *   runs again (the yield was going to happen one operation later anyway). A fused step runs in a
 *   dispatcher task and its result starts the fiber's next loop: no yield can come in between.
 *
 * ## Invariants
 *
 * - Parked receivers exist only while the buffer is empty and no sender is parked.
 * - Parked senders exist only while the buffer holds at least `maxBufferSize` items (it may hold one
 *   more: an item given back by an interrupted receiver).
 * - A waiter is queued or served (out of the queue, its outcome fixed, its resume scheduled
 *   or run); see `waitQueue.ts`. Its canceler runs only while it is suspended, so a canceler that
 *   finds its waiter no longer queued knows it was served but not yet resumed.
 *
 * @internal
 */
import { Cause, Effect, Exit, Fiber } from "effect"
import { BrokenResourceError, ClosedResourceError, EndOfStream, WouldBlock } from "../Errors.ts"
import { beginWait, waitingTask } from "./task.ts"
import { primitiveId, Waiter, WaitQueue, wake } from "./waitQueue.ts"

/** What a receive operation returns: the item, the item in a one-element array, or "end" markers. */
export const MODE_RECEIVE = 0 // item | fail EndOfStream
export const MODE_NEXT = 1 // item | succeed END (runForEach)
export const MODE_CHUNK = 2 // [item] | fail Cause.Done (Stream pull)
export type Mode = 0 | 1 | 2

/** Returned by `next` at end of stream. */
export const END: unique symbol = Symbol("effect-anyio/MemoryObjectStream/END")

type AnyEffect = Effect.Effect<unknown, unknown>
type Resume = (effect: AnyEffect) => void

const exitEnd: AnyEffect = Exit.succeed(END)

const itemExit = (mode: Mode, item: unknown): AnyEffect =>
  mode === MODE_CHUNK ? Exit.succeed([item]) : Exit.succeed(item)

const endExit = (mode: Mode): AnyEffect =>
  mode === MODE_RECEIVE
    ? Exit.fail(new EndOfStream({}))
    : mode === MODE_NEXT
      ? exitEnd
      : Exit.fail(Cause.Done())

/**
 * True when the current fiber's run loop will yield to the scheduler at its next operation, the one
 * that carries the step's result (module comment). Budgets of 4 operations or fewer are left alone:
 * the retry after the yield would find the yield due again.
 */
const yieldDue = (): boolean => {
  const fiber = Fiber.getCurrent()
  if (fiber === undefined) return false
  const cache = fiber.cache
  const max = cache.maxOpsBeforeYield
  return !cache.preventYield && max > 4 && fiber.currentOpCount + 1 >= max
}

const yieldThen = (effect: AnyEffect): AnyEffect => Effect.andThen(Effect.yieldNow, effect)

/** A growable ring buffer: O(1) push, shift and unshift. */
export class Deque<T> {
  private buf: Array<T | undefined> = new Array(8)
  private head = 0
  length = 0

  push(item: T): void {
    if (this.length === this.buf.length) this.grow()
    this.buf[(this.head + this.length) & (this.buf.length - 1)] = item
    this.length++
  }

  shift(): T {
    const item = this.buf[this.head] as T
    this.buf[this.head] = undefined
    this.head = (this.head + 1) & (this.buf.length - 1)
    this.length--
    return item
  }

  unshift(item: T): void {
    if (this.length === this.buf.length) this.grow()
    this.head = (this.head - 1) & (this.buf.length - 1)
    this.buf[this.head] = item
    this.length++
  }

  private grow(): void {
    const old = this.buf
    const n = old.length
    const next: Array<T | undefined> = new Array(n * 2)
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) & (n - 1)]
    this.buf = next
    this.head = 0
  }
}

/**
 * A sender or receiver: parked (linked into its queue), or, for an operation of `sendOp` /
 * `receiveOp`, waiting for its checkpoint to run.
 */
class StreamWaiter extends Waiter<AnyEffect> {
  /** A sender's item; a served receiver's item (kept to give it back). */
  item: unknown
  hasItem: boolean
  readonly mode: Mode
  /** The end it sends or receives on (`sendOp` / `receiveOp`). */
  end: End | undefined = undefined
  /** Its fiber was interrupted: a checkpoint still scheduled does nothing. */
  cancelled = false

  constructor(resume: Resume, describe: () => string, mode: Mode, item: unknown, hasItem: boolean) {
    super(resume, describe)
    this.mode = mode
    this.item = item
    this.hasItem = hasItem
  }
}

/**
 * The queue of parked senders or receivers, with a push for a fiber that is not the current one (an
 * operation parks from its checkpoint, a dispatcher task that runs outside every fiber).
 */
class StreamQueue extends WaitQueue<StreamWaiter> {
  pushFor(w: StreamWaiter, fiber: Fiber.Fiber<unknown, unknown>): void {
    w.fiber = fiber
    const task = waitingTask(fiber)
    if (task !== undefined) beginWait(task, w)
    w.queued = true
    w.prev = this.tail
    w.next = undefined
    if (this.tail === undefined) this.head = w
    else this.tail.next = w
    this.tail = w
    this.size++
  }
}

/** Effect's record of a fiber's interruptions (an internal field, only read). */
interface Interruptible {
  readonly _interruptedCause: unknown
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`

/** One end of the stream: a send end or a receive end (clones are separate ends). */
export interface End {
  closed: boolean
}

/** @internal */
export class StreamState {
  readonly id: number = primitiveId()
  readonly maxBufferSize: number
  readonly buffer = new Deque<unknown>()
  readonly senders = new StreamQueue()
  readonly receivers = new StreamQueue()
  openSend = 0
  openReceive = 0
  /** Sends and receives whose checkpoint is scheduled and has not run (for the guesses below). */
  private sendCheckpoints = 0
  private receiveCheckpoints = 0
  private readonly describeSend = (): string =>
    `memory stream #${this.id}: send (buffer full ${this.buffer.length}/${this.maxBufferSize}; ${plural(this.openReceive, "receiver")} open)`
  private readonly describeReceive = (): string =>
    `memory stream #${this.id}: receive (no item; ${plural(this.openSend, "sender")} open)`

  constructor(maxBufferSize: number) {
    this.maxBufferSize = maxBufferSize
  }

  // ---------------------------------------------------------------------------
  // send
  // ---------------------------------------------------------------------------

  /** The non-blocking part of a send: an exit, or `undefined` when the sender would have to wait. */
  sendStep(end: End, item: unknown, nowait: boolean): AnyEffect | undefined {
    if (end.closed) return Exit.fail(new ClosedResourceError({}))
    if (this.openReceive === 0) return Exit.fail(new BrokenResourceError({}))
    if (yieldDue() && (this.receivers.head !== undefined || this.buffer.length < this.maxBufferSize)) {
      return yieldThen(Effect.suspend(() => (nowait ? this.sendNowait(end, item) : this.send(end, item))))
    }
    return this.give(item)
  }

  /** Hands `item` to the oldest parked receiver, else buffers it: `Exit.void`, or `undefined` if full. */
  private give(item: unknown): AnyEffect | undefined {
    const r = this.receivers.shift()
    if (r !== undefined) {
      r.item = item
      r.hasItem = true
      wake(r, itemExit(r.mode, item))
      return Exit.void
    }
    if (this.buffer.length < this.maxBufferSize) {
      this.buffer.push(item)
      return Exit.void
    }
    return undefined
  }

  /** The step, then parking if it would block (no checkpoint: `sendOp` is the public `send`). */
  send(end: End, item: unknown): AnyEffect {
    const r = this.sendStep(end, item, false)
    return r !== undefined
      ? r
      : Effect.callback<unknown, unknown>((resume) => this.parkSender(end, item, resume))
  }

  sendNowait(end: End, item: unknown): AnyEffect {
    const r = this.sendStep(end, item, true)
    return r !== undefined ? r : Exit.fail(new WouldBlock({}))
  }

  private parkSender(end: End, item: unknown, resume: Resume): Effect.Effect<void> | undefined {
    const r = this.sendStep(end, item, false)
    if (r !== undefined) {
      resume(r)
      return undefined
    }
    const w = new StreamWaiter(resume, this.describeSend, MODE_RECEIVE, item, true)
    this.senders.push(w)
    return Effect.sync(() => this.cancelSend(w))
  }

  /** Interrupted: a checkpoint not run yet does nothing; a parked sender withdraws its item. */
  private cancelSend(w: StreamWaiter): void {
    w.cancelled = true
    if (this.senders.remove(w)) w.item = undefined
  }

  // ---------------------------------------------------------------------------
  // receive
  // ---------------------------------------------------------------------------

  /**
   * The non-blocking part of a receive: an exit, an effect to run next (`retry`, after a yield the
   * run loop was about to make), or `undefined` when the receiver would have to wait.
   */
  receiveStep(end: End, mode: Mode, retry: AnyEffect): AnyEffect | undefined {
    if (end.closed) return Exit.fail(new ClosedResourceError({}))
    if (this.canTake()) return yieldDue() ? yieldThen(retry) : this.take(mode)
    if (this.openSend === 0) return endExit(mode)
    return undefined
  }

  /** An item is buffered or a sender is parked (with room for its item after the buffered ones). */
  private canTake(): boolean {
    const n = this.buffer.length
    return n > 0 || (this.senders.head !== undefined && n <= this.maxBufferSize)
  }

  /** Takes the oldest item (only when {@link canTake}), moving a parked sender's item in and waking it. */
  private take(mode: Mode): AnyEffect {
    const buffer = this.buffer
    const s = this.senders.head
    if (s !== undefined && buffer.length <= this.maxBufferSize) {
      // Take a parked sender's item (after the buffered ones, which are older) and commit its send.
      this.senders.remove(s)
      const item = s.item
      s.item = undefined
      s.hasItem = false
      wake(s, Exit.void)
      if (buffer.length === 0) return itemExit(mode, item)
      buffer.push(item)
    }
    return itemExit(mode, buffer.shift())
  }

  parkReceiver(end: End, mode: Mode, retry: AnyEffect, resume: Resume): Effect.Effect<void> | undefined {
    const r = this.receiveStep(end, mode, retry)
    if (r !== undefined) {
      resume(r)
      return undefined
    }
    const w = new StreamWaiter(resume, this.describeReceive, mode, undefined, false)
    this.receivers.push(w)
    return Effect.sync(() => this.cancelReceive(w))
  }

  /**
   * Interrupted: a checkpoint not run yet does nothing; a parked receiver leaves the queue; one that
   * was assigned an item but did not run gives the item back to the front.
   */
  private cancelReceive(w: StreamWaiter): void {
    w.cancelled = true
    if (!this.receivers.remove(w) && w.hasItem) {
      const item = w.item
      w.item = undefined
      w.hasItem = false
      this.giveBack(item)
    }
  }

  // ---------------------------------------------------------------------------
  // send and receive with their checkpoint, in one suspension
  // ---------------------------------------------------------------------------

  /**
   * `send`: AnyIO's checkpoint, then the step, then parking if the send would block, in one
   * `Effect.callback` (module comment). Registering schedules the checkpoint on the fiber's
   * dispatcher, as `Effect.yieldNow` does. A send that will probably park ({@link sendMayPark}) is
   * fused: the checkpoint task makes the step and parks the waiter there, resumed later through the
   * same callback, whose canceler covers all three phases. Any other send is light: no canceler, the
   * task resumes the fiber with the step (which parks, if it must, in a second suspension).
   */
  sendOp(end: End, item: unknown): AnyEffect {
    return Effect.callback<unknown, unknown>((resume) => {
      const fiber = Fiber.getCurrent()!
      this.sendCheckpoints++
      if (this.sendMayPark()) {
        const w = new StreamWaiter(resume, this.describeSend, MODE_RECEIVE, item, true)
        w.end = end
        w.fiber = fiber
        fiber.currentDispatcher.scheduleTask(() => this.sendCheckpoint(w), 0)
        return Effect.sync(() => this.cancelSend(w))
      }
      // A send's step is made in the task when the fiber was not interrupted since it registered
      // (its resume is then accepted, so the step cannot be lost; Effect assigns a new
      // `_interruptedCause` on every interruption); else in the fiber. Saves a suspend and a
      // run-loop operation per light send (issue 14).
      const cause = (fiber as unknown as Interruptible)._interruptedCause
      fiber.currentDispatcher.scheduleTask(() => {
        this.sendCheckpoints--
        if ((fiber as unknown as Interruptible)._interruptedCause === cause) {
          const r = this.sendStep(end, item, false)
          if (r !== undefined) {
            resume(r)
            return
          }
        }
        resume(Effect.suspend(() => this.send(end, item)))
      }, 0)
      return undefined
    })
  }

  /** The fused send's checkpoint: the step, then parking if it would block. */
  private sendCheckpoint(w: StreamWaiter): void {
    this.sendCheckpoints--
    if (w.cancelled) return
    const end = w.end!
    const r = end.closed
      ? Exit.fail(new ClosedResourceError({}))
      : this.openReceive === 0
        ? Exit.fail(new BrokenResourceError({}))
        : this.give(w.item)
    if (r === undefined) {
      this.senders.pushFor(w, w.fiber!)
    } else {
      w.item = undefined
      w.hasItem = false
      w.resume(r)
    }
  }

  /**
   * `receive` (each `mode`): as {@link sendOp}; `step` is the light receive's step (it re-runs itself
   * after a run-loop yield, see `receiveStep`).
   */
  receiveOp(end: End, mode: Mode, step: AnyEffect): AnyEffect {
    return Effect.callback<unknown, unknown>((resume) => {
      const fiber = Fiber.getCurrent()!
      this.receiveCheckpoints++
      if (this.receiveMayPark()) {
        const w = new StreamWaiter(resume, this.describeReceive, mode, undefined, false)
        w.end = end
        w.fiber = fiber
        fiber.currentDispatcher.scheduleTask(() => this.receiveCheckpoint(w), 0)
        return Effect.sync(() => this.cancelReceive(w))
      }
      fiber.currentDispatcher.scheduleTask(() => {
        this.receiveCheckpoints--
        resume(step)
      }, 0)
      return undefined
    })
  }

  /** The fused receive's checkpoint: the step, then parking if it would block. */
  private receiveCheckpoint(w: StreamWaiter): void {
    this.receiveCheckpoints--
    if (w.cancelled) return
    const r = w.end!.closed
      ? Exit.fail(new ClosedResourceError({}))
      : this.canTake()
        ? this.take(w.mode)
        : this.openSend === 0
          ? endExit(w.mode)
          : undefined
    if (r === undefined) this.receivers.pushFor(w, w.fiber!)
    else w.resume(r)
  }

  /**
   * Whether a send starting now will probably park after its checkpoint: no receiver parked, no
   * room, and no receive whose checkpoint runs first and would park for it. A guess: a wrong one
   * costs time (a canceler for nothing, or a second suspension), never correctness.
   */
  private sendMayPark(): boolean {
    if (this.receivers.head !== undefined || this.buffer.length < this.maxBufferSize) return false
    return this.receiveCheckpoints === 0 || this.senders.head !== undefined
  }

  /** As {@link sendMayPark}, for a receive: nothing buffered, no sender parked or about to. */
  private receiveMayPark(): boolean {
    if (this.buffer.length > 0 || this.senders.head !== undefined) return false
    return this.sendCheckpoints === 0 || this.receivers.head !== undefined
  }

  /** Puts an item back at the front of the stream: to the oldest parked receiver, else the buffer. */
  private giveBack(item: unknown): void {
    const r = this.receivers.shift()
    if (r !== undefined) {
      r.item = item
      r.hasItem = true
      wake(r, itemExit(r.mode, item))
    } else {
      this.buffer.unshift(item)
    }
  }

  // ---------------------------------------------------------------------------
  // open / close
  // ---------------------------------------------------------------------------

  closeSend(end: End): void {
    if (end.closed) return
    end.closed = true
    if (--this.openSend > 0) return
    for (let w = this.receivers.shift(); w !== undefined; w = this.receivers.shift()) wake(w, endExit(w.mode))
  }

  closeReceive(end: End): void {
    if (end.closed) return
    end.closed = true
    if (--this.openReceive > 0) return
    for (let w = this.senders.shift(); w !== undefined; w = this.senders.shift()) {
      w.item = undefined
      wake(w, Exit.fail(new BrokenResourceError({})))
    }
  }
}
