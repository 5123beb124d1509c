/**
 * AnyIO's happy eyeballs (`connect_tcp`, the stateless RFC 6555 variant) over any connect
 * function, so that the algorithm can be tested under virtual time with simulated attempts.
 *
 * Why not `firstSuccess`: it drops the value of an attempt that succeeds in the same instant as
 * the winner, and a connected socket must be closed, not dropped. This is AnyIO's own loop: start
 * an attempt, wait until it finishes or `delay` passes, start the next; the first connection
 * cancels the group; a later one is closed at once.
 *
 * @internal
 */
import { Effect } from "effect"
import { moveOnAfter } from "../../CancelScope.ts"
import { ConnectionFailed, type OSError } from "../../Errors.ts"
import { Event } from "../../Event.ts"
import { createTaskGroup, type TaskGroup } from "../../TaskGroup.ts"

/** Orders resolved addresses as AnyIO does: the first IPv6 first, the first IPv4 after it (when there is an IPv6), then the rest. */
export const orderTargets = (
  addresses: ReadonlyArray<readonly [family: "AF_INET" | "AF_INET6", host: string]>
): Array<string> => {
  const out: Array<string> = []
  let v6 = false
  let v4 = false
  for (const [family, host] of addresses) {
    if (family === "AF_INET6" && !v6) {
      v6 = true
      out.unshift(host)
    } else if (family === "AF_INET" && !v4 && v6) {
      v4 = true
      out.splice(1, 0, host)
    } else out.push(host)
  }
  return out
}

/**
 * Connects to the first of `targets` that accepts, starting the next attempt `delay` seconds after
 * the previous one (or as soon as it failed) while earlier ones keep running. Fails with
 * `ConnectionFailed` ("All connection attempts failed") when every attempt failed.
 */
export const happyEyeballs = <S extends { close(): Effect.Effect<void> }>(
  targets: ReadonlyArray<string>,
  delay: number,
  connect: (target: string) => Effect.Effect<S, OSError>
): Effect.Effect<S, ConnectionFailed> =>
  Effect.suspend(() => {
    let winner: S | undefined
    const errors: Array<OSError> = []
    const tryConnect = (tg: TaskGroup, target: string, done: Event): Effect.Effect<void> =>
      Effect.ensuring(
        // Once `connect` has given a stream, nothing may interrupt before it is kept or closed.
        Effect.uninterruptibleMask((restore) =>
          Effect.matchEffect(restore(connect(target)), {
            onFailure: (e) => Effect.sync(() => void errors.push(e)),
            onSuccess: (stream) => {
              if (winner !== undefined) return stream.close()
              winner = stream
              return tg.cancel()
            }
          })
        ),
        done.set()
      )
    const body = (tg: TaskGroup) =>
      Effect.forEach(
        targets,
        (target) =>
          Effect.suspend(() => {
            const done = new Event()
            return Effect.andThen(
              tg.startSoon(tryConnect(tg, target, done), { name: `connect ${target}` }),
              moveOnAfter(delay, done.wait())
            )
          }),
        { discard: true }
      )
    const result = Effect.flatMap(Effect.orDie(createTaskGroup(body)), () => {
      if (winner !== undefined) return Effect.succeed(winner)
      const cause =
        errors.length === 1 ? errors[0] : new AggregateError(errors, "multiple connection attempts failed")
      return Effect.fail(
        new ConnectionFailed({ message: "All connection attempts failed", code: errors[0]?.code, cause })
      )
    })
    // Cancelled after an attempt won (the group waits for its tasks, then propagates the
    // cancellation): the winner is closed, not leaked.
    return Effect.onExit(result, (exit) =>
      exit._tag === "Failure" && winner !== undefined ? winner.close() : Effect.void
    )
  })
