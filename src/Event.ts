/**
 * A one-shot flag that tasks can wait for (AnyIO's `anyio.Event`). See `Lock.ts` for the conventions
 * shared by all synchronization primitives.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { waitingTask } from "./internal/task.ts"
import { grant, primitiveId, Waiter, WaiterQueue } from "./internal/waiters.ts"

/**
 * A snapshot of an {@link Event}'s state, returned by `event.statistics()`.
 *
 * **When to use**: diagnostics and tests (how many tasks wait for the event).
 *
 * @example
 * ```ts
 * import { Event } from "effect-anyio"
 * const { tasksWaiting } = new Event().statistics()
 * ```
 * @category models
 */
export interface EventStatistics {
  /** Number of tasks blocked in `wait`. */
  readonly tasksWaiting: number
}

/**
 * A flag that starts unset, can be set once, and wakes every task waiting for it (AnyIO's
 * `anyio.Event`).
 *
 * **When to use**
 *
 * To tell other tasks that something happened (a server is ready, a shutdown was requested). An event
 * cannot be cleared: create a new one for the next occurrence. Effect code that does not need AnyIO's
 * statistics can use Effect's `Latch` or `Deferred`.
 *
 * **Details**
 *
 * - `set()` wakes all current waiters (in the order they started waiting); later `wait()`s return at
 *   once. Setting twice does nothing.
 * - `wait()` is always a checkpoint: when the event is already set it still yields once (and observes a
 *   cancellation there), as AnyIO.
 * - A waiter cancelled before the event is set simply leaves; one cancelled after the event was set but
 *   before it ran is cancelled (there is nothing to pass on).
 *
 * @example
 * ```ts
 * import { Effect, Fiber } from "effect"
 * import { Event } from "effect-anyio"
 *
 * const ready = new Event()
 * const program = Effect.gen(function* () {
 *   const waiter = yield* Effect.forkChild(ready.wait())
 *   yield* ready.set()
 *   yield* Fiber.join(waiter)
 * })
 * ```
 * @see {@link Condition}
 * @category models
 */
export class Event {
  /** @internal */
  readonly _id: number = primitiveId()
  private _isSet = false
  private readonly _waiters = new WaiterQueue<Waiter>()
  private readonly _set: Effect.Effect<void>
  private readonly _wait: Effect.Effect<void>

  constructor() {
    this._set = Effect.sync(() => {
      if (this._isSet) return
      this._isSet = true
      for (let w = this._waiters.shift(); w !== undefined; w = this._waiters.shift()) grant(w)
    })
    this._wait = Effect.withFiber((fiber) => {
      if (this._isSet) return Effect.yieldNow
      return Effect.callback<void>((resume) => {
        if (this._isSet) return resume(Effect.void)
        const w = new Waiter(fiber, waitingTask(fiber), this)
        w.resume = resume
        this._waiters.push(w)
        return Effect.sync(() => {
          this._waiters.remove(w)
        })
      })
    })
  }

  /** Sets the flag and wakes every waiting task. Idempotent. */
  set(): Effect.Effect<void> {
    return this._set
  }

  /** Whether the flag has been set. */
  isSet(): boolean {
    return this._isSet
  }

  /** Waits until the flag is set. Always a checkpoint, even if it is already set. */
  wait(): Effect.Effect<void> {
    return this._wait
  }

  /** A snapshot of the event's state. */
  statistics(): EventStatistics {
    return { tasksWaiting: this._waiters.size }
  }

  /** What a waiting task waits on, for task-tree printouts. @internal */
  _describeWait(): string {
    return `Event #${this._id}`
  }
}
