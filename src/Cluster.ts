/**
 * Task-group tasks that run on an Effect Cluster (`effect/cluster`): each task is a call to an
 * entity, served by whichever runner owns the entity's shard, with AnyIO's rules kept across the
 * wire.
 *
 * Define a set of tasks with their schemas ({@link make}), register their handlers on the runners
 * ({@link toLayer}), and call them from anywhere in the cluster: a call is an ordinary effect, so
 * `tg.startSoon(Jobs.square, 3)`, `tg.createTask(Jobs.square(3))`, `tg.start(Jobs.serve, port)`,
 * `failAfter(5, Jobs.square(3))` all work as with local tasks:
 *
 * - its success is the task's value, decoded by the `success` schema;
 * - its failure (the `error` schema) is a member of the group's `ExceptionGroup`, with its type;
 *   a defect on the runner is a `Defect` member;
 * - cancelling the group (its scope, a deadline, a sibling's failure) cancels the call on its
 *   runner and waits until the remote task finished there, finalizers included;
 * - a runner that dies or becomes unreachable mid-call ends the call with {@link RemoteTaskLost}
 *   (with {@link layerSocket}; no hang, no silent second run);
 * - `tg.start()` returns when the remote task calls `status.started(value)`.
 *
 * Run it embedded ({@link layerEmbedded}: one runner in this process, storage in memory) or
 * distributed ({@link layerSocket}: runner processes over TCP, runner and message storage in SQL,
 * e.g. PostgreSQL through `@effect/sql-pg`). These compose the cluster's own layers.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { createTaskGroup } from "effect-anyio"
 * import * as Cluster from "effect-anyio/cluster"
 *
 * const Jobs = Cluster.make("Jobs", {
 *   square: Cluster.task({ payload: Schema.Number, success: Schema.Number })
 * })
 * const JobsLive = Cluster.toLayer(Jobs, { square: (n) => Effect.succeed(n * n) })
 *
 * const program = createTaskGroup((tg) =>
 *   Effect.gen(function* () {
 *     const handle = yield* tg.createTask(Jobs.square(7))
 *     return yield* handle.join // 49, computed on whichever runner owns entity "0"
 *   })
 * ).pipe(Effect.provide(JobsLive), Effect.provide(Cluster.layerEmbedded()))
 * ```
 *
 * @since 0.1.0
 */
import { Effect, Layer, Schema } from "effect"
import type {
  AlreadyProcessingMessage,
  EntityNotAssignedToRunner,
  MailboxFull,
  PersistenceError
} from "effect/cluster/ClusterError"
import type * as Entity from "effect/cluster/Entity"
import type * as MessageStorage from "effect/cluster/MessageStorage"
import type * as Runners from "effect/cluster/Runners"
import type * as Sharding from "effect/cluster/Sharding"
import type * as ShardingConfig from "effect/cluster/ShardingConfig"
import type * as Scope from "effect/Scope"
import type * as SocketServer from "effect/socket/SocketServer"
import type * as SqlClient from "effect/sql/SqlClient"
import { InvalidArgumentError, RemoteTaskLost } from "./Errors.ts"
import * as client from "./internal/cluster/client.ts"
import * as embedded from "./internal/cluster/embedded.ts"
import { makeEntity } from "./internal/cluster/protocol.ts"
import * as server from "./internal/cluster/server.ts"
import { textOf } from "./internal/text.ts"
import { toSeconds } from "./internal/time.ts"
import type { TaskStatus } from "./TaskGroup.ts"
import type { Seconds } from "./Time.ts"

export { RemoteTaskLost }

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/**
 * The schemas of one remote task: its payload, its success value, its typed failure, and the value
 * it passes to `status.started()` (for `tg.start()`). Made by {@link task}.
 *
 * @category models
 */
export interface TaskSpec<
  P extends Schema.Top = Schema.Void,
  A extends Schema.Top = Schema.Void,
  E extends Schema.Top = Schema.Never,
  V extends Schema.Top = Schema.Void
> {
  readonly payload: P
  readonly success: A
  readonly error: E
  readonly started: V
}

/** Any {@link TaskSpec}. */
export type AnyTaskSpec = TaskSpec<Schema.Top, Schema.Top, Schema.Top, Schema.Top>

/**
 * Failures a remote call can have besides the task's own: its runner was lost
 * ({@link RemoteTaskLost}), or the cluster refused the message (a full mailbox, an entity with no
 * runner during shutdown, storage errors).
 *
 * @category errors
 */
export type RemoteCallError =
  | RemoteTaskLost
  | MailboxFull
  | AlreadyProcessingMessage
  | PersistenceError
  | EntityNotAssignedToRunner

/**
 * A remote task as a function: call it with the payload to get the effect of the call, or pass it
 * to `tg.startSoon` / `tg.start` with its payload. Given a `TaskStatus` (as `tg.start()` does),
 * the call returns through `started(value)` when the remote task signals readiness.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { createTaskGroup } from "effect-anyio"
 * import * as Cluster from "effect-anyio/cluster"
 * const Jobs = Cluster.make("Jobs", { square: Cluster.task({ payload: Schema.Number, success: Schema.Number }) })
 * const program = createTaskGroup((tg) => tg.startSoon(Jobs.square, 3))
 * ```
 * @category models
 */
export type RemoteTask<in P, out A, out E, out V> = (
  payload: P,
  status?: TaskStatus<V>
) => Effect.Effect<A, E | RemoteCallError, Sharding.Sharding>

/**
 * A remote task without a payload: `tg.start()` passes the status as the only argument.
 *
 * @category models
 */
export type RemoteTask0<out A, out E, out V> = (
  status?: TaskStatus<V>
) => Effect.Effect<A, E | RemoteCallError, Sharding.Sharding>

/** The {@link RemoteTask} of a {@link TaskSpec} ({@link RemoteTask0} for a `Schema.Void` payload). */
// biome-ignore lint/suspicious/noConfusingVoidType: the payload type of `Schema.Void` is void.
export type RemoteTaskOf<S extends AnyTaskSpec> = [S["payload"]["Type"]] extends [void]
  ? RemoteTask0<S["success"]["Type"], S["error"]["Type"], S["started"]["Type"]>
  : RemoteTask<S["payload"]["Type"], S["success"]["Type"], S["error"]["Type"], S["started"]["Type"]>

declare const MetaKey: unique symbol

/**
 * A set of remote tasks (one cluster entity type), made by {@link make}: one {@link RemoteTask}
 * per task name.
 *
 * @category models
 */
export type RemoteTasks<Name extends string, Specs extends Record<string, AnyTaskSpec>> = {
  readonly [K in keyof Specs]: RemoteTaskOf<Specs[K]>
} & { readonly [MetaKey]: { readonly name: Name; readonly specs: Specs } }

/**
 * The handler of a remote task on a runner: the payload and a `TaskStatus` (whose `started()`
 * answers a caller's `tg.start()`, and does nothing for other callers).
 *
 * @category models
 */
export type Handler<S extends AnyTaskSpec, R> = (
  payload: S["payload"]["Type"],
  status: TaskStatus<S["started"]["Type"]>
) => Effect.Effect<S["success"]["Type"], S["error"]["Type"], R>

/** One {@link Handler} per task. */
export type Handlers<Specs extends Record<string, AnyTaskSpec>> = {
  readonly [K in keyof Specs]: Handler<Specs[K], unknown>
}

/** What an entity provides to its handlers itself (not required from the layer). */
export type ProvidedByEntity = Scope.Scope | Entity.CurrentAddress | Entity.CurrentRunnerAddress

/** The services the handlers `H` need. */
export type HandlersServices<H> = {
  readonly [K in keyof H]: H[K] extends (...args: never) => Effect.Effect<infer _A, infer _E, infer R>
    ? R
    : never
}[keyof H]

/**
 * Options of {@link make}.
 *
 * @category models
 */
export interface MakeOptions {
  /**
   * Calls without an entity id (see {@link at}) go round-robin over the entity ids `"0"` …
   * `String(spread - 1)`, which the cluster spreads over its shards and so over its runners.
   * Default 16.
   */
  readonly spread?: number | undefined
  /**
   * How long a cancelled call waits for its remote side to finish (seconds, or a Duration). After
   * that the cluster's own interrupt is sent and the caller goes on. Default: as long as it takes
   * (a lost connection still ends the wait with the call).
   */
  readonly cancelTimeout?: Seconds | undefined
}

// ---------------------------------------------------------------------------------------------
// Constructors
// ---------------------------------------------------------------------------------------------

/**
 * The schemas of one remote task. Omitted schemas: no payload (`Schema.Void`), no value
 * (`Schema.Void`), no typed failure (`Schema.Never`), `started()` without a value.
 *
 * **Details**: the schemas cross the wire: failures should be schema classes
 * (`Schema.TaggedError`) so that the caller gets an instance of the class back.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as Cluster from "effect-anyio/cluster"
 * class NotFound extends Schema.TaggedError<NotFound>()("NotFound", { url: Schema.String }) {}
 * const fetchPage = Cluster.task({ payload: Schema.String, success: Schema.String, error: NotFound })
 * ```
 * @category constructors
 */
export const task = <
  P extends Schema.Top = Schema.Void,
  A extends Schema.Top = Schema.Void,
  E extends Schema.Top = Schema.Never,
  V extends Schema.Top = Schema.Void
>(schemas: {
  readonly payload?: P | undefined
  readonly success?: A | undefined
  readonly error?: E | undefined
  readonly started?: V | undefined
}): TaskSpec<NoInfer<P>, NoInfer<A>, NoInfer<E>, NoInfer<V>> =>
  ({
    payload: schemas.payload ?? Schema.Void,
    success: schemas.success ?? Schema.Void,
    error: schemas.error ?? Schema.Never,
    started: schemas.started ?? Schema.Void
  }) as TaskSpec<P, A, E, V>

interface Internals {
  readonly meta: client.Meta
  readonly specs: Readonly<Record<string, AnyTaskSpec>>
}

const internals = new WeakMap<object, Internals>()

const internalsOf = (tasks: object): Internals => {
  const found = internals.get(tasks)
  if (found === undefined) {
    throw new InvalidArgumentError({ message: "not a set of remote tasks made by Cluster.make" })
  }
  return found
}

const bind = (
  meta: client.Meta,
  specs: Readonly<Record<string, AnyTaskSpec>>,
  entityId: string | undefined
): object => {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(specs)) {
    const call = client.makeTaskFunction(meta, name, entityId)
    // Without a payload the status (if any) is the first argument (`tg.start(Jobs.ready)`).
    out[name] =
      specs[name]!.payload.ast._tag === "Void"
        ? (status?: TaskStatus<unknown>) => call(undefined, status)
        : call
  }
  return out
}

/**
 * Defines a set of remote tasks: one cluster entity type named `name` whose RPCs are the tasks.
 * The same definition is used by callers and by runners ({@link toLayer}).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as Cluster from "effect-anyio/cluster"
 * const Jobs = Cluster.make("Jobs", {
 *   square: Cluster.task({ payload: Schema.Number, success: Schema.Number }),
 *   ready: Cluster.task({ started: Schema.String })
 * })
 * ```
 * @see {@link toLayer} to serve them, {@link at} to pick the entity id.
 * @category constructors
 */
export const make = <const Name extends string, const Specs extends Record<string, AnyTaskSpec>>(
  name: Name,
  tasks: Specs,
  options?: MakeOptions
): RemoteTasks<Name, Specs> => {
  const spread = options?.spread ?? 16
  if (!Number.isInteger(spread) || spread < 1) {
    throw new InvalidArgumentError({ message: `spread must be a positive integer, got ${textOf(spread)}` })
  }
  const timeout =
    options?.cancelTimeout === undefined ? undefined : toSeconds(options.cancelTimeout, "cancelTimeout")
  const meta: client.Meta = {
    name,
    entity: makeEntity(name, tasks),
    spread,
    cancelTimeout: timeout === undefined || timeout === Infinity ? undefined : Math.max(0, timeout * 1000),
    next: 0,
    clients: new WeakMap()
  }
  const out = bind(meta, tasks, undefined)
  internals.set(out, { meta, specs: tasks })
  return out as RemoteTasks<Name, Specs>
}

/**
 * The same tasks, sent to the entity `entityId`: calls with one id go to one runner (the owner of
 * its shard) and reach the same entity instance.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as Cluster from "effect-anyio/cluster"
 * const Jobs = Cluster.make("Jobs", { square: Cluster.task({ payload: Schema.Number, success: Schema.Number }) })
 * const onUser42 = Cluster.at(Jobs, "user-42").square(3)
 * ```
 * @category combinators
 */
export const at = <Name extends string, Specs extends Record<string, AnyTaskSpec>>(
  tasks: RemoteTasks<Name, Specs>,
  entityId: string
): { readonly [K in keyof Specs]: RemoteTaskOf<Specs[K]> } => {
  const { meta, specs } = internalsOf(tasks)
  return bind(meta, specs, entityId) as { readonly [K in keyof Specs]: RemoteTaskOf<Specs[K]> }
}

/**
 * The cluster entity behind a set of remote tasks (to register it with other cluster tooling).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as Cluster from "effect-anyio/cluster"
 * const Jobs = Cluster.make("Jobs", { square: Cluster.task({ payload: Schema.Number, success: Schema.Number }) })
 * const type = Cluster.entity(Jobs).type // "Jobs"
 * ```
 * @category getters
 */
export const entity = <Name extends string, Specs extends Record<string, AnyTaskSpec>>(
  tasks: RemoteTasks<Name, Specs>
): Entity.Any => internalsOf(tasks).meta.entity

/**
 * Options of {@link toLayer}.
 *
 * @category models
 */
export interface ToLayerOptions {
  /** Seconds an idle entity instance stays in memory (the cluster's `maxIdleTime`). */
  readonly maxIdleTime?: number | undefined
  /** Calls an entity instance accepts at once before `MailboxFull` (the cluster's default: 4096). */
  readonly mailboxCapacity?: number | "unbounded" | undefined
}

/**
 * Serves a set of remote tasks on this runner: the layer registers the entity with the cluster's
 * `Sharding`, and the runner then serves the calls routed to the shards it owns.
 *
 * **Details**
 *
 * - Handlers may be given directly or built by an effect (run once per entity instance).
 * - Calls to one entity instance run concurrently (a cancel must reach a busy entity); limit
 *   concurrency inside the handlers (e.g. with a `CapacityLimiter`) where needed.
 * - A defect in a handler is that call's failure, not a crash of the entity.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import * as Cluster from "effect-anyio/cluster"
 * const Jobs = Cluster.make("Jobs", {
 *   square: Cluster.task({ payload: Schema.Number, success: Schema.Number }),
 *   ready: Cluster.task({ started: Schema.String })
 * })
 * const JobsLive = Cluster.toLayer(Jobs, {
 *   square: (n) => Effect.succeed(n * n),
 *   ready: (_, status) => Effect.andThen(status.started("listening"), Effect.never)
 * })
 * ```
 * @category layers
 */
export const toLayer = <
  Name extends string,
  Specs extends Record<string, AnyTaskSpec>,
  H extends Handlers<Specs>,
  RX = never
>(
  tasks: RemoteTasks<Name, Specs>,
  handlers: H | Effect.Effect<H, never, RX>,
  options?: ToLayerOptions
): Layer.Layer<never, never, Sharding.Sharding | Exclude<HandlersServices<H> | RX, ProvidedByEntity>> => {
  const { meta } = internalsOf(tasks)
  const build = Effect.map(
    Effect.isEffect(handlers) ? handlers : Effect.succeed(handlers),
    (h) => server.makeHandlers(h as unknown as Record<string, server.AnyHandler>) as never
  )
  return meta.entity.toLayer(build, server.entityOptions(options)) as Layer.Layer<
    never,
    never,
    Sharding.Sharding | Exclude<HandlersServices<H> | RX, ProvidedByEntity>
  >
}

// ---------------------------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------------------------

/**
 * One runner in this process with message and runner storage in memory: the cluster's sharding,
 * with every shard local. Nothing to install; messages are still serialized as across the wire
 * (the cluster's `simulateRemoteSerialization`), so a program that works here works distributed.
 *
 * @example
 * ```ts
 * import * as Cluster from "effect-anyio/cluster"
 * const ClusterLive = Cluster.layerEmbedded()
 * ```
 * @category layers
 */
export const layerEmbedded = (options?: {
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Service"]> | undefined
}): Layer.Layer<Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage> =>
  embedded.layerEmbedded(options?.shardingConfig)

/**
 * Options of {@link layerSocket}.
 *
 * @category models
 */
export interface SocketOptions {
  /** Where this runner listens and how other runners reach it (default `localhost:34431`). */
  readonly runnerAddress?: { readonly host: string; readonly port: number } | undefined
  /** Only call tasks, serve none (no listening socket, owns no shards). */
  readonly clientOnly?: boolean | undefined
  /** The cluster's sharding options (shards per group, lock intervals, ...). */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Service"]> | undefined
  /** Wire format between runners. Default "binary". */
  readonly serialization?: "binary" | "ndjson" | undefined
}

/**
 * A runner (or a client-only member) of a distributed cluster: runners talk over TCP, runner
 * registrations, shard locks and messages live in SQL (provide a `SqlClient`, e.g.
 * `PgClient.layer` of `@effect/sql-pg`). The cluster's own socket runner, sharding and SQL storage,
 * with one difference: a call whose runner becomes unreachable fails with
 * {@link RemoteTaskLost} instead of being retried on the shard's next owner.
 *
 * @example
 * ```ts
 * import * as Cluster from "effect-anyio/cluster"
 * const RunnerLive = Cluster.layerSocket({ runnerAddress: { host: "127.0.0.1", port: 34431 } })
 * // .pipe(Layer.provide(PgClient.layer({ url: Redacted.make(process.env.DATABASE_URL!) })))
 * ```
 * @category layers
 */
export const layerSocket = (
  options?: SocketOptions
): Layer.Layer<
  Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage,
  SocketServer.SocketServerError,
  SqlClient.SqlClient
> =>
  // The socket stack (and the K8s/HTTP modules it imports) loads only for distributed use.
  Layer.unwrap(
    Effect.promise(() => import("./internal/cluster/socket.ts")).pipe(
      Effect.map((m) => m.layerSocket(options ?? {}))
    )
  )
