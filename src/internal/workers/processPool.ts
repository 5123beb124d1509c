/**
 * The pool of worker processes behind `toProcess.runSync` (AnyIO's `to_process` pool): Node
 * processes forked with an IPC channel using `advanced` serialization (structured clone), running
 * the same call protocol as the worker threads.
 *
 * - Started on demand, reused most-recently-used first, stopped after `maxIdleTime` (AnyIO: 300 s)
 *   idle. Idle processes and their channels are `unref`'d: they never keep the parent alive.
 * - A cancelled `cancellable` call kills its process (SIGKILL); a process that dies fails only its
 *   call and is replaced by the next call.
 * - Nothing outlives the parent: a worker exits when its channel closes, and the parent kills its
 *   workers on exit.
 *
 * `node:child_process` is loaded on the first spawn only (`process.getBuiltinModule`), so that
 * importing the package does not load it.
 *
 * @internal
 */
import type { ChildProcess } from "node:child_process"
import { availableParallelism } from "node:os"
import { fileURLToPath } from "node:url"
import { Effect, Exit, type Fiber } from "effect"
import type { CapacityLimiter } from "../../CapacityLimiter.ts"
import { BrokenWorkerProcess, InvalidArgumentError, RuntimeError, UncloneableValue } from "../../Errors.ts"
import { settleReply } from "./callbacks.ts"
import { IdlePool, type PoolMember } from "./idlePool.ts"
import { describeTarget } from "./protocol.ts"
import { callMessage, type KnownSlots, slotOf } from "./slots.ts"

const bootstrap = fileURLToPath(
  new URL(import.meta.url.endsWith(".ts") ? "./processWorker.ts" : "./processWorker.js", import.meta.url)
)

/** AnyIO's `WORKER_MAX_IDLE_TIME`. */
export const DEFAULT_PROCESS_MAX_IDLE_TIME = 300

export interface ProcessPoolOptions {
  readonly maxIdleTime?: number | undefined
  readonly execArgv?: ReadonlyArray<string> | undefined
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  readonly stdio?: "ignore" | "inherit" | undefined
}

type Message =
  | { readonly _tag: "Reply"; readonly status: number; readonly payload: unknown }
  | { readonly _tag: "Exit"; readonly code: number | null; readonly signal: string | null }

let nextCallId = 0

class ProcessCall {
  readonly id = ++nextCallId
  resume: ((effect: Effect.Effect<Message>) => void) | undefined = undefined
  message: Message | undefined = undefined
  cancelled = false
  killing = false
  readonly moduleUrl: string
  readonly exportName: string
  readonly slot: number

  constructor(moduleUrl: string, exportName: string) {
    this.moduleUrl = moduleUrl
    this.exportName = exportName
    this.slot = slotOf(moduleUrl, exportName)
  }

  deliver(message: Message): void {
    const resume = this.resume
    if (resume !== undefined) {
      this.resume = undefined
      resume(Effect.succeed(message))
    } else {
      this.message ??= message
    }
  }

  readonly next: Effect.Effect<Message> = Effect.callback<Message>((resume) => {
    const queued = this.message
    if (queued !== undefined) {
      this.message = undefined
      return resume(Effect.succeed(queued))
    }
    this.resume = resume
    return Effect.sync(() => {
      this.resume = undefined
    })
  })
}

/** Every live worker process of every pool, killed when the parent exits. */
const live = new Set<ChildProcess>()
let exitHookInstalled = false
const killAll = (): void => {
  for (const child of live) child.kill("SIGKILL")
}

class PooledProcess implements PoolMember {
  readonly child: ChildProcess
  readonly pool: ProcessPoolImpl
  call: ProcessCall | undefined = undefined
  idleSince = 0
  dead = false
  /** The function slots this worker has been told the names of. */
  readonly known: KnownSlots = []
  readonly exited: Promise<void>

  constructor(pool: ProcessPoolImpl) {
    this.pool = pool
    const { fork } = process.getBuiltinModule("node:child_process") as typeof import("node:child_process")
    const options = pool.options
    const stdio = options.stdio ?? "ignore"
    this.child = fork(bootstrap, [], {
      serialization: "advanced",
      stdio: [stdio, stdio, stdio, "ipc"],
      ...(options.execArgv !== undefined ? { execArgv: [...options.execArgv] } : {}),
      ...(options.env !== undefined ? { env: { ...options.env } } : {})
    })
    live.add(this.child)
    if (!exitHookInstalled) {
      exitHookInstalled = true
      process.once("exit", killAll)
    }
    this.child.on("message", (message: [number, number, unknown]) => this.onReply(message))
    // Send failures (the channel closed) surface as the process's exit.
    this.child.on("error", () => {})
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.onExit(code, signal)
        resolve()
      })
    })
  }

  setRef(ref: boolean): void {
    const channel = this.child.channel as { ref?: () => void; unref?: () => void } | null | undefined
    if (ref) {
      this.child.ref()
      channel?.ref?.()
    } else {
      this.child.unref()
      channel?.unref?.()
    }
  }

  stop(): void {
    if (!this.dead) this.child.kill("SIGKILL")
  }

  private onReply([id, status, payload]: [number, number, unknown]): void {
    const call = this.call
    if (call === undefined || call.id !== id) return
    this.call = undefined
    this.pool.checkin(this)
    call.deliver({ _tag: "Reply", status, payload })
  }

  private onExit(code: number | null, signal: string | null): void {
    this.dead = true
    live.delete(this.child)
    this.pool.forget(this)
    const call = this.call
    this.call = undefined
    call?.deliver({ _tag: "Exit", code, signal })
  }
}

export class ProcessPoolImpl extends IdlePool<PooledProcess> {
  readonly options: ProcessPoolOptions

  constructor(options: ProcessPoolOptions) {
    super(availableParallelism(), options.maxIdleTime ?? DEFAULT_PROCESS_MAX_IDLE_TIME)
    this.options = options
  }

  protected spawn(): PooledProcess {
    return new PooledProcess(this)
  }

  /** The pids of the live workers (for diagnostics and tests). */
  pids(): ReadonlyArray<number> {
    return Array.from(this.all, (w) => w.child.pid ?? -1)
  }
}

let defaultPool: ProcessPoolImpl | undefined

export const defaultProcessPool = (): ProcessPoolImpl => (defaultPool ??= new ProcessPoolImpl({}))

const noTokens = Effect.die(
  new InvalidArgumentError({ message: "the limiter has 0 tokens: the call could never start" })
)
const poolClosed = Effect.die(new RuntimeError({ message: "this process pool is closed" }))

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** Runs `moduleUrl#exportName(...args)` in a worker process of the pool, holding a limiter token. */
export const runInProcess = (
  poolOf: (fiber: Fiber.Fiber<unknown, unknown>) => ProcessPoolImpl,
  moduleUrl: string,
  exportName: string,
  args: ReadonlyArray<unknown>,
  limiterOption: CapacityLimiter | undefined,
  cancellable: boolean
): Effect.Effect<unknown, unknown> =>
  Effect.withFiber((fiber) => {
    const pool = poolOf(fiber)
    const limiter = limiterOption ?? pool.limiter
    if (limiter.totalTokens === 0) return noTokens
    if (pool.closed) return poolClosed
    const call = new ProcessCall(moduleUrl, exportName)
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(limiter.acquireOnBehalfOf(call)), () =>
        Effect.ensuring(start(pool, call, args, cancellable, restore), limiter.releaseOnBehalfOf(call))
      )
    )
  })

const start = (
  pool: ProcessPoolImpl,
  call: ProcessCall,
  args: ReadonlyArray<unknown>,
  cancellable: boolean,
  restore: Restore
): Effect.Effect<unknown, unknown> =>
  Effect.suspend(() => {
    if (pool.closed) return poolClosed
    const w = pool.checkout()
    w.call = call
    try {
      w.child.send(callMessage(w.known, call.id, call.slot, call.moduleUrl, call.exportName, args))
    } catch (error) {
      w.call = undefined
      pool.checkin(w)
      return Effect.fail(
        new UncloneableValue({
          what: "arguments",
          message: `the arguments of ${describeTarget(call.moduleUrl, call.exportName)} could not be cloned: ${(error as Error)?.message}`
        })
      )
    }
    w.known[call.slot] = true
    return loop(w, call, cancellable, restore)
  })

const loop = (
  w: PooledProcess,
  call: ProcessCall,
  cancellable: boolean,
  restore: Restore
): Effect.Effect<unknown, unknown> =>
  Effect.flatMap(Effect.exit(call.cancelled ? call.next : restore(call.next)), (exit) => {
    if (Exit.isFailure(exit)) {
      // Cancelled while waiting: a cancellable call kills its worker (AnyIO), else the caller waits
      // for the result, shielded.
      call.cancelled = true
      if (cancellable) {
        call.killing = true
        w.stop()
      }
      return loop(w, call, cancellable, restore)
    }
    const message = exit.value
    if (message._tag === "Reply")
      return settleReply(call.moduleUrl, call.exportName, message.status, message.payload, false)
    if (call.killing) return Effect.interrupt
    return Effect.fail(
      new BrokenWorkerProcess({
        message: `the worker process running ${describeTarget(call.moduleUrl, call.exportName)} exited (${
          message.signal ?? `code ${message.code}`
        })`,
        exitCode: message.code,
        signal: message.signal
      })
    )
  })
