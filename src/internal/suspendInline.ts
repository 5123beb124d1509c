/**
 * `Effect.suspend(body)`, except that `yield* effect` in `Effect.gen` runs `body` right where the
 * generator reaches it, so that an `Exit` it returns (a frame already buffered) completes the step
 * without a trip through the fiber's run loop.
 *
 * Why: `Effect.gen`'s driver takes a yielded `Exit` inline, while any other Effect, even
 * `Effect.sync`, goes through the run loop (a stack frame pushed and popped, two evaluations, two
 * yield-budget checks): for `receiveUntil` on a buffered 100-byte line that trip costs about twice
 * the scan itself. `yield* x` calls `x[Symbol.iterator]()` when the generator reaches it, that is
 * while the fiber runs the step, with nothing in between that could observe the difference (a
 * buffered result involves no checkpoint, as in AnyIO). Everywhere else (`flatMap`, `pipe`,
 * `runPromise`) the effect is the plain `Effect.suspend(body)`.
 *
 * @internal
 */
import { Effect, Utils } from "effect"

export const suspendInline = <A, E>(body: () => Effect.Effect<A, E>): Effect.Effect<A, E> => {
  const effect = Effect.suspend(body)
  Object.defineProperty(effect, Symbol.iterator, {
    value: () => new Utils.SingleShotGen(body())
  })
  return effect
}
