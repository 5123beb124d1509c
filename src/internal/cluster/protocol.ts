/**
 * The wire protocol of remote tasks: one cluster `Entity` per set of tasks, with three RPCs per
 * task family:
 *
 * - `<task>`: the call itself (the task's payload as it is), for tasks started with `startSoon` /
 *   `createTask` / a plain `yield*`.
 * - `<task>:start`: the same call as a stream of two elements, `Started(value)` when the remote
 *   side calls `status.started(value)`, then `Done(result)`, for `tg.start()`.
 * - `effect-anyio/cancel` (shared): cancels the call with a given request id and answers once the remote
 *   side finished (the cluster's own interrupt is fire-and-forget: its reply is dropped, so a
 *   caller could not tell when the remote finalizers ran).
 *
 * A call is known on both sides by the cluster's own request id: the runner reads it from the
 * request's envelope, and the caller learns it from a hook on our RPCs (the cluster's
 * `ClusterSchema.Dynamic` annotation, which the cluster calls with each request's envelope as it
 * builds it, synchronously in the caller's fiber). Earlier a key of ours travelled in a header:
 * made per call, merged into the request's headers, encoded and decoded on every hop, ~5% of an
 * embedded round trip; the request id costs nothing to carry.
 *
 * @internal
 */
import { Context, Fiber, Schema } from "effect"
import * as ClusterSchema from "effect/cluster/ClusterSchema"
import * as Entity from "effect/cluster/Entity"
import type * as Envelope from "effect/cluster/Envelope"
import * as Snowflake from "effect/cluster/Snowflake"
import * as Rpc from "effect/rpc/Rpc"

/** Suffix of the streaming variant of a task's RPC. */
export const START = ":start"
/** Tag of the shared cancel RPC. */
export const CANCEL = "effect-anyio/cancel"

/**
 * Marks our call RPCs: a runner that becomes unreachable mid-call fails the call with
 * `RemoteTaskLost` (see `socket.ts`) instead of the cluster's default for volatile messages,
 * which retries until the shard has a new owner and then runs the request again there.
 */
export const FailOnRunnerLoss = Context.Reference<boolean>("effect-anyio/cluster/FailOnRunnerLoss", {
  defaultValue: () => false
})

/** One task family as given by the user (schemas). */
export interface Spec {
  readonly payload: Schema.Top
  readonly success: Schema.Top
  readonly error: Schema.Top
  readonly started: Schema.Top
}

/** The elements of a `<task>:start` stream. */
export type StartChunk =
  | { readonly _tag: "Started"; readonly value: unknown }
  | { readonly _tag: "Done"; readonly value: unknown }

/**
 * A call of ours in progress in a caller fiber: its request id once the cluster built its
 * envelope (see {@link arm}), `undefined` while it has not (then there is nothing to cancel on a
 * runner).
 */
export interface PendingCall {
  readonly fiber: Fiber.Fiber<unknown, unknown>
  requestId: Snowflake.Snowflake | undefined
}

/**
 * The call armed last and not yet given its request id. A fiber has one call of ours at a time,
 * and between `arm` and the cluster building the envelope the fiber runs a few synchronous steps
 * only, so this is almost always that call's own hook's; but the fiber can yield there (the
 * scheduler's op budget) and another fiber arm its call meanwhile: the displaced call is parked
 * by fiber and found there by its hook.
 */
let armed: PendingCall | undefined
const parked = new Map<Fiber.Fiber<unknown, unknown>, PendingCall>()

/** Before a call: the next request built in `call.fiber` is its request. */
export const arm = (call: PendingCall): void => {
  const displaced = armed
  if (displaced !== undefined) park(displaced)
  armed = call
}

const park = (call: PendingCall): void => {
  // A call interrupted between `arm` and its first frame never disarms: drop those of done fibers.
  if (parked.size >= 64) {
    for (const fiber of parked.keys()) if (fiber.pollUnsafe() !== undefined) parked.delete(fiber)
  }
  parked.set(call.fiber, call)
}

/** After a call whose request was never built (it failed or was interrupted before). */
export const disarm = (call: PendingCall): void => {
  if (armed === call) armed = undefined
  else if (parked.get(call.fiber) === call) parked.delete(call.fiber)
}

/** Our RPCs' `ClusterSchema.Dynamic`: gives the armed call of the current fiber its request id. */
export const recordRequestId = (
  annotations: Context.Context<never>,
  request: Envelope.Request<Rpc.AnyWithProps>
): Context.Context<never> => {
  // The cluster calls this for each hop of a request (the caller's, the runner's): only the first,
  // in the caller's fiber, finds the call armed.
  const call = armed
  if (call !== undefined && call.fiber === Fiber.getCurrent()) {
    call.requestId = request.requestId
    armed = undefined
  } else if (parked.size !== 0) {
    const fiber = Fiber.getCurrent()
    const found = fiber === undefined ? undefined : parked.get(fiber)
    if (found !== undefined) {
      found.requestId = request.requestId
      parked.delete(fiber!)
    }
  }
  return annotations
}

/** Builds the entity of a set of task families. */
export const makeEntity = (name: string, specs: Readonly<Record<string, Spec>>): Entity.Any => {
  const rpcs: Array<Rpc.Any> = [
    Rpc.make(CANCEL, { payload: Snowflake.SnowflakeFromString }).annotate(FailOnRunnerLoss, true)
  ]
  for (const task of Object.keys(specs)) {
    const spec = specs[task]!
    rpcs.push(
      Rpc.make(task, { payload: spec.payload, success: spec.success, error: spec.error })
        .annotate(FailOnRunnerLoss, true)
        .annotate(ClusterSchema.Dynamic, recordRequestId),
      Rpc.make(`${task}${START}`, {
        payload: spec.payload,
        success: Schema.Union([
          Schema.TaggedStruct("Started", { value: spec.started }),
          Schema.TaggedStruct("Done", { value: spec.success })
        ]),
        error: spec.error,
        stream: true
      })
        .annotate(FailOnRunnerLoss, true)
        .annotate(ClusterSchema.Dynamic, recordRequestId)
    )
  }
  return Entity.make(name, rpcs) as unknown as Entity.Any
}
