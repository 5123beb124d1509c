/**
 * The errors effect-anyio raises, as tagged classes so that `Effect.catchTag` works and exhaustive
 * handling type-checks. Names follow AnyIO (`anyio.WouldBlock`, `anyio.EndOfStream`, ...).
 *
 * @since 0.1.0
 */
import { Cause, Data } from "effect"
import type { Defect } from "./ExceptionGroup.ts"

/**
 * A `*Nowait` operation would have had to wait (AnyIO's `WouldBlock`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WouldBlock } from "effect-anyio"
 * const e = Effect.fail(new WouldBlock()).pipe(Effect.catchTag("WouldBlock", () => Effect.succeed(0)))
 * ```
 * @category errors
 */
export class WouldBlock extends Data.TaggedError("WouldBlock")<{ readonly message?: string }> {}

/**
 * The other end of a stream was closed and nothing more will arrive (AnyIO's `EndOfStream`).
 *
 * @example
 * ```ts
 * import { EndOfStream } from "effect-anyio"
 * const err = new EndOfStream()
 * ```
 * @category errors
 */
export class EndOfStream extends Data.TaggedError("EndOfStream")<{ readonly message?: string }> {}

/**
 * The resource was closed by this side and can no longer be used (AnyIO's `ClosedResourceError`).
 *
 * @example
 * ```ts
 * import { ClosedResourceError } from "effect-anyio"
 * const err = new ClosedResourceError({ message: "send end closed" })
 * ```
 * @category errors
 */
export class ClosedResourceError extends Data.TaggedError("ClosedResourceError")<{
  readonly message?: string
}> {}

/**
 * The other side of the resource went away, e.g. every receive end of a stream was closed
 * (AnyIO's `BrokenResourceError`).
 *
 * @example
 * ```ts
 * import { BrokenResourceError } from "effect-anyio"
 * const err = new BrokenResourceError({ message: "no receivers" })
 * ```
 * @category errors
 */
export class BrokenResourceError extends Data.TaggedError("BrokenResourceError")<{
  readonly message?: string
  /** The underlying error (a Node `ECONNRESET`, `EPIPE`, ...), when there is one. */
  readonly cause?: unknown
}> {}

/**
 * A resource guarded by a `ResourceGuard` is already in use (AnyIO's `BusyResourceError`).
 *
 * @example
 * ```ts
 * import { BusyResourceError } from "effect-anyio"
 * const err = new BusyResourceError({ action: "reading from" })
 * ```
 * @category errors
 */
export class BusyResourceError extends Data.TaggedError("BusyResourceError")<{
  readonly action: string
}> {
  override get message(): string {
    return `Another task is already ${this.action} this resource`
  }
}

/**
 * A programming error detected at run time: misuse of an API in a way AnyIO reports with
 * `RuntimeError` (spawning into a closed task group, `started()` twice, releasing a lock you do not
 * own, ...). Raised as a defect (`Effect.die`), like an assertion: it signals a bug, not an
 * expected failure.
 *
 * @example
 * ```ts
 * import { RuntimeError } from "effect-anyio"
 * const err = new RuntimeError({ message: "This task group is not active; no new tasks can be started." })
 * ```
 * @category errors
 */
export class RuntimeError extends Data.TaggedError("RuntimeError")<{ readonly message: string }> {}

/**
 * An argument had the wrong type or an impossible value (AnyIO raises `TypeError`/`ValueError`).
 * Raised as a defect (`Effect.die`) or thrown by constructors.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError } from "effect-anyio"
 * const err = new InvalidArgumentError({ message: "initialValue must be >= 0" })
 * ```
 * @category errors
 */
export class InvalidArgumentError extends Data.TaggedError("InvalidArgumentError")<{
  readonly message: string
}> {}

/**
 * A `failAfter`/`failAt` scope's own deadline expired (AnyIO raises the builtin `TimeoutError`).
 *
 * **One TimeoutError**: this class extends effect's `Cause.TimeoutError` (the error of
 * `Effect.timeout`), so an Effect program has one timeout error, not two look-alikes:
 * `Cause.isTimeoutError(e)`, `e instanceof Cause.TimeoutError` and `Effect.catchTag("TimeoutError")`
 * all accept both. `e instanceof TimeoutError` (this class) tells a `failAfter`/`failAt` deadline
 * apart from an `Effect.timeout` when that matters.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { TimeoutError } from "effect-anyio"
 * const err = new TimeoutError({ message: "deadline exceeded" })
 * console.log(Cause.isTimeoutError(err), err instanceof Cause.TimeoutError) // true true
 * ```
 * @category errors
 */
export class TimeoutError extends Cause.TimeoutError {
  constructor(options?: { readonly message?: string | undefined }) {
    super(options?.message)
  }
}

// -----------------------------------------------------------------------------
// Streams and I/O
// -----------------------------------------------------------------------------

/**
 * A typed attribute was asked for with `extra(attr)` (no default) and the stream, nor any stream it
 * wraps, offers it (AnyIO's `TypedAttributeLookupError`).
 *
 * @example
 * ```ts
 * import { TypedAttributeLookupError } from "effect-anyio"
 * const err = new TypedAttributeLookupError({ message: "Attribute not found", attribute: "socket.localPort" })
 * ```
 * @category errors
 */
export class TypedAttributeLookupError extends Data.TaggedError("TypedAttributeLookupError")<{
  readonly message: string
  /** The name of the attribute that was looked up. */
  readonly attribute: string
}> {}

/**
 * The stream ended before `receiveExactly` or `receiveUntil` could complete (AnyIO's
 * `IncompleteRead`). Whatever was read stays in the buffered stream.
 *
 * @example
 * ```ts
 * import { IncompleteRead } from "effect-anyio"
 * const err = new IncompleteRead()
 * ```
 * @category errors
 */
export class IncompleteRead extends Data.TaggedError("IncompleteRead")<{}> {
  override get message(): string {
    return "The stream was closed before the read operation could be completed"
  }
}

/**
 * `receiveUntil` read `maxBytes` bytes without finding the delimiter (AnyIO's `DelimiterNotFound`).
 * The bytes stay in the buffered stream.
 *
 * @example
 * ```ts
 * import { DelimiterNotFound } from "effect-anyio"
 * const err = new DelimiterNotFound({ maxBytes: 65536 })
 * ```
 * @category errors
 */
export class DelimiterNotFound extends Data.TaggedError("DelimiterNotFound")<{ readonly maxBytes: number }> {
  override get message(): string {
    return `The delimiter was not found among the first ${this.maxBytes} bytes`
  }
}

/**
 * A connection attempt failed (AnyIO's `ConnectionFailed`): every address tried was refused,
 * unreachable or timed out. `cause` holds the underlying error(s) (for several attempts, an
 * `AggregateError` of them); `code` is the first system error code when there is one
 * (`"ECONNREFUSED"`, `"ENOENT"`, ...).
 *
 * @example
 * ```ts
 * import { ConnectionFailed } from "effect-anyio"
 * const err = new ConnectionFailed({ message: "connection refused", code: "ECONNREFUSED" })
 * ```
 * @category errors
 */
export class ConnectionFailed extends Data.TaggedError("ConnectionFailed")<{
  readonly message: string
  readonly code?: string | undefined
  readonly cause?: unknown
}> {}

// -----------------------------------------------------------------------------
// Worker threads and processes
// -----------------------------------------------------------------------------

/**
 * A worker thread died while running a call: it exited (`process.exit()` in the worker), threw
 * outside the call (an uncaught exception in a timer) or ran out of memory. Only that call fails;
 * the pool replaces the worker. effect-anyio's peer of AnyIO's `BrokenWorkerProcess` for threads.
 *
 * @example
 * ```ts
 * import { BrokenWorkerThread } from "effect-anyio"
 * const err = new BrokenWorkerThread({ message: "the worker thread exited with code 3", exitCode: 3 })
 * ```
 * @category errors
 */
export class BrokenWorkerThread extends Data.TaggedError("BrokenWorkerThread")<{
  readonly message: string
  readonly exitCode?: number | undefined
  readonly cause?: unknown
}> {}

/**
 * A worker process died or broke its protocol while running a call (AnyIO's
 * `BrokenWorkerProcess`). Only that call fails; the pool replaces the process.
 *
 * @example
 * ```ts
 * import { BrokenWorkerProcess } from "effect-anyio"
 * const err = new BrokenWorkerProcess({ message: "the worker process exited", exitCode: 1 })
 * ```
 * @category errors
 */
export class BrokenWorkerProcess extends Data.TaggedError("BrokenWorkerProcess")<{
  readonly message: string
  readonly exitCode?: number | null | undefined
  readonly signal?: string | null | undefined
  readonly cause?: unknown
}> {}

/**
 * The module a worker call names could not be loaded, or it has no such exported function.
 * The worker stays usable.
 *
 * @example
 * ```ts
 * import { WorkerFunctionNotFound } from "effect-anyio"
 * const err = new WorkerFunctionNotFound({ message: "fns.ts#nope: nope is not exported by the module", moduleUrl: "file:///app/fns.ts", exportName: "nope" })
 * ```
 * @category errors
 */
export class WorkerFunctionNotFound extends Data.TaggedError("WorkerFunctionNotFound")<{
  readonly message: string
  readonly moduleUrl: string
  readonly exportName: string
}> {}

/**
 * The arguments of a worker call, or its result, cannot be sent across the worker boundary
 * (structured clone: functions, class instances with private state, symbols, ...). The worker
 * stays usable.
 *
 * @example
 * ```ts
 * import { UncloneableValue } from "effect-anyio"
 * const err = new UncloneableValue({ what: "result", message: "() => 1 could not be cloned." })
 * ```
 * @category errors
 */
export class UncloneableValue extends Data.TaggedError("UncloneableValue")<{
  readonly what: "arguments" | "result"
  readonly message: string
}> {}

// -----------------------------------------------------------------------------
// Files
// -----------------------------------------------------------------------------

const osErrorKinds: Record<string, string> = {
  ENOENT: "FileNotFoundError",
  EEXIST: "FileExistsError",
  EACCES: "PermissionError",
  EPERM: "PermissionError",
  EISDIR: "IsADirectoryError",
  ENOTDIR: "NotADirectoryError",
  EAGAIN: "BlockingIOError",
  EWOULDBLOCK: "BlockingIOError",
  EPIPE: "BrokenPipeError",
  ECONNRESET: "ConnectionResetError",
  EINTR: "InterruptedError",
  ETIMEDOUT: "TimeoutError",
  ESRCH: "ProcessLookupError",
  ECHILD: "ChildProcessError",
  // net
  ECONNREFUSED: "ConnectionRefusedError",
  ECONNABORTED: "ConnectionAbortedError",
  ENOTFOUND: "gaierror",
  EAI_AGAIN: "gaierror",
  EAI_NONAME: "gaierror",
  EAI_SERVICE: "gaierror",
  EAI_ADDRFAMILY: "gaierror",
  EAI_FAIL: "gaierror"
}

/**
 * A file-system operation failed (AnyIO raises the builtin `OSError` or one of its subclasses).
 * `code` is the system error code (`"ENOENT"`, `"EEXIST"`, ...); `kind` is the name of the Python
 * subclass it corresponds to (`"FileNotFoundError"`, ...; `"OSError"` for the others).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { OSError, Path } from "effect-anyio"
 * const text = new Path("/no/such/file").readText().pipe(
 *   Effect.catchTag("OSError", (e) => (e.code === "ENOENT" ? Effect.succeed("") : Effect.fail(e)))
 * )
 * ```
 * @category errors
 */
export class OSError extends Data.TaggedError("OSError")<{
  readonly message: string
  readonly code: string
  readonly errno?: number | undefined
  readonly syscall?: string | undefined
  readonly path?: string | undefined
  readonly dest?: string | undefined
  readonly cause?: unknown
}> {
  /** The Python exception class this error corresponds to (`FileNotFoundError` for `ENOENT`, ...). */
  get kind(): string {
    return osErrorKinds[this.code] ?? "OSError"
  }
}

/**
 * Text could not be decoded from, or encoded to, a file's encoding with `errors: "strict"`
 * (AnyIO raises the builtin `UnicodeDecodeError` / `UnicodeEncodeError`).
 *
 * @example
 * ```ts
 * import { UnicodeError } from "effect-anyio"
 * const err = new UnicodeError({ message: "'ascii' codec can't decode byte 0xc3", encoding: "ascii" })
 * ```
 * @category errors
 */
export class UnicodeError extends Data.TaggedError("UnicodeError")<{
  readonly message: string
  readonly encoding: string
}> {}

// -----------------------------------------------------------------------------
// Task handles (TaskGroup.ts's createTask): the errors of joining a task
// -----------------------------------------------------------------------------

/**
 * Joining a task that failed (AnyIO's `TaskFailed`): `error` is the failure (a `Defect` for a
 * defect), `cause` the task's whole `Cause`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup } from "effect-anyio"
 * const program = createTaskGroup((tg) =>
 *   Effect.flatMap(tg.createTask(Effect.fail("boom")), (handle) =>
 *     handle.join.pipe(Effect.catchTag("TaskFailed", (e) => Effect.succeed(e.error)))
 *   )
 * )
 * ```
 * @category errors
 */
export class TaskFailed<E> extends Data.TaggedError("TaskFailed")<{
  readonly error: E | Defect
  readonly cause: Cause.Cause<unknown>
}> {
  override get message(): string {
    return "the task raised an exception"
  }
}

/**
 * Joining a task that was cancelled (AnyIO's `TaskCancelled`); `reason` says why.
 *
 * @example
 * ```ts
 * import { TaskCancelled } from "effect-anyio"
 * const err = new TaskCancelled({ reason: "cancelled explicitly" })
 * ```
 * @category errors
 */
export class TaskCancelled extends Data.TaggedError("TaskCancelled")<{ readonly reason: string }> {
  override get message(): string {
    return "the task was cancelled"
  }
}

/**
 * Reading the result of a task that has not finished (AnyIO's `TaskNotFinished`).
 *
 * @example
 * ```ts
 * import { TaskNotFinished } from "effect-anyio"
 * const err = new TaskNotFinished()
 * ```
 * @category errors
 */
export class TaskNotFinished extends Data.TaggedError("TaskNotFinished")<{}> {
  override get message(): string {
    return "the task has not finished yet"
  }
}

// ---------------------------------------------------------------------------------------------
// Cluster (effect-anyio/cluster)
// ---------------------------------------------------------------------------------------------

/**
 * A remote task (see `effect-anyio/cluster`) lost its runner before it finished: the runner
 * process died or its connection dropped mid-call (`reason: "runner unavailable"`), or the runner
 * interrupted the call itself, e.g. while shutting down (`reason: "interrupted on its runner"`).
 * Whether the remote side ran to the end is unknown; the call was not retried elsewhere.
 *
 * @example
 * ```ts
 * import { RemoteTaskLost } from "effect-anyio/cluster"
 * const err = new RemoteTaskLost({
 *   entityType: "Jobs", entityId: "3", task: "square", reason: "runner unavailable"
 * })
 * ```
 * @category errors
 */
export class RemoteTaskLost extends Data.TaggedError("RemoteTaskLost")<{
  readonly entityType: string
  readonly entityId: string
  readonly task: string
  readonly reason: "runner unavailable" | "interrupted on its runner"
  /** `host:port` of the runner, when known. */
  readonly runner?: string | undefined
}> {
  override get message(): string {
    const at = this.runner === undefined ? "" : ` at ${this.runner}`
    return `remote task ${this.entityType}/${this.entityId}.${this.task} lost its runner${at}: ${this.reason}`
  }
}

// -----------------------------------------------------------------------------
// net
// -----------------------------------------------------------------------------

/**
 * A TLS handshake (or the TLS protocol later) failed (Python's `ssl.SSLError`, which AnyIO's
 * `TLSStream.wrap` raises): the peer's certificate did not verify or did not match the host name,
 * no protocol or cipher in common, a TLS alert. `code` is Node's (`"UNABLE_TO_VERIFY_LEAF_SIGNATURE"`,
 * `"ERR_TLS_CERT_ALTNAME_INVALID"`, `"ERR_SSL_..."`); `cause` the Node error.
 *
 * @example
 * ```ts
 * import { SSLError } from "effect-anyio"
 * const err = new SSLError({ message: "certificate has expired", code: "CERT_HAS_EXPIRED" })
 * ```
 * @category errors
 */
export class SSLError extends Data.TaggedError("SSLError")<{
  readonly message: string
  readonly code?: string | undefined
  readonly cause?: unknown
}> {}
