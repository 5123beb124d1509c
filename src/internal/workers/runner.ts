/**
 * The worker side of a call, shared by the thread and process bootstraps: find the function by
 * module URL and export name (imported once, then cached), call it, await a promise it returns,
 * and post the reply. Loaded inside workers: no effect import.
 *
 * @internal
 */
import {
  describeTarget,
  encodeError,
  isModuleNotFound,
  NOT_FOUND,
  OK,
  THREW,
  UNCLONEABLE
} from "./protocol.ts"

type Fn = (...args: Array<unknown>) => unknown
type Post = (reply: readonly [number, number, unknown]) => void

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  value !== null &&
  (typeof value === "object" || typeof value === "function") &&
  typeof (value as { then?: unknown }).then === "function"

/**
 * Returns the handler of call messages `[id, slot, args, moduleUrl?, exportName?]` (the names come
 * with the first call of a slot: protocol.ts).
 */
export const makeRunner = (post: Post): ((message: unknown) => void) => {
  /** Functions by slot, once imported. */
  const functions: Array<Fn | undefined> = []
  /** Module URL and export name by slot, as told by the host. */
  const targets: Array<readonly [string, string] | undefined> = []

  const reply = (id: number, value: unknown): void => {
    try {
      post([id, OK, value])
    } catch (error) {
      post([id, UNCLONEABLE, `the result could not be cloned: ${(error as Error)?.message ?? error}`])
    }
  }

  const fail = (id: number, thrown: unknown): void => {
    try {
      post([id, THREW, encodeError(thrown)])
    } catch {
      post([id, THREW, { error: false, value: "an error that could not be sent back" }])
    }
  }

  const invoke = (id: number, fn: Fn, args: ReadonlyArray<unknown>): void => {
    let result: unknown
    try {
      result = args.length === 1 ? fn(args[0]) : fn(...args)
    } catch (thrown) {
      fail(id, thrown)
      return
    }
    if (isThenable(result)) {
      result.then(
        (value) => reply(id, value),
        (thrown) => fail(id, thrown)
      )
    } else {
      reply(id, result)
    }
  }

  return (message) => {
    const m = message as readonly [number, number, ReadonlyArray<unknown>, string?, string?]
    const id = m[0]
    const slot = m[1]
    const cached = functions[slot]
    if (cached !== undefined) return invoke(id, cached, m[2])
    if (m.length > 3) targets[slot] = [m[3]!, m[4]!]
    const target = targets[slot]
    if (target === undefined) {
      post([id, NOT_FOUND, `unknown worker function slot ${slot}`])
      return
    }
    const [moduleUrl, exportName] = target
    import(moduleUrl).then(
      (module: Record<string, unknown>) => {
        const fn = module[exportName]
        if (typeof fn !== "function") {
          const what =
            exportName in module ? `is not a function (${typeof fn})` : "is not exported by the module"
          post([id, NOT_FOUND, `${describeTarget(moduleUrl, exportName)}: ${exportName} ${what}`])
          return
        }
        functions[slot] = fn as Fn
        invoke(id, fn as Fn, m[2])
      },
      (error: unknown) => {
        if (isModuleNotFound(error)) {
          post([id, NOT_FOUND, `cannot load ${moduleUrl}: ${(error as Error).message}`])
        } else {
          // The module exists but failed to load (a syntax error, a throw at top level): that error.
          fail(id, error)
        }
      }
    )
  }
}
