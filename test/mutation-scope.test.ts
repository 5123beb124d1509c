/**
 * Tests written to kill the mutants of the cancel-scope tree (internal/scope.ts; see
 * test/MUTATION.md): the reasons in words (each kind, each shape of error), reading a reason back
 * from an interrupt cause, the outcome helpers, and the scope object's own rules (one entry, a
 * boolean shield, the first reason kept, the reason text only once cancelled).
 */
import { describe, expect, it, vi } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Option } from "effect"
import {
  cancelScope,
  createTaskGroup,
  currentTime,
  getCurrentTask,
  makeCancelScope,
  sleep,
  sleepForever,
  type TaskCancelled,
  type TaskHandle
} from "../src/index.ts"
import {
  CancelledBy,
  CancelScopeImpl,
  CurrentScope,
  describeReason,
  explicitText,
  failuresOnly,
  hasFailures,
  reasonOfCause
} from "../src/internal/scope.ts"
import { autojump } from "../src/Testing.ts"

describe("reasons in words", () => {
  it("each kind of reason", () => {
    expect(describeReason(undefined)).toBe(
      "cancelled from outside (an enclosing scope or fiber interruption)"
    )
    expect(describeReason({ _tag: "Explicit", message: undefined })).toBe("cancelled explicitly")
    expect(describeReason({ _tag: "Explicit", message: "why", by: "t" })).toBe(
      "cancelled explicitly by task 't': why"
    )
    expect(describeReason({ _tag: "Deadline", deadline: 2.5 })).toBe("deadline 2.5s exceeded")
  })

  it("explicitText: with and without the task and the message", () => {
    expect(explicitText(undefined, undefined)).toBe("cancelled explicitly")
    expect(explicitText("a", undefined)).toBe("cancelled explicitly by task 'a'")
    expect(explicitText(undefined, "m")).toBe("cancelled explicitly: m")
    expect(explicitText("a", "m")).toBe("cancelled explicitly by task 'a': m")
  })

  it("a failed task's error: an Error with and without a message, a tagged object, anything else", () => {
    const failed = (error: unknown) => describeReason({ _tag: "TaskFailed", task: "w", error })
    expect(failed(new TypeError("bad"))).toBe("task 'w' failed: TypeError: bad")
    expect(failed(new RangeError())).toBe("task 'w' failed: RangeError")
    expect(failed({ _tag: "NotFound" })).toBe("task 'w' failed: NotFound")
    expect(failed({ code: 1 })).toBe("task 'w' failed: [object Object]")
    expect(failed(null)).toBe("task 'w' failed: null")
    expect(failed("text")).toBe("task 'w' failed: text")
    expect(failed(Object.create(null))).toBe("task 'w' failed: [object Object]")
  })
})

describe("reading a reason back from a cause", () => {
  const scope = new CancelScopeImpl(Number.POSITIVE_INFINITY, false)
  scope.cancelUnsafe("stop")
  const named = Cause.annotate(Cause.interrupt(), Context.make(CancelledBy, scope))
  const other = new CancelScopeImpl(Number.POSITIVE_INFINITY, false)
  other.cancelUnsafe("other")

  it("the annotated scope's reason; none for a bare interrupt or a failure", () => {
    expect(reasonOfCause(named)).toEqual({ _tag: "Explicit", message: "stop", by: undefined })
    expect(reasonOfCause(Cause.interrupt())).toBeUndefined()
    expect(reasonOfCause(Cause.fail("x"))).toBeUndefined()
    expect(reasonOfCause(Cause.empty)).toBeUndefined()
  })

  it("an annotated interrupt after a bare one and a failure is still found (a failure's annotation is not read)", () => {
    const failure = Cause.annotate(Cause.fail("x"), Context.make(CancelledBy, other))
    const cause = Cause.combine(Cause.combine(failure, Cause.interrupt()), named)
    expect(reasonOfCause(cause)).toEqual({ _tag: "Explicit", message: "stop", by: undefined })
  })

  it("hasFailures and failuresOnly", () => {
    expect(hasFailures(Cause.interrupt())).toBe(false)
    expect(hasFailures(Cause.empty)).toBe(false)
    expect(hasFailures(Cause.fail(1))).toBe(true)
    expect(hasFailures(Cause.die(1))).toBe(true)
    expect(hasFailures(Cause.combine(Cause.interrupt(), Cause.fail(1)))).toBe(true)
    const mixed = Cause.combine(Cause.combine(Cause.interrupt(), Cause.fail(1)), Cause.die(2))
    expect(failuresOnly(mixed).reasons.map((r) => r._tag)).toEqual(["Fail", "Die"])
    expect(failuresOnly(Cause.interrupt()).reasons).toEqual([])
  })
})

describe("the scope object", () => {
  it("the reason text only once cancelled; the first reason is kept", () => {
    const s = makeCancelScope()
    expect(s.cancelReasonText).toBeUndefined()
    expect(s.cancelReason).toBeUndefined()
    s.cancelUnsafe("first")
    s.cancelUnsafe("second")
    expect(s.cancelReasonText).toBe("cancelled explicitly: first")
    expect(s.cancelReason).toEqual({ _tag: "Explicit", message: "first", by: undefined })
  })

  it("shield must be a boolean", () => {
    const s = makeCancelScope()
    expect(() => {
      ;(s as { shield: unknown }).shield = 1
    }).toThrow("shield must be a boolean")
    expect(s.shield).toBe(false)
    s.shield = true
    expect(s.shield).toBe(true)
  })

  it.effect("a scope is entered once; exited afterwards", () =>
    Effect.gen(function* () {
      const s = makeCancelScope() as CancelScopeImpl
      expect(s.exited).toBe(false)
      expect(yield* cancelScope(s, Effect.succeed(1))).toEqual(Option.some(1))
      expect(s.exited).toBe(true)
      const again = yield* Effect.exit(cancelScope(s, Effect.succeed(2)))
      expect(Exit.isFailure(again)).toBe(true)
      expect(String(Cause.squash((again as Exit.Failure<unknown, unknown>).cause))).toContain(
        "entered only once"
      )
    })
  )

  it.effect("a scope cancelled before entry is cancelled at its body's first suspension", () =>
    autojump(
      Effect.gen(function* () {
        const s = makeCancelScope()
        s.cancelUnsafe()
        let before = false
        let after = false
        const r = yield* cancelScope(
          s,
          Effect.gen(function* () {
            before = true
            yield* sleep(1)
            after = true
          })
        )
        expect(r).toEqual(Option.none())
        expect([before, after]).toEqual([true, false])
        expect(s.cancelledCaught).toBe(true)
      })
    )
  )

  it.effect("cancel() after exit changes nothing but the record", () =>
    autojump(
      Effect.gen(function* () {
        const s = makeCancelScope()
        expect(yield* cancelScope(s, Effect.succeed(1))).toEqual(Option.some(1))
        yield* s.cancel()
        expect(s.cancelledCaught).toBe(false)
        expect(s.cancelReason?._tag).toBe("Explicit")
        yield* sleepForever().pipe(cancelScope({ deadline: 0 }))
      })
    )
  )
})

describe("the records' identity and bookkeeping", () => {
  it("the context keys (shared by every copy of the library, shown in printouts)", () => {
    expect(CurrentScope.key).toBe("effect-anyio/CurrentScope")
    expect(CancelledBy.key).toBe("effect-anyio/CancelledBy")
  })

  it("scope ids count up from 1 (printouts name 'cancel scope #<id>')", () => {
    const a = new CancelScopeImpl(Number.POSITIVE_INFINITY, false)
    const b = new CancelScopeImpl(Number.POSITIVE_INFINITY, false)
    expect(a.id).toBeGreaterThan(0)
    expect(b.id).toBe(a.id + 1)
  })

  it("a second cancel() does nothing: it makes up no root task for a caller outside every task", () => {
    const s = makeCancelScope()
    s.cancelUnsafe("first") // outside every fiber: names no task
    const before = Effect.runSync(getCurrentTask()).id
    // A fresh fiber outside every task: naming it as the canceller would make up a root task.
    Effect.runSync(s.cancel("again"))
    const after = Effect.runSync(getCurrentTask()).id
    expect(after).toBe(before + 1)
    expect(s.cancelReason).toEqual({ _tag: "Explicit", message: "first", by: undefined })
  })

  it("a new status has no memo valid for any epoch (a fresh module instance: its first epoch is 1)", async () => {
    vi.resetModules()
    const fresh = await import("../src/internal/scope.ts")
    class Status extends fresh.CancelStatus {
      interruptDirect(): void {}
    }
    const outer = new Status(new fresh.CancelScopeImpl(Number.POSITIVE_INFINITY, false))
    // Not entered: only recorded, the module's epoch goes from 0 to 1.
    fresh.cancel(outer.cancelScope, { _tag: "Explicit", message: undefined })
    const inner = new Status(new fresh.CancelScopeImpl(Number.POSITIVE_INFINITY, false))
    inner.parent = outer
    expect(fresh.enclosingCancellation(inner)).toBe(outer)
    expect(fresh.isEffectivelyCancelled(inner)).toBe(true)
  })

  it.effect(
    "a deadline names its scope as the canceller: a task of a group its deadline cancelled reads 'deadline exceeded'",
    () =>
      autojump(
        Effect.gen(function* () {
          let handle: TaskHandle<void, never> | undefined
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              handle = yield* tg.startSoon(sleepForever())
              tg.cancelScope.deadline = (yield* currentTime()) + 1
            })
          )
          const joined = yield* Effect.flip(handle!.join)
          expect(joined._tag).toBe("TaskCancelled")
          expect((joined as TaskCancelled).reason).toMatch(/^deadline .*s exceeded$/)
        })
      )
  )
})
