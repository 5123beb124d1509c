/**
 * Cancel scopes, deadlines and shielding (AnyIO's `CancelScope`, `move_on_after`, `fail_after`),
 * driven by fiber interruption. The rules live in `internal/scope.ts`, the way a host runs and
 * waits for a scope's body in `internal/host.ts`.
 *
 * `async with CancelScope(...) as scope:` becomes `cancelScope(options, (scope) => body)`; the body
 * runs in a fiber of its own so that cancelling it does not stop the code after the scope.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import { TimeoutError } from "./Errors.ts"
import { checkDeadline, checkReason, checkShield } from "./internal/args.ts"
import { runScope } from "./internal/host.ts"
import { CancelScopeImpl, deadlinePassed } from "./internal/scope.ts"
import { toSeconds } from "./internal/time.ts"
import type { Seconds } from "./Time.ts"

/**
 * Why a scope was cancelled: explicitly (with the message given to `cancel`), by its deadline, or
 * (for a task group's scope) because a task failed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { cancelScope } from "effect-anyio"
 * const program = cancelScope({}, (scope) =>
 *   Effect.gen(function* () {
 *     yield* scope.cancel("done")
 *     console.log(scope.cancelReason) // { _tag: "Explicit", message: "done", by: <this task's name> }
 *   })
 * )
 * ```
 * @category models
 */
export type CancelReason =
  | {
      readonly _tag: "Explicit"
      readonly message: string | undefined
      /** The name of the task that called `cancel()` (absent outside every task's fiber). */
      readonly by?: string | undefined
    }
  | { readonly _tag: "Deadline"; readonly deadline: number }
  | { readonly _tag: "TaskFailed"; readonly task: string; readonly error: unknown }

/**
 * A cancel scope (AnyIO's `CancelScope`).
 *
 * **Details**
 *
 * - `cancel(reason?)` is idempotent and can be called from any task, before the scope was entered
 *   (then it is delivered on entry), while it is active, or after it exited (no effect).
 * - `deadline` (seconds, as `currentTime()`) and `shield` can be read and written while active:
 *   setting `deadline` re-arms the timer; turning `shield` off delivers an outer cancellation that
 *   the shield held back.
 * - `cancelledCaught` is true when this scope swallowed its own cancellation on exit.
 * - `cancelReason` says why it was cancelled: explicitly (with a message), by its deadline, or
 *   (for a task group) because a task failed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { cancelScope, sleep } from "effect-anyio"
 * const program = cancelScope({}, (scope) =>
 *   Effect.gen(function* () {
 *     yield* scope.cancel("no longer needed")
 *     yield* sleep(10) // interrupted here; the scope catches it
 *   })
 * ) // Effect<Option<void>>: None
 * ```
 * @category models
 */
export interface CancelScope {
  /** Cancels the scope (idempotent). */
  cancel(reason?: string): Effect.Effect<void>
  /** Like `cancel`, as a plain call, for callbacks outside Effect code. */
  cancelUnsafe(reason?: string): void
  readonly cancelCalled: boolean
  readonly cancelledCaught: boolean
  readonly cancelReason: CancelReason | undefined
  /** Why it was cancelled, in words (`undefined` when it was not). */
  readonly cancelReasonText: string | undefined
  /** Absolute deadline in seconds (`Infinity`: none). Writable while active. */
  deadline: number
  /** Blocks cancellation from enclosing scopes. Writable while active. */
  shield: boolean
}

/**
 * Options of a cancel scope.
 *
 * @category models
 */
export interface CancelScopeOptions {
  /** Absolute deadline in seconds, as from `currentTime()`. Default: none. */
  readonly deadline?: number | undefined
  /** Block cancellation from enclosing scopes. Default: false. */
  readonly shield?: boolean | undefined
}

/**
 * Creates a cancel scope that is not entered yet (AnyIO's `CancelScope(...)` before `with`). It can
 * be cancelled before it is entered; enter it with {@link cancelScope}.
 *
 * @example
 * ```ts
 * import { cancelScope, makeCancelScope, sleep } from "effect-anyio"
 * const s = makeCancelScope({ shield: true })
 * const program = cancelScope(s, () => sleep(1))
 * ```
 * @category constructors
 */
export const makeCancelScope = (options?: CancelScopeOptions): CancelScope => {
  const deadline =
    options?.deadline === undefined ? Number.POSITIVE_INFINITY : checkDeadline(options.deadline)
  const shield = checkShield(options?.shield)
  return new CancelScopeImpl(deadline, shield)
}

/** The body of a scope: an effect, or a function of the scope. */
export type ScopeBody<A, E, R> = Effect.Effect<A, E, R> | ((scope: CancelScope) => Effect.Effect<A, E, R>)

/**
 * Effect's `dual` puts the piped value first; here the data-first order is AnyIO's (time or
 * options first, then the body), so a local `dual`: data-first when the body is given (an effect
 * or a function of the scope), else `(time, options?) => (effect) => ...`.
 */
const dualBody = <T>(isDataFirst: (args: ReadonlyArray<unknown>) => boolean, impl: Function): T =>
  ((...args: Array<unknown>) =>
    isDataFirst(args) ? impl(...args) : (self: unknown) => impl(args[0], self, args[1])) as unknown as T

/** `cancelScope(options, body)`: data-first with two arguments, as Effect's `dual(2, ...)`. */
const twoArgs = (args: ReadonlyArray<unknown>): boolean => args.length >= 2

/** `failAfter(delay, body, options?)`: data-first when the body is given. */
const bodyGiven = (args: ReadonlyArray<unknown>): boolean =>
  args.length >= 3 || Effect.isEffect(args[1]) || typeof args[1] === "function"

/**
 * Runs `body` inside a cancel scope (AnyIO's `with CancelScope(deadline=..., shield=...) as scope:`).
 * Succeeds with `Some(value)`, or `None` when the scope's own cancellation (its `cancel()` or its
 * deadline) stopped the body and no enclosing cancellation is visible: `Option.isNone` is AnyIO's
 * `scope.cancelled_caught`, as Effect's `timeoutOption`. Task groups follow the same model
 * (`createTaskGroup` gives `None` when the group's own cancellation stopped its body).
 *
 * **When to use**: to be able to cancel a piece of work from elsewhere, give it a deadline, or
 * shield it from outer cancellation (cleanup that must finish).
 *
 * **Details**: see {@link CancelScope}. An enclosing cancellation passes through as an
 * interruption; real failures of the body propagate unchanged. A scope object can be entered once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { cancelScope, sleep } from "effect-anyio"
 * // shielded cleanup: finishes even if the surrounding task is being cancelled
 * const cleanup = cancelScope({ shield: true }, sleep(0.1))
 * // pipeable: effect.pipe(cancelScope(options))
 * const same = sleep(0.1).pipe(cancelScope({ shield: true }))
 * ```
 * @category constructors
 */
export const cancelScope: {
  (
    options: CancelScopeOptions | CancelScope
  ): <A, E, R>(body: Effect.Effect<A, E, R>) => Effect.Effect<Option.Option<A>, E, R>
  <A, E = never, R = never>(
    options: CancelScopeOptions | CancelScope,
    body: ScopeBody<A, E, R>
  ): Effect.Effect<Option.Option<A>, E, R>
} = dualBody(
  twoArgs,
  <A, E, R>(
    options: CancelScopeOptions | CancelScope,
    body: ScopeBody<A, E, R>
  ): Effect.Effect<Option.Option<A>, E, R> =>
    Effect.suspend(() => {
      const scope =
        options instanceof CancelScopeImpl ? options : (makeCancelScope(options) as CancelScopeImpl)
      return runScope(scope, body, undefined)
    })
)

const delaySeconds = (delay: unknown): number => {
  return Math.max(0, toSeconds(delay, "delay"))
}

/**
 * Options of {@link moveOnAfter} and {@link moveOnAt}.
 *
 * @category models
 */
export interface MoveOnOptions {
  readonly shield?: boolean | undefined
}

/**
 * The forms of {@link moveOnAfter} and {@link moveOnAt}, given the time argument (`delay` seconds
 * from now, or an absolute `deadline`): with a body, or pipeable.
 *
 * @category models
 */
export interface MovingOn<Time> {
  (
    time: Time,
    options?: MoveOnOptions
  ): <A, E, R>(body: Effect.Effect<A, E, R>) => Effect.Effect<Option.Option<A>, E, R>
  <A, E = never, R = never>(
    time: Time,
    body: ScopeBody<A, E, R>,
    options?: MoveOnOptions
  ): Effect.Effect<Option.Option<A>, E, R>
}

/**
 * `moveOnAfter`/`moveOnAt`: a scope with a deadline `time` seconds from now, or at `time`. The
 * arguments are checked when the effect runs (a bad one dies then), as for every scope.
 */
const movingOn =
  (kind: "after" | "at") =>
  <A, E, R>(
    time: unknown,
    body: ScopeBody<A, E, R>,
    options?: MoveOnOptions
  ): Effect.Effect<Option.Option<A>, E, R> =>
    runScope(
      () =>
        new CancelScopeImpl(
          kind === "at" ? checkDeadline(time) : Number.POSITIVE_INFINITY,
          checkShield(options?.shield)
        ),
      body,
      kind === "after" ? () => delaySeconds(time) : undefined
    )

/**
 * Runs `body` with a deadline `delay` seconds from now (AnyIO's `move_on_after`): `Some(value)` if
 * it finished in time, `None` if the deadline (or the scope's own `cancel()`) stopped it.
 *
 * **Details**: negative delays count as already passed (the body is cancelled at its first
 * operation). NaN dies with `InvalidArgumentError`. An enclosing cancellation passes through.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { moveOnAfter, sleep } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const r = yield* moveOnAfter(1, sleep(5))
 *   console.log(Option.isNone(r) ? "moved on" : "finished")
 *   const piped = yield* sleep(5).pipe(moveOnAfter(1)) // pipeable form
 * })
 * ```
 * @category timeouts
 */
export const moveOnAfter: MovingOn<Seconds> = dualBody(bodyGiven, movingOn("after"))

/**
 * Like {@link moveOnAfter} with an absolute deadline in seconds (AnyIO's `move_on_at`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { currentTime, moveOnAt, sleep } from "effect-anyio"
 * const program = Effect.flatMap(currentTime(), (now) => moveOnAt(now + 1, sleep(5)))
 * ```
 * @category timeouts
 */
export const moveOnAt: MovingOn<number> = dualBody(bodyGiven, movingOn("at"))

/**
 * Options of {@link failAfter} and {@link failAt}.
 *
 * @category models
 */
export interface FailAfterOptions {
  readonly shield?: boolean | undefined
  /** Message of the `TimeoutError`. */
  readonly reason?: string | undefined
}

/**
 * `failAfter`/`failAt`: a scope whose own deadline turns into a `TimeoutError`. With an effect body
 * nothing but that deadline or an outer cancellation can stop it, so the `Option` is unwrapped.
 */
const failing =
  (kind: "after" | "at") =>
  <A, E, R>(
    time: unknown,
    body: ScopeBody<A, E, R>,
    options?: FailAfterOptions
  ): Effect.Effect<A | Option.Option<A>, E | TimeoutError, R> =>
    Effect.suspend((): Effect.Effect<A | Option.Option<A>, E | TimeoutError, R> => {
      const node = new CancelScopeImpl(
        kind === "at" ? checkDeadline(time) : Number.POSITIVE_INFINITY,
        checkShield(options?.shield)
      )
      const reason = checkReason(options?.reason)
      const result = Effect.flatMap(
        runScope(node, body, kind === "after" ? delaySeconds(time) : undefined),
        (result): Effect.Effect<Option.Option<A>, TimeoutError> =>
          // AnyIO's rule: the scope caught a cancellation and its deadline has passed at exit (also
          // when it was cancelled explicitly and the body only ended after the deadline).
          Option.isNone(result) && deadlinePassed(node)
            ? Effect.fail(new TimeoutError({ message: reason ?? "deadline exceeded" }))
            : Effect.succeed(result)
      )
      return typeof body === "function" ? result : Effect.map(result, (o) => (o as Option.Some<A>).value)
    })

/**
 * The forms of {@link failAfter} and {@link failAt}, given the time argument (`delay` seconds from
 * now, or an absolute `deadline`): with an effect (its value), with a function of the scope (an
 * `Option`), or pipeable.
 *
 * @category models
 */
export interface Failing<Time> {
  <A, E = never, R = never>(
    time: Time,
    body: Effect.Effect<A, E, R>,
    options?: FailAfterOptions
  ): Effect.Effect<A, E | TimeoutError, R>
  <A, E = never, R = never>(
    time: Time,
    body: (scope: CancelScope) => Effect.Effect<A, E, R>,
    options?: FailAfterOptions
  ): Effect.Effect<Option.Option<A>, E | TimeoutError, R>
  (
    time: Time,
    options?: FailAfterOptions
  ): <A, E, R>(body: Effect.Effect<A, E, R>) => Effect.Effect<A, E | TimeoutError, R>
}

/**
 * Runs `body` with a deadline `delay` seconds from now and fails with {@link TimeoutError} if that
 * deadline stopped it (AnyIO's `fail_after`).
 *
 * **Details**
 *
 * - Only this scope's own deadline gives a `TimeoutError`; an enclosing cancellation passes
 *   through as a cancellation.
 * - Given an effect, succeeds with its value. Given a function of the scope, succeeds with an
 *   `Option`: `None` when your own `scope.cancel()` stopped the body before the deadline. As in
 *   AnyIO, a scope that caught its cancellation when the deadline has passed fails with
 *   `TimeoutError`, even if `scope.cancel()` came first (the body ended after the deadline).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { failAfter, sleep } from "effect-anyio"
 * const program = failAfter(1, sleep(5)).pipe(
 *   Effect.catchTag("TimeoutError", () => Effect.succeed("timed out"))
 * )
 * const piped = sleep(5).pipe(failAfter(1, { reason: "too slow" })) // pipeable form
 * ```
 * @category timeouts
 */
export const failAfter: Failing<Seconds> = dualBody(bodyGiven, failing("after"))

/**
 * Like {@link failAfter} with an absolute deadline in seconds (AnyIO's `fail_at`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { currentTime, failAt, sleep } from "effect-anyio"
 * const program = Effect.flatMap(currentTime(), (now) => failAt(now + 1, sleep(0.5)))
 * ```
 * @category timeouts
 */
export const failAt: Failing<number> = dualBody(bodyGiven, failing("at"))
