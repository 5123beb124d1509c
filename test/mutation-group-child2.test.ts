/**
 * More tests for the mutants of internal/child.ts (test/MUTATION.md, child.ts section), after the
 * Stryker run of 2026-12-06: a second `handle.cancel()` during the task's cleanup, what a joiner's
 * printout says after its wait ended or was given up, a joiner (a plain Effect fiber) interrupted
 * between its wake-up and its resumption, and the caller of `start()` cancelled while its task fails
 * before `started()`. Run on the virtual clock (`it.autojump`).
 */
import { Cause, Effect, Exit, Fiber, Option } from "effect"
import {
  createTaskGroup,
  dumpTaskTree,
  moveOnAfter,
  sleep,
  sleepForever,
  type TaskHandle,
  type TaskStatus,
  waitAllTasksBlocked
} from "../src/index.ts"
import { describe, expect, it } from "./helpers.ts"
import { failure, groupOf } from "./taskgroup-helpers.ts"

const reasonOf = (e: { readonly _tag: string; readonly reason?: string }) =>
  e._tag === "TaskCancelled" ? e.reason : e._tag

/** The printout line of the task `id` in `tree`. */
const lineOf = (tree: string, id: number): string =>
  tree.split("\n").find((l) => l.trimStart().startsWith(`task #${id} `)) ?? `(task #${id} not listed)`

describe("handle.cancel() twice", () => {
  it.autojump("during the task's cleanup: the second call changes neither the message nor the caller", () =>
    Effect.gen(function* () {
      let h: TaskHandle<void, never> | undefined
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          h = yield* tg.createTask(Effect.ensuring(sleepForever(), sleep(3)))
          yield* waitAllTasksBlocked()
          yield* h.cancel("first")
          yield* sleep(1)
          // Still cleaning up: no exit yet, and a cancel is already requested.
          expect(h.exit).toBeUndefined()
          yield* tg.startSoon(h.cancel("second"), { name: "late" })
          yield* sleep(1)
          expect(h.status).toBe("cancelling")
        })
      )
      expect(reasonOf(yield* Effect.flip(h!.join))).toBe("cancelled explicitly by task 'main': first")
    })
  )
})

describe("a joiner's printout", () => {
  it.autojump("after its wait returned: not waiting on the task any more", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(sleep(1), { name: "target" })
        const joiner = yield* tg.createTask(
          Effect.gen(function* () {
            yield* h.wait
            return yield* dumpTaskTree()
          }),
          { name: "joiner" }
        )
        yield* waitAllTasksBlocked()
        const before = yield* dumpTaskTree()
        expect(lineOf(before, joiner.id)).toContain(`waiting on task 'target' (#${h.id}) to finish`)
        const tree = yield* joiner.join
        expect(lineOf(tree, joiner.id)).toBe(`    task #${joiner.id} 'joiner' (pending) <- current`)
      })
    )
  )

  it.autojump("after it gave up waiting: not waiting on the task, though the task still runs", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(sleep(5), { name: "target" })
        const r = yield* moveOnAfter(1, h.wait)
        expect(Option.isNone(r)).toBe(true)
        const tree = yield* dumpTaskTree()
        expect(tree).not.toContain("to finish")
        expect(h.status).toBe("pending")
      })
    )
  )
})

describe("a joiner interrupted between its wake-up and its resumption", () => {
  it.autojump("(a plain Effect fiber, interrupted in the step the task ended) just ends interrupted", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(sleep(1), { name: "target" })
        const joiner = yield* Effect.forkChild(h.wait)
        const seen: Array<unknown> = []
        yield* tg.startSoon(
          Effect.gen(function* () {
            yield* sleep(1)
            // The target ended in this step and scheduled the joiner's wake-up, not run yet.
            seen.push(h.status, joiner.pollUnsafe())
            yield* Fiber.interrupt(joiner)
            const exit = yield* Fiber.await(joiner)
            seen.push(exit._tag === "Failure" && Cause.hasInterruptsOnly(exit.cause))
          })
        )
        yield* waitAllTasksBlocked()
        yield* sleep(2)
        expect(seen).toEqual(["finished", undefined, true])
      })
    )
  )
})

describe("the caller of start() cancelled while its task has not called started()", () => {
  it.autojump("a task that fails in its cleanup: the failure reaches the caller", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        createTaskGroup((tg) =>
          tg.startSoon(
            moveOnAfter(
              1,
              tg.start((_status: TaskStatus) =>
                Effect.ensuring(sleepForever(), Effect.andThen(sleep(1), Effect.die(failure("in cleanup"))))
              )
            ),
            { name: "caller" }
          )
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const eg = groupOf(exit)
      expect(String(eg)).toContain("in cleanup")
    })
  )
})
