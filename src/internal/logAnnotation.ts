/**
 * The `task` log annotation of task groups: every log line written inside a task carries the
 * task's name.
 *
 * @internal
 */
import { Fiber } from "effect"
import { taskOfFiber } from "./task.ts"

/**
 * Log annotations whose `task` entry is the name of the task that logs. One object per group and
 * spawner context, not per task: the entry is a getter that reads the current fiber's task when a
 * log line is written (a per-task annotations object would cost every spawn an allocation and two
 * context entries). Returns `parent` itself when it already has that entry.
 */
export const withTaskAnnotation = (
  parent: Readonly<Record<string, unknown>>
): Readonly<Record<string, unknown>> => {
  // Nested groups meet the same object at every level: tested first, before the set's lookup.
  if (parent === lastWithTask) return parent
  if (withTask.has(parent)) {
    lastWithTask = parent
    return parent
  }
  const annotations: Record<string, unknown> = { ...parent }
  Object.defineProperty(annotations, "task", { enumerable: true, configurable: true, get: currentTaskName })
  // Printed by the default logger through util.inspect: show values, not "[Getter]".
  Object.defineProperty(annotations, Symbol.for("nodejs.util.inspect.custom"), {
    enumerable: false,
    value(this: Record<string, unknown>) {
      return { ...this }
    }
  })
  withTask.add(annotations)
  lastWithTask = annotations
  return annotations
}

/** The last object `withTaskAnnotation` met with the entry (one object kept alive, no more). */
let lastWithTask: object | undefined

/** The annotation objects made here (a lookup that allocates nothing, unlike a descriptor read). */
const withTask = new WeakSet<object>()

function currentTaskName(): string | undefined {
  const fiber = Fiber.getCurrent()
  return fiber === undefined ? undefined : taskOfFiber(fiber).name
}
