/**
 * Tests written to kill the mutants of scope.ts's exit (see test/MUTATION.md): leaving a scope
 * disarms its deadline, so a deadline that passes after the exit records nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { type CancelScope, moveOnAfter, sleep } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

describe("leaving a scope", () => {
  it.effect("the deadline is disarmed at exit: passing it later does not cancel the exited scope", () =>
    autojump(
      Effect.gen(function* () {
        let scope: CancelScope | undefined
        const r = yield* moveOnAfter(10, (s) =>
          Effect.gen(function* () {
            scope = s
            yield* sleep(1)
            return "done"
          })
        )
        expect(r).toEqual(Option.some("done"))
        yield* sleep(20)
        expect(scope!.cancelCalled).toBe(false)
        expect(scope!.cancelReason).toBeUndefined()
      })
    )
  )
})
