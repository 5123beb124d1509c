/**
 * Any value as text, for error messages and printouts: `String(value)` can throw (an object without
 * a prototype, a `toString` that is not a function or that throws), and a message built from user
 * input must never turn a clear error into an engine one.
 *
 * @internal
 */
export const textOf = (value: unknown): string => {
  try {
    return String(value)
  } catch {
    try {
      return Object.prototype.toString.call(value)
    } catch {
      return typeof value
    }
  }
}
