/**
 * AnyIO's happy eyeballs, the algorithm on its own under virtual time (simulated attempts, as
 * examples/happy-eyeballs.ts does for `firstSuccess`), then `connectTcp`'s cancellation on real
 * loopback sockets.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ConnectionFailed, createTaskGroup, currentTime, OSError, sleep } from "../src/index.ts"
import { happyEyeballs, orderTargets } from "../src/internal/net/happyEyeballs.ts"
import { connectTcp } from "../src/Tcp.ts"
import { autojump } from "../src/Testing.ts"
import { noLeaks, openHandles, settle, withRawServer } from "./sockets-helpers.ts"

interface Sim {
  readonly latency: number
  readonly fails?: boolean
}

/** Runs happy eyeballs over simulated endpoints; records the events with their virtual times. */
const simulate = (endpoints: Record<string, Sim>, delay: number) => {
  const log: Array<string> = []
  const closed: Array<string> = []
  const at = (t: number) => Math.round(t * 1000)
  const connect = (target: string) =>
    Effect.gen(function* () {
      const t0 = yield* currentTime()
      log.push(`${at(t0)} start ${target}`)
      const sim = endpoints[target]!
      yield* sleep(sim.latency).pipe(
        Effect.onInterrupt(() => Effect.map(currentTime(), (t) => void log.push(`${at(t)} cancel ${target}`)))
      )
      const t1 = yield* currentTime()
      if (sim.fails) {
        log.push(`${at(t1)} refused ${target}`)
        return yield* Effect.fail(new OSError({ message: "refused", code: "ECONNREFUSED" }))
      }
      log.push(`${at(t1)} connected ${target}`)
      return { target, close: () => Effect.sync(() => void closed.push(target)) }
    })
  return Effect.map(autojump(Effect.exit(happyEyeballs(Object.keys(endpoints), delay, connect))), (exit) => ({
    exit,
    log,
    closed
  }))
}

describe("happy eyeballs (AnyIO's algorithm)", () => {
  it.effect("orders the first IPv6 address first, then the first IPv4 one, then the rest", () =>
    Effect.sync(() => {
      expect(
        orderTargets([
          ["AF_INET", "a4"],
          ["AF_INET", "b4"],
          ["AF_INET6", "a6"],
          ["AF_INET6", "b6"],
          ["AF_INET", "c4"]
        ])
      ).toEqual(["a6", "c4", "a4", "b4", "b6"])
      expect(orderTargets([["AF_INET", "x"]])).toEqual(["x"])
    })
  )

  it.effect(
    "the next attempt starts after the delay while the earlier one keeps running; the first to connect wins",
    () =>
      Effect.gen(function* () {
        const { exit, log } = yield* simulate({ slow: { latency: 1 }, fast: { latency: 0.1 } }, 0.25)
        expect(exit._tag === "Success" && exit.value.target).toBe("fast")
        expect(log).toEqual(["0 start slow", "250 start fast", "350 connected fast", "350 cancel slow"])
      })
  )

  it.effect("a failed attempt starts the next one at once", () =>
    Effect.gen(function* () {
      const { exit, log } = yield* simulate({ a: { latency: 0.02, fails: true }, b: { latency: 0.01 } }, 0.25)
      expect(exit._tag === "Success" && exit.value.target).toBe("b")
      expect(log).toEqual(["0 start a", "20 refused a", "20 start b", "30 connected b"])
    })
  )

  it.effect("an attempt that connects after the winner is closed", () =>
    Effect.gen(function* () {
      // b starts at 100 ms and connects at 150 ms, a connects at 150 ms too: the first reported wins.
      const { exit, closed } = yield* simulate({ a: { latency: 0.15 }, b: { latency: 0.05 } }, 0.1)
      expect(exit._tag).toBe("Success")
      const winner = exit._tag === "Success" ? exit.value.target : ""
      // The loser was either cancelled before it resumed or closed after: never kept, never leaked.
      expect(closed.length === 0 || (closed.length === 1 && closed[0] !== winner)).toBe(true)
    })
  )

  it.effect("every attempt failed: ConnectionFailed with an AggregateError of the failures", () =>
    Effect.gen(function* () {
      const { exit } = yield* simulate(
        { a: { latency: 0.01, fails: true }, b: { latency: 0.01, fails: true } },
        0.25
      )
      expect(exit._tag).toBe("Failure")
      const e = exit._tag === "Failure" ? exit.cause.reasons[0] : undefined
      const error = e !== undefined && e._tag === "Fail" ? (e.error as ConnectionFailed) : undefined
      expect(error).toBeInstanceOf(ConnectionFailed)
      expect(error?.message).toBe("All connection attempts failed")
      expect((error!.cause as AggregateError).errors).toHaveLength(2)
    })
  )
})

describe("connectTcp cancellation", () => {
  it.live("a cancelled connectTcp leaves no socket open", () =>
    noLeaks(
      withRawServer("127.0.0.1", (server) =>
        Effect.gen(function* () {
          const before = openHandles()
          // Cancel at every point of the connect: right away, and after a few loop turns.
          for (const turns of [0, 1, 2, 3, 4, 5]) {
            yield* createTaskGroup((tg) =>
              Effect.gen(function* () {
                // A connect that completes before the cancel hands its stream over: close it then.
                yield* tg.startSoon(
                  Effect.uninterruptibleMask((restore) =>
                    Effect.flatMap(restore(connectTcp("127.0.0.1", server.port)), (stream) =>
                      Effect.ensuring(restore(Effect.never), stream.close())
                    )
                  )
                )
                if (turns > 0) yield* settle(turns)
                yield* tg.cancel()
              })
            )
          }
          yield* settle(5)
          // The server's side of any connection that got through is closed when the raw server closes.
          for (const s of server.sockets) s.destroy()
          yield* settle(5)
          expect(openHandles()).toBeLessThanOrEqual(before)
        })
      )
    )
  )
})
