/**
 * The message protocol between the event loop and its worker threads and processes, and the
 * encoding of errors across it. Loaded inside workers: it must not import effect (a worker that
 * loads effect takes over a second to run its first call).
 *
 * Call:     event loop -> worker   `[id, slot, args]`, or `[id, slot, args, moduleUrl, exportName]`
 *                                  the first time this worker sees the slot (slots.ts)
 * Reply:    worker -> event loop   `[id, status, payload]`
 * Callback: worker -> event loop   `[kind, target, args]`        (threads only, on the callback port)
 * Answer:   event loop -> worker   `[status, payload]`            (then `flags[READY]` is set)
 *
 * @internal
 */

/** Reply statuses. */
export const OK = 0
/** The function threw (or its promise rejected): payload is an encoded error. */
export const THREW = 1
/** The module or the export could not be found: payload is a message. */
export const NOT_FOUND = 2
/** The result could not be cloned: payload is a message. */
export const UNCLONEABLE = 3
/** A `fromThread.run` callback was cancelled (the host task is being cancelled). */
export const CANCELLED = 4

export type Status = typeof OK | typeof THREW | typeof NOT_FOUND | typeof UNCLONEABLE | typeof CANCELLED

/** Callback kinds. */
export const RUN_SYNC = 0
export const RUN = 1

/** Indices in a thread worker's shared flags. */
export const READY = 0
export const HOST_CANCELLED = 1

/** The global through which a worker's `fromThread` finds the worker it runs in. */
export const WORKER_CONTEXT = Symbol.for("effect-anyio/worker-context")

export interface ThreadWorkerContext {
  /** The worker side of the callback channel (never listened on: read with `receiveMessageOnPort`). */
  readonly port: import("node:worker_threads").MessagePort
  readonly flags: Int32Array
}

export interface WorkerTarget {
  readonly moduleUrl: string
  readonly exportName: string
}

/** An error as it crosses a worker boundary. */
export type EncodedError =
  | {
      readonly error: true
      readonly name: string
      readonly ctor: string
      readonly message: string
      readonly stack: string | undefined
      readonly props: Record<string, unknown> | undefined
      readonly cause?: EncodedError
      readonly errors?: ReadonlyArray<EncodedError>
    }
  | { readonly error: false; readonly value: unknown }

const cloneable = (value: unknown): boolean => {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    return typeof value !== "symbol"
  }
  try {
    structuredClone(value)
    return true
  } catch {
    return false
  }
}

const safeString = (value: unknown): string => {
  try {
    return String(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/**
 * Encodes a thrown value: an `Error` keeps its class name, `name`, message, stack, cause, the
 * errors of an `AggregateError` and its own cloneable properties (a tagged error's `_tag` among
 * them); any other value is sent as is when it can be cloned, else as its text.
 */
export const encodeError = (thrown: unknown, depth = 0): EncodedError => {
  if (!(thrown instanceof Error)) {
    return { error: false, value: cloneable(thrown) ? thrown : safeString(thrown) }
  }
  let props: Record<string, unknown> | undefined
  for (const key of Object.keys(thrown)) {
    if (key === "cause" || key === "errors") continue
    let value: unknown
    try {
      value = (thrown as unknown as Record<string, unknown>)[key]
    } catch {
      continue
    }
    if (cloneable(value)) (props ??= {})[key] = value
  }
  let message: string
  let stack: string | undefined
  let name: string
  try {
    message = safeString(thrown.message)
    stack = typeof thrown.stack === "string" ? thrown.stack : undefined
    name = safeString(thrown.name)
  } catch {
    message = ""
    name = "Error"
  }
  const encoded: {
    error: true
    name: string
    ctor: string
    message: string
    stack: string | undefined
    props: Record<string, unknown> | undefined
    cause?: EncodedError
    errors?: ReadonlyArray<EncodedError>
  } = { error: true, name, ctor: thrown.constructor?.name ?? "Error", message, stack, props }
  if (depth < 8) {
    if ("cause" in thrown) encoded.cause = encodeError(thrown.cause, depth + 1)
    if (thrown instanceof AggregateError && Array.isArray(thrown.errors)) {
      encoded.errors = thrown.errors.map((e) => encodeError(e, depth + 1))
    }
  }
  return encoded
}

type ErrorClass = new (message?: string, options?: { cause?: unknown }) => Error

const builtinErrors: Record<string, ErrorClass> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError
}

/**
 * Re-creates an encoded error: the builtin class it had (or its nearest: `Error`), with its name,
 * message, stack, cause and own properties. A user-defined class cannot cross (its prototype is not
 * cloneable), but its `name` and `_tag` do, so `Effect.catchTag` still finds a tagged error.
 */
export const decodeError = (encoded: EncodedError): unknown => {
  if (!encoded.error) return encoded.value
  const cause = encoded.cause === undefined ? undefined : decodeError(encoded.cause)
  const options = encoded.cause === undefined ? undefined : { cause }
  let error: Error
  if (encoded.ctor === "AggregateError" || encoded.name === "AggregateError") {
    error = new AggregateError((encoded.errors ?? []).map(decodeError), encoded.message, options)
  } else if (encoded.ctor === "DOMException") {
    error = new DOMException(encoded.message, encoded.name)
  } else {
    const Class = builtinErrors[encoded.ctor] ?? builtinErrors[encoded.name] ?? Error
    error = new Class(encoded.message, options)
  }
  if (error.name !== encoded.name) {
    Object.defineProperty(error, "name", {
      value: encoded.name,
      writable: true,
      configurable: true,
      enumerable: false
    })
  }
  if (encoded.stack !== undefined) {
    Object.defineProperty(error, "stack", {
      value: encoded.stack,
      writable: true,
      configurable: true,
      enumerable: false
    })
  }
  if (encoded.props !== undefined) Object.assign(error, encoded.props)
  return error
}

/** A short description of a module function, for messages. */
export const describeTarget = (moduleUrl: string, exportName: string): string => {
  const slash = moduleUrl.lastIndexOf("/")
  return `${slash >= 0 ? moduleUrl.slice(slash + 1) : moduleUrl}#${exportName}`
}

/** Codes of `import()` failures that mean "there is no such module". */
export const isModuleNotFound = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code
  return (
    code === "ERR_MODULE_NOT_FOUND" ||
    code === "ERR_UNSUPPORTED_DIR_IMPORT" ||
    code === "ERR_UNSUPPORTED_ESM_URL_SCHEME" ||
    code === "ERR_INVALID_URL" ||
    code === "ERR_UNKNOWN_BUILTIN_MODULE" ||
    code === "ERR_INVALID_MODULE_SPECIFIER" ||
    code === "ERR_PACKAGE_PATH_NOT_EXPORTED"
  )
}
