/**
 * Deep-nesting probes: trees of nested task groups / cancel scopes / raw forks `depth` deep, run to
 * completion or cancelled from the top. A probe that overflows the JS stack may do so outside any
 * fiber (a fiber's exit resumes its parent synchronously) and kill the process, so `bench/run.ts`
 * runs each probe in a child process and searches for the depth at which it first fails.
 *
 * Run one alone: `node bench/deep.ts groups-complete 1000`.
 */
import { Deferred, Effect, Fiber } from "effect"
import { cancelScope, createTaskGroup, makeCancelScope, sleepForever } from "../src/index.ts"
import { groupNest, rawNest } from "./workloads.ts"

/** Nested cancel scopes, `depth` deep, around `leaf`. */
const scopeNest = (depth: number, leaf: Effect.Effect<void>): Effect.Effect<void> =>
  depth === 0
    ? leaf
    : Effect.asVoid(
        cancelScope(
          {},
          Effect.suspend(() => scopeNest(depth - 1, leaf))
        )
      )

/** Runs `tree(leaf)` in a fiber, waits until its innermost level started, then calls `cancel`. */
const cancelFromTop = <A>(
  start: (leaf: Effect.Effect<void>) => Effect.Effect<A, unknown>,
  cancel: (fiber: Fiber.Fiber<A, unknown>) => Effect.Effect<unknown, unknown>
): Effect.Effect<void, unknown> =>
  Effect.gen(function* () {
    const started = yield* Deferred.make<void>()
    const fiber = yield* Effect.forkChild(
      start(Effect.andThen(Deferred.succeed(started, undefined), sleepForever()))
    )
    yield* Deferred.await(started)
    yield* cancel(fiber)
    yield* Fiber.await(fiber)
  })

export const probes: Record<
  string,
  { readonly label: string; readonly run: (depth: number) => Effect.Effect<void, unknown> }
> = {
  "groups-complete": {
    label: "nested task groups, run to completion",
    run: (d) => groupNest(d, Effect.yieldNow)
  },
  "groups-cancel": {
    label: "nested task groups, outermost group cancelled (tg.cancel())",
    run: (d) =>
      Effect.suspend(() => {
        const s = { cancel: Effect.void as Effect.Effect<void> }
        return cancelFromTop(
          (leaf) =>
            createTaskGroup((tg) => {
              s.cancel = tg.cancel()
              return tg.startSoon(() => groupNest(d - 1, leaf))
            }),
          () => s.cancel
        )
      })
  },
  "scopes-complete": {
    label: "nested cancel scopes, run to completion",
    run: (d) => scopeNest(d, Effect.yieldNow)
  },
  "scopes-cancel": {
    label: "nested cancel scopes, outermost scope cancelled",
    run: (d) =>
      Effect.suspend(() => {
        const outer = makeCancelScope()
        return cancelFromTop(
          (leaf) => cancelScope(outer, scopeNest(d - 1, leaf)),
          () => outer.cancel()
        )
      })
  },
  "raw-complete": {
    label: "raw nested forkChild + Fiber.join, run to completion",
    run: (d) => rawNest(d, Effect.yieldNow)
  },
  "raw-cancel": {
    label: "raw nested forkChild + Fiber.join, outermost fiber interrupted",
    run: (d) => cancelFromTop((leaf) => rawNest(d, leaf), Fiber.interrupt)
  }
}

if (import.meta.main) {
  const [kind, depth] = process.argv.slice(2)
  const probe = probes[kind ?? ""]
  if (probe === undefined) throw new Error(`unknown probe ${kind}; one of ${Object.keys(probes).join(", ")}`)
  const exit = await Effect.runPromiseExit(probe.run(Number(depth)))
  if (exit._tag === "Failure") {
    console.log(JSON.stringify({ ok: false, error: String(exit.cause).split("\n")[0] }))
    process.exitCode = 1
  } else {
    console.log(JSON.stringify({ ok: true }))
  }
}
