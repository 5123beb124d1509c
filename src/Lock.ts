/**
 * A mutual-exclusion lock owned by a task (AnyIO's `anyio.Lock`).
 *
 * Conventions shared by every synchronization primitive of effect-anyio (`Event`, `Lock`, `Semaphore`,
 * `Condition`, `CapacityLimiter`, `ResourceGuard`):
 *
 * - **Plain classes, built with `new`.** A primitive only holds JavaScript state (a flag, a counter, a
 *   waiter queue); building one has no effect and needs no running program, so `new Lock()` works at
 *   module level, in a constructor or in a test, exactly like AnyIO's primitives may be created outside
 *   an event loop. (Effect's equivalent is `Semaphore.makeUnsafe`.)
 * - **Operations that change state or depend on the calling task are Effects** (`yield* lock.acquire()`,
 *   `yield* lock.release()`, `yield* event.set()`, `yield* lock.acquireNowait()`), including the ones that
 *   AnyIO has as synchronous methods: they read the current task (owner checks) and may wake other
 *   fibers. Each call returns a pre-built Effect, so calling them allocates nothing.
 * - **Pure reads of the primitive's own state are plain methods or getters** (`lock.locked()`,
 *   `event.isSet()`, `semaphore.value`, `statistics()`): they can be used anywhere, e.g. in assertions.
 * - **Errors**: a `*Nowait` operation that would block fails with the typed error `WouldBlock`. Misuse
 *   that AnyIO reports with `RuntimeError` (re-acquiring a lock you hold, releasing one you do not hold,
 *   ...) is a defect: `Effect.die(new RuntimeError(...))`. Bad constructor or setter arguments throw
 *   `InvalidArgumentError` synchronously; bad arguments to an operation die with it.
 * - **Cancellation is fiber interruption.** Every wait is FIFO with direct hand-off: a released resource
 *   is given to the first waiter at once, before it even runs. A waiter interrupted while blocked never
 *   ends up holding the resource: if the hand-off had already happened, it passes the resource on to the
 *   next waiter (or gives it back). Waiting is always interruptible, also inside `withLock`-style
 *   helpers.
 * - **Identity is the task, not the fiber.** Owners and borrowers are AnyIO tasks (see
 *   `getCurrentTask`): code inside a cancel scope runs in its own fiber but is the same task. Plain
 *   `Effect.forkChild` fibers forked inside a task belong to that task too.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { WouldBlock } from "./Errors.ts"
import { currentTask, LockCore, maskedTake, register } from "./internal/lock.ts"
import { pendingCancellation } from "./internal/scope.ts"

/**
 * Options of {@link Lock}.
 *
 * **When to use**: pass `{ fastAcquire: true }` when the lock guards short sections on a hot path and
 * the extra scheduling point of AnyIO's default is not wanted.
 *
 * @example
 * ```ts
 * import { Lock } from "effect-anyio"
 * const lock = new Lock({ fastAcquire: true })
 * ```
 * @category models
 */
export interface LockOptions {
  /**
   * When `true`, an uncontended `acquire` returns without yielding to other fibers (AnyIO's
   * `fast_acquire`). Default `false`: `acquire` is always a checkpoint, as in AnyIO.
   */
  readonly fastAcquire?: boolean | undefined
}

/**
 * A snapshot of a {@link Lock}'s state, returned by `lock.statistics()`.
 *
 * **When to use**: diagnostics and tests (who holds the lock, how many wait). `owner` is `{ id, name }`
 * of the task, copied at the time of the call.
 *
 * @example
 * ```ts
 * import { Lock } from "effect-anyio"
 * const { locked, owner, tasksWaiting } = new Lock().statistics()
 * ```
 * @category models
 */
export interface LockStatistics {
  /** Whether the lock is held. */
  readonly locked: boolean
  /** The task holding the lock (or the waiter it was just handed to), if any. */
  readonly owner: { readonly id: number; readonly name: string } | undefined
  /** Number of tasks blocked in `acquire`. */
  readonly tasksWaiting: number
}

/**
 * A mutual-exclusion lock owned by the task that acquired it (AnyIO's `anyio.Lock`).
 *
 * **When to use**
 *
 * To let one task at a time into a critical section that spans suspension points. Prefer
 * `lock.withLock(body)`, which releases on every exit; use `acquire`/`release` only when the critical
 * section does not follow the structure of the code.
 *
 * **Details**
 *
 * - Waiters are served in FIFO order; `release` hands the lock directly to the first waiter, so a task
 *   calling `acquire`/`acquireNowait` right after a release cannot barge in ahead of it.
 * - `acquire` is a checkpoint (it yields once even when the lock is free) unless `fastAcquire: true`.
 *   If the task is cancelled at that checkpoint or while waiting, it does not hold the lock afterwards.
 * - The owner is the task (`getCurrentTask()`), not the fiber. Acquiring a lock the task already holds
 *   and releasing a lock it does not hold die with `RuntimeError`. `acquireNowait` fails with
 *   `WouldBlock` when the lock is held by another task.
 * - See the module documentation for the conventions shared by all primitives.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Lock } from "effect-anyio"
 *
 * const lock = new Lock()
 * let counter = 0
 * const increment = lock.withLock(Effect.gen(function* () {
 *   const seen = counter
 *   yield* Effect.yieldNow
 *   counter = seen + 1
 * }))
 * await Effect.runPromise(Effect.all([increment, increment, increment], { concurrency: "unbounded" }))
 * // counter === 3
 * ```
 * @see {@link Semaphore}, {@link Condition}, {@link CapacityLimiter}
 * @category models
 */
export class Lock {
  /** Whether an uncontended `acquire` skips its checkpoint (see {@link LockOptions}). */
  readonly fastAcquire: boolean
  readonly #core = new LockCore()
  readonly #acquire: Effect.Effect<void>
  readonly #acquireNowait: Effect.Effect<void, WouldBlock>
  readonly #release: Effect.Effect<void>
  readonly #acquireScoped: Effect.Effect<void, never, Scope.Scope>

  constructor(options?: LockOptions) {
    const core = this.#core
    register(this, core)
    this.fastAcquire = options?.fastAcquire === true
    // AnyIO's acquire starts with `checkpoint_if_cancelled`, fast path included: a task with a
    // pending cancellation never takes the lock.
    this.#acquire = Effect.withFiber(
      (fiber) => pendingCancellation(fiber) ?? core.acquire(currentTask(fiber), !this.fastAcquire)
    )
    this.#acquireNowait = Effect.withFiber((fiber) => {
      const task = currentTask(fiber)
      if (core.owner === undefined) {
        core.owner = task
        return Effect.void
      }
      return core.heldBy(task) ?? Effect.fail(new WouldBlock({ message: "The lock is held by another task" }))
    })
    this.#release = Effect.withFiber((fiber) => core.release(currentTask(fiber)) ?? Effect.void)
    this.#acquireScoped = maskedTake(Effect.void, (fiber, restore) => {
      const task = currentTask(fiber)
      const register = Effect.addFinalizer(() => core.release(task) ?? Effect.void)
      if (core.owner === undefined) {
        core.owner = task
        return this.fastAcquire ? register : Effect.andThen(Effect.yieldNow, register)
      }
      return Effect.andThen(restore(core.acquire(task, false)), register)
    })
  }

  /**
   * Acquires the lock, waiting (FIFO) while another task holds it. A checkpoint unless `fastAcquire`.
   * Dies with `RuntimeError` if the current task already holds the lock.
   */
  acquire(): Effect.Effect<void> {
    return this.#acquire
  }

  /**
   * Acquires the lock without waiting; fails with `WouldBlock` if another task holds it. Dies with
   * `RuntimeError` if the current task already holds it.
   */
  acquireNowait(): Effect.Effect<void, WouldBlock> {
    return this.#acquireNowait
  }

  /**
   * Releases the lock, handing it to the first waiting task if any. Dies with `RuntimeError` if the
   * current task does not hold it.
   */
  release(): Effect.Effect<void> {
    return this.#release
  }

  /** Whether the lock is held (by any task). */
  locked(): boolean {
    return this.#core.owner !== undefined
  }

  /** A snapshot of the lock's state. */
  statistics(): LockStatistics {
    const owner = this.#core.owner
    return {
      locked: owner !== undefined,
      owner: owner === undefined ? undefined : { id: owner.id, name: owner.name },
      tasksWaiting: this.#core.waiters.size
    }
  }

  /**
   * The lock's name in task-tree printouts and deadlock reports, e.g. `Lock #2` (ids count every
   * primitive and stream made by this process).
   */
  toString(): string {
    return `Lock #${this.#core.id}`
  }

  /**
   * Runs `body` while holding the lock (AnyIO's `async with lock:`): waits for the lock interruptibly,
   * then releases it however `body` exits.
   */
  withLock<A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    const core = this.#core
    const fast = this.fastAcquire
    return maskedTake(body, (fiber, restore, restored) => {
      const task = currentTask(fiber)
      const use = Effect.onExitPrimitive(restored, () => core.release(task), true)
      if (core.owner === undefined) {
        core.owner = task
        return fast ? use : Effect.andThen(Effect.yieldNow, use)
      }
      return Effect.andThen(restore(core.acquire(task, false)), use)
    })
  }

  /**
   * Acquires the lock and releases it when the enclosing `Scope` closes (the `Effect.acquireRelease`
   * form). Waiting is interruptible.
   */
  acquireScoped(): Effect.Effect<void, never, Scope.Scope> {
    return this.#acquireScoped
  }
}
