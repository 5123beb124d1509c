/**
 * Cancel scopes given bad arguments. Cancellation, timeouts and shielding have their own files
 * (cancellation, timeouts, shielding). Every test runs under `autojump`.
 */
import { Effect, type Exit, Option } from "effect"
import {
  type CancelScope,
  cancelScope,
  currentEffectiveDeadline,
  currentTime,
  failAfter,
  failAt,
  makeCancelScope,
  moveOnAfter,
  moveOnAt,
  type Seconds,
  sleep
} from "../src/index.ts"
import { defectsOf, describe, expect, failuresOf, it, tagOf } from "./helpers.ts"

describe("bad input", () => {
  const invalid = (exit: Exit.Exit<unknown, unknown>) => defectsOf(exit).map(tagOf)

  it.autojump("NaN delays and deadlines die with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const body = sleep(1)
      expect(invalid(yield* Effect.exit(moveOnAfter(Number.NaN, body)))).toEqual(["InvalidArgumentError"])
      expect(invalid(yield* Effect.exit(failAfter(Number.NaN, body)))).toEqual(["InvalidArgumentError"])
      expect(invalid(yield* Effect.exit(moveOnAt(Number.NaN, body)))).toEqual(["InvalidArgumentError"])
      expect(invalid(yield* Effect.exit(failAt(Number.NaN, body)))).toEqual(["InvalidArgumentError"])
      expect(invalid(yield* Effect.exit(cancelScope({ deadline: Number.NaN }, body)))).toEqual([
        "InvalidArgumentError"
      ])
      expect(yield* currentTime()).toBe(0)
    })
  )

  it.autojump("non-numeric delays and deadlines die with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const body = sleep(1)
      const junk = "soon" as unknown as Seconds
      const junkDeadline = "5" as unknown as number
      expect(invalid(yield* Effect.exit(moveOnAfter(junk, body)))).toEqual(["InvalidArgumentError"])
      expect(invalid(yield* Effect.exit(failAfter(undefined as unknown as Seconds, body)))).toEqual([
        "InvalidArgumentError"
      ])
      expect(invalid(yield* Effect.exit(moveOnAt(junkDeadline, body)))).toEqual(["InvalidArgumentError"])
      expect(invalid(yield* Effect.exit(failAt(null as unknown as number, body)))).toEqual([
        "InvalidArgumentError"
      ])
      expect(invalid(yield* Effect.exit(cancelScope({ deadline: junkDeadline }, body)))).toEqual([
        "InvalidArgumentError"
      ])
    })
  )

  it("makeCancelScope and the deadline/shield setters throw InvalidArgumentError", () => {
    expect(() => makeCancelScope({ deadline: Number.NaN })).toThrow(
      expect.objectContaining({ _tag: "InvalidArgumentError" })
    )
    expect(() => makeCancelScope({ deadline: "1" as unknown as number })).toThrow(
      expect.objectContaining({ _tag: "InvalidArgumentError" })
    )
    expect(() => makeCancelScope({ shield: "yes" as unknown as boolean })).toThrow(
      expect.objectContaining({ _tag: "InvalidArgumentError" })
    )
    const scope = makeCancelScope({ deadline: 3 })
    expect(() => {
      scope.deadline = Number.NaN
    }).toThrow(expect.objectContaining({ _tag: "InvalidArgumentError" }))
    expect(() => {
      scope.shield = 1 as unknown as boolean
    }).toThrow(expect.objectContaining({ _tag: "InvalidArgumentError" }))
    expect(scope.deadline).toBe(3)
    expect(scope.shield).toBe(false)
  })

  it.autojump("entering a scope a second time dies with RuntimeError", () =>
    Effect.gen(function* () {
      const scope = makeCancelScope()
      yield* cancelScope(scope, Effect.void)
      const exit = yield* Effect.exit(cancelScope(scope, Effect.void))
      expect(defectsOf(exit).map(tagOf)).toEqual(["RuntimeError"])
    })
  )

  it.autojump("cancel() after the scope exited only sets cancelCalled", () =>
    Effect.gen(function* () {
      const scope = makeCancelScope()
      const r = yield* cancelScope(scope, Effect.succeed(1))
      yield* scope.cancel("late")
      yield* sleep(1)
      expect(r).toEqual(Option.some(1))
      expect(scope.cancelCalled).toBe(true)
      expect(scope.cancelledCaught).toBe(false)
      expect(yield* currentEffectiveDeadline()).toBe(Number.POSITIVE_INFINITY)
      expect(yield* currentTime()).toBe(1)
    })
  )

  it.autojump("setting deadline or shield after the scope exited is stored but has no effect", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      yield* moveOnAfter(5, (s) => Effect.sync(() => (scope = s)))
      yield* Effect.sync(() => {
        scope!.deadline = 0
        scope!.shield = true
      })
      yield* sleep(10)
      expect(scope?.deadline).toBe(0)
      expect(scope?.shield).toBe(true)
      expect(scope?.cancelCalled).toBe(false)
      expect(yield* currentTime()).toBe(10)
    })
  )

  it.autojump("an exited scope's deadline timer never fires", () =>
    Effect.gen(function* () {
      let scope: CancelScope | undefined
      yield* moveOnAfter(1, (s) => Effect.sync(() => (scope = s)))
      yield* sleep(2)
      expect(scope?.cancelCalled).toBe(false)
    })
  )

  it.autojump("failures of the body pass through a scope unchanged", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(moveOnAfter(1, Effect.fail("nope")))
      expect(failuresOf(exit)).toEqual(["nope"])
      const died = yield* Effect.exit(cancelScope({}, Effect.die("boom")))
      expect(defectsOf(died)).toEqual(["boom"])
    })
  )
})
