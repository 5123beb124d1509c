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
 * (no fiber: a fork per call costs more than it seems, ~20% of an embedded round trip); the client
 * of each entity id is made once per `Sharding` instance.
 *
 * @internal
 */
import { Cause, Context, Effect, type Exit, Queue, type Scope } from "effect"
import type * as Entity from "effect/cluster/Entity"
import { Sharding } from "effect/cluster/Sharding"
import { RemoteTaskLost } from "../../Errors.ts"
import { type TaskStatus, taskStatusIgnored } from "../../TaskGroup.ts"
import { CANCEL, type CallPayload, nextKey, START, type StartChunk } from "./protocol.ts"

/** A cluster client for one entity id, loosely typed (the public module types calls). */
type RawClient = Record<
  string,
  (
    payload: unknown,
    options?: { readonly discard?: boolean; readonly asQueue?: boolean }
  ) => Effect.Effect<unknown, unknown>
>

interface Clients {
  readonly make: (entityId: string) => RawClient
  /** Clients of the round-robin ids, by index. */
  readonly pool: Array<RawClient | undefined>
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

/** The task function of `task` (bound to `entityId` when given). */
export const makeTaskFunction = (meta: Meta, task: string, entityId: string | undefined) => {
  // A pinned function's client, for the last `Sharding` it ran with.
  let pinned: { readonly sharding: object; readonly client: RawClient } | undefined
  const call = (payload: unknown, status?: TaskStatus<unknown>): AnyEffect =>
    Effect.withFiber((parent) => {
      const sharding = Context.getUnsafe(parent.context, Sharding)
      const clients = meta.clients.get(sharding)
      if (clients === undefined) {
        return Effect.flatMap(sharding.makeClient(meta.entity), (make) => {
          if (!meta.clients.has(sharding)) meta.clients.set(sharding, { make: make as never, pool: [] })
          return call(payload, status)
        })
      }
      let id = entityId
      let client: RawClient
      if (id === undefined) {
        const index = meta.next
        meta.next = index + 1 === meta.spread ? 0 : index + 1
        id = String(index)
        client = clients.pool[index] ??= clients.make(id)
      } else if (pinned !== undefined && pinned.sharding === sharding) {
        client = pinned.client
      } else {
        client = clients.make(id)
        pinned = { sharding, client }
      }
      const key = nextKey()
      const input: CallPayload = { k: key, p: payload }
      const effect =
        status === undefined || status === taskStatusIgnored
          ? (client[task]!(input) as AnyEffect)
          : startCall(client[`${task}${START}`]!(input, { asQueue: true }), status)
      return supervise(meta, task, id, client, key, effect)
    })
  return call
}

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

const supervise = (
  meta: Meta,
  task: string,
  entityId: string,
  client: RawClient,
  key: string,
  call: AnyEffect
): AnyEffect =>
  Effect.catchCause(
    // `onExit` with a callback that returns `undefined` when there is nothing to do: the cheapest
    // exit hook (no `flatMap` back to the exit on success; `onInterrupt` costs twice as much).
    Effect.onExit(call, ((exit: Exit.Exit<unknown, unknown>) =>
      exit._tag === "Failure" && Cause.hasInterrupts(exit.cause)
        ? cancelAndWait(meta, client, key)
        : undefined) as unknown as (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>),
    (cause) => settle(cause, meta, task, entityId)
  )

/**
 * Runs when the call was interrupted (the cluster client has then sent its own interrupt, whose
 * reply nobody reads): ask the runner to cancel the call and wait for the answer, which comes once
 * the remote task finished there (or at once, if it had not started or was over).
 */
const cancelAndWait = (meta: Meta, client: RawClient, key: string): Effect.Effect<void> => {
  const cancel = Effect.ignore(client[CANCEL]!(key))
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
