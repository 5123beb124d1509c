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
import { Effect, type Exit, Fiber, type Option } from "effect"
import type { CancelScope } from "./CancelScope.ts"
import type { TaskCancelled, TaskFailed, TaskNotFinished } from "./Errors.ts"
import type { Defect, GroupOfLeaves } from "./ExceptionGroup.ts"
import { Group, taskTracingOf } from "./internal/group.ts"
import { Host } from "./internal/host.ts"
import { schedulesEachTask } from "./internal/idle.ts"
import { taskOfFiber } from "./internal/task.ts"
import { traced } from "./internal/tracing.ts"

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
 * Options of `tg.start()`: a name, and `returnHandle: true` to get the task's
 * {@link TaskHandle} (with the value given to `started()` as its `startValue`) instead of that value
 * (AnyIO 4.14's `return_handle=True`).
 *
 * @category models
 */
export interface StartOptions extends SpawnOptions {
  readonly returnHandle?: boolean | undefined
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
   * arguments that returns one. The task runs once the caller yields. Options (`{ name }`) come
   * first, or after an effect: `startSoon({ name }, fn, ...args)`, `startSoon(effect, { name })`
   * (never after a function's arguments, so a plain object argument is never mistaken for them).
   * Returns the task's {@link TaskHandle} (as AnyIO 4.14 does).
   */
  startSoon<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  startSoon<Args extends ReadonlyArray<unknown>, A, E, R>(
    fn: (...args: Args) => Effect.Effect<A, E, R>,
    ...args: Args
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  startSoon<Args extends ReadonlyArray<unknown>, A, E, R>(
    options: SpawnOptions,
    fn: Effect.Effect<A, E, R> | ((...args: Args) => Effect.Effect<A, E, R>),
    ...args: Args
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  /** Same as `startSoon` (the name the seed document uses). */
  readonly spawn: TaskGroup["startSoon"]
  /**
   * Starts a task and waits until it calls `taskStatus.started(value)` (AnyIO's `start`); returns
   * `value`, or with `{ returnHandle: true }` first the task's {@link TaskHandle} whose
   * `startValue` is `value`. The task receives its `TaskStatus` as the last argument.
   *
   * - A failure before `started()` comes out of `start()` as it is (not wrapped) and does not
   *   cancel the group.
   * - Returning without calling `started()` dies with `RuntimeError`; `started()` twice too.
   * - Cancelling the caller of `start()` cancels the task, not the group.
   * - After `started()` the task belongs to the group: its failures go to the group.
   */
  start<Args extends ReadonlyArray<unknown>, V, A, E, R>(
    fn: (...args: [...Args, TaskStatus<V>]) => Effect.Effect<A, E, R>,
    ...args: Args
  ): Effect.Effect<V, E, R | Spawned<E>>
  start<Args extends ReadonlyArray<unknown>, V, A, E, R>(
    options: StartOptions & { readonly returnHandle: true },
    fn: (...args: [...Args, TaskStatus<V>]) => Effect.Effect<A, E, R>,
    ...args: Args
  ): Effect.Effect<TaskHandle<A, E, V>, E, R | Spawned<E>>
  start<Args extends ReadonlyArray<unknown>, V, A, E, R>(
    options: StartOptions & { readonly returnHandle?: false | undefined },
    fn: (...args: [...Args, TaskStatus<V>]) => Effect.Effect<A, E, R>,
    ...args: Args
  ): Effect.Effect<V, E, R | Spawned<E>>
  /**
   * Starts a task and returns a handle on it (AnyIO 4.14's `create_task`): its status, its result,
   * cancelling it alone. Its failure still reaches the group (the group's rules do not change).
   * Takes an Effect (AnyIO: a coroutine); options first or after it: `createTask({ name }, effect)`.
   */
  createTask<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  createTask<A, E, R>(
    options: SpawnOptions,
    effect: Effect.Effect<A, E, R>
  ): Effect.Effect<TaskHandle<A, E>, never, R | Spawned<E>>
  /** The group's cancel scope (deadline, shield, cancel). */
  readonly cancelScope: CancelScope
  /** Cancels the group's scope: the body and every task (AnyIO 4.14's `tg.cancel`). */
  cancel(reason?: string): Effect.Effect<void>
}

/**
 * The error a task group fails with, given its body's error `E` and requirements `R`:
 * `ExceptionGroup<A | B>` of the leaf failures, or `never` when nothing in it can fail (a group of
 * defects only dies with its `ExceptionGroup`, as defects do in Effect).
 *
 * @category type-level
 */
export type TaskGroupError<E, R> = GroupOfLeaves<E | SpawnedErrors<R>>

/**
 * The state of a task behind a {@link TaskHandle} (AnyIO's `TaskHandle.Status`).
 *
 * @category models
 */
export type TaskHandleStatus = "pending" | "cancelling" | "finished" | "cancelled" | "failed"

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
export interface TaskHandle<A, E, V = undefined> {
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
  /**
   * The value given to `started()`, for a task started with `start({ returnHandle: true }, ...)`
   * (AnyIO's `start_value`); `undefined` for other tasks.
   */
  readonly startValue: V
  /** The task's `Exit` once it finished. */
  readonly exit: Exit.Exit<A, E> | undefined
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
 * - Succeeds with `Option.some(value)` of the body's value once every task finished, or
 *   `Option.none()` when the group's own cancellation (`tg.cancel()`, its deadline) stopped the body
 *   before it returned: the same model as `cancelScope` and `moveOnAfter` (AnyIO's
 *   `cancelled_caught` is `Option.isNone`; Effect's `timeoutOption`). A body returning right after
 *   `tg.cancel()` still returns its value.
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
): Effect.Effect<Option.Option<A>, GroupOfLeaves<E | SpawnedErrors<R>>, WithoutSpawned<R>> =>
  // The host's wait is this callback itself (its `register` runs on the host fiber, found with
  // `Fiber.getCurrent()`), not a callback returned by a `withFiber`: one run-loop step and one
  // closure less per group (issue 13's nested groups). With tracing the span wraps a wait of its
  // own, resumed at once.
  Effect.callback<unknown, unknown>((resume) => {
    const fiber = Fiber.getCurrent()!
    const name = options?.name
    const tracing = taskTracingOf(fiber)
    const group = new Group(
      taskOfFiber(fiber),
      name,
      tracing,
      // The fiber's cached scheduler (Effect's `Fiber.Cache`): no context lookup per group.
      schedulesEachTask(fiber.cache.scheduler),
      body
    )
    if (!tracing) return Host.register(fiber, group, resume)
    resume(traced(Host.run(fiber, group), `task group${name ? ` ${name}` : ""}`, group.id))
  }) as Effect.Effect<Option.Option<A>, GroupOfLeaves<E | SpawnedErrors<R>>, never>

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
