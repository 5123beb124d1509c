/**
 * A misuse error is a new object each time it is raised (made when raised, not at module load): two
 * tasks that make the same mistake are two members of the group, each with its own stack.
 */
import { Effect, Exit } from "effect"
import { CapacityLimiter } from "../src/CapacityLimiter.ts"
import { RuntimeError } from "../src/Errors.ts"
import { Defect } from "../src/ExceptionGroup.ts"
import { Lock } from "../src/Lock.ts"
import { Semaphore } from "../src/Semaphore.ts"
import { createTaskGroup } from "../src/TaskGroup.ts"
import { defectsOf, describe, expect, it } from "./helpers.ts"

const twice = (mistake: () => Effect.Effect<unknown>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(() => mistake())
          yield* tg.startSoon(() => mistake())
        })
      )
    )
    expect(Exit.isFailure(exit)).toBe(true)
    return exit
  })

describe("misuse errors are raised fresh", () => {
  for (const [name, mistake] of [
    ["Lock.release by a non-holder", () => new Lock().release()],
    ["Semaphore released past maxValue", () => new Semaphore(1, { maxValue: 1 }).release()],
    ["CapacityLimiter.release by a non-borrower", () => new CapacityLimiter(1).release()]
  ] as const) {
    it.effect(`${name}: two tasks, two distinct errors`, () =>
      Effect.gen(function* () {
        const exit = yield* twice(mistake)
        const errors = collect(exit)
        expect(errors).toHaveLength(2)
        expect(errors[0]).toBeInstanceOf(RuntimeError)
        expect(errors[0]).not.toBe(errors[1])
      })
    )
  }
})

/** The RuntimeErrors anywhere in the exit: as defects, or as members of an ExceptionGroup. */
const collect = (exit: Exit.Exit<unknown, unknown>): Array<unknown> => {
  const out: Array<unknown> = []
  const walk = (u: unknown): void => {
    if (u instanceof RuntimeError) out.push(u)
    else if (u instanceof Defect) walk(u.defect)
    else if (
      typeof u === "object" &&
      u !== null &&
      Array.isArray((u as { exceptions?: unknown }).exceptions)
    ) {
      for (const e of (u as { exceptions: Array<unknown> }).exceptions) walk(e)
    }
  }
  for (const d of defectsOf(exit)) walk(d)
  if (Exit.isFailure(exit)) for (const f of exit.cause.reasons) if (f._tag === "Fail") walk(f.error)
  return out
}
