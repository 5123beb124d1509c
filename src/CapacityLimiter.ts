/**
 * A pool of tokens, at most one per borrower (AnyIO's `anyio.CapacityLimiter`). See `Lock.ts` for the
 * conventions shared by all synchronization primitives.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { InvalidArgumentError, RuntimeError, WouldBlock } from "./Errors.ts"
import { limiterAccess } from "./internal/limiterAccess.ts"
import { pendingCancellation, unlessCancelled } from "./internal/scope.ts"
import { taskOfFiber } from "./internal/task.ts"
import { textOf } from "./internal/text.ts"
import { primitiveId, Waiter, WaitQueue, wake } from "./internal/waitQueue.ts"

/**
 * A snapshot of a {@link CapacityLimiter}'s state, returned by `limiter.statistics()`.
 *
 * **When to use**: diagnostics and tests (who holds tokens, how many wait). `borrowers` is a copy.
 *
 * @example
 * ```ts
 * import { CapacityLimiter } from "effect-anyio"
 * const { borrowedTokens, totalTokens, borrowers, tasksWaiting } = new CapacityLimiter(2).statistics()
 * ```
 * @category models
 */
export interface CapacityLimiterStatistics {
  /** Number of tokens currently borrowed (including tokens handed to woken waiters). */
  readonly borrowedTokens: number
  /** Total number of tokens (may be `Infinity`). */
  readonly totalTokens: number
  /** The borrowers holding a token: tasks (as in `getCurrentTask()`), or the objects given to `*OnBehalfOf`. */
  readonly borrowers: ReadonlyArray<unknown>
  /** Number of borrowers blocked in `acquire`/`acquireOnBehalfOf`. */
  readonly tasksWaiting: number
}

class LimiterWaiter extends Waiter {
  readonly borrower: unknown
  constructor(resume: (effect: Effect.Effect<void>) => void, describe: () => string, borrower: unknown) {
    super(resume, describe)
    this.borrower = borrower
  }
}

const validateTotal = (value: unknown): number => {
  if (typeof value !== "number" || !(Number.isSafeInteger(value) || value === Number.POSITIVE_INFINITY)) {
    if (typeof value === "number" && value < 0) {
      throw new InvalidArgumentError({ message: "totalTokens must be >= 0" })
    }
    throw new InvalidArgumentError({
      message: `totalTokens must be an integer or Infinity, got ${textOf(value)}`
    })
  }
  if (value < 0) throw new InvalidArgumentError({ message: "totalTokens must be >= 0" })
  return value
}

const borrowTwice = Effect.suspend(() =>
  Effect.die(
    new RuntimeError({ message: "this borrower is already holding one of this CapacityLimiter's tokens" })
  )
)
const waitTwice = Effect.suspend(() =>
  Effect.die(
    new RuntimeError({ message: "this borrower is already waiting for one of this CapacityLimiter's tokens" })
  )
)
const notBorrowing = Effect.suspend(() =>
  Effect.die(
    new RuntimeError({ message: "this borrower isn't holding any of this CapacityLimiter's tokens" })
  )
)

/**
 * Limits how many borrowers run at once, each holding at most one token (AnyIO's
 * `anyio.CapacityLimiter`).
 *
 * **When to use**
 *
 * To cap concurrency of a kind of work (worker threads, outgoing connections) with a limit that can be
 * changed at run time and with visibility of who holds the tokens. A borrower is the current task, or
 * any object passed to `acquireOnBehalfOf`/`releaseOnBehalfOf` (e.g. a thread or a request id).
 *
 * **Details**
 *
 * - FIFO: a freed token is reserved at once for the first waiter (it counts as borrowed before that
 *   task runs), so `acquireNowait` cannot take it.
 * - `acquire` is always a checkpoint (as AnyIO); a borrower cancelled at that checkpoint or while
 *   waiting does not keep a token, and a token handed to it is passed on.
 * - `totalTokens` is read-write: raising it wakes as many waiters as there are new tokens, in order;
 *   lowering it makes newcomers wait until enough tokens are returned. `Infinity` means no limit.
 *   Setting (or constructing with) anything other than a non-negative integer or `Infinity` throws
 *   `InvalidArgumentError`.
 * - Borrowing twice with the same borrower, waiting twice with the same borrower, and releasing a token
 *   the borrower does not hold die with `RuntimeError`. `acquireNowait` fails with `WouldBlock` when no
 *   token is free or others are waiting.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CapacityLimiter } from "effect-anyio"
 *
 * const limiter = new CapacityLimiter(4)
 * const job = (n: number) => limiter.withToken(Effect.succeed(n * 2))
 * const all = Effect.forEach([1, 2, 3, 4, 5, 6], job, { concurrency: "unbounded" })
 * ```
 * @see {@link Semaphore}
 * @category models
 */
export class CapacityLimiter {
  readonly #id: number = primitiveId()
  #totalTokens: number
  readonly #borrowers = new Set<unknown>()
  readonly #waiting = new Map<unknown, LimiterWaiter>()
  readonly #waiters = new WaitQueue<LimiterWaiter>()
  readonly #acquire: Effect.Effect<void>
  readonly #acquireNowait: Effect.Effect<void, WouldBlock>
  readonly #release: Effect.Effect<void>
  readonly #describe = (): string => `${this} (${this.#borrowers.size}/${this.#totalTokens} tokens borrowed)`

  static {
    // The worker pools' hot path (internal/workers/call.ts): a free token without an Effect.
    limiterAccess.take = (limiter, borrower) => {
      const l = limiter as CapacityLimiter
      if (l.#borrowers.has(borrower) || !l.#free()) return false
      l.#borrowers.add(borrower)
      return true
    }
    limiterAccess.give = (limiter, borrower) => {
      ;(limiter as CapacityLimiter).#releaseFor(borrower)
    }
  }

  constructor(totalTokens: number) {
    this.#totalTokens = validateTotal(totalTokens)
    // AnyIO's acquire starts with `checkpoint_if_cancelled`: a pending cancellation takes no token.
    this.#acquire = Effect.withFiber(
      (fiber) => pendingCancellation(fiber) ?? this.#acquireFor(taskOfFiber(fiber))
    )
    this.#acquireNowait = Effect.withFiber((fiber) => this.#acquireNowaitFor(taskOfFiber(fiber)))
    this.#release = Effect.withFiber((fiber) => this.#releaseFor(taskOfFiber(fiber)) ?? Effect.void)
  }

  /** The total number of tokens. Writable: see the class documentation. */
  get totalTokens(): number {
    return this.#totalTokens
  }

  set totalTokens(value: number) {
    this.#totalTokens = validateTotal(value)
    this.#wakeWaiters()
  }

  /** The number of tokens currently borrowed. */
  get borrowedTokens(): number {
    return this.#borrowers.size
  }

  /** The number of tokens that can be borrowed now (0 when the limit was lowered below the loans). */
  get availableTokens(): number {
    return Math.max(0, this.#totalTokens - this.#borrowers.size)
  }

  /** Borrows a token for the current task, waiting (FIFO) if none is free. Always a checkpoint. */
  acquire(): Effect.Effect<void> {
    return this.#acquire
  }

  /** Borrows a token for the current task without waiting; fails with `WouldBlock` if none is free. */
  acquireNowait(): Effect.Effect<void, WouldBlock> {
    return this.#acquireNowait
  }

  /** Borrows a token for `borrower`, waiting (FIFO) if none is free. Always a checkpoint. */
  acquireOnBehalfOf(borrower: unknown): Effect.Effect<void> {
    return Effect.withFiber((fiber) => pendingCancellation(fiber) ?? this.#acquireFor(borrower))
  }

  /** Borrows a token for `borrower` without waiting; fails with `WouldBlock` if none is free. */
  acquireOnBehalfOfNowait(borrower: unknown): Effect.Effect<void, WouldBlock> {
    return Effect.suspend(() => this.#acquireNowaitFor(borrower))
  }

  /** Returns the current task's token (to the first waiter, if any). */
  release(): Effect.Effect<void> {
    return this.#release
  }

  /** Returns `borrower`'s token (to the first waiter, if any). */
  releaseOnBehalfOf(borrower: unknown): Effect.Effect<void> {
    return Effect.suspend(() => this.#releaseFor(borrower) ?? Effect.void)
  }

  /**
   * Runs `body` holding a token for the current task (AnyIO's `async with limiter:`): waits
   * interruptibly, then returns the token however `body` exits.
   */
  withToken<A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return unlessCancelled((fiber) =>
      Effect.uninterruptibleMask((restore) => {
        const task = taskOfFiber(fiber)
        return this.#acquireMasked(
          task,
          restore,
          Effect.onExitPrimitive(restore(body), () => this.#releaseFor(task), true)
        )
      })
    )
  }

  /** Borrows a token for the current task until the enclosing `Scope` closes. */
  acquireScoped(): Effect.Effect<void, never, Scope.Scope> {
    return unlessCancelled((fiber) =>
      Effect.uninterruptibleMask((restore) => {
        const task = taskOfFiber(fiber)
        return this.#acquireMasked(
          task,
          restore,
          Effect.addFinalizer(() => this.#releaseFor(task) ?? Effect.void)
        )
      })
    )
  }

  /** A snapshot of the limiter's state. */
  statistics(): CapacityLimiterStatistics {
    return {
      borrowedTokens: this.#borrowers.size,
      totalTokens: this.#totalTokens,
      borrowers: Array.from(this.#borrowers),
      tasksWaiting: this.#waiters.size
    }
  }

  /** The limiter's name in task-tree printouts and deadlock reports, e.g. `CapacityLimiter #6`. */
  toString(): string {
    return `CapacityLimiter #${this.#id}`
  }

  // ---------------------------------------------------------------------------------------------------

  #free(): boolean {
    return this.#waiters.size === 0 && this.#borrowers.size < this.#totalTokens
  }

  #acquireFor(borrower: unknown): Effect.Effect<void> {
    if (this.#borrowers.has(borrower)) return borrowTwice
    if (this.#waiters.size > 0 && this.#waiting.has(borrower)) return waitTwice
    if (this.#free()) {
      this.#borrowers.add(borrower)
      // AnyIO's checkpoint after an uncontended borrow; cancelled there: give the token back.
      return Effect.onExitPrimitive(Effect.yieldNow, (exit) => {
        if (exit._tag === "Failure" && this.#borrowers.delete(borrower)) this.#wakeWaiters()
        return undefined
      })
    }
    return Effect.callback<void>((resume) => {
      // Re-check: the fiber may have yielded between the decision above and this registration.
      if (this.#free()) {
        this.#borrowers.add(borrower)
        return resume(Effect.void)
      }
      const w = new LimiterWaiter(resume, this.#describe, borrower)
      this.#waiters.push(w)
      this.#waiting.set(borrower, w)
      return Effect.sync(() => {
        if (this.#waiters.remove(w)) {
          this.#waiting.delete(borrower)
        } else if (this.#borrowers.delete(borrower)) {
          // Handed a token but cancelled before running: pass it on.
          this.#wakeWaiters()
        }
      })
    })
  }

  /**
   * Acquire, then `then`, inside `uninterruptibleMask`: the checkpoint of an uncontended borrow is then
   * AnyIO's cancel-shielded one (the caller observes a cancellation right after, with its finalizer in
   * place); waiting stays interruptible.
   */
  #acquireMasked<A, E, R>(
    borrower: unknown,
    restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>,
    then: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E, R> {
    if (!this.#borrowers.has(borrower) && this.#free()) {
      this.#borrowers.add(borrower)
      return Effect.andThen(Effect.yieldNow, then)
    }
    return Effect.andThen(restore(this.#acquireFor(borrower)), then)
  }

  #acquireNowaitFor(borrower: unknown): Effect.Effect<void, WouldBlock> {
    if (this.#borrowers.has(borrower)) return borrowTwice
    if (!this.#free()) return Effect.fail(new WouldBlock({ message: "No free CapacityLimiter token" }))
    this.#borrowers.add(borrower)
    return Effect.void
  }

  #releaseFor(borrower: unknown): Effect.Effect<void> | undefined {
    if (!this.#borrowers.delete(borrower)) return notBorrowing
    this.#wakeWaiters()
    return undefined
  }

  /** Hands free tokens to waiters, first come first served. */
  #wakeWaiters(): void {
    while (this.#waiters.size > 0 && this.#borrowers.size < this.#totalTokens) {
      const w = this.#waiters.shift()!
      this.#waiting.delete(w.borrower)
      this.#borrowers.add(w.borrower)
      wake(w, Effect.void)
    }
  }
}
