/**
 * A guard that turns concurrent use of a resource into an error (AnyIO's `anyio.ResourceGuard`). See
 * `Lock.ts` for the conventions shared by all synchronization primitives.
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import { BusyResourceError } from "./Errors.ts"

/**
 * Ensures that a resource is used by one task at a time, failing instead of waiting (AnyIO's
 * `anyio.ResourceGuard`).
 *
 * **When to use**
 *
 * In stream or connection implementations, to reject a second concurrent `receive` (or `send`) with a
 * clear `BusyResourceError` rather than interleaving two readers. To make the second user wait
 * instead, use a {@link Lock}.
 *
 * **Details**
 *
 * - `guard.use(body)` fails with `BusyResourceError` (a typed failure, message
 *   `"Another task is already <action> this resource"`) if the guard is in use, else runs `body` and
 *   frees the guard however `body` exits.
 * - `guard.useScoped()` holds the guard until the enclosing `Scope` closes.
 * - Not re-entrant: nested use by the same task fails too, as AnyIO.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResourceGuard } from "effect-anyio"
 *
 * const guard = new ResourceGuard("reading from")
 * const receive = guard.use(Effect.succeed("data"))
 * ```
 * @see {@link Lock}
 * @category models
 */
export class ResourceGuard {
  /** The action named in the `BusyResourceError` (default `"using"`). */
  readonly action: string
  #guarded = false
  readonly #free = (): undefined => {
    this.#guarded = false
    return undefined
  }

  constructor(action = "using") {
    this.action = action
  }

  /** Whether the guard is currently held. */
  inUse(): boolean {
    return this.#guarded
  }

  /** Runs `body` while holding the guard; fails with `BusyResourceError` if it is already held. */
  use<A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E | BusyResourceError, R> {
    return Effect.uninterruptibleMask((restore) => {
      if (this.#guarded) return Effect.fail(new BusyResourceError({ action: this.action }))
      this.#guarded = true
      return Effect.onExitPrimitive(restore(body), this.#free, true)
    })
  }

  /** Holds the guard until the enclosing `Scope` closes; fails with `BusyResourceError` if held. */
  useScoped(): Effect.Effect<void, BusyResourceError, Scope.Scope> {
    return Effect.uninterruptibleMask(() => {
      if (this.#guarded) return Effect.fail(new BusyResourceError({ action: this.action }))
      this.#guarded = true
      return Effect.addFinalizer(() => Effect.sync(this.#free))
    })
  }
}
