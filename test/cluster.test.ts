/**
 * Remote tasks on an embedded cluster (one runner in this process, storage in memory): the rules
 * of task groups across an entity call. Everything runs under `autojump` (virtual time), the
 * cluster's own timers included. The same cases across processes: cluster-distributed.test.ts.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Layer, Option } from "effect"
import type { Snowflake } from "effect/cluster/Snowflake"
import { failAfter } from "../src/CancelScope.ts"
import * as Cluster from "../src/Cluster.ts"
import { InvalidArgumentError, RuntimeError, TimeoutError } from "../src/Errors.ts"
import { Defect, type ExceptionGroup, isExceptionGroup } from "../src/ExceptionGroup.ts"
import { arm, CANCEL, type PendingCall, recordRequestId } from "../src/internal/cluster/protocol.ts"
import { makeHandlers } from "../src/internal/cluster/server.ts"
import { createTaskGroup } from "../src/TaskGroup.ts"
import { autojump } from "../src/Testing.ts"
import { currentTime } from "../src/Time.ts"
import { Boom, Events, Tasks, TasksLive } from "./fixtures/cluster-tasks.ts"

/** Runs `program` on a fresh embedded cluster serving `Tasks`, on the virtual clock: its exit, the events. */
const exitOnCluster = <A, E>(
  program: (events: Array<string>) => Effect.Effect<A, E, import("effect/cluster/Sharding").Sharding>
) => {
  const events: Array<string> = []
  const layer = TasksLive.pipe(
    Layer.provide(Layer.succeed(Events, { record: (event) => events.push(event) })),
    Layer.provideMerge(Cluster.layerEmbedded())
  )
  return Effect.map(Effect.exit(autojump(Effect.scoped(Effect.provide(program(events), layer)))), (exit) => ({
    exit,
    events
  }))
}

/** {@link exitOnCluster} for a program that succeeds: its value, the events. */
const onCluster = <A, E>(
  program: (events: Array<string>) => Effect.Effect<A, E, import("effect/cluster/Sharding").Sharding>
) => Effect.flatMap(exitOnCluster(program), ({ events, exit }) => Effect.map(exit, (a) => ({ a, events })))

/** The one ExceptionGroup an exit fails with (or dies with: a group of defects only dies). */
const groupOf = (exit: Exit.Exit<unknown, unknown>): ExceptionGroup<unknown> => {
  if (Exit.isSuccess(exit)) throw new Error(`expected an ExceptionGroup, got success ${String(exit.value)}`)
  const reason = exit.cause.reasons[0]
  const eg = reason?._tag === "Fail" ? reason.error : reason?._tag === "Die" ? reason.defect : undefined
  if (exit.cause.reasons.length !== 1 || !isExceptionGroup(eg)) {
    throw new Error(`expected one ExceptionGroup, got:\n${Cause.pretty(exit.cause)}`)
  }
  return eg
}

describe("remote tasks, embedded", () => {
  it.effect("success: the task's value, through startSoon, createTask and a plain call", () =>
    Effect.gen(function* () {
      const { a } = yield* onCluster(() =>
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            const results: Array<number> = []
            yield* tg.startSoon(Effect.map(Tasks.square(2), (v) => results.push(v)))
            const handle = yield* tg.createTask(Tasks.square(3))
            const direct = yield* Tasks.square(4)
            return [yield* handle.join, direct, results]
          })
        )
      )
      expect(a).toEqual(Option.some([9, 16, [4]]))
    })
  )

  it.effect("typed failure: a member of the group's ExceptionGroup, an instance of its class", () =>
    Effect.gen(function* () {
      const program = createTaskGroup((tg) => tg.startSoon(Tasks.square, -3))
      expectTypeOf<Effect.Error<typeof program>>().toEqualTypeOf<
        ExceptionGroup<Boom | Cluster.RemoteCallError>
      >()
      const { exit } = yield* exitOnCluster(() => program)
      const group = groupOf(exit)
      expect(group.exceptions).toHaveLength(1)
      const member = group.exceptions[0]
      expect(member).toBeInstanceOf(Boom)
      expect(member).toMatchObject({ _tag: "Boom", n: -3 })
    })
  )

  it.effect("a defect on the runner is a Defect member", () =>
    Effect.gen(function* () {
      const { exit } = yield* exitOnCluster(() => createTaskGroup((tg) => tg.startSoon(Tasks.crash, "kaput")))
      const member = groupOf(exit).exceptions[0]
      expect(member).toBeInstanceOf(Defect)
      expect(String((member as Defect).defect)).toContain("kaput")
    })
  )

  it.effect("a call its runner interrupts is RemoteTaskLost, not a silent cancellation", () =>
    Effect.gen(function* () {
      const { exit } = yield* exitOnCluster(() =>
        createTaskGroup((tg) => tg.startSoon(Tasks.selfInterrupt()))
      )
      expect(groupOf(exit).exceptions[0]).toMatchObject({
        _tag: "RemoteTaskLost",
        entityType: "TestTasks",
        task: "selfInterrupt",
        reason: "interrupted on its runner"
      })
    })
  )

  it.effect("cancelTimeout bounds how long a cancelled call waits for its runner (virtual time)", () =>
    Effect.gen(function* () {
      const Slow = Cluster.make("SlowToCancel", { wait: Cluster.task({}) }, { cancelTimeout: 1 })
      const finalized: Array<number> = []
      const SlowLive = Cluster.toLayer(Slow, {
        // A finalizer that takes 10 s on the runner.
        wait: () =>
          Effect.ensuring(
            Effect.never,
            Effect.andThen(
              Effect.sleep("10 seconds"),
              Effect.sync(() => finalized.push(1))
            )
          )
      })
      const { elapsed, finalizedThen } = yield* autojump(
        Effect.gen(function* () {
          const t0 = yield* currentTime()
          yield* Effect.exit(failAfter(2, Slow.wait()))
          return { elapsed: (yield* currentTime()) - t0, finalizedThen: finalized.length }
        }).pipe(Effect.provide(SlowLive), Effect.provide(Cluster.layerEmbedded()))
      )
      // The 2 s deadline, then at most 1 s of waiting for the runner, not the finalizer's 10 s
      // (which still runs there: the runner's shutdown waits for it).
      expect(elapsed).toBeCloseTo(3, 5)
      expect(finalizedThen).toBe(0)
      expect(finalized).toEqual([1])
    })
  )

  it.effect("group cancel interrupts the remote call; the group exits after its finalizer ran", () =>
    Effect.gen(function* () {
      const { a, events } = yield* onCluster((events) =>
        Effect.gen(function* () {
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.start(Tasks.hang, "a")
              yield* tg.cancel()
            })
          )
          return [...events]
        })
      )
      // What the group saw when it exited: the remote finalizer (20 ms after the interrupt) had run.
      expect(a).toEqual(["a running", "a interrupted", "a finalized"])
      expect(events).toEqual(a)
    })
  )

  it.effect("a deadline around a remote call cancels it on its runner (virtual time)", () =>
    Effect.gen(function* () {
      const { exit, events } = yield* exitOnCluster(() =>
        Effect.gen(function* () {
          const t0 = yield* currentTime()
          const result = yield* Effect.exit(failAfter(5, Tasks.hang("slow")))
          return { result, elapsed: (yield* currentTime()) - t0 }
        })
      )
      if (!Exit.isSuccess(exit)) throw new Error(Cause.pretty(exit.cause))
      const { result, elapsed } = exit.value
      expect(Exit.isFailure(result) && Cause.squash(result.cause)).toBeInstanceOf(TimeoutError)
      // 5 s deadline + the remote finalizer's 20 ms, waited for.
      expect(elapsed).toBeCloseTo(5.02, 5)
      expect(events).toEqual(["slow running", "slow interrupted", "slow finalized"])
    })
  )

  it.effect("a sibling's failure cancels the remote calls; each remote finalizer ran", () =>
    Effect.gen(function* () {
      const { exit, events } = yield* exitOnCluster(() =>
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.start(Tasks.hang, "x")
            yield* tg.start(Cluster.at(Tasks, "other").hang, "y")
            yield* tg.startSoon(Tasks.square, -1)
          })
        )
      )
      const group = groupOf(exit)
      expect(group.exceptions).toHaveLength(1)
      expect(group.exceptions[0]).toBeInstanceOf(Boom)
      expect(events.filter((e) => e.endsWith("finalized")).sort()).toEqual(["x finalized", "y finalized"])
    })
  )

  it.effect(
    "start(): returns the value the remote task passed to started(); the task stays in the group",
    () =>
      Effect.gen(function* () {
        let where: string | undefined
        const { events } = yield* onCluster(() =>
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              const value = yield* tg.start(Cluster.at(Tasks, "e1").hang, "s")
              expectTypeOf(value).toEqualTypeOf<string>()
              where = value
              yield* tg.cancel()
            })
          )
        )
        expect(where).toBe(`e1@${process.pid}`)
        expect(events).toContain("s finalized")
      })
  )

  it.effect("start(): a failure before started() comes out of start() as it is, the group goes on", () =>
    Effect.gen(function* () {
      const { a } = yield* onCluster(() =>
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            const failed = yield* Effect.flip(tg.start(Tasks.failEarly, 7))
            return [failed, yield* Tasks.square(5)] as const
          })
        )
      )
      const [failed, square] = Option.getOrThrow(a)
      expect(failed).toBeInstanceOf(Boom)
      expect(square).toBe(25)
    })
  )

  it.effect("start(): a remote task that returns without started() is a RuntimeError", () =>
    Effect.gen(function* () {
      const { exit } = yield* exitOnCluster(() => createTaskGroup((tg) => tg.start(Tasks.noStart)))
      const member = groupOf(exit).exceptions[0]
      expect(member).toBeInstanceOf(Defect)
      expect((member as Defect).defect).toBeInstanceOf(RuntimeError)
      expect(String((member as Defect).defect)).toContain("without calling started() on the TaskStatus")
    })
  )

  it.effect("at(): calls with one entity id reach that entity; others spread round-robin", () =>
    Effect.gen(function* () {
      const { a } = yield* onCluster(() =>
        Effect.gen(function* () {
          const pinned = yield* Effect.all([Cluster.at(Tasks, "k").where(), Cluster.at(Tasks, "k").where()])
          const spread = yield* Effect.all(Array.from({ length: 3 }, () => Tasks.where()))
          return { pinned: pinned.map((w) => w.entityId), spread: spread.map((w) => w.entityId) }
        })
      )
      expect(a.pinned).toEqual(["k", "k"])
      // Consecutive ids (mod the default spread of 16), wherever the counter stands.
      const [first, second, third] = a.spread.map(Number)
      expect([second, third]).toEqual([(first! + 1) % 16, (first! + 2) % 16])
    })
  )

  it("a cancel that arrives before its call stops the call when it arrives", async () => {
    const events: Array<string> = []
    const handlers = makeHandlers({
      t: () => Effect.sync(() => events.push("ran"))
    }) as unknown as Record<string, (envelope: unknown) => Effect.Effect<unknown>>
    await Effect.runPromise(handlers[CANCEL]!({ payload: 1n }))
    const envelope = { payload: undefined, requestId: 1n }
    const exit = await Effect.runPromise(Effect.exit(handlers.t!(envelope)))
    expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
    // The tombstone is used up: the same request id runs now.
    await Effect.runPromise(handlers.t!(envelope))
    expect(events).toEqual(["ran"])
  })

  it.effect("a call learns its request id in its own fiber, also when another call armed meanwhile", () =>
    Effect.gen(function* () {
      // What the cluster does per hop of a request: call our RPC's hook with its envelope.
      const hop = (requestId: bigint) =>
        Effect.sync(() => {
          recordRequestId(Context.empty(), { requestId: requestId as Snowflake } as Parameters<
            typeof recordRequestId
          >[1])
        })
      const calls: Array<PendingCall> = []
      const caller = (requestId: bigint, yieldFirst: boolean) =>
        Effect.withFiber((fiber) => {
          const call: PendingCall = { fiber, requestId: undefined }
          calls.push(call)
          arm(call)
          // A yield between arming and the request (the scheduler's op budget can do that).
          return yieldFirst ? Effect.andThen(Effect.yieldNow, hop(requestId)) : hop(requestId)
        })
      // A hop of another request in another fiber (a runner's) takes nobody's armed call.
      yield* Effect.all([caller(1n, true), Effect.andThen(hop(9n), caller(2n, false))], {
        concurrency: "unbounded"
      })
      expect(calls.map((c) => c.requestId)).toEqual([1n, 2n])
    })
  )

  it("bad options are InvalidArgumentError", () => {
    expect(() => Cluster.make("X", {}, { spread: 0 })).toThrow(InvalidArgumentError)
    expect(() => Cluster.make("X", {}, { cancelTimeout: Number.NaN })).toThrow(InvalidArgumentError)
    expect(() => Cluster.at({} as typeof Tasks, "k")).toThrow(InvalidArgumentError)
  })

  it("types: tasks fit startSoon / start; handlers are checked against the schemas", () => {
    expectTypeOf(Tasks.square).parameter(0).toEqualTypeOf<number>()
    expectTypeOf(Tasks.square(1)).toEqualTypeOf<
      Effect.Effect<number, Boom | Cluster.RemoteCallError, import("effect/cluster/Sharding").Sharding>
    >()
    const ok = Cluster.toLayer(Tasks, {
      square: (n) => Effect.succeed(n + 1),
      hang: (_s, status) => status.started("x"),
      failEarly: () => Effect.void,
      noStart: () => Effect.void,
      crash: () => Effect.void,
      selfInterrupt: () => Effect.void,
      where: () => Effect.succeed({ entityId: "", pid: 0 })
    })
    void ok
    Cluster.toLayer(Tasks, {
      // @ts-expect-error: square returns a number
      square: (n) => Effect.succeed(String(n)),
      hang: () => Effect.void,
      failEarly: () => Effect.void,
      noStart: () => Effect.void,
      crash: () => Effect.void,
      selfInterrupt: () => Effect.void,
      where: () => Effect.succeed({ entityId: "", pid: 0 })
    })
  })
})
