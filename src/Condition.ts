/**
 * A condition variable over a {@link Lock} (AnyIO's `anyio.Condition`). See `Lock.ts` for the
 * conventions shared by all synchronization primitives.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { InvalidArgumentError, RuntimeError, type WouldBlock } from "./Errors.ts"
import { taskOfFiber } from "./internal/task.ts"
import { grant, primitiveId, Waiter, WaiterQueue } from "./internal/waiters.ts"
import { Lock, type LockStatistics } from "./Lock.ts"

/**
 * A snapshot of a {@link Condition}'s state, returned by `condition.statistics()`.
 *
 * **When to use**: diagnostics and tests (how many tasks wait for a notification, and the lock's state).
 *
 * @example
 * ```ts
 * import { Condition } from "effect-anyio"
 * const { tasksWaiting, lockStatistics } = new Condition().statistics()
 * ```
 * @category models
 */
export interface ConditionStatistics {
  /** Number of tasks blocked in `wait`. */
  readonly tasksWaiting: number
  /** The statistics of the underlying lock. */
  readonly lockStatistics: LockStatistics
}

class ConditionWaiter extends Waiter {
  /** The waiter gave the lock up, so it must take it back on the way out. */
  released = false
}

const notHolding = Effect.die(
  new RuntimeError({ message: "The current task is not holding the underlying lock" })
)

/**
 * A condition variable (AnyIO's `anyio.Condition`): tasks holding the lock `wait()` for a notification,
 * which another task holding the lock sends with `notify(n)` or `notifyAll()`.
 *
 * **When to use**
 *
 * To wait for a state change guarded by a lock ("the queue is non-empty"), usually through
 * `waitFor(predicate)`, which re-checks the predicate after every wake-up. For a one-shot signal, an
 * {@link Event} is simpler.
 *
 * **Details**
 *
 * - `wait()` releases the lock, waits for a notification, then takes the lock back before returning.
 *   It takes the lock back **even when cancelled** (uninterruptibly, as AnyIO's shielded re-acquire),
 *   so the caller always holds the lock afterwards, also when `wait()` fails with an interruption.
 * - Notifications are FIFO: `notify(n)` wakes the `n` longest-waiting tasks. A task notified but
 *   cancelled before it ran passes its notification on to the next waiter, so no notification is lost.
 * - `wait()`, `notify()` and `notifyAll()` die with `RuntimeError` unless the current task holds the
 *   lock; `notify(n)` dies with `InvalidArgumentError` unless `n` is a non-negative integer.
 * - `acquire`, `acquireNowait`, `release`, `locked`, `withLock`, `acquireScoped` act on the lock (see
 *   {@link Lock}); the default lock is a fresh `new Lock()`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Condition } from "effect-anyio"
 *
 * const condition = new Condition()
 * const items: Array<string> = []
 * const take = condition.withLock(
 *   condition.waitFor(() => items.length > 0).pipe(Effect.map(() => items.shift()!))
 * )
 * const put = (item: string) =>
 *   condition.withLock(Effect.suspend(() => { items.push(item); return condition.notify() }))
 * ```
 * @see {@link Lock}, {@link Event}
 * @category models
 */
export class Condition {
  /** @internal */
  readonly _id: number = primitiveId()
  private readonly _lock: Lock
  private readonly _waiters = new WaiterQueue<ConditionWaiter>()
  private readonly _wait: Effect.Effect<void>
  private readonly _notifyAll: Effect.Effect<void>

  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new InvalidArgumentError({ message: `Condition(lock): lock must be a Lock, got ${typeof lock}` })
    }
    const theLock = lock ?? new Lock()
    this._lock = theLock
    this._notifyAll = Effect.withFiber((fiber) => {
      if (theLock._owner !== taskOfFiber(fiber)) return notHolding
      for (let w = this._waiters.shift(); w !== undefined; w = this._waiters.shift()) grant(w)
      return Effect.void
    })
    this._wait = Effect.withFiber((fiber) => {
      const task = taskOfFiber(fiber)
      if (theLock._owner !== task) return notHolding
      const w = new ConditionWaiter(fiber, task, this)
      // The finalizer runs uninterruptibly: the lock is taken back even when the wait was cancelled.
      return Effect.onExitPrimitive(
        Effect.callback<void>((resume) => {
          // Registering, releasing and installing the canceler happen in one step, so a cancellation
          // either comes before (nothing done, nothing to undo) or after (the canceler runs).
          if (theLock._owner !== task) return resume(notHolding)
          w.resume = resume
          this._waiters.push(w)
          w.released = true
          theLock._handOff()
          return Effect.sync(() => {
            // Notified but cancelled before running: pass the notification on.
            if (!this._waiters.remove(w) && w.granted) {
              const next = this._waiters.shift()
              if (next !== undefined) grant(next)
            }
          })
        }),
        () => (w.released ? theLock._acquireAs(fiber, task, false) : undefined)
      )
    })
  }

  /** Acquires the underlying lock (see {@link Lock}). */
  acquire(): Effect.Effect<void> {
    return this._lock.acquire()
  }

  /** Acquires the underlying lock without waiting; fails with `WouldBlock` if another task holds it. */
  acquireNowait(): Effect.Effect<void, WouldBlock> {
    return this._lock.acquireNowait()
  }

  /** Releases the underlying lock. */
  release(): Effect.Effect<void> {
    return this._lock.release()
  }

  /** Whether the underlying lock is held. */
  locked(): boolean {
    return this._lock.locked()
  }

  /** Runs `body` holding the underlying lock (AnyIO's `async with condition:`). */
  withLock<A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return this._lock.withLock(body)
  }

  /** Acquires the underlying lock until the enclosing `Scope` closes. */
  acquireScoped(): Effect.Effect<void, never, Scope.Scope> {
    return this._lock.acquireScoped()
  }

  /**
   * Wakes up to `n` (default 1) waiting tasks, longest-waiting first. The current task must hold the
   * lock.
   */
  notify(n = 1): Effect.Effect<void> {
    if (!Number.isSafeInteger(n) || n < 0) {
      return Effect.die(new InvalidArgumentError({ message: `n must be a non-negative integer, got ${n}` }))
    }
    return Effect.withFiber((fiber) => {
      if (this._lock._owner !== taskOfFiber(fiber)) return notHolding
      for (let i = 0; i < n; i++) {
        const w = this._waiters.shift()
        if (w === undefined) break
        grant(w)
      }
      return Effect.void
    })
  }

  /** Wakes every waiting task. The current task must hold the lock. */
  notifyAll(): Effect.Effect<void> {
    return this._notifyAll
  }

  /**
   * Releases the lock, waits for a notification, and takes the lock back (even when cancelled). The
   * current task must hold the lock.
   */
  wait(): Effect.Effect<void> {
    return this._wait
  }

  /**
   * Waits until `predicate()` returns a truthy value and returns it; checks it first, then after each
   * notification. The current task must hold the lock (when it has to wait).
   */
  waitFor<A>(predicate: () => A): Effect.Effect<A> {
    const loop: Effect.Effect<A> = Effect.suspend(() => {
      const result = predicate()
      return result ? Effect.succeed(result) : Effect.flatMap(this._wait, () => loop)
    })
    return loop
  }

  /** A snapshot of the condition's state. */
  statistics(): ConditionStatistics {
    return { tasksWaiting: this._waiters.size, lockStatistics: this._lock.statistics() }
  }

  /** What a waiting task waits on, for task-tree printouts. @internal */
  _describeWait(): string {
    return `Condition #${this._id} (over Lock #${this._lock._id})`
  }
}
