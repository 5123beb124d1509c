/**
 * Checks of the arguments of cancel scopes and task groups, shared by their public faces and the
 * scope record. A bad argument is an `InvalidArgumentError`.
 *
 * @internal
 */
import { InvalidArgumentError } from "../Errors.ts"
import { textOf } from "./text.ts"

/**
 * A cancel reason or TimeoutError message, as a string (or nothing). Any value is accepted and
 * turned into text safely here, so that a printout or a reason read later can never throw.
 */
export const checkReason = (value: unknown): string | undefined => {
  if (value === undefined || value === null || typeof value === "string") return value ?? undefined
  return textOf(value)
}

/** A `shield` option: a boolean, default false. */
export const checkShield = (value: unknown): boolean => {
  if (value === undefined) return false
  if (typeof value !== "boolean") {
    throw new InvalidArgumentError({ message: `shield must be a boolean, got ${typeof value}` })
  }
  return value
}

/** An absolute deadline in seconds (a number, not NaN; infinities allowed). */
export const checkDeadline = (value: unknown): number => {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new InvalidArgumentError({ message: `deadline must be a number of seconds, got ${textOf(value)}` })
  }
  return value
}
