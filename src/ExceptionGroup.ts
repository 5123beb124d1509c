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
 * Handling a group (Python's `except*`, PEP 654):
 *
 * - On the value: {@link ExceptionGroup.split} and {@link ExceptionGroup.subgroup} as in Python,
 *   {@link ExceptionGroup.leaves} to walk every leaf with its `Cause`.
 * - On an effect: {@link catchMembers} (by tag), {@link catchMembersIf} (by predicate) and
 *   {@link catchMembersByTag} (one handler per tag) handle the matching members and fail again with
 *   the smaller group of the rest; {@link unwrapSingle} turns a one-leaf group back into that leaf.
 *
 * The printout ({@link ExceptionGroup.pretty}, also `toString()`, `stack` and Node's `inspect`) is a
 * tree like Python's traceback for groups, each leaf with the stack of its own `Cause`.
 *
 * @since 0.1.0
 */
import { Cause, Context, Data, Effect, Function as Fn } from "effect"
import { InvalidArgumentError } from "./Errors.ts"
import { countNote, installStack, render } from "./internal/exceptionGroupPrint.ts"
import { textOf } from "./internal/text.ts"

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/**
 * A defect (an `Effect.die` or a thrown exception) that became a member of an {@link ExceptionGroup}.
 * The original value is in `defect`.
 *
 * **When to use**
 *
 * Match it like any tagged member: by the tag `"Defect"` in {@link catchMembers} or
 * {@link ExceptionGroup.split}, or with `instanceof Defect`.
 *
 * **Details**
 *
 * The member's `Cause` (in `causes`) is the original `Die`, so the printout shows the stack of the
 * thrown value, not of this wrapper.
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
    return d instanceof Error ? `${d.name}: ${d.message}` : `Defect: ${textOf(d)}`
  }
}

/**
 * One member of an {@link ExceptionGroup} whose leaf failures are `E`.
 *
 * **When to use**
 *
 * To type code that walks `eg.exceptions` by hand.
 *
 * **Details**
 *
 * A member is a leaf (`E` or a {@link Defect}) or a nested group of the same leaf type.
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
 * **When to use**
 *
 * To compute the leaf type of a group built from failures that may themselves be groups (a task
 * group whose children run nested task groups).
 *
 * **Details**
 *
 * Distributes over unions; one level deep (an `ExceptionGroup<X>` already has leaves `X`).
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
 * **When to use**
 *
 * Read `eg.cancelled` to learn which tasks were cancelled because of the failures in the group.
 *
 * **Details**
 *
 * Cancelled tasks are never members; the printout lists them after the members, e.g.
 * `(cancelled: task 'b' — because task 'a' failed)`.
 *
 * @example
 * ```ts
 * import type { CancelledTask } from "effect-anyio"
 * const c: CancelledTask = { name: "b", reason: "because task 'a' failed" }
 * ```
 * @category models
 */
export interface CancelledTask {
  readonly name: string
  readonly reason: string
}

/**
 * The task a member of an {@link ExceptionGroup} came from (its name and id, as in
 * `getCurrentTask()`); the group body's own failure names the host task.
 *
 * @example
 * ```ts
 * import type { TaskOrigin } from "effect-anyio"
 * const o: TaskOrigin = { name: "worker-3", id: 12 }
 * ```
 * @category models
 */
export interface TaskOrigin {
  readonly name: string
  readonly id: number
}

/**
 * One leaf of an {@link ExceptionGroup} (a failure or a {@link Defect}, never a group), with the
 * `Cause` it came from and where it sits in the tree.
 *
 * **When to use**
 *
 * Returned by {@link ExceptionGroup.leaves}: log, count or inspect every failure of a tree.
 *
 * **Details**
 *
 * `path` holds the member indices from the outermost group down: `[1, 0]` is
 * `eg.exceptions[1].exceptions[0]`.
 *
 * @example
 * ```ts
 * import { ExceptionGroup } from "effect-anyio"
 * for (const leaf of new ExceptionGroup("m", ["a"]).leaves()) console.log(leaf.path, leaf.exception)
 * ```
 * @category models
 */
export interface LeafMember<E> {
  readonly exception: E | Defect
  readonly cause: Cause.Cause<unknown>
  readonly path: ReadonlyArray<number>
}

// ---------------------------------------------------------------------------------------------
// Type-level helpers
// ---------------------------------------------------------------------------------------------

/**
 * The tags a tag condition may name for leaves `E`: the `_tag`s of `E` and `"Defect"`; any string
 * when `E` is `unknown`.
 *
 * **When to use**
 *
 * Appears in the signatures of {@link ExceptionGroup.split} and {@link catchMembers}; rarely written
 * by hand.
 *
 * **Details**
 *
 * Restricting tags to the known ones gives autocompletion and catches typos.
 *
 * @example
 * ```ts
 * import type { MatchTag } from "effect-anyio"
 * type T = MatchTag<{ readonly _tag: "NotFound" }> // "NotFound" | "Defect"
 * ```
 * @category type-level
 */
export type MatchTag<E> = unknown extends E
  ? string
  : (E extends { readonly _tag: infer T extends string } ? T : never) | "Defect"

/**
 * The leaf types of every {@link ExceptionGroup} in an error channel `EE` (other errors contribute
 * nothing).
 *
 * **When to use**
 *
 * To type the members the combinators of this module can catch in an effect failing with `EE`.
 *
 * **Details**
 *
 * `GroupLeaves<ExceptionGroup<A | B> | C>` is `A | B`.
 *
 * @example
 * ```ts
 * import type { ExceptionGroup, GroupLeaves } from "effect-anyio"
 * type L = GroupLeaves<ExceptionGroup<"A" | "B"> | Error> // "A" | "B"
 * ```
 * @category type-level
 */
export type GroupLeaves<EE> = EE extends ExceptionGroup<infer X> ? X : never

/**
 * The errors of an error channel `EE` that are not {@link ExceptionGroup}s.
 *
 * **When to use**
 *
 * In the result types of the combinators: these errors pass through them untouched.
 *
 * **Details**
 *
 * `NonGroupErrors<ExceptionGroup<A> | C>` is `C`.
 *
 * @example
 * ```ts
 * import type { ExceptionGroup, NonGroupErrors } from "effect-anyio"
 * type O = NonGroupErrors<ExceptionGroup<"A"> | "C"> // "C"
 * ```
 * @category type-level
 */
export type NonGroupErrors<EE> = EE extends ExceptionGroup<infer _X> ? never : EE

/**
 * `ExceptionGroup<X>`, or `never` when there is no leaf type left (`X` is `never`).
 *
 * **When to use**
 *
 * In the result types of the combinators: when every leaf type was handled, the group disappears
 * from the error channel.
 *
 * **Details**
 *
 * Not distributive: `GroupOf<A | B>` is `ExceptionGroup<A | B>`.
 *
 * @example
 * ```ts
 * import type { GroupOf } from "effect-anyio"
 * type G = GroupOf<never> // never
 * ```
 * @category type-level
 */
export type GroupOf<X> = [X] extends [never] ? never : ExceptionGroup<X>

/**
 * The error channel after the members matching `Matched` were handled: other errors unchanged, the
 * group narrowed to the leaves that are left (gone when none is left).
 *
 * **When to use**
 *
 * Appears in the result types of {@link catchMembers} and {@link catchMembersIf}.
 *
 * **Details**
 *
 * `RemainingError<ExceptionGroup<A | B> | C, A>` is `C | ExceptionGroup<B>`.
 *
 * @example
 * ```ts
 * import type { ExceptionGroup, RemainingError } from "effect-anyio"
 * type R = RemainingError<ExceptionGroup<"A" | "B">, "A"> // ExceptionGroup<"B">
 * ```
 * @category type-level
 */
export type RemainingError<EE, Matched> = NonGroupErrors<EE> | GroupOf<Exclude<GroupLeaves<EE>, Matched>>

/**
 * The error of something that fails with one group of the failures `E`: `ExceptionGroup` of the
 * leaves of `E` (see {@link Leaves}), or `never` when `E` is `never` (nothing can fail; a group of
 * defects only dies with its `ExceptionGroup`, as defects do in Effect).
 *
 * **When to use**
 *
 * Appears in the error types of task groups and of the structured helpers; rarely written by hand.
 *
 * **Details**
 *
 * `Leaves` is written inline, so editors show `ExceptionGroup<A | B>`, not an alias.
 *
 * @example
 * ```ts
 * import type { ExceptionGroup, GroupOfLeaves } from "effect-anyio"
 * type G = GroupOfLeaves<"A" | ExceptionGroup<"B">> // ExceptionGroup<"A" | "B">
 * type N = GroupOfLeaves<never> // never
 * ```
 * @category type-level
 */
export type GroupOfLeaves<E> = [E] extends [never]
  ? never
  : ExceptionGroup<E extends ExceptionGroup<infer X> ? X : E>

// ---------------------------------------------------------------------------------------------
// The class
// ---------------------------------------------------------------------------------------------

/**
 * AnyIO's (Python's) `ExceptionGroup`: a message and the `exceptions` it groups, each with its
 * Effect `Cause` in `causes` at the same index.
 *
 * **When to use**
 *
 * Catch it with `Effect.catchTag("ExceptionGroup", ...)` around `createTaskGroup`, or use the
 * combinators of this module ({@link catchMembers}, {@link catchMembersIf},
 * {@link catchMembersByTag}, {@link unwrapSingle}) to handle some members and re-raise the rest
 * (Python's `except*`).
 *
 * **Details**
 *
 * - Never empty; two equal failures stay two members.
 * - It is an `AggregateError` (the platform's own group), so `errors` equals `exceptions`.
 * - `E` is the union of the leaf failure types at any depth; defects are always possible members
 *   (but for a {@link MatchedGroup}, what a `catchMembers("NotFound", handler)` handler receives).
 * - `message` is what Python's `str(eg)` gives: the constructor's message and the member count,
 *   `"unhandled errors in a TaskGroup (2 sub-exceptions in task group 'workers')"`, so every printer
 *   of errors (`Cause.pretty`, loggers, Node) shows the header on one line. The constructor's
 *   message alone (Python's `eg.message`) is `bareMessage`.
 * - `split`/`subgroup` keep the nesting, the `causes`, `origins` of the kept members, the
 *   `bareMessage`, the `groupName` and the `cancelled` notes (Python's `derive`).
 * - `stack`, `toString()` and Node's `inspect` print the tree of {@link ExceptionGroup.pretty}, so an
 *   uncaught group reads like Python's traceback.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup } from "effect-anyio"
 * const program = createTaskGroup((tg) => tg.startSoon(Effect.fail("boom" as const))).pipe(
 *   Effect.catchTag("ExceptionGroup", (eg) => Effect.succeed(eg.exceptions.length))
 * )
 * ```
 * @see {@link catchMembers} to handle members by tag
 * @category models
 */
export class ExceptionGroup<E = unknown> extends AggregateError {
  readonly _tag = "ExceptionGroup" as const
  /**
   * The message given to the constructor (Python's `eg.message`); `message` adds the member count
   * and the group's name, as Python's `str(eg)`: `"unhandled errors in a TaskGroup (2 sub-exceptions)"`.
   */
  readonly bareMessage: string
  /** The members: typed failures, defects and nested groups. */
  readonly exceptions: ReadonlyArray<Member<E>>
  /** `causes[i]` is the Effect `Cause` that `exceptions[i]` came from. */
  readonly causes: ReadonlyArray<Cause.Cause<unknown>>
  /** Tasks the group cancelled while handling these failures, with why (not members). */
  readonly cancelled: ReadonlyArray<CancelledTask>
  /** `origins[i]`: the task `exceptions[i]` came from, when a task group built this group. */
  readonly origins: ReadonlyArray<TaskOrigin | undefined>
  /** The name of the task group that raised it, when it has one. */
  readonly groupName: string | undefined

  constructor(
    message: string,
    exceptions: ReadonlyArray<Member<E>>,
    options?: {
      readonly causes?: ReadonlyArray<Cause.Cause<unknown>> | undefined
      readonly cancelled?: ReadonlyArray<CancelledTask> | undefined
      readonly origins?: ReadonlyArray<TaskOrigin | undefined> | undefined
      readonly groupName?: string | undefined
    }
  ) {
    // Python's rule (`argument 1 must be str`): a message that is not a string may not even
    // convert to one (`{ toString: undefined }`), which would fail later, unclearly.
    if (typeof message !== "string") {
      throw new InvalidArgumentError({
        message: "ExceptionGroup: the first argument (message) must be a string"
      })
    }
    if (!Array.isArray(exceptions)) {
      throw new InvalidArgumentError({
        message: "ExceptionGroup: the second argument (exceptions) must be an array"
      })
    }
    if (exceptions.length === 0) {
      throw new InvalidArgumentError({ message: "ExceptionGroup: the second argument must be non-empty" })
    }
    super(exceptions, `${message} ${countNote(exceptions.length, options?.groupName)}`)
    this.name = "ExceptionGroup"
    this.bareMessage = message
    this.exceptions = exceptions
    this.causes = options?.causes ?? exceptions.map(defaultCause)
    this.cancelled = options?.cancelled ?? []
    this.origins = options?.origins ?? []
    this.groupName = options?.groupName
    installStack(this)
  }

  /**
   * Splits the group in two by a condition on its leaves: `[match, rest]`, each a group with the
   * same nesting, or `undefined` when empty (Python's `ExceptionGroup.split`).
   *
   * **When to use**
   *
   * To handle some failures of a group and keep the others, by hand. On an effect, prefer
   * {@link catchMembers}.
   *
   * **Details**
   *
   * - The condition is a `_tag` (or an array of tags; `"Defect"` matches defects), a refinement
   *   (narrows both sides; the matching side is a {@link MatchedGroup}, without defects, unless it
   *   names `"Defect"`) or a predicate. It sees leaves only, never nested groups (unlike
   *   Python, where a condition may also match a whole nested group).
   * - Every leaf lands on exactly one side; nested groups are split recursively and dropped when
   *   empty; `causes` and `origins` stay aligned; `bareMessage`, `groupName` and `cancelled` are
   *   copied to both sides (`message` then counts the side's own members).
   * - A side that holds every leaf is the group itself (`===`).
   *
   * @example
   * ```ts
   * import { Data } from "effect"
   * import { ExceptionGroup } from "effect-anyio"
   * class NotFound extends Data.TaggedError("NotFound") {}
   * class Timeout extends Data.TaggedError("Timeout") {}
   * const eg = new ExceptionGroup<NotFound | Timeout>("m", [new NotFound(), new Timeout()])
   * const [notFound, rest] = eg.split("NotFound") // ExceptionGroup<NotFound>, ExceptionGroup<Timeout>
   * ```
   * @see {@link ExceptionGroup.subgroup}
   */
  split<const T extends MatchTag<E>>(
    tags: T | ReadonlyArray<T>
  ): [
    match: HandlerGroup<MatchedByTag<E, T>, T> | undefined,
    rest: ExceptionGroup<Exclude<E, { readonly _tag: T }>> | undefined
  ]
  split<B extends E | Defect>(
    refinement: (leaf: E | Defect) => leaf is B
  ): [match: RefinedGroup<B> | undefined, rest: ExceptionGroup<Exclude<E, B>> | undefined]
  split(
    predicate: (leaf: E | Defect) => boolean
  ): [match: ExceptionGroup<E> | undefined, rest: ExceptionGroup<E> | undefined]
  split(
    condition: string | ReadonlyArray<string> | ((leaf: E | Defect) => boolean)
  ): [ExceptionGroup<unknown> | undefined, ExceptionGroup<unknown> | undefined] {
    return splitGroup(this, toPredicate(condition))
  }

  /**
   * The leaves matching a condition, as a group with the same nesting, or `undefined` when none
   * matches (Python's `ExceptionGroup.subgroup`).
   *
   * **When to use**
   *
   * To look at (or re-raise) just some failures of a group.
   *
   * **Details**
   *
   * Same conditions and rules as {@link ExceptionGroup.split}; it is its first half.
   *
   * @example
   * ```ts
   * import { ExceptionGroup } from "effect-anyio"
   * const eg = new ExceptionGroup<string>("m", ["a", "b"])
   * eg.subgroup((e) => e === "a")?.exceptions // ["a"]
   * ```
   * @see {@link ExceptionGroup.split}
   */
  subgroup<const T extends MatchTag<E>>(
    tags: T | ReadonlyArray<T>
  ): HandlerGroup<MatchedByTag<E, T>, T> | undefined
  subgroup<B extends E | Defect>(refinement: (leaf: E | Defect) => leaf is B): RefinedGroup<B> | undefined
  subgroup(predicate: (leaf: E | Defect) => boolean): ExceptionGroup<E> | undefined
  subgroup(
    condition: string | ReadonlyArray<string> | ((leaf: E | Defect) => boolean)
  ): ExceptionGroup<unknown> | undefined {
    return splitGroup(this, toPredicate(condition))[0]
  }

  /**
   * Every leaf (failure or {@link Defect}) of the tree, depth-first in member order, each with its
   * `Cause` and its path.
   *
   * **When to use**
   *
   * To log, count or inspect every failure regardless of nesting.
   *
   * **Details**
   *
   * Nested groups are walked, not returned; the result is never empty.
   *
   * @example
   * ```ts
   * import { ExceptionGroup } from "effect-anyio"
   * const eg = new ExceptionGroup("m", ["a", new ExceptionGroup("n", ["b"])])
   * eg.leaves().map((l) => l.exception) // ["a", "b"]
   * ```
   * @see {@link LeafMember}
   */
  leaves(): ReadonlyArray<LeafMember<E>> {
    const out: Array<LeafMember<E>> = []
    collectLeaves(this, [], out)
    return out
  }

  /**
   * The group as a tree like Python's traceback for groups, each leaf with the stack of its own
   * `Cause`, then the cancelled tasks.
   *
   * **When to use**
   *
   * To log a group readably. `toString()`, `stack` and Node's `inspect` show the same tree.
   *
   * **Details**
   *
   * - Leaves are printed with `Cause.pretty` of their `Cause` (span-annotated stack frames);
   *   nested groups are indented one level.
   * - Like Python, at most 15 members per group and 10 levels are printed.
   * - Cancelled tasks are listed after the members of their group, grouped by reason:
   *   `(cancelled: task 'b' — because task 'a' failed)`.
   *
   * @example
   * ```ts
   * import { ExceptionGroup } from "effect-anyio"
   * console.log(new ExceptionGroup("task group failed", [new Error("a")]).pretty())
   * // ExceptionGroup: task group failed (1 sub-exception)
   * // +-+---------------- 1 ----------------
   * //   | Error: a
   * //   |     at ...
   * //   +------------------------------------
   * ```
   */
  pretty(): string {
    return render(this)
  }

  /** The printout of {@link ExceptionGroup.pretty}. */
  override toString(): string {
    return this.pretty()
  }

  /** {@link catchMembers}, also reachable as `ExceptionGroup.catchMembers` from the package root. */
  static get catchMembers(): typeof catchMembers {
    return catchMembers
  }

  /** {@link catchMembersIf}, also reachable as `ExceptionGroup.catchMembersIf`. */
  static get catchMembersIf(): typeof catchMembersIf {
    return catchMembersIf
  }

  /** {@link catchMembersByTag}, also reachable as `ExceptionGroup.catchMembersByTag`. */
  static get catchMembersByTag(): typeof catchMembersByTag {
    return catchMembersByTag
  }

  /** {@link unwrapSingle}, also reachable as `ExceptionGroup.unwrapSingle`. */
  static get unwrapSingle(): typeof unwrapSingle {
    return unwrapSingle
  }

  /** {@link fromCause}, also reachable as `ExceptionGroup.fromCause`. */
  static get fromCause(): typeof fromCause {
    return fromCause
  }

  /** Node's `util.inspect` (and `console.log`) print the tree with the group's own frames. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.stack ?? this.pretty()
  }
}

const defaultCause = (member: unknown): Cause.Cause<unknown> =>
  member instanceof Defect ? Cause.die(member.defect) : Cause.fail(member)

/**
 * Splits a `Cause` into group members: each `Fail` becomes its error, each `Die` a {@link Defect}
 * (a died group stays a nested group); interruptions are dropped. Every reason is kept (no
 * deduplication). Task groups use it through {@link fromCause}.
 */
const membersOfCause = (
  cause: Cause.Cause<unknown>,
  into: { exceptions: Array<Member<unknown>>; causes: Array<Cause.Cause<unknown>> }
): number => {
  const before = into.exceptions.length
  for (const reason of cause.reasons) {
    if (reason._tag === "Fail") {
      into.exceptions.push(reason.error)
      into.causes.push(Cause.fromReasons([reason]))
    } else if (reason._tag === "Die") {
      // A group of defects only dies (it has no typed failure): it stays a nested group.
      into.exceptions.push(
        isExceptionGroup(reason.defect) ? reason.defect : new Defect({ defect: reason.defect })
      )
      into.causes.push(Cause.fromReasons([reason]))
    }
  }
  return into.exceptions.length - before
}

/**
 * An {@link ExceptionGroup} known to hold only the leaves `E`, no {@link Defect}: what the handler
 * of `catchMembers("NotFound", handler)` (and of a refinement in `catchMembersIf`) receives, since
 * only the matching leaves are handed to it.
 *
 * **When to use**
 *
 * Appears in the handler types of the combinators; it is an `ExceptionGroup<E>` (pass it wherever
 * one is expected), with `exceptions` and `leaves()` typed without defects.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { ExceptionGroup } from "effect-anyio"
 * class NotFound extends Data.TaggedError("NotFound") {}
 * declare const program: Effect.Effect<void, ExceptionGroup<NotFound>>
 * // eg: MatchedGroup<NotFound>; eg.leaves()[0].exception: NotFound
 * const handled = program.pipe(ExceptionGroup.catchMembers("NotFound", (eg) => Effect.log(eg.leaves().length)))
 * ```
 * @category models
 */
export interface MatchedGroup<E> extends ExceptionGroup<E> {
  readonly exceptions: ReadonlyArray<E | MatchedGroup<E>>
  leaves(): ReadonlyArray<LeafMember<E> & { readonly exception: E }>
}

// ---------------------------------------------------------------------------------------------
// Constructors and guards
// ---------------------------------------------------------------------------------------------

/**
 * Builds a group from a `Cause`: one member per `Fail` (its error) and per `Die` (a
 * {@link Defect}), each with its own one-reason `Cause`; `undefined` when the cause has neither.
 *
 * **When to use**
 *
 * To turn the failure of concurrent Effect code (`Effect.all` with concurrency, a `FiberSet`) into a
 * group, e.g. to print it or handle it with the combinators of this module.
 *
 * **Details**
 *
 * - Interruptions are dropped, like in a task group: an interrupt-only cause gives `undefined`.
 * - Equal failures stay separate members (it does not use `Cause.combine`).
 * - A failure that is itself a group becomes a nested member, hence the `Leaves<E>` leaf type.
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import { ExceptionGroup } from "effect-anyio"
 * const eg = ExceptionGroup.fromCause("two failures", Cause.fromReasons([Cause.makeFailReason("a"), Cause.makeFailReason("a")]))
 * eg?.exceptions // ["a", "a"]
 * ```
 * @category constructors
 */
export const fromCause = <E>(
  message: string,
  cause: Cause.Cause<E>,
  options?: { readonly cancelled?: ReadonlyArray<CancelledTask> | undefined }
): ExceptionGroup<Leaves<E>> | undefined => {
  const into: { exceptions: Array<Member<unknown>>; causes: Array<Cause.Cause<unknown>> } = {
    exceptions: [],
    causes: []
  }
  membersOfCause(cause, into)
  if (into.exceptions.length === 0) return undefined
  return new ExceptionGroup(message, into.exceptions as ReadonlyArray<Member<Leaves<E>>>, {
    causes: into.causes,
    cancelled: options?.cancelled
  })
}

/**
 * True when the value is an {@link ExceptionGroup}.
 *
 * **When to use**
 *
 * To recognise a group in untyped code (a defect, a `catchCause` handler).
 *
 * **Details**
 *
 * An `instanceof` check: the leaf type is unknown.
 *
 * @example
 * ```ts
 * import { isExceptionGroup } from "effect-anyio"
 * isExceptionGroup(new Error("x")) // false
 * ```
 * @category guards
 */
export const isExceptionGroup = (u: unknown): u is ExceptionGroup<unknown> => u instanceof ExceptionGroup

// ---------------------------------------------------------------------------------------------
// Combinators (Python's except*)
// ---------------------------------------------------------------------------------------------

/**
 * Handles the members of a failing {@link ExceptionGroup} whose tag is one of `tags`, and fails
 * again with the smaller group of the others: Python's `except* NotFound:` as an Effect combinator.
 *
 * **When to use**
 *
 * Around a task group (or anything failing with a group) when some kinds of failure are expected
 * and the others must propagate. Chain several calls for several `except*` clauses.
 *
 * **Details**
 *
 * - The handler receives the matching leaves as a group (even for one match) with the nesting of
 *   the original; it runs at most once. No match: the handler does not run.
 * - `"Defect"` matches defect members.
 * - Afterwards: nothing left → the handler's result; leaves left → the effect fails again with the
 *   smaller group (type `ExceptionGroup<Exclude<E, Matched>>`; gone from the error channel when
 *   every tag is handled). A rest that holds only defects is re-raised as a defect
 *   (`Effect.die(rest)`): defects are not typed failures.
 * - If the handler fails, its cause comes first and the rest of the group follows in the same
 *   `Cause` (nothing is lost; a next `catchMembers` still finds the rest).
 * - Only the first `Fail` of the cause that holds a group is looked at; other errors, defects next
 *   to the group and interruptions pass through untouched (an interrupt-only cause too).
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { ExceptionGroup } from "effect-anyio"
 * class NotFound extends Data.TaggedError("NotFound") {}
 * class Timeout extends Data.TaggedError("Timeout") {}
 * declare const program: Effect.Effect<number, ExceptionGroup<NotFound | Timeout>>
 * // Effect<number | string, ExceptionGroup<Timeout>>
 * const handled = program.pipe(ExceptionGroup.catchMembers("NotFound", (eg) => Effect.succeed("missing")))
 * ```
 * @see {@link catchMembersIf} to match with a predicate
 * @see {@link catchMembersByTag} for one handler per tag
 * @category combinators
 */
export const catchMembers: {
  <const K extends MatchTag<GroupLeaves<EE>> | ReadonlyArray<MatchTag<GroupLeaves<EE>>>, EE, A2, E2, R2>(
    tags: K,
    f: (group: HandlerGroup<MatchedByTag<GroupLeaves<EE>, TagOf<K>>, TagOf<K>>) => Effect.Effect<A2, E2, R2>
  ): <A, R>(
    self: Effect.Effect<A, EE, R>
  ) => Effect.Effect<A | A2, RemainingError<EE, { readonly _tag: TagOf<K> }> | E2, R | R2>
  <
    A,
    EE,
    R,
    const K extends MatchTag<GroupLeaves<EE>> | ReadonlyArray<MatchTag<GroupLeaves<EE>>>,
    A2,
    E2,
    R2
  >(
    self: Effect.Effect<A, EE, R>,
    tags: K,
    f: (group: HandlerGroup<MatchedByTag<GroupLeaves<EE>, TagOf<K>>, TagOf<K>>) => Effect.Effect<A2, E2, R2>
  ): Effect.Effect<A | A2, RemainingError<EE, { readonly _tag: TagOf<K> }> | E2, R | R2>
} = Fn.dual(
  3,
  <A, EE, R, A2, E2, R2>(
    self: Effect.Effect<A, EE, R>,
    tags: string | ReadonlyArray<string>,
    f: (group: ExceptionGroup<never>) => Effect.Effect<A2, E2, R2>
  ): Effect.Effect<A | A2, unknown, R | R2> => catchMembersImpl(self, toPredicate(tags), f)
)

/**
 * Handles the members of a failing {@link ExceptionGroup} whose leaves satisfy a predicate and
 * fails again with the smaller group of the others (Python's `except*` with a condition).
 *
 * **When to use**
 *
 * When tags are not enough: match by `instanceof`, by a field, or leaves that are not tagged.
 *
 * **Details**
 *
 * Same rules as {@link catchMembers}. A refinement narrows the handler's group and removes the
 * refined type from the rest; a plain predicate narrows nothing. The predicate sees leaves (typed
 * failures and {@link Defect}s), never nested groups.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ExceptionGroup } from "effect-anyio"
 * declare const program: Effect.Effect<void, ExceptionGroup<Error>>
 * const handled = program.pipe(
 *   ExceptionGroup.catchMembersIf((e) => e instanceof RangeError, (eg) => Effect.log(eg.pretty()))
 * )
 * ```
 * @see {@link catchMembers}
 * @category combinators
 */
export const catchMembersIf: {
  <EE, B extends GroupLeaves<EE> | Defect, A2, E2, R2>(
    refinement: (leaf: GroupLeaves<EE> | Defect) => leaf is B,
    f: (group: RefinedGroup<B>) => Effect.Effect<A2, E2, R2>
  ): <A, R>(self: Effect.Effect<A, EE, R>) => Effect.Effect<A | A2, RemainingError<EE, B> | E2, R | R2>
  <EE, A2, E2, R2>(
    predicate: (leaf: GroupLeaves<EE> | Defect) => boolean,
    f: (group: ExceptionGroup<GroupLeaves<EE>>) => Effect.Effect<A2, E2, R2>
  ): <A, R>(self: Effect.Effect<A, EE, R>) => Effect.Effect<A | A2, RemainingError<EE, never> | E2, R | R2>
  <A, EE, R, B extends GroupLeaves<EE> | Defect, A2, E2, R2>(
    self: Effect.Effect<A, EE, R>,
    refinement: (leaf: GroupLeaves<EE> | Defect) => leaf is B,
    f: (group: RefinedGroup<B>) => Effect.Effect<A2, E2, R2>
  ): Effect.Effect<A | A2, RemainingError<EE, B> | E2, R | R2>
  <A, EE, R, A2, E2, R2>(
    self: Effect.Effect<A, EE, R>,
    predicate: (leaf: GroupLeaves<EE> | Defect) => boolean,
    f: (group: ExceptionGroup<GroupLeaves<EE>>) => Effect.Effect<A2, E2, R2>
  ): Effect.Effect<A | A2, RemainingError<EE, never> | E2, R | R2>
} = Fn.dual(
  3,
  <A, EE, R, A2, E2, R2>(
    self: Effect.Effect<A, EE, R>,
    predicate: (leaf: unknown) => boolean,
    f: (group: ExceptionGroup<never>) => Effect.Effect<A2, E2, R2>
  ): Effect.Effect<A | A2, unknown, R | R2> => catchMembersImpl(self, predicate, f)
)

/**
 * The handlers of {@link catchMembersByTag}: at most one per tag of the leaves (`"Defect"` included),
 * each receiving the group of its members.
 *
 * **When to use**
 *
 * Appears in the signature of {@link catchMembersByTag}; rarely written by hand.
 *
 * **Details**
 *
 * Every handler returns an `Effect`; its success, error and requirements end up in the result.
 *
 * @example
 * ```ts
 * import type { MemberHandlers } from "effect-anyio"
 * type H = MemberHandlers<{ readonly _tag: "A" }> // { A?: ..., Defect?: ... }
 * ```
 * @category type-level
 */
export type MemberHandlers<L> = {
  readonly [K in MatchTag<L>]?: (
    group: HandlerGroup<MatchedByTag<L, K>, K>
  ) => Effect.Effect<unknown, unknown, unknown>
}

type NoExtraTags<Cases, L> = unknown extends L
  ? {}
  : { readonly [K in Exclude<keyof Cases, MatchTag<L>>]: never }

type HandlerResult<Cases> = {
  [K in keyof Cases]: Cases[K] extends (group: never) => infer R ? R : never
}[keyof Cases]

/**
 * Handles the members of a failing {@link ExceptionGroup} with one handler per tag, like several
 * `except*` clauses in a row, and fails again with the group of the members no handler took.
 *
 * **When to use**
 *
 * The `Effect.catchTags` of groups: different kinds of failure need different handling.
 *
 * **Details**
 *
 * Exactly {@link catchMembers} applied once per key, in the order of the keys: each handler that
 * has members receives its own subgroup, even when an earlier handler failed (its failure is kept
 * in the cause, first). The success is the one of the last handler that ran.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { ExceptionGroup } from "effect-anyio"
 * class NotFound extends Data.TaggedError("NotFound") {}
 * class Timeout extends Data.TaggedError("Timeout") {}
 * declare const program: Effect.Effect<void, ExceptionGroup<NotFound | Timeout>>
 * // Effect<void, never>
 * const handled = program.pipe(
 *   ExceptionGroup.catchMembersByTag({
 *     NotFound: (eg) => Effect.log(`${eg.exceptions.length} not found`),
 *     Timeout: () => Effect.log("timed out")
 *   })
 * )
 * ```
 * @see {@link catchMembers}
 * @category combinators
 */
export const catchMembersByTag: {
  <EE, Cases extends MemberHandlers<GroupLeaves<EE>> & NoExtraTags<Cases, GroupLeaves<EE>>>(
    cases: Cases
  ): <A, R>(
    self: Effect.Effect<A, EE, R>
  ) => Effect.Effect<
    A | Effect.Success<HandlerResult<Cases>>,
    RemainingError<EE, { readonly _tag: keyof Cases }> | Effect.Error<HandlerResult<Cases>>,
    R | Effect.Services<HandlerResult<Cases>>
  >
  <A, EE, R, Cases extends MemberHandlers<GroupLeaves<EE>> & NoExtraTags<Cases, GroupLeaves<EE>>>(
    self: Effect.Effect<A, EE, R>,
    cases: Cases
  ): Effect.Effect<
    A | Effect.Success<HandlerResult<Cases>>,
    RemainingError<EE, { readonly _tag: keyof Cases }> | Effect.Error<HandlerResult<Cases>>,
    R | Effect.Services<HandlerResult<Cases>>
  >
} = Fn.dual(
  2,
  <A, EE, R>(
    self: Effect.Effect<A, EE, R>,
    cases: Record<
      string,
      ((group: ExceptionGroup<never>) => Effect.Effect<unknown, unknown, unknown>) | undefined
    >
  ): Effect.Effect<unknown, unknown, unknown> => {
    let current: Effect.Effect<unknown, unknown, unknown> = self
    for (const tag of Object.keys(cases)) {
      const f = cases[tag]
      if (f !== undefined) current = catchMembersImpl(current, toPredicate(tag), f)
    }
    return current
  }
)

/**
 * Turns a failing {@link ExceptionGroup} that holds exactly one leaf (at any depth) back into that
 * leaf: a failure fails with it, a {@link Defect} dies with the original defect, each with its
 * original `Cause`.
 *
 * **When to use**
 *
 * When code written for plain errors calls a task group and wants `Effect.catchTag("NotFound")` to
 * work on the common one-failure case (AnyIO always wraps, even a single failure).
 *
 * **Details**
 *
 * - Groups with two or more leaves fail unchanged; so do other errors, defects and interruptions.
 * - The group's `message` and `cancelled` notes are dropped with the group.
 * - Only the first `Fail` of the cause that holds a group is looked at.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { ExceptionGroup } from "effect-anyio"
 * class NotFound extends Data.TaggedError("NotFound") {}
 * declare const program: Effect.Effect<void, ExceptionGroup<NotFound>>
 * const handled = program.pipe(
 *   ExceptionGroup.unwrapSingle,
 *   Effect.catchTag("NotFound", () => Effect.void)
 * ) // Effect<void, ExceptionGroup<NotFound>>
 * ```
 * @category combinators
 */
export const unwrapSingle = <A, EE, R>(
  self: Effect.Effect<A, EE, R>
): Effect.Effect<A, NonGroupErrors<EE> | GroupLeaves<EE> | GroupOf<GroupLeaves<EE>>, R> =>
  Effect.catchCause(self, (cause) => {
    const index = findGroupReason(cause)
    if (index < 0) return Effect.failCause(cause)
    const eg = groupOfReason(cause.reasons[index]!)
    const leaves = eg.leaves()
    if (leaves.length !== 1) return Effect.failCause(cause)
    const reasons: Array<Cause.Reason<unknown>> = cause.reasons.slice()
    reasons.splice(index, 1, ...leaves[0].cause.reasons)
    return Effect.failCause(Cause.fromReasons(reasons))
  }) as Effect.Effect<A, NonGroupErrors<EE> | GroupLeaves<EE> | GroupOf<GroupLeaves<EE>>, R>

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

const isTaggedWith = (tags: ReadonlyArray<string>) => (leaf: unknown) =>
  typeof leaf === "object" && leaf !== null && "_tag" in leaf && tags.includes(leaf._tag as string)

const toPredicate = (
  condition: string | ReadonlyArray<string> | ((leaf: never) => boolean)
): ((leaf: unknown) => boolean) =>
  typeof condition === "function"
    ? (condition as (leaf: unknown) => boolean)
    : isTaggedWith(typeof condition === "string" ? [condition] : condition)

type AnyGroup = ExceptionGroup<unknown>

/** The leaves a tag matches: those of `E` with that tag (any leaf when `E` is `unknown`). */
type MatchedByTag<E, T> = unknown extends E ? unknown : Extract<E, { readonly _tag: T }>

/** The group a tag handler receives: without defects unless its tags name `"Defect"` (or any tag). */
type HandlerGroup<X, T> = string extends T
  ? ExceptionGroup<X>
  : "Defect" extends T
    ? ExceptionGroup<X>
    : MatchedGroup<X>

/** The group a refinement's handler receives: without defects unless it refines to some. */
type RefinedGroup<B> = [Extract<B, Defect>] extends [never]
  ? MatchedGroup<B>
  : ExceptionGroup<Exclude<B, Defect>>

/** The tag(s) of a tag condition: `"A"` or `readonly ["A", "B"]` give `"A"` / `"A" | "B"`. */
type TagOf<K> = K extends ReadonlyArray<infer T> ? T : K

/** One side of a split: the kept members, their causes and their origins, aligned. */
interface Side {
  readonly exceptions: Array<Member<unknown>>
  readonly causes: Array<Cause.Cause<unknown>>
  readonly origins: Array<TaskOrigin | undefined>
}

const emptySide = (): Side => ({ exceptions: [], causes: [], origins: [] })

/** Python's `derive` plus what `split` copies: the bare message, group name and cancelled notes. */
const derive = (eg: AnyGroup, side: Side): AnyGroup =>
  new ExceptionGroup(eg.bareMessage, side.exceptions, {
    causes: side.causes,
    cancelled: eg.cancelled,
    origins: eg.origins.length === 0 ? undefined : side.origins,
    groupName: eg.groupName
  })

const splitGroup = (
  eg: AnyGroup,
  predicate: (leaf: unknown) => boolean
): [AnyGroup | undefined, AnyGroup | undefined] => {
  const match = emptySide()
  const rest = emptySide()
  const { exceptions, causes, origins } = eg
  const keep = (side: Side, member: Member<unknown>, cause: Cause.Cause<unknown>, i: number) => {
    side.exceptions.push(member)
    side.causes.push(cause)
    side.origins.push(origins[i])
  }
  for (let i = 0; i < exceptions.length; i++) {
    const member = exceptions[i]
    const cause = causes[i] ?? defaultCause(member)
    if (isExceptionGroup(member)) {
      const [m, r] = splitGroup(member, predicate)
      if (m !== undefined) keep(match, m, m === member ? cause : replaceInCause(cause, member, m), i)
      if (r !== undefined) keep(rest, r, r === member ? cause : replaceInCause(cause, member, r), i)
    } else {
      keep(predicate(member) ? match : rest, member, cause, i)
    }
  }
  // A side with every leaf: every nested group went whole to that side too, so it is `eg` itself.
  if (rest.exceptions.length === 0) return [eg, undefined]
  if (match.exceptions.length === 0) return [undefined, eg]
  return [derive(eg, match), derive(eg, rest)]
}

const withAnnotationsOf = (
  reason: Cause.Reason<unknown>,
  from: Cause.Reason<unknown>
): Cause.Reason<unknown> =>
  from.annotations.size === 0 ? reason : reason.annotate(Context.makeUnsafe(from.annotations))

/** The cause of a nested group, with the group replaced by a part of it (annotations kept). */
const replaceInCause = (cause: Cause.Cause<unknown>, from: AnyGroup, to: AnyGroup): Cause.Cause<unknown> => {
  let found = false
  const reasons = cause.reasons.map((reason): Cause.Reason<unknown> => {
    if (reason._tag === "Fail" && reason.error === from) {
      found = true
      return withAnnotationsOf(Cause.makeFailReason(to), reason)
    }
    if (reason._tag === "Die" && reason.defect === from) {
      found = true
      return withAnnotationsOf(Cause.makeDieReason(to), reason)
    }
    return reason
  })
  return found ? Cause.fromReasons(reasons) : Cause.fail(to)
}

/** The first reason holding a group: a failure, or a defect (a group of defects only dies). */
const findGroupReason = (cause: Cause.Cause<unknown>): number =>
  cause.reasons.findIndex((reason) =>
    reason._tag === "Fail"
      ? isExceptionGroup(reason.error)
      : reason._tag === "Die" && isExceptionGroup(reason.defect)
  )

const groupOfReason = (reason: Cause.Reason<unknown>): AnyGroup =>
  (reason._tag === "Fail" ? reason.error : (reason as Cause.Die).defect) as AnyGroup

const hasTypedLeaf = (eg: AnyGroup): boolean =>
  eg.exceptions.some((member) =>
    isExceptionGroup(member) ? hasTypedLeaf(member) : !(member instanceof Defect)
  )

const catchMembersImpl = <A, EE, R, A2, E2, R2>(
  self: Effect.Effect<A, EE, R>,
  predicate: (leaf: unknown) => boolean,
  f: (group: ExceptionGroup<never>) => Effect.Effect<A2, E2, R2>
): Effect.Effect<A | A2, unknown, R | R2> =>
  Effect.catchCause(self, (cause): Effect.Effect<A | A2, unknown, R | R2> => {
    const index = findGroupReason(cause)
    if (index < 0) return Effect.failCause(cause)
    const reason = cause.reasons[index]!
    const group = groupOfReason(reason)
    const [match, rest] = splitGroup(group, predicate)
    // The rest replaces the group in the cause, at the same place and with the same annotations;
    // a rest of defects only is a defect (that is what lets the error type become `never`).
    let replacement: Cause.Reason<unknown> | undefined
    if (rest === undefined) replacement = undefined
    else if (!hasTypedLeaf(rest)) replacement = withAnnotationsOf(Cause.makeDieReason(rest), reason)
    else if (rest === group) replacement = reason
    else replacement = withAnnotationsOf(Cause.makeFailReason(rest), reason)
    if (match === undefined && replacement === reason) return Effect.failCause(cause)
    const remaining: Array<Cause.Reason<unknown>> = cause.reasons.slice()
    if (replacement === undefined) remaining.splice(index, 1)
    else remaining[index] = replacement
    if (match === undefined) return Effect.failCause(Cause.fromReasons(remaining))
    return Effect.matchCauseEffect(f(match as ExceptionGroup<never>), {
      onSuccess: (a) =>
        remaining.length === 0 ? Effect.succeed(a) : Effect.failCause(Cause.fromReasons(remaining)),
      onFailure: (handlerCause) =>
        Effect.failCause(Cause.fromReasons<unknown>([...handlerCause.reasons, ...remaining]))
    })
  })

const collectLeaves = <E>(
  eg: ExceptionGroup<E>,
  path: ReadonlyArray<number>,
  out: Array<LeafMember<E>>
): void => {
  eg.exceptions.forEach((member, i) => {
    const here = [...path, i]
    if (isExceptionGroup(member)) collectLeaves(member as ExceptionGroup<E>, here, out)
    else out.push({ exception: member, cause: eg.causes[i] ?? defaultCause(member), path: here })
  })
}
