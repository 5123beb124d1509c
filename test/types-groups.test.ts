/**
 * Issue 15's type points, with the run-time behaviour each type promises:
 * - a group whose tasks cannot fail has no error channel (`never`): a group of defects only dies
 *   with its ExceptionGroup, as defects do in Effect;
 * - `catchMembers("Tag", handler)`: the handler sees only that tag;
 * - options-first spawning, optional and rest parameters of task functions.
 * Type points are checked by `tsc --noEmit`; what editors show is checked on the built package
 * (test/package.test.ts).
 */
import { expectTypeOf } from "@effect/vitest"
import { Cause, Data, Effect, Exit, Option } from "effect"
import {
  catchMembers,
  catchMembersByTag,
  catchMembersIf,
  createTaskGroup,
  Defect,
  ExceptionGroup,
  isExceptionGroup,
  type MatchedGroup,
  type TaskGroup,
  type TaskHandle,
  type TaskStatus
} from "../src/index.ts"
import { defectsOf, describe, expect, failuresOf, it } from "./helpers.ts"

class Fatal extends Data.TaggedError("Fatal")<{}> {}
class Minor extends Data.TaggedError("Minor")<{}> {}

describe("a group whose tasks cannot fail", () => {
  it.autojump("has no error channel and dies with the ExceptionGroup of its defects", () =>
    Effect.gen(function* () {
      const group = createTaskGroup((tg) => tg.startSoon(Effect.die(new RangeError("bug"))))
      expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<never>()
      const exit = yield* Effect.exit(group)
      expect(failuresOf(exit)).toEqual([])
      const [eg] = defectsOf(exit)
      expect(isExceptionGroup(eg)).toBe(true)
      if (!isExceptionGroup(eg)) return
      expect((eg.exceptions[0] as Defect).defect).toBeInstanceOf(RangeError)
      // Effect's own handlers see it as a defect, never as a typed failure
      const caught = yield* group.pipe(
        Effect.catch(() => Effect.succeed("typed")),
        Effect.catchDefect((d) => Effect.succeed(isExceptionGroup(d) ? "defect group" : "other"))
      )
      expect(caught).toBe("defect group")
    })
  )

  it.autojump("a dying nested group is a nested member of a failing outer group", () =>
    Effect.gen(function* () {
      const inner = createTaskGroup((tg) => tg.startSoon(Effect.die("inner bug")))
      const outer = createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(inner)
          yield* tg.startSoon(Effect.fail(new Fatal()))
        })
      )
      expectTypeOf<Effect.Error<typeof outer>>().toEqualTypeOf<ExceptionGroup<Fatal>>()
      const exit = yield* Effect.exit(outer)
      const [eg] = failuresOf(exit)
      expect(isExceptionGroup(eg)).toBe(true)
      if (!isExceptionGroup(eg)) return
      const nested = eg.exceptions.find(isExceptionGroup)
      expect(nested).toBeDefined()
      expect((nested!.exceptions[0] as Defect).defect).toBe("inner bug")
      expect(eg.exceptions.some((m) => m instanceof Fatal)).toBe(true)
    })
  )

  it.autojump("catchMembers('Defect') handles a dying group", () =>
    Effect.gen(function* () {
      const handled = createTaskGroup((tg) => tg.startSoon(Effect.die("bug"))).pipe(
        catchMembers("Defect", (eg) => Effect.succeed(eg.exceptions.length))
      )
      expectTypeOf<Effect.Error<typeof handled>>().toEqualTypeOf<never>()
      expect(yield* handled).toBe(1)
    })
  )

  it.autojump("a group with a typed failure and a defect fails (typed), the defect a member", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.die("bug"))
            yield* tg.startSoon(Effect.fail(new Minor()))
          })
        )
      )
      expect(Exit.isFailure(exit) && exit.cause.reasons.map((r) => r._tag)).toEqual(["Fail"])
      const eg = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(isExceptionGroup(eg) && eg.exceptions.some((m) => m instanceof Defect)).toBe(true)
    })
  )
})

describe("catchMembers: the handler sees only its tag", () => {
  it.autojump("pipe and data-first forms, one tag, several tags, Defect", () =>
    Effect.gen(function* () {
      const group = createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(Effect.fail(new Fatal()))
          yield* tg.startSoon(Effect.fail(new Minor()))
        })
      )
      const piped = group.pipe(
        catchMembers("Fatal", (eg) => {
          expectTypeOf(eg).toEqualTypeOf<MatchedGroup<Fatal>>()
          expectTypeOf(eg.exceptions[0]!).toEqualTypeOf<Fatal | MatchedGroup<Fatal>>()
          expectTypeOf(eg.leaves()[0]!.exception).toEqualTypeOf<Fatal>()
          return Effect.succeed(eg.leaves().map((l) => l.exception._tag))
        })
      )
      expectTypeOf<Effect.Error<typeof piped>>().toEqualTypeOf<ExceptionGroup<Minor>>()
      const dataFirst = catchMembers(group, ["Fatal", "Minor"], (eg) => {
        expectTypeOf(eg.leaves()[0]!.exception).toEqualTypeOf<Fatal | Minor>()
        return Effect.succeed(eg.leaves().length)
      })
      expectTypeOf<Effect.Error<typeof dataFirst>>().toEqualTypeOf<never>()
      const withDefects = catchMembers(group, ["Fatal", "Defect"], (eg) => {
        expectTypeOf(eg.leaves()[0]!.exception).toEqualTypeOf<Fatal | Defect>()
        return Effect.void
      })
      expectTypeOf<Effect.Error<typeof withDefects>>().toEqualTypeOf<ExceptionGroup<Minor>>()
      expect(yield* dataFirst).toBe(2)
      const rest = yield* Effect.flip(piped)
      expect(rest.leaves().map((l) => l.exception._tag)).toEqual(["Minor"])
    })
  )

  it("catchMembersByTag: each handler sees only its tag; the Defect handler the defects", () => {
    const program = Effect.fail(new ExceptionGroup<Fatal | Minor>("m", [new Fatal()]))
    const handled = program.pipe(
      catchMembersByTag({
        Fatal: (eg) => {
          expectTypeOf(eg).toEqualTypeOf<MatchedGroup<Fatal>>()
          return Effect.void
        },
        Defect: (eg) => {
          expectTypeOf(eg.leaves()[0]!.exception).toEqualTypeOf<Defect>()
          return Effect.void
        }
      })
    )
    expectTypeOf<Effect.Error<typeof handled>>().toEqualTypeOf<ExceptionGroup<Minor>>()
    expect(Effect.isEffect(handled)).toBe(true)
  })

  it("a handler's group is still an ExceptionGroup of its leaves", () => {
    expectTypeOf<MatchedGroup<Fatal>>().toExtend<ExceptionGroup<Fatal>>()
    // @ts-expect-error: a group that may hold defects is not one without
    expectTypeOf<ExceptionGroup<Fatal>>().toExtend<MatchedGroup<Fatal>>()
    const refined = catchMembersIf(
      Effect.fail(new ExceptionGroup<Fatal | Minor>("m", [new Fatal()])),
      (e): e is Minor => e instanceof Minor,
      (eg) => {
        expectTypeOf(eg).toEqualTypeOf<MatchedGroup<Minor>>()
        return Effect.void
      }
    )
    expectTypeOf<Effect.Error<typeof refined>>().toEqualTypeOf<ExceptionGroup<Fatal>>()
    expect(Effect.isEffect(refined)).toBe(true)
  })
})

describe("spawning: options first, optional and rest parameters", () => {
  it("startSoon/spawn/start/createTask accept a function's optional, default and rest parameters", () => {
    const check = (tg: TaskGroup) => {
      const withDefault = (text: string, delay = 0.1) => Effect.succeed(`${text}${delay}`)
      const optional = (text: string, delay?: number) => Effect.succeed(`${text}${delay ?? 0}`)
      const rest = (...xs: Array<number>) => Effect.succeed(xs.length)
      tg.startSoon(withDefault, "a", 0.15)
      tg.startSoon(withDefault, "a")
      tg.spawn(withDefault, "a", 0.15)
      tg.startSoon({ name: "t" }, withDefault, "a", 0.15)
      tg.startSoon(optional, "a", 1)
      tg.startSoon(optional, "a")
      tg.startSoon(rest, 1, 2, 3)
      tg.startSoon(rest)
      // @ts-expect-error: too many arguments
      tg.startSoon(withDefault, "a", 0.15, 1)
      // @ts-expect-error: wrong type of an optional argument
      tg.startSoon(withDefault, "a", "0.15")
      // @ts-expect-error: options never follow a function's arguments
      tg.startSoon(withDefault, "a", { name: "t" })
      const server = (port: number, verbose: boolean | undefined, status: TaskStatus<number>) =>
        Effect.andThen(status.started(port), Effect.succeed(verbose))
      const started = tg.start(server, 80, true)
      expectTypeOf<Effect.Success<typeof started>>().toEqualTypeOf<number>()
      const handle = tg.start({ name: "srv", returnHandle: true }, server, 80, undefined)
      expectTypeOf<Effect.Success<typeof handle>>().toEqualTypeOf<
        TaskHandle<boolean | undefined, never, number>
      >()
      // @ts-expect-error: the status is passed by start(), not by the caller
      tg.start(server, 80, true, undefined)
      const a = tg.createTask(withDefault("a"))
      const b = tg.createTask({ name: "b" }, withDefault("b", 0.2))
      expectTypeOf(a).toEqualTypeOf(b)
    }
    expect(typeof check).toBe("function")
  })

  it.autojump("createTask takes its options first too", () =>
    Effect.gen(function* () {
      const name = yield* createTaskGroup((tg) =>
        Effect.map(tg.createTask({ name: "named" }, Effect.succeed(1)), (h) => h.name)
      )
      expect(name).toEqual(Option.some("named"))
    })
  )
})
