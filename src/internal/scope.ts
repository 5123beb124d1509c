/**
 * The cancel-scope tree. Every rule of cancellation lives in this file, so that a behaviour can be
 * checked against one place (trio keeps its CancelScope/CancelStatus the same way).
 *
 * ## The model
 *
 * AnyIO cancels by raising `Cancelled` at checkpoints; Effect cancels by interrupting a fiber, and
 * that interruption is sticky: a fiber that was interrupted can never resume interruptible work.
 * So a scope whose body may be cancelled while the code after the scope goes on cannot run that
 * body on the fiber that continues afterwards. Hence:
 *
 * 1. Every scope body runs in its own fiber (`body` below); a task group runs its host body and
 *    each child in fibers of their own (`group.fibers`). These are the scope's *direct fibers*.
 *    The fiber that entered the scope (the *host*) waits for them.
 * 2. `cancel(scope)` interrupts the scope's direct fibers, with an annotation naming the scope.
 * 3. Cancellation travels down the tree through the waiting hosts: a host that is interrupted
 *    while it waits forwards the interruption to the direct fibers of the scope it waits on,
 *    unless that scope is shielded; it then keeps waiting (uninterruptibly) until they finished.
 *    Because Effect runs an interrupted suspended fiber synchronously, the whole subtree is
 *    interrupted within the `cancel` call. Foreign interruptions (a `Fiber.interrupt` or
 *    `Effect.timeout` around our code, SIGINT through `run`) travel the same way.
 * 4. A shielded scope records the outer cancellation it blocked (`outer`); turning the shield off
 *    delivers it.
 * 5. Visibility: a scope sees the cancellation of an enclosing scope when no shield lies between
 *    them (its own shield included). A scope is *effectively cancelled* when it was cancelled
 *    itself or sees an enclosing cancellation.
 * 6. Catching: when a scope's body ends interrupted, the scope swallows the interruption only if
 *    the scope itself was cancelled and no enclosing cancellation is visible to it. So the
 *    outermost visible cancelled scope catches, and only it gets `cancelledCaught`. If the body
 *    failed with real errors, they propagate; interruptions the scope itself caused are stripped.
 * 7. Deadlines are armed lazily (finite deadlines only, once the body suspends or the deadline
 *    changes) in the clock's deadline queue (deadlines.ts: one timer per clock); `cancel()` and exit
 *    disarm them. A deadline that has already passed cancels on entry.
 * 8. A scope cancelled before it was entered delivers that cancellation on entry, and so does a
 *    scope entered inside an effectively cancelled scope (level-triggered): the body runs until
 *    its first suspension and is cancelled there (AnyIO: at its first checkpoint). Tasks begun in a
 *    cancelled group likewise.
 *
 * Difference from AnyIO, by construction: Effect observes a pending interruption at every
 * operation, not only at `await` points, and a fiber cannot un-see one. See the README.
 *
 * @internal
 */
import { Cause, Clock, Context, Effect, type Exit, type Fiber } from "effect"
import { RuntimeError } from "../Errors.ts"
import { type Armed, clockSeconds, type DeadlineQueue, queueOf } from "./deadlines.ts"
import { contextWithTask, type TaskNode } from "./task.ts"
import { textOf } from "./text.ts"
import { bounded } from "./trampoline.ts"

/** Why a scope was cancelled. */
export type CancelReason =
  | { readonly _tag: "Explicit"; readonly message: string | undefined }
  | { readonly _tag: "Deadline"; readonly deadline: number }
  | { readonly _tag: "TaskFailed"; readonly task: string; readonly error: unknown }

/** The scope a fiber runs in (the innermost enclosing scope). */
export const CurrentScope = Context.Reference<ScopeNode | undefined>("effect-anyio/CurrentScope", {
  defaultValue: () => undefined
})

/** Annotation on our interrupts: the scope whose cancellation caused it (absent: from outside). */
export const CancelledBy = Context.Service<ScopeNode>("effect-anyio/CancelledBy")

/** What a scope whose host waits on several fibers (a task group) must provide. */
export interface FiberSink {
  /**
   * Interrupts every running fiber of the group (host body and tasks), cancelled by `by` (this
   * scope) or, when undefined, from outside.
   */
  interruptAll(by: ScopeNode | undefined, annotations: Context.Context<never> | undefined): void
}

const PENDING = 0
const ACTIVE = 1
const EXITED = 2

let nextScopeId = 0

/**
 * Bumped whenever a cancellation or a shield changes anywhere: it invalidates every memoized answer
 * of `enclosingCancellation`.
 */
let epoch = 0

export class ScopeNode implements Armed {
  readonly id = ++nextScopeId
  parent: ScopeNode | undefined = undefined
  _shield: boolean
  _deadline: number
  /**
   * A deadline relative to entry (`moveOnAfter(d)`) whose absolute value nobody has asked for yet:
   * most scopes that never fire finish without reading the clock at all. See `deadlineOf`.
   */
  relative: number | undefined = undefined
  cancelCalled = false
  cancelledCaught = false
  reason: CancelReason | undefined = undefined
  /** The host was interrupted while waiting: an outer cancellation reached this scope. */
  outer = false
  state: 0 | 1 | 2 = PENDING
  /** The single body fiber of a plain scope. */
  body: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** The direct fibers of a task-group scope. */
  group: FiberSink | undefined = undefined
  /** The task whose code entered the scope (for reasons and introspection). */
  task: TaskNode | undefined = undefined
  /** Deadline timer state (see deadlines.ts): armed while `queue` is set. */
  heapIndex = -1
  armedFor = 0
  queue: DeadlineQueue | undefined = undefined
  /** Context of the host at entry: its Clock times the deadline; body fibers are forked with it. */
  hostContext: Context.Context<never> | undefined = undefined
  private annotations: Context.Context<never> | undefined = undefined
  /** Memo of `enclosingCancellation` (valid while `memoEpoch === epoch`). */
  memoEpoch = -1
  memo: ScopeNode | undefined = undefined

  constructor(deadline: number, shield: boolean) {
    this._deadline = deadline
    this._shield = shield
  }

  get active(): boolean {
    return this.state === ACTIVE
  }
  get exited(): boolean {
    return this.state === EXITED
  }

  /** Interrupt annotations naming this scope, built once. */
  cancelAnnotations(): Context.Context<never> {
    return (this.annotations ??= Context.make(CancelledBy, this))
  }

  /** Its armed deadline has passed (see deadlines.ts). */
  onDeadline(): void {
    cancel(this, { _tag: "Deadline", deadline: deadlineOf(this) })
  }
}

// ---------------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------------

const deliver = (node: ScopeNode, own: boolean): void => bounded(() => deliverNow(node, own))

const deliverNow = (node: ScopeNode, own: boolean): void => {
  const annotations = own ? node.cancelAnnotations() : undefined
  if (node.group !== undefined) {
    node.group.interruptAll(own ? node : undefined, annotations)
  } else if (node.body !== undefined) {
    node.body.interruptUnsafe(undefined, annotations)
  }
}

/** `scope.cancel(reason)`: idempotent; callable before entry, while active and after exit. */
export const cancel = (node: ScopeNode, reason: CancelReason): void => {
  if (node.cancelCalled) return
  node.cancelCalled = true
  epoch++
  node.reason = reason
  disarm(node)
  if (node.state === ACTIVE) deliver(node, true)
}

/**
 * The host of `node` was interrupted while waiting (an enclosing scope was cancelled, or something
 * outside effect-anyio interrupted it): forward unless shielded, and remember it for `shield = false`.
 */
export const onOuterCancel = (node: ScopeNode): void => {
  node.outer = true
  epoch++
  if (!node._shield) deliver(node, false)
}

/** Setting `shield`: turning it off delivers the outer cancellation it was holding back. */
export const setShield = (node: ScopeNode, shield: boolean): void => {
  const was = node._shield
  node._shield = shield
  epoch++
  if (was && !shield && node.state === ACTIVE) {
    if (node.outer) deliver(node, false)
    else if (enclosingCancellation(node) !== undefined) deliver(node, false)
  }
}

// ---------------------------------------------------------------------------------------------
// Visibility
// ---------------------------------------------------------------------------------------------

/**
 * The nearest enclosing scope whose cancellation `node` can see (no shield in between, `node`'s
 * own shield included), or undefined.
 */
export const enclosingCancellation = (node: ScopeNode): ScopeNode | undefined => {
  // Memoized per node for the current `epoch`, so that entering a scope or starting a task deep
  // in a tree does not walk every ancestor (which made deep nesting quadratic). The walk stops at
  // the first node whose answer is known; every node on the way gets the same answer.
  let s = node
  let found: ScopeNode | undefined
  const path: Array<ScopeNode> = []
  while (true) {
    if (s.memoEpoch === epoch) {
      found = s.memo
      break
    }
    path.push(s)
    const parent = s.parent
    if (s._shield || parent === undefined) {
      found = undefined
      break
    }
    if (parent.cancelCalled || (parent.outer && !parent._shield)) {
      found = parent
      break
    }
    s = parent
  }
  for (const n of path) {
    n.memoEpoch = epoch
    n.memo = found
  }
  return found
}

/** Cancelled itself, or sees an enclosing cancellation. */
export const isEffectivelyCancelled = (node: ScopeNode): boolean =>
  node.cancelCalled || (node.outer && !node._shield) || enclosingCancellation(node) !== undefined

/** Rule 6: does `node` swallow the interruption its body ended with? */
export const catches = (node: ScopeNode): boolean =>
  node.cancelCalled && !(node.outer && !node._shield) && enclosingCancellation(node) === undefined

/** AnyIO's `current_effective_deadline()` for a fiber in `node`. */
export const effectiveDeadline = (node: ScopeNode | undefined): number => {
  let deadline = Number.POSITIVE_INFINITY
  for (let s = node; s !== undefined; s = s.parent) {
    if (s.cancelCalled || (s.outer && !s._shield)) return Number.NEGATIVE_INFINITY
    const d = deadlineOf(s)
    if (d < deadline) deadline = d
    if (s._shield) break
  }
  return deadline
}

// ---------------------------------------------------------------------------------------------
// Time and deadlines
// ---------------------------------------------------------------------------------------------

/** Current time in seconds from the fiber's Clock (monotonic; the TestClock drives it in tests). */
export const nowSeconds = (context: Context.Context<never>): number =>
  clockSeconds(Context.get(context, Clock.Clock))

const disarm = (node: ScopeNode): void => {
  node.queue?.remove(node)
}

/** (Re-)arms the deadline timer of an active scope; cancels at once if the deadline has passed. */
export const arm = (node: ScopeNode): void => {
  disarm(node)
  if (node.cancelCalled || node.state !== ACTIVE || !hasDeadline(node)) return
  const queue = queueOf(node.hostContext!)
  const now = queue.now()
  // A pending relative deadline is resolved here against the same reading (one clock read).
  if (node.relative !== undefined) {
    node._deadline = now + node.relative
    node.relative = undefined
  }
  const deadline = node._deadline
  if (deadline <= now) cancel(node, { _tag: "Deadline", deadline })
  else queue.add(node, deadline)
}

/**
 * Rule 7 on entry: sets a relative deadline (`fromNow` seconds) if given; a finite deadline that
 * has already passed cancels the scope at once.
 */
export const cancelIfDeadlinePassed = (node: ScopeNode, fromNow: number | undefined): void => {
  if (fromNow !== undefined && fromNow > 0) {
    // Resolved against the clock only when read (or when the body suspends and a timer is armed).
    node.relative = fromNow
    return
  }
  if (fromNow === undefined && node._deadline === Number.POSITIVE_INFINITY) return
  const now = nowSeconds(node.hostContext!)
  if (fromNow !== undefined) node._deadline = now + fromNow
  if (node._deadline <= now) cancel(node, { _tag: "Deadline", deadline: node._deadline })
}

/** The scope's absolute deadline, resolving a pending relative one against the clock. */
export const deadlineOf = (node: ScopeNode): number => {
  const relative = node.relative
  if (relative !== undefined) {
    node.relative = undefined
    node._deadline = nowSeconds(node.hostContext!) + relative
  }
  return node._deadline
}

/** True when the scope has a finite deadline (set, or pending relative). */
export const hasDeadline = (node: ScopeNode): boolean =>
  node.relative !== undefined || node._deadline !== Number.POSITIVE_INFINITY

/** Setting `deadline` while active re-arms the timer. */
export const setDeadline = (node: ScopeNode, deadline: number): void => {
  node.relative = undefined
  node._deadline = deadline
  if (node.state === ACTIVE) arm(node)
}

// ---------------------------------------------------------------------------------------------
// Entering and leaving
// ---------------------------------------------------------------------------------------------

/**
 * Links `node` under the host's current scope and makes it active. Returns the body's context: the
 * host's, with the host's task and this scope in it.
 */
export const enter = (node: ScopeNode, host: Fiber.Fiber<unknown, unknown>): Context.Context<never> => {
  if (node.state !== PENDING)
    throw new RuntimeError({ message: "Each CancelScope may only be used for a single 'with' block" })
  node.parent = host.getRef(CurrentScope)
  node.state = ACTIVE
  node.hostContext = host.context
  return Context.add(contextWithTask(host), CurrentScope, node)
}

/** Marks `node` exited and disarms its timer. */
export const exit = (node: ScopeNode): void => {
  node.state = EXITED
  disarm(node)
}

/**
 * Rule 8: a body (or task) that starts in a scope that was cancelled before entry, or inside an
 * effectively cancelled scope (level-triggered), runs until its first suspension and is cancelled
 * there, as AnyIO cancels at the first checkpoint. Call once the fiber has suspended.
 */
export const interruptIfCancelledOnEntry = (node: ScopeNode, fiber: Fiber.Fiber<unknown, unknown>): void => {
  const by = node.cancelCalled ? node : enclosingCancellation(node)
  if (by !== undefined) fiber.interruptUnsafe(undefined, by.cancelCalled ? by.cancelAnnotations() : undefined)
  else if (node.outer && !node._shield) fiber.interruptUnsafe()
}

/**
 * The body of a plain scope registers its own fiber as its first operation, so that a `cancel()`
 * made while the body still runs synchronously (inside the fork) reaches it at its next operation.
 */
export const registerBody = <A, E, R>(
  node: ScopeNode,
  body: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiber((self) => {
    node.body = self
    return body
  })

/** True when the cause holds a typed failure or a defect (not only interruptions). */
export const hasFailures = (cause: Cause.Cause<unknown>): boolean => {
  for (const r of cause.reasons) if (r._tag !== "Interrupt") return true
  return false
}

/** The cause without its interruptions. */
export const failuresOnly = <E>(cause: Cause.Cause<E>): Cause.Cause<E> =>
  Cause.fromReasons(cause.reasons.filter((r) => r._tag !== "Interrupt"))

/**
 * The outcome of a plain scope whose body ended with `result` (rules 6): the body's value, `None`
 * when the scope caught its own cancellation, or the cause to propagate.
 */
export const settle = <A, E>(
  node: ScopeNode,
  result: Exit.Exit<A, E>
): { readonly _tag: "Value"; readonly value: A } | { readonly _tag: "Caught" } | Exit.Exit<never, E> => {
  if (result._tag === "Success") return { _tag: "Value", value: result.value }
  const cause = result.cause
  if (hasFailures(cause)) {
    return Effect.failCause(catches(node) ? failuresOnly(cause) : cause) as unknown as Exit.Exit<never, E>
  }
  if (catches(node)) {
    node.cancelledCaught = true
    return { _tag: "Caught" }
  }
  return result as Exit.Exit<never, E>
}

// ---------------------------------------------------------------------------------------------
// Reasons, for people
// ---------------------------------------------------------------------------------------------

/** A one-line description of why `node` (or an enclosing scope) was cancelled. */
export const describeReason = (reason: CancelReason | undefined): string => {
  if (reason === undefined) return "cancelled from outside (an enclosing scope or fiber interruption)"
  switch (reason._tag) {
    case "Explicit":
      return reason.message === undefined ? "cancelled explicitly" : `cancelled explicitly: ${reason.message}`
    case "Deadline":
      return `deadline ${reason.deadline}s exceeded`
    case "TaskFailed":
      return `task '${reason.task}' failed: ${describeError(reason.error)}`
  }
}

const describeError = (error: unknown): string => {
  if (error instanceof Error) return error.message ? `${error.name}: ${error.message}` : error.name
  if (typeof error === "object" && error !== null && "_tag" in error) return textOf(error._tag)
  return textOf(error)
}

/**
 * Why a fiber was interrupted, read from its interrupt cause: the reason of the scope named by
 * the annotation, or undefined (then it came from outside: an enclosing scope's forwarded
 * cancellation or a foreign interruption).
 */
export const reasonOfCause = (cause: Cause.Cause<unknown>): CancelReason | undefined => {
  for (const r of cause.reasons) {
    if (r._tag === "Interrupt") {
      const by = Context.getOrUndefined(Cause.reasonAnnotations(r), CancelledBy)
      if (by !== undefined) return by.reason
    }
  }
  return undefined
}
