import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import { cancelScope, createTaskGroup, moveOnAfter, sleep, sleepForever } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

// Deep trees must neither overflow the JavaScript stack nor lose a wake-up: starting, cancelling and
// unwinding are each bounded (src/internal/trampoline.ts).
const DEPTH = 5000

const scopes = (d: number, leaf: Effect.Effect<void>): Effect.Effect<void> =>
  d === 0 ? leaf : Effect.asVoid(cancelScope({}, () => scopes(d - 1, leaf)))
const bodies = (d: number, leaf: Effect.Effect<void>): Effect.Effect<void, unknown> =>
  d === 0 ? leaf : Effect.asVoid(createTaskGroup(() => bodies(d - 1, leaf)))
const tasks = (d: number, leaf: Effect.Effect<void>): Effect.Effect<void, unknown> =>
  d === 0 ? leaf : Effect.asVoid(createTaskGroup((tg) => tg.startSoon(tasks(d - 1, leaf))))

describe(`nesting ${DEPTH} deep`, () => {
  for (const [name, tree] of [
    ["cancel scopes", scopes],
    ["task group bodies", bodies],
    ["tasks of task groups", tasks]
  ] as const) {
    it.effect(`${name}: run to completion`, () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(autojump(tree(DEPTH, sleep(1))))
        expect(Exit.isSuccess(exit)).toBe(true)
      })
    )
    it.effect(`${name}: cancelled from the top`, () =>
      Effect.gen(function* () {
        let reached = 0
        const r = yield* autojump(
          moveOnAfter(
            5,
            tree(
              DEPTH,
              Effect.andThen(
                Effect.sync(() => reached++),
                sleepForever()
              )
            )
          )
        )
        expect(Option.isNone(r)).toBe(true)
        expect(reached).toBe(1)
      })
    )
  }
})
