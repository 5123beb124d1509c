/**
 * The host protocol: how the fiber that enters a cancel scope or a task group (the *host*) runs
 * the scope's direct fibers and waits for them. Written once, for a plain scope's single body
 * ({@link ScopeHost} here) and for a task group's body and tasks (`Group` in group.ts). The rules it
 * applies (delivery, visibility, catching) are in scope.ts.
 *
 * The protocol, in one step of the host (inside `Effect.callback`, so that an interruption of the
 * host can never fall between forking and waiting and orphan a fiber):
 *
 * 1. enter: link the scope's status under the host's and make the scope active;
 * 2. start: fork the direct fibers; each registers itself (as its first operation, or before it
 *    runs) so that a cancellation made while it still runs synchronously reaches it;
 * 3. if every direct fiber is already done, settle at once; else wait, recording the wait for
 *    printouts. The last direct fiber to end wakes the host (a plain scope's at once, through
 *    `resumeHost`: deep trees unwind level by level; a task group's scheduled, as a woken task) and
 *    the host settles: the scope's outcome.
 * 4. The canceler: when the host is interrupted while it waits, it forwards the interruption to
 *    the direct fibers (scope.ts, rule 3: unless shielded), keeps waiting until they all ended, then
 *    lets only their real failures join its interruption (Effect merges a canceler's failure into
 *    the interruption; the canceler's type only admits `never`).
 *
 * Invariants: `resume` (or `wake`) is set only while the host waits and is called at most once; once `done` is
 * true it stays true; the scope is exited (scope.ts `exit`) by every settle path exactly once.
 *
 * @internal
 */
import { type Context, Effect, type Exit, type Fiber, Option } from "effect"
import type { CancelScope, ScopeBody } from "../CancelScope.ts"
import { TaskTracing } from "../Debugging.ts"
import { InvalidArgumentError } from "../Errors.ts"
import {
  arm,
  beginHostWait,
  type CancelScopeImpl,
  CancelStatus,
  cancelIfDeadlinePassed,
  catches,
  directContext,
  endHostWait,
  enter,
  exit,
  failuresOnly,
  hasDeadline,
  hasFailures,
  interruptFiber,
  interruptIfCancelled,
  onOuterCancel,
  redeliver,
  settle
} from "./scope.ts"
import { beginWaitAround, endWait, ScopeBodyWait, type TaskNode, taskOfFiber, waitMark } from "./task.ts"
import { traced } from "./tracing.ts"
import { resumeHost, startBody } from "./trampoline.ts"
import { scheduleWakeCall } from "./waitQueue.ts"

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** Bit of `CancelStatus.flags` (scope.ts has 1 and 2, group.ts 4 to 16): `resume` is step 4's wake. */
const WAKE = 32

/** The status of an entered scope whose host runs it by the protocol above. */
export abstract class Host<A, E> extends CancelStatus {
  /**
   * Set while the host waits: resumes it once the last direct fiber ended, with the outcome; or,
   * in step 4 (the `WAKE` bit of `flags` set), the canceler's callback, woken with nothing. Kept as
   * the callback's own `resume`, not a closure, and one field for both: a level of a deep tree
   * retains as little as possible while it waits.
   */
  private resume: ((effect: Effect.Effect<A, E>) => void) | undefined = undefined

  /**
   * Step 2: forks the direct fibers with the scope's context (scope.ts `directContext`); may throw
   * for a bad body (the host then dies with it). Applies rule 8 (cancelled on entry) to the fibers
   * it forked.
   */
  protected abstract startDirect(host: AnyFiber): void
  /** Every direct fiber has ended (stays true). */
  abstract get done(): boolean
  /** The scope's outcome once done, the host not interrupted (exits the scope). */
  protected abstract settle(): Effect.Effect<A, E>
  /** The outcome when every direct fiber was done within the entering step (default: `settle`). */
  protected settleAtOnce(): Effect.Effect<A, E> {
    return this.settle()
  }
  /** Step 4's outcome, once done after the host was interrupted: real failures only (exits the scope). */
  protected abstract settleInterrupted(): Effect.Effect<void, E>
  /** Step 3, when the host has to wait: record the wait for printouts, arm timers. */
  protected abstract waiting(host: AnyFiber, mark: number): void

  /**
   * Leaving this scope is a checkpoint (a task group's exit, as in AnyIO): an interruption held
   * while the host waited is raised there, unless the scope shields it.
   */
  protected get exitIsCheckpoint(): boolean {
    return false
  }

  /** A task group's host task, that lists it while its host waits (scope.ts `beginHostWait`). */
  protected get hostTaskOfWait(): TaskNode | undefined {
    return undefined
  }

  /**
   * A subclass calls this when its last direct fiber ended. A plain scope's host goes on at once
   * (AnyIO: the code after a `with` block runs in the same task, no task switch); a task group's
   * host is a task woken by its last task's exit, so it is scheduled after the tasks already
   * queued, as AnyIO wakes it (`waitQueue.ts`).
   */
  protected finished(): void {
    const resume = this.resume
    if (resume === undefined) return
    this.resume = undefined
    if ((this.flags & WAKE) !== 0) {
      this.flags &= ~WAKE
      resumeHost(() => (resume as unknown as (effect: Effect.Effect<void>) => void)(Effect.void))
      return
    }
    const host = this.waitingHost
    // The scheduled wake-up calls `goOn` itself: one closure per wake-up, not a `go` closure
    // wrapped in scheduleWake's.
    if (this.exitIsCheckpoint && host !== undefined) scheduleWakeCall(host, Host.goOn, this, resume)
    else resumeHost(() => Host.goOn(this, resume))
  }

  /** The host goes on once its last direct fiber ended (see `finished`). */
  private static goOn<A, E>(h: Host<A, E>, resume: (effect: Effect.Effect<A, E>) => void): void {
    const held = endHostWait(h, h.exitIsCheckpoint)
    // true: a held interruption was delivered at once; the host settles through its canceler.
    if (held === true) return
    resume(held === undefined ? h.settle() : redeliver(held, h.settle()))
  }

  /** Runs the protocol on `host`: the effect the host waits in. */
  static run<A, E>(host: AnyFiber, h: Host<A, E>): Effect.Effect<A, E> {
    return Effect.callback<A, E>((resume) => Host.register(host, h, resume))
  }

  /**
   * The protocol's step, as the `register` of an `Effect.callback` that `host` runs (`resume` is
   * its own): returns the canceler, or nothing when it resumed at once. For a caller that makes
   * its own callback (`createTaskGroup`: one run-loop step and no `withFiber` closure per group).
   */
  static register<A, E>(
    host: AnyFiber,
    h: Host<A, E>,
    resume: (effect: Effect.Effect<A, E>) => void
  ): Effect.Effect<void> | undefined {
    enter(h, host)
    const mark = waitMark()
    h.startDirect(host)
    if (h.done) {
      resume(h.settleAtOnce())
      return undefined
    }
    // Set before `waiting`: arming a deadline that has passed may end every fiber at once.
    h.resume = resume
    beginHostWait(h, host, h.hostTaskOfWait)
    h.waiting(host, mark)
    return h.onHostInterrupted()
  }

  /**
   * The canceler: the host as an exit and a static function of it (two small objects), not a
   * suspended closure (a closure, its context and the suspend), since every waiting level of a
   * deep tree retains its canceler.
   */
  private onHostInterrupted(): Effect.Effect<void> {
    return Effect.flatMap(Effect.succeed(this), Host.interrupted)
  }

  private static interrupted<A, E>(h: Host<A, E>): Effect.Effect<void> {
    h.resume = undefined
    endHostWait(h, false)
    onOuterCancel(h)
    return Effect.flatMap(
      Effect.callback<void>((wake) => {
        if (h.done) return wake(Effect.void)
        h.resume = wake as unknown as (effect: Effect.Effect<A, E>) => void
        h.flags |= WAKE
      }),
      () => h.settleInterrupted()
    ) as Effect.Effect<void>
  }
}

/** A plain cancel scope's status: one direct fiber, the body. */
class ScopeHost<A, E> extends Host<Option.Option<A>, E> {
  private body: Fiber.Fiber<A, E> | undefined = undefined
  private bodyExit: Exit.Exit<A, E> | undefined = undefined
  private wait: ScopeBodyWait | undefined = undefined
  declare private readonly userBody: ScopeBody<A, E, unknown>
  declare private readonly fromNow: number | undefined

  constructor(scope: CancelScopeImpl, body: ScopeBody<A, E, unknown>, fromNow: number | undefined) {
    super(scope)
    this.userBody = body
    this.fromNow = fromNow
  }

  interruptDirect(_by: CancelScopeImpl | undefined, annotations: Context.Context<never> | undefined) {
    if (this.body !== undefined) interruptFiber(this.body, annotations)
  }

  get done(): boolean {
    return this.bodyExit !== undefined
  }

  protected startDirect(host: AnyFiber): void {
    const context = directContext(this, host)
    cancelIfDeadlinePassed(this, this.fromNow)
    const body = this.userBody
    const effect: unknown = typeof body === "function" ? body(this.cancelScope as CancelScope) : body
    if (!Effect.isEffect(effect)) {
      throw new InvalidArgumentError({
        message: `cancelScope: the body must be an Effect or a function returning one, got ${typeof effect}`
      })
    }
    const fiber = startBody(
      Effect.runForkWith(context),
      // The body registers its own fiber as its first operation, so that a `cancel()` made while
      // it still runs synchronously (inside the fork) reaches it at its next operation.
      Effect.withFiber((self) => {
        this.body = self as Fiber.Fiber<A, E>
        return effect as Effect.Effect<A, E>
      })
    )
    const exit = fiber.pollUnsafe()
    if (exit !== undefined) {
      this.bodyExit = exit
      return
    }
    // Rule 8: cancelled before entry, or entered inside an effectively cancelled scope
    // (level-triggered), the body is cancelled at its first suspension.
    interruptIfCancelled(this, fiber)
    fiber.addObserver((exit) => {
      this.bodyExit = exit
      if (this.wait !== undefined) endWait(this.wait)
      this.finished()
    })
  }

  protected waiting(host: AnyFiber, mark: number): void {
    // For printouts: the host waits for the body (around the body's own waits) until it ends.
    this.wait = new ScopeBodyWait(this.cancelScope.id)
    beginWaitAround(taskOfFiber(host), this.wait, mark)
    // Armed only for a body that is still running: most scopes that never fire finish
    // synchronously and never pay for a timer.
    if (hasDeadline(this.cancelScope)) arm(this)
  }

  protected settle(): Effect.Effect<Option.Option<A>, E> {
    exit(this)
    const result = this.bodyExit!
    if (result._tag === "Success") return Effect.succeed(Option.some(result.value))
    const settled = settle(this, result)
    switch (settled._tag) {
      case "Value":
        return Effect.succeed(Option.some(settled.value))
      case "Caught":
        return Effect.succeed(Option.none())
      default:
        return settled
    }
  }

  protected settleInterrupted(): Effect.Effect<void, E> {
    exit(this)
    const result = this.bodyExit!
    if (result._tag === "Success") return Effect.void
    if (hasFailures(result.cause)) return Effect.failCause(failuresOnly(result.cause))
    // The host's interruption goes on, but the scope still records that it caught its own
    // cancellation (a shielded scope cancelled by itself while an outer cancellation waits).
    if (catches(this)) this.cancelScope.cancelledCaught = true
    return Effect.void
  }
}

/**
 * Runs `body` in the cancel scope `makeScope` (a record, or a function making one per run) and
 * waits for it, forwarding outer cancellation. `fromNow`, when given, sets the deadline relative to
 * the clock at entry. A bad argument thrown while making the scope dies like any defect.
 */
export const runScope = <A, E, R>(
  makeScope: CancelScopeImpl | (() => CancelScopeImpl),
  body: ScopeBody<A, E, R>,
  fromNow: number | (() => number) | undefined
): Effect.Effect<Option.Option<A>, E, R> =>
  Effect.withFiber((host) => {
    const scope = typeof makeScope === "function" ? makeScope() : makeScope
    const deadlineFromNow = typeof fromNow === "function" ? fromNow() : fromNow
    const entered = Host.run(
      host,
      new ScopeHost<A, E>(scope, body as ScopeBody<A, E, unknown>, deadlineFromNow)
    )
    return host.getRef(TaskTracing) ? traced(entered, "cancel scope", scope.id) : entered
  }) as Effect.Effect<Option.Option<A>, E, R>
