import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit } from "effect"
import { InvalidArgumentError } from "../src/Errors.ts"
import * as ExceptionGroupModule from "../src/ExceptionGroup.ts"
import {
  catchMembers,
  catchMembersByTag,
  catchMembersIf,
  Defect,
  ExceptionGroup,
  fromCause,
  isExceptionGroup,
  type Leaves,
  type MatchedGroup,
  unwrapSingle
} from "../src/ExceptionGroup.ts"

class NotFound extends Data.TaggedError("NotFound")<{ readonly id: number }> {
  override get message(): string {
    return `not found: ${this.id}`
  }
}
class Timeout extends Data.TaggedError("Timeout")<{ readonly after: number }> {
  override get message(): string {
    return `timed out after ${this.after}`
  }
}
class Other extends Data.TaggedError("Other")<{}> {}

const nf = (id: number) => new NotFound({ id })
const to = (after: number) => new Timeout({ after })

/** The failure of an effect, as a Cause (the effect must fail). */
const causeOf = <E>(effect: Effect.Effect<unknown, E>): Effect.Effect<Cause.Cause<E>> =>
  Effect.exit(effect).pipe(
    Effect.map((exit) => {
      if (Exit.isSuccess(exit)) throw new Error("expected a failure")
      return exit.cause
    })
  )

/** The ExceptionGroup an effect fails with (the cause must be a single Fail of a group). */
const groupOf = <E>(effect: Effect.Effect<unknown, E>): Effect.Effect<ExceptionGroup<unknown>> =>
  causeOf(effect).pipe(
    Effect.map((cause) => {
      expect(cause.reasons).toHaveLength(1)
      const reason = cause.reasons[0]
      if (reason._tag !== "Fail" || !isExceptionGroup(reason.error)) throw new Error("expected a group")
      return reason.error
    })
  )

/** outer: [nf(1), inner: [to(1), nf(2)], to(2)] */
const nested = () =>
  new ExceptionGroup<NotFound | Timeout>("outer", [
    nf(1),
    new ExceptionGroup<NotFound | Timeout>("inner", [to(1), nf(2)], {
      cancelled: [{ name: "c", reason: "because task 'x' failed" }]
    }),
    to(2)
  ])

describe("ExceptionGroup construction", () => {
  // CPython test_exception_group.py: test_basics_ExceptionGroup_fields
  it("has AnyIO's (Python's) shape and is an AggregateError", () => {
    const members = [nf(1), to(2)]
    const eg = new ExceptionGroup("task group failed", members)
    expect(eg._tag).toBe("ExceptionGroup")
    expect(eg.name).toBe("ExceptionGroup")
    // Python's `eg.message` is `bareMessage`; `message` is Python's `str(eg)`, with the count
    expect(eg.bareMessage).toBe("task group failed")
    expect(eg.message).toBe("task group failed (2 sub-exceptions)")
    expect(eg.exceptions).toBe(members)
    expect(eg.errors).toEqual(members)
    expect(eg).toBeInstanceOf(AggregateError)
    expect(eg).toBeInstanceOf(Error)
    expect(eg.cancelled).toEqual([])
    expect(isExceptionGroup(eg)).toBe(true)
    expect(isExceptionGroup(new AggregateError([1]))).toBe(false)
  })

  // CPython: test_bad_EG_construction__bad_excs_sequence (an empty sequence is rejected)
  it("must not be empty", () => {
    expect(() => new ExceptionGroup("m", [])).toThrow(InvalidArgumentError)
  })

  it("gives every member a Cause at the same index: Fail for failures, Die for defects", () => {
    const boom = new TypeError("boom")
    const eg = new ExceptionGroup("m", [nf(1), new Defect({ defect: boom })])
    expect(eg.causes).toHaveLength(2)
    expect(eg.causes[0].reasons.map((r) => r._tag)).toEqual(["Fail"])
    expect(Cause.squash(eg.causes[0])).toBe(eg.exceptions[0])
    expect(eg.causes[1].reasons.map((r) => r._tag)).toEqual(["Die"])
    expect(Cause.squash(eg.causes[1])).toBe(boom)
  })

  it("keeps two equal failures as two members", () => {
    const eg = new ExceptionGroup("m", ["x", "x"])
    expect(eg.exceptions).toEqual(["x", "x"])
    expect(eg.leaves()).toHaveLength(2)
  })

  it("Defect describes the original defect", () => {
    expect(new Defect({ defect: new TypeError("boom") }).message).toBe("TypeError: boom")
    expect(new Defect({ defect: 42 }).message).toBe("Defect: 42")
    expect(new Defect({ defect: 42 })._tag).toBe("Defect")
  })

  it("Effect.catchTag('ExceptionGroup') catches it", () =>
    Effect.gen(function* () {
      const eg = new ExceptionGroup<NotFound>("m", [nf(1), nf(2)])
      const n = yield* Effect.fail(eg).pipe(
        Effect.catchTag("ExceptionGroup", (caught) => Effect.succeed(caught.exceptions.length))
      )
      expect(n).toBe(2)
    }).pipe(Effect.runPromise))
})

describe("membersOfCause / fromCause", () => {
  it("turns Fail, equal Fail, Die, Interrupt into 3 members, wraps the defect, drops the interrupt", () => {
    const boom = new TypeError("boom")
    const reasons = [
      Cause.makeFailReason(nf(1)),
      Cause.makeFailReason(nf(1)),
      Cause.makeDieReason(boom),
      Cause.makeInterruptReason(7)
    ]
    const cause = Cause.fromReasons(reasons)
    // Cause.combine would drop the equal failure: this is why the group never uses it.
    expect(Cause.combine(Cause.fail(nf(1)), Cause.fail(nf(1))).reasons).toHaveLength(1)

    const into = fromCause("m", cause)!
    expect(into.exceptions).toHaveLength(3)
    expect(into.exceptions[0]).toEqual(nf(1))
    expect(into.exceptions[1]).toEqual(nf(1))
    expect(into.exceptions[2]).toBeInstanceOf(Defect)
    expect((into.exceptions[2] as Defect).defect).toBe(boom)
    // each member keeps its own reason (and thereby its annotations: stack frames, spans)
    expect(into.causes.map((c) => c.reasons)).toEqual([[reasons[0]], [reasons[1]], [reasons[2]]])
    expect(into.causes[0].reasons[0]).toBe(reasons[0])
  })

  it("fromCause builds a group, nests groups, and gives undefined for an interrupt-only cause", () => {
    const inner = new ExceptionGroup<NotFound>("inner", [nf(1)])
    const eg = fromCause(
      "outer",
      Cause.fromReasons<ExceptionGroup<NotFound> | Timeout>([
        Cause.makeFailReason(inner),
        Cause.makeFailReason(to(1))
      ])
    )
    expect(eg?.exceptions).toEqual([inner, to(1)])
    expectTypeOf(eg).toEqualTypeOf<ExceptionGroup<NotFound | Timeout> | undefined>()
    expect(fromCause("m", Cause.interrupt(1))).toBeUndefined()
  })

  it("keeps the span-annotated stack of each member's failure", () =>
    Effect.gen(function* () {
      const lookup = Effect.fn("lookupUser")(function* (id: number) {
        return yield* Effect.fail(nf(id))
      })
      const cause = yield* causeOf(lookup(1))
      const eg = fromCause("m", cause)!
      expect(eg.causes[0].reasons[0]).toBe(cause.reasons[0])
      expect(eg.pretty()).toContain("lookupUser")
    }).pipe(Effect.runPromise))
})

describe("split / subgroup", () => {
  // CPython: test_basics_split_by_type__match
  it("splits a flat group by tag, keeping causes aligned, message and cancelled notes", () => {
    const members = [nf(1), to(1), nf(2)]
    const causes = members.map((m) => Cause.fail(m))
    const cancelled = [{ name: "b", reason: "because task 'a' failed" }]
    const eg = new ExceptionGroup<NotFound | Timeout>("m", members, { causes, cancelled })
    const [match, rest] = eg.split("NotFound")
    expect(match?.exceptions).toEqual([nf(1), nf(2)])
    expect(match?.causes).toEqual([causes[0], causes[2]])
    expect(match?.causes[1]).toBe(causes[2])
    expect(rest?.exceptions).toEqual([to(1)])
    expect(rest?.causes[0]).toBe(causes[1])
    for (const part of [match, rest]) {
      expect(part?.bareMessage).toBe("m")
      expect(part?.cancelled).toEqual(cancelled)
    }
  })

  // CPython: test_basics_split_by_type__passthrough / __no_match
  it("returns the group itself for the side that holds everything", () => {
    const eg = new ExceptionGroup<NotFound | Timeout>("m", [nf(1), nf(2)])
    const [all, none] = eg.split("NotFound")
    expect(all).toBe(eg)
    expect(none).toBeUndefined()
    const [nothing, same] = eg.split("Timeout")
    expect(nothing).toBeUndefined()
    expect(same).toBe(eg)
    expect(eg.subgroup("Timeout")).toBeUndefined()
    expect(eg.subgroup(["NotFound", "Timeout"])).toBe(eg)
  })

  // CPython: NestedExceptionGroupSplitTest.test_split_by_type
  it("splits nested groups recursively, keeping the nesting and dropping empty groups", () => {
    const eg = nested()
    const [match, rest] = eg.split("NotFound")
    // match: outer [nf(1), inner [nf(2)]]
    expect(match?.bareMessage).toBe("outer")
    expect(match?.exceptions).toHaveLength(2)
    expect(match?.exceptions[0]).toEqual(nf(1))
    const innerMatch = match?.exceptions[1] as ExceptionGroup<unknown>
    expect(innerMatch.bareMessage).toBe("inner")
    expect(innerMatch.exceptions).toEqual([nf(2)])
    expect(innerMatch.cancelled).toEqual([{ name: "c", reason: "because task 'x' failed" }])
    // rest: outer [inner [to(1)], to(2)]
    const innerRest = rest?.exceptions[0] as ExceptionGroup<unknown>
    expect(innerRest.exceptions).toEqual([to(1)])
    expect(rest?.exceptions[1]).toEqual(to(2))
    // the cause of a nested part is the original cause with the part in place of the group
    expect(Cause.squash(match!.causes[1])).toBe(innerMatch)
    expect(Cause.squash(rest!.causes[0])).toBe(innerRest)
    // a nested group whose leaves all go one way is dropped from the other side
    const [, onlyOuter] = eg.split((leaf) => leaf instanceof Timeout && leaf.after === 1)
    expect(onlyOuter?.exceptions.map((m) => (isExceptionGroup(m) ? m.exceptions : m))).toEqual([
      nf(1),
      [nf(2)],
      to(2)
    ])
    const flat = new ExceptionGroup<NotFound | Timeout>("o", [
      nf(1),
      new ExceptionGroup<Timeout>("i", [to(1)])
    ])
    expect(flat.split("Timeout")[1]?.exceptions).toEqual([nf(1)])
  })

  it("keeps the annotations of a nested group's cause on its parts", () =>
    Effect.gen(function* () {
      const inner = new ExceptionGroup<NotFound | Timeout>("inner", [nf(1), to(1)])
      const cause = yield* causeOf(Effect.fail(inner).pipe(Effect.withSpan("nestedGroup")))
      const eg = new ExceptionGroup<NotFound | Timeout>("outer", [inner], { causes: [cause] })
      const [match] = eg.split("NotFound")
      expect(match!.causes[0].reasons[0].annotations).toEqual(cause.reasons[0].annotations)
      expect(Cause.pretty(match!.causes[0])).toContain("nestedGroup")
    }).pipe(Effect.runPromise))

  // CPython: test_basics_split_by_predicate__match
  it("splits by predicate, refinement, tag array and 'Defect'", () => {
    const defect = new Defect({ defect: new Error("d") })
    const eg = new ExceptionGroup<NotFound | Timeout>("m", [nf(1), to(5), defect, nf(3)])
    expect(eg.split((leaf) => leaf instanceof NotFound && leaf.id > 1)[0]?.exceptions).toEqual([nf(3)])
    expect(eg.split((leaf): leaf is Timeout => leaf instanceof Timeout)[0]?.exceptions).toEqual([to(5)])
    expect(eg.split(["NotFound", "Timeout"])[1]?.exceptions).toEqual([defect])
    expect(eg.subgroup("Defect")?.exceptions).toEqual([defect])
    expect(eg.subgroup("Defect")?.causes[0].reasons[0]._tag).toBe("Die")
  })

  it("matches leaves only: the predicate never sees a nested group", () => {
    const seen: Array<unknown> = []
    nested().split((leaf) => {
      seen.push(leaf)
      return false
    })
    expect(seen.some(isExceptionGroup)).toBe(false)
    expect(seen).toHaveLength(4)
  })

  // CPython's leaf_generator helper: depth-first, in order
  it("leaves() walks every leaf depth-first with its cause and path", () => {
    const eg = nested()
    const leaves = eg.leaves()
    expect(leaves.map((l) => l.exception)).toEqual([nf(1), to(1), nf(2), to(2)])
    expect(leaves.map((l) => l.path)).toEqual([[0], [1, 0], [1, 1], [2]])
    expect(leaves[2].cause).toBe((eg.exceptions[1] as ExceptionGroup<unknown>).causes[1])
  })
})

describe("catchMembers / catchMembersIf / catchMembersByTag (except*)", () => {
  const failing = (eg: ExceptionGroup<NotFound | Timeout>) =>
    Effect.fail(eg) as Effect.Effect<string, ExceptionGroup<NotFound | Timeout>>

  it.effect("handles everything: succeeds with the handler's result", () =>
    Effect.gen(function* () {
      const seen: Array<ExceptionGroup<NotFound | Timeout>> = []
      const result = yield* failing(new ExceptionGroup("m", [nf(1), to(1)])).pipe(
        catchMembers(["NotFound", "Timeout"], (eg) =>
          Effect.sync(() => seen.push(eg)).pipe(Effect.as("handled"))
        )
      )
      expect(result).toBe("handled")
      expect(seen).toHaveLength(1)
    })
  )

  it.effect("passes a group to the handler even for a single match", () =>
    Effect.gen(function* () {
      const result = yield* failing(new ExceptionGroup("m", [nf(1)])).pipe(
        catchMembers("NotFound", (eg) => Effect.succeed(eg))
      )
      expect(isExceptionGroup(result)).toBe(true)
    })
  )

  it.effect("handles some: fails again with the smaller group of the rest", () =>
    Effect.gen(function* () {
      let handled: ReadonlyArray<unknown> = []
      const rest = yield* groupOf(
        failing(nested()).pipe(
          catchMembers("NotFound", (eg) =>
            Effect.sync(() => {
              handled = eg.leaves().map((l) => l.exception)
            })
          )
        )
      )
      expect(handled).toEqual([nf(1), nf(2)])
      expect(rest.bareMessage).toBe("outer")
      expect(rest.leaves().map((l) => l.exception)).toEqual([to(1), to(2)])
      expect((rest.exceptions[0] as ExceptionGroup<unknown>).bareMessage).toBe("inner")
    })
  )

  it.effect("does not run the handler without a match, and keeps the group as it was", () =>
    Effect.gen(function* () {
      const eg = new ExceptionGroup<NotFound | Timeout>("m", [to(1)])
      let ran = false
      const again = yield* groupOf(
        failing(eg).pipe(catchMembers("NotFound", () => Effect.sync(() => (ran = true))))
      )
      expect(ran).toBe(false)
      expect(again).toBe(eg)
    })
  )

  it.effect("chains like several except* clauses", () =>
    Effect.gen(function* () {
      const order: Array<string> = []
      const result = yield* failing(nested()).pipe(
        catchMembers("NotFound", (eg) => Effect.sync(() => order.push(`nf:${eg.leaves().length}`))),
        catchMembers("Timeout", (eg) => Effect.sync(() => order.push(`to:${eg.leaves().length}`)))
      )
      expect(order).toEqual(["nf:2", "to:2"])
      expect(result).toBe(2)
    })
  )

  it.effect("a failing handler comes first in the cause and the rest is kept after it", () =>
    Effect.gen(function* () {
      const cause = yield* causeOf(
        failing(new ExceptionGroup("m", [nf(1), to(1)])).pipe(
          catchMembers("NotFound", () => Effect.fail(new Other()))
        )
      )
      expect(cause.reasons).toHaveLength(2)
      expect(Cause.squash(cause)).toEqual(new Other())
      const rest = (cause.reasons[1] as Cause.Fail<ExceptionGroup<unknown>>).error
      expect(rest.exceptions).toEqual([to(1)])
      // a next clause still finds the rest
      const cause2 = yield* causeOf(
        failing(new ExceptionGroup("m", [nf(1), to(1)])).pipe(
          catchMembers("NotFound", () => Effect.fail(new Other())),
          catchMembers("Timeout", () => Effect.void)
        )
      )
      expect(cause2.reasons.map((r) => (r._tag === "Fail" ? r.error : r._tag))).toEqual([new Other()])
    })
  )

  it.effect("a rest of defects only is re-raised as a defect, so the typed error channel can be empty", () =>
    Effect.gen(function* () {
      const boom = new TypeError("boom")
      const eg = new ExceptionGroup<NotFound>("m", [nf(1), new Defect({ defect: boom })])
      const cause = yield* causeOf(
        (Effect.fail(eg) as Effect.Effect<void, ExceptionGroup<NotFound>>).pipe(
          catchMembers("NotFound", () => Effect.void)
        )
      )
      expect(cause.reasons.map((r) => r._tag)).toEqual(["Die"])
      const rest = Cause.squash(cause) as ExceptionGroup<unknown>
      expect(isExceptionGroup(rest)).toBe(true)
      expect((rest.exceptions[0] as Defect).defect).toBe(boom)
    })
  )

  it.effect("'Defect' catches defect members", () =>
    Effect.gen(function* () {
      const eg = new ExceptionGroup<NotFound>("m", [new Defect({ defect: "x" })])
      const result = yield* (Effect.fail(eg) as Effect.Effect<string, ExceptionGroup<NotFound>>).pipe(
        catchMembers("Defect", (g) => Effect.succeed((g.exceptions[0] as Defect).defect))
      )
      expect(result).toBe("x")
    })
  )

  it.effect("lets interruptions, other errors and successes pass through untouched", () =>
    Effect.gen(function* () {
      let ran = 0
      const handler = () => Effect.sync(() => ran++)
      const interrupted = yield* Effect.exit(
        (Effect.interrupt as Effect.Effect<void, ExceptionGroup<NotFound>>).pipe(
          catchMembers("NotFound", handler)
        )
      )
      expect(Exit.isFailure(interrupted) && Cause.hasInterruptsOnly(interrupted.cause)).toBe(true)
      const other = yield* Effect.flip(
        (Effect.fail(new Other()) as Effect.Effect<void, Other | ExceptionGroup<NotFound>>).pipe(
          catchMembers("NotFound", handler)
        )
      )
      expect(other).toEqual(new Other())
      const ok = yield* Effect.succeed(1).pipe(catchMembersIf(() => true, handler))
      expect(ok).toBe(1)
      expect(ran).toBe(0)
    })
  )

  it.effect("keeps an interruption next to the group after handling it", () =>
    Effect.gen(function* () {
      const eg = new ExceptionGroup<NotFound>("m", [nf(1)])
      const cause = yield* causeOf(
        Effect.failCause(Cause.fromReasons([Cause.makeFailReason(eg), Cause.makeInterruptReason(3)])).pipe(
          catchMembers("NotFound", () => Effect.void)
        )
      )
      expect(cause.reasons.map((r) => r._tag)).toEqual(["Interrupt"])
    })
  )

  it.effect("catchMembersIf matches with a refinement or a predicate", () =>
    Effect.gen(function* () {
      const rest = yield* groupOf(
        failing(new ExceptionGroup("m", [nf(1), nf(7), to(1)])).pipe(
          catchMembersIf(
            (leaf) => leaf instanceof NotFound && leaf.id > 5,
            () => Effect.void
          )
        )
      )
      expect(rest.exceptions).toEqual([nf(1), to(1)])
      const result = yield* failing(new ExceptionGroup("m", [to(1)])).pipe(
        catchMembersIf(
          (leaf): leaf is Timeout => leaf instanceof Timeout,
          (eg) => Effect.succeed(eg.exceptions.length)
        )
      )
      expect(result).toBe(1)
    })
  )

  it.effect("catchMembersByTag gives each handler its own subgroup", () =>
    Effect.gen(function* () {
      const got: Record<string, unknown> = {}
      const result = yield* failing(nested()).pipe(
        catchMembersByTag({
          NotFound: (eg) => Effect.sync(() => (got.NotFound = eg.leaves().length)).pipe(Effect.as("nf")),
          Timeout: (eg) => Effect.sync(() => (got.Timeout = eg.leaves().length)).pipe(Effect.as("to"))
        })
      )
      expect(got).toEqual({ NotFound: 2, Timeout: 2 })
      expect(result).toBe("to")
      const rest = yield* groupOf(failing(nested()).pipe(catchMembersByTag({ Timeout: () => Effect.void })))
      expect(rest.leaves().map((l) => l.exception)).toEqual([nf(1), nf(2)])
    })
  )

  it.effect("data-first forms work too", () =>
    Effect.gen(function* () {
      const eg = new ExceptionGroup<NotFound | Timeout>("m", [nf(1)])
      expect(yield* catchMembers(failing(eg), "NotFound", () => Effect.succeed(1))).toBe(1)
      expect(
        yield* catchMembersIf(
          failing(eg),
          () => true,
          () => Effect.succeed(2)
        )
      ).toBe(2)
      expect(yield* catchMembersByTag(failing(eg), { NotFound: () => Effect.succeed(3) })).toBe(3)
    })
  )

  it.effect("the module works as a namespace", () =>
    Effect.gen(function* () {
      const n = yield* failing(new ExceptionGroup("m", [nf(1)])).pipe(
        ExceptionGroupModule.catchMembers("NotFound", () => Effect.succeed(1))
      )
      expect(n).toBe(1)
    })
  )
})

describe("unwrapSingle", () => {
  it.effect("fails with the only leaf, at any depth, with its original cause", () =>
    Effect.gen(function* () {
      const reason = Cause.makeFailReason(nf(1))
      const inner = new ExceptionGroup<NotFound>("inner", [nf(1)], { causes: [Cause.fromReasons([reason])] })
      const eg = new ExceptionGroup<NotFound>("outer", [inner])
      const cause = yield* causeOf(unwrapSingle(Effect.fail(eg)))
      expect(cause.reasons).toEqual([reason])
      expect(cause.reasons[0]).toBe(reason)
      const n = yield* unwrapSingle(Effect.fail(eg)).pipe(
        Effect.catchTag("NotFound", (e) => Effect.succeed(e.id))
      )
      expect(n).toBe(1)
    })
  )

  it.effect("dies with the original defect of a single Defect", () =>
    Effect.gen(function* () {
      const boom = new TypeError("boom")
      const cause = yield* causeOf(
        unwrapSingle(Effect.fail(new ExceptionGroup("m", [new Defect({ defect: boom })])))
      )
      expect(cause.reasons.map((r) => r._tag)).toEqual(["Die"])
      expect(Cause.squash(cause)).toBe(boom)
    })
  )

  it.effect("leaves groups of several leaves as they are", () =>
    Effect.gen(function* () {
      const eg = new ExceptionGroup<NotFound>("m", [nf(1), nf(1)])
      expect(yield* groupOf(unwrapSingle(Effect.fail(eg)))).toBe(eg)
    })
  )
})

describe("printout", () => {
  const sample = () =>
    new ExceptionGroup<NotFound | Timeout>(
      "task group failed",
      [
        nf(1),
        new ExceptionGroup<NotFound | Timeout>("nested group", [to(3), nf(2)]),
        new Defect({ defect: new RangeError("bad") })
      ],
      {
        cancelled: [
          { name: "b", reason: "because task 'a' failed" },
          { name: "c", reason: "because task 'a' failed" },
          { name: "d", reason: "" }
        ]
      }
    )

  it("is a tree like Python's traceback, every member with its message, then the cancelled tasks", () => {
    const text = sample().pretty()
    const lines = text.split("\n")
    expect(lines[0]).toBe("ExceptionGroup: task group failed (3 sub-exceptions)")
    expect(lines[1]).toBe("+-+---------------- 1 ----------------")
    expect(lines[2]).toBe("  | NotFound: not found: 1")
    expect(lines).toContain("  +---------------- 2 ----------------")
    expect(lines).toContain("  | ExceptionGroup: nested group (2 sub-exceptions)")
    expect(lines).toContain("  +-+---------------- 1 ----------------")
    expect(lines).toContain("    | Timeout: timed out after 3")
    expect(lines).toContain("    | NotFound: not found: 2")
    expect(lines).toContain("  | RangeError: bad")
    expect(lines).toContain("(cancelled: tasks 'b', 'c' — because task 'a' failed)")
    expect(lines.at(-1)).toBe("(cancelled: task 'd')")
    expect(lines.at(-3)).toBe("  +------------------------------------")
  })

  it("shows each leaf's own stack", () => {
    const text = sample().pretty()
    // the RangeError was created in this file: its frame is printed under it
    const at = text.split("\n").indexOf("  | RangeError: bad")
    expect(text.split("\n")[at + 1]).toMatch(/^ {2}\| {5}at .*exception-group\.test\.ts/)
  })

  it("is what toString(), stack and Cause.pretty show", () => {
    const eg = sample()
    expect(eg.toString()).toBe(eg.pretty())
    // The stack starts with the tree; its header is `name: message` (the message holds the count),
    // the line Effect's Cause.pretty rebuilds, so Cause.pretty prints the same header on one line.
    const [header] = eg.pretty().split("\n")
    expect(header).toBe(`ExceptionGroup: ${eg.bareMessage} (${eg.exceptions.length} sub-exceptions)`)
    expect(header).toBe(`ExceptionGroup: ${eg.message}`)
    expect(eg.stack?.startsWith(eg.pretty())).toBe(true)
    const pretty = Cause.pretty(Cause.fail(eg))
    expect(pretty.startsWith(eg.pretty())).toBe(true)
    expect(pretty).toContain("    | Timeout: timed out after 3")
    expect(pretty).toContain("(cancelled: tasks 'b', 'c' — because task 'a' failed)")
  })

  it("closes once after a nested group that is the last member", () => {
    const eg = new ExceptionGroup("o", ["a", new ExceptionGroup("i", ["b"])])
    const lines = eg.pretty().split("\n")
    expect(lines.at(-1)).toBe("    +------------------------------------")
    expect(lines.filter((l) => l.trim() === "+------------------------------------")).toHaveLength(1)
  })

  it("prints at most 15 members per group, like Python", () => {
    const eg = new ExceptionGroup(
      "many",
      Array.from({ length: 20 }, (_, i) => new Error(`e${i}`))
    )
    const text = eg.pretty()
    expect(text).toContain("| Error: e14")
    expect(text).not.toContain("| Error: e15")
    expect(text).toContain("  | and 5 more exceptions")
  })
})

describe("types", () => {
  it("tracks leaf types", () => {
    const eg = new ExceptionGroup<NotFound | Timeout>("m", [nf(1)])
    expectTypeOf(eg.exceptions).toEqualTypeOf<
      ReadonlyArray<NotFound | Timeout | Defect | ExceptionGroup<NotFound | Timeout>>
    >()
    expectTypeOf<Leaves<NotFound | ExceptionGroup<Timeout>>>().toEqualTypeOf<NotFound | Timeout>()
    expectTypeOf(eg.leaves()[0].exception).toEqualTypeOf<NotFound | Timeout | Defect>()
    // covariant: a group of fewer leaf types is a group of more
    expectTypeOf<ExceptionGroup<NotFound>>().toExtend<ExceptionGroup<NotFound | Timeout>>()
  })

  it("narrows split and subgroup by tag and by refinement", () => {
    const eg = new ExceptionGroup<NotFound | Timeout | Other>("m", [nf(1)])
    expectTypeOf(eg.split("NotFound")).toEqualTypeOf<
      [match: MatchedGroup<NotFound> | undefined, rest: ExceptionGroup<Timeout | Other> | undefined]
    >()
    expectTypeOf(eg.split(["NotFound", "Timeout"])[1]).toEqualTypeOf<ExceptionGroup<Other> | undefined>()
    expectTypeOf(eg.subgroup("Timeout")).toEqualTypeOf<MatchedGroup<Timeout> | undefined>()
    // the matching side holds no defect unless "Defect" is among the tags
    expectTypeOf(eg.subgroup(["Timeout", "Defect"])).toEqualTypeOf<ExceptionGroup<Timeout> | undefined>()
    expectTypeOf(eg.split((e): e is Timeout => e instanceof Timeout)).toEqualTypeOf<
      [match: MatchedGroup<Timeout> | undefined, rest: ExceptionGroup<NotFound | Other> | undefined]
    >()
    const isBig = (e: NotFound | Timeout | Other | Defect): boolean => e instanceof NotFound && e.id > 5
    expectTypeOf(eg.split(isBig)).toEqualTypeOf<
      [
        match: ExceptionGroup<NotFound | Timeout | Other> | undefined,
        rest: ExceptionGroup<NotFound | Timeout | Other> | undefined
      ]
    >()
    // @ts-expect-error: not a tag of the leaves
    eg.split("Nope")
    // any tag when the leaf type is unknown (a tag other than "Defect" matches no defect)
    expectTypeOf(new ExceptionGroup<unknown>("m", [1]).split("Whatever")[0]).toEqualTypeOf<
      MatchedGroup<unknown> | undefined
    >()
  })

  it("narrows the error channel of the combinators, down to never", () => {
    const program = Effect.fail(new ExceptionGroup<NotFound | Timeout>("m", [nf(1)])) as Effect.Effect<
      number,
      ExceptionGroup<NotFound | Timeout> | Other
    >
    const some = program.pipe(catchMembers("NotFound", (eg) => Effect.succeed(eg)))
    // the handler's group holds only NotFound (no defects)
    expectTypeOf(some).toEqualTypeOf<
      Effect.Effect<number | MatchedGroup<NotFound>, Other | ExceptionGroup<Timeout>>
    >()
    const all = program.pipe(catchMembers(["NotFound", "Timeout"], () => Effect.succeed("s")))
    expectTypeOf(all).toEqualTypeOf<Effect.Effect<number | string, Other>>()
    const allFirst = catchMembers(program, ["NotFound", "Timeout"], () => Effect.fail("e" as const))
    expectTypeOf(allFirst).toEqualTypeOf<Effect.Effect<number, Other | "e">>()
    const refined = program.pipe(
      catchMembersIf(
        (e): e is Timeout => e._tag === "Timeout",
        (eg) => Effect.succeed(eg)
      )
    )
    expectTypeOf(refined).toEqualTypeOf<
      Effect.Effect<number | MatchedGroup<Timeout>, Other | ExceptionGroup<NotFound>>
    >()
    const predicate = program.pipe(
      catchMembersIf(
        (e: NotFound | Timeout | Defect) => e instanceof NotFound && e.id > 1,
        (eg) => Effect.succeed(eg)
      )
    )
    expectTypeOf(predicate).toEqualTypeOf<
      Effect.Effect<number | ExceptionGroup<NotFound | Timeout>, Other | ExceptionGroup<NotFound | Timeout>>
    >()
    const byTag = program.pipe(
      catchMembersByTag({ NotFound: () => Effect.succeed("a"), Timeout: () => Effect.fail(new Other()) })
    )
    expectTypeOf(byTag).toEqualTypeOf<Effect.Effect<number | string, Other>>()
    const partial = program.pipe(catchMembersByTag({ Timeout: () => Effect.succeed(true) }))
    expectTypeOf(partial).toEqualTypeOf<Effect.Effect<number | boolean, Other | ExceptionGroup<NotFound>>>()
    // @ts-expect-error: not a tag of the leaves
    program.pipe(catchMembersByTag({ Nope: () => Effect.void }))
    // @ts-expect-error: not a tag of the leaves
    program.pipe(catchMembers("Nope", () => Effect.void))
    expectTypeOf(program.pipe(unwrapSingle)).toEqualTypeOf<
      Effect.Effect<number, Other | NotFound | Timeout | ExceptionGroup<NotFound | Timeout>>
    >()
  })
})

describe("class statics", () => {
  it.effect("the combinators are reachable from the class, for root imports", () =>
    Effect.gen(function* () {
      const eg = new ExceptionGroup<NotFound>("m", [nf(1)])
      const n = yield* (Effect.fail(eg) as Effect.Effect<number, ExceptionGroup<NotFound>>).pipe(
        ExceptionGroup.catchMembers("NotFound", () => Effect.succeed(2))
      )
      expect(n).toBe(2)
      expect(ExceptionGroup.catchMembersIf).toBe(catchMembersIf)
      expect(ExceptionGroup.catchMembersByTag).toBe(catchMembersByTag)
      expect(ExceptionGroup.unwrapSingle).toBe(unwrapSingle)
      expect(ExceptionGroup.fromCause).toBe(fromCause)
    })
  )
})
