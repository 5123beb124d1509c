// Regression (issue 20, found by the soak): an item taken from the buffer must reach the receiver's
// continuation. Effect's run loop may yield to the scheduler between any two operations (every
// `MaxOpsBeforeYield` operations); a receive that took an item and yielded before handing it on,
// then was interrupted during that yield, lost the item.
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, References } from "effect"
import { createMemoryObjectStream } from "../src/index.ts"
import { successesBeforeInterrupt } from "./helpers.ts"

describe("memory object stream: no item lost to a scheduler yield", () => {
  it.effect("a receiver interrupted at every possible yield point loses no item", () =>
    Effect.gen(function* () {
      for (let ops = 5; ops <= 48; ops++) {
        const n = 40
        const [send, receive] = createMemoryObjectStream<number>(n)
        for (let i = 0; i < n; i++) yield* send.sendNowait(i)
        let received = 0
        const consumer = yield* Effect.forkChild(
          Effect.forever(
            Effect.onExit(receive.receive(), (exit) =>
              Effect.sync(() => {
                if (Exit.isSuccess(exit)) received++
              })
            )
          ).pipe(Effect.provideService(References.MaxOpsBeforeYield, ops)),
          { startImmediately: true }
        )
        // The consumer ran until its first scheduler yield: interrupt it there.
        yield* Fiber.interrupt(consumer)
        expect(received + receive.statistics().currentBufferUsed, `MaxOpsBeforeYield ${ops}`).toBe(n)
      }
    })
  )

  it.effect(
    "a sender interrupted at every possible yield point: its send succeeded iff the item is in the stream",
    () =>
      Effect.gen(function* () {
        for (let ops = 5; ops <= 48; ops++) {
          const n = 40
          const [send, receive] = createMemoryObjectStream<number>(n)
          const sent = yield* successesBeforeInterrupt(n, ops, (i) => send.send(i))
          expect(receive.statistics().currentBufferUsed, `MaxOpsBeforeYield ${ops}`).toBe(sent)
        }
      })
  )
})
