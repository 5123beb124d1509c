/**
 * Deadline timers (src/internal/deadlines.ts): one timer per clock for the earliest armed deadline.
 * The property runs on `autojump`'s virtual clock (a fiber timer); the last tests run on Effect's
 * real clock (a Node timer) for a few milliseconds.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option } from "effect"
import * as TestClock from "effect/testing/TestClock"
import fc from "fast-check"
import { cancelScope, createTaskGroup, currentTime, moveOnAfter, sleep, sleepForever } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

interface Case {
  /** Seconds from the start until the scope's deadline. */
  readonly deadline: number
  /** Seconds the body takes. */
  readonly duration: number
  /** A new deadline set from inside the body (seconds from the start), after `changeAt`. */
  readonly change: { readonly at: number; readonly to: number } | undefined
}

/** Quarter seconds: exact in binary, so deadlines and wake-ups compare exactly. */
const quarter = fc.integer({ min: 1, max: 400 }).map((n) => n / 4)

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    deadline: quarter,
    duration: quarter,
    change: fc.option(fc.record({ at: quarter, to: quarter }), { nil: undefined })
  })
  // No ties between a deadline and a wake-up: which comes first at the same instant is not the point.
  .filter(
    (c) =>
      c.deadline !== c.duration &&
      (c.change === undefined ||
        (c.change.at !== c.duration &&
          c.change.at !== c.deadline &&
          c.change.to !== c.duration &&
          c.change.to !== c.change.at))
  )

/** When the scope ends and whether its deadline stopped it, by the rules (AnyIO's). */
const expected = (c: Case): { readonly at: number; readonly cancelled: boolean } => {
  const change = c.change
  // The change happens only if the body is still running and the first deadline has not fired.
  if (change !== undefined && change.at < c.duration && change.at < c.deadline) {
    const deadline = Math.max(change.to, change.at) // a deadline in the past fires at once
    return deadline < c.duration ? { at: deadline, cancelled: true } : { at: c.duration, cancelled: false }
  }
  return c.deadline < c.duration ? { at: c.deadline, cancelled: true } : { at: c.duration, cancelled: false }
}

const runCase = (c: Case) =>
  Effect.gen(function* () {
    const start = yield* currentTime()
    const result = yield* cancelScope({ deadline: start + c.deadline }, (scope) =>
      Effect.gen(function* () {
        if (c.change !== undefined && c.change.at < c.duration) {
          yield* sleep(c.change.at)
          scope.deadline = start + c.change.to
          yield* sleep(c.duration - c.change.at)
        } else {
          yield* sleep(c.duration)
        }
      })
    )
    return { at: (yield* currentTime()) - start, cancelled: Option.isNone(result) }
  })

describe("deadline timers", () => {
  it("property: concurrent scopes end at their own deadline or their body's end", () =>
    fc.assert(
      fc.asyncProperty(fc.array(caseArb, { minLength: 1, maxLength: 12 }), async (cases) => {
        const got = await Effect.runPromise(
          autojump(
            Effect.gen(function* () {
              const results: Array<{ at: number; cancelled: boolean }> = new Array(cases.length)
              yield* createTaskGroup((tg) =>
                Effect.forEach(
                  cases,
                  (c, i) =>
                    tg.startSoon(
                      Effect.map(runCase(c), (r) => {
                        results[i] = r
                      })
                    ),
                  { discard: true }
                )
              )
              return results
            })
          )
        )
        expect(got).toEqual(cases.map(expected))
      }),
      { numRuns: 200 }
    ))

  it.effect("the TestClock drives deadlines (one timer fiber for many scopes)", () =>
    Effect.gen(function* () {
      const ended: Array<string> = []
      const fiber = yield* Effect.forkChild(
        createTaskGroup((tg) =>
          Effect.forEach(
            [3, 1, 2] as const,
            (d) =>
              tg.startSoon(
                Effect.andThen(
                  moveOnAfter(d, sleepForever()),
                  Effect.sync(() => ended.push(`${d}`))
                )
              ),
            { discard: true }
          )
        )
      )
      yield* Effect.yieldNow
      yield* TestClock.adjust("1500 millis")
      expect(ended).toEqual(["1"])
      yield* TestClock.adjust("2 seconds")
      expect(ended).toEqual(["1", "2", "3"])
      yield* Fiber.join(fiber)
    })
  )

  it("real clock: earliest deadlines fire first; a finished scope's deadline never fires", async () => {
    const got = await Effect.runPromise(
      Effect.gen(function* () {
        const out: Array<string> = []
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            const scope = (name: string, deadline: number, body: Effect.Effect<void>) =>
              tg.startSoon(
                Effect.map(moveOnAfter(deadline, body), (r) => {
                  out.push(`${name}:${Option.isSome(r) ? "done" : "timed out"}`)
                })
              )
            yield* scope("late", 0.004, sleepForever())
            yield* scope("early", 0.002, sleepForever())
            yield* scope("long", 3600, sleep(0.001))
          })
        )
        return out
      })
    )
    // "long" ends first unless the machine is slow enough to let 2 ms pass before its body resumes.
    expect([...got].sort()).toEqual(["early:timed out", "late:timed out", "long:done"])
    expect(got.filter((x) => x !== "long:done")).toEqual(["early:timed out", "late:timed out"])
  })

  it("real clock: a deadline past Node's timer limit (about 24.8 days) does not fire early", async () => {
    const result = await Effect.runPromise(moveOnAfter(30 * 86_400, sleep(0.003)))
    expect(Option.isSome(result)).toBe(true)
  })

  it("real clock: many sequential timeouts in a loop all finish, none fires", async () => {
    const fired = await Effect.runPromise(
      Effect.gen(function* () {
        let fired = 0
        for (let i = 0; i < 1000; i++) {
          const r = yield* moveOnAfter(10 + (i % 7), Effect.yieldNow)
          if (Option.isNone(r)) fired++
        }
        return fired
      })
    )
    expect(fired).toBe(0)
  })
})
