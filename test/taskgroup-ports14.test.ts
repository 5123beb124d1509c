/**
 * AnyIO tests ported for issue 14 (tests/test_taskgroups.py, AnyIO 4.14 and master). "Native"
 * cancellation (asyncio's `task.cancel()`) is Effect's own interruption of the fiber here.
 */
import { Cause, Effect, Exit, Fiber } from "effect"
import {
  createTaskGroup,
  Defect,
  isExceptionGroup,
  RuntimeError,
  sleep,
  type TaskHandle,
  type TaskStatus,
  waitAllTasksBlocked
} from "../src/index.ts"
import { defectOf, expect, isInterruptOnly, it } from "./helpers.ts"

// anyio: test_start_sync_wrapper_called_twice
it.autojump(
  "a wrapper that calls started() twice before returning its effect: start() raises RuntimeError",
  () =>
    Effect.gen(function* () {
      const taskfunc = () => Effect.void
      const wrapper = (status: TaskStatus) => {
        Effect.runSync(status.started())
        Effect.runSync(status.started())
        return taskfunc()
      }
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const exit = yield* Effect.exit(tg.start(wrapper))
          const defect = defectOf(exit)
          // the synchronous call threw (Effect.runSync's error carries the RuntimeError as its cause)
          const error = defect instanceof RuntimeError ? defect : (defect as { cause?: unknown })?.cause
          expect(Cause.isCause(error) ? Cause.squash(error) : error).toBeInstanceOf(RuntimeError)
          expect(String(defect)).toMatch(/called 'started' twice on the same task status/)
        })
      )
    })
)

// anyio: test_start_native_host_cancelled
it.autojump("interrupting the fiber whose group waits in start() cancels the starting task", () =>
  Effect.gen(function* () {
    let started = false
    let finished = false
    const taskfunc = (_status: TaskStatus) =>
      Effect.gen(function* () {
        started = true
        yield* sleep(2)
        finished = true
      })
    const startAnother = createTaskGroup((tg) => tg.start(taskfunc))
    const task = yield* Effect.forkChild(startAnother)
    yield* waitAllTasksBlocked()
    yield* Fiber.interrupt(task)
    const exit = yield* Fiber.await(task)
    expect(isInterruptOnly(exit)).toBe(true)
    expect(started).toBe(true)
    expect(finished).toBe(false)
  })
)

// anyio: test_start_native_child_cancelled
it.autojump("interrupting the fiber of a task being started ends it; the enclosing groups carry on", () =>
  Effect.gen(function* () {
    let task: Fiber.Fiber<unknown, unknown> | undefined
    let finished = false
    const taskfunc = (_status: TaskStatus) =>
      Effect.withFiber((fiber) => {
        task = fiber
        return Effect.andThen(
          sleep(2),
          Effect.sync(() => (finished = true))
        )
      })
    const startAnother = createTaskGroup((tg2) => tg2.start(taskfunc))
    yield* createTaskGroup((tg) =>
      Effect.gen(function* () {
        yield* tg.startSoon(startAnother)
        yield* waitAllTasksBlocked()
        expect(task).toBeDefined()
        task!.interruptUnsafe()
      })
    )
    expect(finished).toBe(false)
  })
)

// anyio: TestCreateTask.test_base_exception (AnyIO master; SystemExit: a defect here)
it.effect("a task handle whose task died: join fails with TaskFailed; the defect reaches the group", () =>
  Effect.gen(function* () {
    class SystemExit extends Error {}
    const taskfunc = () => Effect.die(new SystemExit("5"))
    let handle: TaskHandle<never, never> | undefined
    const exit = yield* Effect.exit(
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          handle = yield* tg.createTask(taskfunc())
          const joined = yield* Effect.flip(handle.join)
          expect(joined._tag).toBe("TaskFailed")
          expect(joined.message).toMatch(/the task raised an exception/)
          expect(handle.status).toBe("failed")
          expect(String(handle)).toMatch(/^<TaskHandle failed name='.+'>$/)
        })
      )
    )
    expect(handle?.status).toBe("failed")
    expect(Exit.isFailure(exit)).toBe(true)
    const eg = defectOf(exit)
    expect(isExceptionGroup(eg)).toBe(true)
    if (isExceptionGroup(eg)) {
      expect(eg.exceptions).toHaveLength(1)
      const member = eg.exceptions[0]
      expect(member).toBeInstanceOf(Defect)
      expect((member as Defect).defect).toBeInstanceOf(SystemExit)
      expect(String((member as Defect).defect)).toMatch(/5/)
    }
  })
)
