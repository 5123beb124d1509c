/**
 * The wire protocol of remote tasks: one cluster `Entity` per set of tasks, with three RPCs per
 * task family:
 *
 * - `<task>`: the call itself (payload `{ k, p }`: a call key and the task's payload), for tasks
 *   started with `startSoon` / `createTask` / a plain `yield*`.
 * - `<task>:start`: the same call as a stream of two elements, `Started(value)` when the remote
 *   side calls `status.started(value)`, then `Done(result)`, for `tg.start()`.
 * - `effect-anyio/cancel` (shared): cancels the call with a given key and answers once the remote
 *   side finished (the cluster's own interrupt is fire-and-forget: its reply is dropped, so a
 *   caller could not tell when the remote finalizers ran).
 *
 * The call key is ours (not the cluster's request id) because the caller needs it before the
 * client generates the request, to cancel it later.
 *
 * @internal
 */
import { Context, Schema } from "effect"
import * as Entity from "effect/cluster/Entity"
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

/** The payload of a call: our key and the task's payload. */
export interface CallPayload {
  readonly k: string
  readonly p: unknown
}

/** The elements of a `<task>:start` stream. */
export type StartChunk =
  | { readonly _tag: "Started"; readonly value: unknown }
  | { readonly _tag: "Done"; readonly value: unknown }

/** Builds the entity of a set of task families. */
export const makeEntity = (name: string, specs: Readonly<Record<string, Spec>>): Entity.Any => {
  const rpcs: Array<Rpc.Any> = [Rpc.make(CANCEL, { payload: Schema.String }).annotate(FailOnRunnerLoss, true)]
  for (const task of Object.keys(specs)) {
    const spec = specs[task]!
    const payload = Schema.Struct({ k: Schema.String, p: spec.payload })
    rpcs.push(
      Rpc.make(task, { payload, success: spec.success, error: spec.error }).annotate(FailOnRunnerLoss, true),
      Rpc.make(`${task}${START}`, {
        payload,
        success: Schema.Union([
          Schema.TaggedStruct("Started", { value: spec.started }),
          Schema.TaggedStruct("Done", { value: spec.success })
        ]),
        error: spec.error,
        stream: true
      }).annotate(FailOnRunnerLoss, true)
    )
  }
  return Entity.make(name, rpcs) as unknown as Entity.Any
}

let keyCounter = 0
/** Unique per process (random prefix) and per call (counter): keys from many callers never collide. */
const keyPrefix = `${Math.floor(Math.random() * 2 ** 52).toString(36)}.`

/** A fresh call key. */
export const nextKey = (): string => keyPrefix + (keyCounter++).toString(36)
