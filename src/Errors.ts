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
