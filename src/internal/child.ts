/**
 * A task of a task group (`Child`, which is also its public `TaskHandle`) and the status a task
 * begun with `tg.start()` reports through (`TaskStatusImpl`). Group bookkeeping is in group.ts.
 *
 * @internal
 */

import type { Context } from "effect"
import { Effect, Exit, Fiber } from "effect"
import type { CancelReason } from "../CancelScope.ts"
import { RuntimeError, TaskCancelled, TaskFailed, TaskNotFinished } from "../Errors.ts"
import { fromCause } from "../ExceptionGroup.ts"
import type { TaskHandle, TaskHandleStatus, TaskStatus } from "../TaskGroup.ts"
import { checkReason } from "./args.ts"
import { fnNameBetween, fnNameOfExit, frameOf } from "./fnName.ts"
import type { Group } from "./group.ts"
import {
  type CancelScopeImpl,
  cancellerName,
  describeReason,
  explicitText,
  hasFailures,
  interruptFiber,
  isEffectivelyCancelled,
  reasonOfCause
} from "./scope.ts"
import { beginJoinWait, endWait, type GroupView, nextId, type TaskNode, type Wait } from "./task.ts"
import { scheduleWake } from "./waitQueue.ts"

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** `Child.cancelledBy` of a task cancelled from outside its group (an enclosing scope, a signal). */
export const OUTSIDE: unique symbol = Symbol("effect-anyio/outside")

/** A pending `start()`: the child's exit goes to the caller until `started()` is called. */
export class TaskStatusImpl implements TaskStatus<unknown> {
  pending = true
  /** `start({ returnHandle: true }, ...)`: the caller gets the task's handle, not the value. */
  returnHandle = false
  /** The value given to `started()`, kept for a `started()` made before the task was forked. */
  value: unknown = undefined
  called = false
  resume: ((effect: Effect.Effect<unknown, unknown>) => void) | undefined = undefined
  /** The fiber that called start() (woken by `started()`). */
  caller: Fiber.Fiber<unknown, unknown> | undefined = undefined
  /** Set by the caller's canceler: wakes it when the child is done. */
  onDone: (() => void) | undefined = undefined
  child: Child | undefined = undefined
  /** The caller of `start()`: the task's parent until `started()`. */
  declare readonly callerId: number
  constructor(callerId: number) {
    this.callerId = callerId
  }
  started(value?: unknown): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.pending) {
        return Effect.die(new RuntimeError({ message: "called 'started' twice on the same task status" }))
      }
      this.pending = false
      this.called = true
      this.value = value
      const child = this.child
      // From now on the task belongs to the group: its parent is the group's host (`parentId`).
      if (child !== undefined) child.startValue = value
      const resume = this.resume
      this.resume = undefined
      // The caller of start() is woken as AnyIO wakes it: scheduled, after this task's step.
      const result = Effect.succeed(this.returnHandle ? child : value)
      const caller = this.caller
      if (resume !== undefined) {
        if (caller === undefined) resume(result)
        else scheduleWake(caller, () => resume(result))
      }
      return Effect.void
    })
  }
}

/** The rarely used state of a task (see `Child.x`). */
class ChildExtra {
  cancelAnnotations: Context.Context<never> | undefined = undefined
  cancelMessage: string | undefined = undefined
  /** The task that called `handle.cancel()`. */
  cancelBy: string | undefined = undefined
  /**
   * The joiners of `wait`, in arrival order. A set: a joiner that gives up leaves it in O(1), so a
   * long task waited on with a timeout, again and again, keeps no closure per given-up wait.
   */
  waiters: Set<() => void> | undefined = undefined
  startValue: unknown = undefined
  /** Set for a task begun by `start()`. */
  taskStatus: TaskStatusImpl | undefined = undefined
  /** Who cancelled the task: a scope (its group's), or `OUTSIDE`; unset if nobody did. */
  cancelledBy: CancelScopeImpl | typeof OUTSIDE | undefined = undefined
  /** Cancelled by its handle, the task's exit is not shown yet (see `Child.cancelTask`). */
  exitHidden = false
  /** Cancel this task alone (the caller of `start()` was cancelled, or `handle.cancel()`). */
  cancelRequested = false
}

/**
 * A task of a group: scheduled, then running in `fiber`. It is the task's identity (the current
 * task inside it) and its handle (what `startSoon`/`createTask` return), so spawning allocates one
 * object per task.
 */
export class Child implements TaskNode, TaskHandle<unknown, unknown, unknown> {
  declare readonly id: number
  declare private givenName: string | undefined
  /**
   * The task's fiber while it runs, then its exit: one field (a sleeping task is mostly its
   * fiber, and each field of every task counts; see `fiber` and `exit`).
   */
  private run: AnyFiber | Exit.Exit<unknown, unknown> | undefined = undefined
  /** The task's fiber once begun, until it ended. */
  get fiber(): AnyFiber | undefined {
    // `Exit.isExit(undefined)` is false: no separate test for "not begun".
    const run = this.run
    return Exit.isExit(run) ? undefined : run
  }
  set fiber(fiber: AnyFiber) {
    this.run = fiber
  }
  /** The task's exit once it ended. */
  get exit(): Exit.Exit<unknown, unknown> | undefined {
    const run = this.run
    return Exit.isExit(run) ? run : undefined
  }
  set exit(exit: Exit.Exit<unknown, unknown>) {
    this.run = exit
  }
  /** Cancel this task alone (the caller of `start()` was cancelled, or `handle.cancel()`). */
  get cancelRequested(): boolean {
    return this.ex?.cancelRequested === true
  }
  declare readonly group: Group
  /** Links of the group's list of running tasks. */
  prev: Child | undefined = undefined
  next: Child | undefined = undefined
  /** Fields, not in `ChildExtra`: a task that hosts a group sets both (each level of a nested tree). */
  groups: GroupView | Set<GroupView> | undefined = undefined
  waitingOn: Wait | undefined = undefined
  /**
   * What most tasks never need, allocated on first use (keeps a task small: see `ChildExtra`).
   * Until then it may hold just the task's `cancelledBy`: a group cancelled with N tasks running
   * records who cancelled each without allocating N `ChildExtra`s.
   */
  private x: ChildExtra | CancelScopeImpl | typeof OUTSIDE | undefined = undefined
  private get extra(): ChildExtra {
    const x = this.x
    if (x instanceof ChildExtra) return x
    const extra = new ChildExtra()
    extra.cancelledBy = x
    this.x = extra
    return extra
  }
  /** The `ChildExtra`, if allocated. */
  private get ex(): ChildExtra | undefined {
    const x = this.x
    return x instanceof ChildExtra ? x : undefined
  }
  get taskStatus(): TaskStatusImpl | undefined {
    return this.ex?.taskStatus
  }
  /** A task of a group always has a parent (`parentId`). */
  get isRoot(): boolean {
    return false
  }
  /** A `start()` task's parent is its caller until `started()`, then the group's host. */
  get parentId(): number {
    const status = this.ex?.taskStatus
    return status?.pending ? status.callerId : this.group.hostTask.id
  }
  get startValue(): unknown {
    return this.ex?.startValue
  }
  set startValue(value: unknown) {
    this.extra.startValue = value
  }
  get cancelAnnotations(): Context.Context<never> | undefined {
    return this.ex?.cancelAnnotations
  }
  get cancelledBy(): CancelScopeImpl | typeof OUTSIDE | undefined {
    const x = this.x
    return x instanceof ChildExtra ? x.cancelledBy : x
  }
  set cancelledBy(value: CancelScopeImpl | typeof OUTSIDE | undefined) {
    const x = this.x
    if (x instanceof ChildExtra) x.cancelledBy = value
    else this.x = value
  }
  constructor(group: Group, name: string | undefined, taskStatus: TaskStatusImpl | undefined) {
    this.id = nextId()
    this.givenName = name
    this.group = group
    if (taskStatus !== undefined) this.extra.taskStatus = taskStatus
  }
  /** Built on first use: most tasks are never asked for their name. */
  get name(): string {
    return this.givenName ?? `Task-${this.id}`
  }
  /**
   * A task given no name takes the span name of the `Effect.fn` it runs in, read once its first
   * run ends (it suspended, or its exit): AnyIO names a task by its function (internal/fnName.ts).
   */
  nameFromFn(
    context: Context.Context<never>,
    fiber: AnyFiber,
    exit: Exit.Exit<unknown, unknown> | undefined
  ): void {
    if (this.givenName !== undefined) return
    // Cheap checks first: a task that never changed its context is in no Effect.fn.
    if (exit !== undefined) {
      if (exit._tag === "Failure") this.givenName = fnNameOfExit(exit, frameOf(context))
    } else if (fiber.context !== context) {
      this.givenName = fnNameBetween(frameOf(fiber.context), frameOf(context))
    }
  }
  state(): string {
    if (this.run === undefined) return "scheduled"
    return this.status
  }
  get status(): TaskHandleStatus {
    const exit = this.exit
    if (exit === undefined || this.ex?.exitHidden === true) {
      return this.cancelRequested || isEffectivelyCancelled(this.group) ? "cancelling" : "pending"
    }
    return exitState(exit)
  }
  /** Cancels this task alone. */
  cancelTask(annotations: Context.Context<never> | undefined): void {
    if (this.exit !== undefined || this.cancelRequested) return
    const extra = this.extra
    extra.cancelRequested = true
    extra.cancelAnnotations = annotations
    const fiber = this.fiber
    if (fiber === undefined) return
    // A parked task ends within the interruption below; AnyIO's task ends when the loop next runs
    // it, and its handle reads "cancelling" until then. So the exit is shown (and `wait` returns)
    // only from a step scheduled before the interruption, hence before any wake-up it causes.
    extra.exitHidden = true
    fiber.currentDispatcher.scheduleTask(() => {
      extra.exitHidden = false
      // Joiners that came meanwhile (a task still running its cleanup is woken by its exit).
      if (this.exit !== undefined) this.wakeWaiters()
    }, 0)
    interruptFiber(fiber, annotations)
  }
  /** Why the task was cancelled: who cancelled it, else what its interruption says. */
  cancelReason(): CancelReason | undefined {
    const by = this.cancelledBy
    if (by === OUTSIDE) return undefined
    if (by !== undefined) return by.reason
    return this.exit?._tag === "Failure" ? reasonOfCause(this.exit.cause) : undefined
  }
  /** The fiber observer, bound to the task (a bound method is half the size of a closure). */
  onFiberExit(this: Child, exit: Exit.Exit<unknown, unknown>): void {
    this.group.onExit(this, exit)
  }
  wakeWaiters(): void {
    const x = this.ex
    const waiters = x?.waiters
    if (x !== undefined) x.waiters = undefined
    if (waiters !== undefined) for (const w of waiters) w()
  }
  cancel(reason?: string): Effect.Effect<void> {
    return Effect.withFiber((fiber) => {
      const message = checkReason(reason)
      if (this.exit === undefined && !this.cancelRequested) {
        const extra = this.extra
        extra.cancelMessage = message
        extra.cancelBy = cancellerName(fiber)
        this.cancelTask(undefined)
      }
      return Effect.void
    })
  }
  get wait(): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (this.exit !== undefined && this.ex?.exitHidden !== true) return resume(Effect.void)
      const wait = beginJoinWait(this) // for printouts
      const joiner = Fiber.getCurrent()
      // The task's exit wakes its joiners as AnyIO does: scheduled, in order (waitQueue.ts).
      const waiter = () => {
        endWait(wait)
        if (joiner === undefined) resume(Effect.void)
        else scheduleWake(joiner, () => resume(Effect.void))
      }
      ;(this.extra.waiters ??= new Set()).add(waiter)
      return Effect.sync(() => {
        endWait(wait)
        // `extra` exists (allocated above); `waiters` is gone if the task ended meanwhile.
        this.extra.waiters?.delete(waiter)
      })
    })
  }
  get join(): Effect.Effect<unknown, TaskFailed<unknown> | TaskCancelled> {
    // After `wait` the task has finished, so TaskNotFinished cannot happen.
    return Effect.flatMap(this.wait, () => this.outcome()) as Effect.Effect<
      unknown,
      TaskFailed<unknown> | TaskCancelled
    >
  }
  get returnValue(): Effect.Effect<unknown, TaskNotFinished | TaskFailed<unknown> | TaskCancelled> {
    return Effect.suspend(() => this.outcome())
  }
  get exception(): Effect.Effect<unknown, TaskNotFinished | TaskCancelled> {
    return Effect.suspend(() =>
      Effect.matchEffect(this.outcome(), {
        onSuccess: () => Effect.succeed(undefined),
        onFailure: (e) => (e._tag === "TaskFailed" ? Effect.succeed(e.error) : Effect.fail(e))
      })
    )
  }
  private outcome(): Effect.Effect<unknown, TaskNotFinished | TaskFailed<unknown> | TaskCancelled> {
    const exit = this.exit
    if (exit === undefined) {
      return this.status === "cancelling"
        ? Effect.fail(new TaskCancelled({ reason: this.reasonText() }))
        : Effect.fail(new TaskNotFinished())
    }
    if (exit._tag === "Success") return Effect.succeed(exit.value)
    const members = fromCause("", exit.cause)
    if (members === undefined) return Effect.fail(new TaskCancelled({ reason: this.reasonText() }))
    return Effect.fail(new TaskFailed({ error: members.exceptions[0], cause: exit.cause }))
  }
  private reasonText(): string {
    if (this.cancelRequested) return explicitText(this.ex?.cancelBy, this.ex?.cancelMessage)
    return describeReason(this.cancelReason())
  }
  toString(): string {
    return `<TaskHandle ${this.status} name='${this.name}'>`
  }
}

export const exitState = (exit: Exit.Exit<unknown, unknown>): TaskHandleStatus =>
  exit._tag === "Success" ? "finished" : hasFailures(exit.cause) ? "failed" : "cancelled"

/**
 * What the caller of `start()` gets when the task ended before calling `started()` (AnyIO's
 * "Child exited without calling task_status.started()", in our API's names).
 */
export const exitBeforeStarted = (exit: Exit.Exit<unknown, unknown>): Effect.Effect<unknown, unknown> =>
  exit._tag === "Success"
    ? Effect.die(
        new RuntimeError({
          message: "the task ended without calling started() on the TaskStatus that start() passed it"
        })
      )
    : exit
