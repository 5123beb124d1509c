/**
 * The two call forms of `toThread.runSync` / `toProcess.runSync`: `(fn, args?, options?)` with a
 * `WorkerFunction`, or `(module, exportName, args?, options?)`.
 *
 * @internal
 */
import { Effect } from "effect"
import { InvalidArgumentError } from "../../Errors.ts"
import { isWorkerFunction, moduleUrlOf, type WorkerFunction } from "../../WorkerFunction.ts"

export const invalid = (message: string): Effect.Effect<never> =>
  Effect.die(new InvalidArgumentError({ message }))

/** Parses the arguments of `runSync` and hands them to `run` (or dies with a clear message). */
export const dispatch =
  <O>(
    run: (
      moduleUrl: string,
      exportName: string,
      args: ReadonlyArray<unknown>,
      options: O | undefined
    ) => Effect.Effect<unknown, unknown>
  ) =>
  (target: WorkerFunction | string | URL, ...rest: Array<unknown>): Effect.Effect<unknown, unknown> => {
    if (isWorkerFunction(target)) {
      return run(target.moduleUrl, target.exportName, (rest[0] ?? []) as ReadonlyArray<unknown>, rest[1] as O)
    }
    let moduleUrl: string
    try {
      moduleUrl = moduleUrlOf(target)
    } catch (error) {
      return invalid((error as Error).message)
    }
    if (typeof rest[0] !== "string" || rest[0].length === 0)
      return invalid("exportName must be a non-empty string")
    return run(moduleUrl, rest[0], (rest[1] ?? []) as ReadonlyArray<unknown>, rest[2] as O)
  }
