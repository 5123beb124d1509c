/**
 * The errors effect-anyio raises, as tagged classes so that `Effect.catchTag` works and exhaustive
 * handling type-checks. Names follow AnyIO (`anyio.WouldBlock`, `anyio.EndOfStream`, ...).
 *
 * @since 0.1.0
 */
import { Data } from "effect"

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
 * const err = new InvalidArgumentError({ message: "initial_value must be >= 0" })
 * ```
 * @category errors
 */
export class InvalidArgumentError extends Data.TaggedError("InvalidArgumentError")<{
  readonly message: string
}> {}

/**
 * A `failAfter`/`failAt` scope's own deadline expired (AnyIO raises the builtin `TimeoutError`).
 *
 * @example
 * ```ts
 * import { TimeoutError } from "effect-anyio"
 * const err = new TimeoutError({ message: "deadline exceeded" })
 * ```
 * @category errors
 */
export class TimeoutError extends Data.TaggedError("TimeoutError")<{ readonly message?: string }> {}

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
