/**
 * A test written to kill mutants of internal/group.ts (see test/MUTATION.md): a task that fails
 * while the group delivers a cancellation from outside cancels the group only after that delivery,
 * so every task is cancelled for the reason that reached the group first.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import {
  cancelScope,
  createTaskGroup,
  isExceptionGroup,
  makeCancelScope,
  sleep,
  sleepForever
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"
import { failure } from "./taskgroup-helpers.ts"

/** Fails as soon as it is cancelled (in its cancellation's delivery). */
const failAtCancel = (text: string) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.exit(restore(sleepForever())), () => Effect.fail(failure(text)))
  )

it.effect(
  "a failure during the delivery of an outer cancellation does not change the other tasks' reason",
  () =>
    Effect.gen(function* () {
      const outer = makeCancelScope()
      const exit = yield* Effect.exit(
        autojump(
          cancelScope(
            outer,
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(sleepForever(), { name: "before" })
                yield* tg.startSoon(failAtCancel("A"), { name: "A" })
                yield* tg.startSoon(sleepForever(), { name: "B" })
                yield* sleep(1)
                yield* outer.cancel("outer")
              })
            )
          )
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const reason = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      const eg = reason?._tag === "Fail" ? reason.error : undefined
      if (!isExceptionGroup(eg)) throw new Error("expected an ExceptionGroup")
      const outside = "cancelled from outside (an enclosing scope or fiber interruption)"
      expect(eg.cancelled).toEqual([
        { name: "before", reason: outside },
        { name: "B", reason: outside }
      ])
    })
)
