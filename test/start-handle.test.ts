/**
 * `tg.start({ returnHandle: true }, fn, ...args)` (AnyIO 4.14's `return_handle=True`) and options
 * that come first. Ported from AnyIO's tests/test_taskgroups.py.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  checkpoint,
  createTaskGroup,
  type Defect,
  getCurrentTask,
  InvalidArgumentError,
  isExceptionGroup,
  sleep,
  type TaskStatus,
  taskStatusIgnored
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

describe("start() with returnHandle", () => {
  // anyio: test_start_return_handle_success
  it.effect("returns a handle whose startValue is the started() value and whose join gives the result", () =>
    Effect.gen(function* () {
      const taskfunc = (x: number, y: number, status: TaskStatus<number>) =>
        Effect.gen(function* () {
          yield* status.started(3)
          yield* checkpoint()
          return x + y
        })
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const handle = yield* tg.start({ returnHandle: true }, taskfunc, 4, 5)
          expect(handle.startValue).toBe(3)
          expect(yield* handle.join).toBe(9)
        })
      )
    })
  )

  // anyio: test_start_return_handle_cancel
  it.effect("cancelling the handle cancels the task; startValue stays", () =>
    autojump(
      Effect.gen(function* () {
        let reached = false
        const taskfunc = (status: TaskStatus<number>) =>
          Effect.gen(function* () {
            yield* status.started(3)
            yield* sleep(5)
            reached = true
          })
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            const handle = yield* tg.start({ returnHandle: true }, taskfunc)
            yield* handle.cancel()
            yield* handle.wait
            expect(handle.startValue).toBe(3)
            expect(handle.status).toBe("cancelled")
          })
        )
        expect(reached).toBe(false)
      })
    )
  )

  // anyio: test_task_name_custom_name (the "start" spawner; start_soon and create_task as well)
  it.effect("a custom name reaches the task and its handle, for start, startSoon and createTask", () =>
    Effect.gen(function* () {
      const taskfunc = (status: TaskStatus = taskStatusIgnored) =>
        Effect.gen(function* () {
          yield* status.started()
          return (yield* getCurrentTask()).name
        })
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const handles = [
            yield* tg.createTask(taskfunc(), { name: "custom name" }),
            yield* tg.startSoon({ name: "custom name" }, taskfunc),
            yield* tg.start({ returnHandle: true, name: "custom name" }, taskfunc)
          ]
          for (const handle of handles) {
            expect(yield* handle.join).toBe("custom name")
            expect(handle.name).toBe("custom name")
          }
        })
      )
    })
  )

  it.effect("returnHandle: false (or absent) returns the value", () =>
    Effect.gen(function* () {
      const server = (port: number, status: TaskStatus<number>) => status.started(port)
      const [a, b] = yield* createTaskGroup((tg) =>
        Effect.all([tg.start({ returnHandle: false }, server, 1), tg.start(server, 2)])
      ).pipe(Effect.map(Option.getOrElse(() => [0, 0] as const)))
      expect([a, b]).toEqual([1, 2])
    })
  )
})

describe("options come first", () => {
  it.effect("a plain object after a function's arguments is an argument, never options", () =>
    Effect.gen(function* () {
      const seen: Array<string> = []
      const fn = (id: number, who: { readonly name: string } = { name: "anon" }) =>
        Effect.gen(function* () {
          seen.push(`${id} ${who.name} in ${(yield* getCurrentTask()).name}`)
        })
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(fn, 1, { name: "bob" })
          yield* tg.startSoon({ name: "task-2" }, fn, 2)
        })
      )
      expect(seen).toEqual(["1 bob in fn", "2 anon in task-2"])
    })
  )

  it.effect("returnHandle is an option of start() only", () =>
    Effect.gen(function* () {
      const exit = yield* createTaskGroup((tg) =>
        tg.startSoon({ returnHandle: true } as { name?: string }, () => Effect.void)
      ).pipe(Effect.exit)
      expect(exit._tag).toBe("Failure")
    })
  )
})

describe("start() with returnHandle: AnyIO's parametrized cases", () => {
  // anyio: test_start_exception_delivery (return_handle=True; the False case is in taskgroup.test.ts)
  it.effect("a function that does not return an Effect fails the group with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const taskFn = ((status: TaskStatus<string>) => {
        void status.started("hello")
        return undefined
      }) as unknown as (status: TaskStatus<string>) => Effect.Effect<void>
      const exit = yield* Effect.exit(createTaskGroup((tg) => tg.start({ returnHandle: true }, taskFn)))
      expect(exit._tag).toBe("Failure")
      const reason = exit._tag === "Failure" ? exit.cause.reasons[0] : undefined
      // A group of defects only dies with its ExceptionGroup (its error channel is `never`).
      expect(reason?._tag).toBe("Die")
      const eg = reason?._tag === "Die" ? reason.defect : undefined
      expect(isExceptionGroup(eg)).toBe(true)
      if (!isExceptionGroup(eg)) return
      expect(eg.exceptions).toHaveLength(1)
      const member = eg.exceptions[0] as Defect
      expect(member.defect).toBeInstanceOf(InvalidArgumentError)
      expect(String((member.defect as InvalidArgumentError).message)).toMatch(/not an Effect/)
    })
  )

  // anyio: test_start_sync_wrapper
  // Variant: Python's wrapper calls task_status.started(5) synchronously, then returns the
  // coroutine. `started()` is an Effect here, so the synchronous call is `Effect.runSync`.
  it.effect("a wrapper that signals readiness before returning the task's effect", () =>
    Effect.gen(function* () {
      const taskfunc = () => Effect.succeed(8)
      const wrapper = (status: TaskStatus<number>) => {
        Effect.runSync(status.started(5))
        return taskfunc()
      }
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const handle = yield* tg.start({ returnHandle: true }, wrapper)
          expect(handle.startValue).toBe(5)
          expect(yield* handle.join).toBe(8)
        })
      )
    })
  )
})
