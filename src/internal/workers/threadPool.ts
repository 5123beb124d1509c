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
import { Effect, Exit, type Fiber } from "effect"
import { cancelScope } from "../../CancelScope.ts"
import type { CapacityLimiter } from "../../CapacityLimiter.ts"
import { BrokenWorkerThread, UncloneableValue, WorkerFunctionNotFound } from "../../Errors.ts"
import { closedPool, loop, type Message, onExit, onReply, type Restore, runCall, WorkerCall } from "./call.ts"
import {
  type Answer,
  answerOf,
  type Callbacks,
  resolveCallback,
  runSyncCallback,
  thrownAnswer,
  toEffect
} from "./callbacks.ts"
import { IdlePool } from "./idlePool.ts"
import { CANCELLED, describeTarget, HOST_CANCELLED, READY, RUN_SYNC } from "./protocol.ts"
import type { KnownSlots } from "./slots.ts"

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

/** A `toThread.runSync` call. */
class ThreadCall extends WorkerCall<PooledThread, CallOptions> {
  /** We terminate the worker (cancelled with `terminateOnCancel`). */
  terminating = false

  /** The host was cancelled while waiting. */
  onCancel(restore: Restore): Effect.Effect<unknown, unknown> {
    const w = this.worker!
    if (this.options.terminateOnCancel) {
      this.terminating = true
      markCancelled(w, this)
      void w.worker.terminate()
      return loop(this, restore)
    }
    if (this.options.abandonOnCancel) {
      this.abandoned = true
      this.inbox = undefined
      Atomics.store(w.flags, HOST_CANCELLED, 1)
      // The worker finishes in the background; it must not keep the process alive for a result
      // that goes nowhere. It returns to the pool when it replies.
      w.worker.unref()
      return Effect.interrupt
    }
    markCancelled(w, this)
    return loop(this, restore)
  }

  onWorkerExit(message: Message & { readonly _tag: "Exit" }): Effect.Effect<unknown, unknown> {
    if (this.terminating) return Effect.interrupt
    return Effect.fail(
      new BrokenWorkerThread({
        message:
          `the worker thread running ${describeTarget(this.moduleUrl, this.exportName)} ` +
          (message.error === undefined
            ? `exited with code ${message.code}`
            : `crashed: ${(message.error as Error)?.message ?? message.error}`),
        exitCode: message.code ?? 1,
        cause: message.error
      })
    )
  }

  /**
   * A `fromThread.run` callback, in the host task, in its cancel scope: once the host is cancelled
   * (`cancelled`), `restore` interrupts the callback at once and the worker gets `Cancelled`.
   */
  override onOther(message: Message, restore: Restore): Effect.Effect<unknown, unknown> {
    if (message._tag !== "Run") return loop(this, restore)
    const w = this.worker!
    return Effect.flatMap(runCallback(this, message.target, message.args, restore), (answer) => {
      w.answer(answer)
      if (answer[0] === CANCELLED) markCancelled(w, this)
      return loop(this, restore)
    })
  }
}

const markCancelled = (w: PooledThread, call: ThreadCall): void => {
  call.cancelled = true
  Atomics.store(w.flags, HOST_CANCELLED, 1)
}

class PooledThread {
  readonly worker: Worker
  readonly port: MessagePort
  readonly flags: Int32Array
  readonly pool: ThreadPoolImpl
  call: WorkerCall<PooledThread> | undefined = undefined
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
    this.worker.on("message", (message: [number, number, unknown]) => onReply(this, pool, message))
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

  send(message: ReadonlyArray<unknown>): void {
    Atomics.store(this.flags, HOST_CANCELLED, 0)
    this.worker.postMessage(message)
  }

  private onExit(code: number): void {
    this.dead = true
    this.port.close()
    onExit(this, this.pool, { _tag: "Exit", code, signal: null, error: this.lastError })
  }

  private onCallback([kind, target, args]: [number, unknown, ReadonlyArray<unknown>]): void {
    const call = this.call as ThreadCall | undefined
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
  readonly closedError = poolClosed

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

const poolClosed = closedPool("thread")

/**
 * Runs `moduleUrl#exportName(...args)` in a worker of the current pool, holding a token of the
 * limiter (call.ts).
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
    return runCall(
      options.limiter ?? pool.limiter,
      new ThreadCall(moduleUrl, exportName, args, options, fiber, pool)
    )
  })
