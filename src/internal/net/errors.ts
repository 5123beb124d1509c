/**
 * Node's socket errors as our typed errors, and the argument checks every networking function
 * shares (ports, families, hosts, Unix paths): bad input dies with `InvalidArgumentError` before
 * any socket exists, so nothing is left open.
 *
 * @internal
 */
import { Buffer } from "node:buffer"
import { ConnectionFailed, InvalidArgumentError, OSError } from "../../Errors.ts"
import { textOf } from "../text.ts"

interface ErrnoLike {
  readonly code?: unknown
  readonly errno?: unknown
  readonly syscall?: unknown
  readonly path?: unknown
  readonly message?: unknown
}

/** A Node system error (`ECONNREFUSED`, `EADDRINUSE`, ...) as an `OSError`, keeping it as the cause. */
export const osErrorFrom = (error: unknown, fallbackCode = "EIO"): OSError => {
  if (error instanceof OSError) return error
  const e = (typeof error === "object" && error !== null ? error : {}) as ErrnoLike
  const code = typeof e.code === "string" ? e.code : fallbackCode
  return new OSError({
    message: typeof e.message === "string" ? e.message : textOf(error),
    code,
    errno: typeof e.errno === "number" ? e.errno : undefined,
    syscall: typeof e.syscall === "string" ? e.syscall : undefined,
    path: typeof e.path === "string" ? e.path : undefined,
    cause: error
  })
}

/** A failed connection attempt as `ConnectionFailed` (AnyIO's `TCPConnectable`/`UNIXConnectable`). */
export const connectionFailedFrom = (error: OSError, what: string): ConnectionFailed =>
  new ConnectionFailed({
    message: `error connecting to ${what}: ${error.message}`,
    code: error.code,
    cause: error
  })

export const invalid = (message: string): never => {
  throw new InvalidArgumentError({ message })
}

/** A port: an integer in `[min, 65535]`. */
export const checkPort = (port: unknown, what: string, min = 0): number => {
  if (typeof port !== "number" || !Number.isInteger(port) || port < min || port > 65535) {
    invalid(`${what} must be an integer from ${min} to 65535, got ${textOf(port)}`)
  }
  return port as number
}

/** A host name or address: a non-empty string without NUL bytes. */
export const checkHost = (host: unknown, what: string): string => {
  if (typeof host !== "string" || host.length === 0 || host.includes("\0")) {
    invalid(`${what} must be a non-empty host name or IP address, got ${textOf(host)}`)
  }
  return host as string
}

/** Linux's `sun_path` holds 108 bytes, one of them the terminating NUL (abstract names: no NUL). */
const UNIX_PATH_MAX = 108

/**
 * A Unix socket path: a string (or anything with a string form, such as our `Path`) that fits in
 * `sun_path`. A leading NUL names a Linux abstract socket.
 */
export const checkUnixPath = (path: unknown, what = "path"): string => {
  const text =
    typeof path === "string"
      ? path
      : typeof path === "object" && path !== null && typeof (path as { fspath?: unknown }).fspath === "string"
        ? (path as { fspath: string }).fspath
        : path instanceof URL && path.protocol === "file:"
          ? decodeURIComponent(path.pathname)
          : invalid(`${what} must be a string or a Path, got ${textOf(path)}`)
  if (text.length === 0) invalid(`${what} must not be empty`)
  const abstract = text.startsWith("\0")
  if (!abstract && text.includes("\0")) invalid(`${what} must not contain NUL bytes`)
  const size = Buffer.byteLength(text, "utf8")
  if (size > (abstract ? UNIX_PATH_MAX : UNIX_PATH_MAX - 1)) {
    invalid(`AF_UNIX path too long: ${size} bytes, at most ${UNIX_PATH_MAX - 1} fit in a socket address`)
  }
  return text
}
