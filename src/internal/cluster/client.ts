/**
 * The caller side of remote tasks.
 *
 * A call is the cluster's own client call in the caller's fiber. When the caller is cancelled (its
 * group, a deadline, a sibling's failure), the cluster client sends its interrupt (fire-and-forget:
 * the runner's reply to it is dropped), and we then call `effect-anyio/cancel` for the call's key
 * and wait for its reply, which the runner sends once the remote task finished there, finalizers
 * included. So a cancelled group exits after its remote tasks finished on their runners, as with
 * local tasks. The wait is bounded by `cancelTimeout` and by the connection: a runner that dies or
 * becomes unreachable ends it with `RemoteTaskLost` (ignored there).
 *
 * The success path adds one `onExit` and one `catchCause` frame to the cluster's client call
 * (no fiber: a fork per call costs more than it seems, ~20% of an embedded round trip). What a call
 * to one task on one entity id needs (the client, its method read once through the client's
 * `Proxy`, the failure handler) is made once per `Sharding` instance: a call allocates its
 * `PendingCall` (where the cluster's request id lands, see `protocol.ts`), its exit hook and its
 * two frames.
 *
 * @internal
 */
import { Cause, Context, Effect, Queue, type Scope } from "effect"
import type * as Entity from "effect/cluster/Entity"
import { Sharding } from "effect/cluster/Sharding"
import type { Snowflake } from "effect/cluster/Snowflake"
import { RemoteTaskLost } from "../../Errors.ts"
import { type TaskStatus, taskStatusIgnored } from "../../TaskGroup.ts"
import { arm, CANCEL, disarm, type PendingCall, START, type StartChunk } from "./protocol.ts"

/** A cluster client for one entity id, loosely typed (the public module types calls). */
type RawClient = Record<string, RawMethod>

type RawMethod = (
  payload: unknown,
  options?: { readonly asQueue?: boolean }
) => Effect.Effect<unknown, unknown>

/**
 * What a call to one task on one entity id needs, made once per `Sharding` (not per call): the
 * client's method (read once: the client is a `Proxy`), and the failure handler of `catchCause`.
 */
interface Target {
  readonly client: RawClient
  readonly method: RawMethod
  readonly settle: (cause: Cause.Cause<unknown>) => AnyEffect
}

interface Clients {
  readonly make: (entityId: string) => RawClient
  /** Targets of the round-robin ids, by task name and index. */
  readonly pools: Map<string, Array<Target | undefined>>
}

/** What every task function of one `make()` shares. */
export interface Meta {
  readonly name: string
  readonly entity: Entity.Any
  readonly spread: number
  /** Milliseconds; `undefined`: wait as long as it takes. */
  readonly cancelTimeout: number | undefined
  next: number
  readonly clients: WeakMap<object, Clients>
}

type AnyEffect = Effect.Effect<unknown, unknown>

const makeTarget = (meta: Meta, client: RawClient, task: string, entityId: string): Target => ({
  client,
  method: client[task]!,
  settle: (cause) => settle(cause, meta, task, entityId)
})

/** The task function of `task` (bound to `entityId` when given). */
export const makeTaskFunction = (meta: Meta, task: string, entityId: string | undefined) => {
  // A pinned function's target, for the last `Sharding` it ran with.
  let pinned: { readonly sharding: object; readonly target: Target } | undefined
  // The round-robin targets of this task, for the last `Sharding` it ran with.
  let pool: Array<Target | undefined> = []
  let poolOf: Clients | undefined
  let poolSharding: object | undefined
  const call = (payload: unknown, status?: TaskStatus<unknown>): AnyEffect =>
    Effect.withFiber((parent) => {
      const sharding = Context.getUnsafe(parent.context, Sharding)
      let target: Target
      if (entityId === undefined) {
        if (poolSharding !== sharding || poolOf === undefined) {
          const clients = meta.clients.get(sharding)
          if (clients === undefined) return firstCall(meta, sharding, call, payload, status)
          let found = clients.pools.get(task)
          if (found === undefined) clients.pools.set(task, (found = []))
          pool = found
          poolOf = clients
          poolSharding = sharding
        }
        const index = meta.next
        meta.next = index + 1 === meta.spread ? 0 : index + 1
        target = pool[index] ??= makeTarget(meta, poolOf.make(String(index)), task, String(index))
      } else if (pinned !== undefined && pinned.sharding === sharding) {
        target = pinned.target
      } else {
        const clients = meta.clients.get(sharding)
        if (clients === undefined) return firstCall(meta, sharding, call, payload, status)
        target = makeTarget(meta, clients.make(entityId), task, entityId)
        pinned = { sharding, target }
      }
      const pending: PendingCall = { fiber: parent, requestId: undefined }
      arm(pending)
      if (status === undefined || status === taskStatusIgnored) {
        return supervise(meta, target, pending, target.method(payload))
      }
      return supervise(
        meta,
        target,
        pending,
        startCall(target.client[`${task}${START}`]!(payload, asQueue), status)
      )
    })
  return call
}

const asQueue = { asQueue: true }

/** The first call with a `Sharding`: make the entity's client there, then call. */
const firstCall = (
  meta: Meta,
  sharding: Sharding["Service"],
  call: (payload: unknown, status?: TaskStatus<unknown>) => AnyEffect,
  payload: unknown,
  status: TaskStatus<unknown> | undefined
): AnyEffect =>
  Effect.flatMap(sharding.makeClient(meta.entity), (make) => {
    if (!meta.clients.has(sharding)) meta.clients.set(sharding, { make: make as never, pools: new Map() })
    return call(payload, status)
  })

/** `tg.start()`: forward `Started(value)` to the local status, then return `Done(result)`. */
const startCall = (open: Effect.Effect<unknown, unknown, unknown>, status: TaskStatus<unknown>): AnyEffect =>
  Effect.scoped(
    Effect.flatMap(open as Effect.Effect<Queue.Dequeue<StartChunk, unknown>, unknown, Scope.Scope>, (queue) =>
      Effect.flatMap(takeChunk(queue), (first) =>
        // A task that returns without calling `started()`: the group's `start()` reports it.
        first._tag === "Done"
          ? Effect.succeed(first.value)
          : Effect.andThen(
              status.started(first.value),
              Effect.map(takeChunk(queue), (done) => done.value)
            )
      )
    )
  )

const takeChunk = (queue: Queue.Dequeue<StartChunk, unknown>): Effect.Effect<StartChunk, unknown> =>
  Queue.take(queue) as Effect.Effect<StartChunk, unknown>

const supervise = (meta: Meta, target: Target, pending: PendingCall, call: AnyEffect): AnyEffect =>
  Effect.catchCause(
    // `onExitPrimitive`: a callback that returns `undefined` when there is nothing to do (no
    // `flatMap` back to the exit on success; `onInterrupt` costs twice as much). Not its
    // `interruptible` variant: an interrupted fiber skips that frame, exit hook included.
    Effect.onExitPrimitive(call, (exit) => {
      const id = pending.requestId
      // No request id: the cluster never built the request, nothing runs on a runner.
      if (id === undefined) {
        disarm(pending)
        return undefined
      }
      return exit._tag === "Failure" && Cause.hasInterrupts(exit.cause)
        ? cancelAndWait(meta, target.client, id)
        : undefined
    }),
    target.settle
  )

/**
 * Runs when the call was interrupted (the cluster client has then sent its own interrupt, whose
 * reply nobody reads): ask the runner to cancel the call and wait for the answer, which comes once
 * the remote task finished there (or at once, if it had not started or was over).
 */
const cancelAndWait = (meta: Meta, client: RawClient, id: Snowflake): Effect.Effect<void> => {
  const cancel = Effect.ignore(client[CANCEL]!(id))
  return meta.cancelTimeout === undefined ? cancel : Effect.ignore(Effect.timeout(cancel, meta.cancelTimeout))
}

/**
 * The call's failure as the task's: a lost runner is a typed failure. Not reached when the caller
 * was cancelled (an interrupted fiber skips `catchCause`).
 */
const settle = (cause: Cause.Cause<unknown>, meta: Meta, task: string, entityId: string): AnyEffect => {
  if (Cause.hasInterruptsOnly(cause)) {
    // The runner interrupted the call itself (shutting down, or the shard moved).
    return Effect.fail(
      new RemoteTaskLost({ entityType: meta.name, entityId, task, reason: "interrupted on its runner" })
    )
  }
  for (const reason of cause.reasons) {
    if (reason._tag === "Die" && reason.defect instanceof RemoteTaskLost) return Effect.fail(reason.defect)
  }
  return Effect.failCause(cause)
}
