import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { vi } from "vitest"
import { main } from "../examples/seed.ts"
import { currentTime } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

describe("the seed demo (AnyIO's 'Creating and managing tasks')", () => {
  it.effect("five tasks run concurrently; the group waits for them; about one second in all", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const spy = vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => {
        lines.push(args.join(" "))
      })
      const elapsed = yield* autojump(
        Effect.gen(function* () {
          yield* main
          return yield* currentTime()
        })
      ).pipe(Effect.ensuring(Effect.sync(() => spy.mockRestore())))
      expect(lines).toEqual([
        "Task 0 running",
        "Task 1 running",
        "Task 2 running",
        "Task 3 running",
        "Task 4 running",
        "Task 0 finished",
        "Task 1 finished",
        "Task 2 finished",
        "Task 3 finished",
        "Task 4 finished",
        "All tasks finished!"
      ])
      expect(elapsed).toBe(1)
    })
  )
})
