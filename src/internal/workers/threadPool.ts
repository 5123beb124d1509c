/**
 * The pool of worker threads behind `toThread.runSync`, and one call's life in it.
 *
 * Built on `node:worker_threads` directly rather than Effect's `Worker`: that one is a raw message
 * transport whose worker side loads effect (over a second for the first call), and calls, errors,
 * callbacks and cancellation are ours to define anyway.
 *
 * - Workers are started on demand, reused most-recently-used first, and stopped after
 *   `maxIdleTime` seconds idle. An idle worker is `unref`'d: it never keeps the process alive.
 * - A worker runs one call at a time. A call abandoned on cancellation keeps its worker until the
 *   function returns; a worker terminated on cancellation, or one that died, is dropped.
 * - Callbacks (`fromThread`) arrive on a second channel whose worker end is read synchronously
 *   (`receiveMessageOnPort`) by the blocked worker; an answer is posted, then the shared flag set.
 *
 * @internal
 */
import { MessageChannel, type MessagePort, type ResourceLimits, Worker } from "node:worker_threads"
import { Cause, type Context, Effect, Exit, type Fiber, Function as Fn, type Scheduler } from "effect"
import { cancelScope } from "../../CancelScope.ts"
import type { CapacityLimiter } from "../../CapacityLimiter.ts"
import {
  BrokenWorkerThread,
  InvalidArgumentError,
  RuntimeError,
  UncloneableValue,
  WorkerFunctionNotFound
} from "../../Errors.ts"
import {
  type Answer,
  answerOf,
  type Callbacks,
  resolveCallback,
  runSyncCallback,
  settleReply,
  thrownAnswer,
  toEffect
} from "./callbacks.ts"
import { IdlePool, type PoolMember } from "./idlePool.ts"
import { CANCELLED, describeTarget, HOST_CANCELLED, OK, READY, RUN_SYNC } from "./protocol.ts"
import { callMessage, type KnownSlots, slotOf } from "./slots.ts"

const bootstrap = new URL(
  import.meta.url.endsWith(".ts") ? "./threadWorker.ts" : "./threadWorker.js",
  import.meta.url
)

/** AnyIO's `WorkerThread.MAX_IDLE_TIME`. */
export const DEFAULT_MAX_IDLE_TIME = 10
/** AnyIO's default thread limiter size. */
export const DEFAULT_THREAD_TOKENS = 40

export interface ThreadPoolOptions {
  readonly maxIdleTime?: number | undefined
  readonly execArgv?: ReadonlyArray<string> | undefined
  readonly resourceLimits?: ResourceLimits | undefined
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
}

export interface CallOptions {
  readonly limiter: CapacityLimiter | undefined
  readonly abandonOnCancel: boolean
  readonly terminateOnCancel: boolean
  readonly callbacks: Callbacks | undefined
}

type Message =
  | { readonly _tag: "Reply"; readonly status: number; readonly payload: unknown }
  | { readonly _tag: "Run"; readonly target: unknown; readonly args: ReadonlyArray<unknown> }
  | { readonly _tag: "Exit"; readonly code: number; readonly error: unknown }

let nextCallId = 0

/** One call: what the host waits for, and the messages it has not taken yet. */
class ThreadCall {
  readonly id = ++nextCallId
  resume: ((effect: Effect.Effect<unknown, unknown>) => void) | undefined = undefined
  inbox: Array<Message> | undefined = undefined
  /** The host waits in {@link waitFor} (`resume` takes the call's outcome, not a message). */
  fast = false
  /** waitFor was ended by a message for the general loop (not by an interruption). */
  slow = false
  /** The call message has been posted (to `worker`). */
  posted = false
  /** The host was cancelled and waits on, shielded (no `abandonOnCancel`). */
  cancelled = false
  /** The host left (cancelled with `abandonOnCancel`): the result goes nowhere. */
  abandoned = false
  /** We terminate the worker (cancelled with `terminateOnCancel`). */
  terminating = false
  /** The call holds its limiter token. */
  borrowed = false
  worker: PooledThread | undefined = undefined
  restore: Restore = Fn.identity
  readonly moduleUrl: string
  readonly exportName: string
  readonly slot: number
  readonly args: ReadonlyArray<unknown>
  readonly options: CallOptions
  readonly context: Context.Context<never>
  readonly pool: ThreadPoolImpl
  readonly dispatcher: Scheduler.SchedulerDispatcher

  constructor(
    moduleUrl: string,
    exportName: string,
    args: ReadonlyArray<unknown>,
    options: CallOptions,
    fiber: Fiber.Fiber<unknown, unknown>,
    pool: ThreadPoolImpl
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

  /**
   * The worker replied. The common case, a value while the host waits in {@link waitFor},
   * resumes it with the value itself: no message object, no dispatch.
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
   * {@link waitFor} (AnyIO's checkpoint before the call); nothing if the host is gone.
   */
  readonly post = (): void => {
    const resume = this.resume
    if (resume === undefined) return
    const pool = this.pool
    if (pool.closed) {
      this.fast = false
      this.resume = undefined
      resume(poolClosed)
      return
    }
    const w = pool.checkout()
    w.call = this
    Atomics.store(w.flags, HOST_CANCELLED, 0)
    try {
      w.worker.postMessage(
        callMessage(w.known, this.id, this.slot, this.moduleUrl, this.exportName, this.args)
      )
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

class PooledThread implements PoolMember {
  readonly worker: Worker
  readonly port: MessagePort
  readonly flags: Int32Array
  readonly pool: ThreadPoolImpl
  call: ThreadCall | undefined = undefined
  idleSince = 0
  dead = false
  /** The function slots this worker has been told the names of. */
  readonly known: KnownSlots = []
  lastError: unknown = undefined
  readonly exited: Promise<void>

  constructor(pool: ThreadPoolImpl) {
    this.pool = pool
    const { port1, port2 } = new MessageChannel()
    this.port = port1
    this.flags = new Int32Array(new SharedArrayBuffer(8))
    const options = pool.options
    this.worker = new Worker(bootstrap, {
      workerData: { port: port2, flags: this.flags },
      transferList: [port2],
      name: "effect-anyio worker thread",
      ...(options.execArgv !== undefined ? { execArgv: [...options.execArgv] } : {}),
      ...(options.resourceLimits !== undefined ? { resourceLimits: options.resourceLimits } : {}),
      ...(options.env !== undefined ? { env: { ...options.env } } : {})
    })
    this.worker.on("message", (message: [number, number, unknown]) => this.onReply(message))
    this.worker.on("error", (error) => {
      this.lastError = error
    })
    this.exited = new Promise((resolve) => {
      this.worker.on("exit", (code) => {
        this.onExit(code)
        resolve()
      })
    })
    this.port.on("message", (message: [number, unknown, ReadonlyArray<unknown>]) => this.onCallback(message))
    this.port.unref()
  }

  setRef(ref: boolean): void {
    if (ref) this.worker.ref()
    else this.worker.unref()
  }

  stop(): void {
    void this.worker.terminate()
  }

  private onReply([id, status, payload]: [number, number, unknown]): void {
    const call = this.call
    if (call === undefined || call.id !== id) return
    this.call = undefined
    this.pool.checkin(this)
    call.deliverReply(status, payload)
  }

  private onExit(code: number): void {
    this.dead = true
    this.pool.forget(this)
    this.port.close()
    const call = this.call
    this.call = undefined
    call?.deliver({ _tag: "Exit", code, error: this.lastError })
  }

  private onCallback([kind, target, args]: [number, unknown, ReadonlyArray<unknown>]): void {
    const call = this.call
    if (call === undefined) {
      this.answer(thrownAnswer(new Error("no call in progress")))
      return
    }
    if (kind === RUN_SYNC) {
      runSyncCallback(call.options.callbacks, call.context, target, args, (a) => this.answer(a))
      return
    }
    if (call.options.abandonOnCancel || call.abandoned) {
      // The host may leave at any moment and its result then goes nowhere: run the callback on its
      // own, shielded from the host's cancellation (AnyIO: it runs on after the host task was
      // cancelled and left).
      const fiber = Effect.runForkWith(call.context)(
        cancelScope({ shield: true }, runCallback(call, target, args))
      )
      fiber.addObserver((exit) =>
        this.answer(
          Exit.isSuccess(exit)
            ? exit.value._tag === "Some"
              ? exit.value.value
              : [CANCELLED, undefined]
            : answerOf(exit)
        )
      )
      return
    }
    call.deliver({ _tag: "Run", target, args })
  }

  answer(answer: Answer): void {
    if (this.dead) return
    try {
      this.port.postMessage(answer)
    } catch (error) {
      this.port.postMessage(
        thrownAnswer(
          new UncloneableValue({
            what: "result",
            message: `the callback's result could not be cloned: ${(error as Error)?.message}`
          })
        )
      )
    }
    Atomics.store(this.flags, READY, 1)
    Atomics.notify(this.flags, READY)
  }
}

/** Runs a `fromThread.run` callback; its outcome as an answer (never fails). */
const runCallback = (
  call: ThreadCall,
  target: unknown,
  args: ReadonlyArray<unknown>,
  restore?: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
): Effect.Effect<Answer> =>
  Effect.suspend(() => {
    const fn = resolveCallback(call.options.callbacks, target)
    if (fn instanceof WorkerFunctionNotFound) return Effect.succeed(thrownAnswer(fn))
    const body = Effect.flatMap(typeof fn === "function" ? Effect.succeed(fn) : toEffect(fn), (f) =>
      toEffect((f as (...a: ReadonlyArray<unknown>) => unknown)(...args))
    )
    return Effect.map(Effect.exit(restore === undefined ? body : restore(body)), answerOf)
  })

export class ThreadPoolImpl extends IdlePool<PooledThread> {
  readonly options: ThreadPoolOptions

  constructor(options: ThreadPoolOptions) {
    super(DEFAULT_THREAD_TOKENS, options.maxIdleTime ?? DEFAULT_MAX_IDLE_TIME)
    this.options = options
  }

  protected spawn(): PooledThread {
    return new PooledThread(this)
  }
}

let defaultPool: ThreadPoolImpl | undefined

/** The process-wide pool (created on first use; its idle workers never keep the process alive). */
export const defaultThreadPool = (): ThreadPoolImpl => (defaultPool ??= new ThreadPoolImpl({}))

const noTokens = Effect.die(
  new InvalidArgumentError({ message: "the limiter has 0 tokens: the call could never start" })
)
const poolClosed = Effect.die(new RuntimeError({ message: "this thread pool is closed" }))

/**
 * Runs `moduleUrl#exportName(...args)` in a worker of `pool`, holding a token of the limiter (a
 * per-call borrower: concurrent calls from fibers of one task do not collide).
 */
export const runInThread = (
  poolOf: (fiber: Fiber.Fiber<unknown, unknown>) => ThreadPoolImpl,
  moduleUrl: string,
  exportName: string,
  args: ReadonlyArray<unknown>,
  options: CallOptions
): Effect.Effect<unknown, unknown> =>
  Effect.withFiber((fiber) => {
    const pool = poolOf(fiber)
    const limiter = options.limiter ?? pool.limiter
    if (limiter.totalTokens === 0) return noTokens
    if (pool.closed) return poolClosed
    const call = new ThreadCall(moduleUrl, exportName, args, options, fiber, pool)
    // AnyIO's checkpoint before the call: a task cancelled there (at its first suspension) never
    // runs the function, and gives its token back. A free token (no waiters then: a waiter is
    // handed any token that frees up) is taken at once, and the call is posted in a task of the
    // host's dispatcher, behind the tasks already ready: that wait is the checkpoint (one
    // suspension for the checkpoint and the call). Otherwise the limiter's acquire waits, and is
    // itself that checkpoint. The body of `onExitPrimitive` is uninterruptible; `restore` opens
    // the caller's interruptibility again around the waits.
    return Effect.uninterruptibleMask((restore) => {
      call.restore = restore
      return Effect.onExitPrimitive(
        limiter.availableTokens > 0
          ? Effect.flatMap(limiter.acquireOnBehalfOfNowait(call), () => {
              call.borrowed = true
              return waitFor(call, true)
            })
          : Effect.flatMap(restore(limiter.acquireOnBehalfOf(call)), () => {
              call.borrowed = true
              return waitFor(call, false)
            }),
        () => (call.borrowed ? limiter.releaseOnBehalfOf(call) : undefined)
      )
    })
  })

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * Posts the call and waits for it: one `Effect.callback`, resumed with the function's value (the
 * common case), with {@link slowSignal} when anything else arrives (an error, a callback, the
 * worker's exit), which the general {@link loop} then handles, or with a failure to post.
 * `scheduled`: the post waits for a task of the host's dispatcher (the checkpoint); a host
 * interrupted before it runs never posts.
 */
const waitFor = (call: ThreadCall, scheduled: boolean): Effect.Effect<unknown, unknown> =>
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
        return loop(call.worker!, call, call.restore)
      }
      // Otherwise an interruption (the host was cancelled) or a failure to post.
      return call.posted && Cause.hasInterrupts(cause)
        ? onCancel(call.worker!, call, call.restore)
        : Effect.failCause(cause)
    }
  )

/** Tells waitFor's host that a message waits in the inbox. */
const slowSignal = Exit.fail(undefined)

const loop = (w: PooledThread, call: ThreadCall, restore: Restore): Effect.Effect<unknown, unknown> =>
  Effect.matchCauseEffect(call.cancelled ? call.next() : restore(call.next()), {
    // Only an interruption can end the wait: the host was cancelled.
    onFailure: () => onCancel(w, call, restore),
    onSuccess: (message) => {
      switch (message._tag) {
        case "Reply":
          return settle(call, message.status, message.payload)
        case "Exit":
          if (call.terminating) return Effect.interrupt
          return Effect.fail(
            new BrokenWorkerThread({
              message:
                `the worker thread running ${describeTarget(call.moduleUrl, call.exportName)} ` +
                (message.error === undefined
                  ? `exited with code ${message.code}`
                  : `crashed: ${(message.error as Error)?.message ?? message.error}`),
              exitCode: message.code,
              cause: message.error
            })
          )
        case "Run":
          // In the host task, in its cancel scope: once the host is cancelled (`cancelled`), `restore`
          // interrupts the callback at once and the worker gets `Cancelled`.
          return Effect.flatMap(runCallback(call, message.target, message.args, restore), (answer) => {
            w.answer(answer)
            if (answer[0] === CANCELLED) markCancelled(w, call)
            return loop(w, call, restore)
          })
      }
    }
  })

const markCancelled = (w: PooledThread, call: ThreadCall): void => {
  call.cancelled = true
  Atomics.store(w.flags, HOST_CANCELLED, 1)
}

/** The host was cancelled while waiting. */
const onCancel = (w: PooledThread, call: ThreadCall, restore: Restore): Effect.Effect<unknown, unknown> => {
  if (call.options.terminateOnCancel) {
    call.terminating = true
    markCancelled(w, call)
    void w.worker.terminate()
    return loop(w, call, restore)
  }
  if (call.options.abandonOnCancel) {
    call.abandoned = true
    call.inbox = undefined
    Atomics.store(w.flags, HOST_CANCELLED, 1)
    // The worker finishes in the background; it must not keep the process alive for a result that
    // goes nowhere. It returns to the pool when it replies.
    w.worker.unref()
    return Effect.interrupt
  }
  markCancelled(w, call)
  return loop(w, call, restore)
}

const settle = (call: ThreadCall, status: number, payload: unknown): Effect.Effect<unknown, unknown> =>
  settleReply(call.moduleUrl, call.exportName, status, payload, call.cancelled)
