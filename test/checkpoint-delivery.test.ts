/**
 * Issue 14, part 1: a cancellation of the running task lands at its next suspension (AnyIO: at its
 * next checkpoint); the code up to there runs. Reference programs: test/reference/checkpoint_delivery.py,
 * test/reference/shielded_fail_after.py, test/reference/fail_after_shielded_inside.py.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  cancelScope,
  checkpoint,
  checkpointIfCancelled,
  createTaskGroup,
  currentEffectiveDeadline,
  failAfter,
  makeCancelScope,
  sleep,
  TimeoutError
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

describe("a cancellation lands at the next suspension", () => {
  it.effect("the code between cancel() and the next suspension runs; the scope catches there", () =>
    autojump(
      Effect.gen(function* () {
        const log: Array<string> = []
        const scope = makeCancelScope()
        const r = yield* cancelScope(scope, () =>
          Effect.gen(function* () {
            yield* scope.cancel()
            log.push("after cancel")
            yield* Effect.sync(() => log.push("an operation after cancel"))
            yield* checkpoint()
            log.push("after the checkpoint")
          })
        )
        expect(log).toEqual(["after cancel", "an operation after cancel"])
        expect(Option.isNone(r)).toBe(true)
        expect(scope.cancelledCaught).toBe(true)
      })
    )
  )

  it.effect("currentEffectiveDeadline() right after cancel() reads -Infinity", () =>
    autojump(
      Effect.gen(function* () {
        let seen: number | undefined
        yield* cancelScope({}, (scope) =>
          Effect.gen(function* () {
            yield* scope.cancel()
            seen = yield* currentEffectiveDeadline()
          })
        )
        expect(seen).toBe(Number.NEGATIVE_INFINITY)
      })
    )
  )

  it.effect("checkpointIfCancelled() raises a pending cancellation at once", () =>
    autojump(
      Effect.gen(function* () {
        let reached = false
        const scope = makeCancelScope()
        yield* cancelScope(scope, () =>
          Effect.gen(function* () {
            yield* scope.cancel()
            yield* checkpointIfCancelled()
            reached = true
          })
        )
        expect(reached).toBe(false)
        expect(scope.cancelledCaught).toBe(true)
      })
    )
  )

  it.effect("a task that cancels its group goes on to its next suspension; the others stop at once", () =>
    autojump(
      Effect.gen(function* () {
        const log: Array<string> = []
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.andThen(
                sleep(10),
                Effect.sync(() => log.push("sleeper woke"))
              )
            )
            yield* tg.startSoon(
              Effect.gen(function* () {
                yield* sleep(1)
                yield* tg.cancel()
                log.push("canceller goes on")
                yield* sleep(1)
                log.push("canceller after its sleep")
              })
            )
          })
        )
        expect(log).toEqual(["canceller goes on"])
      })
    )
  )

  it.effect("code after a shielded scope runs until the next suspension", () =>
    autojump(
      Effect.gen(function* () {
        const log: Array<string> = []
        const outer = makeCancelScope()
        yield* cancelScope(outer, () =>
          Effect.gen(function* () {
            yield* cancelScope({ shield: true }, () =>
              Effect.gen(function* () {
                yield* sleep(0.01)
                yield* outer.cancel()
                yield* sleep(0.01)
                log.push("inside shield after cancel")
              })
            )
            log.push("after shield, before checkpoint")
            yield* checkpoint()
            log.push("after checkpoint")
          })
        )
        expect(log).toEqual(["inside shield after cancel", "after shield, before checkpoint"])
        expect(outer.cancelledCaught).toBe(true)
      })
    )
  )

  it.effect("a scope whose body ends inside a shield after its own cancellation catches nothing", () =>
    autojump(
      Effect.gen(function* () {
        for (const checkpointAfter of [false, true]) {
          const exit = yield* Effect.exit(
            failAfter(
              0.1,
              Effect.gen(function* () {
                yield* cancelScope({ shield: true }, sleep(0.2))
                if (checkpointAfter) yield* checkpoint()
              })
            )
          )
          if (checkpointAfter) {
            expect(exit._tag === "Failure" && exit.cause.reasons[0]?._tag === "Fail").toBe(true)
          } else expect(exit._tag).toBe("Success")
        }
      })
    )
  )
})

describe("issue 14, part 3 (scopes and groups)", () => {
  // AnyIO: test/reference/shielded_fail_after.py
  it.effect(
    "a shielded failAfter whose deadline fires while an outer cancellation is held raises TimeoutError",
    () =>
      autojump(
        Effect.gen(function* () {
          const events: Array<string> = []
          const exit = yield* Effect.exit(
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(
                  failAfter(0.2, sleep(1), { shield: true }).pipe(
                    Effect.tapError((e) => Effect.sync(() => events.push(e._tag)))
                  )
                )
                yield* sleep(0.1)
                yield* tg.cancelScope.cancel()
              })
            )
          )
          expect(events).toEqual(["TimeoutError"])
          expect(exit._tag).toBe("Failure")
          if (exit._tag === "Failure") {
            const reason = exit.cause.reasons[0]
            expect(reason?._tag).toBe("Fail")
            const eg =
              reason?._tag === "Fail" ? (reason.error as { exceptions: ReadonlyArray<unknown> }) : undefined
            expect(eg?.exceptions.map((e) => e instanceof TimeoutError)).toEqual([true])
          }
        })
      )
  )
})
