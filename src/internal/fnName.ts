/**
 * The default name of a task that runs a function built with `Effect.fn("name")` (issue 15): its
 * span name, as AnyIO names a task by its function.
 *
 * `Effect.fn("fetch")` returns a function with no `.name`; the span name is known only once the
 * effect it returns runs: it pushes two stack frames, `fetch` above `fetch (definition)`, onto
 * `References.CurrentStackFrame`. So a task's name is read from its frames when it first suspends
 * (its fiber's context) or ends (the frame annotating its failure): the outermost such pair above
 * the frame the task was started with. A task that is not inside an `Effect.fn` at that point
 * (one that runs one later, or after a sleep) keeps `Task-<id>`.
 *
 * @internal
 */
import { Cause, Context, type Exit, References } from "effect"

type Frame = References.StackFrame

/** Frames walked at most: a deeper chain is not a task's own. */
const MAX_DEPTH = 64

/**
 * The span name of the outermost `Effect.fn` between `frame` (the task's frame now) and `initial`
 * (the frame it was started with), if `frame` sits on top of `initial`; `Effect.fn` without a name
 * gives none.
 */
export const fnNameBetween = (frame: Frame | undefined, initial: Frame | undefined): string | undefined => {
  let name: string | undefined
  let f = frame
  for (let depth = 0; f !== initial; depth++) {
    if (f === undefined || depth === MAX_DEPTH) return undefined
    const parent: Frame | undefined = f.parent
    if (parent !== undefined && parent.name === `${f.name} (definition)`) {
      name = f.name
      f = parent.parent
    } else {
      f = parent
    }
  }
  return name === "Effect.fn" ? undefined : name
}

/** The frame a context carries (the task's, when it is the task's context). */
export const frameOf = (context: Context.Context<never>): Frame | undefined =>
  Context.get(context, References.CurrentStackFrame)

/** The name from a task's exit: the frame annotating its first failure or defect. */
export const fnNameOfExit = (
  exit: Exit.Exit<unknown, unknown>,
  initial: Frame | undefined
): string | undefined => {
  if (exit._tag === "Success") return undefined
  for (const reason of exit.cause.reasons) {
    if (reason._tag === "Interrupt") continue
    const frame = Context.getOrUndefined(Cause.reasonAnnotations(reason), Cause.StackTrace)
    return fnNameBetween(frame, initial)
  }
  return undefined
}
