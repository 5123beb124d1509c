/**
 * The cancel-scope tree: the rules of cancellation, in one place so that a behaviour can be checked
 * against one file. As in trio (`_core/_run.py`), a scope is two objects:
 *
 * - {@link CancelScopeImpl}, the *origination* record: was `cancel()` called and why, the deadline,
 *   the shield, whether it caught its cancellation. It is the public `CancelScope` object and can
 *   exist before it is entered.
 * - {@link CancelStatus}, the *plumbing* of one entered scope: its parent status, whether an outer
 *   cancellation reached it, the deadline timer slot, and (in its subclasses) the direct fibers a
 *   cancellation is delivered to. The fiber-local `CurrentScope` is a status.
 *
 * The other places: `host.ts` applies these rules to fibers (entering, forking the direct fibers,
 * waiting, forwarding an interruption of the host, settling); `group.ts` adds a task group's own
 * rule (its first failure cancels it) and its delivery to many fibers; `deadlines.ts` keeps timers.
 *
 * ## The model
 *
 * AnyIO cancels by raising `Cancelled` at checkpoints; Effect cancels by interrupting a fiber, and
 * that interruption is sticky: a fiber that was interrupted can never resume interruptible work.
 * So a scope whose body may be cancelled while the code after the scope goes on cannot run that
 * body on the fiber that continues afterwards. Hence:
 *
 * 1. Every scope body runs in its own fiber; a task group runs its host body and each child in
 *    fibers of their own. These are the scope's *direct fibers*, owned by its status. The fiber
 *    that entered the scope (the *host*) waits for them.
 * 2. `cancel(scope)` interrupts the scope's direct fibers, with an annotation naming the scope
 *    ({@link interruptFiber}): a suspended fiber at once, a running one (the task that cancels its
 *    own scope, turns a shield off, sets a deadline into the past) at its next suspension, so that
 *    its code up to there runs, as AnyIO's does up to the next checkpoint.
 * 3. Cancellation travels down the tree through the waiting hosts. A host that waits on a scope is
 *    not interrupted by our deliveries: the interruption is forwarded to the direct fibers of the
 *    scope it waits on, unless that scope is shielded, and held (`held`) until the wait ends; then
 *    the host gets it at its next suspension (a task group's unshielded exit is a checkpoint: there
 *    at once), so that the host's code after the scope runs up to there, as in AnyIO. A host that
 *    is interrupted anyway while it waits (foreign interruptions: a `Fiber.interrupt` or
 *    `Effect.timeout` around our code, SIGINT through `run`) forwards the same way and keeps
 *    waiting (uninterruptibly) until the direct fibers finished. Because Effect runs an interrupted
 *    suspended fiber synchronously, the whole subtree is interrupted within the `cancel` call.
 * 4. A shielded scope records the outer cancellation it blocked (`outer`); turning the shield off
 *    delivers it. {@link receivesOuter}: an outer cancellation reached the scope and no shield of
 *    its own holds it back.
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
 * Difference from AnyIO, by construction: a fiber cannot un-see an interruption (a shielded scope
 * inside an interrupted fiber cannot shield it). See the README.
 *
 * @internal
 */
import { Cause, Clock, Context, Effect, type Exit, Fiber } from "effect"
import type { CancelReason, CancelScope } from "../CancelScope.ts"
import { InvalidArgumentError, RuntimeError } from "../Errors.ts"
import { checkDeadline, checkReason } from "./args.ts"
import { clockSeconds, DeadlineEntry, type DeadlineOwner, queueOf } from "./deadlines.ts"
import { addPairToContext, CurrentTask, type TaskNode, taskOfFiber, waitingTask } from "./task.ts"
import { textOf } from "./text.ts"
import { bounded } from "./trampoline.ts"
import { isWakePending } from "./waitQueue.ts"

/** The status a fiber runs in (the innermost enclosing entered scope). */
export const CurrentScope = Context.Reference<CancelStatus | undefined>("effect-anyio/CurrentScope", {
  defaultValue: () => undefined
})

/** Annotation on our interrupts: the scope whose cancellation caused it (absent: from outside). */
export const CancelledBy = Context.Service<CancelScopeImpl>("effect-anyio/CancelledBy")

const PENDING = 0
const ACTIVE = 1
const EXITED = 2

// `CancelStatus.flags` (a subclass may use the bits from 4 up: group.ts).
const OUTER = 1
const IN_HOST_WAITS = 2

let nextScopeId = 0

/**
 * Bumped whenever a cancellation or a shield changes anywhere: it invalidates every memoized answer
 * of `enclosingCancellation`.
 */
let epoch = 0

// ---------------------------------------------------------------------------------------------
// The two records
// ---------------------------------------------------------------------------------------------

/**
 * A cancel scope's origination record (trio's `CancelScope`): the public `CancelScope` object.
 *
 * Invariants: `cancelCalled` never goes back to false, and `reason` is set exactly when it is true;
 * `state` only moves forward (pending → active → exited); `status` is set on entry and stays;
 * `cancelledCaught` implies `cancelCalled`; `relative` is set only between entry and the first read
 * of the deadline (then `_deadline` holds the resolved value).
 */
export class CancelScopeImpl implements CancelScope {
  readonly id = ++nextScopeId
  declare _shield: boolean
  /**
   * The absolute deadline, none (+Infinity) held as undefined: a number field keeps a heap number
   * of its own in every scope (16 bytes, also for a task group's scope, which has none), so each
   * level of a nested tree retained one.
   */
  declare private deadlineOrNone: number | undefined
  get _deadline(): number {
    return this.deadlineOrNone ?? Number.POSITIVE_INFINITY
  }
  set _deadline(value: number) {
    this.deadlineOrNone = value === Number.POSITIVE_INFINITY ? undefined : value
  }
  /**
   * A deadline relative to entry (`moveOnAfter(d)`) whose absolute value nobody has asked for yet:
   * most scopes that never fire finish without reading the clock at all. See `deadlineOf`.
   */
  relative: number | undefined = undefined
  reason: CancelReason | undefined = undefined
  /** `reason !== undefined` (the invariant above), not a field of its own: 8 bytes a scope. */
  get cancelCalled(): boolean {
    return this.reason !== undefined
  }
  cancelledCaught = false
  state: 0 | 1 | 2 = PENDING
  /** The plumbing, once entered. */
  status: CancelStatus | undefined = undefined
  private annotations: Context.Context<never> | undefined = undefined

  constructor(deadline: number, shield: boolean) {
    // `_deadline`'s setter written out: each field is written once (no initializer first).
    this.deadlineOrNone = deadline === Number.POSITIVE_INFINITY ? undefined : deadline
    this._shield = shield
  }

  get exited(): boolean {
    return this.state === EXITED
  }

  /** Interrupt annotations naming this scope, built once. */
  cancelAnnotations(): Context.Context<never> {
    return (this.annotations ??= Context.make(CancelledBy, this))
  }

  cancel(reason?: string): Effect.Effect<void> {
    return Effect.withFiber((fiber) => {
      this.cancelBy(reason, fiber)
      return Effect.void
    })
  }
  cancelUnsafe(reason?: string): void {
    this.cancelBy(reason, Fiber.getCurrent())
  }
  /** AnyIO's reason names the task that called `cancel()` (none outside every fiber). */
  private cancelBy(reason: string | undefined, fiber: Fiber.Fiber<unknown, unknown> | undefined): void {
    const message = checkReason(reason)
    if (this.cancelCalled) return
    cancel(this, { _tag: "Explicit", message, by: cancellerName(fiber) })
  }
  get cancelReason(): CancelReason | undefined {
    return this.reason
  }
  get cancelReasonText(): string | undefined {
    return this.cancelCalled ? describeReason(this.reason) : undefined
  }
  get deadline(): number {
    return deadlineOf(this)
  }
  set deadline(value: number) {
    setDeadline(this, checkDeadline(value))
  }
  get shield(): boolean {
    return this._shield
  }
  set shield(value: boolean) {
    if (typeof value !== "boolean") throw new InvalidArgumentError({ message: "shield must be a boolean" })
    setShield(this, value)
  }
}

/**
 * The plumbing of one entered scope (trio's `CancelStatus`): who sees whose cancellation, and where
 * a cancellation is delivered. Subclasses own the direct fibers (host.ts: a plain scope's body;
 * group.ts: a task group's body and tasks).
 *
 * Invariants: `parent` is the status the host ran in at entry and never changes; `outer` never goes
 * back to false; `memo` is valid only while `memoEpoch === epoch`; `deadline` is armed only while the
 * scope is active, not cancelled, and has a finite deadline.
 */
export abstract class CancelStatus implements DeadlineOwner {
  declare readonly cancelScope: CancelScopeImpl
  parent: CancelStatus | undefined = undefined
  /**
   * `outer` and `inHostWaits` in one field, which a subclass shares for its own flags (a status per
   * level of a nested tree: each field is 8 bytes retained per level).
   */
  protected flags = 0
  /** The host was interrupted while waiting: an outer cancellation reached this scope. */
  get outer(): boolean {
    return (this.flags & OUTER) !== 0
  }
  set outer(value: boolean) {
    this.flags = value ? this.flags | OUTER : this.flags & ~OUTER
  }
  /** Context of the host at entry: its Clock times the deadline; direct fibers are forked with it. */
  hostContext: Context.Context<never> | undefined = undefined
  /** The deadline's heap slot, allocated on first arming (see deadlines.ts). */
  deadlineEntry: DeadlineEntry | undefined = undefined
  /** Memo of `enclosingCancellation` (valid while `memoEpoch === epoch`). */
  memoEpoch = -1
  memo: CancelStatus | undefined = undefined
  /** The host fiber while it waits for the direct fibers (see `beginHostWait`). */
  waitingHost: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** An interruption of the waiting host, held until its wait ends (null: without annotations). */
  held: Context.Context<never> | null | undefined = undefined
  /** The waiting host has an entry in `hostWaits` (see `beginHostWait`). */
  get inHostWaits(): boolean {
    return (this.flags & IN_HOST_WAITS) !== 0
  }
  set inHostWaits(value: boolean) {
    this.flags = value ? this.flags | IN_HOST_WAITS : this.flags & ~IN_HOST_WAITS
  }

  constructor(cancelScope: CancelScopeImpl) {
    this.cancelScope = cancelScope
  }

  /**
   * Interrupts every direct fiber still running, cancelled by `by` (this scope) or, when undefined,
   * from outside; `annotations` name `by`.
   */
  abstract interruptDirect(
    by: CancelScopeImpl | undefined,
    annotations: Context.Context<never> | undefined
  ): void

  /** Its armed deadline has passed (see deadlines.ts): recorded now, delivered with the others. */
  onDeadline(): boolean {
    const scope = this.cancelScope
    return markCancelled(scope, { _tag: "Deadline", deadline: deadlineOf(scope) })
  }
  deliverDeadline(): void {
    deliver(this, true)
  }
}

// ---------------------------------------------------------------------------------------------
// Delivery (rules 2-4)
// ---------------------------------------------------------------------------------------------

/**
 * Rule 2's delivery to one fiber. Interrupting a running fiber would stop it at its next operation;
 * scheduling the interrupt on its own dispatcher lets it run on through its synchronous operations
 * and interrupts it exactly at its next suspension (or not at all if it finishes first), which is
 * AnyIO's checkpoint rule. A fiber woken but not resumed yet (`waitQueue.ts`) is treated the same:
 * its wake-up runs first, as AnyIO does not cancel a task whose awaited future is done. "Running" is
 * Effect's own flag (set while the fiber's loop is on the
 * stack, also when it resumed another fiber synchronously); `Fiber.getCurrent()` would miss that.
 */
export const interruptFiber = (
  fiber: Fiber.Fiber<unknown, unknown>,
  annotations: Context.Context<never> | undefined
): void => {
  if ((fiber as unknown as { readonly _running?: boolean })._running === true || isWakePending(fiber)) {
    fiber.currentDispatcher.scheduleTask(() => interruptSuspended(fiber, annotations), 0)
  } else interruptSuspended(fiber, annotations)
}

/**
 * Delivery to a fiber that is not running. Also the scheduled half of rule 2: by then the fiber
 * may have entered a scope and be waiting on it (it cancelled an enclosing scope from inside the
 * body it was starting), and rule 3 applies.
 */
const interruptSuspended = (
  fiber: Fiber.Fiber<unknown, unknown>,
  annotations: Context.Context<never> | undefined
): void => {
  // Woken but not resumed yet (a scheduler that reorders tasks ran this first): wait for the wake-up.
  if (isWakePending(fiber)) {
    fiber.currentDispatcher.scheduleTask(() => interruptSuspended(fiber, annotations), 0)
    return
  }
  const waitingOn = hostWaitOf(fiber)
  if (waitingOn !== undefined) {
    // Rule 3: the fiber waits on a scope: forward into it, and hold the fiber's own interruption.
    if (waitingOn.held === undefined) waitingOn.held = annotations ?? null
    if (!waitingOn.outer) onOuterCancel(waitingOn)
    return
  }
  fiber.interruptUnsafe(undefined, annotations)
}

/**
 * Host fibers waiting on a scope, and that scope's status (rule 3), for the hosts not found through
 * their task (see {@link beginHostWait}).
 */
const hostWaits = new WeakMap<Fiber.Fiber<unknown, unknown>, CancelStatus>()

/** The status `fiber` waits on as a host (rule 3), if any. */
const hostWaitOf = (fiber: Fiber.Fiber<unknown, unknown>): CancelStatus | undefined => {
  const status = hostWaits.get(fiber)
  if (status !== undefined) return status
  // A task group is its own status (group.ts), listed in its host's task while its host waits.
  const groups = waitingTask(fiber)?.groups as CancelStatus | Set<CancelStatus> | undefined
  if (groups === undefined) return undefined
  if (!(groups instanceof Set)) return groups.waitingHost === fiber ? groups : undefined
  for (const group of groups) if (group.waitingHost === fiber) return group
  return undefined
}

/**
 * The host of `status` starts waiting for its direct fibers (rule 3). A task group gives `task`,
 * its host's task, whose `groups` list it for the whole wait: a host that runs in that task is
 * found there (`hostWaitOf`), without an entry in `hostWaits` (a map entry made and dropped per
 * group was a tenth of a nested group's level).
 */
export const beginHostWait = (
  status: CancelStatus,
  host: Fiber.Fiber<unknown, unknown>,
  task?: TaskNode
): void => {
  status.waitingHost = host
  if (task === undefined || waitingTask(host) !== task) {
    status.inHostWaits = true
    hostWaits.set(host, status)
  }
}

/**
 * The host's wait ended (its fibers are done, or the host was interrupted anyway). An interruption
 * held meanwhile is delivered: `atOnce` (a task group's exit, a checkpoint, when the group's scope
 * does not shield it) now, and true is returned (the host then settles through its canceler).
 * Otherwise the held annotations are returned (null: none) for the host to re-raise on itself once
 * it runs again ({@link redeliver}), so that it lands at the host's next suspension after the code
 * that follows the scope; undefined when nothing was held.
 */
export const endHostWait = (
  status: CancelStatus,
  atOnce: boolean
): true | Context.Context<never> | null | undefined => {
  const host = status.waitingHost
  if (host === undefined) return undefined
  status.waitingHost = undefined
  if (status.inHostWaits) {
    status.inHostWaits = false
    hostWaits.delete(host)
  }
  const held = status.held
  if (held === undefined) return undefined
  status.held = undefined
  if (atOnce && !status.cancelScope._shield) {
    host.interruptUnsafe(undefined, held ?? undefined)
    return true
  }
  return held
}

/**
 * Re-raises a held interruption on the running host (see {@link endHostWait}): scheduled on its own
 * dispatcher by rule 2, so it lands at the host's next suspension. Scheduling it before the host
 * resumed would let it overtake the host (a resumed fiber may itself be scheduled).
 */
export const redeliver = <A, E>(
  held: Context.Context<never> | null,
  then: Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.flatMap(
    Effect.withFiber((self) => {
      interruptFiber(self, held ?? undefined)
      return Effect.void
    }),
    () => then
  )

const deliver = (status: CancelStatus, own: boolean): void => bounded(() => deliverNow(status, own))

const deliverNow = (status: CancelStatus, own: boolean): void => {
  const scope = status.cancelScope
  status.interruptDirect(own ? scope : undefined, own ? scope.cancelAnnotations() : undefined)
}

/**
 * Rule 4's predicate: an outer cancellation reached `status` and its own shield does not hold it
 * back (so it is delivered, and the scopes inside see it as an enclosing cancellation).
 */
export const receivesOuter = (status: CancelStatus): boolean => status.outer && !status.cancelScope._shield

/** `scope.cancel(reason)`: idempotent; callable before entry, while active and after exit. */
export const cancel = (scope: CancelScopeImpl, reason: CancelReason): void => {
  if (markCancelled(scope, reason)) deliver(scope.status!, true)
}

/**
 * A task group's own cancellation on exit (AnyIO: `TaskGroup.__aexit__` calls
 * `self.cancel_scope.cancel()` when its body raised, a cancellation included, or its wait for the
 * tasks was cancelled). When the cancellation came from outside and reached the group, its fibers
 * already received it: only the record is made. Otherwise (something outside effect-anyio
 * interrupted the body) it is delivered as any `cancel`.
 */
export const cancelOnGroupExit = (status: CancelStatus, reason: CancelReason): void => {
  if (receivesOuter(status)) markCancelled(status.cancelScope, reason)
  else cancel(status.cancelScope, reason)
}

/** The recording half of `cancel`: true when the scope is active, so the cancellation must be delivered. */
const markCancelled = (scope: CancelScopeImpl, reason: CancelReason): boolean => {
  if (scope.cancelCalled) return false
  epoch++
  // Sets `cancelCalled` too.
  scope.reason = reason
  const status = scope.status
  if (status === undefined) return false
  disarm(status)
  return scope.state === ACTIVE
}

/**
 * Rule 3: the host of `status` was interrupted while waiting (an enclosing scope was cancelled, or
 * something outside effect-anyio interrupted it): forward unless shielded, and remember it for
 * `shield = false`.
 */
export const onOuterCancel = (status: CancelStatus): void => {
  status.outer = true
  epoch++
  if (!status.cancelScope._shield) deliver(status, false)
}

/** Rule 4: setting `shield`; turning it off delivers the outer cancellation it was holding back. */
export const setShield = (scope: CancelScopeImpl, shield: boolean): void => {
  const was = scope._shield
  scope._shield = shield
  epoch++
  const status = scope.status
  if (status === undefined || scope.state !== ACTIVE) return
  if (was && !shield) {
    if (status.outer || enclosingCancellation(status) !== undefined) deliver(status, false)
  }
}

// ---------------------------------------------------------------------------------------------
// Visibility (rules 5-6)
// ---------------------------------------------------------------------------------------------

/**
 * Rule 5: the nearest enclosing status whose cancellation `status` can see (no shield in between,
 * `status`'s own shield included), or undefined.
 */
export const enclosingCancellation = (status: CancelStatus): CancelStatus | undefined => {
  // Memoized per status for the current `epoch`, so that entering a scope or starting a task deep
  // in a tree does not walk every ancestor (which made deep nesting quadratic). The walk stops at
  // the first status whose answer is known; every status on the way gets the same answer (a second
  // walk up to `end` writes it, rather than a path array allocated per call).
  if (status.memoEpoch === epoch) return status.memo
  let s = status
  let found: CancelStatus | undefined
  let end: CancelStatus | undefined
  while (true) {
    if (s.memoEpoch === epoch) {
      found = s.memo
      end = s
      break
    }
    const parent = s.parent
    if (s.cancelScope._shield || parent === undefined) {
      found = undefined
      end = parent
      break
    }
    if (parent.cancelScope.cancelCalled || receivesOuter(parent)) {
      found = parent
      end = parent
      break
    }
    s = parent
  }
  for (let n: CancelStatus | undefined = status; n !== end && n !== undefined; n = n.parent) {
    n.memoEpoch = epoch
    n.memo = found
  }
  return found
}

/** Cancelled itself, or sees an enclosing cancellation. */
export const isEffectivelyCancelled = (status: CancelStatus): boolean =>
  status.cancelScope.cancelCalled || receivesOuter(status) || enclosingCancellation(status) !== undefined

/** Rule 6: does the scope swallow the interruption its body ended with? */
export const catches = (status: CancelStatus): boolean =>
  status.cancelScope.cancelCalled && !receivesOuter(status) && enclosingCancellation(status) === undefined

/** AnyIO's `current_effective_deadline()` for a fiber in `status`. */
export const effectiveDeadline = (status: CancelStatus | undefined): number => {
  let deadline = Number.POSITIVE_INFINITY
  for (let s = status; s !== undefined; s = s.parent) {
    const scope = s.cancelScope
    if (scope.cancelCalled || receivesOuter(s)) return Number.NEGATIVE_INFINITY
    const d = deadlineOf(scope)
    if (d < deadline) deadline = d
    if (scope._shield) break
  }
  return deadline
}

// ---------------------------------------------------------------------------------------------
// Time and deadlines (rule 7)
// ---------------------------------------------------------------------------------------------

/** Current time in seconds from the fiber's Clock (monotonic; the TestClock drives it in tests). */
export const nowSeconds = (context: Context.Context<never>): number =>
  clockSeconds(Context.get(context, Clock.Clock))

const disarm = (status: CancelStatus): void => {
  const entry = status.deadlineEntry
  entry?.queue?.remove(entry)
}

/** (Re-)arms the deadline timer of an active scope; cancels at once if the deadline has passed. */
export const arm = (status: CancelStatus): void => {
  disarm(status)
  const scope = status.cancelScope
  if (scope.state !== ACTIVE || !hasDeadline(scope)) return
  const queue = queueOf(status.hostContext!)
  const now = queue.now()
  // A pending relative deadline is resolved here against the same reading (one clock read), also
  // for a scope already cancelled: read later (failAfter's test at exit), it would move.
  if (scope.relative !== undefined) {
    scope._deadline = now + scope.relative
    scope.relative = undefined
  }
  if (scope.cancelCalled) return
  const deadline = scope._deadline
  if (deadline <= now) cancel(scope, { _tag: "Deadline", deadline })
  else queue.add((status.deadlineEntry ??= new DeadlineEntry(status)), deadline)
}

/**
 * Rule 7 on entry: sets a relative deadline (`fromNow` seconds) if given; a finite deadline that
 * has already passed cancels the scope at once.
 */
export const cancelIfDeadlinePassed = (status: CancelStatus, fromNow: number | undefined): void => {
  const scope = status.cancelScope
  if (fromNow !== undefined && fromNow > 0) {
    // Resolved against the clock only when read (or when the body suspends and a timer is armed).
    scope.relative = fromNow
    return
  }
  if (fromNow === undefined && scope._deadline === Number.POSITIVE_INFINITY) return
  const now = nowSeconds(status.hostContext!)
  if (fromNow !== undefined) scope._deadline = now + fromNow
  if (scope._deadline <= now) cancel(scope, { _tag: "Deadline", deadline: scope._deadline })
}

/** The scope's absolute deadline, resolving a pending relative one against the clock. */
export const deadlineOf = (scope: CancelScopeImpl): number => {
  const relative = scope.relative
  if (relative !== undefined) {
    scope.relative = undefined
    scope._deadline = nowSeconds(scope.status!.hostContext!) + relative
  }
  return scope._deadline
}

/**
 * The scope's deadline has passed (AnyIO's `fail_after` test at exit: `current_time() >= deadline`).
 * A scope its deadline cancelled, with that deadline unchanged since, needs no clock read: on the
 * real clock a Node timer can fire a little before the clock reads the deadline, and AnyIO's timer
 * and clock are one. A deadline moved after it fired is tested against the clock, as AnyIO does.
 */
export const deadlinePassed = (scope: CancelScopeImpl): boolean => {
  const reason = scope.reason
  if (reason?._tag === "Deadline" && reason.deadline === scope._deadline && scope.relative === undefined)
    return true
  const deadline = deadlineOf(scope)
  return deadline !== Number.POSITIVE_INFINITY && nowSeconds(scope.status!.hostContext!) >= deadline
}

/** True when the scope has a finite deadline (set, or pending relative). */
export const hasDeadline = (scope: CancelScopeImpl): boolean =>
  scope.relative !== undefined || scope._deadline !== Number.POSITIVE_INFINITY

/** Setting `deadline` while active re-arms the timer. */
export const setDeadline = (scope: CancelScopeImpl, deadline: number): void => {
  scope.relative = undefined
  scope._deadline = deadline
  if (scope.state === ACTIVE) arm(scope.status!)
}

// ---------------------------------------------------------------------------------------------
// Entering and leaving (rule 8)
// ---------------------------------------------------------------------------------------------

/** Links `status` under the host's current status and makes its scope active. */
export const enter = (status: CancelStatus, host: Fiber.Fiber<unknown, unknown>): void => {
  const scope = status.cancelScope
  if (scope.state !== PENDING) {
    throw new RuntimeError({
      message:
        "A cancel scope can be entered only once: give each cancelScope() call its own makeCancelScope()"
    })
  }
  scope.status = status
  scope.state = ACTIVE
  status.parent = host.getRef(CurrentScope)
  status.hostContext = host.context
}

/**
 * The context of the direct fibers of `status`, entered by `host`: the host's, with the host's task
 * and this status in it. (A task group whose body runs on no fiber of its own never makes it: its
 * task's context is made from the host's at once, group.ts `taskContext`.)
 */
export const directContext = (
  status: CancelStatus,
  host: Fiber.Fiber<unknown, unknown>
): Context.Context<never> =>
  addPairToContext(host.context, CurrentScope, status, CurrentTask, taskOfFiber(host))

/** Marks the scope exited and disarms its timer. */
export const exit = (status: CancelStatus): void => {
  status.cancelScope.state = EXITED
  disarm(status)
}

/**
 * Rule 8: a body (or task) that starts in a scope that was cancelled before entry, or inside an
 * effectively cancelled scope (level-triggered), runs until its first suspension and is cancelled
 * there, as AnyIO cancels at the first checkpoint. Call once the fiber has suspended. Called on the
 * running fiber (`checkpointIfCancelled`), the interruption lands at its next operation.
 */
export const interruptIfCancelled = (
  status: CancelStatus,
  fiber: Fiber.Fiber<unknown, unknown>,
  now = false
): void => {
  const scope = status.cancelScope
  const by = scope.cancelCalled ? status : enclosingCancellation(status)
  if (by !== undefined) {
    const byScope = by.cancelScope
    const annotations = byScope.cancelCalled ? byScope.cancelAnnotations() : undefined
    if (now) fiber.interruptUnsafe(undefined, annotations)
    else interruptFiber(fiber, annotations)
  } else if (receivesOuter(status)) {
    if (now) fiber.interruptUnsafe()
    else interruptFiber(fiber, undefined)
  }
}

// Never runs: the interrupt requested just before lands at the fiber's next operation (effect's
// deferred interrupt of a running fiber). `Effect.interrupt` only in case it did not.
const landHere: Effect.Effect<never> = Effect.interrupt

/**
 * AnyIO's `checkpoint_if_cancelled` at the start of an operation that may complete without
 * suspending (a memory stream `send` with buffer space, an uncontended `acquire`, `wait` on a set
 * event): when a cancellation is pending for the running fiber, it is raised before anything is
 * done. Returns the effect to run instead of the operation (the interruption lands there), or
 * undefined. In an uninterruptible region (an Effect finalizer) the operation goes on, as
 * everything there does.
 */
export const pendingCancellation = (
  fiber: Fiber.Fiber<unknown, unknown> | undefined
): Effect.Effect<never> | undefined => {
  if (
    fiber === undefined ||
    (fiber as unknown as { readonly interruptible: boolean }).interruptible !== true
  ) {
    return undefined
  }
  return raisePending(fiber, landHere)
}

// The interruption requested inside an uninterruptible mask is only recorded; making the fiber
// interruptible again (`restore`) raises it at once, with the same cause.
const landHereMasked: Effect.Effect<never> = Effect.interruptible(landHere)

/**
 * {@link pendingCancellation} for an operation that entered `uninterruptibleMask` first (to take a
 * resource and register its release in one step): `wasInterruptible` is whether the fiber was
 * interruptible outside the mask (its `restore` is not the identity). The returned effect raises the
 * cancellation, the mask notwithstanding.
 */
export const pendingCancellationMasked = (
  fiber: Fiber.Fiber<unknown, unknown>,
  wasInterruptible: boolean
): Effect.Effect<never> | undefined => (wasInterruptible ? raisePending(fiber, landHereMasked) : undefined)

// A hot loop of acquires runs in one context, and a context never changes (`Context.add` makes a
// new one): remembering the last context's status saves the lookup (two map misses outside every
// scope) on each check.
let lastContext: Context.Context<never> | undefined
let lastStatus: CancelStatus | undefined

const raisePending = (
  fiber: Fiber.Fiber<unknown, unknown>,
  land: Effect.Effect<never>
): Effect.Effect<never> | undefined => {
  const context = fiber.context
  if (context !== lastContext) {
    lastStatus = Context.get(context, CurrentScope)
    lastContext = context
  }
  const status = lastStatus
  if (status === undefined || !isEffectivelyCancelled(status)) return undefined
  interruptIfCancelled(status, fiber, true)
  return land
}

/**
 * `f(fiber)`, unless a cancellation is pending for the running fiber: then it lands first and `f` is
 * never called (the form for operations built in an uninterruptible mask, where the check inside
 * would see the mask).
 */
export const unlessCancelled = <A, E, R>(
  f: (fiber: Fiber.Fiber<unknown, unknown>) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.withFiber((fiber) => pendingCancellation(fiber) ?? f(fiber))

// ---------------------------------------------------------------------------------------------
// Outcomes (rule 6)
// ---------------------------------------------------------------------------------------------

/** True when the cause holds a typed failure or a defect (not only interruptions). */
export const hasFailures = (cause: Cause.Cause<unknown>): boolean => {
  for (const r of cause.reasons) if (r._tag !== "Interrupt") return true
  return false
}

/** The cause without its interruptions. */
export const failuresOnly = <E>(cause: Cause.Cause<E>): Cause.Cause<E> =>
  Cause.fromReasons(cause.reasons.filter((r) => r._tag !== "Interrupt"))

/**
 * The outcome of a plain scope whose body ended with `result` (rule 6): the body's value, `None`
 * when the scope caught its own cancellation, or the cause to propagate.
 */
export const settle = <A, E>(
  status: CancelStatus,
  result: Exit.Exit<A, E>
): { readonly _tag: "Value"; readonly value: A } | { readonly _tag: "Caught" } | Exit.Exit<never, E> => {
  if (result._tag === "Success") return { _tag: "Value", value: result.value }
  const cause = result.cause
  if (hasFailures(cause)) {
    return Effect.failCause(catches(status) ? failuresOnly(cause) : cause) as unknown as Exit.Exit<never, E>
  }
  if (catches(status)) {
    status.cancelScope.cancelledCaught = true
    return { _tag: "Caught" }
  }
  return result as Exit.Exit<never, E>
}

// ---------------------------------------------------------------------------------------------
// Reasons, for people
// ---------------------------------------------------------------------------------------------

/** A one-line description of why a scope (or an enclosing scope) was cancelled. */
export const describeReason = (reason: CancelReason | undefined): string => {
  if (reason === undefined) return "cancelled from outside (an enclosing scope or fiber interruption)"
  switch (reason._tag) {
    case "Explicit":
      return explicitText(reason.by, reason.message)
    case "Deadline":
      return `deadline ${reason.deadline}s exceeded`
    case "TaskFailed":
      return `task '${reason.task}' failed: ${describeError(reason.error)}`
  }
}

/** The name of the task `fiber` runs in (who called `cancel()`), if any. */
export const cancellerName = (fiber: Fiber.Fiber<unknown, unknown> | undefined): string | undefined =>
  fiber === undefined ? undefined : taskOfFiber(fiber).name

/** An explicit cancellation in words: who called `cancel()` (AnyIO: "by <task>") and its message. */
export const explicitText = (by: string | undefined, message: string | undefined): string =>
  `cancelled explicitly${by === undefined ? "" : ` by task '${by}'`}${message === undefined ? "" : `: ${message}`}`

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
