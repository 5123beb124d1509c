import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Option } from "effect"
import { cancelScope, createTaskGroup, currentTime, failAfter, moveOnAfter, sleep } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

describe("autojump", () => {
  it.effect("an hour of sleeps in nested groups finishes at once, in order", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      const t = yield* autojump(
        Effect.gen(function* () {
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (const n of [3, 1, 2]) {
                yield* tg.startSoon(
                  Effect.gen(function* () {
                    yield* sleep(n * 1200)
                    events.push(`${n}@${yield* currentTime()}`)
                  })
                )
              }
            })
          )
          return yield* currentTime()
        })
      )
      expect(events).toEqual(["1@1200", "2@2400", "3@3600"])
      expect(t).toBe(3600)
    })
  )

  it.effect("nested deadlines fire at the right virtual times", () =>
    Effect.gen(function* () {
      const times: Array<number> = []
      yield* autojump(
        Effect.gen(function* () {
          const inner = yield* moveOnAfter(
            10,
            Effect.gen(function* () {
              const r = yield* moveOnAfter(2, sleep(100))
              times.push(yield* currentTime())
              expect(Option.isNone(r)).toBe(true)
              yield* sleep(100)
            })
          )
          times.push(yield* currentTime())
          expect(Option.isNone(inner)).toBe(true)
          const failed = yield* Effect.exit(failAfter(1, sleep(5)))
          times.push(yield* currentTime())
          expect(Exit.isFailure(failed)).toBe(true)
        })
      )
      expect(times).toEqual([2, 10, 11])
    })
  )

  it.effect("a deadlock fails with a report instead of hanging", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        autojump(
          Effect.gen(function* () {
            const a = yield* Deferred.make<void>()
            const b = yield* Deferred.make<void>()
            yield* createTaskGroup((tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(Effect.andThen(Deferred.await(b), Deferred.succeed(a, undefined)))
                yield* tg.startSoon(Effect.andThen(Deferred.await(a), Deferred.succeed(b, undefined)))
              })
            )
          })
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const reason = exit.cause.reasons[0]
        expect(reason?._tag).toBe("Fail")
        expect(reason?._tag === "Fail" && (reason.error as { _tag: string })._tag).toBe("DeadlockError")
      }
    })
  )

  it.effect("the shuffle mode is reproducible for a seed", () =>
    Effect.gen(function* () {
      const order = (seed: number) =>
        Effect.gen(function* () {
          const events: Array<number> = []
          yield* autojump(
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                for (let i = 0; i < 8; i++) yield* tg.startSoon(Effect.sync(() => events.push(i)))
              })
            ),
            { shuffleSeed: seed }
          )
          return events
        })
      const a = yield* order(42)
      const b = yield* order(42)
      const fifo: Array<number> = []
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            for (let i = 0; i < 8; i++) yield* tg.startSoon(Effect.sync(() => fifo.push(i)))
          })
        )
      )
      expect(a).toEqual(b)
      expect(fifo).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
      const others = yield* Effect.forEach([1, 2, 3, 4, 5], order)
      expect(others.some((o) => o.join() !== fifo.join())).toBe(true)
    })
  )
})

describe("autojump: deadlocks in places interruption cannot reach", () => {
  it.effect("a deadlock inside a shielded scope is still reported", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        autojump(
          Effect.gen(function* () {
            const never = yield* Deferred.make<void>()
            yield* cancelScope({ shield: true }, Deferred.await(never))
          })
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const r = exit.cause.reasons[0]
        expect(r?._tag === "Fail" && (r.error as { _tag: string })._tag).toBe("DeadlockError")
      }
    })
  )
})
