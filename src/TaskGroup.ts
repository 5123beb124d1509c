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
import { type Cause, Context, Effect, type Exit, type Fiber } from "effect"
import { type CancelScope, CancelScopeImpl } from "./CancelScope.ts"
import { RuntimeError } from "./Errors.ts"
import {
  type CancelledTask,
  ExceptionGroup,
  type Leaves,
  type Member,
  membersOfCause
} from "./ExceptionGroup.ts"
import * as scope from "./internal/scope.ts"
import { CurrentTask, makeTask, type TaskNode, taskOfFiber } from "./internal/task.ts"

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
   * follow the arguments.
   */
  startSoon<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<void, never, R | Spawned<E>>
  startSoon<Args extends ReadonlyArray<unknown>, A, E, R>(
    fn: (...args: Args) => Effect.Effect<A, E, R>,
    ...args: Args | [...Args, SpawnOptions]
  ): Effect.Effect<void, never, R | Spawned<E>>
  /** Same as `startSoon` (the name the seed document uses). */
  spawn<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<void, never, R | Spawned<E>>
  spawn<Args extends ReadonlyArray<unknown>, A, E, R>(
    fn: (...args: Args) => Effect.Effect<A, E, R>,
    ...args: Args | [...Args, SpawnOptions]
  ): Effect.Effect<void, never, R | Spawned<E>>
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

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

const NOT_ACTIVE = "This task group is not active; no new tasks can be started."

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** A pending `start()`: the child's exit goes to the caller until `started()` is called. */
class TaskStatusImpl implements TaskStatus<unknown> {
  pending = true
  resume: ((effect: Effect.Effect<unknown, unknown>) => void) | undefined = undefined
  /** Set by the caller's canceler: wakes it when the child is done. */
  onDone: (() => void) | undefined = undefined
  child: Child | undefined = undefined
  started(value?: unknown): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.pending) {
        return Effect.die(new RuntimeError({ message: "called 'started' twice on the same task status" }))
      }
      this.pending = false
      const resume = this.resume
      this.resume = undefined
      resume?.(Effect.succeed(value))
      return Effect.void
    })
  }
}

/** A task of the group: scheduled, then running in `fiber`. */
class Child {
  fiber: AnyFiber | undefined = undefined
  exit: Exit.Exit<unknown, unknown> | undefined = undefined
  /** Cancel this task alone (the caller of `start()` was cancelled). */
  cancelRequested = false
  readonly task: TaskNode
  readonly status: TaskStatusImpl | undefined
  constructor(task: TaskNode, status: TaskStatusImpl | undefined) {
    this.task = task
    this.status = status
  }
}

class Group implements TaskGroup, scope.FiberSink {
  readonly fibers = new Set<AnyFiber>()
  /** Tasks started with startSoon/start that have not begun running yet. */
  scheduled = 0
  readonly node: CancelScopeImpl
  readonly hostTask: TaskNode
  hostFiber: AnyFiber | undefined = undefined
  hostExit: Exit.Exit<unknown, unknown> | undefined = undefined
  exceptions: Array<Member<unknown>> = []
  causes: Array<Cause.Cause<unknown>> = []
  cancelledTasks: Array<TaskNode> | undefined = undefined
  waiter: (() => void) | undefined = undefined
  private lastSpawnerContext: Context.Context<never> | undefined = undefined
  private lastScopeContext: Context.Context<never> | undefined = undefined

  readonly name: string | undefined

  constructor(node: CancelScopeImpl, hostTask: TaskNode, name: string | undefined) {
    this.node = node
    this.hostTask = hostTask
    this.name = name
    node.group = this
  }

  get cancelScope(): CancelScope {
    return this.node
  }

  cancel(reason?: string): Effect.Effect<void> {
    return this.node.cancel(reason)
  }

  get done(): boolean {
    return this.hostExit !== undefined && this.fibers.size === 0 && this.scheduled === 0
  }

  /** Records a fiber's exit; the first failure cancels the group. */
  onExit(
    fiber: AnyFiber,
    task: TaskNode,
    exit: Exit.Exit<unknown, unknown>,
    status: TaskStatusImpl | undefined
  ) {
    this.fibers.delete(fiber)
    if (status !== undefined && status.child !== undefined) status.child.exit = exit
    if (status?.pending) {
      // Not started yet: the exit belongs to the caller of start(), not to the group.
      status.pending = false
      const resume = status.resume
      status.resume = undefined
      resume?.(exitBeforeStarted(exit))
      status.onDone?.()
    } else if (exit._tag === "Failure") {
      if (scope.hasFailures(exit.cause)) {
        const first = this.exceptions.length === 0
        membersOfCause(exit.cause, this)
        if (first && !this.node.cancelCalled) {
          scope.cancel(this.node, { _tag: "TaskFailed", task: task.name, error: this.exceptions[0] })
        }
      } else {
        ;(this.cancelledTasks ??= []).push(task)
      }
    }
    if (fiber === this.hostFiber) this.hostExit = exit
    if (this.waiter !== undefined && this.done) {
      const waiter = this.waiter
      this.waiter = undefined
      waiter()
    }
  }

  /** The context of a task spawned from `spawner`: the spawner's, in this group's scope. */
  scopeContext(spawner: Context.Context<never>): Context.Context<never> {
    if (spawner !== this.lastSpawnerContext) {
      this.lastSpawnerContext = spawner
      this.lastScopeContext = Context.add(spawner, scope.CurrentScope, this.node)
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
    const child = new Child(makeTask(name, this.hostTask.id), status)
    if (status !== undefined) status.child = child
    const context = this.scopeContext(spawner.context)
    this.scheduled++
    spawner.currentDispatcher.scheduleTask(() => this.begin(child, context, effect), 0)
    return child
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
    this.scheduled--
    const task = child.task
    const fiber = Effect.runForkWith(Context.add(context, CurrentTask, task))(
      effect as Effect.Effect<unknown, unknown>
    )
    child.fiber = fiber
    const exit = fiber.pollUnsafe()
    if (exit !== undefined) {
      this.onExit(fiber, task, exit, child.status)
      return
    }
    this.fibers.add(fiber)
    fiber.addObserver((exit) => this.onExit(fiber, task, exit, child.status))
    if (child.cancelRequested) fiber.interruptUnsafe()
    else if (this.node.cancelCalled) fiber.interruptUnsafe(undefined, this.node.cancelAnnotations())
    else if (scope.isEffectivelyCancelled(this.node)) fiber.interruptUnsafe()
  }

  startSoon(...input: ReadonlyArray<unknown>): Effect.Effect<void, never, never> {
    return Effect.withFiber((spawner) => {
      const { effect, name } = resolveTask(input, undefined)
      this.fork(spawner, effect, name, undefined)
      return Effect.void
    })
  }

  spawn(...input: ReadonlyArray<unknown>): Effect.Effect<void, never, never> {
    return this.startSoon(...input)
  }

  start(...input: ReadonlyArray<unknown>): Effect.Effect<never, never, never> {
    return Effect.withFiber((caller) => {
      const status = new TaskStatusImpl()
      const { effect, name } = resolveTask(input, status)
      return Effect.callback<unknown, unknown>((resume) => {
        status.resume = resume
        const child = this.fork(caller, effect, name, status)
        // The caller was cancelled first: cancel the task (not the group) and wait for it.
        return Effect.suspend(() => {
          if (!status.pending) return Effect.void
          child.cancelRequested = true
          child.fiber?.interruptUnsafe()
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
    scope.exit(this.node)
    if (this.exceptions.length > 0) return Effect.fail(this.exceptionGroup())
    const hostExit = this.hostExit!
    if (hostExit._tag === "Success") return hostExit
    if (scope.catches(this.node)) {
      this.node.cancelledCaught = true
      return Effect.void
    }
    return hostExit
  }

  exceptionGroup(): ExceptionGroup<unknown> {
    const cancelled: Array<CancelledTask> = []
    if (this.cancelledTasks !== undefined) {
      const reason = scope.describeReason(this.node.reason)
      for (const task of this.cancelledTasks) cancelled.push({ name: task.name, reason })
    }
    return new ExceptionGroup("unhandled errors in a TaskGroup", this.exceptions, {
      causes: this.causes,
      cancelled
    })
  }
}

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
  Effect.withFiber((host) =>
    // Forking the body and registering the wait happen in one step of the host (inside
    // `callback`), so an interruption of the host can never orphan the body.
    Effect.callback<unknown, unknown>((resume) => {
      const node = new CancelScopeImpl(Number.POSITIVE_INFINITY, false)
      const hostTask = taskOfFiber(host)
      const group = new Group(node, hostTask, options?.name)
      let context = scope.enter(node, host)
      if (host.getRef(CurrentTask) === undefined) context = Context.add(context, CurrentTask, hostTask)
      const hostFiber = Effect.runForkWith(context)(Effect.suspend(() => body(group)) as Effect.Effect<A, E>)
      group.hostFiber = hostFiber
      const exit = hostFiber.pollUnsafe()
      if (exit !== undefined) {
        group.onExit(hostFiber, hostTask, exit, undefined)
      } else {
        group.fibers.add(hostFiber)
        hostFiber.addObserver((exit) => group.onExit(hostFiber, hostTask, exit, undefined))
        if (node.cancelCalled) hostFiber.interruptUnsafe(undefined, node.cancelAnnotations())
      }
      if (group.done) return resume(group.settle())
      group.waiter = () => resume(group.settle())
      return onHostCancelled(group)
    })
  ) as Effect.Effect<A | undefined, TaskGroupError<E, R>, never>

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
        group.waiter = () => resume(Effect.void)
      }),
      () => {
        scope.exit(group.node)
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
