/**
 * Opt-in tracing: spans for task groups, tasks and cancel scopes, with their outcome. Read once per
 * group or scope, so that nothing is paid on the spawn path when it is off.
 *
 * @internal
 */
import type { Cause } from "effect"
import { Context, Effect } from "effect"
import * as scope from "./scope.ts"

/**
 * Turn on spans for task groups, tasks and cancel scopes: each appears in Effect's tracer with its
 * name and outcome (ok, failed, cancelled and why). Off by default, so that spawning stays lean.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup, TaskTracing } from "effect-anyio"
 * const traced = Effect.provideService(createTaskGroup((tg) => tg.startSoon(Effect.void)), TaskTracing, true)
 * ```
 * @category tracing
 */
export const TaskTracing = Context.Reference<boolean>("effect-anyio/TaskTracing", {
  defaultValue: () => false
})

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
