/**
 * What many test files share: `it.autojump`, small readers of exits, and the helpers of the
 * synchronization tests.
 */
import { it as base, describe, expect } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, References } from "effect"
import { InvalidArgumentError, type RuntimeError } from "../src/Errors.ts"
import { createTaskGroup } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

/**
 * `it.effect` with the test's effect run under `autojump` (virtual time starting at 0, FIFO
 * scheduling, the clock jumps to the next deadline when every task is blocked): how AnyIO's own
 * tests run, with sleeps instant and the order of events deterministic.
 *
 * @example
 * ```ts
 * it.autojump("sleeps take no real time", () => Effect.andThen(sleep(10), currentTime()))
 * ```
 */
const autojumpTest = <A, E>(name: string, self: () => Effect.Effect<A, E>, timeout?: number): void =>
  base.effect(name, () => autojump(self()), timeout)

export const it: typeof base & { readonly autojump: typeof autojumpTest } = Object.assign(base, {
  autojump: autojumpTest
})

export { describe, expect }

/** The exit is a failure made of interruptions only (a cancellation). */
export const isInterruptOnly = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)

/** The typed failures of an exit. */
export const failuresOf = (exit: Exit.Exit<unknown, unknown>): Array<unknown> =>
  Exit.isFailure(exit) ? exit.cause.reasons.flatMap((r) => (r._tag === "Fail" ? [r.error] : [])) : []

/** The defects of an exit. */
export const defectsOf = (exit: Exit.Exit<unknown, unknown>): Array<unknown> =>
  Exit.isFailure(exit) ? exit.cause.reasons.flatMap((r) => (r._tag === "Die" ? [r.defect] : [])) : []

/** The `_tag` of a tagged value, if it has one. */
export const tagOf = (u: unknown): string | undefined =>
  typeof u === "object" && u !== null && "_tag" in u ? String(u._tag) : undefined

// ---------------------------------------------------------------------------------------------------
// synchronization primitives

/** Lets every runnable fiber run until it blocks (the stand-in for AnyIO's `wait_all_tasks_blocked`). */
export const settle = (n = 20): Effect.Effect<void> =>
  Effect.gen(function* () {
    for (let i = 0; i < n; i++) yield* Effect.yieldNow
  })

/** Runs `effect` as the task named `name` (the only task of a task group). */
export const asTask =
  (name: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.asVoid(createTaskGroup((tg) => tg.startSoon(effect, { name })))

export const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown => {
  if (!Exit.isFailure(exit)) return undefined
  const die = exit.cause.reasons.find(Cause.isDieReason)
  return die?.defect
}

export const expectDefect = (
  exit: Exit.Exit<unknown, unknown>,
  type: typeof RuntimeError | typeof InvalidArgumentError,
  message: RegExp
): void => {
  const defect = defectOf(exit)
  expect(defect).toBeInstanceOf(type)
  expect((defect as { message: string }).message).toMatch(message)
}

export const expectFailure = (
  exit: Exit.Exit<unknown, unknown>,
  type: new (...args: never) => unknown
): void => {
  expect(Exit.isFailure(exit)).toBe(true)
  if (Exit.isFailure(exit)) {
    const fail = exit.cause.reasons.find(Cause.isFailReason)
    expect(fail?.error).toBeInstanceOf(type)
  }
}

export const isDone = (fiber: Fiber.Fiber<unknown, unknown>): boolean => fiber.pollUnsafe() !== undefined

export const expectThrows = (f: () => unknown, message: RegExp): void => {
  let thrown: unknown
  try {
    f()
  } catch (e) {
    thrown = e
  }
  expect(thrown).toBeInstanceOf(InvalidArgumentError)
  expect((thrown as InvalidArgumentError).message).toMatch(message)
}

/**
 * Runs `op(0)` … `op(n - 1)` one after the other in a fiber that yields to the scheduler after `ops`
 * operations, interrupts it there (at its first yield), and returns how many ops succeeded: sweeping
 * `ops` puts the interruption at every possible yield point of an op.
 */
export const successesBeforeInterrupt = <A, E>(
  n: number,
  ops: number,
  op: (i: number) => Effect.Effect<A, E>
): Effect.Effect<number> =>
  Effect.gen(function* () {
    let succeeded = 0
    const fiber = yield* Effect.forkChild(
      Effect.forEach(
        Array.from({ length: n }, (_, i) => i),
        (i) =>
          Effect.onExit(op(i), (exit) =>
            Effect.sync(() => {
              if (Exit.isSuccess(exit)) succeeded++
            })
          ),
        { discard: true }
      ).pipe(Effect.provideService(References.MaxOpsBeforeYield, ops)),
      { startImmediately: true }
    )
    yield* Fiber.interrupt(fiber)
    return succeeded
  })
