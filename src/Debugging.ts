/**
 * Introspection (AnyIO's `get_current_task`, `get_running_tasks`, `wait_all_tasks_blocked`) and a
 * printout of the live task tree for debugging.
 *
 * @since 0.1.0
 */
import { Context, Effect, Scheduler } from "effect"
import { isIdleAware, WhenIdle } from "./internal/idle.ts"
import { renderTree, runningTasks, type TaskNode, taskOfFiber } from "./internal/task.ts"

/**
 * Turn on spans for task groups, tasks and cancel scopes: each appears in Effect's tracer with its
 * name and outcome (ok, failed, cancelled and why). Off by default, so that spawning stays lean.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup, TaskTracing } from "effect-anyio"
 * const traced = Effect.provideService(createTaskGroup((tg) => tg.startSoon(Effect.void)), TaskTracing, true)
 * ```
 * @category tracing
 */
export const TaskTracing = Context.Reference<boolean>("effect-anyio/TaskTracing", {
  defaultValue: () => false
})

/**
 * What is known about a task (AnyIO's `TaskInfo`): its id, the id of its parent task and its name.
 *
 * @category models
 */
export interface TaskInfo {
  readonly id: number
  /** The task hosting the group it runs in (`start()`: the caller until `started()`); none for a root. */
  readonly parentId: number | undefined
  readonly name: string
}

const info = (task: TaskNode): TaskInfo => ({ id: task.id, parentId: task.parentId, name: task.name })

/**
 * The current task (AnyIO's `get_current_task`). Inside a cancel scope body it is still the task
 * that entered the scope; a program run with `Effect.runPromise` is a root task named `Root-<fiber>`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup, getCurrentTask } from "effect-anyio"
 * const program = createTaskGroup((tg) =>
 *   tg.startSoon(Effect.flatMap(getCurrentTask(), (t) => Effect.log(t.name)), { name: "worker" })
 * )
 * ```
 * @category introspection
 */
export const getCurrentTask = (): Effect.Effect<TaskInfo> =>
  Effect.withFiberSucceed((fiber) => info(taskOfFiber(fiber)))

/**
 * Every task started by effect-anyio that is still running, with the root tasks that host task
 * groups (AnyIO's `get_running_tasks`). Parents come before their children.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { getRunningTasks } from "effect-anyio"
 * const program = Effect.map(getRunningTasks(), (tasks) => tasks.map((t) => t.name))
 * ```
 * @category introspection
 */
export const getRunningTasks = (): Effect.Effect<ReadonlyArray<TaskInfo>> =>
  Effect.withFiberSucceed((fiber) => runningTasks(taskOfFiber(fiber)).map(info))

/**
 * Waits until every other task is blocked (AnyIO's `wait_all_tasks_blocked`); useful in tests.
 *
 * **Details**: under `autojump` (effect-anyio/testing) it is exact: it returns when the run queue is
 * empty, before the virtual clock moves. Elsewhere Effect's scheduler does not expose its queue, so
 * it lets the event loop turn a few times (each turn runs everything that was ready), which is
 * enough for tasks that block without real I/O.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup, sleepForever, waitAllTasksBlocked } from "effect-anyio"
 * const program = createTaskGroup((tg) =>
 *   Effect.gen(function* () {
 *     yield* tg.startSoon(sleepForever())
 *     yield* waitAllTasksBlocked() // the child is now parked in sleepForever
 *     yield* tg.cancel()
 *   })
 * )
 * ```
 * @category introspection
 */
export const waitAllTasksBlocked = (): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const scheduler = fiber.getRef(Scheduler.Scheduler)
    if (isIdleAware(scheduler)) {
      return Effect.callback<void>((resume) => {
        scheduler[WhenIdle](() => resume(Effect.void))
      })
    }
    return Effect.gen(function* () {
      for (let i = 0; i < 5; i++) {
        yield* Effect.yieldNow
        yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      }
    })
  })

/**
 * A printout of the live task tree: root tasks, the groups they host (cancelled or not, and why;
 * how many tasks they wait for), each task with its state (scheduled, running, cancelling) and,
 * where known, what it waits on.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { dumpTaskTree } from "effect-anyio"
 * const program = Effect.flatMap(dumpTaskTree(), (tree) => Effect.log(tree))
 * ```
 * @category introspection
 */
export const dumpTaskTree = (): Effect.Effect<string> =>
  Effect.withFiberSucceed((fiber) => renderTree(taskOfFiber(fiber)))
