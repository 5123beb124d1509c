/**
 * Tests written to kill the mutants of scope.ts's rules (lines 233-522: delivery, visibility,
 * deadlines; see test/MUTATION.md): the first reason is kept, `epoch` moves to a value no memo
 * holds, a deadline is armed only while it can fire, the shield setter delivers only what it held
 * back, the catching rule, the deadline on entry (relative, absolute, negative, lazily read) and
 * `failAfter`'s test at exit.
 */
import { describe, expect, it, vi } from "@effect/vitest"
import { Clock, Effect, Exit, Option } from "effect"
import {
  type CancelScope,
  cancelScope,
  currentTime,
  failAfter,
  makeCancelScope,
  moveOnAfter,
  sleep
} from "../src/index.ts"
import type { CancelScopeImpl } from "../src/internal/scope.ts"
import { autojump } from "../src/Testing.ts"

const impl = (s: CancelScope) => s as CancelScopeImpl
/** The scope's deadline is in its clock's queue. */
const armed = (s: CancelScope) => impl(s).status?.deadlineEntry?.queue !== undefined

describe("recording a cancellation", () => {
  it.effect(
    "the first reason is kept: a scope cancelled before entry with a passed deadline stays 'explicit'",
    () =>
      autojump(
        Effect.gen(function* () {
          const s = makeCancelScope({ deadline: Number.NEGATIVE_INFINITY })
          s.cancelUnsafe("first")
          expect(yield* cancelScope(s, Effect.succeed(1))).toEqual(Option.some(1))
          expect(s.cancelReason).toMatchObject({ _tag: "Explicit", message: "first" })
        })
      )
  )

  it.effect("cancel() disarms the deadline at once (armed only while it can fire)", () =>
    autojump(
      Effect.gen(function* () {
        const seen: Array<boolean> = []
        yield* moveOnAfter(10, (s) =>
          Effect.gen(function* () {
            yield* sleep(1)
            seen.push(armed(s))
            s.cancelUnsafe()
            seen.push(armed(s))
            // A deadline set on a cancelled scope is not armed either.
            s.deadline = (yield* currentTime()) + 5
            seen.push(armed(s))
          })
        )
        expect(seen).toEqual([true, false, false])
      })
    )
  )

  it.effect("a deadline set to infinity while active is disarmed, and the body runs on", () =>
    autojump(
      Effect.gen(function* () {
        const seen: Array<boolean> = []
        const r = yield* moveOnAfter(5, (s) =>
          Effect.gen(function* () {
            yield* sleep(1)
            seen.push(armed(s))
            s.deadline = Number.POSITIVE_INFINITY
            seen.push(armed(s))
            yield* sleep(10)
            return "done"
          })
        )
        expect(r).toEqual(Option.some("done"))
        expect(seen).toEqual([true, false])
      })
    )
  )

  it.effect("a deadline set at or before now while active cancels within the setter", () =>
    autojump(
      Effect.gen(function* () {
        const seen: Array<boolean> = []
        for (const delta of [0, -1]) {
          const r = yield* moveOnAfter(5, (s) =>
            Effect.gen(function* () {
              yield* sleep(1)
              s.deadline = (yield* currentTime()) + delta
              seen.push(s.cancelCalled, s.cancelReason?._tag === "Deadline")
              yield* sleep(1)
            })
          )
          expect(r).toEqual(Option.none())
        }
        expect(seen).toEqual([true, true, true, true])
      })
    )
  )

  it.effect("a deadline set before entry applies once entered (setting it does not arm anything yet)", () =>
    autojump(
      Effect.gen(function* () {
        const t0 = yield* currentTime()
        const s = makeCancelScope()
        s.deadline = t0 + 1
        expect(yield* cancelScope(s, sleep(5))).toEqual(Option.none())
        expect(yield* currentTime()).toBe(t0 + 1)
        expect(s.cancelReason?._tag).toBe("Deadline")
      })
    )
  )
})

describe("the deadline on entry", () => {
  it.effect("an absolute deadline already passed cancels on entry, also for a body that never suspends", () =>
    autojump(
      Effect.gen(function* () {
        const s = makeCancelScope({ deadline: Number.NEGATIVE_INFINITY })
        expect(yield* cancelScope(s, Effect.succeed(1))).toEqual(Option.some(1))
        expect(s.cancelReason?._tag).toBe("Deadline")
      })
    )
  )

  it.effect("a scope whose body never suspends reads no clock (relative deadline, or none)", () =>
    Effect.gen(function* () {
      const base = yield* Clock.Clock
      let reads = 0
      const counting = new Proxy(base, {
        get(target, key, receiver) {
          if (key === "monotonicTimeNanosUnsafe" || key === "currentTimeMillisUnsafe") reads++
          return Reflect.get(target, key, receiver)
        }
      })
      const scopes = Effect.gen(function* () {
        expect(yield* moveOnAfter(5, Effect.succeed(1))).toEqual(Option.some(1))
        expect(yield* cancelScope(makeCancelScope(), Effect.succeed(2))).toEqual(Option.some(2))
      })
      yield* Effect.provideService(scopes, Clock.Clock, counting)
      expect(reads).toBe(0)
    })
  )
})

describe("the shield setter (rule 4)", () => {
  it.effect("turning a shield off with nothing held back cancels nothing", () =>
    autojump(
      Effect.gen(function* () {
        const r = yield* cancelScope(makeCancelScope({ shield: true }), (s) =>
          Effect.gen(function* () {
            s.shield = false
            yield* sleep(1)
            return "done"
          })
        )
        expect(r).toEqual(Option.some("done"))
      })
    )
  )

  it.effect("setting a shield that is on again delivers nothing it holds back", () =>
    autojump(
      Effect.gen(function* () {
        const outer = makeCancelScope()
        let done = false
        yield* cancelScope(outer, () =>
          cancelScope(makeCancelScope({ shield: true }), (inner) =>
            Effect.gen(function* () {
              outer.cancelUnsafe()
              yield* sleep(1)
              inner.shield = true
              yield* sleep(1)
              done = true
            })
          )
        )
        expect(done).toBe(true)
      })
    )
  )
})

describe("catching (rule 6)", () => {
  it.effect("a scope nobody cancelled does not catch its body's own interruption", () =>
    Effect.gen(function* () {
      const s = makeCancelScope()
      const exit = yield* Effect.exit(cancelScope(s, Effect.interrupt))
      expect(Exit.hasInterrupts(exit)).toBe(true)
      expect(s.cancelledCaught).toBe(false)
    })
  )
})

describe("failAfter's test at exit (AnyIO: cancelled_caught and current_time() >= deadline)", () => {
  it.effect("cancelled explicitly, ended before the deadline: no TimeoutError", () =>
    autojump(
      Effect.gen(function* () {
        const r = yield* failAfter(10, (s) =>
          Effect.gen(function* () {
            s.cancelUnsafe()
            yield* sleep(1)
          })
        )
        expect(r).toEqual(Option.none())
      })
    )
  )

  it.effect("cancelled explicitly, ended exactly at the deadline: TimeoutError", () =>
    autojump(
      Effect.gen(function* () {
        const exit = yield* Effect.exit(
          failAfter(1, (s) =>
            Effect.gen(function* () {
              s.cancelUnsafe()
              // Shielded: the body ends at the deadline, not before.
              yield* cancelScope(makeCancelScope({ shield: true }), sleep(1))
              yield* sleep(0) // the checkpoint where the cancellation lands
            })
          )
        )
        expect(Exit.isFailure(exit) && String(exit.cause)).toContain("TimeoutError")
      })
    )
  )

  // AnyIO 4.14 prints "no TimeoutError True" for the same program (test/reference/
  // fail_after_deadline_moved.py): the deadline is read at exit.
  // A fired deadline is taken as passed without a clock read only while it is unchanged (scope.ts,
  // deadlinePassed). Found by the surviving mutant `scope.ts:499 if (scope.reason?._tag ===
  // "Deadline") → false`.
  it("a deadline moved past the exit during the cleanup: no TimeoutError (AnyIO)", () =>
    Effect.runPromise(
      autojump(
        Effect.gen(function* () {
          const r = yield* failAfter(1, (s) =>
            Effect.onInterrupt(sleep(5), () =>
              Effect.flatMap(currentTime(), (t) =>
                Effect.sync(() => {
                  s.deadline = t + 100
                })
              )
            )
          )
          expect(r).toEqual(Option.none())
        })
      )
    ))
})

describe("epoch: every change moves it to a value no memo holds (a fresh module instance, epoch 0)", () => {
  const fresh = async () => {
    vi.resetModules()
    const m = await import("../src/internal/scope.ts")
    class Status extends m.CancelStatus {
      interruptDirect(): void {}
    }
    const make = (parent?: InstanceType<typeof Status>, shield = false) => {
      const s = new Status(new m.CancelScopeImpl(Number.POSITIVE_INFINITY, shield))
      s.parent = parent
      return s
    }
    const other = make()
    return { m, make, other }
  }

  it("cancel(): after a shield change", async () => {
    const { m, make, other } = await fresh()
    const outer = make()
    const inner = make(outer)
    expect(m.enclosingCancellation(inner)).toBeUndefined() // memo at epoch 0
    m.setShield(other.cancelScope, true) // epoch 1
    m.cancel(outer.cancelScope, { _tag: "Explicit", message: undefined }) // epoch 2
    expect(m.enclosingCancellation(inner)).toBe(outer)
  })

  it("an outer cancellation reaching a scope: after a cancel()", async () => {
    const { m, make, other } = await fresh()
    const outer = make()
    const inner = make(outer)
    expect(m.enclosingCancellation(inner)).toBeUndefined()
    m.cancel(other.cancelScope, { _tag: "Explicit", message: undefined })
    m.onOuterCancel(outer)
    expect(m.enclosingCancellation(inner)).toBe(outer)
  })

  it("a shield turned off: after a cancel()", async () => {
    const { m, make } = await fresh()
    const outer = make()
    const inner = make(outer, true)
    expect(m.enclosingCancellation(inner)).toBeUndefined()
    m.cancel(outer.cancelScope, { _tag: "Explicit", message: undefined })
    m.setShield(inner.cancelScope, false)
    expect(m.enclosingCancellation(inner)).toBe(outer)
  })
})
