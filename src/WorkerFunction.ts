/**
 * Naming a function for a worker. A closure cannot be sent to another thread or process, so a
 * function that runs in a worker (`toThread.runSync`, `toProcess.runSync`) or on the event loop from
 * a worker (`fromThread.run`) is named by the URL of its module and its export name; the worker
 * imports the module once and caches the function.
 *
 * This module does not load effect, so worker code can import it cheaply.
 *
 * @since 0.3.0
 */
import { isAbsolute } from "node:path"
import { pathToFileURL } from "node:url"

declare const FunctionType: unique symbol

/** Any function that can be named for a worker. @category models */
export type AnyFunction = (...args: never) => unknown

/**
 * A function named by module URL and export name, typed with the function's own type so that
 * `toThread.runSync(fn, args)` checks the arguments and infers the result.
 *
 * @example
 * ```ts
 * import { workerFunction } from "effect-anyio"
 * const fib = workerFunction<(n: number) => number>(new URL("./fns.ts", import.meta.url), "fib")
 * ```
 * @category models
 */
export interface WorkerFunction<F extends AnyFunction = AnyFunction> {
  readonly _tag: "WorkerFunction"
  /** The module's URL (`file:`, `node:`, `data:`) or a bare package specifier. */
  readonly moduleUrl: string
  readonly exportName: string
  /** Phantom: the function's type. */
  readonly [FunctionType]?: F
}

/** The parameters of a named function. @category models */
export type ArgsOf<F> = F extends (...args: infer P) => unknown ? P : never

/** What a named function gives back (a promise is awaited by the worker). @category models */
export type ResultOf<F> = F extends (...args: never) => infer R ? Awaited<R> : never

/** The exported functions of a module type, as worker functions. @category models */
export type WorkerModule<M> = {
  readonly [K in keyof M as M[K] extends AnyFunction ? K : never]: M[K] extends AnyFunction
    ? WorkerFunction<M[K]>
    : never
}

/**
 * Turns a module reference into the URL a worker imports: a `URL` or a `file:`/`node:`/`data:` URL
 * string as is, an absolute path as a `file:` URL, a bare package specifier (`"node:os"`,
 * `"my-package/fns"`) as is. A relative path (`"./fns.ts"`) is rejected: relative to what? Use
 * `new URL("./fns.ts", import.meta.url)`.
 *
 * @example
 * ```ts
 * import { moduleUrlOf } from "effect-anyio"
 * moduleUrlOf("/app/fns.ts") // "file:///app/fns.ts"
 * ```
 * @category constructors
 */
export const moduleUrlOf = (module: string | URL): string => {
  // A TypeError, not InvalidArgumentError: that is an effect Data class, and this module must not
  // load effect (worker code imports it).
  if (module instanceof URL) return module.href
  if (typeof module !== "string" || module.length === 0) {
    throw new TypeError(`a worker module must be a URL or a non-empty string, got ${typeof module}`)
  }
  if (isAbsolute(module)) return pathToFileURL(module).href
  if (module.startsWith("./") || module.startsWith("../") || module === "." || module === "..") {
    throw new TypeError(
      `relative module path ${JSON.stringify(module)}: pass new URL(${JSON.stringify(module)}, import.meta.url) instead`
    )
  }
  return module
}

/**
 * Names the function `exportName` of the module at `module` (see {@link moduleUrlOf}).
 *
 * @example
 * ```ts
 * import { workerFunction } from "effect-anyio"
 * const cpus = workerFunction<() => number>("node:os", "availableParallelism")
 * ```
 * @category constructors
 */
export const workerFunction = <F extends AnyFunction = AnyFunction>(
  module: string | URL,
  exportName: string
): WorkerFunction<F> => {
  if (typeof exportName !== "string" || exportName.length === 0) {
    throw new TypeError(`an export name must be a non-empty string, got ${typeof exportName}`)
  }
  return Object.freeze({ _tag: "WorkerFunction", moduleUrl: moduleUrlOf(module), exportName })
}

/**
 * Every exported function of a module, typed from the module's own type:
 * `workerModule<typeof import("./fns.ts")>(new URL("./fns.ts", import.meta.url)).fib`. Only types
 * are imported here (`typeof import(...)` is erased); the module itself loads in the worker.
 *
 * @example
 * ```ts
 * import { workerModule } from "effect-anyio"
 * const os = workerModule<typeof import("node:os")>("node:os")
 * const fn = os.availableParallelism // WorkerFunction<() => number>
 * ```
 * @category constructors
 */
export const workerModule = <M>(module: string | URL): WorkerModule<M> => {
  const moduleUrl = moduleUrlOf(module)
  const cache = new Map<string, WorkerFunction>()
  return new Proxy({} as WorkerModule<M>, {
    get: (_, key) => {
      if (typeof key !== "string" || key === "then") return undefined
      let fn = cache.get(key)
      if (fn === undefined) cache.set(key, (fn = workerFunction(moduleUrl, key)))
      return fn
    }
  })
}

/**
 * True when the value is a {@link WorkerFunction} (made by `workerFunction` or `workerModule`).
 *
 * @example
 * ```ts
 * import { isWorkerFunction, workerModule } from "effect-anyio"
 * const os = workerModule<typeof import("node:os")>("node:os")
 * isWorkerFunction(os.availableParallelism) // true
 * isWorkerFunction(() => 1) // false
 * ```
 * @category guards
 */
export const isWorkerFunction = (value: unknown): value is WorkerFunction =>
  typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "WorkerFunction"
