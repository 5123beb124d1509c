import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Cause, Data, Effect, Exit, Option, Stream } from "effect"
import { happyEyeballs } from "../examples/happy-eyeballs.ts"
import { moveOnAfter } from "../src/CancelScope.ts"
import { InvalidArgumentError } from "../src/Errors.ts"
import { Event } from "../src/Event.ts"
import { Defect, ExceptionGroup } from "../src/ExceptionGroup.ts"
import {
  amap,
  asCompleted,
  type Collected,
  collectFor,
  collectUntil,
  firstSuccess,
  gather,
  quorum,
  type StructuredError
} from "../src/Structured.ts"
import { autojump } from "../src/Testing.ts"
import { currentTime, sleep } from "../src/Time.ts"

class Boom extends Data.TaggedError("Boom")<{ readonly id: string }> {}
class Nope extends Data.TaggedError("Nope")<{ readonly id: string }> {}

/** Events with their virtual time: "start a@0", "end a@1", "fail a@1", "cancel a@1". */
const recorder = () => {
  const events: Array<string> = []
  const log = (what: string) =>
    Effect.flatMap(currentTime(), (t) => Effect.sync(() => void events.push(`${what}@${t}`)))
  /** A job that sleeps `delay` seconds, then succeeds with `value`. */
  const job = <A>(name: string, delay: number, value: A): Effect.Effect<A> =>
    Effect.gen(function* () {
      yield* log(`start ${name}`)
      yield* sleep(delay)
      yield* log(`end ${name}`)
      return value
    }).pipe(Effect.onInterrupt(() => log(`cancel ${name}`)))
  /** A job that sleeps `delay` seconds, then fails with `error`. */
  const failing = <E>(name: string, delay: number, error: E): Effect.Effect<never, E> =>
    Effect.gen(function* () {
      yield* log(`start ${name}`)
      yield* sleep(delay)
      yield* log(`fail ${name}`)
      return yield* Effect.fail(error)
    }).pipe(Effect.onInterrupt(() => log(`cancel ${name}`)))
  return { events, log, job, failing }
}

/** The failure of an effect (which must fail), as its Cause. */
const failureOf = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<Cause.Cause<E>> =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${String(exit.value)}`)
    return exit.cause
  })

/** The typed error of an effect that must fail with one. */
const errorOf = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<E> =>
  Effect.map(failureOf(effect), (cause) => {
    const fail = cause.reasons.find((r) => r._tag === "Fail")
    if (fail === undefined) throw new Error(`expected a typed failure, got ${Cause.pretty(cause)}`)
    return fail.error
  })

/** The defect of an effect that must die. */
const defectOf = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<unknown> =>
  Effect.map(failureOf(effect), (cause) => {
    const die = cause.reasons.find((r) => r._tag === "Die")
    if (die === undefined) throw new Error(`expected a defect, got ${Cause.pretty(cause)}`)
    return die.defect
  })

const expectInvalid = (defect: unknown, pattern: RegExp) => {
  expect(defect).toBeInstanceOf(InvalidArgumentError)
  expect((defect as InvalidArgumentError).message).toMatch(pattern)
}

/** The error as an ExceptionGroup (it must be one). */
const asGroup = (error: unknown): ExceptionGroup<unknown> => {
  expect(error).toBeInstanceOf(ExceptionGroup)
  return error as ExceptionGroup<unknown>
}

/** The ids of the members of a group of Boom/Nope failures. */
const ids = (error: unknown) =>
  asGroup(error).exceptions.map((e) => (e instanceof Boom || e instanceof Nope ? e.id : "?"))

// ---------------------------------------------------------------------------------------------

describe("gather", () => {
  it.effect("returns the results in input order, typed as a tuple, with every task started at once", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      const result = yield* autojump(
        Effect.gen(function* () {
          const r: [number, string, boolean] = yield* gather([
            job("a", 3, 1),
            job("b", 1, "two"),
            job("c", 2, true)
          ])
          return [r, yield* currentTime()] as const
        })
      )
      expect(result).toEqual([[1, "two", true], 3])
      expect(events).toEqual(["start a@0", "start b@0", "start c@0", "end b@1", "end c@2", "end a@3"])
    })
  )

  it.effect("accepts a record and any iterable", () =>
    Effect.gen(function* () {
      const { job } = recorder()
      const rec: { x: number; y: string } = yield* autojump(
        gather({ x: job("x", 2, 1), y: job("y", 1, "y") })
      )
      expect(rec).toEqual({ x: 1, y: "y" })
      function* gen() {
        yield job("g0", 1, 10)
        yield job("g1", 0.5, 20)
      }
      const arr: Array<number> = yield* autojump(gather(gen()))
      expect(arr).toEqual([10, 20])
      expect(yield* gather([])).toEqual([])
    })
  )

  it.effect("the first failure cancels the others; every failure lands in one ExceptionGroup", () =>
    Effect.gen(function* () {
      const { events, job, failing } = recorder()
      const program: Effect.Effect<[number, string, number], StructuredError<Boom | Nope>> = gather([
        job("a", 5, 1),
        failing("b", 1, new Boom({ id: "b" })),
        job("c", 0.5, 3)
      ])
      const eg = yield* errorOf(autojump(program))
      expect(eg).toBeInstanceOf(ExceptionGroup)
      expect(ids(eg)).toEqual(["b"])
      expect(events).toEqual(["start a@0", "start b@0", "start c@0", "end c@0.5", "fail b@1", "cancel a@1"])
      // Two tasks that fail before their first suspension: the second begins in the cancelled
      // group, fails before it can be cancelled, and both failures are members.
      const both = yield* errorOf(
        gather([job("slow", 1, 0), Effect.fail(new Boom({ id: "x" })), Effect.fail(new Nope({ id: "y" }))])
      )
      expect(ids(both)).toEqual(["x", "y"])
    })
  )

  it.effect("a task whose wake-up coincides with a sibling's failure runs to its next checkpoint", () =>
    Effect.gen(function* () {
      // As AnyIO (test/reference/woken_tasks_fail_together.py): "d", woken at the same instant as
      // "b", is not cancelled before it runs; it fails too, and both are members.
      const { events, failing } = recorder()
      const eg = yield* errorOf(
        autojump(gather([failing("b", 1, new Boom({ id: "b" })), failing("d", 1, new Nope({ id: "d" }))]))
      )
      expect(ids(eg)).toEqual(["b", "d"])
      expect(events).toEqual(["start b@0", "start d@0", "fail b@1", "fail d@1"])
    })
  )

  it.effect("a cancellation of the caller cancels every task and waits for them", () =>
    Effect.gen(function* () {
      const { events, log, job } = recorder()
      const r = yield* autojump(
        Effect.gen(function* () {
          const r = yield* moveOnAfter(1, gather([job("a", 5, 1), job("b", 0.5, 2)]))
          yield* log("after")
          return r
        })
      )
      expect(Option.isNone(r)).toBe(true)
      expect(events).toEqual(["start a@0", "start b@0", "end b@0.5", "cancel a@1", "after@1"])
    })
  )

  it.effect("rejects what is not an effect", () =>
    Effect.gen(function* () {
      expectInvalid(
        yield* defectOf(gather([Effect.void, 42] as unknown as Array<Effect.Effect<void>>)),
        /item 1 is number 42/
      )
      expectInvalid(yield* defectOf(gather(null as unknown as Array<Effect.Effect<void>>)), /null/)
    })
  )
})

describe("amap", () => {
  it.effect("runs at most `limit` at a time, starts in input order, results in input order", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      const delays = [3, 1, 1, 2, 1]
      const result = yield* autojump(amap((d: number, i) => job(`#${i}`, d, d * 10), delays, { limit: 2 }))
      expect(result).toEqual([30, 10, 10, 20, 10])
      expect(events).toEqual([
        "start #0@0",
        "start #1@0",
        "end #1@1",
        "start #2@1",
        "end #2@2",
        "start #3@2",
        "end #0@3",
        "start #4@3",
        "end #3@4",
        "end #4@4"
      ])
    })
  )

  it.effect("reads a lazy iterable only as tokens free up", () =>
    Effect.gen(function* () {
      const { events, log } = recorder()
      const pulled: Array<string> = []
      function* items() {
        for (let i = 0; i < 4; i++) {
          pulled.push(`${i}`)
          yield i
        }
      }
      yield* autojump(
        amap(
          (i: number) =>
            Effect.gen(function* () {
              events.push(`pulled ${pulled.join(",")}`)
              yield* sleep(1)
              yield* log(`done ${i}`)
            }),
          items(),
          { limit: 1 }
        )
      )
      expect(events).toEqual([
        "pulled 0",
        "done 0@1",
        "pulled 0,1",
        "done 1@2",
        "pulled 0,1,2",
        "done 2@3",
        "pulled 0,1,2,3",
        "done 3@4"
      ])
    })
  )

  it.effect("without a limit every call starts at once", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      const t = yield* autojump(
        Effect.andThen(
          amap((d: number, i) => job(`#${i}`, d, d), [2, 1, 3]),
          currentTime()
        )
      )
      expect(t).toBe(3)
      expect(events.filter((e) => e.startsWith("start"))).toEqual(["start #0@0", "start #1@0", "start #2@0"])
    })
  )

  it.effect("a failure cancels the running calls and stops starting new ones", () =>
    Effect.gen(function* () {
      const { events, job, failing } = recorder()
      const program: Effect.Effect<Array<number>, StructuredError<Boom>> = amap(
        (d: number, i): Effect.Effect<number, Boom> =>
          i === 1 ? failing(`#${i}`, d, new Boom({ id: `#${i}` })) : job(`#${i}`, d, d),
        [5, 1, 1, 1],
        { limit: 2 }
      )
      const eg = yield* errorOf(autojump(program))
      expect(ids(eg)).toEqual(["#1"])
      expect(events).toEqual(["start #0@0", "start #1@0", "fail #1@1", "cancel #0@1"])
    })
  )

  it.effect("an exception thrown by the function is a defect member", () =>
    Effect.gen(function* () {
      // A group of defects only dies with its ExceptionGroup (the error type is `never`).
      const eg = asGroup(
        yield* defectOf(
          amap(
            (n: number) => {
              if (n === 2) throw new TypeError("bad item")
              return Effect.succeed(n)
            },
            [1, 2, 3]
          )
        )
      )
      expect(eg.exceptions).toHaveLength(1)
      expect(eg.exceptions[0]).toBeInstanceOf(Defect)
      expect(((eg.exceptions[0] as Defect).defect as Error).message).toBe("bad item")
    })
  )

  it.effect("rejects a bad limit", () =>
    Effect.gen(function* () {
      for (const limit of [0, -1, 1.5, Number.NaN]) {
        expectInvalid(
          yield* defectOf(amap(Effect.succeed, [1], { limit })),
          /limit must be a positive integer/
        )
      }
      expect(yield* amap(Effect.succeed, [1, 2], { limit: Number.POSITIVE_INFINITY })).toEqual([1, 2])
    })
  )
})

describe("asCompleted", () => {
  it.effect("emits results in completion order", () =>
    Effect.gen(function* () {
      const { events, log, job } = recorder()
      const out = yield* autojump(
        asCompleted([job("a", 3, "a"), job("b", 1, "b"), job("c", 2, "c")]).pipe(
          Stream.runForEach((x) => log(`got ${x}`))
        )
      )
      expect(out).toBeUndefined()
      expect(events).toEqual([
        "start a@0",
        "start b@0",
        "start c@0",
        "end b@1",
        "got b@1",
        "end c@2",
        "got c@2",
        "end a@3",
        "got a@3"
      ])
    })
  )

  it.effect("a consumer that stops early cancels the remaining tasks before the stream finishes", () =>
    Effect.gen(function* () {
      const { events, log, job } = recorder()
      const out = yield* autojump(
        Effect.gen(function* () {
          const firstTwo = yield* asCompleted([job("a", 3, "a"), job("b", 1, "b"), job("c", 2, "c")]).pipe(
            Stream.take(2),
            Stream.runCollect
          )
          yield* log("consumer done")
          return firstTwo
        })
      )
      expect(out).toEqual(["b", "c"])
      expect(events.slice(3)).toEqual(["end b@1", "end c@2", "cancel a@2", "consumer done@2"])
    })
  )

  it.effect("stopping early waits for the cancelled tasks' cleanup", () =>
    Effect.gen(function* () {
      const { events, log } = recorder()
      const slowCleanup = Effect.onInterrupt(Effect.as(sleep(10), "never"), () =>
        Effect.andThen(sleep(1), log("cleanup done"))
      )
      yield* autojump(
        Effect.gen(function* () {
          yield* asCompleted([slowCleanup, Effect.as(sleep(2), "fast")]).pipe(Stream.take(1), Stream.runDrain)
          yield* log("consumer done")
        })
      )
      expect(events).toEqual(["cleanup done@3", "consumer done@3"])
    })
  )

  it.effect("Stream.runHead: the first result; the others are cancelled", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      const first = yield* autojump(asCompleted([job("a", 2, 1), job("b", 1, 2)]).pipe(Stream.runHead))
      expect(first).toEqual(Option.some(2))
      expect(events).toEqual(["start a@0", "start b@0", "end b@1", "cancel a@1"])
    })
  )

  it.effect("a failure cancels the others; the stream fails after the earlier results", () =>
    Effect.gen(function* () {
      const { events, log, job, failing } = recorder()
      const stream: Stream.Stream<string, StructuredError<Boom>> = asCompleted([
        job("slow", 5, "slow"),
        job("ok", 1, "ok"),
        failing("bad", 2, new Boom({ id: "bad" }))
      ])
      const eg = yield* errorOf(autojump(Stream.runForEach(stream, (x) => log(`got ${x}`))))
      expect(ids(eg)).toEqual(["bad"])
      expect(events.slice(3)).toEqual(["end ok@1", "got ok@1", "fail bad@2", "cancel slow@2"])
    })
  )

  it.effect("the consumer's cancellation cancels the tasks", () =>
    Effect.gen(function* () {
      const { events, log, job } = recorder()
      yield* autojump(
        Effect.gen(function* () {
          yield* moveOnAfter(
            1.5,
            asCompleted([job("a", 1, "a"), job("b", 2, "b")]).pipe(Stream.runForEach((x) => log(`got ${x}`)))
          )
          yield* log("after")
        })
      )
      expect(events).toEqual(["start a@0", "start b@0", "end a@1", "got a@1", "cancel b@1.5", "after@1.5"])
    })
  )

  it.effect("nothing starts before the stream runs; an empty input dies (AnyIO: ValueError)", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      const stream = asCompleted([job("a", 1, 1)])
      expect(events).toEqual([])
      expect(yield* autojump(Stream.runCollect(stream))).toEqual([1])
      expectInvalid(yield* defectOf(Stream.runCollect(asCompleted([]))), /at least one effect/)
      expectInvalid(
        yield* defectOf(Stream.runCollect(asCompleted([1] as unknown as Array<Effect.Effect<number>>))),
        /item 0 is number 1/
      )
    })
  )
})

describe("firstSuccess", () => {
  it.effect("staggers the starts, starts the next one early when one fails, cancels the rest", () =>
    Effect.gen(function* () {
      const { events, log, job, failing } = recorder()
      const winner = yield* autojump(
        Effect.gen(function* () {
          const w: string = yield* firstSuccess(
            [
              job("a", 10, "a"),
              failing("b", 0.1, new Boom({ id: "b" })),
              job("c", 0.3, "c"),
              job("d", 1, "d")
            ],
            { staggerDelay: 0.25 }
          )
          yield* log(`winner ${w}`)
          return w
        })
      )
      expect(winner).toBe("c")
      expect(events).toEqual([
        "start a@0",
        "start b@0.25",
        "fail b@0.35",
        "start c@0.35", // at once after b failed, not at 0.5
        "start d@0.6", // 0.25 after c started
        "end c@0.65",
        "cancel a@0.65",
        "cancel d@0.65",
        "winner c@0.65"
      ])
    })
  )

  it.effect("the default stagger is 0.25 s, and attempts not started yet are never started", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      yield* autojump(firstSuccess([job("a", 0.4, "a"), job("b", 1, "b"), job("c", 1, "c")]))
      expect(events).toEqual(["start a@0", "start b@0.25", "end a@0.4", "cancel b@0.4"])
    })
  )

  it.effect("all failed: one ExceptionGroup of every failure, in input order", () =>
    Effect.gen(function* () {
      const { events, failing } = recorder()
      const program: Effect.Effect<string | number, StructuredError<Boom | Nope>> = firstSuccess(
        [failing("a", 1, new Boom({ id: "a" })), failing("b", 0.1, new Nope({ id: "b" }))],
        { staggerDelay: 0.5 }
      )
      const eg = yield* errorOf(autojump(program))
      expect((eg as ExceptionGroup<unknown>).bareMessage).toBe("all 2 attempts failed")
      expect(ids(eg)).toEqual(["a", "b"])
      expect(events).toEqual(["start a@0", "start b@0.5", "fail b@0.6", "fail a@1"])
    })
  )

  it.effect("staggerDelay Infinity: strictly one after another", () =>
    Effect.gen(function* () {
      const { events, job, failing } = recorder()
      const w = yield* autojump(
        firstSuccess([failing("a", 3, new Boom({ id: "a" })), job("b", 1, "b")], {
          staggerDelay: Number.POSITIVE_INFINITY
        })
      )
      expect(w).toBe("b")
      expect(events).toEqual(["start a@0", "fail a@3", "start b@3", "end b@4"])
    })
  )

  it.effect("a defect is not a failed attempt: it cancels everything, as in a task group", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      // A group of defects only dies with its ExceptionGroup.
      const eg = yield* defectOf(
        autojump(
          firstSuccess([job("a", 5, "a"), Effect.andThen(sleep(1), Effect.die("bug"))], { staggerDelay: 0 })
        )
      )
      expect(asGroup(eg).exceptions).toHaveLength(1)
      expect((asGroup(eg).exceptions[0] as Defect).defect).toBe("bug")
      expect(events).toEqual(["start a@0", "cancel a@1"])
    })
  )

  it.effect("rejects an empty input and bad delays", () =>
    Effect.gen(function* () {
      expectInvalid(yield* defectOf(firstSuccess([])), /at least one effect/)
      expectInvalid(yield* defectOf(firstSuccess([Effect.void], { staggerDelay: Number.NaN })), /NaN/)
      expectInvalid(yield* defectOf(firstSuccess([Effect.void], { staggerDelay: -1 })), /must be >= 0/)
    })
  )
})

describe("quorum", () => {
  it.effect("the first n successes in completion order; the rest are cancelled", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      const r: Array<string> = yield* autojump(
        quorum(2, [job("a", 3, "a"), job("b", 1, "b"), job("c", 2, "c")])
      )
      expect(r).toEqual(["b", "c"])
      expect(events).toEqual(["start a@0", "start b@0", "start c@0", "end b@1", "end c@2", "cancel a@2"])
    })
  )

  it.effect("tolerates failures while the quorum is still reachable", () =>
    Effect.gen(function* () {
      const { events, job, failing } = recorder()
      const r = yield* autojump(
        quorum(2, [failing("x", 1, new Boom({ id: "x" })), job("a", 2, 1), job("b", 3, 2), job("c", 4, 3)])
      )
      expect(r).toEqual([1, 2])
      expect(events.slice(4)).toEqual(["fail x@1", "end a@2", "end b@3", "cancel c@3"])
    })
  )

  it.effect("unreachable: an ExceptionGroup of the failures (input order), the rest cancelled", () =>
    Effect.gen(function* () {
      const { events, job, failing } = recorder()
      const program: Effect.Effect<Array<number>, StructuredError<Boom | Nope>> = quorum(2, [
        failing("x", 2, new Boom({ id: "x" })),
        job("a", 5, 1),
        failing("y", 1, new Nope({ id: "y" }))
      ])
      const eg = yield* errorOf(autojump(program))
      expect((eg as ExceptionGroup<unknown>).bareMessage).toBe(
        "quorum of 2 can no longer be reached: 2 of 3 failed"
      )
      expect(ids(eg)).toEqual(["x", "y"])
      expect(asGroup(eg).cancelled.map((c) => c.name)).toEqual(["quorum[1]"])
      expect(events.slice(3)).toEqual(["fail y@1", "fail x@2", "cancel a@2"])
    })
  )

  it.effect("n = 0 starts nothing; bad n is rejected", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      expect(yield* quorum(0, [job("a", 1, 1)])).toEqual([])
      expect(events).toEqual([])
      expectInvalid(yield* defectOf(quorum(-1, [Effect.void])), /integer n >= 0/)
      expectInvalid(yield* defectOf(quorum(1.5, [Effect.void])), /integer n >= 0/)
      expectInvalid(yield* defectOf(quorum(Number.NaN, [Effect.void])), /integer n >= 0/)
      expectInvalid(
        yield* defectOf(quorum(3, [Effect.void, Effect.void])),
        /n <= the number of effects \(2\)/
      )
    })
  )

  it.effect("a cancellation of the caller cancels every task and waits for them", () =>
    Effect.gen(function* () {
      const { events, log, job } = recorder()
      yield* autojump(
        Effect.gen(function* () {
          yield* moveOnAfter(1, quorum(1, [job("a", 2, 1), job("b", 3, 2)]))
          yield* log("after")
        })
      )
      expect(events).toEqual(["start a@0", "start b@0", "cancel a@1", "cancel b@1", "after@1"])
    })
  )
})

describe("collectUntil / collectFor", () => {
  it.effect("keeps what finished by the deadline, cancels the rest, says which", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      const r: Collected<
        [Option.Option<number>, Option.Option<string>, Option.Option<number>, Option.Option<number>]
      > = yield* autojump(
        collectUntil(2, [job("a", 1, 1), job("b", 3, "b"), job("c", 0.5, 3), job("d", 5, 4)])
      )
      expect(r.results).toEqual([Option.some(1), Option.none(), Option.some(3), Option.none()])
      expect(r.completed).toEqual([2, 0])
      expect(r.cancelled).toEqual([1, 3])
      expect(events.slice(4)).toEqual(["end c@0.5", "end a@1", "cancel b@2", "cancel d@2"])
    })
  )

  it.effect("returns as soon as everything finished", () =>
    Effect.gen(function* () {
      const { job } = recorder()
      const [r, t] = yield* autojump(
        Effect.all([collectUntil(100, [job("a", 1, 1), job("b", 2, 2)]), currentTime()])
      )
      expect(r.cancelled).toEqual([])
      expect(r.completed).toEqual([0, 1])
      expect(t).toBe(2)
    })
  )

  it.effect("a failure before the deadline fails the whole call, as a task group", () =>
    Effect.gen(function* () {
      const { events, job, failing } = recorder()
      const eg = yield* errorOf(
        autojump(collectUntil(10, [job("a", 5, 1), failing("b", 1, new Boom({ id: "b" }))]))
      )
      expect(ids(eg)).toEqual(["b"])
      expect(events.slice(2)).toEqual(["fail b@1", "cancel a@1"])
    })
  )

  it.effect("a deadline already passed keeps only effects that never suspend", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      const r = yield* autojump(
        Effect.gen(function* () {
          yield* sleep(5)
          return yield* collectUntil(1, [Effect.succeed("sync"), job("a", 1, "a")])
        })
      )
      expect(r.results).toEqual([Option.some("sync"), Option.none()])
      expect(r.cancelled).toEqual([1])
      expect(events).toEqual(["start a@5", "cancel a@5"])
    })
  )

  it.effect("collectFor: a deadline relative to now", () =>
    Effect.gen(function* () {
      const { events, job } = recorder()
      const r = yield* autojump(
        Effect.gen(function* () {
          yield* sleep(10)
          return yield* collectFor(1, [job("a", 0.5, "a"), job("b", 2, "b")])
        })
      )
      expect(r.cancelled).toEqual([1])
      expect(events).toEqual(["start a@10", "start b@10", "end a@10.5", "cancel b@11"])
    })
  )

  it.effect("rejects NaN deadlines and delays", () =>
    Effect.gen(function* () {
      expectInvalid(yield* defectOf(collectUntil(Number.NaN, [Effect.void])), /deadline must be a number/)
      expectInvalid(yield* defectOf(collectFor(Number.NaN, [Effect.void])), /NaN/)
    })
  )
})

describe("examples/happy-eyeballs.ts", () => {
  it.effect("connects to the fastest endpoint at 130 ms and cancels the pending attempts", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const r = yield* autojump(happyEyeballs((line) => lines.push(line)))
      expect(r.winner).toBe("192.0.2.2")
      expect(r.elapsed).toBeCloseTo(0.13, 9)
      expect(lines.map((l) => l.trim().replace(/\s+/g, " "))).toEqual([
        "0 ms trying 2001:db8::1",
        "20 ms 2001:db8::1 failed: connection refused",
        "20 ms trying 2001:db8::2",
        "70 ms trying 192.0.2.1",
        "120 ms trying 192.0.2.2",
        "130 ms connected to 192.0.2.2",
        "130 ms gave up on 2001:db8::2",
        "130 ms gave up on 192.0.2.1",
        "winner: 192.0.2.2 after 130 ms"
      ])
    })
  )
})

describe("types", () => {
  class Db {
    readonly _: "Db" = "Db"
  }
  const needsDb = Effect.succeed(1) as Effect.Effect<number, Nope, Db>
  const boom = Effect.fail(new Boom({ id: "x" }))

  it("gather keeps tuples and records; errors and requirements are unions", () => {
    expectTypeOf(gather([needsDb, boom, Effect.succeed("s")])).toEqualTypeOf<
      Effect.Effect<[number, never, string], StructuredError<Nope | Boom>, Db>
    >()
    expectTypeOf(gather({ a: needsDb, b: Effect.succeed(true) })).toEqualTypeOf<
      Effect.Effect<{ a: number; b: boolean }, StructuredError<Nope>, Db>
    >()
    expectTypeOf(gather(new Set([Effect.succeed(1)]))).toEqualTypeOf<
      Effect.Effect<Array<number>, StructuredError<never>>
    >()
  })

  it("the other helpers", () => {
    expectTypeOf(amap((n: number) => Effect.as(needsDb, String(n)), [1])).toEqualTypeOf<
      Effect.Effect<Array<string>, StructuredError<Nope>, Db>
    >()
    expectTypeOf(asCompleted([needsDb, boom])).toEqualTypeOf<
      Stream.Stream<number, StructuredError<Nope | Boom>, Db>
    >()
    expectTypeOf(firstSuccess([needsDb, Effect.succeed("s")])).toEqualTypeOf<
      Effect.Effect<number | string, StructuredError<Nope>, Db>
    >()
    expectTypeOf(quorum(1, [needsDb, boom])).toEqualTypeOf<
      Effect.Effect<Array<number>, StructuredError<Nope | Boom>, Db>
    >()
    expectTypeOf(collectUntil(1, [needsDb, Effect.succeed("s")])).toEqualTypeOf<
      Effect.Effect<Collected<[Option.Option<number>, Option.Option<string>]>, StructuredError<Nope>, Db>
    >()
    expectTypeOf(collectFor(1, new Set([needsDb]))).toEqualTypeOf<
      Effect.Effect<Collected<Array<Option.Option<number>>>, StructuredError<Nope>, Db>
    >()
  })

  it("a nested group's failure contributes its leaves", () => {
    const nested = gather([boom])
    expectTypeOf(gather([nested, needsDb])).toEqualTypeOf<
      Effect.Effect<[[never], number], StructuredError<Boom | Nope>, Db>
    >()
  })
})

// ---------------------------------------------------------------------------------------------
// AnyIO master's tests/test_concurrency_utils.py, ported literally (asCompleted gives the results,
// where AnyIO gives task handles: `r.return_value` is the result here)

class ValueError extends Data.TaggedError("ValueError")<{ readonly message: string }> {}

/** The members of an ExceptionGroup with exactly one ValueError("boom") (pytest.RaisesGroup). */
const expectBoomGroup = (error: unknown) => {
  const eg = asGroup(error)
  expect(eg.exceptions).toHaveLength(1)
  expect(eg.exceptions[0]).toBeInstanceOf(ValueError)
  expect((eg.exceptions[0] as ValueError).message).toMatch(/boom/)
}

describe("AnyIO's test_concurrency_utils.py", () => {
  // anyio: test_gather_results_in_order
  it.effect("gather: results in input order though the tasks complete in reverse order", () =>
    Effect.gen(function* () {
      // Chain events so the tasks complete in reverse order (3, 2, 1)
      const events = [new Event(), new Event(), new Event()]
      yield* events[2]!.set()
      const returnWhen = (value: number) =>
        Effect.gen(function* () {
          yield* events[value - 1]!.wait()
          if (value > 1) yield* events[value - 2]!.set()
          return value
        })
      const results = yield* gather([returnWhen(1), returnWhen(2), returnWhen(3)])
      expect(results).toEqual([1, 2, 3])
    })
  )

  // anyio: test_gather_propagates_exception
  it.effect("gather: a failure comes out in an ExceptionGroup", () =>
    Effect.gen(function* () {
      const fail = () => Effect.fail(new ValueError({ message: "boom" }))
      const succeed = () => Effect.succeed(1)
      expectBoomGroup(yield* errorOf(gather([succeed(), fail()])))
    })
  )

  // anyio: test_as_completed_ordering
  it.effect("asCompleted: results in completion order (2, 3, 1)", () =>
    Effect.gen(function* () {
      const events = new Map([1, 2, 3].map((value) => [value, new Event()]))
      // Chain completions to occur in the order 2 -> 3 -> 1
      const triggers = new Map<number, Event | undefined>([
        [2, events.get(3)],
        [3, events.get(1)],
        [1, undefined]
      ])
      yield* events.get(2)!.set()
      const returnWhen = (value: number) =>
        Effect.gen(function* () {
          yield* events.get(value)!.wait()
          const trigger = triggers.get(value)
          if (trigger !== undefined) yield* trigger.set()
          return value
        })
      const results = yield* Stream.runCollect(asCompleted([returnWhen(1), returnWhen(2), returnWhen(3)]))
      expect(results).toEqual([2, 3, 1])
    })
  )

  // anyio: test_as_completed_no_coroutines
  it.effect("asCompleted: no effects at all dies with InvalidArgumentError (AnyIO: ValueError)", () =>
    Effect.gen(function* () {
      expectInvalid(yield* defectOf(Stream.runDrain(asCompleted([]))), /at least one effect/)
    })
  )

  // anyio: test_as_completed_propagates_exception
  it.effect(
    "asCompleted: a failure fails the stream with an ExceptionGroup; the waiting task is cancelled",
    () =>
      Effect.gen(function* () {
        const fail = () => Effect.fail(new ValueError({ message: "boom" }))
        const succeed = () => Effect.as(new Event().wait(), 1)
        expectBoomGroup(
          yield* errorOf(Stream.runForEach(asCompleted([succeed(), fail()]), () => Effect.void))
        )
      })
  )

  // anyio: test_as_completed_early_exit
  it.effect("asCompleted: leaving after the first result cancels the unfinished task", () =>
    Effect.gen(function* () {
      const returnNow = () => Effect.succeed(1)
      const never = () => Effect.as(new Event().wait(), 2)
      // Exiting after the first result must cancel the unfinished task
      expect(yield* Stream.runHead(asCompleted([returnNow(), never()]))).toEqual(Option.some(1))
    })
  )

  // anyio: test_map_results_ordering
  it.effect("amap: results in input order though the calls complete in reverse order", () =>
    Effect.gen(function* () {
      // Chain events so the tasks complete in reverse order (3, 2, 1)
      const events = [new Event(), new Event(), new Event()]
      yield* events[2]!.set()
      const double = (value: number) =>
        Effect.gen(function* () {
          yield* events[value - 1]!.wait()
          if (value > 1) yield* events[value - 2]!.set()
          return value * 2
        })
      expect(yield* amap(double, [1, 2, 3])).toEqual([2, 4, 6])
    })
  )

  // anyio: test_map_empty_args
  it.effect("amap: no items, no results", () =>
    Effect.gen(function* () {
      const double = (value: number) => Effect.succeed(value * 2)
      expect(yield* amap(double, [])).toEqual([])
    })
  )

  // anyio: test_map_propagates_exception
  it.effect("amap: a failure comes out in an ExceptionGroup", () =>
    Effect.gen(function* () {
      const fail = (value: number) =>
        value === 2 ? Effect.fail(new ValueError({ message: "boom" })) : Effect.succeed(value)
      expectBoomGroup(yield* errorOf(amap(fail, [1, 2, 3])))
    })
  )
})
