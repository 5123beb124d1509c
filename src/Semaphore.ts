/**
 * A counting semaphore with FIFO hand-off (AnyIO's `anyio.Semaphore`). See `Lock.ts` for the
 * conventions shared by all synchronization primitives (plain classes, Effects for operations, plain
 * reads, errors, cancellation).
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { InvalidArgumentError, RuntimeError, WouldBlock } from "./Errors.ts"
import { maskedTake } from "./internal/lock.ts"
import { pendingCancellation } from "./internal/scope.ts"
import { textOf } from "./internal/text.ts"
import { primitiveId, Waiter, WaitQueue, wake } from "./internal/waitQueue.ts"

/**
 * Options of {@link Semaphore}.
 *
 * **When to use**: `maxValue` to catch unbalanced releases; `fastAcquire: true` to skip AnyIO's
 * checkpoint on uncontended acquires.
 *
 * @example
 * ```ts
 * import { Semaphore } from "effect-anyio"
 * const semaphore = new Semaphore(4, { maxValue: 4, fastAcquire: true })
 * ```
 * @category models
 */
export interface SemaphoreOptions {
  /** Upper bound for the value; releasing beyond it is an error. Default: unbounded. */
  readonly maxValue?: number | undefined
  /**
   * When `true`, an uncontended `acquire` returns without yielding to other fibers (AnyIO's
   * `fast_acquire`). Default `false`: `acquire` is always a checkpoint.
   */
  readonly fastAcquire?: boolean | undefined
}

/**
 * A snapshot of a {@link Semaphore}'s state, returned by `semaphore.statistics()`.
 *
 * **When to use**: diagnostics and tests (how many tasks wait); the value itself is `semaphore.value`.
 *
 * @example
 * ```ts
 * import { Semaphore } from "effect-anyio"
 * const { tasksWaiting } = new Semaphore(1).statistics()
 * ```
 * @category models
 */
export interface SemaphoreStatistics {
  /** Number of tasks blocked in `acquire`. */
  readonly tasksWaiting: number
}

const releasedTooManyTimes = Effect.suspend(() =>
  Effect.die(new RuntimeError({ message: "semaphore released too many times" }))
)

const isCount = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0

/**
 * A counting semaphore (AnyIO's `anyio.Semaphore`): `acquire` takes one unit of `value`, waiting while
 * it is 0; `release` gives one back.
 *
 * **When to use**
 *
 * To bound how many tasks run a section at once (connections, requests in flight). For "at most N tasks,
 * each at most once" with borrower tracking, see {@link CapacityLimiter}; for exclusive ownership, see
 * {@link Lock}. Prefer `semaphore.withPermit(body)`, which releases on every exit.
 *
 * **Details**
 *
 * - Waiters are served in FIFO order; `release` gives the unit directly to the first waiter, so the
 *   value stays 0 and a later `acquireNowait` cannot steal it.
 * - `acquire` is a checkpoint (it yields once even when a unit is free) unless `fastAcquire: true`. A
 *   task cancelled at that checkpoint or while waiting does not keep a unit.
 * - No ownership: any task may release. With `maxValue`, releasing when `value === maxValue` dies with
 *   `RuntimeError` (AnyIO raises `ValueError`).
 * - `new Semaphore(initialValue, options)` throws `InvalidArgumentError` unless `initialValue` is a
 *   non-negative integer and `maxValue` (if given) an integer `>= initialValue`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Semaphore } from "effect-anyio"
 *
 * const semaphore = new Semaphore(2)
 * const fetchOne = (id: number) => semaphore.withPermit(Effect.sleep("10 millis").pipe(Effect.as(id)))
 * // at most two fetches run at once
 * const all = Effect.forEach([1, 2, 3, 4], fetchOne, { concurrency: "unbounded" })
 * ```
 * @see {@link Lock}, {@link CapacityLimiter}
 * @category models
 */
export class Semaphore {
  /** The largest value allowed, or `undefined` for no bound. */
  readonly maxValue: number | undefined
  /** Whether an uncontended `acquire` skips its checkpoint (see {@link SemaphoreOptions}). */
  readonly fastAcquire: boolean
  readonly #id: number = primitiveId()
  #value: number
  readonly #waiters = new WaitQueue<Waiter>()
  readonly #acquire: Effect.Effect<void>
  readonly #acquireNowait: Effect.Effect<void, WouldBlock>
  readonly #release: Effect.Effect<void>
  readonly #releaseFinalizer: () => Effect.Effect<void> | undefined
  readonly #acquireScoped: Effect.Effect<void, never, Scope.Scope>
  readonly #describe = (): string => `${this} (value ${this.#value})`

  constructor(initialValue: number, options?: SemaphoreOptions) {
    if (!isCount(initialValue)) {
      throw new InvalidArgumentError({
        message: `initialValue must be a non-negative integer, got ${textOf(initialValue)}`
      })
    }
    const maxValue = options?.maxValue
    if (maxValue !== undefined) {
      if (!isCount(maxValue)) {
        throw new InvalidArgumentError({
          message: `maxValue must be a non-negative integer or undefined, got ${textOf(maxValue)}`
        })
      }
      if (maxValue < initialValue) {
        throw new InvalidArgumentError({ message: "maxValue must be equal to or higher than initialValue" })
      }
    }
    this.#value = initialValue
    this.maxValue = maxValue
    this.fastAcquire = options?.fastAcquire === true

    const checkpoint = Effect.onExitPrimitive(Effect.yieldNow, (exit) => {
      if (exit._tag === "Failure") this.#giveBack()
      return undefined
    })
    // AnyIO's acquire starts with `checkpoint_if_cancelled`, fast path included.
    this.#acquire = Effect.withFiber((fiber) => {
      const cancelled = pendingCancellation(fiber)
      if (cancelled !== undefined) return cancelled
      if (this.#value > 0) {
        this.#value--
        return this.fastAcquire ? Effect.void : checkpoint
      }
      return Effect.callback<void>((resume) => {
        // Re-check: the fiber may have yielded between the decision above and this registration.
        if (this.#value > 0) {
          this.#value--
          return resume(Effect.void)
        }
        const w = new Waiter(resume, this.#describe)
        this.#waiters.push(w)
        return Effect.sync(() => {
          // Still queued: just leave. Already handed a unit: pass it on.
          if (!this.#waiters.remove(w)) this.#giveBack()
        })
      })
    })
    this.#acquireNowait = Effect.suspend(() => {
      if (this.#value === 0) return Effect.fail(new WouldBlock({ message: "The semaphore value is 0" }))
      this.#value--
      return Effect.void
    })
    this.#releaseFinalizer = () => {
      if (this.maxValue !== undefined && this.#value >= this.maxValue) return releasedTooManyTimes
      this.#giveBack()
      return undefined
    }
    this.#release = Effect.suspend(() => this.#releaseFinalizer() ?? Effect.void)
    const register = Effect.addFinalizer(() => this.#release)
    this.#acquireScoped = maskedTake(Effect.void, (_, restore) => this.#acquireMasked(restore, register))
  }

  /** The current value: how many units can be acquired without waiting. */
  get value(): number {
    return this.#value
  }

  /**
   * Takes one unit, waiting (FIFO) while the value is 0. A checkpoint unless `fastAcquire`.
   */
  acquire(): Effect.Effect<void> {
    return this.#acquire
  }

  /** Takes one unit without waiting; fails with `WouldBlock` if the value is 0. */
  acquireNowait(): Effect.Effect<void, WouldBlock> {
    return this.#acquireNowait
  }

  /**
   * Gives one unit back: to the first waiter if any, else the value grows. Dies with `RuntimeError`
   * if that would exceed `maxValue`.
   */
  release(): Effect.Effect<void> {
    return this.#release
  }

  /** A snapshot of the semaphore's state. */
  statistics(): SemaphoreStatistics {
    return { tasksWaiting: this.#waiters.size }
  }

  /** The semaphore's name in task-tree printouts and deadlock reports, e.g. `Semaphore #4`. */
  toString(): string {
    return `Semaphore #${this.#id}`
  }

  /**
   * Runs `body` holding one unit (AnyIO's `async with semaphore:`): waits interruptibly, then releases
   * however `body` exits.
   */
  withPermit<A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    // The frame that releases is the same on every run (it needs no task): built once per restore.
    let restored: unknown
    let use = body
    return maskedTake(body, (_, restore, restoredBody) => {
      if (restoredBody !== restored) {
        use = Effect.onExitPrimitive(restoredBody, this.#releaseFinalizer, true)
        restored = restoredBody
      }
      return this.#acquireMasked(restore, use)
    })
  }

  /**
   * Takes one unit and gives it back when the enclosing `Scope` closes (the `Effect.acquireRelease`
   * form). Waiting is interruptible.
   */
  acquireScoped(): Effect.Effect<void, never, Scope.Scope> {
    return this.#acquireScoped
  }

  /**
   * Acquire, then `then`, inside `uninterruptibleMask`. The checkpoint of an uncontended acquire is then
   * AnyIO's cancel-shielded one: the caller observes a cancellation right after, with its finalizer in
   * place. (A bare `acquire()` uses an interruptible checkpoint that gives the unit back instead.)
   */
  #acquireMasked<A, E, R>(
    restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>,
    then: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, R> {
    if (this.#value > 0) {
      this.#value--
      return this.fastAcquire ? then : Effect.andThen(Effect.yieldNow, then)
    }
    return Effect.andThen(restore(this.#acquire), then)
  }

  /** A unit comes back: to the first waiter, else to the value. */
  #giveBack(): void {
    const next = this.#waiters.shift()
    if (next === undefined) this.#value++
    else wake(next, Effect.void)
  }
}
