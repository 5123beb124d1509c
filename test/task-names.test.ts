/**
 * Default task names (issue 15 part 2): a task given no name that runs a function built with
 * `Effect.fn("name")` is named by its span name, as AnyIO names a task by its function; any other
 * task is `Task-<id>`. The name is read when the task's first run ends (it suspends or exits).
 */
import { Cause, Data, Effect, Exit, Option } from "effect"
import {
  createTaskGroup,
  dumpTaskTree,
  type ExceptionGroup,
  getCurrentTask,
  sleep,
  sleepForever,
  waitAllTasksBlocked
} from "../src/index.ts"
import { describe, expect, it } from "./helpers.ts"

class Boom extends Data.TaggedError("Boom")<{}> {}

const fetchUser = Effect.fn("fetchUser")(function* (id: number) {
  yield* sleep(1)
  return id
})
const failing = Effect.fn("failingJob")(function* () {
  return yield* Effect.fail(new Boom())
})
const outer = Effect.fn("outer")(function* () {
  return yield* Effect.fn("inner")(function* () {
    yield* sleepForever()
  })()
})
const anonymous = Effect.fn(function* () {
  yield* sleepForever()
})

const namesOf = (handles: ReadonlyArray<{ readonly name: string }>) => handles.map((h) => h.name)

describe("default task names", () => {
  it.autojump("Effect.fn('name'): the span name, for the function and the effect forms", () =>
    Effect.gen(function* () {
      const names = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const a = yield* tg.startSoon(fetchUser, 1)
          const b = yield* tg.startSoon(fetchUser(2))
          const c = yield* tg.createTask(fetchUser(3))
          yield* waitAllTasksBlocked()
          return namesOf([a, b, c])
        })
      )
      expect(Option.getOrThrow(names)).toEqual(["fetchUser", "fetchUser", "fetchUser"])
    })
  )

  it.autojump("a given name wins; other tasks are Task-<id>; an unnamed Effect.fn gives none", () =>
    Effect.gen(function* () {
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const named = yield* tg.startSoon({ name: "bob" }, fetchUser, 1)
          const plain = yield* tg.startSoon(sleep(1))
          const anon = yield* tg.startSoon(anonymous)
          const later = yield* tg.startSoon(Effect.andThen(sleep(0.5), fetchUser(1)))
          yield* waitAllTasksBlocked()
          expect(named.name).toBe("bob")
          expect(plain.name).toBe(`Task-${plain.id}`)
          expect(anon.name).toBe(`Task-${anon.id}`)
          // it was not in an Effect.fn when its first run ended: named by id, for its whole life
          expect(later.name).toBe(`Task-${later.id}`)
          yield* sleep(0.7)
          expect(later.name).toBe(`Task-${later.id}`)
          yield* tg.cancelScope.cancel()
        })
      )
    })
  )

  it.autojump(
    "nested Effect.fn: the outermost one names the task; getCurrentTask and dumpTaskTree agree",
    () =>
      Effect.gen(function* () {
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            const t = yield* tg.startSoon(outer)
            yield* waitAllTasksBlocked()
            expect(t.name).toBe("outer")
            expect(yield* dumpTaskTree()).toContain("'outer'")
            const seen = yield* tg.start(
              Effect.fn("reporter")(function* (status: { started: (v: string) => Effect.Effect<void> }) {
                yield* sleep(0)
                const me = yield* getCurrentTask()
                yield* status.started(me.name)
                yield* sleepForever()
              })
            )
            expect(seen).toBe("reporter")
            yield* tg.cancelScope.cancel()
          })
        )
      })
  )

  it.autojump("a task that fails in its first run is named in the ExceptionGroup", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(createTaskGroup((tg) => tg.startSoon(failing)))
      expect(Exit.isFailure(exit)).toBe(true)
      const eg = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as ExceptionGroup<Boom>
      expect(eg.origins.map((o) => o?.name)).toEqual(["failingJob"])
      expect(eg.pretty()).toContain("| in task 'failingJob' (#")
    })
  )

  it.autojump("a task that fails later, inside its Effect.fn, is named in the ExceptionGroup", () =>
    Effect.gen(function* () {
      const slowFail = Effect.fn("slowFail")(function* () {
        yield* sleep(1)
        return yield* Effect.fail(new Boom())
      })
      const exit = yield* Effect.exit(createTaskGroup((tg) => tg.startSoon(slowFail)))
      const eg = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as ExceptionGroup<Boom>
      expect(eg.origins.map((o) => o?.name)).toEqual(["slowFail"])
    })
  )

  it.autojump("a task started from inside an Effect.fn of the host is not named after the host's", () =>
    Effect.gen(function* () {
      const main = Effect.fn("main")(function* () {
        return yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            const plain = yield* tg.startSoon(sleep(1))
            const fetch = yield* tg.startSoon(fetchUser, 1)
            yield* waitAllTasksBlocked()
            return [plain.name === `Task-${plain.id}`, fetch.name]
          })
        )
      })
      const result = yield* main()
      expect(Option.getOrThrow(result)).toEqual([true, "fetchUser"])
    })
  )
})
