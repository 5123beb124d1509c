/**
 * Several listeners as one (AnyIO's `anyio.streams.stapled.MultiListener`): what
 * `createTcpListener` returns (one listener per address family it bound), and a way to serve TCP
 * and Unix sockets with one handler.
 *
 * @since 0.4.0
 */
import { Effect } from "effect"
import type { GroupOfLeaves } from "./ExceptionGroup.ts"
import type { AcceptError, Listener } from "./Streams.ts"
import { ResourceBase } from "./Streams.ts"
import { createTaskGroup, type Spawned, type TaskGroup } from "./TaskGroup.ts"
import { attributeMap, type TypedAttributeMap } from "./TypedAttribute.ts"

/**
 * Serves connections from several listeners at once (AnyIO's `MultiListener`).
 *
 * **Details**
 * - Listeners that are themselves `MultiListener`s are flattened: their listeners move into this
 *   one (and the old multi-listener is left empty), as in AnyIO.
 * - `serve(handler, taskGroup?)` serves every listener in a task group of its own (each
 *   listener's `serve` a task, with `taskGroup` passed on); a failure of one stops all of them and
 *   comes out as a nested `ExceptionGroup`.
 * - `close()` closes every listener. The attributes are those of every listener, a later one
 *   winning over an earlier one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTcpListener, createUnixListener, MultiListener } from "effect-anyio"
 * const both = Effect.gen(function* () {
 *   const tcp = yield* createTcpListener({ localHost: "127.0.0.1" })
 *   const unix = yield* createUnixListener("/tmp/app.sock")
 *   return new MultiListener([tcp, unix])
 * })
 * ```
 * @category models
 */
export class MultiListener<T, EA = AcceptError> extends ResourceBase implements Listener<T, EA> {
  /** The listeners served. */
  readonly listeners: Array<Listener<T, EA>>

  constructor(listeners: Iterable<Listener<T, EA>>) {
    super()
    const flat: Array<Listener<T, EA>> = []
    for (const listener of listeners) {
      if (listener instanceof MultiListener) {
        flat.push(...(listener.listeners as Array<Listener<T, EA>>))
        listener.listeners.length = 0
      } else flat.push(listener)
    }
    this.listeners = flat
  }

  serve<E = never, R = never>(
    handler: (stream: T) => Effect.Effect<unknown, E, R>
  ): Effect.Effect<never, GroupOfLeaves<E | EA>, R>
  serve<E = never, R = never>(
    handler: (stream: T) => Effect.Effect<unknown, E, R>,
    taskGroup: TaskGroup
  ): Effect.Effect<never, GroupOfLeaves<EA>, R | Spawned<E>>
  serve<E, R>(
    handler: (stream: T) => Effect.Effect<unknown, E, R>,
    taskGroup?: TaskGroup
  ): Effect.Effect<never, unknown, unknown> {
    const served = createTaskGroup((tg) =>
      Effect.forEach(
        this.listeners,
        (listener) =>
          tg.startSoon(
            (taskGroup === undefined
              ? listener.serve(handler)
              : listener.serve(handler, taskGroup)) as Effect.Effect<never, unknown, R>
          ),
        { discard: true }
      )
    )
    // Every listener's serve runs forever; the group ends only by cancellation or failure.
    return Effect.ensuring(Effect.andThen(served, Effect.never), this.close())
  }

  close(): Effect.Effect<void> {
    return Effect.forEach(this.listeners, (listener) => listener.close(), { discard: true })
  }

  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([], ...this.listeners.map((l) => l.extraAttributes))
  }
}
