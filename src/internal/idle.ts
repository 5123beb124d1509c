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

/**
 * A scheduler that wants every task scheduled on its own (the autojump scheduler in shuffle mode,
 * so that it can reorder them); otherwise tasks started in one go begin in one scheduled step.
 */
export const ScheduleEachTask: unique symbol = Symbol.for("effect-anyio/ScheduleEachTask")

export const schedulesEachTask = (u: unknown): boolean =>
  typeof u === "object" &&
  u !== null &&
  ScheduleEachTask in u &&
  (u as { [ScheduleEachTask]: boolean })[ScheduleEachTask]
