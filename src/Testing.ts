/**
 * Testing utilities: run a program on a virtual clock that jumps straight to the next timer
 * whenever every task is blocked (trio's `MockClock(autojump_threshold=0)`), with deterministic
 * scheduling, an optional seeded shuffle of ready tasks, and a failure instead of a hang when the
 * program deadlocks.
 *
 * @since 0.1.0
 */
import { Clock, Context, Data, Effect, type Fiber, Scheduler } from "effect"
import { CurrentTask, makeRootTask } from "./internal/task.ts"
import { World } from "./internal/world.ts"

/**
 * The program under {@link autojump} can make no progress: every task is blocked and no timer is
 * pending.
 *
 * @category errors
 */
export class DeadlockError extends Data.TaggedError("DeadlockError")<{
  readonly message: string
  readonly virtualTime: number
}> {}

/**
 * Options of {@link autojump}.
 *
 * @category models
 */
export interface AutojumpOptions {
  /**
   * Run ready tasks in a random order drawn from this seed (reproducible: the same seed gives the
   * same order), instead of first-in first-out.
   */
  readonly shuffleSeed?: number | undefined
  /**
   * How many idle turns of the real event loop to wait before calling the program deadlocked when
   * no timer is pending (promises from outside may still resolve). Default 3.
   */
  readonly idleTurns?: number | undefined
}

/**
 * The ids of a deadlock report numbered per report, so that a report is the same on every run
 * (ids are process-wide counters: they depend on what ran before, e.g. earlier tests). Each kind
 * (`task #`, `task '...' (#n)`, `group #`, `cancel scope #`, `Lock #`, `Event #`, `memory stream #`,
 * ...) is numbered from 1 in creation order of the ones the report shows.
 */
const renumberIds = (report: string): string => {
  // `Word #n`, a task's `(#n)`, and a default task name `'Task-n'` (named after the task's id).
  const pattern = /(\w+) #(\d+)|\(#(\d+)\)|'Task-(\d+)'/g
  const seen = new Map<string, Set<number>>()
  for (const m of report.matchAll(pattern)) {
    const kind = m[1] ?? "task"
    let ids = seen.get(kind)
    if (ids === undefined) seen.set(kind, (ids = new Set()))
    ids.add(Number(m[2] ?? m[3] ?? m[4]))
  }
  const numbering = new Map<string, Map<number, number>>()
  for (const [kind, ids] of seen)
    numbering.set(kind, new Map([...ids].sort((a, b) => a - b).map((id, i) => [id, i + 1])))
  return report.replace(pattern, (_text, word?: string, id?: string, taskId?: string, nameId?: string) => {
    const n = numbering.get(word ?? "task")!.get(Number(id ?? taskId ?? nameId))!
    return word !== undefined ? `${word} #${n}` : taskId !== undefined ? `(#${n})` : `'Task-${n}'`
  })
}

/**
 * Runs `effect` on a virtual clock that starts at 0 and jumps straight to the next pending timer
 * whenever every task is blocked. An hour of sleeps in a tree of task groups with timeouts takes
 * milliseconds of real time, and `currentTime()` shows the virtual time.
 *
 * **When to use**: in tests of code that uses effect-anyio (or plain Effect sleeps and timeouts),
 * instead of advancing the `TestClock` by hand.
 *
 * **Details**
 *
 * - Every fiber of the program runs on one first-in first-out run queue, so the same program gives
 *   the same order of events on every run. With `shuffleSeed`, ready tasks run in a random order
 *   drawn from the seed (reproducible), to flush out order-dependent bugs; the seed is in the
 *   failure message of a deadlock.
 * - When every task is blocked and no timer is pending, the program is interrupted and the result
 *   fails with {@link DeadlockError} instead of hanging.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroup, currentTime, sleep } from "effect-anyio"
 * import { autojump } from "effect-anyio/testing"
 * const program = Effect.gen(function* () {
 *   yield* createTaskGroup((tg) => tg.startSoon(sleep(3600)))
 *   return yield* currentTime() // 3600, after a few milliseconds of real time
 * })
 * const test = autojump(program)
 * ```
 * @category testing
 */
export const autojump = <A, E>(
  effect: Effect.Effect<A, E>,
  options?: AutojumpOptions
): Effect.Effect<A, E | DeadlockError> =>
  Effect.withFiber((parent) => {
    const world = new World(options)
    // The program is a root task of its own ('main'), also when `autojump` runs inside a task: the
    // deadlock report lists the program's tasks only, lock ownership does not leak across the
    // boundary, and plain fibers the program forks belong to it (their waits are reported).
    const root = makeRootTask("main")
    world.root = root
    const context = Context.add(
      Context.add(Context.add(parent.context, Scheduler.Scheduler, world), Clock.Clock, world),
      CurrentTask,
      root
    )
    let fiber: Fiber.Fiber<A, E> | undefined
    let deadlock: string | undefined
    let finish: ((effect: Effect.Effect<A, E | DeadlockError>) => void) | undefined
    const deadlockError = () => new DeadlockError({ message: deadlock!, virtualTime: world.nowMillis / 1000 })
    world.onDeadlock = (message) => {
      if (deadlock !== undefined) {
        // Interrupting did not end it (it waits uninterruptibly, e.g. in a shielded scope): give
        // up on the program and report.
        world.done = true
        finish?.(Effect.fail(deadlockError()))
        return
      }
      const report = renumberIds(message)
      deadlock =
        options?.shuffleSeed === undefined ? report : `${report} [shuffleSeed ${options.shuffleSeed}]`
      fiber?.interruptUnsafe()
    }
    return Effect.callback<A, E | DeadlockError>((resume) => {
      let resumed = false
      finish = (effect) => {
        if (resumed) return
        resumed = true
        resume(effect)
      }
      // Start the program from inside the world so that its first steps are on the run queue too.
      world.schedule(() => {
        fiber = Effect.runForkWith(context)(effect)
        fiber.addObserver((exit) => {
          world.done = true
          finish!(deadlock !== undefined && exit._tag === "Failure" ? Effect.fail(deadlockError()) : exit)
        })
      })
      return Effect.sync(() => fiber?.interruptUnsafe())
    })
  })
