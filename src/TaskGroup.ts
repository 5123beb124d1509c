/**
 * Task groups (AnyIO's `create_task_group`, trio's nurseries) on Effect fibers.
 *
 * `async with create_task_group() as tg:` becomes `createTaskGroup((tg) => body)`: the body runs,
 * then the group waits for every child. The first failure (of a child or of the body) cancels the
 * group's scope, so the body and every sibling are cancelled; the group then fails with one
 * {@link ExceptionGroup} holding every failure.
 *
 * @since 0.1.0
 */
import {
  type Cause,
  Context,
  Data,
  Effect,
  type Exit,
  type Fiber,
  Fiber as FiberModule,
  References,
  Scheduler
} from "effect"
import { type CancelScope, CancelScopeImpl, checkReason } from "./CancelScope.ts"
import { RuntimeError } from "./Errors.ts"
import {
  type CancelledTask,
  type Defect,
  ExceptionGroup,
  type Leaves,
  type Member,
  membersOfCause
} from "./ExceptionGroup.ts"
import { schedulesEachTask } from "./internal/idle.ts"
import * as scope from "./internal/scope.ts"
import {
  addGroup,
  beginGroupWait,
  beginJoinWait,
  beginStartWait,
  CurrentTask,
  endWait,
  type GroupView,
  nextId,
  removeGroup,
  type TaskNode,
  taskOfFiber,
  type Wait,
  waitMark
} from "./internal/task.ts"
import { TaskTracing, traced } from "./internal/tracing.ts"
import { bounded, startBody } from "./internal/trampoline.ts"

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

declare const SpawnedTypeId: unique symbol

/**
 * A capability in the requirements channel that records the failure type `E` of a task started
 * into a task group. `createTaskGroup` collects these from its body's requirements into the type of
 * its {@link ExceptionGroup} and removes them, so nothing is left to provide. It exists only at the
 * type level.
 *
 * **Details**: because it is in the requirements channel, it flows through every effect that starts
 * tasks, including children that receive the group handle: their own `startSoon` calls show up in
 * the group's error type. An effect that still needs `Spawned<E>` cannot be run on its own
 * (`Effect.runPromise` requires `never`), which also stops a group handle from leaking out unseen.
 *
 * @category type-level
 */
export interface Spawned<out E> {
  readonly [SpawnedTypeId]: (_: never) => E
}

/** The failure types recorded by `Spawned` capabilities in `R`. */
export type SpawnedErrors<R> = R extends Spawned<infer E> ? E : never

/** `R` without the `Spawned` capabilities. */
export type WithoutSpawned<R> = Exclude<R, Spawned<unknown>>

/**
 * Options when starting a task.
 *
 * @category models
 */
export interface SpawnOptions {
  /** Task name, for introspection and error printouts. Default: the function's name. */
  readonly name?: string | undefined
}

/**
 * What `tg.start()` passes to the task as its last argument (AnyIO's `TaskStatus`). Call
 * `started(value)` once the task is ready: `start()` then returns `value`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type TaskStatus, sleepForever } from "effect-anyio"
 * const server = (port: number, status: TaskStatus<number>) =>
 *   Effect.gen(function* () {
 *     yield* status.started(port) // listening now
 *     yield* sleepForever()
 *   })
 * ```
 * @category models
 */
export interface TaskStatus<in V = void> {
  // biome-ignore lint/suspicious/noConfusingVoidType: `started()` takes no value exactly when V is void.
  started(...value: [V] extends [void] ? [value?: V] : [value: V]): Effect.Effect<void>
}

/**
 * A handle on a running task group (AnyIO's `TaskGroup`), passed to the body of
 * {@link createTaskGroup}.
 *
 * @category models
 */
export interface TaskGroup {
  /**
   * Starts a task in this group (AnyIO's `start_soon`): an effect, or a function and its
   * arguments that returns one. The task runs once the caller yields. Options (`{ name }`) may
   * follow the arguments. Returns the task's {@link TaskHandle} (as AnyIO 4.14 does).
   */
  startSoon<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  startSoon<Args extends ReadonlyArray<unknown>, A, E, R>(
    fn: (...args: Args) => Effect.Effect<A, E, R>,
    ...args: Args | [...Args, SpawnOptions]
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  /** Same as `startSoon` (the name the seed document uses). */
  spawn<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  spawn<Args extends ReadonlyArray<unknown>, A, E, R>(
    fn: (...args: Args) => Effect.Effect<A, E, R>,
    ...args: Args | [...Args, SpawnOptions]
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  /**
   * Starts a task and waits until it calls `taskStatus.started(value)` (AnyIO's `start`); returns
   * `value`. The task receives its `TaskStatus` as the last argument.
   *
   * - A failure before `started()` comes out of `start()` as it is (not wrapped) and does not
   *   cancel the group.
   * - Returning without calling `started()` dies with `RuntimeError`; `started()` twice too.
   * - Cancelling the caller of `start()` cancels the task, not the group.
   * - After `started()` the task belongs to the group: its failures go to the group.
   */
  start<Args extends ReadonlyArray<unknown>, V, A, E, R>(
    fn: (...args: [...Args, TaskStatus<V>]) => Effect.Effect<A, E, R>,
    ...args: Args | [...Args, SpawnOptions]
  ): Effect.Effect<V, E, R | Spawned<E>>
  /**
   * Starts a task and returns a handle on it (AnyIO 4.14's `create_task`): its status, its result,
   * cancelling it alone. Its failure still reaches the group (the group's rules do not change).
   */
  createTask<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  /** The group's cancel scope (deadline, shield, cancel). */
  readonly cancelScope: CancelScope
  /** Cancels the group's scope: the body and every task (AnyIO 4.14's `tg.cancel`). */
  cancel(reason?: string): Effect.Effect<void>
}

/**
 * The error a task group fails with, given its body's error `E` and requirements `R`.
 *
 * @category type-level
 */
export type TaskGroupError<E, R> = ExceptionGroup<Leaves<E | SpawnedErrors<R>>>

/**
 * The state of a task behind a {@link TaskHandle} (AnyIO's `TaskHandle.Status`).
 *
 * @category models
 */
export type TaskHandleStatus = "pending" | "cancelling" | "finished" | "cancelled" | "failed"

/**
 * Joining a task that failed (AnyIO's `TaskFailed`): `error` is the failure (a `Defect` for a
 * defect), `cause` the task's whole `Cause`.
 *
 * @category errors
 */
export class TaskFailed<E> extends Data.TaggedError("TaskFailed")<{
  readonly error: E | Defect
  readonly cause: Cause.Cause<unknown>
}> {
  override get message(): string {
    return "the task raised an exception"
  }
}

/**
 * Joining a task that was cancelled (AnyIO's `TaskCancelled`).
 *
 * @category errors
 */
export class TaskCancelled extends Data.TaggedError("TaskCancelled")<{ readonly reason: string }> {
  override get message(): string {
    return "the task was cancelled"
  }
}

/**
 * Reading the result of a task that has not finished (AnyIO's `TaskNotFinished`).
 *
 * @category errors
 */
export class TaskNotFinished extends Data.TaggedError("TaskNotFinished")<{}> {
  override get message(): string {
    return "the task has not finished yet"
  }
}

/**
 * A handle on a task started with `tg.createTask` (AnyIO 4.14's `TaskHandle`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup } from "effect-anyio"
 * const program = createTaskGroup((tg) =>
 *   Effect.gen(function* () {
 *     const handle = yield* tg.createTask(Effect.succeed(6))
 *     return yield* handle.join // 6
 *   })
 * )
 * ```
 * @category models
 */
export interface TaskHandle<A, E> {
  readonly id: number
  readonly name: string
  /** pending, cancelling, finished, cancelled or failed. */
  readonly status: TaskHandleStatus
  /** Cancels this task alone (no effect once it finished). */
  cancel(reason?: string): Effect.Effect<void>
  /** Waits until the task finished, however it ended. */
  readonly wait: Effect.Effect<void>
  /** Waits for the task; its value, or `TaskFailed` / `TaskCancelled`. */
  readonly join: Effect.Effect<A, TaskFailed<E> | TaskCancelled>
  /** Its value now (AnyIO's `return_value`). */
  readonly returnValue: Effect.Effect<A, TaskNotFinished | TaskFailed<E> | TaskCancelled>
  /** Its failure now, `undefined` if it succeeded (AnyIO's `exception`). */
  readonly exception: Effect.Effect<E | Defect | undefined, TaskNotFinished | TaskCancelled>
  /** The value given to `started()` when started with `start()`. */
  readonly startValue: unknown
  /** The task's `Exit` once it finished. */
  readonly exit: Exit.Exit<A, E> | undefined
}

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

const NOT_ACTIVE = "This task group is not active; no new tasks can be started."

type AnyFiber = Fiber.Fiber<unknown, unknown>

let nextGroupId = 0

/** `Child.cancelledBy` of a task cancelled from outside its group (an enclosing scope, a signal). */
const OUTSIDE: unique symbol = Symbol("effect-anyio/outside")

/** A pending `start()`: the child's exit goes to the caller until `started()` is called. */
class TaskStatusImpl implements TaskStatus<unknown> {
  pending = true
  resume: ((effect: Effect.Effect<unknown, unknown>) => void) | undefined = undefined
  /** Set by the caller's canceler: wakes it when the child is done. */
  onDone: (() => void) | undefined = undefined
  child: Child | undefined = undefined
  /** The caller of `start()`: the task's parent until `started()`. */
  readonly callerId: number
  constructor(callerId: number) {
    this.callerId = callerId
  }
  started(value?: unknown): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.pending) {
        return Effect.die(new RuntimeError({ message: "called 'started' twice on the same task status" }))
      }
      this.pending = false
      const child = this.child
      // From now on the task belongs to the group: its parent is the group's host (`parentId`).
      if (child !== undefined) child.startValue = value
      const resume = this.resume
      this.resume = undefined
      resume?.(Effect.succeed(value))
      return Effect.void
    })
  }
}

/** The rarely used state of a task (see `Child.x`). */
class ChildExtra {
  groups: Set<GroupView> | undefined = undefined
  waitingOn: Wait | undefined = undefined
  cancelAnnotations: Context.Context<never> | undefined = undefined
  cancelMessage: string | undefined = undefined
  waiters: Array<() => void> | undefined = undefined
  startValue: unknown = undefined
  /** Set for a task begun by `start()`. */
  taskStatus: TaskStatusImpl | undefined = undefined
  /** Who cancelled the task: a scope (its group's), or `OUTSIDE`; unset if nobody did. */
  cancelledBy: scope.ScopeNode | typeof OUTSIDE | undefined = undefined
}

/**
 * A task of a group: scheduled, then running in `fiber`. It is the task's identity (the current
 * task inside it) and its handle (what `startSoon`/`createTask` return), so spawning allocates one
 * object per task.
 */
class Child implements TaskNode, TaskHandle<unknown, unknown> {
  readonly id: number
  private readonly givenName: string | undefined
  fiber: AnyFiber | undefined = undefined
  exit: Exit.Exit<unknown, unknown> | undefined = undefined
  /** Cancel this task alone (the caller of `start()` was cancelled, or `handle.cancel()`). */
  cancelRequested = false
  readonly group: Group
  /** Links of the group's list of running tasks. */
  prev: Child | undefined = undefined
  next: Child | undefined = undefined
  /** What most tasks never need, allocated on first use (keeps a task small: see `ChildExtra`). */
  private x: ChildExtra | undefined = undefined
  private get extra(): ChildExtra {
    return (this.x ??= new ChildExtra())
  }
  get groups(): Set<GroupView> | undefined {
    return this.x?.groups
  }
  set groups(value: Set<GroupView> | undefined) {
    if (value !== undefined || this.x !== undefined) this.extra.groups = value
  }
  get waitingOn(): Wait | undefined {
    return this.x?.waitingOn
  }
  set waitingOn(value: Wait | undefined) {
    if (value !== undefined || this.x !== undefined) this.extra.waitingOn = value
  }
  get taskStatus(): TaskStatusImpl | undefined {
    return this.x?.taskStatus
  }
  /** A `start()` task's parent is its caller until `started()`, then the group's host. */
  get parentId(): number {
    const status = this.x?.taskStatus
    return status?.pending ? status.callerId : this.group.hostTask.id
  }
  get startValue(): unknown {
    return this.x?.startValue
  }
  set startValue(value: unknown) {
    this.extra.startValue = value
  }
  get cancelAnnotations(): Context.Context<never> | undefined {
    return this.x?.cancelAnnotations
  }
  get cancelledBy(): scope.ScopeNode | typeof OUTSIDE | undefined {
    return this.x?.cancelledBy
  }
  set cancelledBy(value: scope.ScopeNode | typeof OUTSIDE | undefined) {
    this.extra.cancelledBy = value
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
  state(): string {
    if (this.fiber === undefined && this.exit === undefined) return "scheduled"
    return this.status
  }
  get status(): TaskHandleStatus {
    const exit = this.exit
    if (exit === undefined) {
      return this.cancelRequested || scope.isEffectivelyCancelled(this.group.node) ? "cancelling" : "pending"
    }
    return exitState(exit)
  }
  /** Cancels this task alone. */
  cancelTask(annotations: Context.Context<never> | undefined): void {
    if (this.exit !== undefined || this.cancelRequested) return
    this.cancelRequested = true
    this.extra.cancelAnnotations = annotations
    this.fiber?.interruptUnsafe(undefined, annotations)
  }
  /** Why the task was cancelled: who cancelled it, else what its interruption says. */
  cancelReason(): scope.CancelReason | undefined {
    const by = this.cancelledBy
    if (by === OUTSIDE) return undefined
    if (by !== undefined) return by.reason
    return this.exit?._tag === "Failure" ? scope.reasonOfCause(this.exit.cause) : undefined
  }
  /** The fiber observer, bound to the task (a bound method is half the size of a closure). */
  onFiberExit(this: Child, exit: Exit.Exit<unknown, unknown>): void {
    this.group.onExit(this.fiber!, this, exit)
  }
  wakeWaiters(): void {
    const waiters = this.x?.waiters
    if (this.x !== undefined) this.x.waiters = undefined
    if (waiters !== undefined) for (const w of waiters) w()
  }
  cancel(reason?: string): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.exit !== undefined || this.cancelRequested) return
      this.extra.cancelMessage = checkReason(reason)
      this.cancelTask(undefined)
    })
  }
  get wait(): Effect.Effect<void> {
    return Effect.callback<void>((resume) => {
      if (this.exit !== undefined) return resume(Effect.void)
      const wait = beginJoinWait(this) // for printouts
      const waiter = () => {
        endWait(wait)
        resume(Effect.void)
      }
      ;(this.extra.waiters ??= []).push(waiter)
      return Effect.sync(() => {
        endWait(wait)
        const waiters = this.x?.waiters
        const i = waiters?.indexOf(waiter) ?? -1
        if (i >= 0) waiters!.splice(i, 1)
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
    const into: { exceptions: Array<Member<unknown>>; causes: Array<Cause.Cause<unknown>> } = {
      exceptions: [],
      causes: []
    }
    membersOfCause(exit.cause, into)
    if (into.exceptions.length === 0) return Effect.fail(new TaskCancelled({ reason: this.reasonText() }))
    return Effect.fail(new TaskFailed({ error: into.exceptions[0], cause: exit.cause }))
  }
  private reasonText(): string {
    if (this.cancelRequested) {
      const message = this.x?.cancelMessage
      return message === undefined ? "cancelled explicitly" : `cancelled explicitly: ${message}`
    }
    return scope.describeReason(this.cancelReason())
  }
  toString(): string {
    return `<TaskHandle ${this.status} name='${this.name}'>`
  }
}

const exitState = (exit: Exit.Exit<unknown, unknown>): TaskHandleStatus =>
  exit._tag === "Success" ? "finished" : scope.hasFailures(exit.cause) ? "failed" : "cancelled"

class Group implements TaskGroup, scope.FiberSink, GroupView {
  readonly id = ++nextGroupId
  /** The host body's fiber while it runs. */
  hostRunning: AnyFiber | undefined = undefined
  /**
   * Running tasks, as a list threaded through the tasks themselves (`prev`/`next`): no allocation
   * per task, O(1) removal.
   */
  first: Child | undefined = undefined
  last: Child | undefined = undefined
  running = 0
  /** Tasks started that have not begun running yet. */
  scheduled = 0
  readonly node: CancelScopeImpl
  readonly hostTask: TaskNode
  readonly name: string | undefined
  readonly tracing: boolean
  hostFiber: AnyFiber | undefined = undefined
  hostExit: Exit.Exit<unknown, unknown> | undefined = undefined
  exceptions: Array<Member<unknown>> = []
  causes: Array<Cause.Cause<unknown>> = []
  /** Tasks the group cancelled (their reasons are read from their exits when a group is built). */
  cancelledTasks: Array<Child> | undefined = undefined
  waiter: (() => void) | undefined = undefined
  private lastSpawnerContext: Context.Context<never> | undefined = undefined
  private lastScopeContext: Context.Context<never> | undefined = undefined

  /** Schedule each task on its own (see `ScheduleEachTask`) instead of in batches. */
  readonly scheduleEach: boolean

  constructor(
    node: CancelScopeImpl,
    hostTask: TaskNode,
    name: string | undefined,
    tracing: boolean,
    scheduleEach: boolean
  ) {
    this.scheduleEach = scheduleEach
    this.node = node
    this.hostTask = hostTask
    this.name = name
    this.tracing = tracing
    node.group = this
    // The handle's methods work detached (`const { startSoon } = tg`), like Python's bound methods.
    this.startSoon = this.startSoon.bind(this)
    this.spawn = this.spawn.bind(this)
    this.start = this.start.bind(this)
    this.createTask = this.createTask.bind(this)
    this.cancel = this.cancel.bind(this)
  }

  get cancelScope(): CancelScope {
    return this.node
  }

  cancel(reason?: string): Effect.Effect<void> {
    return this.node.cancel(reason)
  }

  /** Set while a cancellation is being delivered to every fiber (see onExit). */
  private delivering = 0
  private deferredCancel: scope.CancelReason | undefined = undefined

  interruptAll(by: scope.ScopeNode | undefined, annotations: Context.Context<never> | undefined): void {
    // Interrupting a parked fiber runs it at once, and a task that fails while being cancelled
    // would cancel the group from inside this loop; that cancellation waits until every fiber got
    // this one, so that each task is cancelled for the reason that reached the group first.
    this.delivering++
    try {
      // A snapshot: interrupting a fiber may end it (and others) at once. Tasks remember who
      // cancelled them in a field rather than in an annotation on every interruption (a cause
      // per task on a fan-out of thousands); with tracing on, the annotation is kept for spans.
      const children: Array<Child> = []
      for (let c = this.first; c !== undefined; c = c.next) children.push(c)
      this.hostRunning?.interruptUnsafe(undefined, annotations)
      const taskAnnotations = this.tracing ? annotations : undefined
      for (const child of children) {
        child.cancelledBy ??= by ?? OUTSIDE
        child.fiber!.interruptUnsafe(undefined, taskAnnotations)
      }
    } finally {
      this.delivering--
    }
    const reason = this.deferredCancel
    if (reason !== undefined && this.delivering === 0) {
      this.deferredCancel = undefined
      scope.cancel(this.node, reason)
    }
  }

  *children(): Iterable<TaskNode> {
    for (let c = this.first; c !== undefined; c = c.next) yield c
  }

  private link(child: Child): void {
    child.prev = this.last
    if (this.last === undefined) this.first = child
    else this.last.next = child
    this.last = child
    this.running++
  }

  private unlink(child: Child): void {
    const { prev, next } = child
    if (prev === undefined) this.first = next
    else prev.next = next
    if (next === undefined) this.last = prev
    else next.prev = prev
    child.prev = child.next = undefined
    this.running--
  }

  describe(): string {
    const cancelled = this.node.cancelCalled ? `cancelled (${scope.describeReason(this.node.reason)}), ` : ""
    const body = this.hostExit === undefined ? "body running" : "body done"
    const tasks = this.running + this.scheduled
    return `${cancelled}${body}, waiting for ${tasks} task(s)`
  }

  get done(): boolean {
    return this.hostExit !== undefined && this.running === 0 && this.scheduled === 0
  }

  /**
   * Records a fiber's exit; the first failure cancels the group. Waiters (a `handle.wait`, the
   * caller of `start()`) are woken only after the bookkeeping: a woken fiber runs synchronously and
   * may finish the whole group before this returns.
   */
  onExit(fiber: AnyFiber, child: Child | undefined, exit: Exit.Exit<unknown, unknown>) {
    if (child === undefined) this.hostRunning = undefined
    else this.unlink(child)
    if (fiber === this.hostFiber) this.hostExit = exit
    const status = child?.taskStatus
    let resumeStarter: ((effect: Effect.Effect<unknown, unknown>) => void) | undefined
    if (child !== undefined) child.exit = exit
    let cancelGroup = false
    if (status?.pending) {
      // Not started yet: the exit belongs to the caller of start(), not to the group.
      status.pending = false
      resumeStarter = status.resume
      status.resume = undefined
    } else if (exit._tag === "Failure") {
      if (scope.hasFailures(exit.cause)) {
        cancelGroup = this.exceptions.length === 0 && !this.node.cancelCalled
        membersOfCause(exit.cause, this)
      } else if (child !== undefined && !child.cancelRequested) {
        ;(this.cancelledTasks ??= []).push(child)
      }
    }
    // Wake whoever waits on this task first (a joiner sees the task's own outcome, as in AnyIO),
    // then cancel the group for its first failure.
    if (child !== undefined) {
      child.wakeWaiters()
      if (status !== undefined) {
        resumeStarter?.(exitBeforeStarted(exit))
        status.onDone?.()
      }
    }
    if (cancelGroup) {
      const name = child === undefined ? `${this.hostTask.name} (group body)` : child.name
      const reason: scope.CancelReason = { _tag: "TaskFailed", task: name, error: this.exceptions[0] }
      if (this.delivering > 0) this.deferredCancel ??= reason
      else scope.cancel(this.node, reason)
    }
    if (this.waiter !== undefined && this.done) {
      const waiter = this.waiter
      this.waiter = undefined
      waiter()
    }
  }

  /** The context of a task spawned from `spawner`: the spawner's, in this group's scope. */
  private scopeContext(spawner: Context.Context<never>): Context.Context<never> {
    if (spawner !== this.lastSpawnerContext) {
      this.lastSpawnerContext = spawner
      // Only what differs is added (the group's body already runs in the group's scope, with the
      // annotation): each entry deepens the context every nested task inherits.
      let context = spawner
      if (Context.get(spawner, scope.CurrentScope) !== this.node) {
        context = Context.add(context, scope.CurrentScope, this.node)
      }
      const annotations = Context.get(spawner, References.CurrentLogAnnotations)
      const withTask = withTaskAnnotation(annotations)
      if (withTask !== annotations) context = Context.add(context, References.CurrentLogAnnotations, withTask)
      this.lastScopeContext = context
    }
    return this.lastScopeContext!
  }

  /**
   * Schedules a task in this group (AnyIO's start_soon: it begins once the spawner yields).
   * Throws RuntimeError when the group is closed.
   */
  fork(
    spawner: AnyFiber,
    effect: Effect.Effect<unknown, unknown, unknown>,
    name: string | undefined,
    status: TaskStatusImpl | undefined
  ): Child {
    if (this.node.exited) throw new RuntimeError({ message: NOT_ACTIVE })
    const child = new Child(this, name, status)
    if (status !== undefined) status.child = child
    // The task's identity lives in its fiber's context (which also carries the group's scope and
    // the log annotation naming the task), so that fibers forked inside it, by us or by plain
    // Effect.forkChild, belong to it too.
    const context = Context.add(this.scopeContext(spawner.context), CurrentTask, child)
    this.scheduled++
    if (this.scheduleEach) {
      spawner.currentDispatcher.scheduleTask(() => this.begin(child, context, effect), 0)
    } else {
      // Tasks started in one go begin in one scheduled step, in order (one closure and one
      // scheduler entry per batch, not per task).
      if (this.batch.length === 0) spawner.currentDispatcher.scheduleTask(this.beginBatch, 0)
      this.batch.push(child, context, effect)
    }
    return child
  }

  /** Tasks waiting to begin: (task, context, effect) triples, flat. */
  private batch: Array<Child | Context.Context<never> | Effect.Effect<unknown, unknown, unknown>> = []
  private readonly beginBatch = (): void => {
    const batch = this.batch
    this.batch = []
    for (let i = 0; i < batch.length; i += 3) {
      this.begin(
        batch[i] as Child,
        batch[i + 1] as Context.Context<never>,
        batch[i + 2] as Effect.Effect<unknown, unknown, unknown>
      )
    }
  }

  /**
   * Runs a scheduled task up to its first suspension. A task that begins in a cancelled group is
   * cancelled there, at its first checkpoint, as in AnyIO (so a task that fails before its first
   * checkpoint still reports its failure).
   */
  private begin(
    child: Child,
    context: Context.Context<never>,
    effect: Effect.Effect<unknown, unknown, unknown>
  ) {
    const fiber = Effect.runForkWith(context)(
      // The task registers its own fiber as its first operation, so that a cancellation made while
      // it still runs synchronously below reaches it at its next operation.
      Effect.withFiber((self) => {
        child.fiber = self
        this.link(child)
        this.scheduled--
        return (this.tracing ? traced(effect, `task ${child.name}`, child.id) : effect) as Effect.Effect<
          unknown,
          unknown
        >
      })
    )
    const exit = fiber.pollUnsafe()
    if (exit !== undefined) {
      this.onExit(fiber, child, exit)
      return
    }
    fiber.addObserver(child.onFiberExit.bind(child))
    // A task that begins in a cancelled group is cancelled at its first suspension, as in AnyIO.
    if (child.cancelRequested) fiber.interruptUnsafe(undefined, child.cancelAnnotations)
    else scope.interruptIfCancelledOnEntry(this.node, fiber)
  }

  startSoon(...input: ReadonlyArray<unknown>): Effect.Effect<never, never, never> {
    return Effect.withFiber((spawner) => {
      const target = input[0]
      let child: Child
      if (Effect.isEffect(target) && input.length <= 2) {
        // The common case, without resolveTask's allocations.
        const options = input[1]
        child = this.fork(spawner, target, isSpawnOptions(options) ? options.name : undefined, undefined)
      } else {
        const { effect, name } = resolveTask(input, undefined)
        child = this.fork(spawner, effect, name, undefined)
      }
      return Effect.succeed(child) as unknown as Effect.Effect<never>
    })
  }

  spawn(...input: ReadonlyArray<unknown>): Effect.Effect<never, never, never> {
    return this.startSoon(...input)
  }

  createTask(effect: unknown, options?: SpawnOptions): Effect.Effect<never, never, never> {
    return Effect.withFiber((spawner) => {
      if (!Effect.isEffect(effect)) {
        throw new TypeError(`createTask() expected an Effect, got ${describeValue(effect)}`)
      }
      return Effect.succeed(
        this.fork(spawner, effect, options?.name, undefined)
      ) as unknown as Effect.Effect<never>
    })
  }

  start(...input: ReadonlyArray<unknown>): Effect.Effect<never, never, never> {
    return Effect.withFiber((caller) => {
      const status = new TaskStatusImpl(taskOfFiber(caller).id)
      const { effect, name } = resolveTask(input, status)
      return Effect.callback<unknown, unknown>((resume) => {
        status.resume = resume
        const child = this.fork(caller, effect, name, status)
        // For printouts: the caller waits until started() or the task's end (`resume` ends the wait).
        status.resume = beginStartWait(taskOfFiber(caller), child, resume)
        // The caller was cancelled first: cancel the task (not the group) and wait for it.
        return Effect.suspend(() => {
          if (!status.pending) return Effect.void
          child.cancelTask(undefined)
          return Effect.flatMap(
            Effect.callback<void>((wake) => {
              if (child.exit !== undefined) return wake(Effect.void)
              status.onDone = () => wake(Effect.void)
            }),
            () => {
              const exit = child.exit!
              return exit._tag === "Failure" && scope.hasFailures(exit.cause)
                ? Effect.failCause(scope.failuresOnly(exit.cause))
                : Effect.void
            }
          )
          // Effect merges a canceler's failure into the interruption; its type only admits `never`.
        }) as Effect.Effect<void>
      }) as Effect.Effect<never>
    })
  }

  /** The group's outcome once every fiber is done (see createTaskGroup). */
  settle(): Effect.Effect<unknown, unknown> {
    this.close()
    if (this.exceptions.length > 0) return Effect.fail(this.exceptionGroup())
    const hostExit = this.hostExit!
    if (hostExit._tag === "Success") return hostExit
    if (scope.catches(this.node)) {
      this.node.cancelledCaught = true
      return Effect.void
    }
    return hostExit
  }

  close(): void {
    scope.exit(this.node)
    removeGroup(this.hostTask, this)
  }

  exceptionGroup(): ExceptionGroup<unknown> {
    // Each task keeps its own reason: the group's, or an enclosing scope's ("from outside").
    const cancelled: Array<CancelledTask> = (this.cancelledTasks ?? []).map((child) => ({
      name: child.name,
      reason: scope.describeReason(child.cancelReason())
    }))
    return new ExceptionGroup("unhandled errors in a TaskGroup", this.exceptions, {
      causes: this.causes,
      cancelled
    })
  }
}

/**
 * Log annotations whose `task` entry is the name of the task that logs. One object per group and
 * spawner context, not per task: the entry is a getter that reads the current fiber's task when a
 * log line is written (a per-task annotations object would cost every spawn an allocation and two
 * context entries).
 */
const withTaskAnnotation = (parent: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
  if (Object.getOwnPropertyDescriptor(parent, "task")?.get === currentTaskName) return parent
  const annotations: Record<string, unknown> = { ...parent }
  Object.defineProperty(annotations, "task", { enumerable: true, configurable: true, get: currentTaskName })
  // Printed by the default logger through util.inspect: show values, not "[Getter]".
  Object.defineProperty(annotations, Symbol.for("nodejs.util.inspect.custom"), {
    enumerable: false,
    value(this: Record<string, unknown>) {
      return { ...this }
    }
  })
  return annotations
}

function currentTaskName(): string | undefined {
  const fiber = FiberModule.getCurrent()
  return fiber === undefined ? undefined : taskOfFiber(fiber).name
}

const describeValue = (u: unknown): string =>
  u === null ? "null" : typeof u === "function" ? `a function (${u.name || "anonymous"})` : typeof u

const exitBeforeStarted = (exit: Exit.Exit<unknown, unknown>): Effect.Effect<unknown, unknown> =>
  exit._tag === "Success"
    ? Effect.die(new RuntimeError({ message: "Child exited without calling task_status.started()" }))
    : exit

const isSpawnOptions = (u: unknown): u is SpawnOptions => {
  if (
    typeof u !== "object" ||
    u === null ||
    Effect.isEffect(u) ||
    Object.getPrototypeOf(u) !== Object.prototype
  ) {
    return false
  }
  for (const key in u) if (key !== "name") return false
  return true
}

/**
 * Turns `startSoon`/`start` arguments into an effect and a name. Follows AnyIO: the function is
 * called by the spawner; a function that does not return an Effect is a TypeError (a defect).
 */
const resolveTask = (
  input: ReadonlyArray<unknown>,
  status: TaskStatusImpl | undefined
): { effect: Effect.Effect<unknown, unknown, unknown>; name: string | undefined } => {
  const target = input[0]
  let rest = input.slice(1)
  let options: SpawnOptions | undefined
  if (Effect.isEffect(target)) {
    if (status !== undefined) throw new TypeError("start() takes a function that receives the task status")
    options = isSpawnOptions(rest[0]) ? rest[0] : undefined
    return { effect: target, name: options?.name }
  }
  if (typeof target !== "function") {
    throw new TypeError(`startSoon() expects an Effect or a function returning one, got ${typeof target}`)
  }
  if (
    rest.length > 0 &&
    rest.length > target.length - (status ? 1 : 0) &&
    isSpawnOptions(rest[rest.length - 1])
  ) {
    options = rest[rest.length - 1] as SpawnOptions
    rest = rest.slice(0, -1)
  }
  if (status !== undefined) rest.push(status)
  const effect: unknown = target(...rest)
  const name = options?.name ?? (target.name || undefined)
  if (!Effect.isEffect(effect)) {
    throw new TypeError(
      `${name ?? "the task function"} returned ${effect === null ? "null" : typeof effect}, not an Effect`
    )
  }
  return { effect, name }
}

/**
 * Runs `body` with a new task group and waits for every task started in it (AnyIO's
 * `async with create_task_group() as tg:`).
 *
 * **When to use**: whenever work runs concurrently. The group guarantees that no task outlives it
 * and that no failure is lost.
 *
 * **Details**
 *
 * - Succeeds with the body's value once every task finished. If the group's own scope was
 *   cancelled (`tg.cancel()`, its deadline) before the body returned, it succeeds with `undefined`.
 * - The first failure (a task's or the body's) cancels the body and every other task; the group
 *   waits for all of them, then fails with one `ExceptionGroup` holding every failure, even when
 *   there is only one. Cancellations are never members; a nested group's `ExceptionGroup` is a
 *   nested member.
 * - Cancelled from outside with no failures, it propagates the cancellation (an interruption), not
 *   an `ExceptionGroup`.
 * - Tasks finish before the code after the group (and before the caller's finalizers) runs: if
 *   the caller is cancelled while the group waits, it keeps waiting until every task finished.
 * - The error type is inferred from the tasks started in it (see {@link Spawned}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup, sleep } from "effect-anyio"
 *
 * const sometask = (num: number) =>
 *   Effect.gen(function* () {
 *     console.log("Task", num, "running")
 *     yield* sleep(1)
 *     console.log("Task", num, "finished")
 *   })
 *
 * const main = Effect.gen(function* () {
 *   yield* createTaskGroup((tg) =>
 *     Effect.gen(function* () {
 *       for (let num = 0; num < 5; num++) yield* tg.startSoon(sometask, num)
 *     })
 *   )
 *   console.log("All tasks finished!")
 * })
 * ```
 * @category constructors
 */
export const createTaskGroup = <A, E = never, R = never>(
  body: (tg: TaskGroup) => Effect.Effect<A, E, R>,
  options?: { readonly name?: string | undefined }
): Effect.Effect<A | undefined, TaskGroupError<E, R>, WithoutSpawned<R>> =>
  Effect.withFiber((fiber) => {
    const group = runGroup(body, options?.name)
    return (
      fiber.getRef(TaskTracing)
        ? traced(group, `task group${options?.name ? ` ${options.name}` : ""}`, nextGroupId + 1)
        : group
    ) as Effect.Effect<A | undefined, TaskGroupError<E, R>, never>
  })

const runGroup = <A, E, R>(
  body: (tg: TaskGroup) => Effect.Effect<A, E, R>,
  name: string | undefined
): Effect.Effect<unknown, unknown> =>
  Effect.withFiber((host) =>
    // Forking the body and registering the wait happen in one step of the host (inside
    // `callback`), so an interruption of the host can never orphan the body.
    Effect.callback<unknown, unknown>((resume) => {
      const node = new CancelScopeImpl(Number.POSITIVE_INFINITY, false)
      const hostTask = taskOfFiber(host)
      const group = new Group(
        node,
        hostTask,
        name,
        host.getRef(TaskTracing),
        schedulesEachTask(host.getRef(Scheduler.Scheduler))
      )
      addGroup(hostTask, group)
      const context = scope.enter(node, host)
      if (typeof body !== "function") {
        throw new TypeError(
          `createTaskGroup: the body must be a function of the task group, got ${typeof body}`
        )
      }
      const userBody: unknown = body(group)
      if (!Effect.isEffect(userBody)) {
        throw new TypeError(`createTaskGroup: the body must return an Effect, got ${typeof userBody}`)
      }
      const mark = waitMark()
      const hostFiber = startBody(
        Effect.runForkWith(context),
        Effect.withFiber((self) => {
          // Registered before the body runs, so a cancel() made during its synchronous start
          // reaches it (see Group.begin).
          group.hostFiber = self
          group.hostRunning = self
          return userBody as Effect.Effect<A, E>
        })
      )
      group.hostFiber = hostFiber
      const exit = hostFiber.pollUnsafe()
      if (exit !== undefined) group.onExit(hostFiber, undefined, exit)
      else {
        hostFiber.addObserver((exit) => group.onExit(hostFiber, undefined, exit))
        // Level-triggered: entered inside an effectively cancelled scope, the body is cancelled
        // at its first suspension.
        scope.interruptIfCancelledOnEntry(node, hostFiber)
      }
      // A group that is done at once still yields once on exit, without raising a cancellation
      // (AnyIO: leaving an empty task group is a cancel-shielded checkpoint).
      if (group.done) return resume(Effect.uninterruptible(Effect.andThen(Effect.yieldNow, group.settle())))
      group.waiter = () => bounded(() => resume(group.settle()))
      // For printouts: the host waits for the group (ends in `removeGroup` when the group closes).
      beginGroupWait(hostTask, group, mark)
      return onHostCancelled(group)
    })
  )

/**
 * The host was cancelled while waiting: forward, keep waiting until every task finished, then let
 * the failures join the host's interruption (Effect merges a canceler's failure into the
 * interruption; the canceler's type only admits `never`).
 */
const onHostCancelled = (group: Group): Effect.Effect<void> =>
  Effect.suspend(() => {
    group.waiter = undefined
    scope.onOuterCancel(group.node)
    return Effect.flatMap(
      Effect.callback<void>((resume) => {
        if (group.done) return resume(Effect.void)
        group.waiter = () => bounded(() => resume(Effect.void))
      }),
      () => {
        group.close()
        return group.exceptions.length > 0 ? Effect.fail(group.exceptionGroup()) : Effect.void
      }
    )
  }) as Effect.Effect<void>

/**
 * A `TaskStatus` whose `started()` does nothing (AnyIO's `TASK_STATUS_IGNORED`), for calling a
 * function written for `tg.start()` in other ways.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type TaskStatus, taskStatusIgnored } from "effect-anyio"
 * const server = (status: TaskStatus) => status.started()
 * const direct = server(taskStatusIgnored)
 * ```
 * @category constructors
 */
export const taskStatusIgnored: TaskStatus<unknown> = { started: () => Effect.void }
