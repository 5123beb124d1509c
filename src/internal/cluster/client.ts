/**
 * The caller side of remote tasks.
 *
 * A call runs the cluster's own client call in a child fiber and waits for it. When the caller is
 * cancelled (its group, a deadline, a sibling's failure), it sends `effect-anyio/cancel` for the
 * call's key and keeps waiting for the call's own reply: the runner interrupts the remote task,
 * its finalizers run there, and only then does the reply (an interrupt) come back. So a cancelled
 * group exits after its remote tasks finished on their runners, as with local tasks. The wait is
 * bounded by `cancelTimeout` (then the cluster's own interrupt is sent) and by the connection: a
 * runner that dies or becomes unreachable ends the call with `RemoteTaskLost`.
 *
 * The success path costs one fork and one `Fiber.await` over the cluster's client call; the
 * client of each entity id is made once per `Sharding` instance.
 *
 * @internal
 */
import { Cause, Context, Effect, type Exit, Fiber, Queue, type Scope } from "effect"
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
export const makeTaskFunction =
  (meta: Meta, task: string, entityId: string | undefined) =>
  (payload: unknown, status?: TaskStatus<unknown>): AnyEffect =>
    Effect.withFiber((parent) => {
      const sharding = Context.getUnsafe(parent.context, Sharding)
      const clients = meta.clients.get(sharding)
      if (clients === undefined) {
        return Effect.flatMap(sharding.makeClient(meta.entity), (make) => {
          if (!meta.clients.has(sharding)) meta.clients.set(sharding, { make: make as never, pool: [] })
          return makeTaskFunction(meta, task, entityId)(payload, status)
        })
      }
      let id = entityId
      let client: RawClient
      if (id === undefined) {
        const index = meta.next
        meta.next = index + 1 === meta.spread ? 0 : index + 1
        id = String(index)
        client = clients.pool[index] ??= clients.make(id)
      } else {
        client = clients.make(id)
      }
      const key = nextKey()
      const input: CallPayload = { k: key, p: payload }
      const call =
        status === undefined || status === taskStatusIgnored
          ? (client[task]!(input) as AnyEffect)
          : startCall(client[`${task}${START}`]!(input, { asQueue: true }), status)
      return supervise(meta, task, id, client, key, call)
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

const supervise = (
  meta: Meta,
  task: string,
  entityId: string,
  client: RawClient,
  key: string,
  call: AnyEffect
): AnyEffect =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.forkChild(restore(call), { startImmediately: true }), (child) =>
      Effect.flatMap(
        Effect.onInterrupt(restore(Fiber.await(child)), () => cancelAndWait(meta, client, key, child)),
        (exit) => settle(exit, meta, task, entityId)
      )
    )
  )

/** Ask the runner to cancel the call, then wait for the call to end (its remote side finished). */
const cancelAndWait = (
  meta: Meta,
  client: RawClient,
  key: string,
  child: Fiber.Fiber<unknown, unknown>
): Effect.Effect<void> =>
  Effect.gen(function* () {
    if (child.pollUnsafe() !== undefined) return
    // Sent from its own fiber: the send may retry (no shard owner yet), but waiting is bounded by
    // the call itself, which ends when its runner answers or is lost.
    const sender = yield* Effect.forkChild(Effect.ignore(client[CANCEL]!(key, { discard: true })), {
      startImmediately: true
    })
    if (meta.cancelTimeout === undefined) {
      yield* Fiber.await(child)
    } else {
      const done = yield* Effect.timeoutOption(Fiber.await(child), meta.cancelTimeout)
      // Gave up waiting: the cluster's own interrupt (fire-and-forget) goes out instead.
      if (done._tag === "None") yield* Fiber.interrupt(child)
    }
    yield* Fiber.interrupt(sender)
  })

/** The call's exit as the task's: a lost runner is a typed failure. */
const settle = (exit: Exit.Exit<unknown, unknown>, meta: Meta, task: string, entityId: string): AnyEffect => {
  if (exit._tag === "Success") return exit
  const cause = exit.cause
  if (Cause.hasInterruptsOnly(cause)) {
    // Not cancelled by us (we would not be here): the runner interrupted the call itself.
    return Effect.fail(
      new RemoteTaskLost({ entityType: meta.name, entityId, task, reason: "interrupted on its runner" })
    )
  }
  for (const reason of cause.reasons) {
    if (reason._tag === "Die" && reason.defect instanceof RemoteTaskLost) return Effect.fail(reason.defect)
  }
  return exit
}
