/**
 * Calling back into the event loop from a worker thread started by `toThread.runSync` (AnyIO's
 * `anyio.from_thread`). The worker blocks until the event loop answers (a `SharedArrayBuffer` wait),
 * so the call reads like a plain function call.
 *
 * What can be called:
 * - a **callback** registered for the call on the event-loop side, by name:
 *   `toThread.runSync(fn, args, { callbacks: { setEvent: () => event.set() } })` and, in the worker,
 *   `fromThread.runSync("setEvent")`. This is how a worker reaches the caller's objects (events,
 *   streams, state), which it cannot share otherwise;
 * - a **module function** on the event-loop side, by {@link WorkerFunction}.
 *
 * `run` runs what the callback returns (an `Effect`, a promise or a value) in the calling task, in
 * its cancel scope (a cancellation of that task cancels it); `runSync` calls it right away outside any
 * task, and runs an `Effect` result synchronously. Arguments and results are structured-cloned; an
 * error is re-raised in the worker with its class and message.
 *
 * This module does not load effect: import it in worker code as `effect-anyio/from-thread`.
 *
 * @since 0.3.0
 */
import { receiveMessageOnPort } from "node:worker_threads"
import {
  CANCELLED,
  decodeError,
  HOST_CANCELLED,
  OK,
  READY,
  RUN,
  RUN_SYNC,
  type ThreadWorkerContext,
  WORKER_CONTEXT
} from "./internal/workers/protocol.ts"
import { isWorkerFunction, type WorkerFunction } from "./WorkerFunction.ts"

/**
 * `fromThread` was used outside a worker thread started by `toThread.runSync` (AnyIO's
 * `NoEventLoopError`).
 *
 * @example
 * ```ts
 * import { fromThread } from "effect-anyio"
 * try {
 *   fromThread.runSync("tick")
 * } catch (e) {
 *   console.log(e instanceof fromThread.NoEventLoopError) // true on the main thread
 * }
 * ```
 * @category errors
 */
export class NoEventLoopError extends Error {
  override readonly name = "NoEventLoopError"
}

/**
 * The task that started this worker's call has been cancelled (AnyIO raises the backend's
 * cancellation exception): thrown by {@link checkCancelled}, and by {@link run} once the task is
 * being cancelled. Let it propagate: the caller then ends as cancelled rather than with an error.
 *
 * @example
 * ```ts
 * import * as fromThread from "effect-anyio/from-thread"
 * export const work = () => {
 *   for (let i = 0; i < 1e9; i++) if (i % 1e6 === 0) fromThread.checkCancelled()
 * }
 * ```
 * @category errors
 */
export class Cancelled extends Error {
  override readonly name = "Cancelled"
}

const context = (what: string): ThreadWorkerContext => {
  const ctx = (globalThis as Record<symbol, ThreadWorkerContext | undefined>)[WORKER_CONTEXT]
  if (ctx === undefined) {
    throw new NoEventLoopError(`${what} can only be called inside an effect-anyio worker thread`)
  }
  return ctx
}

const call = (kind: number, target: string | WorkerFunction, args: ReadonlyArray<unknown>): unknown => {
  const ctx = context(kind === RUN ? "fromThread.run()" : "fromThread.runSync()")
  let encodedTarget: string | readonly [string, string]
  if (typeof target === "string") encodedTarget = target
  else if (isWorkerFunction(target)) encodedTarget = [target.moduleUrl, target.exportName]
  // A TypeError, not InvalidArgumentError (an effect Data class): this module must not load effect.
  else throw new TypeError("the target must be a callback name or a WorkerFunction")
  ctx.port.postMessage([kind, encodedTarget, args])
  // Wait for the answer. The flag may be stale (set for a previous answer that was read before the
  // flag was): clear it after every wake-up and look at the port again.
  let answer: { message: unknown } | undefined
  for (;;) {
    answer = receiveMessageOnPort(ctx.port)
    if (answer !== undefined) break
    Atomics.wait(ctx.flags, READY, 0)
    Atomics.store(ctx.flags, READY, 0)
  }
  const [status, payload] = answer.message as [number, unknown]
  if (status === OK) return payload
  if (status === CANCELLED) throw new Cancelled("the task that started this worker call was cancelled")
  throw decodeError(payload as Parameters<typeof decodeError>[0])
}

/**
 * Runs a callback of the calling task (or a module function) on the event loop and blocks this
 * worker thread until it is done (AnyIO's `from_thread.run`). What it returns (an `Effect`, a
 * promise or a plain value) runs in the calling task: if that task is cancelled meanwhile, or was
 * already, this throws {@link Cancelled}.
 *
 * @example
 * ```ts
 * // worker module (fns.ts); the caller passed { callbacks: { fetchConfig: () => loadConfig } }
 * import * as fromThread from "effect-anyio/from-thread"
 * export const work = () => {
 *   const config = fromThread.run("fetchConfig")
 *   return config
 * }
 * ```
 * @category operations
 */
export const run = <A = unknown>(target: string | WorkerFunction, ...args: ReadonlyArray<unknown>): A =>
  call(RUN, target, args) as A

/**
 * Calls a callback of the calling task (or a module function) on the event loop right away, outside
 * any task, and blocks this worker thread until it returns (AnyIO's `from_thread.run_sync`). A
 * returned `Effect` must complete synchronously. Not affected by cancellation of the calling task.
 *
 * @example
 * ```ts
 * // worker module; the caller passed { callbacks: { progress: (n: number) => bar.set(n) } }
 * import * as fromThread from "effect-anyio/from-thread"
 * export const work = () => {
 *   for (let i = 0; i <= 100; i += 10) fromThread.runSync("progress", i)
 * }
 * ```
 * @category operations
 */
export const runSync = <A = unknown>(target: string | WorkerFunction, ...args: ReadonlyArray<unknown>): A =>
  call(RUN_SYNC, target, args) as A

/**
 * Throws {@link Cancelled} if the task that started this worker's call has been cancelled (AnyIO's
 * `from_thread.check_cancelled`): lets a long computation stop early.
 *
 * @example
 * ```ts
 * import * as fromThread from "effect-anyio/from-thread"
 * export const sum = (n: number) => {
 *   let s = 0
 *   for (let i = 0; i < n; i++) {
 *     if (i % 100_000 === 0) fromThread.checkCancelled()
 *     s += i
 *   }
 *   return s
 * }
 * ```
 * @category operations
 */
export const checkCancelled = (): void => {
  const ctx = context("fromThread.checkCancelled()")
  if (Atomics.load(ctx.flags, HOST_CANCELLED) !== 0) {
    throw new Cancelled("the task that started this worker call was cancelled")
  }
}

/**
 * Whether this code runs in a worker thread started by `toThread.runSync`.
 *
 * @example
 * ```ts
 * import * as fromThread from "effect-anyio/from-thread"
 * const where = fromThread.inWorkerThread() ? "worker" : "event loop"
 * ```
 * @category operations
 */
export const inWorkerThread = (): boolean =>
  (globalThis as Record<symbol, unknown>)[WORKER_CONTEXT] !== undefined
