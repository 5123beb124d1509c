/**
 * Tests written to kill the mutants of the host protocol (internal/host.ts; see test/MUTATION.md):
 * a plain scope's exit is not a checkpoint (the code after it runs up to the host's next
 * suspension), and a scope whose host is interrupted from outside (`Fiber.interrupt`) is still
 * exited and still records that it caught its own cancellation.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option } from "effect"
import { cancelScope, makeCancelScope, sleep } from "../src/index.ts"
import type { CancelScopeImpl } from "../src/internal/scope.ts"
import { autojump } from "../src/Testing.ts"

describe("a plain scope's exit", () => {
  it.effect(
    "is not a checkpoint: an outer cancellation held meanwhile lands at the host's next suspension",
    () =>
      autojump(
        Effect.gen(function* () {
          const outer = makeCancelScope()
          let value: Option.Option<number> | undefined
          let after = false
          let reached = false
          const r = yield* cancelScope(
            outer,
            Effect.gen(function* () {
              value = yield* cancelScope(
                {},
                // The body waits in a shielded scope: the outer cancellation is held by the hosts
                // meanwhile, and the body ends with a value before its own next suspension.
                Effect.as(cancelScope({ shield: true }, Effect.andThen(outer.cancel(), sleep(1))), 42)
              )
              // AnyIO: leaving a plain `with CancelScope()` is no checkpoint; this runs.
              after = true
              yield* sleep(1)
              reached = true
            })
          )
          expect(value).toEqual(Option.some(42))
          expect([after, reached]).toEqual([true, false])
          expect(r).toEqual(Option.none())
          expect(outer.cancelledCaught).toBe(true)
        })
      )
  )
})

describe("a scope whose host is interrupted from outside", () => {
  it.effect("is exited, and records that it caught its own cancellation (shielded)", () =>
    autojump(
      Effect.gen(function* () {
        const s = makeCancelScope({ shield: true })
        let cancelledAt = false
        const f = yield* Effect.forkChild(
          cancelScope(
            s,
            Effect.gen(function* () {
              yield* sleep(1)
              // The shield held the host's interruption back: the body still runs; it cancels
              // its own scope, and is cancelled at its next suspension.
              cancelledAt = true
              yield* s.cancel()
              yield* sleep(1)
            })
          )
        )
        yield* sleep(0.5)
        const exit = yield* Effect.exit(Fiber.interrupt(f))
        expect(Exit.isSuccess(exit)).toBe(true)
        const fiberExit = yield* Fiber.await(f)
        expect(Exit.hasInterrupts(fiberExit)).toBe(true)
        expect(cancelledAt).toBe(true)
        expect(s.cancelCalled).toBe(true)
        expect(s.cancelledCaught).toBe(true)
        expect((s as CancelScopeImpl).exited).toBe(true)
      })
    )
  )
})
