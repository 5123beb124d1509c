/**
 * `sleep` on the deadline queue (`deadlines.ts`), not on one clock timer per sleeper: sleepers due
 * in one tick are all woken together, as asyncio moves every due timer to its ready queue before it
 * runs any task. Each wake-up is scheduled on the sleeper's dispatcher (`waitQueue.ts`), so a
 * sleeper whose time has come is not cancelled by a sibling that woke in the same tick and failed:
 * it runs to its next suspension first (AnyIO reports both failures;
 * test/reference/woken_tasks_fail_together.py). With Effect's `sleep` the first sleeper resumed
 * inline and cancelled the second before its timer callback ran.
 *
 * @internal
 */
import { Clock, Context, Duration, Effect, type Fiber } from "effect"
import { DeadlineEntry, type DeadlineOwner, defaultClock, queueOfClock } from "./deadlines.ts"
import { scheduleWake } from "./waitQueue.ts"

class Sleeper implements DeadlineOwner {
  readonly hostContext: Fiber.Fiber<unknown, unknown>["context"]
  readonly fiber: Fiber.Fiber<unknown, unknown>
  readonly resume: (effect: Effect.Effect<void>) => void
  constructor(fiber: Fiber.Fiber<unknown, unknown>, resume: (effect: Effect.Effect<void>) => void) {
    this.fiber = fiber
    this.hostContext = fiber.context
    this.resume = resume
  }
  onDeadline(): boolean {
    scheduleWake(this.fiber, () => this.resume(Effect.void))
    return false
  }
  deliverDeadline(): void {}
}

/**
 * Suspends the current fiber for `s` > 0 seconds of its clock. On Effect's default clock: the
 * deadline queue (one Node timer for every sleeper). On any other clock, that clock's own `sleep`
 * (a virtual clock keeps its sleepers itself; `autojump`'s world schedules their wake-ups the same
 * way).
 * @internal
 */
export const sleepSeconds = (s: number): Effect.Effect<void> =>
  Effect.withFiber((fiber) => {
    const clock = Context.get(fiber.context, Clock.Clock)
    if (clock !== defaultClock) return Effect.sleep(Duration.millis(s * 1000))
    const queue = queueOfClock(clock)
    const deadline = queue.now() + s
    return Effect.callback<void>((resume) => {
      const entry = new DeadlineEntry(new Sleeper(fiber, resume))
      queue.add(entry, deadline)
      return Effect.sync(() => queue.discard(entry))
    })
  })
