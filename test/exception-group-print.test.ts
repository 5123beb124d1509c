/**
 * An uncaught ExceptionGroup, as a person reads it (issue 15 part 3): the header on one line with
 * its count (Python's `str(eg)`, through `Cause.pretty` too), the group's name, each
 * member's task (name and id), no frames of this library's machinery or of effect, and the
 * "(cancelled: ...)" line. The printout through `run` in a child process is in examples.test.ts.
 */
import { fileURLToPath } from "node:url"
import { Cause, Data, Effect, Exit } from "effect"
import { createTaskGroup, ExceptionGroup, Lock, sleepForever } from "../src/index.ts"
import { describe, expect, it } from "./helpers.ts"

class Boom extends Data.TaggedError("Boom")<{ readonly n: number }> {}
class Empty extends Data.TaggedError("Empty")<{}> {}

describe("ExceptionGroup printout", () => {
  it.effect("names the group and each member's task; no internal frames; keeps the cancelled line", () =>
    Effect.gen(function* () {
      const ids = new Map<string, number>()
      const exit = yield* Effect.exit(
        createTaskGroup(
          (tg) =>
            Effect.gen(function* () {
              const sleeper = yield* tg.startSoon({ name: "sleeper" }, sleepForever)
              ids.set("sleeper", sleeper.id)
              const a = yield* tg.startSoon({ name: "a" }, () => Effect.fail(new Boom({ n: 1 })))
              ids.set("a", a.id)
            }),
          { name: "crawler" }
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const cause = (exit as Exit.Failure<unknown, unknown>).cause
      const eg = Cause.squash(cause) as ExceptionGroup<Boom>
      expect(eg).toBeInstanceOf(ExceptionGroup)
      expect(eg.groupName).toBe("crawler")
      expect(eg.origins).toEqual([{ name: "a", id: ids.get("a") }])
      const tree = eg.pretty().split("\n")
      expect(tree[0]).toBe(
        "ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception in task group 'crawler')"
      )
      expect(tree[2]).toBe(`  | in task 'a' (#${ids.get("a")})`)
      expect(tree[3]).toMatch(/^ {2}\| Boom/)
      const printed = Cause.pretty(cause)
      // one header line with the count and the group's name, as Python prints `str(eg)`
      expect(printed.split("\n")[0]).toBe(tree[0])
      expect(printed).toContain(`  | in task 'a' (#${ids.get("a")})`)
      expect(printed).toContain("(cancelled: task 'sleeper' — task 'a' failed")
      expect(printed).not.toMatch(/at .*(src\/internal\/|node_modules\/effect\/)/)
    })
  )

  it.effect(
    "a nested group's member names the task that ran the nested group; no 'Name: ' for an empty message",
    () =>
      Effect.gen(function* () {
        const ids = new Map<string, number>()
        const exit = yield* Effect.exit(
          createTaskGroup(
            (tg) =>
              Effect.gen(function* () {
                const nested = yield* tg.startSoon(
                  { name: "nested" },
                  createTaskGroup(
                    (inner) =>
                      Effect.gen(function* () {
                        const deep = yield* inner.startSoon({ name: "deep" }, Effect.fail(new Empty()))
                        ids.set("deep", deep.id)
                      }),
                    { name: "inner" }
                  )
                )
                ids.set("nested", nested.id)
              }),
            { name: "outer" }
          )
        )
        const lines = Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause).split("\n")
        expect(lines.slice(0, 7)).toEqual([
          "ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception in task group 'outer')",
          "+-+---------------- 1 ----------------",
          `  | in task 'nested' (#${ids.get("nested")})`,
          "  | ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception in task group 'inner')",
          "  +-+---------------- 1 ----------------",
          `    | in task 'deep' (#${ids.get("deep")})`,
          "    | Empty"
        ])
      })
  )

  it.effect(
    "a failure this library raises shows none of this library's frames (a Lock released by a non-holder)",
    () =>
      Effect.gen(function* () {
        const lock = new Lock()
        const exit = yield* Effect.exit(
          createTaskGroup((tg) => tg.startSoon({ name: "rel" }, lock.release()))
        )
        const printed = Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause)
        expect(printed).toContain("  | RuntimeError: The current task is not holding this lock")
        expect(printed).not.toContain(fileURLToPath(new URL("../src/", import.meta.url)))
      })
  )

  it("frames are dropped by where they are: this library's files, effect, Node; a user's src/internal stays", () => {
    const library = fileURLToPath(new URL("../src/CancelScope.ts", import.meta.url))
    const error = new Error("mine")
    error.stack = [
      "Error: mine",
      "    at userCode (/home/me/app/src/internal/jobs.ts:3:9)",
      `    at libraryCode (${library}:10:5)`,
      `    at libraryUrl (${new URL("../src/Lock.ts", import.meta.url).href}:1:1)`,
      "    at effectCode (/home/me/app/node_modules/effect/dist/internal/effect.js:1:1)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
      "    at main (/home/me/app/main.ts:1:1)"
    ].join("\n")
    const lines = new ExceptionGroup("m", [error]).pretty().split("\n")
    expect(lines.filter((l) => l.includes(" at "))).toEqual([
      "  |     at userCode (/home/me/app/src/internal/jobs.ts:3:9)",
      "  |     at main (/home/me/app/main.ts:1:1)"
    ])
  })

  it("a group built by hand has no origins or group name, and prints as before", () => {
    const eg = new ExceptionGroup("by hand", [new Boom({ n: 2 })])
    expect(eg.origins).toEqual([])
    expect(eg.groupName).toBeUndefined()
    expect(eg.pretty().split("\n")[0]).toBe("ExceptionGroup: by hand (1 sub-exception)")
    expect(eg.pretty()).not.toContain("in task")
  })

  it("message is Python's str(eg) (count, group name); bareMessage is Python's eg.message", () => {
    const one = new ExceptionGroup("m", [new Boom({ n: 1 })], { groupName: "g" })
    expect(one.message).toBe("m (1 sub-exception in task group 'g')")
    expect(one.bareMessage).toBe("m")
    const two = new ExceptionGroup("m", [new Boom({ n: 1 }), new Boom({ n: 2 })])
    expect(two.message).toBe("m (2 sub-exceptions)")
    // what every printer of errors shows: Cause.pretty, Node's inspect, Error's toString
    expect(Cause.pretty(Cause.fail(two)).split("\n")[0]).toBe("ExceptionGroup: m (2 sub-exceptions)")
    expect(Cause.pretty(Cause.die(two)).split("\n")[0]).toBe("ExceptionGroup: m (2 sub-exceptions)")
    expect(Error.prototype.toString.call(two)).toBe("ExceptionGroup: m (2 sub-exceptions)")
  })

  it("split keeps the group name, the bare message and each kept member's origin", () => {
    const eg = new ExceptionGroup<Boom | string>("m", [new Boom({ n: 1 }), "x", new Boom({ n: 2 })], {
      origins: [
        { name: "a", id: 1 },
        { name: "b", id: 2 },
        { name: "c", id: 3 }
      ],
      groupName: "g"
    })
    const [booms, rest] = eg.split("Boom")
    expect(booms?.origins).toEqual([
      { name: "a", id: 1 },
      { name: "c", id: 3 }
    ])
    expect(rest?.origins).toEqual([{ name: "b", id: 2 }])
    expect(booms?.groupName).toBe("g")
    expect(booms?.message).toBe("m (2 sub-exceptions in task group 'g')")
    expect(rest?.message).toBe("m (1 sub-exception in task group 'g')")
    expect(booms?.pretty()).toContain("| in task 'c' (#3)")
    // a group built without origins stays without them
    expect(new ExceptionGroup("m", ["x", "y"]).split((e) => e === "x")[0]?.origins).toEqual([])
  })
})
