/**
 * Task identity. A "task" in AnyIO terms is one unit of concurrent work: the root program or one
 * child started through a task group. It is not the same thing as an Effect fiber: effect-anyio runs
 * each cancel scope body in its own fiber (interruption is sticky and fiber-wide, so a body that can
 * be cancelled while the code after it goes on needs its own fiber), yet code inside
 * `moveOnAfter(...)` is still "the same task" as the code around it. Owners of locks, borrowers of
 * capacity-limiter tokens and `getCurrentTask()` all use this identity.
 *
 * The current task lives in a `Context.Reference`, so every fiber forked inside a task (by us or by
 * plain `Effect.forkChild`) sees the task it was forked from. Fibers that no task group started (the
 * fiber of `Effect.runPromise(main)`) get a root task on first use, remembered per fiber.
 *
 * @internal
 */
import { Context, Effect, type Fiber } from "effect"

/** @internal */
export interface TaskNode {
  readonly id: number
  readonly name: string
  /** The task that hosts the group this task was started in (undefined for a root task). */
  parentId: number | undefined
}

let nextTaskId = 0

/** @internal */
export const makeTask = (name: string | undefined, parentId: number | undefined): TaskNode => {
  const id = ++nextTaskId
  return { id, name: name ?? `Task-${id}`, parentId }
}

/** @internal */
export const CurrentTask = Context.Reference<TaskNode | undefined>("effect-anyio/CurrentTask", {
  defaultValue: () => undefined
})

const rootTasks = new WeakMap<Fiber.Fiber<unknown, unknown>, TaskNode>()

/**
 * The task the given fiber runs in; creates a root task for a fiber that no task group started.
 * @internal
 */
export const taskOfFiber = (fiber: Fiber.Fiber<unknown, unknown>): TaskNode => {
  const task = fiber.getRef(CurrentTask)
  if (task !== undefined) return task
  let root = rootTasks.get(fiber)
  if (root === undefined) {
    root = makeTask(`Root-${fiber.id}`, undefined)
    rootTasks.set(fiber, root)
  }
  return root
}

/**
 * The current task (see the module comment).
 * @internal
 */
export const currentTask: Effect.Effect<TaskNode> = Effect.withFiberSucceed(taskOfFiber)
