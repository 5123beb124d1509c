/**
 * A typed `ExceptionGroup`: what a task group fails with when one or more of its tasks (or its body)
 * failed. Built from Effect `Cause`s: each member keeps the `Cause` it came from, so stack traces and
 * spans survive.
 *
 * Members are typed failures (`Effect.fail`), defects (`Effect.die`, wrapped in {@link Defect}) and
 * nested groups (a failed nested task group). Cancellations are never members.
 *
 * The type parameter `E` is the union of every *leaf* failure type that can appear anywhere in the
 * tree, including inside nested groups; {@link Member} is then `E | Defect | ExceptionGroup<E>`.
 * Tracking leaves rather than the exact nesting keeps the type sound when a task group handle is
 * used from inside a nested group (the failure then lands one level higher than the type of the
 * nested group suggests, but it is still a leaf of `E`).
 *
 * @since 0.1.0
 */
import { Cause, Data } from "effect"

/**
 * A defect (an `Effect.die` or a thrown exception) that became a member of an {@link ExceptionGroup}.
 * The original value is in `defect`.
 *
 * @example
 * ```ts
 * import { Defect } from "effect-anyio"
 * const d = new Defect({ defect: new TypeError("boom") })
 * d.defect // the TypeError
 * ```
 * @category models
 */
export class Defect extends Data.TaggedError("Defect")<{ readonly defect: unknown }> {
  override get message(): string {
    const d = this.defect
    return d instanceof Error ? `${d.name}: ${d.message}` : `Defect: ${String(d)}`
  }
}

/**
 * One member of an {@link ExceptionGroup} whose leaf failures are `E`.
 *
 * @example
 * ```ts
 * import type { Member } from "effect-anyio"
 * type M = Member<"NotFound"> // "NotFound" | Defect | ExceptionGroup<"NotFound">
 * ```
 * @category models
 */
export type Member<E> = E | Defect | ExceptionGroup<E>

/**
 * The leaf failure types of `E`: an `ExceptionGroup<X>` in `E` contributes `X`, anything else itself.
 *
 * @example
 * ```ts
 * import type { ExceptionGroup, Leaves } from "effect-anyio"
 * type L = Leaves<"A" | ExceptionGroup<"B">> // "A" | "B"
 * ```
 * @category type-level
 */
export type Leaves<E> = E extends ExceptionGroup<infer X> ? X : E

/**
 * A task that the group cancelled while it handled a failure, with the reason, for the printout.
 *
 * @category models
 */
export interface CancelledTask {
  readonly name: string
  readonly reason: string
}

/**
 * AnyIO's (Python's) `ExceptionGroup`: a `message` and the `exceptions` it groups, each with its
 * Effect `Cause` in `causes` at the same index.
 *
 * **When to use**
 *
 * Catch it with `Effect.catchTag("ExceptionGroup", ...)` around `createTaskGroup`, or use the
 * combinators of this module to handle some members and re-raise the rest (Python's `except*`).
 *
 * **Details**
 *
 * - Never empty; two equal failures stay two members.
 * - It is an `AggregateError` (the platform's own group), so `errors` equals `exceptions`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup } from "effect-anyio"
 * const program = createTaskGroup((tg) => tg.startSoon(Effect.fail("boom" as const))).pipe(
 *   Effect.catchTag("ExceptionGroup", (eg) => Effect.succeed(eg.exceptions.length))
 * )
 * ```
 * @category models
 */
export class ExceptionGroup<E = unknown> extends AggregateError {
  readonly _tag = "ExceptionGroup" as const
  /** The members: typed failures, defects and nested groups. */
  readonly exceptions: ReadonlyArray<Member<E>>
  /** `causes[i]` is the Effect `Cause` that `exceptions[i]` came from. */
  readonly causes: ReadonlyArray<Cause.Cause<unknown>>
  /** Tasks the group cancelled while handling these failures, with why (not members). */
  readonly cancelled: ReadonlyArray<CancelledTask>

  constructor(
    message: string,
    exceptions: ReadonlyArray<Member<E>>,
    options?: {
      readonly causes?: ReadonlyArray<Cause.Cause<unknown>> | undefined
      readonly cancelled?: ReadonlyArray<CancelledTask> | undefined
    }
  ) {
    if (exceptions.length === 0) throw new TypeError("ExceptionGroup: the second argument must be non-empty")
    super(exceptions, message)
    this.name = "ExceptionGroup"
    this.exceptions = exceptions
    this.causes = options?.causes ?? exceptions.map(defaultCause)
    this.cancelled = options?.cancelled ?? []
  }
}

const defaultCause = (member: unknown): Cause.Cause<unknown> =>
  member instanceof Defect ? Cause.die(member.defect) : Cause.fail(member)

/**
 * Splits a `Cause` into group members: each `Fail` becomes its error, each `Die` a {@link Defect};
 * interruptions are dropped. Every reason is kept (no deduplication).
 *
 * @internal
 */
export const membersOfCause = (
  cause: Cause.Cause<unknown>,
  into: { exceptions: Array<Member<unknown>>; causes: Array<Cause.Cause<unknown>> }
): void => {
  for (const reason of cause.reasons) {
    if (reason._tag === "Fail") {
      into.exceptions.push(reason.error)
      into.causes.push(Cause.fromReasons([reason]))
    } else if (reason._tag === "Die") {
      into.exceptions.push(new Defect({ defect: reason.defect }))
      into.causes.push(Cause.fromReasons([reason]))
    }
  }
}

/**
 * True when the value is an {@link ExceptionGroup}.
 *
 * @example
 * ```ts
 * import { isExceptionGroup } from "effect-anyio"
 * isExceptionGroup(new Error("x")) // false
 * ```
 * @category guards
 */
export const isExceptionGroup = (u: unknown): u is ExceptionGroup<unknown> => u instanceof ExceptionGroup
