/**
 * Reliability (issue 8): fault injection over generated programs, run under `autojump`.
 *
 * A program is a tree of task groups, cancel scopes (plain, `moveOnAt`, `failAt`; with deadlines,
 * with or without a shield) and leaf tasks, started with `startSoon`, with `start()` (ready at
 * once, or failing/dying/returning before `started()`), or run inline as the group's body. Every
 * node may die in its finalizer. Leaves run a *workload* on shared primitives (a lock, a
 * semaphore, a capacity limiter, a memory stream; waits with and without timeouts) and then end
 * at a fixed virtual time with an outcome (ok, `Effect.fail`, `Effect.die`). Groups may cancel
 * themselves (`tg.cancel()`) at a fixed time, and the whole program may be cancelled from outside
 * at a random moment (`moveOnAt` around it, or `Fiber.interrupt` of its fiber).
 *
 * ## The oracle
 *
 * Every timed event (a leaf's end, a scope's deadline, a group's `tg.cancel()`, the outside
 * cancellation) has its own whole virtual second, so no two events tie. Everything begins at time
 * 0, and a workload is bounded by `moveOnAt(end)` followed by `sleepUntil(end)`, so a leaf ends at
 * exactly its time whatever its workload did (workloads never fail and never cancel anything, so
 * they cannot change which failures happen). `simulate` replays the events in time order:
 *
 * - a leaf whose end comes while no enclosing cancellation is visible to it (walking up to and
 *   including the nearest shield) ends with its outcome; otherwise it ends when the cancellation
 *   becomes visible;
 * - a failure (outcome, finalizer defect, `TimeoutError`, a nested group's `ExceptionGroup`) goes
 *   up through scopes to the nearest group and cancels it at that instant;
 * - a finalizer that dies always dies, whenever its node ends (cancelled or not);
 * - a group ends when its body and every task ended (shielded work delays it), then hands its
 *   `ExceptionGroup` to its parent; a scope ends when its body ended; `failAt` adds a
 *   `TimeoutError` when its own deadline cancelled a still-running body that ended with no failure
 *   while the host task was not cancelled itself (a shield holds an enclosing cancellation back
 *   from the body, not from the host, which raises nothing after the scope: README difference 1);
 * - a body that called `start()` on a task that never calls `started()` waits for that task and
 *   fails with its failure (a `RuntimeError` defect if it returned), so it is the body's last step.
 *
 * Invariants checked after every run: the exit (success, interruption only, or exactly one
 * `ExceptionGroup` holding exactly the expected members, nested as the groups were); every node
 * began and finalized exactly once, descendants first; the live counter is 0 when the outermost
 * group returns; `getRunningTasks()` shows none of the program's tasks; the lock, semaphore and
 * limiter are free with nobody waiting, and never admitted too many; the stream has nobody waiting
 * and the items received plus the items left in the buffer are exactly the items whose `send`
 * succeeded.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit, Fiber, Option } from "effect"
import fc from "fast-check"
import {
  CapacityLimiter,
  cancelScope,
  createMemoryObjectStream,
  createTaskGroup,
  Defect,
  type ExceptionGroup,
  failAt,
  getCurrentTask,
  getRunningTasks,
  isExceptionGroup,
  Lock,
  type MemoryObjectReceiveStream,
  type MemoryObjectSendStream,
  moveOnAfter,
  moveOnAt,
  RuntimeError,
  Semaphore,
  sleep,
  sleepUntil,
  type TaskGroup,
  type TaskStatus,
  TimeoutError
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

class Injected extends Data.TaggedError("Injected")<{ readonly id: string }> {}

// ---------------------------------------------------------------------------------------------
// The program model
// ---------------------------------------------------------------------------------------------

type Outcome = "ok" | "fail" | "die"

/** One step of a leaf's workload on the shared primitives. None of them can fail. */
type Op =
  | { readonly op: "lock" | "lockRaw" | "sem" | "limiter" | "sleep"; readonly d: number }
  | { readonly op: "send" | "recv"; readonly n: number }
  | { readonly op: "nowait" }
  | { readonly op: "timeout"; readonly d: number; readonly inner: Op }

interface LeafM {
  readonly type: "leaf"
  readonly id: string
  /** Virtual time at which it ends with its outcome (if nothing cancelled it before). */
  readonly t: number
  readonly outcome: Outcome
  readonly finDies: boolean
  readonly work: ReadonlyArray<Op>
}

interface ScopeM {
  readonly type: "scope"
  readonly id: string
  readonly mode: "plain" | "move" | "fail"
  readonly deadline: number | undefined
  readonly shield: boolean
  readonly finDies: boolean
  readonly body: NodeM
}

interface CancellerM {
  readonly type: "canceller"
  readonly id: string
  /** When it calls `tg.cancel()`. */
  readonly t: number
}

interface GroupM {
  readonly type: "group"
  readonly id: string
  readonly finDies: boolean
  /** Started with `startSoon`. */
  readonly children: ReadonlyArray<NodeM | CancellerM>
  /** Started with `start()`, calling `started()` at once. */
  readonly starts: ReadonlyArray<LeafM>
  /** The body's last step: a node run inline, or `start()` of a task that never calls `started()`. */
  readonly last:
    | { readonly kind: "inline"; readonly node: NodeM }
    | { readonly kind: "preStart"; readonly leaf: LeafM }
    | undefined
}

type NodeM = LeafM | ScopeM | GroupM

interface Outer {
  readonly mode: "none" | "scope" | "interrupt"
  readonly at: number
}

class Program {
  readonly root: GroupM
  readonly outer: Outer
  readonly bufferSize: number
  readonly shuffleSeed: number | undefined
  constructor(root: GroupM, outer: Outer, bufferSize: number, shuffleSeed: number | undefined) {
    this.root = root
    this.outer = outer
    this.bufferSize = bufferSize
    this.shuffleSeed = shuffleSeed
  }
  toString(): string {
    const lines: Array<string> = []
    const outer =
      this.outer.mode === "none"
        ? "no outside cancellation"
        : this.outer.mode === "scope"
          ? `moveOnAt(${this.outer.at}) around the program`
          : `Fiber.interrupt at ${this.outer.at}`
    lines.push(
      `program (${outer}; stream buffer ${this.bufferSize}${this.shuffleSeed === undefined ? "" : `; shuffleSeed ${this.shuffleSeed}`})`
    )
    printNode(this.root, "  ", "", lines)
    return lines.join("\n")
  }
  [fc.toStringMethod](): string {
    return `\n${this.toString()}`
  }
}

const printOp = (op: Op): string => {
  switch (op.op) {
    case "send":
    case "recv":
      return `${op.op} x${op.n}`
    case "nowait":
      return "nowait"
    case "timeout":
      return `moveOnAfter(${op.d}, ${printOp(op.inner)})`
    default:
      return `${op.op} ${op.d}s`
  }
}

const fin = (finDies: boolean): string => (finDies ? " [finalizer dies]" : "")

const printLeaf = (leaf: LeafM): string =>
  `${leaf.id}: leaf ends @${leaf.t} ${leaf.outcome}${fin(leaf.finDies)}${leaf.work.length > 0 ? ` work [${leaf.work.map(printOp).join(", ")}]` : ""}`

function printNode(node: NodeM | CancellerM, indent: string, label: string, lines: Array<string>): void {
  switch (node.type) {
    case "leaf":
      lines.push(`${indent}${label}${printLeaf(node)}`)
      return
    case "canceller":
      lines.push(`${indent}${label}${node.id}: tg.cancel() @${node.t}`)
      return
    case "scope": {
      const fn = node.mode === "plain" ? "cancelScope" : node.mode === "move" ? "moveOnAt" : "failAt"
      const deadline = node.deadline === undefined ? "no deadline" : `deadline @${node.deadline}`
      lines.push(
        `${indent}${label}${node.id}: ${fn} ${deadline}${node.shield ? " SHIELD" : ""}${fin(node.finDies)}`
      )
      printNode(node.body, `${indent}  `, "", lines)
      return
    }
    case "group": {
      lines.push(`${indent}${label}${node.id}: task group${fin(node.finDies)}`)
      const inner = `${indent}  `
      for (const child of node.children) printNode(child, inner, "startSoon ", lines)
      for (const leaf of node.starts) lines.push(`${inner}start (ready at once) ${printLeaf(leaf)}`)
      if (node.last?.kind === "inline") printNode(node.last.node, inner, "body ", lines)
      if (node.last?.kind === "preStart")
        lines.push(`${inner}body: start (never ready) ${printLeaf(node.last.leaf)}`)
      return
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Generator: a raw tree with ranks, then ids and unique event times
// ---------------------------------------------------------------------------------------------

interface RawLeaf {
  readonly type: "leaf"
  readonly rank: number
  readonly outcome: Outcome
  readonly finDies: boolean
  readonly work: ReadonlyArray<Op>
}
interface RawScope {
  readonly type: "scope"
  readonly mode: "plain" | "move" | "fail"
  readonly deadline: number | null
  readonly shield: boolean
  readonly finDies: boolean
  readonly body: RawNode
}
interface RawGroup {
  readonly type: "group"
  readonly finDies: boolean
  readonly children: ReadonlyArray<RawNode>
  readonly canceller: number | null
  readonly starts: ReadonlyArray<RawLeaf>
  readonly last:
    | { readonly kind: "inline"; readonly node: RawNode }
    | { readonly kind: "preStart"; readonly leaf: RawLeaf }
    | null
}
type RawNode = RawLeaf | RawScope | RawGroup

const rarely = fc.constantFrom(false, false, false, false, true)
const rank = fc.nat(1000)
const hold = fc.constantFrom(0, 0.25, 0.5, 1.5)

const baseOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constantFrom("lock" as const, "lockRaw" as const, "sem" as const, "limiter" as const),
    d: hold
  }),
  fc.record({ op: fc.constant("sleep" as const), d: hold }),
  fc.record({ op: fc.constantFrom("send" as const, "recv" as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant("nowait" as const) })
)
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: baseOp },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("timeout" as const),
      d: fc.constantFrom(0.1, 0.3, 1),
      inner: baseOp
    })
  }
)

const rawLeaf: fc.Arbitrary<RawLeaf> = fc.record({
  type: fc.constant("leaf" as const),
  rank,
  outcome: fc.constantFrom<Outcome>("ok", "ok", "fail", "die"),
  finDies: rarely,
  work: fc.array(op, { maxLength: 3 })
})

const { group: rawGroupArb } = fc.letrec<{ node: RawNode; scope: RawScope; group: RawGroup }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", maxDepth: 4, withCrossShrink: true },
    rawLeaf,
    tie("scope"),
    tie("group")
  ),
  scope: fc.record({
    type: fc.constant("scope" as const),
    mode: fc.constantFrom("plain" as const, "move" as const, "fail" as const),
    deadline: fc.option(rank),
    shield: fc.boolean(),
    finDies: rarely,
    body: tie("node")
  }),
  group: fc.record({
    type: fc.constant("group" as const),
    finDies: rarely,
    children: fc.array(tie("node"), { maxLength: 3 }),
    canceller: fc.option(rank, { freq: 4 }),
    starts: fc.array(rawLeaf, { maxLength: 2 }),
    last: fc.oneof(
      fc.constant(null),
      fc.record({ kind: fc.constant("inline" as const), node: tie("node") }),
      fc.record({ kind: fc.constant("preStart" as const), leaf: rawLeaf })
    )
  })
}))

interface RawProgram {
  readonly root: RawGroup
  readonly outer: { readonly mode: Outer["mode"]; readonly rank: number }
  readonly bufferSize: number
}

const rawProgram: fc.Arbitrary<RawProgram> = fc.record({
  root: rawGroupArb,
  outer: fc.record({ mode: fc.constantFrom<Outer["mode"]>("none", "scope", "interrupt"), rank }),
  bufferSize: fc.constantFrom(0, 1, 2)
})

/**
 * A node that ends at time 0 (a group with nothing in it that takes time). Its finalizer must not
 * die: a failure at time 0 would cancel things before they begin, which the oracle does not model.
 */
const instant = (node: NodeM | CancellerM): boolean =>
  node.type === "scope"
    ? instant(node.body)
    : node.type === "group"
      ? node.starts.length === 0 &&
        node.children.every(instant) &&
        (node.last === undefined || (node.last.kind === "inline" && instant(node.last.node)))
      : false

/** Ids in depth-first order; every timed event gets its own whole second, in the order of the ranks. */
const build = (raw: RawProgram, shuffleSeed: number | undefined): Program => {
  const timed: Array<{ rank: number; order: number }> = []
  const timeOf = new Map<object, number>()
  const want = (key: object, r: number) => {
    timed.push({ rank: r, order: timed.length })
    timeOf.set(key, timed.length - 1)
  }
  let n = 0
  const ids = new Map<object, string>()
  const collect = (node: RawNode): void => {
    if (node.type === "leaf") {
      ids.set(node, `L${n++}`)
      want(node, node.rank)
    } else if (node.type === "scope") {
      ids.set(node, `S${n++}`)
      // failAt without a deadline would be a plain scope: give it one.
      if (node.deadline !== null || node.mode === "fail") want(node, node.deadline ?? 500)
      collect(node.body)
    } else {
      ids.set(node, `G${n++}`)
      for (const c of node.children) collect(c)
      if (node.canceller !== null) {
        const key = { canceller: node }
        ids.set(node.children, `C${n++}`)
        want(key, node.canceller)
        timeOf.set(node.children, timeOf.get(key)!)
      }
      for (const s of node.starts) collect(s)
      if (node.last?.kind === "inline") collect(node.last.node)
      if (node.last?.kind === "preStart") collect(node.last.leaf)
    }
  }
  collect(raw.root)
  const outerKey = {}
  want(outerKey, raw.outer.rank)
  const sorted = [...timed].sort((a, b) => a.rank - b.rank || a.order - b.order)
  const time = new Array<number>(timed.length)
  sorted.forEach((e, i) => {
    time[e.order] = i + 1
  })
  const at = (key: object): number => time[timeOf.get(key)!]!
  const leaf = (r: RawLeaf): LeafM => ({
    type: "leaf",
    id: ids.get(r)!,
    t: at(r),
    outcome: r.outcome,
    finDies: r.finDies,
    work: r.work
  })
  const node = (r: RawNode): NodeM => {
    if (r.type === "leaf") return leaf(r)
    if (r.type === "scope") {
      const body = node(r.body)
      return {
        type: "scope",
        id: ids.get(r)!,
        mode: r.mode,
        deadline: timeOf.has(r) ? at(r) : undefined,
        shield: r.shield,
        finDies: r.finDies && !instant(body),
        body
      }
    }
    return group(r, r.finDies)
  }
  const group = (r: RawGroup, finDies: boolean): GroupM => {
    const children: Array<NodeM | CancellerM> = r.children.map(node)
    if (r.canceller !== null)
      children.push({ type: "canceller", id: ids.get(r.children)!, t: at(r.children) })
    const g: GroupM = {
      type: "group",
      id: ids.get(r)!,
      finDies: false,
      children,
      starts: r.starts.map(leaf),
      last:
        r.last === null
          ? undefined
          : r.last.kind === "inline"
            ? { kind: "inline", node: node(r.last.node) }
            : { kind: "preStart", leaf: leaf(r.last.leaf) }
    }
    return { ...g, finDies: finDies && !instant(g) }
  }
  // The root group's finalizer must not die: that defect would sit next to its ExceptionGroup.
  return new Program(
    group(raw.root, false),
    { mode: raw.outer.mode, at: at(outerKey) },
    raw.bufferSize,
    shuffleSeed
  )
}

// ---------------------------------------------------------------------------------------------
// The oracle: replay the events in virtual time
// ---------------------------------------------------------------------------------------------

/** A member in canonical form: "F:id", "D:id", "D:id/fin", "RT" (RuntimeError), "T:id", or a group. */
type Canon = string | ReadonlyArray<Canon>

/**
 * The member a typed failure becomes when a dying finalizer elects it to a defect. A group stays a
 * nested group: a died ExceptionGroup is a nested member, as a group of defects only dies.
 */
const electDefect = (c: Canon): Canon =>
  typeof c !== "string" ? c : c.startsWith("F:") || c.startsWith("T:") ? `D(${c})` : c

const canonKey = (c: Canon): string => (typeof c === "string" ? c : `[${c.map(canonKey).join(",")}]`)
const sortCanon = (cs: ReadonlyArray<Canon>): Array<Canon> =>
  [...cs].sort((a, b) => (canonKey(a) < canonKey(b) ? -1 : canonKey(a) > canonKey(b) ? 1 : 0))

interface SimNode {
  readonly model: NodeM | CancellerM | undefined // undefined: the outside (program level)
  readonly parent: SimNode | undefined
  readonly kids: Array<SimNode>
  readonly shield: boolean
  ended: number | undefined
  /** Own cancellation: a scope's deadline, a group's failure or tg.cancel(), the outside. */
  cancelledAt: number
  /** Groups (and the outside): members landed here. */
  readonly members: Array<Canon>
  /** Scopes: a failure went through the body. */
  bodyFailed: boolean
  /** Leaves: started with start() and never ready. */
  preStart: boolean
}

interface Expected {
  /** Members of the program's ExceptionGroup (empty: no failure). */
  readonly members: ReadonlyArray<Canon>
  /** Whether the outside cancellation reached the program before it ended. */
  readonly cancelledFromOutside: boolean
  readonly rootEnd: number
}

const simulate = (p: Program): Expected => {
  const all: Array<SimNode> = []
  const make = (model: SimNode["model"], parent: SimNode | undefined, shield: boolean): SimNode => {
    const s: SimNode = {
      model,
      parent,
      kids: [],
      shield,
      ended: undefined,
      cancelledAt: Number.POSITIVE_INFINITY,
      members: [],
      bodyFailed: false,
      preStart: false
    }
    parent?.kids.push(s)
    all.push(s)
    return s
  }
  const outside = make(undefined, undefined, false)
  const events: Array<{ t: number; run: (t: number) => void }> = []
  const add = (model: NodeM | CancellerM, parent: SimNode): SimNode => {
    switch (model.type) {
      case "leaf": {
        const s = make(model, parent, false)
        events.push({ t: model.t, run: (t) => endLeaf(s, model, t) })
        return s
      }
      case "canceller": {
        const s = make(model, parent, false)
        events.push({
          t: model.t,
          run: (t) => {
            if (s.ended !== undefined) return
            s.ended = t
            parent.cancelledAt = Math.min(parent.cancelledAt, t)
          }
        })
        return s
      }
      case "scope": {
        const s = make(model, parent, model.shield)
        if (model.deadline !== undefined) {
          events.push({
            t: model.deadline,
            run: (t) => {
              if (s.ended === undefined) s.cancelledAt = Math.min(s.cancelledAt, t)
            }
          })
        }
        add(model.body, s)
        return s
      }
      case "group": {
        const s = make(model, parent, false)
        for (const c of model.children) add(c, s)
        for (const l of model.starts) add(l, s)
        if (model.last?.kind === "inline") add(model.last.node, s)
        if (model.last?.kind === "preStart") add(model.last.leaf, s).preStart = true
        return s
      }
    }
  }
  const root = add(p.root, outside)
  if (p.outer.mode !== "none") events.push({ t: p.outer.at, run: (t) => (outside.cancelledAt = t) })

  /**
   * A failure goes up through scopes to the nearest group (or the outside). `wrappedBy`: the node
   * whose finalizer wraps it where it is created. A finalizer that dies turns every typed failure
   * passing through it into a defect (Effect's `ensuring` "elects defects": the error type could not
   * hold both), so `Fail(x)` becomes `Die(x)` there.
   */
  const record = (from: SimNode, canon: Canon, wrappedBy?: NodeM): void => {
    let c = wrappedBy?.finDies ? electDefect(canon) : canon
    let s = from
    while (s.model?.type === "scope") {
      s.bodyFailed = true
      if (s.model.finDies) c = electDefect(c)
      s = s.parent!
    }
    s.members.push(c)
  }
  /** A cancellation visible at `node` at time t: its own, or an enclosing one up to the nearest shield. */
  const visible = (node: SimNode, t: number): boolean => {
    for (let s: SimNode | undefined = node; s !== undefined; s = s.parent) {
      if (s.cancelledAt <= t) return true
      if (s.shield) return false
    }
    return false
  }
  /**
   * Whether a scope's own cancellation reaches a checkpoint in its body `n` before the body ends:
   * a shielded scope holds it back, and no code follows it in the body (AnyIO:
   * test/reference/fail_after_shielded_inside.py); a group's exit is a checkpoint.
   */
  const reaches = (n: SimNode): boolean =>
    n.model?.type !== "scope" || (!n.model.shield && reaches(n.kids[0]!))
  const endLeaf = (s: SimNode, leaf: LeafM, t: number): void => {
    if (s.ended !== undefined) return
    s.ended = t
    if (leaf.outcome === "fail") record(s.parent!, `F:${leaf.id}`, leaf)
    if (leaf.outcome === "die") record(s.parent!, `D:${leaf.id}`, leaf)
    // start() of a task that returned without started(): the body dies with RuntimeError.
    if (s.preStart && leaf.outcome === "ok" && !leaf.finDies) record(s.parent!, "RT")
    if (leaf.finDies) record(s.parent!, `D:${leaf.id}/fin`)
  }
  const settle = (t: number): void => {
    let changed = true
    while (changed) {
      changed = false
      for (const s of all) {
        if (s.ended !== undefined || s.model === undefined) continue
        const m = s.model
        if (m.type === "group" && s.members.length > 0 && s.cancelledAt > t) {
          s.cancelledAt = t
          changed = true
        }
        if ((m.type === "leaf" || m.type === "canceller") && visible(s.parent!, t)) {
          s.ended = t
          if (m.type === "leaf" && m.finDies) record(s.parent!, `D:${m.id}/fin`)
          changed = true
        }
        if (m.type === "scope" && s.kids[0]!.ended !== undefined) {
          s.ended = t
          // The TimeoutError is raised by the host after the scope: not when the host itself was
          // cancelled meanwhile, unless the scope's shield held that cancellation back (AnyIO:
          // test/reference/shielded_fail_after.py; the host gets it at its next suspension).
          if (
            m.mode === "fail" &&
            s.cancelledAt <= t &&
            !s.bodyFailed &&
            reaches(s.kids[0]!) &&
            (m.shield || !visible(s.parent!, t))
          ) {
            record(s.parent!, `T:${m.id}`, m)
          }
          if (m.finDies) record(s.parent!, `D:${m.id}/fin`)
          changed = true
        }
        if (m.type === "group" && s.kids.every((k) => k.ended !== undefined)) {
          s.ended = t
          if (s.members.length > 0) record(s.parent!, sortCanon(s.members), m)
          if (m.finDies) record(s.parent!, `D:${m.id}/fin`)
          changed = true
        }
      }
    }
  }
  settle(0)
  events.sort((a, b) => a.t - b.t)
  for (const e of events) {
    e.run(e.t)
    settle(e.t)
  }
  if (root.ended === undefined) throw new Error("oracle: the program never ends")
  const top = outside.members[0]
  return {
    members: top === undefined ? [] : (top as ReadonlyArray<Canon>),
    cancelledFromOutside: p.outer.mode !== "none" && p.outer.at <= root.ended,
    rootEnd: root.ended
  }
}

const canonOf = (eg: ExceptionGroup<unknown>): Array<Canon> =>
  sortCanon(
    eg.exceptions.map((m): Canon => {
      if (isExceptionGroup(m)) return canonOf(m)
      if (m instanceof Defect && isExceptionGroup(m.defect)) return `D${canonKey(canonOf(m.defect))}`
      if (m instanceof Defect && m.defect instanceof Injected) return `D(F:${m.defect.id})`
      if (m instanceof Defect && m.defect instanceof TimeoutError) return `D(T:${m.defect.message})`
      if (m instanceof Injected) return `F:${m.id}`
      if (m instanceof TimeoutError) return `T:${m.message}`
      if (m instanceof Defect && m.defect instanceof RuntimeError) return "RT"
      if (m instanceof Defect && m.defect instanceof Error) return `D:${m.defect.message}`
      return `?:${String(m)}`
    })
  )

// ---------------------------------------------------------------------------------------------
// Running a program
// ---------------------------------------------------------------------------------------------

interface Ctx {
  live: number
  readonly begun: Array<string>
  readonly finalized: Array<string>
  readonly taskIds: Set<number>
  readonly lock: Lock
  readonly sem: Semaphore
  readonly limiter: CapacityLimiter
  readonly send: MemoryObjectSendStream<string>
  readonly receive: MemoryObjectReceiveStream<string>
  readonly sent: Array<string>
  readonly received: Array<string>
  inLock: number
  inSem: number
  inLimiter: number
  readonly violations: Array<string>
  items: number
}

const SEM = 2
const TOKENS = 2

const makeCtx = (bufferSize: number): Ctx => {
  const [send, receive] = createMemoryObjectStream<string>(bufferSize)
  return {
    live: 0,
    begun: [],
    finalized: [],
    taskIds: new Set(),
    lock: new Lock(),
    sem: new Semaphore(SEM, { maxValue: SEM }),
    limiter: new CapacityLimiter(TOKENS),
    send,
    receive,
    sent: [],
    received: [],
    inLock: 0,
    inSem: 0,
    inLimiter: 0,
    violations: [],
    items: 0
  }
}

/** Begins (counted), then `effect`; the finalizer is counted and dies if `finDies`. */
const tracked = <A, E, R>(
  ctx: Ctx,
  id: string,
  finDies: boolean,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.ensuring(
    Effect.andThen(
      Effect.sync(() => {
        ctx.live++
        ctx.begun.push(id)
      }),
      effect
    ),
    Effect.suspend(() => {
      ctx.live--
      ctx.finalized.push(id)
      return finDies ? Effect.die(new Error(`${id}/fin`)) : Effect.void
    })
  )

/** Runs `body` counting how many are inside; more than `max` at once is a violation. */
const inside = (
  ctx: Ctx,
  key: "inLock" | "inSem" | "inLimiter",
  max: number,
  body: Effect.Effect<void>
): Effect.Effect<void> =>
  Effect.andThen(
    Effect.sync(() => {
      if (++ctx[key] > max) ctx.violations.push(`${key}: ${ctx[key]} inside at once`)
    }),
    Effect.ensuring(
      body,
      Effect.sync(() => {
        ctx[key]--
      })
    )
  )

const runOp = (ctx: Ctx, leafId: string, o: Op): Effect.Effect<void> => {
  switch (o.op) {
    case "sleep":
      return sleep(o.d)
    case "lock":
      return ctx.lock.withLock(inside(ctx, "inLock", 1, sleep(o.d)))
    case "lockRaw":
      return Effect.uninterruptibleMask((restore) =>
        Effect.andThen(
          restore(ctx.lock.acquire()),
          Effect.ensuring(restore(inside(ctx, "inLock", 1, sleep(o.d))), ctx.lock.release())
        )
      )
    case "sem":
      return ctx.sem.withPermit(inside(ctx, "inSem", SEM, sleep(o.d)))
    case "limiter":
      return ctx.limiter.withToken(inside(ctx, "inLimiter", TOKENS, sleep(o.d)))
    case "nowait":
      return Effect.ignore(
        Effect.andThen(ctx.lock.acquireNowait(), Effect.ensuring(sleep(0), ctx.lock.release()))
      )
    // A failed send/receive is recorded as a violation; `orDie` only satisfies the type.
    case "send":
      return Effect.orDie(
        Effect.gen(function* () {
          for (let i = 0; i < o.n; i++) {
            const item = `${leafId}.${ctx.items++}`
            yield* Effect.onExit(ctx.send.send(item), (exit) =>
              Effect.sync(() => {
                if (Exit.isSuccess(exit)) ctx.sent.push(item)
                else if (!Cause.hasInterruptsOnly(exit.cause))
                  ctx.violations.push(`send failed: ${Cause.pretty(exit.cause)}`)
              })
            )
          }
        })
      )
    case "recv":
      return Effect.orDie(
        Effect.gen(function* () {
          for (let i = 0; i < o.n; i++) {
            yield* Effect.onExit(ctx.receive.receive(), (exit) =>
              Effect.sync(() => {
                if (Exit.isSuccess(exit)) ctx.received.push(exit.value)
                else if (!Cause.hasInterruptsOnly(exit.cause))
                  ctx.violations.push(`receive failed: ${Cause.pretty(exit.cause)}`)
              })
            )
          }
        })
      )
    case "timeout":
      return Effect.asVoid(moveOnAfter(o.d, runOp(ctx, leafId, o.inner)))
  }
}

const leafEffect = (
  ctx: Ctx,
  leaf: LeafM,
  status: TaskStatus<void> | undefined
): Effect.Effect<void, Injected> =>
  tracked(
    ctx,
    leaf.id,
    leaf.finDies,
    Effect.gen(function* () {
      ctx.taskIds.add((yield* getCurrentTask()).id)
      if (status !== undefined) yield* status.started()
      // The workload is bounded by the leaf's end, so the leaf ends at exactly `t`.
      yield* moveOnAt(
        leaf.t,
        Effect.forEach(leaf.work, (o) => runOp(ctx, leaf.id, o), { discard: true })
      )
      yield* sleepUntil(leaf.t)
      if (leaf.outcome === "fail") return yield* Effect.fail(new Injected({ id: leaf.id }))
      if (leaf.outcome === "die") return yield* Effect.die(new Error(leaf.id))
    })
  )

type Any = Effect.Effect<unknown, unknown>

const nodeEffect = (ctx: Ctx, node: NodeM): Any => {
  switch (node.type) {
    case "leaf":
      return leafEffect(ctx, node, undefined)
    case "scope": {
      const body = nodeEffect(ctx, node.body)
      const deadline = node.deadline ?? Number.POSITIVE_INFINITY
      const scoped: Any =
        node.mode === "plain"
          ? cancelScope({ deadline, shield: node.shield }, body)
          : node.mode === "move"
            ? moveOnAt(deadline, body, { shield: node.shield })
            : failAt(deadline, body, { shield: node.shield, reason: node.id })
      return tracked(ctx, node.id, node.finDies, scoped)
    }
    case "group":
      return tracked(ctx, node.id, node.finDies, groupEffect(ctx, node))
  }
}

const groupEffect = (ctx: Ctx, g: GroupM): Any =>
  createTaskGroup((tg: TaskGroup) =>
    Effect.gen(function* () {
      ctx.taskIds.add((yield* getCurrentTask()).id)
      for (const child of g.children) {
        if (child.type === "canceller") {
          yield* tg.startSoon(
            tracked(ctx, child.id, false, Effect.andThen(sleepUntil(child.t), tg.cancel(child.id)))
          )
        } else {
          yield* tg.startSoon(nodeEffect(ctx, child))
        }
      }
      for (const leaf of g.starts)
        yield* tg.start((status: TaskStatus<void>) => leafEffect(ctx, leaf, status))
      if (g.last?.kind === "inline") yield* nodeEffect(ctx, g.last.node)
      if (g.last?.kind === "preStart") {
        const leaf = g.last.leaf
        yield* tg.start((_status: TaskStatus<void>) => leafEffect(ctx, leaf, undefined))
      }
    })
  ) as Any

const allNodes = (node: NodeM | CancellerM): Array<NodeM | CancellerM> => {
  switch (node.type) {
    case "leaf":
    case "canceller":
      return [node]
    case "scope":
      return [node, ...allNodes(node.body)]
    case "group":
      return [
        node,
        ...node.children.flatMap(allNodes),
        ...node.starts,
        ...(node.last === undefined
          ? []
          : node.last.kind === "inline"
            ? allNodes(node.last.node)
            : [node.last.leaf])
      ]
  }
}

interface Outcomes {
  readonly exit: Exit.Exit<unknown, unknown>
  readonly liveAtRootExit: number
  readonly runningAfter: ReadonlyArray<number>
  readonly drained: ReadonlyArray<string>
}

const runProgram = (p: Program, ctx: Ctx): Effect.Effect<Outcomes> =>
  Effect.gen(function* () {
    let liveAtRootExit = -1
    const root: Any = Effect.ensuring(
      nodeEffect(ctx, p.root),
      Effect.sync(() => {
        liveAtRootExit = ctx.live
      })
    )
    const program: Any =
      p.outer.mode === "scope"
        ? moveOnAt(p.outer.at, root)
        : p.outer.mode === "interrupt"
          ? Effect.gen(function* () {
              const fiber = yield* Effect.forkChild(root, { startImmediately: true })
              const killer = yield* Effect.forkChild(
                Effect.andThen(sleepUntil(p.outer.at), Fiber.interrupt(fiber))
              )
              const exit = yield* Fiber.await(fiber)
              yield* Fiber.interrupt(killer)
              return yield* exit
            })
          : root
    const exit = yield* Effect.exit(autojump(program, { shuffleSeed: p.shuffleSeed }))
    const running = yield* getRunningTasks()
    const drained: Array<string> = []
    for (;;) {
      const item = yield* Effect.option(ctx.receive.receiveNowait())
      if (Option.isNone(item)) break
      drained.push(item.value)
    }
    return {
      exit,
      liveAtRootExit,
      runningAfter: running.map((t) => t.id).filter((id) => ctx.taskIds.has(id)),
      drained
    }
  })

const sortedCopy = (xs: ReadonlyArray<string>): Array<string> => [...xs].sort()

/** Runs `p` and checks every invariant; throws (with the program printed by fast-check) if one fails. */
const check = async (p: Program): Promise<void> => {
  const want = simulate(p)
  const ctx = makeCtx(p.bufferSize)
  const out = await Effect.runPromise(runProgram(p, ctx))
  const exit = out.exit
  const describeExit = (): string => (Exit.isSuccess(exit) ? "success" : Cause.pretty(exit.cause))

  // The outcome.
  if (want.members.length > 0) {
    if (Exit.isSuccess(exit)) throw new Error(`expected failures ${canonKey(want.members)}, got success`)
    // One ExceptionGroup: failed with, or died with when it holds defects only.
    const groups = exit.cause.reasons.filter((r) => r._tag === "Fail" || r._tag === "Die")
    const reason = groups[0]
    const eg = reason?._tag === "Fail" ? reason.error : reason?._tag === "Die" ? reason.defect : undefined
    if (groups.length !== 1 || !isExceptionGroup(eg)) {
      throw new Error(`expected one ExceptionGroup ${canonKey(want.members)}, got:\n${describeExit()}`)
    }
    const typed = (g: ExceptionGroup<unknown>): boolean =>
      g.exceptions.some((m) => (isExceptionGroup(m) ? typed(m) : !(m instanceof Defect)))
    if ((reason?._tag === "Fail") !== typed(eg)) {
      throw new Error(`a group ${typed(eg) ? "with a typed failure died" : "of defects only failed"}`)
    }
    const got = canonOf(eg)
    if (canonKey(got) !== canonKey(want.members)) {
      throw new Error(`expected ${canonKey(want.members)}, got ${canonKey(got)}:\n${describeExit()}`)
    }
    if (!want.cancelledFromOutside && exit.cause.reasons.some((r) => r._tag === "Interrupt")) {
      throw new Error(`unexpected interruption next to the failures:\n${describeExit()}`)
    }
  } else if (want.cancelledFromOutside && p.outer.mode === "interrupt") {
    if (Exit.isSuccess(exit) || !Cause.hasInterruptsOnly(exit.cause)) {
      throw new Error(`expected an interruption only, got ${describeExit()}`)
    }
  } else if (!Exit.isSuccess(exit)) {
    throw new Error(`expected success, got:\n${describeExit()}`)
  }

  // Every node began and finalized exactly once, descendants first.
  const nodes = allNodes(p.root)
  const ids = sortedCopy(nodes.map((n) => n.id))
  expect(sortedCopy(ctx.begun)).toEqual(ids)
  expect(sortedCopy(ctx.finalized)).toEqual(ids)
  const at = new Map(ctx.finalized.map((id, i) => [id, i] as const))
  for (const n of nodes) {
    for (const d of allNodes(n)) {
      if (d !== n && at.get(d.id)! > at.get(n.id)!) {
        throw new Error(`finalizer of ${d.id} ran after its ancestor ${n.id}'s: ${ctx.finalized.join(" ")}`)
      }
    }
  }
  // Nothing alive.
  expect(out.liveAtRootExit).toBe(0)
  expect(ctx.live).toBe(0)
  expect(out.runningAfter).toEqual([])
  // Primitives: free, nobody waiting, never too many inside.
  expect(ctx.violations).toEqual([])
  expect(ctx.lock.statistics()).toEqual({ locked: false, owner: undefined, tasksWaiting: 0 })
  expect(ctx.sem.value).toBe(SEM)
  expect(ctx.sem.statistics().tasksWaiting).toBe(0)
  const lim = ctx.limiter.statistics()
  expect([lim.borrowedTokens, lim.tasksWaiting]).toEqual([0, 0])
  const st = ctx.send.statistics()
  expect([st.tasksWaitingSend, st.tasksWaitingReceive]).toEqual([0, 0])
  // No item lost or duplicated.
  expect(sortedCopy([...ctx.received, ...out.drained])).toEqual(sortedCopy(ctx.sent))
}

const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 })

// Generated programs per `npm test` run: RUNS_FIFO + RUNS_SHUFFLED (see the tests below).
const RUNS_FIFO = Number(process.env.RUNS_FIFO ?? 6000)
const RUNS_SHUFFLED = Number(process.env.RUNS_SHUFFLED ?? 4000)

describe("reliability: fault injection over generated programs (property)", () => {
  it("nothing leaks and nothing is lost (FIFO scheduling)", async () => {
    await fc.assert(
      fc.asyncProperty(
        rawProgram.map((raw) => build(raw, undefined)),
        async (p) => check(p)
      ),
      { numRuns: RUNS_FIFO }
    )
  }, 120_000)

  it("the oracle on hand-written programs", async () => {
    const leaf = (id: string, t: number, outcome: Outcome, finDies = false): LeafM => ({
      type: "leaf",
      id,
      t,
      outcome,
      finDies,
      work: []
    })
    const group = (
      id: string,
      children: ReadonlyArray<NodeM | CancellerM>,
      last?: GroupM["last"],
      finDies = false
    ): GroupM => ({
      type: "group",
      id,
      finDies,
      children,
      starts: [],
      last
    })
    // A shielded failAt keeps running in a cancelled group; its TimeoutError is raised all the
    // same (as AnyIO: test/reference/shielded_fail_after.py). The never-ready start() returns:
    // RuntimeError.
    const p1 = new Program(
      group(
        "G0",
        [
          {
            type: "scope",
            id: "S1",
            mode: "fail",
            deadline: 3,
            shield: true,
            finDies: false,
            body: leaf("L2", 4, "fail")
          }
        ],
        { kind: "inline", node: group("G3", [], { kind: "preStart", leaf: leaf("L4", 1, "ok") }) }
      ),
      { mode: "none", at: 99 },
      0,
      undefined
    )
    expect(simulate(p1).members).toEqual(sortCanon(["T:S1", ["RT"]]))
    await check(p1)
    // Outside the shield the deadline gives a TimeoutError; a dying finalizer of the scope turns it
    // into a defect; the group is cancelled at 2, so L3 does not fail and L4 is cancelled (its
    // finalizer still dies); the program ended before the interruption at 6.
    const p2 = new Program(
      group("G0", [
        {
          type: "scope",
          id: "S1",
          mode: "fail",
          deadline: 2,
          shield: false,
          finDies: true,
          body: leaf("L2", 4, "ok")
        },
        leaf("L3", 5, "fail"),
        leaf("L4", 3, "ok", true)
      ]),
      { mode: "interrupt", at: 6 },
      1,
      undefined
    )
    expect(simulate(p2).members).toEqual(["D(T:S1)", "D:L4/fin", "D:S1/fin"])
    await check(p2)
    // Cancelled from outside with no failure: an interruption only, whatever the shields.
    const p3 = new Program(
      group("G0", [
        {
          type: "scope",
          id: "S1",
          mode: "move",
          deadline: 4,
          shield: true,
          finDies: false,
          body: leaf("L2", 5, "ok")
        }
      ]),
      { mode: "interrupt", at: 1 },
      0,
      undefined
    )
    expect(simulate(p3)).toMatchObject({ members: [], cancelledFromOutside: true, rootEnd: 4 })
    await check(p3)
  })

  it("the same under autojump's seeded shuffle of ready tasks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(rawProgram, seed).map(([raw, s]) => build(raw, s)),
        async (p) => check(p)
      ),
      { numRuns: RUNS_SHUFFLED }
    )
  }, 120_000)
})
