/**
 * What the public faces of `toThread` and `toProcess` share: the check of `runSync`'s common
 * options and arguments, the current pool, its limiter, and scoped pools (`makePool`, `withPool`).
 *
 * @internal
 */
import { type Context, Effect, type Fiber, type Scope } from "effect"
import { CapacityLimiter } from "../../CapacityLimiter.ts"
import { invalid } from "./target.ts"

/**
 * The problem with `runSync`'s `args` and `options` (`limiter`, and the boolean options named by
 * `flags`), or undefined.
 */
export const checkRunOptions = (
  args: ReadonlyArray<unknown>,
  options: { readonly limiter?: unknown } | undefined,
  flags: ReadonlyArray<string>
): Effect.Effect<never> | undefined => {
  if (options !== undefined) {
    if (typeof options !== "object" || options === null) return invalid("options must be an object")
    if (options.limiter !== undefined && !(options.limiter instanceof CapacityLimiter)) {
      return invalid("limiter must be a CapacityLimiter")
    }
    for (const key of flags) {
      const value = (options as Record<string, unknown>)[key]
      if (value !== undefined && typeof value !== "boolean") return invalid(`${key} must be a boolean`)
    }
  }
  if (!Array.isArray(args)) return invalid("args must be an array")
  return undefined
}

/** The pool a fiber's calls use: the one provided as `ref`, else the default pool. */
export const currentPoolOf =
  <P, I extends P>(ref: Context.Reference<P | undefined>, defaultPool: () => I) =>
  (fiber: Fiber.Fiber<unknown, unknown>): I =>
    (fiber.getRef(ref) as I | undefined) ?? defaultPool()

/** The current pool's limiter. */
export const currentLimiterOf = (
  currentPool: (fiber: Fiber.Fiber<unknown, unknown>) => { readonly limiter: CapacityLimiter }
): Effect.Effect<CapacityLimiter> => Effect.withFiber((fiber) => Effect.succeed(currentPool(fiber).limiter))

/** A pool made by `make`, closed (every worker gone) with the current `Scope`. */
export const scopedPool = <P extends { close(): Promise<void> }>(
  make: () => P
): Effect.Effect<P, never, Scope.Scope> =>
  Effect.acquireRelease(Effect.sync(make), (pool) => Effect.promise(() => pool.close()))

/** Runs `body` with a pool of its own (from `makePool`) as the current pool (`ref`). */
export const withPoolOf = <P, O, A, E, R>(
  makePool: (options: O | undefined) => Effect.Effect<P, never, Scope.Scope>,
  ref: Context.Reference<P | undefined>,
  options: O | undefined,
  body: Effect.Effect<A, E, R> | ((pool: P) => Effect.Effect<A, E, R>)
): Effect.Effect<A, E, R> =>
  Effect.scoped(
    Effect.flatMap(makePool(options), (pool) =>
      Effect.provideService(typeof body === "function" ? body(pool) : body, ref, pool)
    )
  )
