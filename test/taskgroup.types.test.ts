/**
 * Type-level tests of task groups: checked by `tsc --noEmit` (vitest runs them as plain tests that
 * build the effects without running them). `toEqualTypeOf` is exact, and every `@ts-expect-error`
 * fails the type check when the line it guards stops being an error.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Context, Data, Effect, type Option } from "effect"
import {
  cancelScope,
  createTaskGroup,
  type ExceptionGroup,
  type Spawned,
  type TaskGroup,
  type TaskGroupError,
  type TaskHandle,
  type TaskStatus
} from "../src/index.ts"

class E0 extends Data.TaggedError("E0")<{}> {}
class E1 extends Data.TaggedError("E1")<{}> {}
class E2 extends Data.TaggedError("E2")<{}> {}
class E3 extends Data.TaggedError("E3")<{}> {}

class Db extends Context.Service<Db, { readonly query: Effect.Effect<number> }>()("test/Db") {}
class Log extends Context.Service<Log, { readonly line: (s: string) => Effect.Effect<void> }>()("test/Log") {}

const fail1 = Effect.fail(new E1())
const fail2 = Effect.fail(new E2())

describe("task group types", () => {
  it("tasks failing with E1 and E2 give ExceptionGroup<E1 | E2>", () => {
    const group = createTaskGroup((tg) =>
      Effect.gen(function* () {
        yield* tg.startSoon(fail1)
        yield* tg.startSoon(() => fail2)
      })
    )
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<ExceptionGroup<E1 | E2>>()
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<
      TaskGroupError<never, Spawned<E1> | Spawned<E2>>
    >()
    expectTypeOf<Effect.Services<typeof group>>().toEqualTypeOf<never>()
    expect(Effect.isEffect(group)).toBe(true)
  })

  it("a group whose tasks cannot fail has no error channel (never), also nested", () => {
    const group = createTaskGroup((tg) => tg.startSoon(Effect.succeed(1)))
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<never>()
    const nested = createTaskGroup((tg) => tg.startSoon(group))
    expectTypeOf<Effect.Error<typeof nested>>().toEqualTypeOf<never>()
    const dies = createTaskGroup((tg) => tg.startSoon(Effect.die("boom")))
    expectTypeOf<Effect.Error<typeof dies>>().toEqualTypeOf<never>()
    expectTypeOf<TaskGroupError<never, Spawned<never>>>().toEqualTypeOf<never>()
  })

  it("the body's own error is among the leaves", () => {
    const group = createTaskGroup((tg) =>
      Effect.gen(function* () {
        yield* tg.startSoon(fail1)
        return yield* Effect.fail(new E0())
      })
    )
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<ExceptionGroup<E0 | E1>>()
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<TaskGroupError<E0, Spawned<E1>>>()
  })

  it("the group succeeds with an Option of the body's value (None: its own cancellation stopped it)", () => {
    const group = createTaskGroup(() => Effect.succeed("value" as const))
    expectTypeOf<Effect.Success<typeof group>>().toEqualTypeOf<Option.Option<"value">>()
    // the same model as cancel scopes (a body that receives its handle can cancel itself)
    const scope = cancelScope({}, () => Effect.succeed("value" as const))
    expectTypeOf<Effect.Success<typeof scope>>().toEqualTypeOf<Effect.Success<typeof group>>()
  })

  it("the tasks' requirements flow out, without Spawned", () => {
    const group = createTaskGroup((tg) =>
      Effect.gen(function* () {
        yield* tg.startSoon(Effect.flatMap(Db, (db) => db.query))
        yield* tg.startSoon((s: string) => Effect.flatMap(Log, (log) => log.line(s)), "hi")
        yield* tg.startSoon(fail1)
      })
    )
    expectTypeOf<Effect.Services<typeof group>>().toEqualTypeOf<Db | Log>()
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<ExceptionGroup<E1>>()
  })

  it("the body's requirements flow out too", () => {
    const group = createTaskGroup(() => Effect.flatMap(Db, (db) => db.query))
    expectTypeOf<Effect.Services<typeof group>>().toEqualTypeOf<Db>()
    expectTypeOf<Effect.Success<typeof group>>().toEqualTypeOf<Option.Option<number>>()
  })

  it("startSoon records the task's failure as a Spawned requirement", () => {
    const check = (tg: TaskGroup) => {
      const spawn = tg.startSoon(fail1)
      // (its success type is the task's handle; only the channels matter here)
      expectTypeOf<Effect.Error<typeof spawn>>().toEqualTypeOf<never>()
      expectTypeOf<Effect.Services<typeof spawn>>().toEqualTypeOf<Spawned<E1>>()
      const spawnFn = tg.spawn(
        { name: "n" },
        (n: number): Effect.Effect<never, E1 | E2> => (n > 0 ? fail1 : fail2),
        1
      )
      expectTypeOf<Effect.Error<typeof spawnFn>>().toEqualTypeOf<never>()
      expectTypeOf<Effect.Services<typeof spawnFn>>().toEqualTypeOf<Spawned<E1 | E2>>()
    }
    expect(typeof check).toBe("function")
  })

  it("startSoon checks the arguments against the function", () => {
    const check = (tg: TaskGroup) => {
      const task = (n: number, s: string) => Effect.succeed(`${n}${s}`)
      tg.startSoon(task, 1, "a")
      tg.startSoon({ name: "t" }, task, 1, "a")
      // @ts-expect-error: options never follow a function's arguments (they come first)
      tg.startSoon(task, 1, "a", { name: "t" })
      // @ts-expect-error: wrong argument type
      tg.startSoon(task, "1", "a")
      // @ts-expect-error: missing argument
      tg.startSoon(task, 1)
    }
    expect(typeof check).toBe("function")
  })

  it("a task that spawns E3 into the group it receives adds E3 to the group's type", () => {
    const spawner = (group: TaskGroup) => group.startSoon(Effect.fail(new E3()))
    const group = createTaskGroup((tg) =>
      Effect.gen(function* () {
        yield* tg.startSoon(fail1)
        yield* tg.startSoon(spawner, tg)
      })
    )
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<ExceptionGroup<E1 | E3>>()
    expectTypeOf<Effect.Services<typeof group>>().toEqualTypeOf<never>()
  })

  it("using the outer group inside a nested group's body keeps E3 among the outer leaves", () => {
    const group = createTaskGroup((outer) =>
      Effect.gen(function* () {
        yield* outer.startSoon(fail1)
        yield* createTaskGroup((inner) =>
          Effect.gen(function* () {
            yield* inner.startSoon(fail2)
            yield* outer.startSoon(Effect.fail(new E3()))
          })
        )
      })
    )
    // At run time E3 lands in the outer group directly; the type puts it in the nested group's leaves.
    // Either way it is a leaf of the outer group's type.
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<ExceptionGroup<E1 | E2 | E3>>()
    expectTypeOf<Effect.Services<typeof group>>().toEqualTypeOf<never>()
  })

  it("a nested group's failure type joins the outer leaves", () => {
    const nested = createTaskGroup((inner) => inner.startSoon(fail2))
    const group = createTaskGroup((outer) => outer.startSoon(nested))
    expectTypeOf<Effect.Error<typeof nested>>().toEqualTypeOf<ExceptionGroup<E2>>()
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<ExceptionGroup<E2>>()
  })

  it("start() returns the started value's type and fails with the task's error", () => {
    const check = (tg: TaskGroup) => {
      const server = (port: number, status: TaskStatus<string>) =>
        Effect.gen(function* () {
          yield* status.started(`listening on ${port}`)
          return yield* Effect.fail(new E1())
        })
      const started = tg.start(server, 80)
      expectTypeOf(started).toEqualTypeOf<Effect.Effect<string, E1, Spawned<E1>>>()
      const noValue = tg.start((status: TaskStatus) => Effect.andThen(status.started(), fail2))
      expectTypeOf(noValue).toEqualTypeOf<Effect.Effect<void, E2, Spawned<E2>>>()
    }
    expect(typeof check).toBe("function")
  })

  it("start() inside a group puts the task's error in the group's type and the body's", () => {
    const group = createTaskGroup((tg) =>
      tg.start((status: TaskStatus<number>) => Effect.andThen(status.started(1), fail1))
    )
    expectTypeOf<Effect.Success<typeof group>>().toEqualTypeOf<Option.Option<number>>()
    expectTypeOf<Effect.Error<typeof group>>().toEqualTypeOf<ExceptionGroup<E1>>()
  })

  it("started() takes a value of the status type", () => {
    const check = (status: TaskStatus<number>, none: TaskStatus) => {
      status.started(1)
      none.started()
      // @ts-expect-error: wrong value type
      status.started("1")
      // @ts-expect-error: a value is required
      status.started()
    }
    expect(typeof check).toBe("function")
  })

  it("an effect that still needs Spawned cannot be run on its own", () => {
    const check = (tg: TaskGroup) => {
      const spawn = tg.startSoon(fail1)
      // @ts-expect-error: Spawned<E1> is not provided
      Effect.runFork(spawn)
    }
    expect(typeof check).toBe("function")
  })
})

describe("start() handles and options (types)", () => {
  it("a start() handle is typed in its start value; startSoon/createTask handles have none", () => {
    const check = (tg: TaskGroup) => {
      const server = (port: number, status: TaskStatus<number>) =>
        Effect.andThen(status.started(port), Effect.succeed("done" as const))
      const h = tg.start({ returnHandle: true }, server, 80)
      expectTypeOf<Effect.Success<typeof h>>().toEqualTypeOf<TaskHandle<"done", never, number>>()
      const v = tg.start(server, 80)
      expectTypeOf<Effect.Success<typeof v>>().toEqualTypeOf<number>()
      const named = tg.start({ name: "srv" }, server, 80)
      expectTypeOf<Effect.Success<typeof named>>().toEqualTypeOf<number>()
      const soon = tg.startSoon(Effect.succeed(1))
      expectTypeOf<Effect.Success<typeof soon>>().toEqualTypeOf<TaskHandle<number, never>>()
      expectTypeOf<TaskHandle<number, never>["startValue"]>().toEqualTypeOf<undefined>()
      // optional parameters stay accepted
      const withDefault = (text: string, delay = 0.1) => Effect.succeed(`${text}${delay}`)
      tg.startSoon(withDefault, "a")
      tg.startSoon(withDefault, "a", 0.15)
      tg.startSoon({ name: "x" }, withDefault, "a", 0.15)
    }
    expect(typeof check).toBe("function")
  })

  // issue 14 part 3: optional parameters are accepted by startSoon's argument lists
  it('tg.startSoon(fn, "a", 0.15) with fn(text: string, delay = 0.1) type-checks', () => {
    function fn(text: string, delay = 0.1) {
      return Effect.as(Effect.sleep(delay * 1000), text)
    }
    const fnE = Effect.fn("fnE")(function* (text: string, delay = 0.1) {
      yield* Effect.sleep(delay * 1000)
      return text.length
    })
    const check = (tg: TaskGroup) => {
      const both = tg.startSoon(fn, "a", 0.15)
      expectTypeOf<Effect.Success<typeof both>>().toEqualTypeOf<TaskHandle<string, never>>()
      const one = tg.startSoon(fn, "a")
      expectTypeOf<Effect.Success<typeof one>>().toEqualTypeOf<TaskHandle<string, never>>()
      const spawned = tg.spawn(fn, "a", 0.15)
      expectTypeOf<Effect.Success<typeof spawned>>().toEqualTypeOf<TaskHandle<string, never>>()
      const named = tg.startSoon({ name: "x" }, fnE, "a", 0.15)
      expectTypeOf<Effect.Success<typeof named>>().toEqualTypeOf<TaskHandle<number, never>>()
      // @ts-expect-error the optional parameter keeps its type
      tg.startSoon(fn, "a", "slow")
      // @ts-expect-error no argument past the last parameter
      tg.startSoon(fn, "a", 0.15, 1)
      // @ts-expect-error the required parameter stays required
      tg.startSoon(fn)
    }
    expect(typeof check).toBe("function")
  })
})
