/**
 * Tests written to kill the mutants of the task-group machinery (internal/group.ts; see
 * test/MUTATION.md): what the group's own tests never looked at. A body that is not a function or
 * returns no Effect; the group's line in `dumpTaskTree` (cancelled and why, body running or done,
 * how many tasks are left, the host waiting on it); tasks started in one go begin in one scheduled
 * step, and each on its own under a shuffling autojump; `start()` of a wrapper that called
 * `started()` before returning its effect.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit } from "effect"
import {
  createTaskGroup,
  dumpTaskTree,
  Event,
  InvalidArgumentError,
  sleep,
  sleepForever,
  type TaskGroup,
  type TaskStatus,
  waitAllTasksBlocked
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown => {
  if (Exit.isSuccess(exit)) throw new Error("expected a defect, got success")
  const reason = exit.cause.reasons[0]
  if (exit.cause.reasons.length !== 1 || reason?._tag !== "Die") {
    throw new Error(`expected one defect, got:\n${Cause.pretty(exit.cause)}`)
  }
  return reason.defect
}

describe("a task group's body", () => {
  it.effect("that is not a function dies with InvalidArgumentError (the value's type named)", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(autojump(createTaskGroup("body" as never)))
      const defect = defectOf(exit)
      expect(defect).toBeInstanceOf(InvalidArgumentError)
      expect((defect as InvalidArgumentError).message).toBe(
        "createTaskGroup: the body must be a function of the task group, got string"
      )
    })
  )

  it.effect("that returns no Effect dies with InvalidArgumentError (the value's type named)", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(autojump(createTaskGroup(() => 5 as never)))
      const defect = defectOf(exit)
      expect(defect).toBeInstanceOf(InvalidArgumentError)
      expect((defect as InvalidArgumentError).message).toBe(
        "createTaskGroup: the body must return an Effect, got number"
      )
    })
  )
})

describe("a task group in dumpTaskTree", () => {
  it.effect("shows its body running or done, the tasks left (scheduled ones too) and its host's wait", () =>
    autojump(
      Effect.gen(function* () {
        const trees: Array<string> = []
        yield* createTaskGroup(
          (tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(sleep(5), { name: "a" })
              yield* tg.startSoon(sleep(5), { name: "b" })
              // Both tasks are scheduled, neither has begun.
              trees.push(yield* dumpTaskTree())
              yield* tg.startSoon(
                Effect.gen(function* () {
                  yield* waitAllTasksBlocked()
                  trees.push(yield* dumpTaskTree())
                }),
                { name: "dumper" }
              )
            }),
          { name: "top" }
        )
        const [during, after] = trees
        expect(during).toMatch(/^ {2}group #\d+ 'top': body running, waiting for 2 task\(s\)$/m)
        expect(after).toMatch(/^ {2}group #\d+ 'top': body done, waiting for 3 task\(s\)$/m)
        expect(after).toMatch(/\(blocked, waiting on child task group #\d+ 'top'\)/)
        // The group's running tasks are listed under it, in the order they began.
        const names = [...after!.matchAll(/^ {4}task #\d+ '(\w+)'/gm)].map((m) => m[1])
        expect(names).toEqual(["a", "b", "dumper"])
      })
    )
  )

  it.effect("shows that it was cancelled, and why", () =>
    autojump(
      Effect.gen(function* () {
        let tree = ""
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              createTaskGroup(
                (inner) =>
                  Effect.gen(function* () {
                    // Its finalizer keeps the cancelled group waiting.
                    yield* inner.startSoon(Effect.ensuring(sleepForever(), sleep(5)), { name: "slow" })
                    yield* sleep(1)
                    yield* inner.cancel("why")
                  }),
                { name: "inner" }
              ),
              { name: "nester" }
            )
            yield* sleep(2)
            tree = yield* dumpTaskTree()
          })
        )
        expect(tree).toMatch(
          /group #\d+ 'inner': cancelled \(cancelled explicitly by task 'nester': why\), body done, waiting for 1 task\(s\)$/m
        )
      })
    )
  )
})

describe("tasks started in one go", () => {
  it.effect("begin in one scheduled step, before a task woken between them", () =>
    autojump(
      Effect.gen(function* () {
        const order: Array<string> = []
        const ev = new Event()
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.gen(function* () {
                yield* ev.wait()
                order.push("woken")
              })
            )
            yield* sleep(1)
            yield* tg.startSoon(Effect.sync(() => order.push("A")))
            // Schedules the waiter after the batch that A is in; B joins that batch.
            yield* ev.set()
            yield* tg.startSoon(Effect.sync(() => order.push("B")))
          })
        )
        expect(order).toEqual(["A", "B", "woken"])
      })
    )
  )

  it.effect("begin each on its own under a shuffling autojump (in a shuffled order)", () =>
    Effect.gen(function* () {
      const orders: Array<string> = []
      for (let seed = 1; seed <= 4; seed++) {
        const order: Array<number> = []
        yield* autojump(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (let i = 0; i < 8; i++) yield* tg.startSoon(Effect.sync(() => order.push(i)))
            })
          ),
          { shuffleSeed: seed }
        )
        expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
        orders.push(order.join(""))
      }
      // In one batch they would begin in the order they were started, whatever the seed.
      expect(orders.filter((o) => o !== "01234567").length).toBeGreaterThan(0)
    })
  )
})

describe("start() of a wrapper that calls started() before returning the task's effect", () => {
  const wrapper = (status: TaskStatus<number>) => {
    Effect.runSync(status.started(5))
    return Effect.as(sleep(1), 8)
  }
  it.effect("answers the caller at once with the value", () =>
    autojump(
      Effect.gen(function* () {
        const r = yield* createTaskGroup((tg: TaskGroup) => tg.start(wrapper))
        expect(r._tag === "Some" && r.value).toBe(5)
      })
    )
  )
  it.effect("answers the caller at once with the handle (returnHandle), which has the start value", () =>
    autojump(
      Effect.gen(function* () {
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            const handle = yield* tg.start({ returnHandle: true }, wrapper)
            expect(handle.startValue).toBe(5)
            expect(handle.status).toBe("pending")
            expect(yield* handle.join).toBe(8)
          })
        )
      })
    )
  )
})
