/**
 * Tests written to kill the mutants of the memory stream's yield guard (`yieldDue` in
 * internal/memoryStream.ts; see test/MUTATION.md): with a run-loop budget of 3 or 4 operations
 * the guard stays off (the retry after its yield would find the yield due again and never commit),
 * so every operation still completes and every item arrives once, in order. (Below 3, Effect 4.1's
 * own run loop makes no progress: `Effect.yieldNow` three times under `MaxOpsBeforeYield` 1 or 2
 * never completes, without any effect-anyio code.)
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, References } from "effect"
import { createMemoryObjectStream, createTaskGroup } from "../src/index.ts"
import { successesBeforeInterrupt } from "./helpers.ts"

describe("memory stream: tiny run-loop budgets", () => {
  it.effect("MaxOpsBeforeYield 3 and 4: sends and receives, buffered and handed over, all complete", () =>
    Effect.gen(function* () {
      for (const ops of [3, 4]) {
        for (const size of [0, 2]) {
          const [send, receive] = createMemoryObjectStream<number>(size)
          const got: Array<number> = []
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                Effect.gen(function* () {
                  for (let i = 0; i < 6; i++) got.push(yield* receive.receive())
                  if (size > 0) {
                    yield* send.sendNowait(6)
                    got.push(yield* receive.receiveNowait())
                  }
                }).pipe(Effect.provideService(References.MaxOpsBeforeYield, ops))
              )
              yield* Effect.gen(function* () {
                for (let i = 0; i < 6; i++) yield* send.send(i)
              }).pipe(Effect.provideService(References.MaxOpsBeforeYield, ops))
            })
          )
          expect(got, `MaxOpsBeforeYield ${ops}, buffer ${size}`).toEqual(
            size > 0 ? [0, 1, 2, 3, 4, 5, 6] : [0, 1, 2, 3, 4, 5]
          )
        }
      }
    })
  )

  it.effect(
    "sendNowait interrupted at every possible yield point: it succeeded iff its item is in the stream",
    () =>
      Effect.gen(function* () {
        for (let ops = 5; ops <= 48; ops++) {
          const n = 40
          const [send, receive] = createMemoryObjectStream<number>(n)
          const sent = yield* successesBeforeInterrupt(n, ops, (i) => send.sendNowait(i))
          expect(receive.statistics().currentBufferUsed, `MaxOpsBeforeYield ${ops}`).toBe(sent)
        }
      })
  )

  it.effect(
    "receiveNowait from parked senders, interrupted at every possible yield point, loses no item",
    () =>
      Effect.gen(function* () {
        for (let ops = 5; ops <= 40; ops++) {
          const n = 12
          const [send, receive] = createMemoryObjectStream<number>(0)
          const senders = []
          for (let i = 0; i < n; i++)
            senders.push(yield* Effect.forkChild(send.send(i), { startImmediately: true }))
          yield* Effect.yieldNow
          const received = yield* successesBeforeInterrupt(n, ops, () => receive.receiveNowait())
          let drained = 0
          while (Exit.isSuccess(yield* Effect.exit(receive.receiveNowait()))) drained++
          expect(received + drained, `MaxOpsBeforeYield ${ops}`).toBe(n)
          for (const f of senders) yield* Fiber.interrupt(f)
        }
      })
  )
})
