/**
 * Test written to kill the last open survivor of the memory stream's send part (see
 * test/MUTATION.md): `sendNowait`'s step retries, after the yield guard's yield, as a `sendNowait`
 * (the mutant `sendStep(…, nowait = false)` retried as a `send`, which parks).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, References } from "effect"
import { createMemoryObjectStream } from "../src/index.ts"

describe("memory stream: sendNowait's yield guard", () => {
  it.effect("a buffer filled during the guard's yield makes sendNowait fail WouldBlock, never park", () =>
    Effect.gen(function* () {
      // Every run-loop budget and padding: the sender is a fiber of its own (its operation count
      // starts at 0), started at once; when it yielded before committing (the guard fired, or the
      // run loop yielded in the padding), the buffer is filled meanwhile.
      let yieldedBefore = 0
      const outcomes = new Set<string>()
      for (let ops = 5; ops <= 24; ops++) {
        for (let k = 0; k <= ops + 2; k++) {
          const [send, receive] = createMemoryObjectStream<string>(1)
          const sender = yield* Effect.forkChild(
            Effect.gen(function* () {
              for (let i = 0; i < k; i++) yield* Effect.void
              return yield* Effect.exit(send.sendNowait("a"))
            }).pipe(Effect.provideService(References.MaxOpsBeforeYield, ops)),
            { startImmediately: true }
          )
          if (sender.pollUnsafe() === undefined && receive.statistics().currentBufferUsed === 0) {
            yieldedBefore++
            yield* send.sendNowait("b")
            for (let i = 0; i < 5; i++) yield* Effect.yieldNow
            const exit = sender.pollUnsafe()
            const sent = exit !== undefined && Exit.isSuccess(exit) ? exit.value : undefined
            outcomes.add(
              sent === undefined
                ? "still running (parked)"
                : Exit.isSuccess(sent)
                  ? "sent"
                  : String((sent.cause.reasons[0] as { error?: { _tag?: string } }).error?._tag)
            )
            expect(yield* receive.receiveNowait()).toBe("b")
          }
          yield* Fiber.interrupt(sender)
        }
      }
      expect(yieldedBefore).toBeGreaterThan(0)
      expect([...outcomes]).toEqual(["WouldBlock"])
    })
  )
})
