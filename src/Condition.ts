/**
 * A condition variable over a {@link Lock} (AnyIO's `anyio.Condition`). See `Lock.ts` for the
 * conventions shared by all synchronization primitives.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { InvalidArgumentError, RuntimeError, type WouldBlock } from "./Errors.ts"
import { coreOf, type LockCore } from "./internal/lock.ts"
import { pendingCancellation } from "./internal/scope.ts"
import { taskOfFiber } from "./internal/task.ts"
import { textOf } from "./internal/text.ts"
import { primitiveId, Waiter, WaitQueue, wake } from "./internal/waitQueue.ts"
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

class ConditionWaiter extends Waiter {}

const notHolding = Effect.suspend(() =>
  Effect.die(new RuntimeError({ message: "The current task is not holding the underlying lock" }))
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
  readonly #id: number = primitiveId()
  readonly #lock: Lock
  readonly #core: LockCore
  readonly #waiters = new WaitQueue<ConditionWaiter>()
  readonly #wait: Effect.Effect<void>
  readonly #notifyAll: Effect.Effect<void>
  readonly #describe = (): string => `${this} (over ${this.#lock})`

  constructor(lock?: Lock) {
    const theLock = lock ?? new Lock()
    const core = coreOf(theLock)
    if (core === undefined) {
      throw new InvalidArgumentError({ message: `Condition(lock): lock must be a Lock, got ${typeof lock}` })
    }
    this.#lock = theLock
    this.#core = core
    const waiters = this.#waiters
    this.#notifyAll = Effect.withFiber((fiber) => {
      if (core.owner !== taskOfFiber(fiber)) return notHolding
      for (let w = waiters.shift(); w !== undefined; w = waiters.shift()) wake(w, Effect.void)
      return Effect.void
    })
    this.#wait = Effect.withFiber((fiber) => {
      // AnyIO's wait starts with `checkpoint_if_cancelled`: cancelled, it never releases the lock.
      const cancelled = pendingCancellation(fiber)
      if (cancelled !== undefined) return cancelled
      const task = taskOfFiber(fiber)
      if (core.owner !== task) return notHolding
      let released = false
      // The finalizer runs uninterruptibly: the lock is taken back even when the wait was cancelled.
      return Effect.onExitPrimitive(
        Effect.callback<void>((resume) => {
          // Registering, releasing and installing the canceler happen in one step, so a cancellation
          // either comes before (nothing done, nothing to undo) or after (the canceler runs).
          if (core.owner !== task) return resume(notHolding)
          const w = new ConditionWaiter(resume, this.#describe)
          waiters.push(w)
          released = true
          core.handOff()
          return Effect.sync(() => {
            // Notified but cancelled before running: pass the notification on.
            if (!waiters.remove(w)) {
              const next = waiters.shift()
              if (next !== undefined) wake(next, Effect.void)
            }
          })
        }),
        () => (released ? core.acquire(task, false) : undefined)
      )
    })
  }

  /** Acquires the underlying lock (see {@link Lock}). */
  acquire(): Effect.Effect<void> {
    return this.#lock.acquire()
  }

  /** Acquires the underlying lock without waiting; fails with `WouldBlock` if another task holds it. */
  acquireNowait(): Effect.Effect<void, WouldBlock> {
    return this.#lock.acquireNowait()
  }

  /** Releases the underlying lock. */
  release(): Effect.Effect<void> {
    return this.#lock.release()
  }

  /** Whether the underlying lock is held. */
  locked(): boolean {
    return this.#lock.locked()
  }

  /** Runs `body` holding the underlying lock (AnyIO's `async with condition:`). */
  withLock<A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return this.#lock.withLock(body)
  }

  /** Acquires the underlying lock until the enclosing `Scope` closes. */
  acquireScoped(): Effect.Effect<void, never, Scope.Scope> {
    return this.#lock.acquireScoped()
  }

  /**
   * Wakes up to `n` (default 1) waiting tasks, longest-waiting first. The current task must hold the
   * lock.
   */
  notify(n = 1): Effect.Effect<void> {
    if (!Number.isSafeInteger(n) || n < 0) {
      return Effect.die(
        new InvalidArgumentError({ message: `n must be a non-negative integer, got ${textOf(n)}` })
      )
    }
    const core = this.#core
    return Effect.withFiber((fiber) => {
      if (core.owner !== taskOfFiber(fiber)) return notHolding
      for (let i = 0; i < n; i++) {
        const w = this.#waiters.shift()
        if (w === undefined) break
        wake(w, Effect.void)
      }
      return Effect.void
    })
  }

  /** Wakes every waiting task. The current task must hold the lock. */
  notifyAll(): Effect.Effect<void> {
    return this.#notifyAll
  }

  /**
   * Releases the lock, waits for a notification, and takes the lock back (even when cancelled). The
   * current task must hold the lock.
   */
  wait(): Effect.Effect<void> {
    return this.#wait
  }

  /**
   * Waits until `predicate()` returns a truthy value and returns it; checks it first, then after each
   * notification. The current task must hold the lock (when it has to wait).
   */
  waitFor<A>(predicate: () => A): Effect.Effect<A> {
    const loop: Effect.Effect<A> = Effect.suspend(() => {
      const result = predicate()
      return result ? Effect.succeed(result) : Effect.flatMap(this.#wait, () => loop)
    })
    return loop
  }

  /** A snapshot of the condition's state. */
  statistics(): ConditionStatistics {
    return { tasksWaiting: this.#waiters.size, lockStatistics: this.#lock.statistics() }
  }

  /** The condition's name in task-tree printouts and deadlock reports, e.g. `Condition #3`. */
  toString(): string {
    return `Condition #${this.#id}`
  }
}
