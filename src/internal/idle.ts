/**
 * A hook a scheduler can offer to say "every fiber is blocked": the autojump test scheduler
 * implements it exactly; `waitAllTasksBlocked` uses it when present.
 *
 * @internal
 */
export const WhenIdle: unique symbol = Symbol.for("effect-anyio/WhenIdle")

export interface IdleAware {
  readonly [WhenIdle]: (callback: () => void) => void
}

export const isIdleAware = (u: unknown): u is IdleAware =>
  typeof u === "object" && u !== null && WhenIdle in u
