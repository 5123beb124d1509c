/**
 * The arguments of `startSoon`/`start`/`createTask`: an effect, or a function and its arguments,
 * optionally followed by `{ name }`.
 *
 * @internal
 */
import { Effect } from "effect"
import { InvalidArgumentError } from "../Errors.ts"
import type { SpawnOptions, TaskStatus } from "../TaskGroup.ts"

/** A value, for an error message (never its contents). */
export const describeValue = (u: unknown): string =>
  u === null ? "null" : typeof u === "function" ? `a function (${u.name || "anonymous"})` : typeof u

export const isSpawnOptions = (u: unknown): u is SpawnOptions => {
  if (
    typeof u !== "object" ||
    u === null ||
    Effect.isEffect(u) ||
    Object.getPrototypeOf(u) !== Object.prototype
  ) {
    return false
  }
  for (const key in u) if (key !== "name") return false
  return true
}

/**
 * Turns `startSoon`/`start` arguments into an effect and a name. Follows AnyIO: the function is
 * called by the spawner; a function that does not return an Effect is a TypeError (a defect), as
 * AnyIO raises it (and callers match on it).
 */
export const resolveTask = (
  input: ReadonlyArray<unknown>,
  status: TaskStatus<never> | undefined
): { effect: Effect.Effect<unknown, unknown, unknown>; name: string | undefined } => {
  const target = input[0]
  let rest = input.slice(1)
  let options: SpawnOptions | undefined
  if (Effect.isEffect(target)) {
    if (status !== undefined)
      throw new InvalidArgumentError({ message: "start() takes a function that receives the task status" })
    options = isSpawnOptions(rest[0]) ? rest[0] : undefined
    return { effect: target, name: options?.name }
  }
  if (typeof target !== "function") {
    throw new TypeError(`startSoon() expects an Effect or a function returning one, got ${typeof target}`)
  }
  if (
    rest.length > 0 &&
    rest.length > target.length - (status ? 1 : 0) &&
    isSpawnOptions(rest[rest.length - 1])
  ) {
    options = rest[rest.length - 1] as SpawnOptions
    rest = rest.slice(0, -1)
  }
  if (status !== undefined) rest.push(status)
  const effect: unknown = target(...rest)
  const name = options?.name ?? (target.name || undefined)
  if (!Effect.isEffect(effect)) {
    throw new TypeError(
      `${name ?? "the task function"} returned ${effect === null ? "null" : typeof effect}, not an Effect`
    )
  }
  return { effect, name }
}
