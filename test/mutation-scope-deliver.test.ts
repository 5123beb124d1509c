/**
 * Tests written to kill the mutants of scope.ts's delivery (rules 2-3; see test/MUTATION.md): a
 * cancellation scheduled behind a wake-up waits for it under any order of ready tasks, and a
 * waiting host keeps the first interruption that reached it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import {
  cancelScope,
  createTaskGroup,
  Event,
  makeCancelScope,
  sleep,
  waitAllTasksBlocked
} from "../src/index.ts"
import { reasonOfCause } from "../src/internal/scope.ts"
import { autojump } from "../src/Testing.ts"

describe("a cancellation behind a pending wake-up (interruptSuspended)", () => {
  it.effect("waits for the wake-up whatever order the ready tasks run in (shuffled autojump)", () =>
    Effect.gen(function* () {
      // Spread seeds: xorshift's first draws from a small seed are small (always the first task).
      for (let k = 1; k <= 16; k++) {
        const seed = (k * 2654435761) | 0
        let woke = false
        let slept = false
        yield* autojump(
          Effect.gen(function* () {
            const event = new Event()
            yield* createTaskGroup((tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(
                  Effect.gen(function* () {
                    yield* event.wait()
                    woke = true
                    yield* sleep(10)
                    slept = true
                  })
                )
                yield* waitAllTasksBlocked()
                yield* event.set()
                // The waiter's wake-up is pending: its interruption is scheduled, and a shuffled
                // step may run that before the wake-up (then it is scheduled again, behind it).
                yield* tg.cancelScope.cancel()
              })
            )
          }),
          { shuffleSeed: seed }
        )
        expect({ seed, woke, slept }).toEqual({ seed, woke: true, slept: false })
      }
    })
  )
})

describe("a host waiting on a scope keeps the first interruption that reached it (rule 3)", () => {
  it.effect("its own scope's cancellation, then an enclosing one forwarded: it gets the first", () =>
    autojump(
      Effect.gen(function* () {
        const outer = makeCancelScope()
        const own = makeCancelScope()
        let exit: Exit.Exit<unknown> | undefined
        let after = false
        yield* cancelScope(
          outer,
          Effect.gen(function* () {
            exit = yield* Effect.exit(
              cancelScope(
                own,
                Effect.gen(function* () {
                  // The host of this shielded scope (`own`'s body) waits while both reach it.
                  yield* cancelScope(
                    makeCancelScope({ shield: true }),
                    Effect.gen(function* () {
                      yield* sleep(0)
                      own.cancelUnsafe("first")
                      outer.cancelUnsafe("second")
                      yield* sleep(1)
                    })
                  )
                  yield* sleep(1) // the held interruption lands here
                  after = true
                })
              )
            )
          })
        )
        expect(after).toBe(false)
        expect(Exit.isFailure(exit!) && reasonOfCause(exit!.cause)).toMatchObject({
          _tag: "Explicit",
          message: "first"
        })
      })
    )
  )
})
