/**
 * The state and rules of a `Lock`, apart from its public face (`Lock.ts`), so that `Condition` can
 * release and re-take the lock it is built on.
 *
 * @internal
 */
import { Effect, Fiber } from "effect"
import { RuntimeError } from "../Errors.ts"
import { pendingCancellationMasked } from "./scope.ts"
import { type TaskNode, taskOfFiber } from "./task.ts"
import { primitiveId, Waiter, WaitQueue, wake } from "./waitQueue.ts"

const acquireTwice = Effect.suspend(() =>
  Effect.die(new RuntimeError({ message: "Attempted to acquire an already held Lock" }))
)

const notHolding = Effect.suspend(() =>
  Effect.die(new RuntimeError({ message: "The current task is not holding this lock" }))
)

// `taskOfFiber` of the last fiber asked about, while its context stays the same: the task is a
// function of the two (of the context, or of the fiber outside every task), and a hot loop of
// acquires asks about one fiber over and over.
let lastFiber: Fiber.Fiber<unknown, unknown> | undefined
let lastContext: unknown
let lastTask: TaskNode | undefined

/** The task `fiber` runs in (`taskOfFiber`), remembered for the last fiber and context. @internal */
export const currentTask = (fiber: Fiber.Fiber<unknown, unknown>): TaskNode => {
  const context = fiber.context
  if (fiber !== lastFiber || context !== lastContext || lastTask === undefined) {
    lastTask = taskOfFiber(fiber)
    lastFiber = fiber
    lastContext = context
  }
  return lastTask
}

/**
 * The frame of `withLock`/`withPermit`/`acquireScoped`: `take(fiber, restore, restored)` runs inside
 * `uninterruptibleMask`, so that taking the resource and registering its release are one step, after
 * AnyIO's `checkpoint_if_cancelled` (a pending cancellation is raised and `take` never runs).
 * `restored` is `restore(body)`, built once per kind of `restore` rather than on every run; the
 * current fiber is read directly (no `withFiber` of its own).
 * @internal
 */
export const maskedTake = <A, E, R, B, EB, RB>(
  body: Effect.Effect<B, EB, RB>,
  take: (
    fiber: Fiber.Fiber<unknown, unknown>,
    restore: <X, Y, Z>(effect: Effect.Effect<X, Y, Z>) => Effect.Effect<X, Y, Z>,
    restored: Effect.Effect<B, EB, RB>
  ) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  let seen: unknown
  let restored = body
  let interruptible = false
  return Effect.uninterruptibleMask((restore) => {
    if (restore !== seen) {
      // `restore` is the identity when the fiber was uninterruptible already (no check then).
      restored = restore(body)
      interruptible = restored !== body
      seen = restore
    }
    const fiber = Fiber.getCurrent()!
    return pendingCancellationMasked(fiber, interruptible) ?? take(fiber, restore, restored)
  })
}

class LockWaiter extends Waiter {
  /** The task that will own the lock once this waiter is served. */
  readonly owner: TaskNode
  constructor(resume: (effect: Effect.Effect<void>) => void, owner: TaskNode, describe: () => string) {
    super(resume, describe)
    this.owner = owner
  }
}

/**
 * A lock's owner and waiters.
 *
 * The checkpoint of an uncontended acquire comes in two forms. Inside `withLock`/`acquireScoped` the
 * caller is in an uninterruptible region until the release is registered, so the yield is AnyIO's
 * cancel-shielded checkpoint: a cancellation arriving meanwhile is observed as the body starts, and
 * the finalizer releases. A bare `acquire()` cannot leave it to a finalizer, so its yield is
 * interruptible and gives the lock back if interrupted there: `acquire()` either returns holding the
 * lock or fails without it.
 * @internal
 */
export class LockCore {
  readonly id: number = primitiveId()
  owner: TaskNode | undefined = undefined
  readonly waiters = new WaitQueue<LockWaiter>()
  readonly describe = (): string => {
    const owner = this.owner
    return owner === undefined
      ? `Lock #${this.id} (free)`
      : `Lock #${this.id} held by task '${owner.name}' (#${owner.id})`
  }

  /** Acquire on behalf of `task`; `checkpoint` adds AnyIO's yield on the uncontended path. */
  acquire(task: TaskNode, checkpoint: boolean): Effect.Effect<void> {
    const owner = this.owner
    if (owner === undefined) {
      this.owner = task
      return checkpoint ? this.checkpoint(task) : Effect.void
    }
    if (owner === task) return acquireTwice
    return Effect.callback<void>((resume) => {
      // Re-check: the fiber may have yielded between the decision above and this registration.
      if (this.owner === undefined) {
        this.owner = task
        return resume(Effect.void)
      }
      const w = new LockWaiter(resume, task, this.describe)
      this.waiters.push(w)
      return Effect.sync(() => {
        // Still queued: just leave. Already handed the lock: pass it on.
        if (!this.waiters.remove(w) && this.owner === task) this.handOff()
      })
    })
  }

  /** `acquireTwice` if `task` holds the lock, else `undefined`. */
  heldBy(task: TaskNode): Effect.Effect<never> | undefined {
    return this.owner === task ? acquireTwice : undefined
  }

  /** Yield once; if interrupted there, give the lock up again. */
  private checkpoint(task: TaskNode): Effect.Effect<void> {
    return Effect.onExitPrimitive(Effect.yieldNow, (exit) => {
      if (exit._tag === "Failure" && this.owner === task) this.handOff()
      return undefined
    })
  }

  /** The owner gives the lock up: to the first waiter, else the lock becomes free. */
  handOff(): void {
    const next = this.waiters.shift()
    if (next === undefined) {
      this.owner = undefined
    } else {
      this.owner = next.owner
      wake(next, Effect.void)
    }
  }

  /** `release()` by `task`: dies unless it holds the lock (then `undefined`: released). */
  release(task: TaskNode): Effect.Effect<never> | undefined {
    if (this.owner !== task) return notHolding
    this.handOff()
    return undefined
  }
}

const cores = new WeakMap<object, LockCore>()

/** Links a public `Lock` to its core. @internal */
export const register = (lock: object, core: LockCore): void => {
  cores.set(lock, core)
}

/** The core of a public `Lock`, or `undefined` for anything else. @internal */
export const coreOf = (lock: unknown): LockCore | undefined =>
  typeof lock === "object" && lock !== null ? cores.get(lock) : undefined
