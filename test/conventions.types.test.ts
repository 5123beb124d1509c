/**
 * Effect's conventions (issue 15 part 2): pipeable (`dual`) forms of the scope combinators and one
 * `TimeoutError`. Type points are checked by `tsc --noEmit`; the runtime checks run under vitest.
 */
import { expectTypeOf } from "@effect/vitest"
import { Cause, Data, Effect, Option, Stream } from "effect"
import {
  BrokenResourceError,
  cancelScope,
  createMemoryObjectStream,
  createTaskGroup,
  currentTime,
  failAfter,
  failAt,
  moveOnAfter,
  moveOnAt,
  sleep,
  TimeoutError
} from "../src/index.ts"
import { describe, expect, it } from "./helpers.ts"

class E1 extends Data.TaggedError("E1")<{}> {}
const body: Effect.Effect<number, E1> = Effect.succeed(7)

describe("pipeable scope combinators (dual)", () => {
  it("types: pipe forms give the same types as the data-first forms", () => {
    expectTypeOf(body.pipe(failAfter(1))).toEqualTypeOf<Effect.Effect<number, E1 | TimeoutError>>()
    expectTypeOf(body.pipe(failAfter(1, { reason: "slow" }))).toEqualTypeOf<
      Effect.Effect<number, E1 | TimeoutError>
    >()
    expectTypeOf(body.pipe(failAt(10))).toEqualTypeOf<Effect.Effect<number, E1 | TimeoutError>>()
    expectTypeOf(body.pipe(moveOnAfter("1 second"))).toEqualTypeOf<Effect.Effect<Option.Option<number>, E1>>()
    expectTypeOf(body.pipe(moveOnAt(10, { shield: true }))).toEqualTypeOf<
      Effect.Effect<Option.Option<number>, E1>
    >()
    expectTypeOf(body.pipe(cancelScope({ shield: true }))).toEqualTypeOf<
      Effect.Effect<Option.Option<number>, E1>
    >()
    // data-first forms unchanged
    expectTypeOf(failAfter(1, body)).toEqualTypeOf<Effect.Effect<number, E1 | TimeoutError>>()
    expectTypeOf(failAfter(1, () => body)).toEqualTypeOf<
      Effect.Effect<Option.Option<number>, E1 | TimeoutError>
    >()
    expectTypeOf(moveOnAfter(1, body, { shield: true })).toEqualTypeOf<
      Effect.Effect<Option.Option<number>, E1>
    >()
    expectTypeOf(cancelScope({}, () => body)).toEqualTypeOf<Effect.Effect<Option.Option<number>, E1>>()
  })

  it.autojump("runtime: pipe forms time out and move on like the data-first forms", () =>
    Effect.gen(function* () {
      const timedOut = yield* sleep(5).pipe(failAfter(1), Effect.flip)
      expect(timedOut).toBeInstanceOf(TimeoutError)
      const reason = yield* sleep(5).pipe(failAfter(1, { reason: "too slow" }), Effect.flip)
      expect(reason.message).toBe("too slow")
      expect(yield* Effect.succeed(3).pipe(failAfter(1))).toBe(3)
      const now = yield* currentTime()
      expect(yield* Effect.flip(sleep(5).pipe(failAt(now + 1)))).toBeInstanceOf(TimeoutError)
      expect(yield* sleep(5).pipe(moveOnAfter(1))).toEqual(Option.none())
      expect(yield* Effect.succeed(4).pipe(moveOnAt(now + 100))).toEqual(Option.some(4))
      expect(yield* Effect.succeed(5).pipe(cancelScope({}))).toEqual(Option.some(5))
      // a shielded pipe form keeps running past the outer deadline
      let finished = false
      yield* moveOnAfter(
        0.5,
        sleep(1).pipe(
          Effect.tap(() =>
            Effect.sync(() => {
              finished = true
            })
          ),
          cancelScope({ shield: true })
        )
      )
      expect(finished).toBe(true)
    })
  )
})

describe("one TimeoutError", () => {
  it("ours is effect's Cause.TimeoutError: one tag, one family, instanceof tells the source", () =>
    Effect.gen(function* () {
      const ours = yield* Effect.flip(failAfter(0, Effect.never))
      const effects = yield* Effect.flip(Effect.timeout(Effect.never, 0))
      expectTypeOf(ours).toEqualTypeOf<TimeoutError>()
      expectTypeOf<TimeoutError>().toExtend<Cause.TimeoutError>()
      expect(Cause.isTimeoutError(ours)).toBe(true)
      expect(ours).toBeInstanceOf(Cause.TimeoutError)
      expect(ours._tag).toBe("TimeoutError")
      expect(effects).not.toBeInstanceOf(TimeoutError)
      // one catchTag handles both, with one type
      const both = yield* Effect.all([
        failAfter(0, Effect.never).pipe(Effect.catchTag("TimeoutError", (e) => Effect.succeed(e._tag))),
        Effect.timeout(Effect.never, 0).pipe(Effect.catchTag("TimeoutError", (e) => Effect.succeed(e._tag)))
      ])
      expect(both).toEqual(["TimeoutError", "TimeoutError"])
    }).pipe(Effect.runPromise))
})

describe("README idioms", () => {
  it.autojump("stopping a receive.stream early: the producer stays blocked until the end is closed", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(0)
      const outcome = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const producer = yield* tg.startSoon(
            send.use((s) => Effect.forEach([1, 2, 3, 4, 5], (n) => s.send(n))).pipe(Effect.flip)
          )
          const firstThree = yield* receive.use((r) => r.stream.pipe(Stream.take(3), Stream.runCollect))
          expect(Array.from(firstThree)).toEqual([1, 2, 3])
          return yield* producer.join
        })
      )
      expect(Option.getOrThrow(outcome)).toBeInstanceOf(BrokenResourceError)
    })
  )
})
