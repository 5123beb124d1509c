/** AnyIO tests of tests/test_synchronization.py (TestCapacityLimiter) ported for issue 14. */
import { Effect } from "effect"
import { CapacityLimiter, toThread } from "../src/index.ts"
import { expect, it } from "./helpers.ts"

// anyio: TestCapacityLimiter.test_current_default_thread_limiter
it.effect("the default thread limiter is a CapacityLimiter of 40 tokens", () =>
  Effect.gen(function* () {
    const limiter = yield* toThread.currentDefaultThreadLimiter()
    expect(limiter).toBeInstanceOf(CapacityLimiter)
    expect(limiter.totalTokens).toBe(40)
  })
)
