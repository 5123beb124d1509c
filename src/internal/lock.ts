/**
 * The state and rules of a `Lock`, apart from its public face (`Lock.ts`), so that `Condition` can
 * release and re-take the lock it is built on.
 *
 * @internal
 */
import { Effect } from "effect"
import { RuntimeError } from "../Errors.ts"
import type { TaskNode } from "./task.ts"
import { primitiveId, Waiter, WaitQueue, wake } from "./waitQueue.ts"

const acquireTwice = Effect.suspend(() =>
  Effect.die(new RuntimeError({ message: "Attempted to acquire an already held Lock" }))
)

const notHolding = Effect.suspend(() =>
  Effect.die(new RuntimeError({ message: "The current task is not holding this lock" }))
)

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
