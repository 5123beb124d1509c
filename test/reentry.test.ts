/**
 * The re-entrancy policy (src/internal/trampoline.ts): re-entries nest up to a bound, deeper ones
 * are deferred to the outermost one, FIFO, and one that throws loses none of the others.
 * White-box: the public API cannot reach a throwing re-entry.
 */
import { describe, expect, it } from "@effect/vitest"
import { bounded } from "../src/internal/trampoline.ts"

/**
 * Nests `bounded` until a call is deferred (the bound is reached), then runs `atBottom` there, at the
 * deepest level; returns how many levels ran in line.
 */
const atBound = (atBottom: () => void): number => {
  let levels = 0
  let reached = false
  const go = (): void => {
    if (reached) return
    levels++
    let ran = false
    bounded(() => {
      ran = true
      go()
    })
    if (!ran && !reached) {
      reached = true
      atBottom()
    }
  }
  go()
  return levels
}

describe("re-entry bound", () => {
  it("deep chains are deferred and still run, in order, before the outermost call returns", () => {
    const order: Array<number> = []
    const chain = (n: number): void => {
      order.push(n)
      if (n < 1000) bounded(() => chain(n + 1))
    }
    chain(0)
    expect(order).toEqual(Array.from({ length: 1001 }, (_, i) => i))
  })

  it("a deferred re-entry that throws does not discard the ones queued after it", () => {
    const ran: Array<string> = []
    let levels = 0
    const run = () =>
      bounded(() => {
        // At the bottom of a chain deep enough that these three are queued, not run.
        levels = atBound(() => {
          bounded(() => ran.push("first"))
          bounded(() => {
            ran.push("second")
            throw new Error("boom")
          })
          bounded(() => ran.push("third"))
          expect(ran).toEqual([]) // deferred
        })
      })
    expect(run).toThrow("boom")
    expect(levels).toBeGreaterThan(8)
    expect(ran).toEqual(["first", "second", "third"])
    // The queue is empty afterwards: a later call runs in line.
    bounded(() => ran.push("later"))
    expect(ran.at(-1)).toBe("later")
  })

  it("several throwing re-entries are all reported", () => {
    const run = () =>
      bounded(() =>
        atBound(() => {
          bounded(() => {
            throw new Error("a")
          })
          bounded(() => {
            throw new Error("b")
          })
        })
      )
    let thrown: unknown
    try {
      run()
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBeInstanceOf(AggregateError)
    expect((thrown as AggregateError).errors.map((e: Error) => e.message)).toEqual(["a", "b"])
  })

  it("a throw in line still lets the deferred re-entries run", () => {
    const ran: Array<string> = []
    const run = () =>
      bounded(() => {
        atBound(() => bounded(() => ran.push("deferred")))
        throw new Error("in line")
      })
    expect(run).toThrow("in line")
    expect(ran).toEqual(["deferred"])
  })
})
