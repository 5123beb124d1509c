/**
 * Time values: AnyIO speaks seconds (floats); Effect speaks `Duration`. A plain number is seconds
 * here (unlike Effect, where a bare number means milliseconds); any other `Duration.Input`
 * ("2 seconds", `Duration.millis(5)`) is accepted as Effect reads it.
 *
 * @internal
 */
import { Duration } from "effect"
import { InvalidArgumentError } from "../Errors.ts"

/** Seconds as a number; throws InvalidArgumentError for NaN, non-numbers and bad durations. */
export const toSeconds = (value: unknown, what: string): number => {
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw new InvalidArgumentError({ message: `${what} must not be NaN` })
    return value
  }
  if (typeof value === "bigint") return Number(value) / 1e9
  if (typeof value === "string" || (typeof value === "object" && value !== null)) {
    try {
      const d = Duration.fromInputUnsafe(value as Duration.Input)
      return Duration.toMillis(d) / 1000
    } catch {
      // fall through to the error below
    }
  }
  throw new InvalidArgumentError({
    message: `${what} must be a number of seconds or an Effect Duration, got ${describe(value)}`
  })
}

const describe = (value: unknown): string =>
  value === null ? "null" : typeof value === "object" ? "an object" : `${typeof value} ${String(value)}`
