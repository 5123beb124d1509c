/**
 * What the task group tests share (taskgroup, taskgroup-start, taskgroup-errors).
 */
import { Cause, Data, Effect, Exit } from "effect"
import { Defect, type ExceptionGroup, isExceptionGroup, type Spawned, sleep } from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

export class Failure extends Data.TaggedError("Failure")<{ readonly text: string }> {
  override get message(): string {
    return this.text
  }
}
export const failure = (text: string) => new Failure({ text })

/** AnyIO's `async_error`: sleeps, and raises `text` in its `finally` (so even when cancelled). */
export const failFinally = (text: string, delay: number) =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(Effect.exit(restore(sleep(delay))), () => Effect.fail(failure(text)))
  )

/** The exit of `effect` run on the virtual clock. */
export const runExit = <A, E>(effect: Effect.Effect<A, E>) => Effect.exit(autojump(effect))

/**
 * The one ExceptionGroup an exit fails with (nothing else in the cause), or dies with: a group of
 * defects only dies (its error channel is `never`).
 */
export const groupOf = (exit: Exit.Exit<unknown, unknown>): ExceptionGroup<unknown> => {
  if (Exit.isSuccess(exit)) throw new Error(`expected an ExceptionGroup, got success ${String(exit.value)}`)
  const reasons = exit.cause.reasons
  const reason = reasons[0]
  const eg = reason?._tag === "Fail" ? reason.error : reason?._tag === "Die" ? reason.defect : undefined
  if (reasons.length !== 1 || !isExceptionGroup(eg)) {
    throw new Error(`expected one ExceptionGroup, got:\n${Cause.pretty(exit.cause)}`)
  }
  const typed = reason?._tag === "Fail"
  const onlyDefects = (g: ExceptionGroup<unknown>): boolean =>
    g.exceptions.every((m) => (isExceptionGroup(m) ? onlyDefects(m) : m instanceof Defect))
  if (typed === onlyDefects(eg)) {
    throw new Error(`a group ${typed ? "of defects only failed" : "with a typed failure died"}`)
  }
  return eg
}

/** The one defect an exit dies with. */
export const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown => {
  if (Exit.isSuccess(exit)) throw new Error("expected a defect, got success")
  const reasons = exit.cause.reasons
  const reason = reasons[0]
  if (reasons.length !== 1 || reason?._tag !== "Die") {
    throw new Error(`expected one defect, got:\n${Cause.pretty(exit.cause)}`)
  }
  return reason.defect
}

export const tagsOf = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isSuccess(exit) ? ["Success"] : exit.cause.reasons.map((r) => r._tag)

/** Member texts of a group: Failure text, Defect message, nested groups as arrays. */
export type Shape = string | ReadonlyArray<Shape>
export const shapeOf = (eg: ExceptionGroup<unknown>): ReadonlyArray<Shape> =>
  eg.exceptions.map((m): Shape => {
    if (isExceptionGroup(m)) return shapeOf(m)
    if (m instanceof Failure) return m.text
    if (m instanceof Defect)
      return `defect:${m.defect instanceof Error ? m.defect.message : String(m.defect)}`
    return `other:${String(m)}`
  })

/**
 * Real-time limit for tests that hang when the behaviour is wrong (a task waiting uninterruptibly:
 * autojump's deadlock report cannot interrupt it).
 */
export const HANG_TIMEOUT = 3000

/** A group handle used after its group exited: the type system forbids it (`Spawned` is left). */
export const outside = <A, E>(effect: Effect.Effect<A, E, Spawned<unknown>>) => effect as Effect.Effect<A, E>

export const NOT_ACTIVE = "This task group is not active; no new tasks can be started."
