/**
 * More tests for internal/child.ts (test/MUTATION.md, child.ts section), after the Stryker run of
 * mutchild32: joiners that give up leave nothing behind in the task they waited on. Run on the
 * virtual clock (`it.autojump`).
 */
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Effect, Exit, type Fiber } from "effect"
import {
  createTaskGroup,
  moveOnAfter,
  sleep,
  sleepForever,
  type TaskHandle,
  waitAllTasksBlocked
} from "../src/index.ts"
import { describe, expect, it } from "./helpers.ts"

describe("a joiner that gave up", () => {
  // A given-up wait used to stay in the task's list of joiners until the task ended: one closure
  // (holding the joiner's fiber) per given-up wait on a long task.
  it.autojump("is not kept by the task it waited on: its fiber can be collected", () =>
    Effect.gen(function* () {
      setFlagsFromString("--expose-gc")
      const gc = runInNewContext("gc") as () => void
      const refs: Array<WeakRef<Fiber.Fiber<unknown, unknown>>> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const target = yield* tg.createTask(sleepForever(), { name: "long" })
          for (let i = 0; i < 10; i++) {
            yield* tg.startSoon(
              moveOnAfter(
                1,
                // The fiber that waits (a scope's body runs in a fiber of its own).
                Effect.withFiber((fiber) => {
                  refs.push(new WeakRef(fiber))
                  return target.wait
                })
              )
            )
          }
          yield* sleep(2)
          // WeakRef targets made in this job are kept until it ends: a turn of the real event loop
          // first (the whole autojump run may be one job otherwise).
          yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
          gc()
          expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0)
          yield* tg.cancelScope.cancel()
        })
      )
    })
  )
})

describe("a group cancelled with tasks that cancel each other in their cleanup", () => {
  // The group's cancellation interrupts its tasks one by one; a task may end within the
  // interruption of an earlier one (here: by that one's cleanup). Its exit is not a fiber: the loop
  // must skip it, not interrupt it.
  it.autojump("each task ends cancelled, the group ends normally", () =>
    Effect.gen(function* () {
      let a: TaskHandle<void, never> | undefined
      let b: TaskHandle<void, never> | undefined
      const exit = yield* Effect.exit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            a = yield* tg.createTask(
              Effect.ensuring(
                sleepForever(),
                Effect.suspend(() => b!.cancel())
              )
            )
            b = yield* tg.createTask(
              Effect.ensuring(
                sleepForever(),
                Effect.suspend(() => a!.cancel())
              )
            )
            yield* waitAllTasksBlocked()
            yield* tg.cancelScope.cancel()
          })
        )
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect([a!.status, b!.status]).toEqual(["cancelled", "cancelled"])
    })
  )
})
