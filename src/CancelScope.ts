/**
 * Cancel scopes, deadlines and shielding (AnyIO's `CancelScope`, `move_on_after`, `fail_after`),
 * driven by fiber interruption. The rules live in `internal/scope.ts`.
 *
 * `async with CancelScope(...) as scope:` becomes `cancelScope(options, (scope) => body)`; the body
 * runs in a fiber of its own so that cancelling it does not stop the code after the scope.
 *
 * @since 0.1.0
 */
import { type Context, Effect, type Exit, type Fiber, Option } from "effect"
import { InvalidArgumentError, TimeoutError } from "./Errors.ts"
import * as scope from "./internal/scope.ts"
import { beginWaitAround, endWait, ScopeBodyWait, taskOfFiber, waitMark } from "./internal/task.ts"
import { textOf } from "./internal/text.ts"
import { type Seconds, toSeconds } from "./internal/time.ts"
import { TaskTracing, traced } from "./internal/tracing.ts"
import { bounded, startBody } from "./internal/trampoline.ts"

export type { CancelReason } from "./internal/scope.ts"

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
  readonly cancelReason: scope.CancelReason | undefined
  /** Why it was cancelled, in words (`undefined` when it was not). */
  readonly cancelReasonText: string | undefined
  /** Absolute deadline in seconds (`Infinity`: none). Writable while active. */
  deadline: number
  /** Blocks cancellation from enclosing scopes. Writable while active. */
  shield: boolean
}

/** @internal */
export class CancelScopeImpl extends scope.ScopeNode implements CancelScope {
  cancel(reason?: string): Effect.Effect<void> {
    return Effect.sync(() => this.cancelUnsafe(reason))
  }
  cancelUnsafe(reason?: string): void {
    scope.cancel(this, { _tag: "Explicit", message: checkReason(reason) })
  }
  get cancelReason(): scope.CancelReason | undefined {
    return this.reason
  }
  get cancelReasonText(): string | undefined {
    return this.cancelCalled ? scope.describeReason(this.reason) : undefined
  }
  get deadline(): number {
    return scope.deadlineOf(this)
  }
  set deadline(value: number) {
    scope.setDeadline(this, checkDeadline(value))
  }
  get shield(): boolean {
    return this._shield
  }
  set shield(value: boolean) {
    if (typeof value !== "boolean") throw new InvalidArgumentError({ message: "shield must be a boolean" })
    scope.setShield(this, value)
  }
}

/**
 * A cancel reason or TimeoutError message, as a string (or nothing). Any value is accepted and
 * turned into text safely here, so that a printout or a reason read later can never throw.
 */
export const checkReason = (value: unknown): string | undefined => {
  if (value === undefined || value === null || typeof value === "string") return value ?? undefined
  return textOf(value)
}

const checkShield = (value: unknown): boolean => {
  if (value === undefined) return false
  if (typeof value !== "boolean") {
    throw new InvalidArgumentError({ message: `shield must be a boolean, got ${typeof value}` })
  }
  return value
}

const checkDeadline = (value: unknown): number => {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new InvalidArgumentError({ message: `deadline must be a number of seconds, got ${textOf(value)}` })
  }
  return value
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
 * Runs `body` inside a cancel scope (AnyIO's `with CancelScope(deadline=..., shield=...) as scope:`).
 * Succeeds with `Some(value)`, or `None` when the scope's own cancellation (its `cancel()` or its
 * deadline) stopped the body and no enclosing cancellation is visible.
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
 * ```
 * @category constructors
 */
export const cancelScope = <A, E = never, R = never>(
  options: CancelScopeOptions | CancelScope,
  body: ScopeBody<A, E, R>
): Effect.Effect<Option.Option<A>, E, R> =>
  Effect.suspend(() => {
    const node = options instanceof CancelScopeImpl ? options : (makeCancelScope(options) as CancelScopeImpl)
    return run(node, body, undefined)
  })

/**
 * Runs `node`'s body in its own fiber and waits for it, forwarding outer cancellation.
 * `deadlineFromNow`, when given, sets the deadline relative to the clock at entry.
 * @internal
 */
export const run = <A, E, R>(
  makeNode: CancelScopeImpl | (() => CancelScopeImpl),
  body: ScopeBody<A, E, R>,
  fromNow: number | (() => number) | undefined
): Effect.Effect<Option.Option<A>, E, R> =>
  Effect.withFiber((host) => {
    // Built here (not in an outer Effect.suspend): one step less per scope; a bad argument thrown
    // here dies like any defect.
    const node = typeof makeNode === "function" ? makeNode() : makeNode
    const deadlineFromNow = typeof fromNow === "function" ? fromNow() : fromNow
    // Forking and registering the wait happen in one step of the host (inside `callback`), so an
    // interruption of the host can never fall between them and orphan the body.
    const entered = Effect.callback<Option.Option<A>, E>((resume) => {
      const context = scope.enter(node, host)
      scope.cancelIfDeadlinePassed(node, deadlineFromNow)
      const userEffect: unknown = typeof body === "function" ? body(node) : body
      if (!Effect.isEffect(userEffect)) {
        throw new TypeError(
          `cancelScope: the body must be an Effect or a function returning one, got ${typeof userEffect}`
        )
      }
      const mark = waitMark()
      const fiber = startBody(
        Effect.runForkWith(context as Context.Context<R>),
        scope.registerBody(node, userEffect as Effect.Effect<A, E, R>) as Effect.Effect<A, E>
      )
      const done = fiber.pollUnsafe()
      if (done !== undefined) return resume(finish(node, done))
      // Rule 8: cancelled before entry, or entered inside an effectively cancelled scope
      // (level-triggered), the body is cancelled at its first suspension.
      scope.interruptIfCancelledOnEntry(node, fiber)
      // Arm the deadline timer only for a body that is still running: most scopes that never fire
      // finish synchronously and never pay for a timer.
      if (scope.hasDeadline(node)) scope.arm(node)
      // For printouts: the host waits for the body (around the body's own waits) until it ends.
      const wait = new ScopeBodyWait(node.id)
      beginWaitAround(taskOfFiber(host), wait, mark)
      fiber.addObserver((exit) => {
        endWait(wait)
        bounded(() => resume(finish(node, exit)))
      })
      return onHostCancelled(node, fiber)
    })
    return host.getRef(TaskTracing) ? traced(entered, "cancel scope", node.id) : entered
  })

const finish = <A, E>(node: CancelScopeImpl, exit: Exit.Exit<A, E>): Effect.Effect<Option.Option<A>, E> => {
  scope.exit(node)
  if (exit._tag === "Success") return Effect.succeed(Option.some(exit.value))
  const settled = scope.settle(node, exit)
  switch (settled._tag) {
    case "Value":
      return Effect.succeed(Option.some(settled.value))
    case "Caught":
      return Effect.succeed(Option.none())
    default:
      return settled
  }
}

/**
 * The host was interrupted while waiting: forward (unless shielded), then wait for the body; its
 * real failures join the host's interruption (Effect merges a canceler's failure into the
 * interruption; the canceler's type only admits `never`).
 */
const onHostCancelled = <A, E>(node: CancelScopeImpl, fiber: Fiber.Fiber<A, E>): Effect.Effect<void> =>
  Effect.suspend(() => {
    scope.onOuterCancel(node)
    return Effect.flatMap(awaitBounded(fiber), (exit) => {
      scope.exit(node)
      return exit._tag === "Failure" && scope.hasFailures(exit.cause)
        ? Effect.failCause(scope.failuresOnly(exit.cause))
        : Effect.void
    })
  }) as Effect.Effect<void>

/** `Fiber.await`, resuming through `bounded` (deep trees of scopes unwind level by level). */
const awaitBounded = <A, E>(fiber: Fiber.Fiber<A, E>): Effect.Effect<Exit.Exit<A, E>> =>
  Effect.callback<Exit.Exit<A, E>>((resume) => {
    const done = fiber.pollUnsafe()
    if (done !== undefined) return resume(Effect.succeed(done))
    fiber.addObserver((exit) => bounded(() => resume(Effect.succeed(exit))))
  })

const delaySeconds = (delay: unknown): number => {
  return Math.max(0, toSeconds(delay, "delay"))
}

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
 * })
 * ```
 * @category timeouts
 */
export const moveOnAfter = <A, E = never, R = never>(
  delay: Seconds,
  body: ScopeBody<A, E, R>,
  options?: { readonly shield?: boolean | undefined }
): Effect.Effect<Option.Option<A>, E, R> =>
  run(
    () => new CancelScopeImpl(Number.POSITIVE_INFINITY, checkShield(options?.shield)),
    body,
    () => delaySeconds(delay)
  )

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
export const moveOnAt = <A, E = never, R = never>(
  deadline: number,
  body: ScopeBody<A, E, R>,
  options?: { readonly shield?: boolean | undefined }
): Effect.Effect<Option.Option<A>, E, R> =>
  Effect.suspend(() =>
    run(new CancelScopeImpl(checkDeadline(deadline), checkShield(options?.shield)), body, undefined)
  )

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
const failing = <A, E, R>(
  kind: "after" | "at",
  time: unknown,
  body: ScopeBody<A, E, R>,
  options: FailAfterOptions | undefined
): Effect.Effect<A | Option.Option<A>, E | TimeoutError, R> =>
  Effect.suspend((): Effect.Effect<A | Option.Option<A>, E | TimeoutError, R> => {
    const node = new CancelScopeImpl(
      kind === "at" ? checkDeadline(time) : Number.POSITIVE_INFINITY,
      checkShield(options?.shield)
    )
    const reason = checkReason(options?.reason)
    const result = Effect.flatMap(
      run(node, body, kind === "after" ? delaySeconds(time) : undefined),
      (result): Effect.Effect<Option.Option<A>, TimeoutError> =>
        Option.isNone(result) && node.reason?._tag === "Deadline"
          ? Effect.fail(new TimeoutError({ message: reason ?? "deadline exceeded" }))
          : Effect.succeed(result)
    )
    return typeof body === "function" ? result : Effect.map(result, (o) => (o as Option.Some<A>).value)
  })

/**
 * Runs `body` with a deadline `delay` seconds from now and fails with {@link TimeoutError} if that
 * deadline stopped it (AnyIO's `fail_after`).
 *
 * **Details**
 *
 * - Only this scope's own deadline gives a `TimeoutError`; an enclosing cancellation passes
 *   through as a cancellation.
 * - Given an effect, succeeds with its value. Given a function of the scope, succeeds with an
 *   `Option`: `None` when your own `scope.cancel()` stopped the body (AnyIO: no `TimeoutError`
 *   for an explicit cancel before the deadline).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { failAfter, sleep } from "effect-anyio"
 * const program = failAfter(1, sleep(5)).pipe(
 *   Effect.catchTag("TimeoutError", () => Effect.succeed("timed out"))
 * )
 * ```
 * @category timeouts
 */
export const failAfter: {
  <A, E = never, R = never>(
    delay: Seconds,
    body: Effect.Effect<A, E, R>,
    options?: FailAfterOptions
  ): Effect.Effect<A, E | TimeoutError, R>
  <A, E = never, R = never>(
    delay: Seconds,
    body: (scope: CancelScope) => Effect.Effect<A, E, R>,
    options?: FailAfterOptions
  ): Effect.Effect<Option.Option<A>, E | TimeoutError, R>
} = <A, E, R>(
  delay: Seconds,
  body: ScopeBody<A, E, R>,
  options?: FailAfterOptions
): Effect.Effect<A | Option.Option<A>, E | TimeoutError, R> => failing("after", delay, body, options)

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
export const failAt: {
  <A, E = never, R = never>(
    deadline: number,
    body: Effect.Effect<A, E, R>,
    options?: FailAfterOptions
  ): Effect.Effect<A, E | TimeoutError, R>
  <A, E = never, R = never>(
    deadline: number,
    body: (scope: CancelScope) => Effect.Effect<A, E, R>,
    options?: FailAfterOptions
  ): Effect.Effect<Option.Option<A>, E | TimeoutError, R>
} = <A, E, R>(
  deadline: number,
  body: ScopeBody<A, E, R>,
  options?: FailAfterOptions
): Effect.Effect<A | Option.Option<A>, E | TimeoutError, R> => failing("at", deadline, body, options)
