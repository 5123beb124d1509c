/**
 * Tests written to kill mutants of internal/group.ts (see test/MUTATION.md, group.ts).
 */
import { expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { cancelScope, createTaskGroup, makeCancelScope, sleepForever } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

it.effect("a group entered in a cancelled task's cleanup cancels its body at its first suspension", () =>
  Effect.gen(function* () {
    // AnyIO: in a `finally` of a cancelled task the scope is still cancelled, so a task group
    // opened there sees its body cancelled at its first checkpoint (level-triggered). The host is
    // uninterruptible there (an Effect finalizer): only the group itself can cancel its body.
    const outer = makeCancelScope()
    yield* outer.cancel("before")
    let bodyCancelled = false
    const exit = yield* Effect.exit(
      autojump(
        cancelScope(
          outer,
          Effect.ensuring(
            sleepForever(),
            Effect.exit(
              createTaskGroup(() =>
                Effect.onInterrupt(Effect.never, () =>
                  Effect.sync(() => {
                    bodyCancelled = true
                  })
                )
              )
            )
          )
        )
      )
    )
    expect(bodyCancelled).toBe(true)
    expect(Exit.isSuccess(exit)).toBe(true)
  })
)
