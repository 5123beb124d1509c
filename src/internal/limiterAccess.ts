/**
 * Synchronous token take/return on a `CapacityLimiter`, filled in by the class's static block: the
 * worker pools' hot path takes a free token without building an Effect (call.ts).
 *
 * @internal
 */
export const limiterAccess: {
  /** Takes a token for `borrower` if one is free and nobody waits; false otherwise. */
  take: (limiter: object, borrower: unknown) => boolean
  /** Returns `borrower`'s token (to the first waiter, if any); nothing if it holds none. */
  give: (limiter: object, borrower: unknown) => void
} = { take: () => false, give: () => {} }
