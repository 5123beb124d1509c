/**
 * The distributed cluster layer, composed from the cluster's own layers (socket runner, sharding,
 * SQL runner and message storage, ping health): `NodeClusterSocket.layer`'s composition, with one
 * change: our `Runners` service fails a remote-task call whose runner becomes unreachable with
 * `RemoteTaskLost`, where the cluster retries a volatile request until its shard has a new owner
 * (up to `shardLockExpiration`, 35 s by default) and then runs it a second time there.
 *
 * @internal
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import { Context, Effect, Exit, Layer, Option } from "effect"
import type * as MessageStorage from "effect/cluster/MessageStorage"
import * as Reply from "effect/cluster/Reply"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as RunnerHealth from "effect/cluster/RunnerHealth"
import * as RunnerServer from "effect/cluster/RunnerServer"
import type * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Runners from "effect/cluster/Runners"
import * as Sharding from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as Snowflake from "effect/cluster/Snowflake"
import * as SqlMessageStorage from "effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "effect/cluster/SqlRunnerStorage"
import type * as Rpc from "effect/rpc/Rpc"
import * as RpcSerialization from "effect/rpc/RpcSerialization"
import * as RpcServer from "effect/rpc/RpcServer"
import type * as SocketServer from "effect/socket/SocketServer"
import type * as SqlClient from "effect/sql/SqlClient"
import { RemoteTaskLost } from "../../Errors.ts"
import { FailOnRunnerLoss } from "./protocol.ts"

type Config = Partial<ShardingConfig.ShardingConfig["Service"]>

/** `Runners.send`, failing our calls with `RemoteTaskLost` when their runner is unreachable. */
const failOnRunnerLoss = (
  runners: Runners.Runners["Service"],
  snowflakes: Snowflake.Snowflake.Generator
): Runners.Runners["Service"] => ({
  ...runners,
  send: (options) =>
    Effect.catchTag(runners.send(options), "RunnerUnavailable", (error) => {
      const message = options.message
      if (!Context.get((message.rpc as Rpc.AnyWithProps).annotations, FailOnRunnerLoss))
        return Effect.fail(error)
      // An ack or interrupt for a call whose runner is gone: nothing left to tell it (a runner
      // that lost the connection interrupts the call itself). Retrying would hold up the call's
      // own failure behind it until the shard moves: a chunk's ack is sent before the next reply
      // is read.
      if (message._tag === "OutgoingEnvelope") return Effect.void
      const { address, requestId, tag } = message.envelope
      const lost = new RemoteTaskLost({
        entityType: address.entityType,
        entityId: address.entityId,
        task: tag.endsWith(":start") ? tag.slice(0, -6) : tag,
        reason: "runner unavailable",
        runner: `${error.address.host}:${error.address.port}`
      })
      // A defect through the client; the caller turns it into the typed failure.
      return message.respond(
        new Reply.WithExit({ id: snowflakes.nextUnsafe(), requestId, exit: Exit.die(lost) })
      )
    })
})

const layerRunners: Layer.Layer<
  Runners.Runners,
  never,
  MessageStorage.MessageStorage | Runners.RpcClientProtocol | ShardingConfig.ShardingConfig
> = Layer.effect(
  Runners.Runners,
  Effect.gen(function* () {
    const runners = yield* Runners.makeRpc
    return failOnRunnerLoss(runners, yield* Snowflake.Generator)
  })
).pipe(Layer.provide(Snowflake.layerGenerator))

/** Options of the distributed layer (see `Cluster.layerSocket`). */
export interface SocketOptions {
  readonly runnerAddress?: { readonly host: string; readonly port: number } | undefined
  readonly clientOnly?: boolean | undefined
  readonly shardingConfig?: Config | undefined
  readonly serialization?: "binary" | "ndjson" | undefined
}

/** Runners over TCP sockets, runner and message storage in SQL (`NodeClusterSocket.layer`'s parts). */
export const layerSocket = (
  options: SocketOptions
): Layer.Layer<
  Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage,
  SocketServer.SocketServerError,
  SqlClient.SqlClient
> => {
  const clientOnly = options.clientOnly === true
  const core: Layer.Layer<
    Sharding.Sharding | Runners.Runners,
    SocketServer.SocketServerError,
    | Runners.RpcClientProtocol
    | ShardingConfig.ShardingConfig
    | RpcSerialization.RpcSerialization
    | MessageStorage.MessageStorage
    | RunnerStorage.RunnerStorage
  > = clientOnly
    ? Sharding.layer.pipe(Layer.provideMerge(layerRunners), Layer.provide(RunnerHealth.layerNoop))
    : RunnerServer.layer.pipe(
        Layer.provideMerge(Sharding.layer),
        Layer.provideMerge(layerRunners),
        Layer.provide(RpcServer.layerProtocolSocketServer),
        Layer.provide(NodeClusterSocket.layerSocketServer),
        Layer.provide(RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc)))
      )
  const address = options.runnerAddress
  const config: Config = {
    ...options.shardingConfig,
    ...(clientOnly
      ? { runnerAddress: Option.none() }
      : address === undefined
        ? {}
        : { runnerAddress: Option.some(RunnerAddress.make(address.host, address.port)) })
  }
  return core.pipe(
    Layer.provide(NodeClusterSocket.layerClientProtocol),
    Layer.provideMerge(SqlMessageStorage.layer.pipe(Layer.provide(NodeCrypto.layerDigest))),
    Layer.provide(Layer.orDie(SqlRunnerStorage.layer)),
    Layer.provide(ShardingConfig.layer(config)),
    Layer.provide(
      options.serialization === "ndjson" ? RpcSerialization.layerNdjson : RpcSerialization.layerSchemaBinary()
    )
  )
}
