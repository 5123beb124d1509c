/**
 * Type-level tests of Scope-owned task groups (issue 15 part 1): checked by `tsc --noEmit`; vitest
 * builds the effects without running them. A scoped group's task failures reach the owner at run
 * time (see TaskGroupService.ts), so they are in no type of the group: starting a task adds no
 * `Spawned<E>` requirement, and `surfaceTaskGroupFailures` adds `ExceptionGroup<unknown>`.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Context, Data, Effect, Layer, type Scope } from "effect"
import {
  CurrentTaskGroup,
  createTaskGroupScoped,
  type ExceptionGroup,
  type ScopedTaskGroup,
  surfaceTaskGroupFailures,
  type TaskHandle,
  type TaskStatus,
  taskGroupLayer
} from "../src/index.ts"

class Crash extends Data.TaggedError("Crash")<{}> {}
class Db extends Context.Service<Db, { readonly query: Effect.Effect<number> }>()("test/Db") {}

describe("scoped task group types", () => {
  it("createTaskGroupScoped needs a Scope and cannot fail", () => {
    const make = createTaskGroupScoped({ name: "workers" })
    expectTypeOf(make).toEqualTypeOf<Effect.Effect<ScopedTaskGroup, never, Scope.Scope>>()
    expect(Effect.isEffect(make)).toBe(true)
  })

  it("startSoon returns a TaskHandle; the task's error is not a requirement, its services are", () => {
    const body = Effect.gen(function* () {
      const tg = yield* createTaskGroupScoped()
      const failing = yield* tg.startSoon(Effect.fail(new Crash()))
      expectTypeOf(failing).toEqualTypeOf<TaskHandle<never, Crash>>()
      const named = yield* tg.startSoon({ name: "db" }, (n: number) => Effect.map(Db, () => n), 1)
      expectTypeOf(named).toEqualTypeOf<TaskHandle<number, never>>()
      return failing
    })
    expectTypeOf<Effect.Error<typeof body>>().toEqualTypeOf<never>()
    expectTypeOf<Effect.Services<typeof body>>().toEqualTypeOf<Scope.Scope | Db>()
  })

  it("start() gives the started value and fails with the task's error (a crash before started())", () => {
    const worker = (id: number, status: TaskStatus<string>) =>
      id < 0 ? Effect.fail(new Crash()) : status.started(`worker ${id}`)
    const body = Effect.gen(function* () {
      const tg = yield* createTaskGroupScoped()
      return yield* tg.start(worker, 1)
    })
    expectTypeOf(body).toEqualTypeOf<Effect.Effect<string, Crash, Scope.Scope>>()
    const handle = Effect.gen(function* () {
      const tg = yield* createTaskGroupScoped()
      return yield* tg.start({ name: "w", returnHandle: true }, worker, 1)
    })
    expectTypeOf<Effect.Success<typeof handle>>().toEqualTypeOf<TaskHandle<void, Crash, string>>()
    // @ts-expect-error the last parameter must be the TaskStatus
    Effect.andThen(createTaskGroupScoped(), (tg) => tg.start((id: number) => Effect.succeed(id), 1))
  })

  it("taskGroupLayer provides CurrentTaskGroup; deep code requires it", () => {
    expectTypeOf(taskGroupLayer()).toEqualTypeOf<Layer.Layer<CurrentTaskGroup>>()
    const deep = Effect.gen(function* () {
      const tg = yield* CurrentTaskGroup
      yield* tg.startSoon(Effect.fail(new Crash()))
    })
    expectTypeOf(deep).toEqualTypeOf<Effect.Effect<void, never, CurrentTaskGroup>>()
    const provided = Effect.provide(deep, taskGroupLayer())
    expectTypeOf(provided).toEqualTypeOf<Effect.Effect<void, never, never>>()
    // a Layer built on a scoped group needs nothing more than its own services
    const WorkersLive = Layer.effectDiscard(
      Effect.gen(function* () {
        const tg = yield* createTaskGroupScoped()
        yield* tg.startSoon(Effect.fail(new Crash()))
      })
    )
    expectTypeOf(WorkersLive).toEqualTypeOf<Layer.Layer<never>>()
  })

  it("surfaceTaskGroupFailures adds ExceptionGroup<unknown> to the error channel, keeps the rest", () => {
    const program: Effect.Effect<number, Crash, Db> = Effect.fail(new Crash())
    const surfaced = surfaceTaskGroupFailures(program)
    expectTypeOf(surfaced).toEqualTypeOf<Effect.Effect<number, Crash | ExceptionGroup<unknown>, Db>>()
    const handled = surfaced.pipe(
      Effect.catchTag("ExceptionGroup", (eg) => Effect.succeed(eg.exceptions.length))
    )
    expectTypeOf(handled).toEqualTypeOf<Effect.Effect<number, Crash, Db>>()
  })
})
