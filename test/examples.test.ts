import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { pipeline } from "../examples/producer-consumer.ts"
import { autojump } from "../src/Testing.ts"

describe("examples", () => {
  it.effect("producer-consumer: every item goes through the pipeline exactly once", () =>
    Effect.gen(function* () {
      const lines = Array.from({ length: 20 }, (_, i) => `${i}: item ${i}`)
      const log: Array<string> = []
      const results = yield* autojump(pipeline(lines, (l) => log.push(l)))
      const ids = results.map((r) => Number(/^#(\d+)/.exec(r)?.[1])).sort((a, b) => a - b)
      expect(ids).toEqual(lines.map((_, i) => i))
      expect(log.filter((l) => l.endsWith("done"))).toHaveLength(2)
      expect(log.at(-1)).toMatch(/^all 20 items through in/)
    })
  )
})
