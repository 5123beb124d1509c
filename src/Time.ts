/**
 * Sleeping, the current time and checkpoints, in seconds as AnyIO has them. Time comes from
 * Effect's `Clock`, so the `TestClock` drives it in tests.
 *
 * @since 0.1.0
 */
import { type Duration, Effect } from "effect"
import { CurrentScope, effectiveDeadline, interruptIfCancelled, nowSeconds } from "./internal/scope.ts"
import { sleepSeconds } from "./internal/sleep.ts"
import { toSeconds } from "./internal/time.ts"

/**
 * A delay or point in time: seconds as a number (as AnyIO has them), or an Effect `Duration` input
 * (`"2 seconds"`, `Duration.millis(5)`). Unlike Effect, a bare number means seconds.
 *
 * @example
 * ```ts
 * import { type Seconds, sleep } from "effect-anyio"
 * const pause = (d: Seconds) => sleep(d)
 * const program = pause("250 millis")
 * ```
 * @category time
 */
export type Seconds = number | Exclude<Duration.Input, number>

const seconds = (value: unknown, what: string): Effect.Effect<number> =>
  Effect.suspend(() => Effect.succeed(toSeconds(value, what)))

/**
 * Suspends the current task for `delay` seconds (AnyIO's `sleep`). `sleep(0)` is a checkpoint.
 *
 * **Details**: a number is seconds; an Effect `Duration` is accepted too. Negative delays act as 0.
 * NaN or a non-number dies with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { sleep } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   yield* sleep(0.5) // half a second
 *   yield* sleep("2 seconds")
 * })
 * ```
 * @category time
 */
export const sleep = (delay: Seconds): Effect.Effect<void> =>
  Effect.flatMap(seconds(delay, "delay"), (s) => (s > 0 ? sleepSeconds(s) : Effect.yieldNow))

/**
 * Suspends the current task until it is cancelled (AnyIO's `sleep_forever`).
 *
 * @example
 * ```ts
 * import { moveOnAfter, sleepForever } from "effect-anyio"
 * const program = moveOnAfter(1, sleepForever())
 * ```
 * @category time
 */
export const sleepForever = (): Effect.Effect<never> => Effect.never

/**
 * Suspends the current task until the clock reaches `deadline` (seconds, as from `currentTime()`);
 * returns after a checkpoint when the deadline has already passed (AnyIO's `sleep_until`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { currentTime, sleepUntil } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const start = yield* currentTime()
 *   yield* sleepUntil(start + 5)
 * })
 * ```
 * @category time
 */
export const sleepUntil = (deadline: number): Effect.Effect<void> =>
  Effect.flatMap(seconds(deadline, "deadline"), (d) =>
    Effect.withFiber((fiber) => {
      const delay = d - nowSeconds(fiber.context)
      return delay > 0 ? sleepSeconds(delay) : Effect.yieldNow
    })
  )

/**
 * The current time in seconds, from a monotonic clock (AnyIO's `current_time`). Under the
 * `TestClock` it starts at 0 and moves only when the test adjusts it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { currentTime } from "effect-anyio"
 * const program = Effect.map(currentTime(), (t) => console.log(`t = ${t}s`))
 * ```
 * @category time
 */
export const currentTime = (): Effect.Effect<number> =>
  Effect.withFiberSucceed((fiber) => nowSeconds(fiber.context))

/**
 * The nearest deadline of the enclosing cancel scopes, walking outward to the first shielded scope
 * (AnyIO's `current_effective_deadline`): `Infinity` when there is none, `-Infinity` when one of
 * them has been cancelled.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { currentEffectiveDeadline, moveOnAfter } from "effect-anyio"
 * const program = moveOnAfter(5, currentEffectiveDeadline()) // Some(now + 5)
 * ```
 * @category time
 */
export const currentEffectiveDeadline = (): Effect.Effect<number> =>
  Effect.withFiberSucceed((fiber) => effectiveDeadline(fiber.getRef(CurrentScope)))

/**
 * A checkpoint (AnyIO's `lowlevel.checkpoint`): lets other tasks run and raises a pending
 * cancellation.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { checkpoint } from "effect-anyio"
 * const busy = Effect.gen(function* () {
 *   for (let i = 0; i < 1000; i++) yield* checkpoint()
 * })
 * ```
 * @category time
 */
export const checkpoint = (): Effect.Effect<void> => Effect.yieldNow

/**
 * Raises a pending cancellation without yielding (AnyIO's `checkpoint_if_cancelled`): when an
 * enclosing scope (up to the first shield) was cancelled, the current task is cancelled here, even
 * if it has not suspended since; otherwise it goes on at once.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { cancelScope, checkpointIfCancelled } from "effect-anyio"
 * const program = cancelScope({}, (scope) =>
 *   Effect.gen(function* () {
 *     yield* scope.cancel()
 *     yield* checkpointIfCancelled() // the scope's cancellation is raised here
 *   })
 * )
 * ```
 * @category time
 */
export const checkpointIfCancelled = (): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const status = fiber.getRef(CurrentScope)
    if (status !== undefined) interruptIfCancelled(status, fiber, true)
    return Effect.void
  })

/**
 * Yields to other tasks without raising a pending cancellation (AnyIO's
 * `cancel_shielded_checkpoint`).
 *
 * @example
 * ```ts
 * import { cancelShieldedCheckpoint } from "effect-anyio"
 * const step = cancelShieldedCheckpoint()
 * ```
 * @category time
 */
export const cancelShieldedCheckpoint = (): Effect.Effect<void> => Effect.uninterruptible(Effect.yieldNow)
