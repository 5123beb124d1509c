/**
 * The runner side of remote tasks: the entity's handlers, built once per entity instance.
 *
 * Each instance keeps the fibers of its running calls by request id, so that `effect-anyio/cancel`
 * can interrupt one and wait for its finalizers. A cancel that arrives before its call (messages
 * of one caller can be handled out of order) leaves a tombstone that the call finds when it
 * arrives; tombstones are bounded (oldest dropped) because a cancel can also arrive after its
 * call finished.
 *
 * @internal
 */
import { Effect, Fiber, Queue } from "effect"
import type { Snowflake } from "effect/cluster/Snowflake"
import { RuntimeError } from "../../Errors.ts"
import { type TaskStatus, taskStatusIgnored } from "../../TaskGroup.ts"
import { CANCEL, START, type StartChunk } from "./protocol.ts"

/** A user handler, loosely typed (the public module types it). */
export type AnyHandler = (
  payload: unknown,
  status: TaskStatus<unknown>
) => Effect.Effect<unknown, unknown, unknown>

interface Envelope {
  readonly payload: unknown
  readonly requestId: Snowflake
}

const MAX_TOMBSTONES = 1024

type AnyFiber = Fiber.Fiber<unknown, unknown>

/** The handlers of one entity instance for the given user handlers. */
export const makeHandlers = (
  handlers: Readonly<Record<string, AnyHandler>>
): Record<string, (envelope: never) => unknown> => {
  const running = new Map<Snowflake, AnyFiber>()
  const tombstones = new Set<Snowflake>()

  const out: Record<string, (envelope: never) => unknown> = Object.create(null)

  // Answers once the call is over here: interrupted and its finalizers run, or never started.
  out[CANCEL] = (envelope: { readonly payload: Snowflake }) =>
    Effect.suspend(() => {
      const key = envelope.payload
      const fiber = running.get(key)
      if (fiber !== undefined) return Fiber.interrupt(fiber)
      if (tombstones.size >= MAX_TOMBSTONES) tombstones.delete(tombstones.values().next().value!)
      tombstones.add(key)
      return Effect.void
    })

  for (const task of Object.keys(handlers)) {
    const handler = handlers[task]!

    // The handler runs in the request's own fiber (no fork): the cluster's server runs each
    // request in a fiber of its own, so interrupting that fiber interrupts the call. It stays
    // registered for `cancel` until the fiber ends (its reply sent): an observer, not an `onExit`
    // frame (two fewer steps and fewer allocations per call); a cancel that comes after the reply
    // was sent finds the call over.
    out[task] = (envelope: Envelope) =>
      Effect.withFiber((fiber) => {
        const k = envelope.requestId
        if (tombstones.size !== 0 && tombstones.delete(k)) return Effect.interrupt
        running.set(k, fiber)
        fiber.addObserver(() => {
          running.delete(k)
        })
        return handler(envelope.payload, taskStatusIgnored)
      })

    // The stream variant runs the task in a child of the request fiber (interrupted with it), and
    // forwards the task's exit to the stream by observing the fiber: a cancelled task must still
    // end the stream, which a `catchCause` inside the interrupted fiber would not do.
    out[`${task}${START}`] = (envelope: Envelope) =>
      Effect.gen(function* () {
        const k = envelope.requestId
        const p = envelope.payload
        if (tombstones.size !== 0 && tombstones.delete(k)) return yield* Effect.interrupt
        const queue = yield* Queue.make<StartChunk, unknown>()
        let started = false
        const status: TaskStatus<unknown> = {
          started: (value?: unknown) =>
            Effect.suspend(() => {
              if (started) {
                return Effect.die(
                  new RuntimeError({ message: "called 'started' twice on the same task status" })
                )
              }
              started = true
              Queue.offerUnsafe(queue, { _tag: "Started", value })
              return Effect.void
            })
        }
        const fiber = yield* Effect.forkChild(
          Effect.suspend(() => handler(p, status)),
          { startImmediately: true }
        ) as Effect.Effect<AnyFiber>
        running.set(k, fiber)
        fiber.addObserver((exit) => {
          running.delete(k)
          if (exit._tag === "Success") {
            Queue.offerUnsafe(queue, { _tag: "Done", value: exit.value })
            Queue.endUnsafe(queue)
          } else {
            Queue.failCauseUnsafe(queue, exit.cause)
          }
        })
        return queue
      })
  }
  return out
}

/** `Entity.toLayer` options we fix: see `Cluster.toLayer`. */
export const entityOptions = (options?: {
  readonly maxIdleTime?: number | undefined
  readonly mailboxCapacity?: number | "unbounded" | undefined
}) => ({
  // Cancels must reach a busy entity, and tasks are independent calls: no per-entity queueing.
  concurrency: "unbounded" as const,
  // A defect is the task's failure (a Defect member of the caller's group), not a crash of the
  // entity that would restart it and replay its requests.
  disableFatalDefects: true,
  ...(options?.maxIdleTime === undefined ? {} : { maxIdleTime: options.maxIdleTime * 1000 }),
  ...(options?.mailboxCapacity === undefined ? {} : { mailboxCapacity: options.mailboxCapacity })
})
