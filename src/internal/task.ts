/**
 * Task identity and the live task tree. A "task" in AnyIO terms is one unit of concurrent work: the
 * root program or one child started through a task group. It is not the same thing as an Effect
 * fiber: effect-anyio runs each cancel scope body in its own fiber (interruption is sticky and
 * fiber-wide, so a body that can be cancelled while the code after it goes on needs its own fiber),
 * yet code inside `moveOnAfter(...)` is still "the same task" as the code around it. Owners of locks,
 * borrowers of capacity-limiter tokens and `getCurrentTask()` all use this identity.
 *
 * The current task lives in a `Context.Reference`, so every fiber forked inside a task (by us or by
 * plain `Effect.forkChild`) sees the task it was forked from. Fibers that no task group started (the
 * fiber of `Effect.runPromise(main)`) get a root task on first use, remembered per fiber.
 *
 * The tree (for `getRunningTasks` and `dumpTaskTree`) is kept off the hot path: a task records the
 * groups it hosts (a set change per group, not per task), a group its running children, and only
 * root tasks that host a group are remembered globally.
 *
 * @internal
 */
import { Context, Effect, type Fiber } from "effect"

/** A task group as the task tree sees it. */
export interface GroupView {
  readonly id: number
  readonly name: string | undefined
  /** Running children. */
  children(): Iterable<TaskNode>
  /** One line about the group's state (cancelled, why, how many tasks it waits for). */
  describe(): string
}

/** @internal */
export interface TaskNode {
  readonly id: number
  readonly name: string
  /** The task that hosts the group this task runs in (`start()`: the caller until `started()`). */
  parentId: number | undefined
  /** Groups this task hosts that are still active. */
  groups: Set<GroupView> | undefined
  /** What the task is blocked on, when known (a lock, an event, a stream end...). */
  waitingOn: string | undefined
  /** The task's state for printouts. */
  state(): string
}

let nextTaskId = 0

/** @internal */
export const nextId = (): number => ++nextTaskId

const rootState = () => "running"

/** @internal */
export const makeRootTask = (name: string): TaskNode => ({
  id: ++nextTaskId,
  name,
  parentId: undefined,
  groups: undefined,
  waitingOn: undefined,
  state: rootState
})

/** A detached task node (tests and primitives that act on behalf of a made-up task). */
export const makeTask = (name: string | undefined, parentId: number | undefined): TaskNode => {
  const id = ++nextTaskId
  return {
    id,
    name: name ?? `Task-${id}`,
    parentId,
    groups: undefined,
    waitingOn: undefined,
    state: rootState
  }
}

/** @internal */
export const CurrentTask = Context.Reference<TaskNode | undefined>("effect-anyio/CurrentTask", {
  defaultValue: () => undefined
})

const rootTasks = new WeakMap<Fiber.Fiber<unknown, unknown>, TaskNode>()
const activeRoots = new Set<TaskNode>()

/**
 * The task the given fiber runs in; creates a root task for a fiber that no task group started.
 * @internal
 */
export const taskOfFiber = (fiber: Fiber.Fiber<unknown, unknown>): TaskNode => {
  const task = fiber.getRef(CurrentTask)
  if (task !== undefined) return task
  let root = rootTasks.get(fiber)
  if (root === undefined) {
    root = makeRootTask(`Root-${fiber.id}`)
    rootTasks.set(fiber, root)
  }
  return root
}

/**
 * The current task (see the module comment).
 * @internal
 */
export const currentTask: Effect.Effect<TaskNode> = Effect.withFiberSucceed(taskOfFiber)

/** @internal */
export const addGroup = (host: TaskNode, group: GroupView): void => {
  ;(host.groups ??= new Set()).add(group)
  if (host.parentId === undefined) activeRoots.add(host)
}

/** @internal */
export const removeGroup = (host: TaskNode, group: GroupView): void => {
  const groups = host.groups
  if (groups === undefined) return
  groups.delete(group)
  if (groups.size === 0 && host.parentId === undefined) activeRoots.delete(host)
}

/** Every running task reachable from the active roots (and `current`), parents first. */
export const runningTasks = (current: TaskNode | undefined): Array<TaskNode> => {
  const out: Array<TaskNode> = []
  const seen = new Set<TaskNode>()
  const visit = (task: TaskNode): void => {
    if (seen.has(task)) return
    seen.add(task)
    out.push(task)
    if (task.groups !== undefined) for (const g of task.groups) for (const child of g.children()) visit(child)
  }
  if (current !== undefined && current.parentId === undefined) visit(current)
  for (const root of activeRoots) visit(root)
  if (current !== undefined) visit(current)
  return out
}

/**
 * A printout of the task tree: `roots` (default: every active root and the current task), their
 * groups, tasks with their state and what they wait on.
 */
export const renderTree = (current: TaskNode | undefined, roots?: Iterable<TaskNode>): string => {
  const lines: Array<string> = []
  const seen = new Set<TaskNode>()
  const visit = (task: TaskNode, indent: string): void => {
    if (seen.has(task)) return
    seen.add(task)
    const waiting = task.waitingOn === undefined ? "" : `, waiting on ${task.waitingOn}`
    const mark = task === current ? " <- current" : ""
    lines.push(`${indent}task #${task.id} '${task.name}' (${task.state()}${waiting})${mark}`)
    if (task.groups === undefined) return
    for (const g of task.groups) {
      lines.push(`${indent}  group #${g.id}${g.name === undefined ? "" : ` '${g.name}'`}: ${g.describe()}`)
      for (const child of g.children()) visit(child, `${indent}    `)
    }
  }
  if (roots !== undefined) {
    for (const root of roots) visit(root, "")
  } else {
    if (current !== undefined && current.parentId === undefined) visit(current, "")
    for (const root of activeRoots) visit(root, "")
  }
  return lines.length === 0 ? "(no tasks)" : lines.join("\n")
}
