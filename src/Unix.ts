/**
 * Unix domain stream sockets (AnyIO's `connect_unix`, `create_unix_listener`, `UNIXConnectable`)
 * on `node:net`. Paths are strings or our `Path`; a leading NUL names a Linux abstract socket.
 *
 * Not available on Node: passing file descriptors (`send_fds`/`receive_fds`: `node:net` has no
 * `SCM_RIGHTS`), Unix datagram sockets (`create_unix_datagram_socket`,
 * `create_connected_unix_datagram_socket`: `node:dgram` is UDP only), and paths that are not
 * valid UTF-8 (Node takes paths as strings).
 *
 * @since 0.4.0
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import type { ConnectionFailed, OSError } from "./Errors.ts"
import { checkUnixPath, connectionFailedFrom, invalid, osErrorFrom } from "./internal/net/errors.ts"
import { connectSocket, listen, makeServer } from "./internal/net/listen.ts"
import { textOf } from "./internal/text.ts"
import type { Path } from "./Path.ts"
import { SocketListener, SocketStream } from "./Sockets.ts"
import type { ByteStreamConnectable } from "./Streams.ts"

/** A Unix socket path: a string (a leading NUL: a Linux abstract name) or a `Path`. @category models */
export type UnixPath = string | Path

/**
 * Connects to a Unix socket (AnyIO's `connect_unix`).
 *
 * **Details**: fails with `ConnectionFailed` whose `code` is `"ENOENT"` (no such socket),
 * `"ECONNREFUSED"` (nobody listening), ...; a path longer than a socket address holds dies with
 * `InvalidArgumentError`. Attributes: `family` `"AF_UNIX"`, `remoteAddress` the path,
 * `localAddress` `""` (the client is not bound).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { connectUnix } from "effect-anyio"
 * const ping = Effect.flatMap(connectUnix("/run/app.sock"), (stream) =>
 *   stream.use((s) => s.send(new TextEncoder().encode("ping\n")))
 * )
 * ```
 * @see {@link createUnixListener}
 * @category constructors
 */
export const connectUnix = (path: UnixPath): Effect.Effect<SocketStream, ConnectionFailed> =>
  Effect.suspend(() => {
    const p = checkUnixPath(path)
    return Effect.mapError(
      connectSocket(
        { path: p, allowHalfOpen: true },
        (socket) => new SocketStream(socket, { local: "", remote: p })
      ),
      (e) => connectionFailedFrom(e, JSON.stringify(p))
    )
  })

/**
 * Options of {@link createUnixListener}.
 * @category models
 */
export interface CreateUnixListenerOptions {
  /** Permissions of the socket file (`chmod`), e.g. `0o600`. */
  readonly mode?: number | undefined
  /** The listen backlog, at most 65536 (the default). */
  readonly backlog?: number | undefined
}

/** Removes a socket file left at `path` (AnyIO's `setup_unix_local_socket`); other files stay. */
const removeStaleSocket = (path: string): Effect.Effect<void, OSError> =>
  Effect.callback<void, OSError>((resume) => {
    fs.stat(path, (error, stats) => {
      if (error) {
        // Nothing there (or not reachable): the bind says what is wrong, if anything.
        const code = (error as NodeJS.ErrnoException).code
        if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP" || code === "EBADF") {
          return resume(Effect.void)
        }
        return resume(Effect.fail(osErrorFrom(error)))
      }
      if (!stats.isSocket()) return resume(Effect.void)
      fs.unlink(path, (e) => resume(e && e.code !== "ENOENT" ? Effect.fail(osErrorFrom(e)) : Effect.void))
    })
  })

const chmod = (path: string, mode: number): Effect.Effect<void, OSError> =>
  Effect.callback<void, OSError>((resume) => {
    fs.chmod(path, mode, (e) => resume(e ? Effect.fail(osErrorFrom(e)) : Effect.void))
  })

/**
 * Creates a Unix socket listener (AnyIO's `create_unix_listener`).
 *
 * **Details**
 * - A socket file already at `path` (left by a process that died) is removed first; any other
 *   kind of file makes the bind fail (`OSError` `EADDRINUSE`).
 * - `mode` sets the socket file's permissions after the bind.
 * - Accepted streams have `localAddress` the path and `remoteAddress` `""`.
 * - Fails with `OSError`; bad options die with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createUnixListener } from "effect-anyio"
 * const server = Effect.flatMap(createUnixListener("/tmp/app.sock", { mode: 0o600 }), (listener) =>
 *   listener.serve((stream) => stream.send(new TextEncoder().encode("hello\n")))
 * )
 * ```
 * @see {@link connectUnix}
 * @category constructors
 */
export const createUnixListener = (
  path: UnixPath,
  options?: CreateUnixListenerOptions
): Effect.Effect<SocketListener, OSError> =>
  Effect.suspend(() => {
    const p = checkUnixPath(path)
    const mode = options?.mode
    if (
      mode !== undefined &&
      (typeof mode !== "number" || !Number.isInteger(mode) || mode < 0 || mode > 0o7777)
    ) {
      invalid(`mode must be a permission number such as 0o600, got ${textOf(mode)}`)
    }
    const backlogOption = options?.backlog ?? 65536
    if (typeof backlogOption !== "number" || !Number.isInteger(backlogOption) || backlogOption < 0) {
      invalid(`backlog must be a non-negative integer, got ${textOf(backlogOption)}`)
    }
    const abstract = p.startsWith("\0")
    return Effect.gen(function* () {
      if (!abstract) yield* removeStaleSocket(p)
      const server = yield* listen(makeServer(), { path: p, backlog: Math.min(backlogOption, 65536) })
      const listener = new SocketListener(server, p)
      if (mode !== undefined && !abstract) {
        yield* Effect.onError(chmod(p, mode), () => listener.close())
      }
      return listener
    })
  })

/**
 * Connects to a Unix socket at a path (AnyIO's `UNIXConnectable`).
 *
 * @example
 * ```ts
 * import { UNIXConnectable } from "effect-anyio"
 * const stream = new UNIXConnectable("/run/app.sock").connect()
 * ```
 * @category constructors
 */
export class UNIXConnectable implements ByteStreamConnectable {
  readonly path: UnixPath
  constructor(path: UnixPath) {
    checkUnixPath(path)
    this.path = path
  }
  connect(): Effect.Effect<SocketStream, ConnectionFailed> {
    return connectUnix(this.path)
  }
}
