/**
 * The accept loop behind every listener's `serve` (AnyIO's `SocketListener.serve`): accept, start
 * the handler as a task, repeat. The handler's stream is closed when the handler ends; the
 * listener is closed when the loop ends.
 *
 * @internal
 */
import { Effect } from "effect"
import type { AsyncResource } from "../../Streams.ts"
import { createTaskGroup, type TaskGroup } from "../../TaskGroup.ts"

/**
 * Accepts with `accept` and starts `handler(stream)` in `taskGroup` (or in a group of its own)
 * until cancelled or failed; then closes the listener with `close`.
 */
export const serveLoop = <T extends AsyncResource, EA, E, R>(
  accept: Effect.Effect<T, EA>,
  close: Effect.Effect<void>,
  handler: (stream: T) => Effect.Effect<unknown, E, R>,
  taskGroup: TaskGroup | undefined
): Effect.Effect<never, unknown, R> => {
  const loop = (tg: TaskGroup): Effect.Effect<never, EA, R> =>
    Effect.forever(
      // Between the accept and the start of its task nothing may interrupt: the stream would leak.
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(accept), (stream) =>
          Effect.onError(
            tg.startSoon(
              Effect.ensuring(
                Effect.suspend(() => handler(stream)),
                Effect.suspend(() => stream.close())
              )
            ),
            () => stream.close()
          )
        )
      )
    ) as Effect.Effect<never, EA, R>
  const run: Effect.Effect<unknown, unknown, unknown> =
    taskGroup === undefined ? createTaskGroup(loop) : loop(taskGroup)
  return Effect.ensuring(run, close) as Effect.Effect<never, unknown, R>
}
