/**
 * The arguments of `startSoon`/`start`/`createTask`: an effect optionally followed by its options,
 * or options first and then an effect or a function and its arguments. Options never follow a
 * function's arguments: a trailing plain object is an argument (no guessing by `fn.length`).
 *
 * @internal
 */
import { Effect } from "effect"
import { InvalidArgumentError } from "../Errors.ts"
import type { StartOptions, TaskStatus } from "../TaskGroup.ts"

/**
 * `Effect.isEffect(u)`, written out at the caller's site (Effect's goes through `hasProperty`, a
 * `dual` wrapper whose `in` check every Effect caller shares, so that it is megamorphic): the same
 * test, for the checks that every spawn and every group makes (issue 13: three of them were
 * 500 instructions of a nested group's level).
 */
export const isEffectValue = (u: unknown): u is Effect.Effect<unknown, unknown, unknown> =>
  ((typeof u === "object" && u !== null) || typeof u === "function") && Effect.TypeId in u

/** A value, for an error message (never its contents). */
export const describeValue = (u: unknown): string =>
  u === null ? "null" : typeof u === "function" ? `a function (${u.name || "anonymous"})` : typeof u

export const isSpawnOptions = (u: unknown): u is StartOptions => {
  if (
    typeof u !== "object" ||
    u === null ||
    Effect.isEffect(u) ||
    Object.getPrototypeOf(u) !== Object.prototype
  ) {
    return false
  }
  for (const key in u) if (key !== "name" && key !== "returnHandle") return false
  return true
}

/**
 * Turns `startSoon`/`start` arguments into an effect and a name. Follows AnyIO: the function is
 * called by the spawner; a function that does not return an Effect is a defect, an
 * `InvalidArgumentError` (where AnyIO raises a `TypeError`), as every other bad argument here.
 */
export const resolveTask = (
  input: ReadonlyArray<unknown>,
  status: TaskStatus<never> | undefined
): {
  effect: Effect.Effect<unknown, unknown, unknown>
  name: string | undefined
  options: StartOptions | undefined
} => {
  let options: StartOptions | undefined
  let rest = input
  if (isSpawnOptions(rest[0])) {
    options = rest[0]
    rest = rest.slice(1)
  }
  const target = rest[0]
  rest = rest.slice(1)
  if (options?.returnHandle !== undefined && status === undefined) {
    throw new InvalidArgumentError({ message: "returnHandle is an option of start() only" })
  }
  if (Effect.isEffect(target)) {
    if (status !== undefined)
      throw new InvalidArgumentError({ message: "start() takes a function that receives the task status" })
    if (options === undefined && isSpawnOptions(rest[0])) options = rest[0]
    return { effect: target, name: options?.name, options }
  }
  if (typeof target !== "function") {
    throw new InvalidArgumentError({
      message: `startSoon() expects an Effect or a function returning one, got ${typeof target}`
    })
  }
  if (status !== undefined) rest = [...rest, status]
  const name = options?.name ?? (target.name || undefined)
  return { effect: taskEffect(target(...rest), name), name, options }
}

/** What a task function returned, which must be an Effect (else an `InvalidArgumentError`). */
export const taskEffect = (
  effect: unknown,
  name: string | undefined
): Effect.Effect<unknown, unknown, unknown> => {
  if (!isEffectValue(effect)) {
    throw new InvalidArgumentError({
      message: `${name ?? "the task function"} returned ${effect === null ? "null" : typeof effect}, not an Effect`
    })
  }
  return effect
}
