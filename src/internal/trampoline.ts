/**
 * The one re-entrancy policy of effect-anyio.
 *
 * Effect runs a resumed, interrupted or freshly forked fiber synchronously, inside the call that
 * resumed, interrupted or forked it. So a chain of such calls grows the JavaScript stack by one
 * fiber run per link: a cancellation cascading down a deep tree of scopes, completions unwinding up
 * one (a task ends, its group resumes its host, a task of the enclosing group, ...), directly nested
 * scope bodies starting one inside the other, hand-offs through primitives (A releases a lock to B,
 * whose body releases to C, ...). Unbounded, that overflows the stack around a thousand levels.
 *
 * **The rule.** Every such re-entry that we cause goes through this module, which counts how many
 * are nested on the stack right now (one counter for all kinds). Below `MAX_DEPTH` a re-entry runs
 * at once, so ordinary programs keep their synchronous behaviour. At `MAX_DEPTH` it is deferred:
 *
 * - a wake-up or a delivery (`bounded(f)`) is queued and run by the outermost re-entry, in FIFO
 *   order, right after its own work, still before control leaves it; a queued `f` that throws does
 *   not stop the others: every queued `f` runs, then the first error is rethrown (all of them, as an
 *   `AggregateError`, if several threw);
 * - the start of a body (`startBody`) cannot wait for the outermost call (the caller needs the
 *   forked fiber now), so the body's first step is a yield to the scheduler, which unwinds the stack.
 *
 * Whoever defers must have put its state in order first: the thing a deferred wake-up delivers
 * (a lock, an item, a permit) already belongs to the waiter, and a waiter interrupted before its
 * deferred wake-up runs gives it back or passes it on (`Effect.callback` ignores a resume that comes
 * after the interruption).
 *
 * @internal
 */
import { Effect, type Fiber } from "effect"

/**
 * How many re-entries may nest on the stack. Each costs one run of a fiber's loop (a few frames);
 * at this bound a chain needs well under a tenth of Node's default stack.
 */
const MAX_DEPTH = 64

let depth = 0
let queue: Array<() => void> = []

const call = (f: () => void): void => f()

/**
 * Runs `f` (which resumes, interrupts or otherwise re-enters another fiber) at once, or, when
 * `MAX_DEPTH` re-entries are already nested, queues it for the outermost one (see the module
 * comment).
 * @internal
 */
export const bounded = (f: () => void): void => {
  if (depth >= MAX_DEPTH) queue.push(f)
  else reenter(call, f)
}

let holding = 0
let held: Array<() => void> = []

/**
 * Runs `deliver` (cancellations delivered together: deadlines that fell due in one tick) and holds
 * back the continuations it releases through {@link resumeHost} until every delivery is made, then
 * runs them in order. Effect runs an interrupted suspended fiber at once, inside `interruptUnsafe`;
 * without this, a scope body cancelled by the first deadline would go on (say, take an item from a
 * stream) before the second deadline's delivery reached its own task, where AnyIO delivers every
 * cancellation of one loop iteration before any task runs.
 * @internal
 */
export const together = (deliver: () => void): void => {
  holding++
  try {
    deliver()
  } finally {
    holding--
  }
  if (holding > 0 || held.length === 0) return
  const continuations = held
  held = []
  for (const f of continuations) bounded(f)
}

/**
 * A scope's host continuing after its body ended: a bounded re-entry, held back while `together`
 * delivers.
 * @internal
 */
export const resumeHost = (f: () => void): void => {
  if (holding > 0) held.push(f)
  else bounded(f)
}

/**
 * Forks `body` with `fork` (which runs it synchronously up to its first suspension) as one
 * re-entry; at `MAX_DEPTH` the body first yields (see the module comment).
 * @internal
 */
export const startBody = <A, E>(
  fork: (effect: Effect.Effect<A, E>) => Fiber.Fiber<A, E>,
  body: Effect.Effect<A, E>
): Fiber.Fiber<A, E> =>
  depth >= MAX_DEPTH ? fork(Effect.andThen(Effect.yieldNow, body)) : reenter(fork, body)

/** Runs `f(x)` one level deeper; the outermost level then drains the queue. */
const reenter = <X, A>(f: (x: X) => A, x: X): A => {
  depth++
  let result: A | undefined
  let errors: Array<unknown> | undefined
  try {
    result = f(x)
  } catch (error) {
    errors = [error]
  }
  depth--
  if (depth === 0 && queue.length > 0) errors = drain(errors)
  if (errors !== undefined) {
    throw errors.length === 1 ? errors[0] : new AggregateError(errors, "several re-entries threw")
  }
  return result as A
}

/**
 * Runs the queued re-entries FIFO, each at depth 1 (so it may nest again); entries queued meanwhile
 * join the end. A throw does not stop the others: it is added to `errors`.
 */
const drain = (errors: Array<unknown> | undefined): Array<unknown> | undefined => {
  depth++
  for (let i = 0; i < queue.length; i++) {
    const f = queue[i]!
    queue[i] = undefined as unknown as () => void
    try {
      f()
    } catch (error) {
      ;(errors ??= []).push(error)
    }
  }
  depth--
  queue = []
  return errors
}
