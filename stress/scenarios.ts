/**
 * Stress scenarios (issue 8), parameterised by size: `stress/run.ts` runs them at full size (each in
 * a child process of its own, real clock), `test/stress.test.ts` runs them scaled down in `npm test`.
 *
 * Each scenario checks the invariants of the reliability suite on its own run and returns the
 * violations it found (empty: all held): every task began and finalized (live counter back to 0),
 * no task of ours is left in `getRunningTasks()`, no lock/permit/token held and nobody waiting,
 * no stream item lost or duplicated.
 */
import { Deferred, Effect, Exit, Fiber, Option } from "effect"
import {
  type CancelScope,
  cancelScope,
  createMemoryObjectStream,
  createTaskGroup,
  getRunningTasks,
  Lock,
  makeCancelScope,
  moveOnAfter,
  sleep,
  sleepForever,
  type TaskGroup
} from "../src/index.ts"
import { runTraffic, trafficChecks } from "./traffic.ts"

export interface ScenarioResult {
  readonly metrics: Record<string, number | string>
  readonly violations: ReadonlyArray<string>
}

const now = (): number => performance.now()

/** None of our tasks (children of some group) may still be running. */
const leftoverTasks = Effect.map(getRunningTasks(), (tasks) => tasks.filter((t) => t.parentId !== undefined))

const expectEq = (violations: Array<string>, what: string, got: unknown, want: unknown): void => {
  if (got !== want) violations.push(`${what}: got ${String(got)}, want ${String(want)}`)
}

// ---------------------------------------------------------------------------------------------
// 1. n tasks spawned and joined in one group
// ---------------------------------------------------------------------------------------------

export const spawnJoin = (n: number): Effect.Effect<ScenarioResult, unknown> =>
  Effect.gen(function* () {
    let live = 0
    let ran = 0
    let finalized = 0
    const task = Effect.ensuring(
      Effect.sync(() => {
        live++
        ran++
      }),
      Effect.sync(() => {
        live--
        finalized++
      })
    )
    const t0 = now()
    yield* createTaskGroup((tg) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* tg.startSoon(task)
      })
    )
    const ms = now() - t0
    const violations: Array<string> = []
    expectEq(violations, "tasks run", ran, n)
    expectEq(violations, "finalizers run", finalized, n)
    expectEq(violations, "live tasks after the group", live, 0)
    expectEq(violations, "tasks left running", (yield* leftoverTasks).length, 0)
    return { metrics: { tasks: n, ms: Math.round(ms), "µs/task": +((ms * 1000) / n).toFixed(2) }, violations }
  })

// ---------------------------------------------------------------------------------------------
// 2. n sleeping tasks cancelled at once
// ---------------------------------------------------------------------------------------------

export const cancelSleeping = (n: number): Effect.Effect<ScenarioResult, unknown> =>
  Effect.gen(function* () {
    let started = 0
    let finalized = 0
    const task = Effect.ensuring(
      Effect.andThen(
        Effect.sync(() => started++),
        sleep(3600)
      ),
      Effect.sync(() => finalized++)
    )
    let cancelAt = 0
    const t0 = now()
    const result = yield* createTaskGroup((tg) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) yield* tg.startSoon(task)
        while (started < n) yield* sleep(0.001)
        cancelAt = now()
        yield* tg.cancel("stress")
        return "not cancelled"
      })
    )
    const end = now()
    const violations: Array<string> = []
    // The body goes on to its end (no suspension after cancel), as in AnyIO: its value.
    expectEq(
      violations,
      "group result (the body's, returned after cancel)",
      Option.getOrUndefined(result),
      "not cancelled"
    )
    expectEq(violations, "tasks started", started, n)
    expectEq(violations, "finalizers run", finalized, n)
    expectEq(violations, "tasks left running", (yield* leftoverTasks).length, 0)
    return {
      metrics: {
        tasks: n,
        "spawn+start ms": Math.round(cancelAt - t0),
        "cancel→exit ms": Math.round(end - cancelAt),
        "µs/task cancelled": +(((end - cancelAt) * 1000) / n).toFixed(2)
      },
      violations
    }
  })

// ---------------------------------------------------------------------------------------------
// 3. groups nested `depth` deep
// ---------------------------------------------------------------------------------------------

export type NestMode = "complete" | "cancel" | "interrupt"

/**
 * `depth` task groups, each the only task of the one above (`tg.startSoon(nextGroup)`), with a leaf
 * at the bottom. "complete": the leaf returns; "cancel": the leaf sleeps forever and the outermost
 * group's `tg.cancel()` cancels the whole tree; "interrupt": the same with `Fiber.interrupt` of the
 * program's fiber.
 */
export const nest = (depth: number, mode: NestMode): Effect.Effect<ScenarioResult, unknown> =>
  Effect.gen(function* () {
    let entered = 0
    let finalized = 0
    const started = yield* Deferred.make<void>()
    const leaf =
      mode === "complete"
        ? Effect.yieldNow
        : Effect.andThen(Deferred.succeed(started, undefined), sleepForever())
    const level = (d: number): Effect.Effect<unknown, unknown> =>
      d === 0
        ? leaf
        : Effect.ensuring(
            Effect.andThen(
              Effect.sync(() => entered++),
              createTaskGroup((tg: TaskGroup) => tg.startSoon(level(d - 1))) as Effect.Effect<
                unknown,
                unknown
              >
            ),
            Effect.sync(() => finalized++)
          )
    let top: CancelScope | undefined
    const program =
      mode === "cancel"
        ? createTaskGroup((tg: TaskGroup) => {
            top = tg.cancelScope
            return tg.startSoon(level(depth - 1))
          })
        : level(depth)
    const t0 = now()
    let tCancel = t0
    if (mode === "complete") {
      yield* program
    } else {
      const fiber = yield* Effect.forkChild(program as Effect.Effect<unknown, unknown>)
      yield* Deferred.await(started)
      tCancel = now()
      if (mode === "cancel") yield* top!.cancel("stress")
      else yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      if (mode === "cancel" && Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
    }
    const end = now()
    const violations: Array<string> = []
    const levels = mode === "cancel" ? depth - 1 : depth
    expectEq(violations, "levels entered", entered, levels)
    expectEq(violations, "levels finalized", finalized, levels)
    expectEq(violations, "tasks left running", (yield* leftoverTasks).length, 0)
    const result: ScenarioResult = {
      metrics:
        mode === "complete"
          ? { depth, ms: Math.round(end - t0) }
          : { depth, "build ms": Math.round(tCancel - t0), "cancel→exit ms": Math.round(end - tCancel) },
      violations
    }
    return result
  })

// ---------------------------------------------------------------------------------------------
// 4. n tasks contending on one lock
// ---------------------------------------------------------------------------------------------

/** Every 10th task gives up waiting after a random few milliseconds (`moveOnAfter`). */
export const lockContention = (n: number): Effect.Effect<ScenarioResult, unknown> =>
  Effect.gen(function* () {
    const lock = new Lock()
    let inside = 0
    let maxInside = 0
    let done = 0
    let gaveUp = 0
    const critical = lock.withLock(
      Effect.gen(function* () {
        inside++
        maxInside = Math.max(maxInside, inside)
        yield* Effect.yieldNow
        inside--
        done++
      })
    )
    const t0 = now()
    yield* createTaskGroup((tg) =>
      Effect.gen(function* () {
        for (let i = 0; i < n; i++) {
          if (i % 10 === 9) {
            yield* tg.startSoon(
              Effect.flatMap(moveOnAfter(Math.random() * 0.005, critical), (r) =>
                Effect.sync(() => {
                  if (r._tag === "None") gaveUp++
                })
              )
            )
          } else {
            yield* tg.startSoon(critical)
          }
        }
      })
    )
    const ms = now() - t0
    const violations: Array<string> = []
    expectEq(violations, "max tasks inside the lock", maxInside, 1)
    expectEq(violations, "done + gave up", done + gaveUp, n)
    const stats = lock.statistics()
    expectEq(violations, "lock held at the end", stats.locked, false)
    expectEq(violations, "tasks waiting at the end", stats.tasksWaiting, 0)
    expectEq(violations, "tasks left running", (yield* leftoverTasks).length, 0)
    return {
      metrics: {
        tasks: n,
        "gave up": gaveUp,
        ms: Math.round(ms),
        "µs/acquisition": +((ms * 1000) / n).toFixed(2)
      },
      violations
    }
  })

// ---------------------------------------------------------------------------------------------
// 5. a memory stream: producers and consumers, with random cancellations
// ---------------------------------------------------------------------------------------------

/**
 * `producers` producers send `items` distinct numbers in total through one stream (buffer 16) to
 * `consumers` consumers; a fifth of each side is cancelled by a consumer (another task) when the
 * number of items received crosses a random threshold, wherever that worker is (sending, parked).
 * The traffic and its checks are `traffic.ts`'s (shared with the soak's `streams` workload).
 */
export const streamFanInOut = (
  producers: number,
  consumers: number,
  items: number
): Effect.Effect<ScenarioResult, unknown> =>
  Effect.gen(function* () {
    const [send, receive] = createMemoryObjectStream<number>(16)
    let cancelledProducers = 0
    let cancelledConsumers = 0
    // A fifth of each side is cancelled from another task (a consumer) at a random moment: when the
    // number of items received crosses a random threshold, that worker's scope is cancelled.
    const doomed: Array<{ at: number; scope: CancelScope }> = []
    const wrap = (side: "producer" | "consumer", i: number, work: Effect.Effect<void, unknown>) => {
      if (i % 5 !== 4) return work
      const scope = makeCancelScope()
      doomed.push({ at: Math.floor(Math.random() * items * 0.8), scope })
      return Effect.flatMap(cancelScope(scope, work), (r) =>
        Effect.sync(() => {
          if (r._tag !== "None") return
          if (side === "producer") cancelledProducers++
          else cancelledConsumers++
        })
      )
    }
    const onReceived = (received: number): void => {
      while (doomed.length > 0 && doomed[doomed.length - 1]!.at <= received)
        doomed.pop()!.scope.cancelUnsafe("stress")
    }
    const t0 = now()
    const traffic = yield* runTraffic({
      send,
      receive,
      producers,
      consumers,
      items,
      wrap,
      onReceived,
      onStarted: () => doomed.sort((a, b) => b.at - a.at)
    })
    const ms = now() - t0
    const violations: Array<string> = []
    for (const [what, got, want] of trafficChecks(traffic, send)) expectEq(violations, what, got, want)
    expectEq(violations, "tasks left running", (yield* leftoverTasks).length, 0)
    return {
      metrics: {
        producers,
        consumers,
        "items offered": items,
        "items moved": traffic.received,
        "producers cancelled": cancelledProducers,
        "consumers cancelled": cancelledConsumers,
        ms: Math.round(ms),
        "µs/item": +((ms * 1000) / Math.max(1, traffic.received)).toFixed(2)
      },
      violations
    }
  })
