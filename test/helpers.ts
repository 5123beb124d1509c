/**
 * What many test files share: `it.autojump` and small readers of exits.
 */
import { it as base, describe, expect } from "@effect/vitest"
import { Cause, type Effect, Exit } from "effect"
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
