/**
 * Bounded synchronous recursion. Effect runs a resumed or interrupted fiber synchronously, so a
 * cancellation cascading down a deep tree of scopes, or completions unwinding up one (a task ends,
 * its group resumes its host, which is a task of the enclosing group, ...), recurse once per level
 * and overflow the stack around a thousand levels. `bounded(f)` runs `f` at once while the nesting
 * of such calls is shallow (so ordinary programs keep their synchronous behaviour), and otherwise
 * queues it to run as soon as the outermost call returns, still before control leaves it.
 *
 * @internal
 */
import { Effect, type Fiber } from "effect"

const MAX_DEPTH = 16

let depth = 0
let queue: Array<() => void> = []
let head = 0

export const bounded = (f: () => void): void => {
  if (depth >= MAX_DEPTH) {
    queue.push(f)
    return
  }
  depth++
  try {
    f()
  } finally {
    depth--
  }
  if (depth === 0 && head < queue.length) drain()
}

const drain = (): void => {
  depth++
  try {
    while (head < queue.length) {
      const g = queue[head]!
      queue[head++] = undefined as unknown as () => void
      g()
    }
  } finally {
    depth--
    queue = []
    head = 0
  }
}

/**
 * Entering a scope or a group runs its body synchronously, so directly nested scopes recurse on the
 * JavaScript stack. Past `MAX_NESTED_STARTS` nested starts, a body first yields to the scheduler,
 * which unwinds the stack (only at that depth does its start move to a later tick).
 */
const MAX_NESTED_STARTS = 128

let starts = 0

export const startBody = <A, E>(
  fork: (effect: Effect.Effect<A, E>) => Fiber.Fiber<A, E>,
  body: Effect.Effect<A, E>
): Fiber.Fiber<A, E> => {
  starts++
  try {
    return fork(starts > MAX_NESTED_STARTS ? Effect.andThen(Effect.yieldNow, body) : body)
  } finally {
    starts--
  }
}
