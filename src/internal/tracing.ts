/**
 * Opt-in tracing (`TaskTracing` in Debugging.ts): spans for task groups, tasks and cancel scopes,
 * with their outcome. Read once per group or scope, so that nothing is paid on the spawn path when
 * it is off.
 *
 * @internal
 */
import type { Cause } from "effect"
import { Effect } from "effect"
import * as scope from "./scope.ts"

/** Wraps an effect in a span that records its outcome. */
export const traced = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  name: string,
  id: number
): Effect.Effect<A, E, R> =>
  Effect.withSpan(
    Effect.onExit(effect, (exit) =>
      Effect.annotateCurrentSpan({
        "anyio.outcome":
          exit._tag === "Success" ? "ok" : scope.hasFailures(exit.cause) ? "failed" : "cancelled",
        ...(exit._tag === "Failure" && !scope.hasFailures(exit.cause)
          ? { "anyio.cancel_reason": cancelReasonOf(exit.cause) }
          : {})
      })
    ),
    name,
    { attributes: { "anyio.id": id } }
  )

const cancelReasonOf = (cause: Cause.Cause<unknown>): string =>
  scope.describeReason(scope.reasonOfCause(cause))
