/**
 * A one-shot flag that tasks can wait for (AnyIO's `anyio.Event`). See `Lock.ts` for the conventions
 * shared by all synchronization primitives.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { primitiveId, Waiter, WaitQueue, wake } from "./internal/waitQueue.ts"

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
  readonly #id: number = primitiveId()
  #isSet = false
  readonly #waiters = new WaitQueue<Waiter>()
  readonly #set: Effect.Effect<void>
  readonly #wait: Effect.Effect<void>
  readonly #describe = (): string => `${this}`

  constructor() {
    const waiters = this.#waiters
    this.#set = Effect.sync(() => {
      if (this.#isSet) return
      this.#isSet = true
      for (let w = waiters.shift(); w !== undefined; w = waiters.shift()) wake(w, Effect.void)
    })
    this.#wait = Effect.suspend(() => {
      if (this.#isSet) return Effect.yieldNow
      return Effect.callback<void>((resume) => {
        if (this.#isSet) return resume(Effect.void)
        const w = new Waiter(resume, this.#describe)
        waiters.push(w)
        return Effect.sync(() => {
          waiters.remove(w)
        })
      })
    })
  }

  /** Sets the flag and wakes every waiting task. Idempotent. */
  set(): Effect.Effect<void> {
    return this.#set
  }

  /** Whether the flag has been set. */
  isSet(): boolean {
    return this.#isSet
  }

  /** Waits until the flag is set. Always a checkpoint, even if it is already set. */
  wait(): Effect.Effect<void> {
    return this.#wait
  }

  /** A snapshot of the event's state. */
  statistics(): EventStatistics {
    return { tasksWaiting: this.#waiters.size }
  }

  /** The event's name in task-tree printouts and deadlock reports, e.g. `Event #5`. */
  toString(): string {
    return `Event #${this.#id}`
  }
}
