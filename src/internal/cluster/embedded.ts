/**
 * The embedded cluster layer: the cluster's own sharding, with local runners and in-memory storage
 * (the composition of `TestRunner.layer`, with the caller's sharding options). The distributed
 * layer is in `socket.ts`, loaded only when used (the socket stack is a second of imports).
 *
 * @internal
 */
import { Layer } from "effect"
import * as MessageStorage from "effect/cluster/MessageStorage"
import * as RunnerHealth from "effect/cluster/RunnerHealth"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Runners from "effect/cluster/Runners"
import * as Sharding from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"

type Config = Partial<ShardingConfig.ShardingConfig["Service"]>

/** One runner in this process, everything in memory. */
export const layerEmbedded = (
  config: Config | undefined
): Layer.Layer<Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage> =>
  Sharding.layer.pipe(
    Layer.provideMerge(Runners.layerNoop),
    Layer.provideMerge(MessageStorage.layerMemory),
    Layer.provide([RunnerStorage.layerMemory, RunnerHealth.layerNoop]),
    Layer.provide(ShardingConfig.layer(config))
  )
