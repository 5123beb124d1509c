/**
 * One call's life in a worker pool, shared by the thread and process pools: the limiter token, the
 * checkpoint before the call, the post, the wait for the reply, the general message loop, and the
 * settling of the reply. What differs (messages only threads send, what a cancellation does) is
 * left to the subclasses of {@link WorkerCall}.
 *
 * The hot path, a value while the host waits: one `Effect.callback` per call. A free limiter token
 * is taken at once, and the call is posted in a task of the host's dispatcher (behind the tasks
 * already ready: AnyIO's checkpoint before the call, one suspension for it and the call); the
 * worker's value resumes the host directly, without a message object.
 *
 * @internal
 */
import { Cause, type Context, Effect, Exit, type Fiber, Function as Fn, type Scheduler } from "effect"
import type { CapacityLimiter } from "../../CapacityLimiter.ts"
import { InvalidArgumentError, RuntimeError, UncloneableValue } from "../../Errors.ts"
import { limiterAccess } from "../limiterAccess.ts"
import { settleReply } from "./callbacks.ts"
import type { IdlePool, PoolMember } from "./idlePool.ts"
import { describeTarget, OK } from "./protocol.ts"
import { callMessage, type KnownSlots, slotOf } from "./slots.ts"

/** What a worker sends the host about a call (`Run`: a `fromThread.run` callback, threads only). */
export type Message =
  | { readonly _tag: "Reply"; readonly status: number; readonly payload: unknown }
  | { readonly _tag: "Run"; readonly target: unknown; readonly args: ReadonlyArray<unknown> }
  | {
      readonly _tag: "Exit"
      readonly code: number | null
      readonly signal: string | null
      readonly error: unknown
    }

export type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** A worker of a pool, as a call sees it. */
export interface CallWorker extends PoolMember {
  call: WorkerCall<CallWorker> | undefined
  /** The function slots this worker has been told the names of. */
  readonly known: KnownSlots
  /** Posts a call message (throws when it cannot be cloned). */
  send(message: ReadonlyArray<unknown>): void
}

/** A pool that calls run in. */
export interface CallPool<W extends CallWorker> extends IdlePool<W> {
  readonly closedError: Effect.Effect<never>
}

let nextCallId = 0

/**
 * One call: what the host waits for, and the messages it has not taken yet. `O`: the options of
 * the kind of call (a thread call's `CallOptions`, a process call's `cancellable`).
 */
export abstract class WorkerCall<W extends CallWorker, O = unknown> {
  readonly id = ++nextCallId
  resume: ((effect: Effect.Effect<unknown, unknown>) => void) | undefined = undefined
  inbox: Array<Message> | undefined = undefined
  /** The host waits in {@link waitFor} (`resume` takes the call's outcome, not a message). */
  fast = false
  /** waitFor was ended by a message for the general loop (not by an interruption). */
  slow = false
  /** The call message has been posted (to `worker`). */
  posted = false
  /** The host was cancelled and waits on, shielded. */
  cancelled = false
  /** The host left: the result goes nowhere. */
  abandoned = false
  /** The call holds its limiter token. */
  borrowed = false
  worker: W | undefined = undefined
  restore: Restore = Fn.identity
  readonly moduleUrl: string
  readonly exportName: string
  readonly slot: number
  readonly args: ReadonlyArray<unknown>
  readonly options: O
  readonly context: Context.Context<never>
  readonly pool: CallPool<W>
  readonly dispatcher: Scheduler.SchedulerDispatcher

  constructor(
    moduleUrl: string,
    exportName: string,
    args: ReadonlyArray<unknown>,
    options: O,
    fiber: Fiber.Fiber<unknown, unknown>,
    pool: CallPool<W>
  ) {
    this.moduleUrl = moduleUrl
    this.exportName = exportName
    this.slot = slotOf(moduleUrl, exportName)
    this.args = args
    this.options = options
    this.context = fiber.context as Context.Context<never>
    this.dispatcher = fiber.currentDispatcher
    this.pool = pool
  }

  /** What the host does once cancelled while it waits (in the general loop's terms). */
  abstract onCancel(restore: Restore): Effect.Effect<unknown, unknown>
  /** The call's outcome when its worker exits before replying. */
  abstract onWorkerExit(message: Message & { readonly _tag: "Exit" }): Effect.Effect<unknown, unknown>
  /** Handles a message other than a reply or an exit, then waits on (`loop`). */
  onOther(_message: Message, restore: Restore): Effect.Effect<unknown, unknown> {
    return loop(this, restore)
  }
  /** A reply after a cancellation: an error named `Cancelled` is the cancellation itself. */
  settle(status: number, payload: unknown): Effect.Effect<unknown, unknown> {
    return settleReply(this.moduleUrl, this.exportName, status, payload, this.cancelled)
  }

  /**
   * The worker replied. The common case, a value while the host waits in {@link waitFor}, resumes
   * it with the value itself: no message object, no dispatch.
   */
  deliverReply(status: number, payload: unknown): void {
    if (this.fast && status === OK) {
      const resume = this.resume!
      this.resume = undefined
      this.fast = false
      resume(Exit.succeed(payload))
      return
    }
    this.deliver({ _tag: "Reply", status, payload })
  }

  deliver(message: Message): void {
    const resume = this.resume
    if (resume !== undefined) {
      this.resume = undefined
      if (this.fast) {
        // The host waits in waitFor: the general loop takes the message from the inbox (outside
        // the interruptible wait: a callback it runs must answer the worker even when cancelled).
        this.fast = false
        this.slow = true
        ;(this.inbox ??= []).push(message)
        resume(slowSignal)
      } else {
        resume(Effect.succeed(message))
      }
    } else if (!this.abandoned) {
      ;(this.inbox ??= []).push(message)
    }
  }

  /**
   * Posts the call to a worker of the pool, in a task of the host's dispatcher when scheduled by
   * {@link waitFor} (the checkpoint); nothing if the host is gone.
   */
  readonly post = (): void => {
    const resume = this.resume
    if (resume === undefined) return
    const pool = this.pool
    if (pool.closed) {
      this.fast = false
      this.resume = undefined
      resume(pool.closedError)
      return
    }
    const w = pool.checkout()
    w.call = this as unknown as WorkerCall<CallWorker>
    try {
      w.send(callMessage(w.known, this.id, this.slot, this.moduleUrl, this.exportName, this.args))
    } catch (error) {
      w.call = undefined
      pool.checkin(w)
      this.fast = false
      this.resume = undefined
      resume(
        Effect.fail(
          new UncloneableValue({
            what: "arguments",
            message: `the arguments of ${describeTarget(this.moduleUrl, this.exportName)} could not be cloned: ${(error as Error)?.message}`
          })
        )
      )
      return
    }
    w.known[this.slot] = true
    this.worker = w
    this.posted = true
  }

  /** The next message; interrupting the wait leaves later messages in the inbox. */
  next(): Effect.Effect<Message> {
    return Effect.callback<Message>((resume) => {
      const queued = this.inbox?.shift()
      if (queued !== undefined) return resume(Effect.succeed(queued))
      this.resume = resume as (effect: Effect.Effect<unknown, unknown>) => void
      return Effect.sync(() => {
        this.resume = undefined
      })
    })
  }
}

/** A worker's reply `[id, status, payload]`: the worker is free again, the call settles. */
export const onReply = <W extends CallWorker>(
  w: W,
  pool: IdlePool<W>,
  [id, status, payload]: [number, number, unknown]
): void => {
  const call = w.call
  if (call === undefined || call.id !== id) return
  w.call = undefined
  pool.checkin(w)
  call.deliverReply(status, payload)
}

/** A worker exited: its call (if any) learns it. */
export const onExit = <W extends CallWorker>(w: W, pool: IdlePool<W>, message: Message): void => {
  pool.forget(w)
  const call = w.call
  w.call = undefined
  call?.deliver(message)
}

const noTokens = Effect.die(
  new InvalidArgumentError({ message: "the limiter has 0 tokens: the call could never start" })
)

/** The effect a closed pool's calls die with. */
export const closedPool = (what: string): Effect.Effect<never> =>
  Effect.die(new RuntimeError({ message: `this ${what} pool is closed` }))

/**
 * Runs `call` holding a token of `limiter` (a per-call borrower: concurrent calls from fibers of
 * one task do not collide).
 *
 * AnyIO's checkpoint before the call: a task cancelled there (at its first suspension) never runs
 * the function, and gives its token back. A free token (no waiters then: a waiter is handed any
 * token that frees up) is taken at once, and the call is posted in a task of the host's
 * dispatcher: that wait is the checkpoint. Otherwise the limiter's acquire waits, and is itself
 * that checkpoint. The body of `onExitPrimitive` is uninterruptible; `restore` opens the caller's
 * interruptibility again around the waits.
 */
export const runCall = <W extends CallWorker>(
  limiter: CapacityLimiter,
  call: WorkerCall<W>
): Effect.Effect<unknown, unknown> => {
  if (limiter.totalTokens === 0) return noTokens
  if (call.pool.closed) return call.pool.closedError
  return Effect.uninterruptibleMask((restore) => {
    call.restore = restore
    // Uninterruptible here: a token taken synchronously cannot leak before onExitPrimitive is in place.
    const fast = limiterAccess.take(limiter, call)
    if (fast) call.borrowed = true
    return Effect.onExitPrimitive(
      fast
        ? waitFor(call, true)
        : Effect.flatMap(restore(limiter.acquireOnBehalfOf(call)), () => {
            call.borrowed = true
            return waitFor(call, false)
          }),
      () => {
        if (call.borrowed) limiterAccess.give(limiter, call)
        return undefined
      }
    )
  })
}

/**
 * Posts the call and waits for it: one `Effect.callback`, resumed with the function's value (the
 * common case), with {@link slowSignal} when anything else arrives (an error, a callback, the
 * worker's exit), which the general {@link loop} then handles, or with a failure to post.
 * `scheduled`: the post waits for a task of the host's dispatcher (the checkpoint); a host
 * interrupted before it runs never posts.
 */
const waitFor = <W extends CallWorker>(
  call: WorkerCall<W>,
  scheduled: boolean
): Effect.Effect<unknown, unknown> =>
  Effect.catchCause(
    call.restore(
      Effect.callback<unknown, unknown>((resume) => {
        call.fast = true
        call.resume = resume
        if (scheduled) call.dispatcher.scheduleTask(call.post, 0)
        else call.post()
      })
    ),
    (cause) => {
      call.fast = false
      call.resume = undefined
      if (call.slow) {
        call.slow = false
        return loop(call, call.restore)
      }
      // Otherwise an interruption (the host was cancelled) or a failure to post.
      return call.posted && Cause.hasInterrupts(cause) ? call.onCancel(call.restore) : Effect.failCause(cause)
    }
  )

/** Tells waitFor's host that a message waits in the inbox. */
const slowSignal = Exit.fail(undefined)

/** The general loop: the next message, until the call settles. */
export const loop = <W extends CallWorker>(
  call: WorkerCall<W>,
  restore: Restore
): Effect.Effect<unknown, unknown> =>
  Effect.matchCauseEffect(call.cancelled ? call.next() : restore(call.next()), {
    // Only an interruption can end the wait: the host was cancelled.
    onFailure: () => call.onCancel(restore),
    onSuccess: (message) => {
      switch (message._tag) {
        case "Reply":
          return call.settle(message.status, message.payload)
        case "Exit":
          return call.onWorkerExit(message)
        default:
          return call.onOther(message, restore)
      }
    }
  })
