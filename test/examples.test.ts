import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { jobs, workersLayer } from "../examples/cluster-fanout.ts"
import { pipeline } from "../examples/producer-consumer.ts"
import { layerEmbedded } from "../src/Cluster.ts"
import { isExceptionGroup } from "../src/ExceptionGroup.ts"
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

  it.effect(
    "cluster-fanout (embedded): chunks summed on workers; a bad item fails the job, the rest is cancelled",
    () =>
      Effect.gen(function* () {
        const log: Array<string> = []
        const runnerLog: Array<string> = []
        const { total, failed } = yield* autojump(
          jobs((l) => log.push(l)).pipe(
            Effect.provide(workersLayer((l) => runnerLog.push(l))),
            Effect.provide(layerEmbedded())
          )
        )
        expect(total).toBe(Array.from({ length: 40 }, (_, i) => (i + 1) ** 2).reduce((a, b) => a + b, 0))
        expect(isExceptionGroup(failed) && failed.exceptions).toMatchObject([
          { _tag: "BadItem", chunk: 2, item: -13 }
        ])
        // Every other chunk of job-2 was cancelled on its worker before the group exited.
        expect(runnerLog.filter((l) => l.startsWith("job-2:")).length).toBe(7)
        expect(log.at(-1)).toBe("job-2 failed: BadItem (chunk 2, item -13)")
      })
  )
})
