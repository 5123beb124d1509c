/**
 * Property test: random trees of nested task groups with failures (`Effect.fail`), defects
 * (`Effect.die`) and sleeps, run under `autojump`.
 *
 * The expected outcome is computed from virtual times. Failures either happen at once (before the
 * task's first suspension: they always happen, even in a group that is already cancelled, because
 * a task begun in a cancelled group runs up to its first suspension) or after a sleep whose length
 * is unique in the tree (no ties). A delayed failure at time t happens iff none of its enclosing
 * groups was cancelled before t; a failure cancels its group and, through the nested groups'
 * failures, every enclosing group at the same virtual time (tasks here have no slow cleanup).
 *
 * Checked: the ExceptionGroup holds exactly the failures that happened, nested as the groups were;
 * every task (and group body) began, and its finalizer ran exactly once, children's before their
 * group's; nothing is left running.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit } from "effect"
import fc from "fast-check"
import { createTaskGroup, Defect, type ExceptionGroup, isExceptionGroup, sleep } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

class Injected extends Data.TaggedError("Injected")<{ readonly id: string }> {}

type Kind = "ok" | "fail" | "die"

interface Leaf {
  readonly type: "leaf"
  readonly id: string
  readonly kind: Kind
  /** Virtual seconds before it succeeds or fails; 0: at once, before any suspension. */
  readonly delay: number
}

interface Group {
  readonly type: "group"
  readonly id: string
  /** What the group's body does after starting the children. */
  readonly host: Leaf
  readonly children: ReadonlyArray<Leaf | Group>
}

// ---------------------------------------------------------------------------------------------
// Generator: a raw tree, then ids and unique failure times
// ---------------------------------------------------------------------------------------------

interface RawLeaf {
  readonly type: "leaf"
  readonly kind: Kind
  readonly immediate: boolean
  readonly rank: number
  readonly okDelay: number
}
interface RawGroup {
  readonly type: "group"
  readonly host: RawLeaf
  readonly children: ReadonlyArray<RawLeaf | RawGroup>
}

const rawLeaf: fc.Arbitrary<RawLeaf> = fc.record({
  type: fc.constant("leaf" as const),
  kind: fc.constantFrom<Kind>("ok", "ok", "fail", "fail", "die"),
  immediate: fc.boolean(),
  rank: fc.nat(1000),
  okDelay: fc.constantFrom(0, 0.5, 1.5, 2.5, 10)
})

const { tree: rawTree } = fc.letrec<{ tree: RawGroup; node: RawLeaf | RawGroup }>((tie) => ({
  tree: fc.record({
    type: fc.constant("group" as const),
    host: rawLeaf,
    children: fc.array(tie("node"), { maxLength: 4 })
  }),
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, rawLeaf, tie("tree"))
}))

/** Gives ids, and the delayed failures distinct whole-second times (1, 2, 3, ...) by rank. */
const build = (raw: RawGroup): Group => {
  let next = 0
  const delayed: Array<{ raw: RawLeaf; order: number; id: string }> = []
  const leafIds = new Map<RawLeaf, string>()
  const collect = (node: RawLeaf | RawGroup): void => {
    if (node.type === "leaf") {
      const id = `L${next++}`
      leafIds.set(node, id)
      if (node.kind !== "ok" && !node.immediate) delayed.push({ raw: node, order: delayed.length, id })
    } else {
      collect(node.host)
      for (const child of node.children) collect(child)
    }
  }
  collect(raw)
  delayed.sort((a, b) => a.raw.rank - b.raw.rank || a.order - b.order)
  const times = new Map<RawLeaf, number>()
  for (const [i, d] of delayed.entries()) times.set(d.raw, i + 1)
  let groups = 0
  const toLeaf = (r: RawLeaf): Leaf => ({
    type: "leaf",
    id: leafIds.get(r)!,
    kind: r.kind,
    delay: r.kind === "ok" ? r.okDelay : (times.get(r) ?? 0)
  })
  const toGroup = (r: RawGroup): Group => ({
    type: "group",
    id: `G${groups++}`,
    host: toLeaf(r.host),
    children: r.children.map((c) => (c.type === "leaf" ? toLeaf(c) : toGroup(c)))
  })
  return toGroup(raw)
}

// ---------------------------------------------------------------------------------------------
// Expected outcome
// ---------------------------------------------------------------------------------------------

/** A member in canonical form: "F:id" (failure), "D:id" (defect), or a sorted nested group. */
type Canon = string | ReadonlyArray<Canon>

const canonKey = (c: Canon): string => (typeof c === "string" ? c : `[${c.map(canonKey).join(",")}]`)
const sortCanon = (cs: Array<Canon>): Array<Canon> => cs.sort((a, b) => (canonKey(a) < canonKey(b) ? -1 : 1))

/** The expected members of the root group (empty: it succeeds). */
const expected = (root: Group): Array<Canon> => {
  const failures: Array<{ leaf: Leaf; path: ReadonlyArray<Group> }> = []
  const walk = (g: Group, path: ReadonlyArray<Group>): void => {
    const here = [...path, g]
    for (const leaf of [g.host, ...g.children]) {
      if (leaf.type === "group") walk(leaf, here)
      else if (leaf.kind !== "ok") failures.push({ leaf, path: here })
    }
  }
  walk(root, [])
  failures.sort((a, b) => a.leaf.delay - b.leaf.delay)
  const cancelledAt = new Map<Group, number>()
  const happened = new Set<Leaf>()
  for (const { leaf, path } of failures) {
    const t = leaf.delay
    if (t > 0 && path.some((g) => (cancelledAt.get(g) ?? Number.POSITIVE_INFINITY) < t)) continue
    happened.add(leaf)
    for (const g of path) if (!cancelledAt.has(g)) cancelledAt.set(g, t)
  }
  const members = (g: Group): Array<Canon> => {
    const out: Array<Canon> = []
    for (const node of [g.host, ...g.children]) {
      if (node.type === "group") {
        const nested = members(node)
        if (nested.length > 0) out.push(nested)
      } else if (happened.has(node)) {
        out.push(`${node.kind === "fail" ? "F" : "D"}:${node.id}`)
      }
    }
    return sortCanon(out)
  }
  return members(root)
}

const canonOf = (eg: ExceptionGroup<unknown>): Array<Canon> =>
  sortCanon(
    eg.exceptions.map((m): Canon => {
      if (isExceptionGroup(m)) return canonOf(m)
      if (m instanceof Injected) return `F:${m.id}`
      if (m instanceof Defect && m.defect instanceof Error) return `D:${m.defect.message}`
      return `?:${String(m)}`
    })
  )

// ---------------------------------------------------------------------------------------------
// Running a tree
// ---------------------------------------------------------------------------------------------

interface Trace {
  readonly begun: Array<string>
  readonly finalized: Array<string>
}

const tracked = <A, E, R>(trace: Trace, id: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.ensuring(
    Effect.andThen(
      Effect.sync(() => trace.begun.push(id)),
      effect
    ),
    Effect.sync(() => trace.finalized.push(id))
  )

const leafEffect = (leaf: Leaf): Effect.Effect<void, Injected> => {
  const outcome: Effect.Effect<void, Injected> =
    leaf.kind === "ok"
      ? Effect.void
      : leaf.kind === "fail"
        ? Effect.fail(new Injected({ id: leaf.id }))
        : Effect.die(new Error(leaf.id))
  return leaf.delay > 0 ? Effect.andThen(sleep(leaf.delay), outcome) : outcome
}

const groupEffect = (trace: Trace, g: Group): Effect.Effect<unknown, unknown> =>
  createTaskGroup((tg) =>
    tracked(
      trace,
      g.host.id,
      Effect.gen(function* () {
        for (const child of g.children) {
          if (child.type === "leaf") yield* tg.startSoon(tracked(trace, child.id, leafEffect(child)))
          else yield* tg.startSoon(tracked(trace, child.id, groupEffect(trace, child)))
        }
        yield* leafEffect(g.host)
      })
    )
  ) as Effect.Effect<unknown, unknown>

const allIds = (g: Group): Array<string> => [
  g.id,
  g.host.id,
  ...g.children.flatMap((c) => (c.type === "leaf" ? [c.id] : allIds(c)))
]

/** [group id, ids of everything inside it] for every group. */
const nesting = (g: Group): Array<[string, Array<string>]> => [
  [g.id, allIds(g).filter((id) => id !== g.id)],
  ...g.children.flatMap((c) => (c.type === "group" ? nesting(c) : []))
]

const check = async (tree: Group, shuffleSeed?: number): Promise<void> => {
  const trace: Trace = { begun: [], finalized: [] }
  const exit = await Effect.runPromise(
    Effect.exit(autojump(tracked(trace, tree.id, groupEffect(trace, tree)), { shuffleSeed }))
  )
  const want = expected(tree)
  if (want.length === 0) {
    expect(Exit.isSuccess(exit) ? "success" : Cause.pretty(exit.cause)).toBe("success")
  } else {
    if (Exit.isSuccess(exit)) throw new Error(`expected failures ${canonKey(want)}, got success`)
    const reasons = exit.cause.reasons
    const reason = reasons[0]
    // It fails with the group, or dies with it when every leaf is a defect (no typed failure).
    const eg = reason?._tag === "Fail" ? reason.error : reason?._tag === "Die" ? reason.defect : undefined
    if (reasons.length !== 1 || !isExceptionGroup(eg)) {
      throw new Error(`expected one ExceptionGroup, got:\n${Cause.pretty(exit.cause)}`)
    }
    const typed = (g: ExceptionGroup<unknown>): boolean =>
      g.exceptions.some((m) => (isExceptionGroup(m) ? typed(m) : !(m instanceof Defect)))
    expect(reason?._tag).toBe(typed(eg) ? "Fail" : "Die")
    expect(canonOf(eg)).toEqual(want)
  }
  const ids = allIds(tree)
  // every task and body began (a task begun in a cancelled group runs up to its first suspension)
  expect([...trace.begun].sort()).toEqual([...ids].sort())
  // every finalizer ran exactly once: nothing is left running
  expect([...trace.finalized].sort()).toEqual([...ids].sort())
  // children's finalizers before their group's
  const at = new Map(trace.finalized.map((id, i) => [id, i] as const))
  for (const [group, inside] of nesting(tree)) {
    for (const id of inside) expect(at.get(id)!).toBeLessThan(at.get(group)!)
  }
}

describe("task group trees (property)", () => {
  it("failures, defects and finalizers of random nested groups", async () => {
    await fc.assert(
      fc.asyncProperty(rawTree, async (raw) => check(build(raw))),
      { numRuns: 300 }
    )
  })

  it("the same outcome whatever order ready tasks run in (autojump's shuffle)", async () => {
    await fc.assert(
      fc.asyncProperty(rawTree, fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (raw, seed) =>
        check(build(raw), seed)
      ),
      { numRuns: 300 }
    )
  })

  it("the oracle: a delayed failure after an earlier one in the same group does not happen", async () => {
    const tree: Group = {
      type: "group",
      id: "G0",
      host: { type: "leaf", id: "L0", kind: "ok", delay: 0 },
      children: [
        { type: "leaf", id: "L1", kind: "fail", delay: 2 },
        { type: "leaf", id: "L2", kind: "fail", delay: 1 },
        { type: "leaf", id: "L3", kind: "die", delay: 0 },
        {
          type: "group",
          id: "G1",
          host: { type: "leaf", id: "L4", kind: "ok", delay: 10 },
          children: [{ type: "leaf", id: "L5", kind: "fail", delay: 0 }]
        }
      ]
    }
    expect(expected(tree)).toEqual(["D:L3", ["F:L5"]])
    await check(tree)
  })
})
