/**
 * Fairness of the batching scheduler (the default of `run`, `defaultScheduler()` for
 * `Effect.runPromise`): while fibers keep yielding, Node's event loop still runs at least once per
 * budget (1 ms by default, plus at most 64 tasks), so timers, I/O callbacks, immediates, ticks and
 * promise callbacks keep their latency. Real time, a few tens of milliseconds each.
 *
 * Latencies are measured in CPU time of this process (`process.cpuUsage`), not wall-clock time: on
 * a loaded machine the OS may stop the process for tens of milliseconds, which no scheduler can
 * help, while the CPU time the busy fibers spend before a callback gets its turn is exactly what
 * the budget bounds (a scheduler that starves the event loop makes it unbounded). Wall-clock bounds
 * are checked too, an order of magnitude looser.
 */

import * as net from "node:net"
import { Deferred, Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { checkpoint, defaultScheduler, withBatchingScheduler } from "../src/index.ts"

const onBatching = <A, E>(effect: Effect.Effect<A, E>, budget = 0.001) =>
  Effect.runPromise(withBatchingScheduler(effect, { budget }))

describe("batching scheduler fairness", () => {
  const median = (xs: ReadonlyArray<number>): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
  /** CPU time of this process, ms. */
  const cpu = (): number => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }

  /**
   * Runs `probe` while `fibers` fibers checkpoint without end, on the default batching scheduler
   * (through `withBatchingScheduler`, or `Effect.runPromise`'s `scheduler` option).
   */
  const besideBusyLoop = <A>(
    probe: () => Promise<A>,
    options: { readonly fibers?: number; readonly viaOption?: boolean } = {}
  ) => {
    const program = Effect.gen(function* () {
      let spins = 0
      // The fibers start spinning together, once all are forked (forking beside thousands of
      // spinning fibers would take a round of them per batch of forks).
      const go = yield* Deferred.make<void>()
      const busy: Array<Fiber.Fiber<never>> = []
      for (let i = 0; i < (options.fibers ?? 1); i++) {
        busy.push(
          yield* Effect.forkChild(
            Effect.andThen(
              Deferred.await(go),
              Effect.forever(
                Effect.andThen(
                  checkpoint(),
                  Effect.sync(() => {
                    spins++
                  })
                )
              )
            )
          )
        )
      }
      yield* Deferred.succeed(go, undefined)
      yield* Effect.yieldNow
      const result = yield* Effect.promise(probe)
      const atEnd = spins
      yield* Fiber.interruptAll(busy)
      return { result, spins: atEnd }
    })
    return options.viaOption === true
      ? Effect.runPromise(program, { scheduler: defaultScheduler() })
      : Effect.runPromise(withBatchingScheduler(program))
  }

  /** `count` one-byte round trips over a loopback TCP echo, each timed (CPU ms, wall ms). */
  const withEcho = async <A>(
    body: (roundTrips: (count: number) => Promise<Array<[number, number]>>) => Promise<A>
  ): Promise<A> => {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true)
      socket.pipe(socket)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const { port } = server.address() as net.AddressInfo
    const client = net.connect(port, "127.0.0.1")
    client.setNoDelay(true)
    await new Promise<void>((resolve) => client.once("connect", resolve))
    const roundTrips = async (count: number): Promise<Array<[number, number]>> => {
      const times: Array<[number, number]> = []
      for (let i = 0; i < count; i++) {
        const start = cpu()
        const wall = performance.now()
        await new Promise<void>((resolve) => {
          client.once("data", () => resolve())
          client.write("x")
        })
        times.push([cpu() - start, performance.now() - wall])
      }
      return times
    }
    try {
      return await body(roundTrips)
    } finally {
      client.destroy()
      await new Promise((resolve) => server.close(resolve))
    }
  }

  /** CPU time and wall-clock time (ms) between `count` firings of a 1 ms interval timer. */
  const intervalGaps = (count: number) =>
    new Promise<Array<[number, number]>>((resolve) => {
      const gaps: Array<[number, number]> = []
      let last = cpu()
      let lastWall = performance.now()
      const timer = setInterval(() => {
        const now = cpu()
        const wall = performance.now()
        gaps.push([now - last, wall - lastWall])
        last = now
        lastWall = wall
        if (gaps.length >= count) {
          clearInterval(timer)
          resolve(gaps)
        }
      }, 1)
    })
  /** CPU time and wall-clock time (ms) between `count` hops of a setImmediate chain. */
  const immediateGaps = (count: number) =>
    new Promise<Array<[number, number]>>((resolve) => {
      const gaps: Array<[number, number]> = []
      let last = cpu()
      let lastWall = performance.now()
      const hop = () => {
        const now = cpu()
        const wall = performance.now()
        gaps.push([now - last, wall - lastWall])
        last = now
        lastWall = wall
        if (gaps.length >= count) resolve(gaps)
        else setImmediate(hop)
      }
      setImmediate(hop)
    })
  const cpuOf = (xs: ReadonlyArray<[number, number]>) => xs.map(([c]) => c)
  const wallOf = (xs: ReadonlyArray<[number, number]>) => xs.map(([, w]) => w)

  it("a 1 ms interval timer keeps its rate beside a fiber that never stops yielding", {
    retry: 2
  }, async () => {
    const { result, spins } = await besideBusyLoop(() => intervalGaps(20))
    // The busy fiber really ran in between (many checkpoints), and the timer fired after at most
    // about its interval plus one budget of fibers.
    expect(spins).toBeGreaterThan(100)
    expect(median(cpuOf(result))).toBeLessThan(1 + 1 + 1.5)
  })

  it("a loopback TCP socket keeps its round-trip latency beside a fiber that never stops yielding", {
    retry: 2
  }, async () => {
    await withEcho(async (roundTrips) => {
      await roundTrips(5) // warm-up
      const idle = median(cpuOf(await roundTrips(20)))
      const { result, spins } = await besideBusyLoop(() => roundTrips(20))
      expect(spins).toBeGreaterThan(100)
      // A round trip needs two or three turns of the event loop (echo, read), each after at most
      // one budget (1 ms) of fibers: a few milliseconds, not "when the fibers stop".
      expect(median(cpuOf(result))).toBeLessThan(idle + 6)
    })
  })

  it("the default for Effect.runPromise users: a timer and a socket at once beside 100 yielding fibers", {
    retry: 2
  }, async () => {
    // `Effect.runPromise(main, { scheduler: defaultScheduler() })`: the scheduler run() uses. A
    // 1 ms interval timer and a loopback echo run together while 100 fibers checkpoint without
    // end; both keep their latency (about one budget per turn of the event loop).
    await withEcho(async (roundTrips) => {
      await roundTrips(5)
      const idle = median(cpuOf(await roundTrips(10)))
      const { result, spins } = await besideBusyLoop(() => Promise.all([intervalGaps(30), roundTrips(15)]), {
        fibers: 100,
        viaOption: true
      })
      const [gaps, trips] = result
      expect(spins).toBeGreaterThan(1000)
      expect(median(cpuOf(gaps))).toBeLessThan(1 + 1 + 1.5)
      expect(median(cpuOf(trips))).toBeLessThan(idle + 6)
      // Wall clock, with room for a loaded machine: milliseconds, not "when the fibers stop".
      expect(median(wallOf(gaps))).toBeLessThan(25)
      expect(median(wallOf(trips))).toBeLessThan(50)
    })
  })

  it("thousands of ready fibers do not stretch a turn of the event loop", { retry: 2 }, async () => {
    // 10,000 fibers yield: one round of them all takes several milliseconds (a scheduler that
    // checks the time between rounds only turns every 4-5 ms here), but the scheduler cuts a
    // round every 64 tasks to check the time, so a turn still ends after about one budget.
    const { result, spins } = await besideBusyLoop(() => immediateGaps(20), { fibers: 10_000 })
    // Every fiber went through a checkpoint while the probe ran (on an idle machine the probe's 20
    // turns can end within the first round of them: exactly 10,000).
    expect(spins).toBeGreaterThanOrEqual(10_000)
    expect(median(cpuOf(result))).toBeLessThan(1 + 1)
  })

  it("Node's event loop turns once per budget while fibers keep yielding", { retry: 2 }, async () => {
    const { result, spins } = await besideBusyLoop(() => immediateGaps(30))
    expect(spins).toBeGreaterThan(100)
    // One budget (1 ms) of fibers per turn of the loop: not more, and not much less either (the
    // scheduler does not hand the turn back after every yield).
    expect(median(cpuOf(result))).toBeLessThan(1 + 1)
    expect(median(cpuOf(result))).toBeGreaterThan(0.3)
  })

  it("hands the turn back after its budget, not after every yield", { retry: 2 }, async () => {
    // A setImmediate queued while a fiber yields in a loop runs after many yields (the budget, 20 ms
    // here, is spent) and before the loop gives up (1 s later).
    const seenAt = await onBatching(
      Effect.gen(function* () {
        let turned = false
        const start = performance.now()
        for (let i = 0; ; i++) {
          if (i === 1) {
            setImmediate(() => {
              turned = true
            })
          }
          if (turned) return { i, ms: performance.now() - start }
          if (performance.now() - start > 1000) return { i, ms: Number.POSITIVE_INFINITY }
          yield* Effect.yieldNow
        }
      }),
      0.02
    )
    expect(seenAt.i).toBeGreaterThan(10)
    expect(seenAt.ms).toBeLessThan(1000)
    expect(seenAt.ms).toBeGreaterThanOrEqual(0)
  })

  it("lets process.nextTick callbacks run between rounds", async () => {
    // In the middle of a turn, within 64 rounds (every 8th hop between rounds is a tick), not only
    // when the budget (1 s here) is spent.
    const rounds = await onBatching(
      Effect.gen(function* () {
        let ticked = false
        for (let i = 0; i < 10_000; i++) {
          if (i === 1000) process.nextTick(() => (ticked = true))
          if (ticked) return i - 1000
          yield* Effect.yieldNow
        }
        return -1
      }),
      1
    )
    expect(rounds).toBeGreaterThan(0)
    expect(rounds).toBeLessThanOrEqual(64)
  })
})
