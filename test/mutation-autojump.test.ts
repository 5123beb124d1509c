/**
 * Tests written to kill the mutants of the autojump world (Testing.ts; see test/MUTATION.md): the
 * order of sleepers due at the same time, the clock's readings, sleeps of zero and infinite length,
 * the shuffle's generator (seed 0 too), the deadlock report's details and the `idleTurns` grace,
 * the turn budget (outside callbacks get in during a long run of jumps, and a long run of ready
 * tasks), and interrupting the whole program from outside. Outcomes only: what wakes, when on the
 * virtual clock, what is reported.
 */
import { describe, expect, it } from "@effect/vitest"
import { Clock, Deferred, Duration, Effect, Exit, Fiber, Option } from "effect"
import { createTaskGroup, currentTime, sleep, waitAllTasksBlocked } from "../src/index.ts"
import { autojump, DeadlockError } from "../src/Testing.ts"

describe("autojump: the virtual clock", () => {
  it.effect("sleepers due at the same time wake in the order they began; an earlier one first", () =>
    Effect.gen(function* () {
      const order: Array<string> = []
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            for (const name of ["a", "b", "c", "d"]) {
              yield* tg.startSoon(
                Effect.andThen(
                  sleep(5),
                  Effect.sync(() => order.push(name))
                )
              )
            }
            yield* tg.startSoon(
              Effect.andThen(
                sleep(4.5),
                Effect.sync(() => order.push("early"))
              )
            )
            yield* tg.startSoon(
              Effect.andThen(
                sleep(5),
                Effect.sync(() => order.push("e"))
              )
            )
          })
        )
      )
      expect(order).toEqual(["early", "a", "b", "c", "d", "e"])
    })
  )

  it.effect(
    "the clock reads the virtual time in millis and nanos; sleep(0) and negative sleeps do not move it",
    () =>
      Effect.gen(function* () {
        const r = yield* autojump(
          Effect.gen(function* () {
            const t0 = yield* Clock.currentTimeMillis
            yield* Effect.sleep(Duration.millis(0))
            yield* sleep(0)
            const t1 = yield* Clock.currentTimeMillis
            yield* Effect.sleep(Duration.millis(1500))
            return {
              t0,
              t1,
              millis: yield* Clock.currentTimeMillis,
              nanos: yield* Clock.currentTimeNanos,
              now: yield* currentTime()
            }
          })
        )
        expect(r).toEqual({ t0: 0, t1: 0, millis: 1500, nanos: 1_500_000_000n, now: 1.5 })
      })
  )

  it.effect("sleep(0) yields: a ready task runs in between", () =>
    Effect.gen(function* () {
      const order: Array<string> = []
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.gen(function* () {
                order.push("a1")
                yield* sleep(0)
                order.push("a2")
              })
            )
            yield* tg.startSoon(Effect.sync(() => order.push("b")))
          })
        )
      )
      expect(order).toEqual(["a1", "b", "a2"])
    })
  )

  it.effect("an infinite sleep never wakes: with nothing else pending it is a deadlock", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(autojump(Effect.sleep(Duration.infinity)))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = yield* Effect.flip(autojump(Effect.sleep(Duration.infinity)))
      expect(error).toBeInstanceOf(DeadlockError)
      expect(error.virtualTime).toBe(0)
    })
  )

  it.effect("a long run of sleeps beside other timers: each wakes at its own time", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.gen(function* () {
                for (let i = 0; i < 30; i++) yield* sleep(0.25)
                seen.push(yield* currentTime())
              })
            )
            yield* tg.startSoon(
              Effect.andThen(
                sleep(3),
                Effect.flatMap(currentTime(), (t) => Effect.sync(() => seen.push(t)))
              )
            )
          })
        )
      )
      expect(seen).toEqual([3, 7.5])
    })
  )
})

describe("autojump: shuffle", () => {
  const order = (shuffleSeed: number | undefined) =>
    Effect.gen(function* () {
      const out: Array<number> = []
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            for (let i = 0; i < 12; i++) yield* tg.startSoon(Effect.sync(() => out.push(i)))
          })
        ),
        { shuffleSeed }
      )
      return out
    })

  it.effect("without a seed: first in, first out; seed 0 shuffles too, reproducibly", () =>
    Effect.gen(function* () {
      const fifo = Array.from({ length: 12 }, (_, i) => i)
      expect(yield* order(undefined)).toEqual(fifo)
      const zero = yield* order(0)
      expect([...zero].sort((a, b) => a - b)).toEqual(fifo)
      expect(zero).not.toEqual(fifo)
      expect(yield* order(0)).toEqual(zero)
      const seven = yield* order(7)
      expect(seven).not.toEqual(fifo)
      expect(seven).not.toEqual(zero)
      expect(yield* order(7)).toEqual(seven)
    })
  )

  it.effect("a deadlock under a seed names the seed; without one it does not", () =>
    Effect.gen(function* () {
      const stuck = Effect.flatMap(Deferred.make<void>(), Deferred.await)
      const seeded = yield* Effect.flip(autojump(Effect.andThen(sleep(2), stuck), { shuffleSeed: 42 }))
      expect(seeded.message).toContain("[shuffleSeed 42]")
      expect(seeded.message).toContain("(virtual time 2s)")
      expect(seeded.virtualTime).toBe(2)
      const plain = yield* Effect.flip(autojump(stuck))
      expect(plain.message).not.toContain("shuffleSeed")
      expect(plain.message).toMatch(
        /^deadlock: every task is blocked and no timer is pending \(virtual time 0s\)\n/
      )
      expect(plain.message).toContain("'main'")
    })
  )
})

describe("autojump: the real event loop", () => {
  it.effect(
    "a promise resolved from outside within the idle grace is waited for; with idleTurns 0 it is a deadlock",
    () =>
      Effect.gen(function* () {
        const later = Effect.promise(
          () => new Promise<string>((resolve) => setImmediate(() => setImmediate(() => resolve("outside"))))
        )
        expect(yield* autojump(later)).toBe("outside")
        const error = yield* Effect.flip(autojump(later, { idleTurns: 0 }))
        expect(error).toBeInstanceOf(DeadlockError)
      })
  )

  it.effect(
    "during a long run of jumps, outside callbacks still get in",
    () =>
      Effect.gen(function* () {
        let outsideAt = -1
        const end = yield* autojump(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                Effect.gen(function* () {
                  yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
                  outsideAt = yield* currentTime()
                })
              )
              yield* tg.startSoon(
                Effect.gen(function* () {
                  for (let i = 0; i < 100_000; i++) yield* sleep(1)
                })
              )
            })
          ).pipe(Effect.andThen(currentTime()))
        )
        expect(end).toBe(100_000)
        expect(outsideAt).toBeGreaterThanOrEqual(0)
        expect(outsideAt).toBeLessThan(50_000)
      }),
    60_000
  )

  it.effect(
    "more ready tasks than one turn runs: none is lost, outside callbacks get in",
    () =>
      Effect.gen(function* () {
        let ran = 0
        let outsideAfter = -1
        yield* autojump(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                Effect.gen(function* () {
                  yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
                  outsideAfter = ran
                })
              )
              for (let i = 0; i < 40_000; i++) {
                yield* tg.startSoon(
                  Effect.andThen(
                    Effect.yieldNow,
                    Effect.sync(() => ran++)
                  )
                )
              }
            })
          )
        )
        expect(ran).toBe(40_000)
        expect(outsideAfter).toBeGreaterThanOrEqual(0)
        expect(outsideAfter).toBeLessThan(40_000)
      }),
    60_000
  )

  it.effect("waitAllTasksBlocked returns before the clock moves", () =>
    Effect.gen(function* () {
      const t = yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(sleep(10))
            yield* waitAllTasksBlocked()
            return yield* currentTime()
          })
        )
      )
      expect(t).toEqual(Option.some(0))
    })
  )

  it.live("interrupting the program from outside ends it (its finalizers run)", () =>
    Effect.gen(function* () {
      let finalized = false
      const fiber = yield* Effect.forkChild(
        autojump(
          Effect.flatMap(Deferred.make<void>(), Deferred.await).pipe(
            Effect.ensuring(Effect.sync(() => (finalized = true)))
          ),
          { idleTurns: 1_000_000 }
        )
      )
      for (let i = 0; i < 5; i++) yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      yield* Fiber.interrupt(fiber)
      for (let i = 0; i < 5 && !finalized; i++) {
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      expect(finalized).toBe(true)
    })
  )
})

// Found while killing mutants (reported, not fixed here: src/ is not this helper's to change). The
// program is started from the world's run queue (a setImmediate turn later); autojump's canceler
// interrupts `fiber?.` only, so an interruption that comes before that turn is lost: the program
// starts afterwards and runs on, detached, until it ends or the deadlock check interrupts it.
describe("autojump: known bug", () => {
  it.fails("interrupted before its program started: the program never runs (or is interrupted)", async () => {
    let started = false
    let finalized = false
    await Effect.runPromise(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(
          autojump(
            Effect.andThen(
              Effect.sync(() => (started = true)),
              Effect.flatMap(Deferred.make<void>(), Deferred.await)
            ).pipe(Effect.ensuring(Effect.sync(() => (finalized = true)))),
            { idleTurns: 1000 }
          )
        )
        yield* Effect.yieldNow
        yield* Fiber.interrupt(fiber)
        for (let i = 0; i < 20; i++)
          yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      })
    )
    expect(started && !finalized).toBe(false)
  })
})
