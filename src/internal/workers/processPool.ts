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
import { Effect, type Fiber } from "effect"
import type { CapacityLimiter } from "../../CapacityLimiter.ts"
import { BrokenWorkerProcess } from "../../Errors.ts"
import { closedPool, loop, type Message, onExit, onReply, type Restore, runCall, WorkerCall } from "./call.ts"
import { settleReply } from "./callbacks.ts"
import { IdlePool } from "./idlePool.ts"
import { describeTarget } from "./protocol.ts"
import type { KnownSlots } from "./slots.ts"

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

/** A `toProcess.runSync` call; its options: `cancellable`. */
class ProcessCall extends WorkerCall<PooledProcess, boolean> {
  /** We kill the worker (cancelled, `cancellable`). */
  killing = false

  /** Cancelled while waiting: a cancellable call kills its worker (AnyIO), else the caller waits. */
  onCancel(restore: Restore): Effect.Effect<unknown, unknown> {
    this.cancelled = true
    if (this.options) {
      this.killing = true
      this.worker!.stop()
    }
    return loop(this, restore)
  }

  /** A process has no `fromThread.checkCancelled`: an error named `Cancelled` is just an error. */
  override settle(status: number, payload: unknown): Effect.Effect<unknown, unknown> {
    return settleReply(this.moduleUrl, this.exportName, status, payload, false)
  }

  onWorkerExit(message: Message & { readonly _tag: "Exit" }): Effect.Effect<unknown, unknown> {
    if (this.killing) return Effect.interrupt
    return Effect.fail(
      new BrokenWorkerProcess({
        message: `the worker process running ${describeTarget(this.moduleUrl, this.exportName)} exited (${
          message.signal ?? `code ${message.code}`
        })`,
        exitCode: message.code,
        signal: message.signal
      })
    )
  }
}

/** Every live worker process of every pool, killed when the parent exits. */
const live = new Set<ChildProcess>()
let exitHookInstalled = false
const killAll = (): void => {
  for (const child of live) child.kill("SIGKILL")
}

class PooledProcess {
  readonly child: ChildProcess
  readonly pool: ProcessPoolImpl
  call: WorkerCall<PooledProcess> | undefined = undefined
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
    this.child.on("message", (message: [number, number, unknown]) => onReply(this, pool, message))
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

  send(message: ReadonlyArray<unknown>): void {
    this.child.send(message)
  }

  private onExit(code: number | null, signal: string | null): void {
    this.dead = true
    live.delete(this.child)
    onExit(this, this.pool, { _tag: "Exit", code, signal, error: undefined })
  }
}

export class ProcessPoolImpl extends IdlePool<PooledProcess> {
  readonly options: ProcessPoolOptions
  readonly closedError = poolClosed

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

const poolClosed = closedPool("process")

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
    return runCall(
      limiterOption ?? pool.limiter,
      new ProcessCall(moduleUrl, exportName, args, cancellable, fiber, pool)
    )
  })
