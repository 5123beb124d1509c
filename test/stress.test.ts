/**
 * The stress scenarios of `npm run stress` (stress/scenarios.ts), scaled down to run in seconds in
 * `npm test`, on the real clock. Each checks its own invariants (see the scenarios); the full-size
 * runs also check memory.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  cancelSleeping,
  lockContention,
  nest,
  type ScenarioResult,
  spawnJoin,
  streamFanInOut
} from "../stress/scenarios.ts"

const holds = (result: ScenarioResult): void => {
  expect(result.violations).toEqual([])
}

describe("stress, scaled down (full size: npm run stress)", () => {
  it.live("20,000 tasks spawned and joined in one group", () => Effect.map(spawnJoin(20_000), holds))

  it.live("5,000 sleeping tasks cancelled at once", () => Effect.map(cancelSleeping(5_000), holds))

  it.live("groups nested 1,000 deep: run to completion, cancelled from the top, interrupted", () =>
    Effect.gen(function* () {
      holds(yield* nest(1_000, "complete"))
      holds(yield* nest(1_000, "cancel"))
      holds(yield* nest(1_000, "interrupt"))
    })
  )

  it.live("1,000 tasks contending on one lock, some giving up", () =>
    Effect.map(lockContention(1_000), holds)
  )

  it.live("memory stream: 20 producers, 20 consumers, 20,000 items, random cancellations", () =>
    Effect.map(streamFanInOut(20, 20, 20_000), holds)
  )
})
