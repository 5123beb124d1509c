/**
 * A task group's machinery: the status of its scope, whose direct fibers are the host body and
 * every task (host.ts runs the protocol), its bookkeeping of exits and failures, spawning, and the
 * group's own cancellation rule: the first failure (of a task or the body) cancels the group; a
 * cancellation caused while one is being delivered waits until that delivery is over.
 *
 * Invariants: `tasks` counts the tasks forked and not ended, scheduled (not begun yet) or running
 * (the `first`..`last` list); `done` (the body ended and no task is left) stays true once true,
 * because a closed group accepts no new task; `exceptions` only grows.
 *
 * @internal
 */
import { type Cause, Context, Effect, Exit, type Fiber, Option, References } from "effect"
import type { CancelReason } from "../CancelScope.ts"
import { TaskTracing } from "../Debugging.ts"
import { InvalidArgumentError, RuntimeError } from "../Errors.ts"
import {
  type CancelledTask,
  Defect,
  ExceptionGroup,
  fromCause,
  isExceptionGroup,
  type Member
} from "../ExceptionGroup.ts"
import type { SpawnOptions, TaskGroup } from "../TaskGroup.ts"
import { Child, exitBeforeStarted, OUTSIDE, TaskStatusImpl } from "./child.ts"
import { Host } from "./host.ts"
import { withTaskAnnotation } from "./logAnnotation.ts"
import {
  beginHostWait,
  CancelScopeImpl,
  CurrentScope,
  cancel,
  cancelOnGroupExit,
  catches,
  describeReason,
  directContext,
  endHostWait,
  exit,
  failuresOnly,
  hasFailures,
  interruptFiber,
  interruptIfCancelled,
  receivesOuter,
  redeliver
} from "./scope.ts"
import { describeValue, isEffectValue, isSpawnOptions, resolveTask, taskEffect } from "./spawnArgs.ts"
import {
  addGroup,
  addPairToContext,
  addToContext,
  beginGroupWait,
  beginStartWait,
  CurrentTask,
  type GroupView,
  removeGroup,
  type TaskNode,
  taskOfFiber,
  type Wait
} from "./task.ts"
import { traced } from "./tracing.ts"
import { startBody } from "./trampoline.ts"

/**
 * The last task context made from its group's host context (`taskContext`), and that group's
 * `tracing`, which is then the context's own `TaskTracing`: the entries added for a task are not
 * that key. A task that opens a group in the context it began with (each level of a nested tree)
 * needs no lookup of the key (a miss on every map of the context before the default). Cleared once
 * read: it keeps no context alive for long.
 */
let tracingContext: Context.Context<never> | undefined
let tracingValue = false

/** `TaskTracing` of the fiber's context (see `tracingContext`). */
export const taskTracingOf = (fiber: AnyFiber): boolean => {
  const context = fiber.context
  if (context !== tracingContext) return Context.get(context, TaskTracing)
  tracingContext = undefined
  return tracingValue
}

/** The task `begin` forks, and its effect, until the fiber's first operation takes them. */
let beginningTask: Child | undefined
let beginningEffect: Effect.Effect<unknown, unknown, unknown> | undefined
/** Tasks whose fiber yielded before its first operation, and their effects (see `begin`). */
const deferredBegins = new WeakMap<Child, Effect.Effect<unknown, unknown, unknown>>()

const NOT_ACTIVE = "This task group is not active; no new tasks can be started."

type AnyFiber = Fiber.Fiber<unknown, unknown>

let nextGroupId = 0

// Bits of `Group.flags` (`CancelStatus.flags`, whose own bits are 1 and 2; host.ts has 32).
const TRACING = 4
const SCHEDULE_EACH = 8
/** A batch is scheduled (see `fork`). */
const BATCH = 16
/**
 * The body ended: `run` holds its exit. A bit rather than `Exit.isExit(run)`, a megamorphic `in`
 * check that `done` made several times per group.
 */
const BODY_DONE = 64
/** With `BODY_DONE`: the body, run on no fiber (`runSoonBody`), succeeded; `run` holds its value. */
const BODY_VALUE = 128

// Module state rather than fields of every group: a level of a nested tree that waits keeps none
// of it (each field of a group is 8 bytes retained per level).

/**
 * While a body function runs on a shared dispatcher (see `startDirect`): its group, and the last
 * `startSoon` effect made meanwhile with its function of the spawner.
 */
let collecting: Group | undefined
let soonEffect: unknown
let soonF: ((spawner: AnyFiber) => Child) | undefined

/**
 * `Group.taskContext`'s memo, for the group that spawned last: the spawner's context, the context
 * made from it for the scope, and whether the spawner is in the scope already. Dropped when the
 * group's body ends and when it closes, so that it never keeps a group or a context alive.
 */
let memoGroup: Group | undefined
let memoSpawner: Context.Context<never> | undefined
let memoScopeContext: Context.Context<never> | undefined
let memoInScope = false

const dropMemo = (group: Group): void => {
  if (memoGroup === group) memoGroup = memoSpawner = memoScopeContext = undefined
}

/**
 * A `startSoon` effect (an `Effect.withFiberSucceed`) that is never run, alive as long as the module:
 * `startDirect` and the task's start check every body's effect with `isEffectValue`, and their
 * optimized code embeds the map (hidden class) of that primitive. V8 keeps a map only while some
 * object has it, so a full collection at a moment when no `startSoon` effect was alive (between two
 * runs, a forced gc() between bench samples) freed it and deoptimized those functions ("embedded
 * weak objects cleared"); each run after it started them from the interpreter again (issue 13,
 * bench/probes/nest-gc.ts).
 */
export const soonEffectMapAnchor: unknown = Effect.withFiberSucceed(() => undefined)

/** Groups delivering a cancellation to their fibers, innermost last (see `interruptDirect`). */
const delivering: Array<Group> = []

type Failures = {
  exceptions: Array<Member<unknown>>
  causes: Array<Cause.Cause<unknown>>
  origins: Array<{ readonly name: string; readonly id: number }>
}

/** The rarely used state of a group: a level of a nested tree that waits retains none of it. */
class GroupExtra {
  failures: Failures | undefined = undefined
  /** Tasks the group cancelled (their reasons are read from their exits when a group is built). */
  cancelledTasks: Array<Child> | undefined = undefined
  /** A cancellation caused while one was being delivered (see `interruptDirect`). */
  deferredCancel: CancelReason | undefined = undefined
  boundStart: TaskGroup["start"] | undefined = undefined
  boundCreateTask: TaskGroup["createTask"] | undefined = undefined
  boundCancel: TaskGroup["cancel"] | undefined = undefined
  /** The group's name, if it was given one. */
  name: string | undefined = undefined
  /** The tasks of the scheduled batch after its first, as (task, context, effect) triples, flat. */
  batch: Array<Child | Context.Context<never> | Effect.Effect<unknown, unknown, unknown>> | undefined =
    undefined
}

export class Group extends Host<unknown, unknown> implements TaskGroup, GroupView, Wait {
  readonly id = ++nextGroupId
  /**
   * The user's body function until it is called, then the body's fiber while it runs, then its
   * exit, or the handle a body run on no fiber returned (`BODY_VALUE`: no Exit is made for it).
   * One field: a nested level retains no finished fiber, and each field is 8 bytes a level.
   */
  declare private run:
    | ((tg: TaskGroup) => unknown)
    | AnyFiber
    | Exit.Exit<unknown, unknown>
    | Child
    | undefined
  /**
   * Running tasks, as a list threaded through the tasks themselves (`prev`/`next`): no allocation
   * per task, O(1) removal.
   */
  first: Child | undefined = undefined
  last: Child | undefined = undefined
  /** Tasks started that have not ended: scheduled, or running (in the list). One count for both. */
  tasks = 0
  declare readonly hostTask: TaskNode
  /** The body's exit, once it ended. */
  get hostExit(): Exit.Exit<unknown, unknown> | undefined {
    const flags = this.flags
    if ((flags & BODY_DONE) === 0) return undefined
    return (flags & BODY_VALUE) !== 0 ? Exit.succeed(this.run) : (this.run as Exit.Exit<unknown, unknown>)
  }
  /** The body ended (`hostExit` is defined). */
  private get bodyDone(): boolean {
    return (this.flags & BODY_DONE) !== 0
  }
  /** What most groups never need, allocated on first use (see `GroupExtra`). */
  private x: GroupExtra | undefined = undefined
  private get extra(): GroupExtra {
    return (this.x ??= new GroupExtra())
  }
  /** The members of the group's ExceptionGroup, allocated with the first failure. */
  get failures(): Failures | undefined {
    return this.x?.failures
  }
  get name(): string | undefined {
    return this.x?.name
  }
  /** Tasks are traced (`TaskTracing`); set once, in `flags`. */
  private get tracing(): boolean {
    return (this.flags & TRACING) !== 0
  }
  /** Schedule each task on its own (see `ScheduleEachTask`) instead of in batches. */
  private get scheduleEach(): boolean {
    return (this.flags & SCHEDULE_EACH) !== 0
  }

  constructor(
    hostTask: TaskNode,
    name: string | undefined,
    tracing: boolean,
    scheduleEach: boolean,
    body: (tg: TaskGroup) => unknown
  ) {
    super(new CancelScopeImpl(Number.POSITIVE_INFINITY, false))
    this.flags |= (tracing ? TRACING : 0) | (scheduleEach ? SCHEDULE_EACH : 0)
    this.hostTask = hostTask
    if (name !== undefined) this.extra.name = name
    this.run = body
  }

  // The handle's methods work detached (`const { startSoon } = tg`), like Python's bound methods.
  // Each is bound on first use (most groups use one or two of them), not in the constructor;
  // `startSoon`'s is dropped when the body ends (a waiting level keeps no bound function).
  private boundStartSoon: TaskGroup["startSoon"] | undefined = undefined
  get startSoon(): TaskGroup["startSoon"] {
    return (this.boundStartSoon ??= this.startSoonImpl.bind(this) as TaskGroup["startSoon"])
  }
  /** Same as `startSoon`. */
  get spawn(): TaskGroup["spawn"] {
    return this.startSoon
  }
  get start(): TaskGroup["start"] {
    return (this.extra.boundStart ??= this.startImpl.bind(this) as TaskGroup["start"])
  }
  get createTask(): TaskGroup["createTask"] {
    return (this.extra.boundCreateTask ??= this.createTaskImpl.bind(this) as TaskGroup["createTask"])
  }
  get cancel(): TaskGroup["cancel"] {
    return (this.extra.boundCancel ??= (reason?: string) => this.cancelScope.cancel(reason))
  }

  // -------------------------------------------------------------------------------------------
  // The host protocol (host.ts)
  // -------------------------------------------------------------------------------------------

  /**
   * A body that is exactly one `tg.startSoon(...)` runs on no fiber of its own: what its fiber
   * would do (schedule the task, in the group's scope, and end with the handle, never suspending)
   * is done here, with the host's context as the spawner's (the task's context then gets the
   * group's scope and the task in one step, `taskContext`). Only on a shared dispatcher, where the
   * body's fiber would have scheduled on the host's own, so that the order is the same.
   */
  private runSoonBody(f: (spawner: AnyFiber) => Child, host: AnyFiber): void {
    let child: Child
    try {
      // The host itself as the spawner: `fork` reads only its context and dispatcher, which are
      // the ones wanted (no stand-in object per group).
      child = f(host)
    } catch (error) {
      // What the body's fiber would end with (Effect's run loop dies with a thrown error).
      this.onExit(undefined, Exit.die(error))
      return
    }
    // `onExit` of the body's success, which records nothing else.
    this.run = child
    this.flags |= BODY_DONE | BODY_VALUE
    this.bodyEnded()
    if (this.done) this.finished()
  }

  protected startDirect(host: AnyFiber): void {
    addGroup(this.hostTask, this)
    const body = this.run
    if (typeof body !== "function") {
      throw new InvalidArgumentError({
        message: `createTaskGroup: the body must be a function of the task group, got ${typeof body}`
      })
    }
    this.run = undefined
    // Shared dispatcher (the batching scheduler's): a body that is only `tg.startSoon(...)` may
    // run without a fiber of its own (below).
    const direct = !this.tracing && (host.currentDispatcher as unknown) === host.cache.scheduler
    // Saved for a body function that runs another group's body (an inner group's `startDirect`).
    const outer = collecting
    collecting = direct ? this : undefined
    let userBody: unknown
    let f: ((spawner: AnyFiber) => Child) | undefined
    let effect: unknown
    try {
      userBody = body(this)
    } finally {
      collecting = outer
      f = soonF
      effect = soonEffect
      soonF = soonEffect = undefined
    }
    if (!isEffectValue(userBody)) {
      throw new InvalidArgumentError({
        message: `createTaskGroup: the body must return an Effect, got ${typeof userBody}`
      })
    }
    if (f !== undefined && userBody === effect) {
      this.runSoonBody(f, host)
      return
    }
    const hostFiber = startBody(
      Effect.runForkWith(directContext(this, host)),
      Effect.withFiber((self) => {
        // Registered before the body runs, so a cancel() made during its synchronous start
        // reaches it (see `begin`).
        this.run = self
        return userBody as Effect.Effect<unknown, unknown>
      })
    )
    const exit = hostFiber.pollUnsafe()
    if (exit !== undefined) this.onExit(undefined, exit)
    else {
      hostFiber.addObserver((exit) => this.onExit(undefined, exit))
      // Level-triggered: entered inside an effectively cancelled scope, the body is cancelled
      // at its first suspension.
      interruptIfCancelled(this, hostFiber)
    }
  }

  /**
   * A group that is done at once still yields once on exit, without raising a cancellation
   * (AnyIO: leaving an empty task group is a cancel-shielded checkpoint). A cancellation that
   * reaches the host meanwhile (also one it made itself before entering, scheduled for its next
   * suspension) is held as while waiting on tasks (rule 3), then lands at the host's next
   * suspension after the group, not when the yield ends.
   */
  protected override settleAtOnce(): Effect.Effect<unknown, unknown> {
    return Effect.withFiber((host) => {
      beginHostWait(this, host, this.hostTask)
      return Effect.uninterruptible(
        Effect.flatMap(Effect.yieldNow, () => {
          const held = endHostWait(this, false)
          const settled = this.settle()
          return held === undefined || held === true ? settled : redeliver(held, settled)
        })
      )
    })
  }

  protected override get exitIsCheckpoint(): boolean {
    return true
  }

  // Listed in `hostTask.groups` from `startDirect` to `close`, around every wait of its host.
  protected override get hostTaskOfWait(): TaskNode {
    return this.hostTask
  }

  // The group is its host's `Wait` for it (task.ts `beginGroupWait`): no object per wait.
  task: TaskNode | undefined = undefined
  outerWait: Wait | undefined = undefined
  seq = 0
  ended = false
  /** The host's wait, for printouts (the group's own line, `describeGroup`, follows it). */
  describe(): string {
    return `child task group #${this.id}${this.name === undefined ? "" : ` '${this.name}'`}`
  }

  protected waiting(_host: AnyFiber, mark: number): void {
    // For printouts: the host waits for the group (ends in `removeGroup` when the group closes).
    beginGroupWait(this.hostTask, this, mark)
  }

  protected settleInterrupted(): Effect.Effect<void, unknown> {
    this.close()
    return this.failures !== undefined ? this.raise() : Effect.void
  }

  interruptDirect(by: CancelScopeImpl | undefined, annotations: Context.Context<never> | undefined): void {
    // Interrupting a parked fiber runs it at once, and a task that fails while being cancelled
    // would cancel the group from inside this loop; that cancellation waits until every fiber got
    // this one, so that each task is cancelled for the reason that reached the group first.
    delivering.push(this)
    try {
      // A snapshot: interrupting a fiber may end it (and others) at once. Tasks remember who
      // cancelled them in a field rather than in an annotation on every interruption (a cause
      // per task on a fan-out of thousands); with tracing on, the annotation is kept for spans.
      const children: Array<Child> = []
      for (let c = this.first; c !== undefined; c = c.next) children.push(c)
      const n = children.length
      const run = this.run
      if (run !== undefined && typeof run !== "function" && (this.flags & BODY_DONE) === 0)
        interruptFiber(run as AnyFiber, annotations)
      const taskAnnotations = this.tracing ? annotations : undefined
      const cancelledBy = by ?? OUTSIDE
      for (let i = 0; i < n; i++) {
        const child = children[i]!
        child.cancelledBy ??= cancelledBy
        // Undefined once the task ended within an earlier interruption of this loop (a no-op).
        const fiber = child.fiber
        if (fiber !== undefined) interruptFiber(fiber, taskAnnotations)
      }
    } finally {
      delivering.pop()
    }
    // An outer cancellation reaching the exit wait: AnyIO's group then cancels its own scope.
    if (by === undefined && this.bodyDone) this.cancelOnExit()
    const reason = this.x?.deferredCancel
    if (reason !== undefined && !this.isDelivering) {
      this.x!.deferredCancel = undefined
      cancel(this.cancelScope, reason)
    }
  }

  /** A cancellation is being delivered to every fiber (see onExit). */
  private get isDelivering(): boolean {
    return delivering.includes(this)
  }

  *children(): Iterable<TaskNode> {
    for (let c = this.first; c !== undefined; c = c.next) yield c
  }

  private link(child: Child): void {
    child.prev = this.last
    if (this.last === undefined) this.first = child
    else this.last.next = child
    this.last = child
  }

  private unlink(child: Child): void {
    const { prev, next } = child
    if (prev === undefined) this.first = next
    else prev.next = next
    if (next === undefined) this.last = prev
    else next.prev = prev
    child.prev = child.next = undefined
    this.tasks--
  }

  describeGroup(): string {
    const cancelled = this.cancelScope.cancelCalled
      ? `cancelled (${describeReason(this.cancelScope.reason)}), `
      : ""
    const body = this.bodyDone ? "body done" : "body running"
    return `${cancelled}${body}, waiting for ${this.tasks} task(s)`
  }

  get done(): boolean {
    return this.tasks === 0 && this.bodyDone
  }

  /**
   * Records a fiber's exit; the first failure cancels the group. Waiters (a `handle.wait`, the
   * caller of `start()`) are woken only after the bookkeeping: a woken fiber runs synchronously and
   * may finish the whole group before this returns.
   */
  onExit(child: Child | undefined, exit: Exit.Exit<unknown, unknown>) {
    if (child === undefined) {
      this.run = exit
      this.flags |= BODY_DONE
      this.bodyEnded()
    } else this.unlink(child)
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
      if (hasFailures(exit.cause)) {
        cancelGroup = this.failures === undefined && !this.cancelScope.cancelCalled
        const failures = (this.extra.failures ??= { exceptions: [], causes: [], origins: [] })
        const task = child ?? this.hostTask
        const members = fromCause("", exit.cause)!
        for (let i = 0; i < members.exceptions.length; i++) {
          failures.exceptions.push(members.exceptions[i]!)
          failures.causes.push(members.causes[i]!)
          failures.origins.push(task)
        }
      } else if (child !== undefined && !child.cancelRequested) {
        ;(this.extra.cancelledTasks ??= []).push(child)
      } else if (child === undefined) this.cancelOnExit()
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
      const reason: CancelReason = { _tag: "TaskFailed", task: name, error: this.failures!.exceptions[0] }
      if (this.isDelivering) this.extra.deferredCancel ??= reason
      else cancel(this.cancelScope, reason)
    }
    if (this.done) this.finished()
  }

  private bodyEnded(): void {
    // The body's context was the usual spawner; later spawns come from tasks (other contexts).
    dropMemo(this)
    this.boundStartSoon = undefined
  }

  /**
   * AnyIO's `__aexit__` cancels the group's own scope once its body ended in a cancellation or its
   * wait for the tasks was cancelled, so `tg.cancelScope.cancelCalled` reads true afterwards; the
   * outermost-catches rule still gives the cancellation to the scope it came from.
   */
  private cancelOnExit(): void {
    if (this.cancelScope.cancelCalled) return
    const reason: CancelReason = { _tag: "Explicit", message: undefined, by: this.hostTask.name }
    // Inside a delivery only an outside cancellation can be recorded at once (it delivers nothing).
    if (this.isDelivering && !receivesOuter(this)) this.extra.deferredCancel ??= reason
    else cancelOnGroupExit(this, reason)
  }

  /**
   * The context of `child` spawned from `spawner`: the spawner's, in this group's scope, with the
   * task in it. What is added for the scope is made once per spawner context (the body, or a task
   * spawning in a loop); only what differs is added: each entry deepens the context every nested
   * task inherits.
   */
  private taskContext(spawner: Context.Context<never>, child: Child): Context.Context<never> {
    if (memoGroup !== this || spawner !== memoSpawner) {
      memoGroup = this
      memoSpawner = spawner
      // The group's body already runs in the group's scope, with the annotation.
      const annotations = Context.get(spawner, References.CurrentLogAnnotations)
      const withTask = withTaskAnnotation(annotations)
      memoScopeContext =
        withTask === annotations ? spawner : Context.add(spawner, References.CurrentLogAnnotations, withTask)
      memoInScope = Context.get(spawner, CurrentScope) === this
    }
    const context = memoScopeContext!
    // A spawner outside the scope (a body run on no fiber of its own, `runSoonBody`): the scope
    // and the task in one record.
    const made = memoInScope
      ? addToContext(context, CurrentTask, child)
      : addPairToContext(context, CurrentScope, this, CurrentTask, child)
    // Without tracing the group was entered in the step that read `tracing` from the host's
    // context, so a spawner in that very context has that value (see `tracingContext`).
    if (spawner === this.hostContext && !this.tracing) {
      tracingContext = made
      tracingValue = false
    }
    return made
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
    if (this.cancelScope.exited) throw new RuntimeError({ message: NOT_ACTIVE })
    const child = new Child(this, name, status)
    if (status !== undefined) status.child = child
    // The task's identity lives in its fiber's context (which also carries the group's scope and
    // the log annotation naming the task), so that fibers forked inside it, by us or by plain
    // Effect.forkChild, belong to it too.
    const context = this.taskContext(spawner.context, child)
    this.tasks++
    if (this.scheduleEach) {
      spawner.currentDispatcher.scheduleTask(() => this.begin(child, context, effect), 0)
    } else {
      // Tasks started in one go begin in one scheduled step, in order (one closure and one
      // scheduler entry per batch, not per task). The first task rides in the closure; only a
      // batch of several makes an array, in `GroupExtra` (a nested level starts one task).
      if ((this.flags & BATCH) === 0) {
        this.flags |= BATCH
        spawner.currentDispatcher.scheduleTask(this.batchRunner(child, context, effect), 0)
      } else {
        const extra = this.extra
        if (extra.batch === undefined) extra.batch = [child, context, effect]
        else extra.batch.push(child, context, effect)
      }
    }
    return child
  }

  /**
   * The scheduler's callback for a batch, with its first task. Made here, not in `fork` (a closure
   * there shares `fork`'s closure context with the `scheduleEach` one), and not kept (a level
   * that waits retains no closure).
   */
  private batchRunner(
    child: Child,
    context: Context.Context<never>,
    effect: Effect.Effect<unknown, unknown, unknown>
  ): () => void {
    return () => this.runBatch(child, context, effect)
  }
  private runBatch(
    child: Child,
    context: Context.Context<never>,
    effect: Effect.Effect<unknown, unknown, unknown>
  ): void {
    // Taken before the first task begins: tasks started from now on form a new batch, as before.
    this.flags &= ~BATCH
    const x = this.x
    const rest = x?.batch
    if (rest !== undefined) x!.batch = undefined
    this.begin(child, context, effect)
    if (rest === undefined) return
    for (let i = 0; i < rest.length; i += 3) {
      this.begin(
        rest[i] as Child,
        rest[i + 1] as Context.Context<never>,
        rest[i + 2] as Effect.Effect<unknown, unknown, unknown>
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
    beginningTask = child
    beginningEffect = effect
    const fiber = Effect.runForkWith(context)(Group.registerTask)
    if (beginningTask === child) {
      // The fiber yielded before its first operation (a scheduler that yields at once): that
      // operation finds its effect here when it runs.
      deferredBegins.set(child, effect)
      beginningTask = beginningEffect = undefined
    }
    const exit = fiber.pollUnsafe()
    child.nameFromFn(context, fiber, exit)
    if (exit !== undefined) {
      this.onExit(child, exit)
      return
    }
    fiber.addObserver(child.onFiberExit.bind(child))
    // A task that begins in a cancelled group is cancelled at its first suspension, as in AnyIO.
    if (child.cancelRequested) interruptFiber(fiber, child.cancelAnnotations)
    else interruptIfCancelled(this, fiber)
  }

  /**
   * The first operation of every task's fiber: the task registers its own fiber, so that a
   * cancellation made while it still runs synchronously in `begin` reaches it at its next
   * operation, then runs its effect. One effect for every task, not a closure and an effect per
   * task: the task is the one in the fiber's context (`taskContext` put it there), its effect the
   * one `begin` left in `beginningEffect` just before forking it.
   */
  private static readonly registerTask: Effect.Effect<unknown, unknown> = Effect.withFiber((self) => {
    const child = Context.get(self.context, CurrentTask) as Child
    let effect: Effect.Effect<unknown, unknown, unknown>
    if (child === beginningTask) {
      effect = beginningEffect!
      beginningTask = beginningEffect = undefined
    } else {
      effect = deferredBegins.get(child)!
      deferredBegins.delete(child)
    }
    const group = child.group
    child.fiber = self
    group.link(child)
    return (group.tracing ? traced(effect, `task ${child.name}`, child.id) : effect) as Effect.Effect<
      unknown,
      unknown
    >
  })

  // The two first arguments as parameters and `arguments.length`, not a rest array: the common
  // calls (an effect and its options, or one function) allocate no array.
  private startSoonImpl(target?: unknown, second?: unknown): Effect.Effect<never, never, never> {
    // biome-ignore lint/complexity/noArguments: the count tells `startSoon(f)` from `startSoon(f, undefined)`
    const n = arguments.length
    // biome-ignore lint/complexity/noArguments: only the rare long calls copy their arguments
    const input: ReadonlyArray<unknown> | undefined = n > 2 ? Array.from(arguments) : undefined
    const f = (spawner: AnyFiber): Child => {
      if (input === undefined) {
        if (isEffectValue(target)) {
          // The common cases, without resolveTask's allocations.
          return this.fork(spawner, target, isSpawnOptions(second) ? second.name : undefined, undefined)
        }
        if (n === 1 && typeof target === "function") {
          const name = target.name || undefined
          return this.fork(spawner, taskEffect(target(), name), name, undefined)
        }
      }
      const args = input ?? (n === 0 ? [] : n === 1 ? [target] : [target, second])
      const { effect, name } = resolveTask(args, undefined)
      return this.fork(spawner, effect, name, undefined)
    }
    const effect = Effect.withFiberSucceed(f) as unknown as Effect.Effect<never>
    if (collecting === this) {
      soonEffect = effect
      soonF = f
    }
    return effect
  }

  private createTaskImpl(first: unknown, second?: unknown): Effect.Effect<never, never, never> {
    return Effect.withFiberSucceed((spawner) => {
      const optionsFirst = isSpawnOptions(first)
      const effect = optionsFirst ? second : first
      const options = (optionsFirst ? first : second) as SpawnOptions | undefined
      if (!Effect.isEffect(effect)) {
        throw new InvalidArgumentError({
          message: `createTask() expected an Effect, got ${describeValue(effect)}`
        })
      }
      return this.fork(spawner, effect, options?.name, undefined)
    }) as unknown as Effect.Effect<never>
  }

  private startImpl(...input: ReadonlyArray<unknown>): Effect.Effect<never, never, never> {
    return Effect.withFiber((caller) => {
      const status = new TaskStatusImpl(taskOfFiber(caller).id)
      status.caller = caller
      const { effect, name, options } = resolveTask(input, status)
      status.returnHandle = options?.returnHandle === true
      return Effect.callback<unknown, unknown>((resume) => {
        status.resume = resume
        const child = this.fork(caller, effect, name, status)
        // started() ran before the function returned its effect (a synchronous wrapper, as in
        // AnyIO's test_start_sync_wrapper): the caller is answered at once.
        if (!status.pending) {
          status.resume = undefined
          if (!status.called) return resume(exitBeforeStarted(child.exit!))
          child.startValue = status.value
          return resume(Effect.succeed(status.returnHandle ? child : status.value))
        }
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
              // A task that called started() meanwhile belongs to the group, which got its failure.
              const exit = child.exit!
              return !status.called && exit._tag === "Failure" && hasFailures(exit.cause)
                ? Effect.failCause(failuresOnly(exit.cause))
                : Effect.void
            }
          )
          // Effect merges a canceler's failure into the interruption; its type only admits `never`.
        }) as Effect.Effect<void>
      }) as Effect.Effect<never>
    })
  }

  /** The group's outcome once every fiber is done (see createTaskGroup). */
  protected settle(): Effect.Effect<unknown, unknown> {
    this.close()
    if (this.failures !== undefined) return this.raise()
    if ((this.flags & BODY_VALUE) !== 0) return Effect.succeed(Option.some(this.run))
    const hostExit = this.hostExit!
    // `Option`, as cancel scopes give: `None` when the group's own cancellation stopped the body.
    if (hostExit._tag === "Success") return Effect.succeed(Option.some(hostExit.value))
    if (catches(this)) {
      this.cancelScope.cancelledCaught = true
      return Effect.succeed(Option.none())
    }
    return hostExit
  }

  close(): void {
    dropMemo(this)
    exit(this)
    removeGroup(this.hostTask, this)
  }

  /**
   * Fails with the group, or dies with it when it holds defects only: a group whose tasks cannot
   * fail has `never` in its error channel, and defects die as everywhere in Effect.
   */
  private raise(): Effect.Effect<never, unknown> {
    return raiseGroup(this.exceptionGroup())
  }

  exceptionGroup(): ExceptionGroup<unknown> {
    // Each task keeps its own reason: the group's, or an enclosing scope's ("from outside").
    const cancelled: Array<CancelledTask> = (this.x?.cancelledTasks ?? []).map((child) => ({
      name: child.name,
      reason: describeReason(child.cancelReason())
    }))
    const failures = this.failures!
    return new ExceptionGroup("unhandled errors in a TaskGroup", failures.exceptions, {
      causes: failures.causes,
      cancelled,
      origins: failures.origins.map(({ name, id }) => ({ name, id })),
      groupName: this.name
    })
  }
}

/** Fails with `eg`, or dies with it when it holds defects only (see `GroupOfLeaves`). */
export const raiseGroup = (eg: ExceptionGroup<unknown>): Effect.Effect<never, ExceptionGroup<unknown>> =>
  hasTypedLeaf(eg) ? Effect.fail(eg) : Effect.die(eg)

/** Whether a group holds a typed failure (not only defects) at any depth. */
const hasTypedLeaf = (eg: ExceptionGroup<unknown>): boolean =>
  eg.exceptions.some((m) => (isExceptionGroup(m) ? hasTypedLeaf(m) : !(m instanceof Defect)))
