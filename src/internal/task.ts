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
 * groups it hosts (a field write per group, not per task), a group its running children, and only
 * root tasks that host a group are remembered globally.
 *
 * @internal
 */
import { Context, Fiber } from "effect"

/** A task group as the task tree sees it. */
export interface GroupView {
  readonly id: number
  readonly name: string | undefined
  /** Running children. */
  children(): Iterable<TaskNode>
  /** One line about the group's state (cancelled, why, how many tasks it waits for). */
  describeGroup(): string
}

/**
 * Something a task is blocked on (an Event, a Lock, a stream end, a child task group...), for
 * printouts (`renderTree`, the deadlock report of `autojump`).
 *
 * - Blocking operations record it only when they really park, never on an uncontended fast path:
 *   the waiter object a primitive allocates to park is itself the `Wait` (so a park costs a few field
 *   writes, no extra allocation), and the text is built lazily by `describe()`, only when a tree is
 *   printed, so it shows the state at that moment (e.g. a lock's current owner).
 * - A task can block in several places at once: a task-group or cancel-scope host waits while the
 *   body (another fiber of the same task) blocks inside it, and plain fibers forked inside a task
 *   belong to it. So the waits of a task form a chain through `outerWait`: the innermost wait is
 *   `task.waitingOn`; when it ends, the innermost wait still in progress shows again.
 *
 * @internal
 */
export abstract class Wait {
  /** The task blocked here (set by `beginWait`). */
  task: TaskNode | undefined = undefined
  /**
   * The wait that this one is nested in (or that was innermost before it). Not `outer`: a task
   * group is its host's wait itself, and a scope's status has an `outer` of its own.
   */
  outerWait: Wait | undefined = undefined
  /** Order in which waits began (see `beginWaitAround`). */
  seq = 0
  /** The wait is over (resumed, handed the resource, or cancelled). */
  ended = false
  /** What the task waits on, e.g. `Lock #2 held by task 'writer' (#7)`. */
  abstract describe(): string
}

let waitSeq = 0

/**
 * Records that `task` is now blocked on `w` (innermost). Call it when the operation parks.
 * @internal
 */
export const beginWait = (task: TaskNode, w: Wait): void => {
  w.task = task
  w.seq = ++waitSeq
  w.outerWait = task.waitingOn
  task.waitingOn = w
}

/**
 * A mark for {@link beginWaitAround}: taken before a host forks a body that may block at once.
 * @internal
 */
export const waitMark = (): number => waitSeq

/**
 * Records that `task` is blocked on `w` around every wait it began after `mark` (a host that forked
 * a body, found it still running, and now waits for it: the body's own waits are nested inside).
 * @internal
 */
export const beginWaitAround = (task: TaskNode, w: Wait, mark: number): void => {
  w.task = task
  w.seq = ++waitSeq
  let inner: Wait | undefined
  let o = task.waitingOn
  while (o !== undefined && o.seq > mark) {
    inner = o
    o = o.outerWait
  }
  w.outerWait = o
  if (inner === undefined) task.waitingOn = w
  else inner.outerWait = w
}

/**
 * The wait `w` is over. Idempotent; a no-op for a wait that never began.
 * @internal
 */
export const endWait = (w: Wait): void => {
  if (w.ended) return
  w.ended = true
  const task = w.task
  if (task === undefined || task.waitingOn !== w) return
  let o = w.outerWait
  while (o?.ended) o = o.outerWait
  task.waitingOn = o
  w.outerWait = undefined
}

/**
 * The host of `group` waits for it (the body is still running or tasks are left); see
 * `beginWaitAround`. The group is the `Wait` itself (a host waits for a group once; no object per
 * wait, which each level of a nested tree retained), and its `describe()` is the wait's text. The
 * wait ends when the group is removed from its host (`removeGroup`).
 * @internal
 */
export const beginGroupWait = (host: TaskNode, group: GroupView & Wait, mark: number): void =>
  beginWaitAround(host, group, mark)

/** The caller of `tg.start()` waits for the new task to call `started()`. */
class StartWait extends Wait {
  declare readonly child: TaskNode
  constructor(child: TaskNode) {
    super()
    this.child = child
  }
  describe(): string {
    return `start() of task '${this.child.name}' (#${this.child.id}) to call started()`
  }
}

/**
 * The caller `task` of `tg.start()` waits for `child`; returns `resume` wrapped so that calling it
 * ends the wait.
 * @internal
 */
export const beginStartWait = <A>(
  task: TaskNode,
  child: TaskNode,
  resume: (a: A) => void
): ((a: A) => void) => {
  const w = new StartWait(child)
  beginWait(task, w)
  return (a) => {
    endWait(w)
    resume(a)
  }
}

/** A task waiting for another one to finish (`handle.wait`, `handle.join`). */
class JoinWait extends Wait {
  declare readonly target: TaskNode
  constructor(target: TaskNode) {
    super()
    this.target = target
  }
  describe(): string {
    return `task '${this.target.name}' (#${this.target.id}) to finish`
  }
}

/**
 * The current fiber's task waits for `target` to finish (call it as it parks); end it with
 * `endWait`.
 * @internal
 */
export const beginJoinWait = (target: TaskNode): Wait => {
  const w = new JoinWait(target)
  const fiber = Fiber.getCurrent()
  const task = fiber === undefined ? undefined : waitingTask(fiber)
  if (task !== undefined) beginWait(task, w)
  return w
}

/** A host waiting for the body of a cancel scope (the body runs in its own fiber). */
export class ScopeBodyWait extends Wait {
  declare readonly scopeId: number
  constructor(scopeId: number) {
    super()
    this.scopeId = scopeId
  }
  describe(): string {
    return `cancel scope #${this.scopeId} body`
  }
}

/** @internal */
export interface TaskNode {
  readonly id: number
  readonly name: string
  /** The task that hosts the group this task runs in (`start()`: the caller until `started()`). */
  parentId: number | undefined
  /**
   * A root task: `parentId` is undefined, which a task (child.ts) computes in a getter; this is
   * a constant (read on every group its task hosts, each level of a nested tree).
   */
  readonly isRoot: boolean
  /**
   * Groups this task hosts that are still active: the only one itself (most tasks host at most one
   * at a time, and a set per level of a deep tree is most of what it retains), else a set.
   */
  groups: GroupView | Set<GroupView> | undefined
  /** What the task is blocked on, when known (a lock, an event, a stream end...); see {@link Wait}. */
  waitingOn: Wait | undefined
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
  isRoot: true,
  groups: undefined,
  waitingOn: undefined,
  state: rootState
})

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
 * The task to record a park of `fiber` for (`Wait`): the task it runs in, if any. Unlike
 * `taskOfFiber` it makes up no root task for a fiber outside every task (such a fiber is never
 * printed as blocked), so a park costs one context lookup.
 * @internal
 */
export const waitingTask = (fiber: Fiber.Fiber<unknown, unknown>): TaskNode | undefined =>
  fiber.getRef(CurrentTask)

/** @internal */
export const addGroup = (host: TaskNode, group: GroupView): void => {
  const groups = host.groups
  if (groups === undefined) host.groups = group
  else if (groups instanceof Set) groups.add(group)
  else host.groups = new Set([groups, group])
  if (host.isRoot) activeRoots.add(host)
}

/** The groups `task` hosts (see `TaskNode.groups`). */
const groupsOf = (task: TaskNode): Iterable<GroupView> => {
  const groups = task.groups
  return groups === undefined ? [] : groups instanceof Set ? groups : [groups]
}

/** @internal */
export const removeGroup = (host: TaskNode, group: GroupView): void => {
  const groups = host.groups
  if (groups === undefined) return
  if (groups instanceof Set) {
    groups.delete(group)
    if (groups.size === 0) host.groups = undefined
  } else if (groups === group) host.groups = undefined
  if (host.groups === undefined && host.isRoot) activeRoots.delete(host)
  // End the host's wait for this group, if it had to wait (`beginGroupWait`).
  for (let w = host.waitingOn; w !== undefined; w = w.outerWait) {
    if ((w as unknown) === group) {
      endWait(w)
      return
    }
  }
}

/** Every running task reachable from the active roots (and `current`), parents first. */
export const runningTasks = (current: TaskNode | undefined): Array<TaskNode> => {
  const out: Array<TaskNode> = []
  const seen = new Set<TaskNode>()
  const visit = (task: TaskNode): void => {
    if (seen.has(task)) return
    seen.add(task)
    out.push(task)
    for (const g of groupsOf(task)) for (const child of g.children()) visit(child)
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
    const wait = task.waitingOn
    let state = task.state()
    // A task (other than the one printing) with a wait recorded is parked there.
    if (wait !== undefined && task !== current && (state === "running" || state === "pending"))
      state = "blocked"
    const waiting = wait === undefined ? "" : `, waiting on ${wait.describe()}`
    const mark = task === current ? " <- current" : ""
    lines.push(`${indent}task #${task.id} '${task.name}' (${state}${waiting})${mark}`)
    for (const g of groupsOf(task)) {
      lines.push(
        `${indent}  group #${g.id}${g.name === undefined ? "" : ` '${g.name}'`}: ${g.describeGroup()}`
      )
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

// ---------------------------------------------------------------------------------------------
// Contexts of tasks and scopes
// ---------------------------------------------------------------------------------------------

/**
 * Effect 4.1's context record (`Context.ts`'s `ContextImpl`): an overlay per `add` on a shared
 * base map, flattened past `maxDepth`.
 */
interface ContextRecord {
  cacheRoot: ContextRecord | undefined
  base: ReadonlyMap<string, unknown>
  overlay: { readonly key: string; readonly value: unknown; readonly parent: unknown } | undefined
  depth: number
  _flat: ReadonlyMap<string, unknown> | undefined
  baseHits: number
  maxDepth: number
}

const FIELDS = "cacheRoot,base,overlay,depth,_flat,baseHits,maxDepth"

/**
 * The same record as `Context.add` makes, with its seven fields in the object: Effect makes it with
 * `Object.create`, whose objects hold four fields inline and the other three in a separate
 * properties array (40 B more, and an allocation, per context). Every task and every entered scope
 * has a context of its own, so a sleeping task, and each level of a nested tree, pays it.
 */
class InlineContext implements ContextRecord {
  declare cacheRoot: ContextRecord | undefined
  declare base: ReadonlyMap<string, unknown>
  declare overlay: ContextRecord["overlay"]
  declare depth: number
  declare _flat: ReadonlyMap<string, unknown> | undefined
  declare baseHits: number
  declare maxDepth: number
  constructor(parent: ContextRecord, overlay: ContextRecord["overlay"], depth: number) {
    this.cacheRoot = parent.cacheRoot
    this.base = parent.base
    this.overlay = overlay
    this.depth = depth
    this._flat = undefined
    this.baseHits = 0
    this.maxDepth = parent.maxDepth
  }
}

/**
 * Whether this Effect's contexts are records as above (checked once, on a context `Context.add`
 * made): else {@link addToContext} is `Context.add`.
 */
const inlineContexts = ((): boolean => {
  const made = Context.add(Context.empty(), CurrentTask, undefined) as unknown as ContextRecord
  if (Object.keys(made).join(",") !== FIELDS || made.overlay?.key !== CurrentTask.key) return false
  Object.setPrototypeOf(InlineContext.prototype, Object.getPrototypeOf(made))
  const probe = makeRootTask("probe")
  const overlay = { key: CurrentTask.key, value: probe, parent: made.overlay }
  const inline = new InlineContext(made, overlay, made.depth + 1) as unknown as Context.Context<never>
  return Context.get(inline, CurrentTask) === probe && Context.isContext(inline)
})()

/**
 * `Context.add(context, key, value)` for the keys of this library (none is fiber-cached, so the
 * new context shares its parent's fiber cache, as `Context.add` has it). An entry of `key` on top
 * of `context`'s overlays is left out (the new one shadows it): see {@link addPairToContext}.
 * @internal
 */
export const addToContext = <S>(
  context: Context.Context<never>,
  key: Context.Reference<S>,
  value: S
): Context.Context<never> => {
  const parent = context as unknown as ContextRecord
  let tail = parent.overlay
  let depth = parent.depth
  if (tail?.key === key.key) {
    tail = tail.parent as ContextRecord["overlay"]
    depth--
  }
  if (!inlineContexts || depth >= parent.maxDepth || parent.cacheRoot === undefined) {
    return Context.add(context, key, value) as Context.Context<never>
  }
  return new InlineContext(
    parent,
    { key: key.key, value, parent: tail },
    depth + 1
  ) as unknown as Context.Context<never>
}

/**
 * `context` with `first` and then `second` added (`second` on top), in one record. Entries of
 * either key on top of `context`'s overlays are left out: the new ones shadow them, so a lookup
 * finds the same values. This keeps the contexts of a nested tree at one depth level after level
 * (each level's host context ends with the previous level's task and scope entries), where adding
 * on top would grow them by two entries a level and make Effect copy them into a new map every
 * few levels (`Context.add` flattens past `maxDepth`).
 * @internal
 */
export const addPairToContext = <S, T>(
  context: Context.Context<never>,
  first: Context.Reference<S>,
  firstValue: S,
  second: Context.Reference<T>,
  secondValue: T
): Context.Context<never> => {
  const parent = context as unknown as ContextRecord
  let tail = parent.overlay
  let depth = parent.depth
  while (tail !== undefined && (tail.key === first.key || tail.key === second.key)) {
    tail = tail.parent as ContextRecord["overlay"]
    depth--
  }
  if (!inlineContexts || depth + 2 > parent.maxDepth || parent.cacheRoot === undefined) {
    return Context.add(Context.add(context, first, firstValue), second, secondValue) as Context.Context<never>
  }
  const overlay = {
    key: second.key,
    value: secondValue,
    parent: { key: first.key, value: firstValue, parent: tail }
  }
  return new InlineContext(parent, overlay, depth + 2) as unknown as Context.Context<never>
}
