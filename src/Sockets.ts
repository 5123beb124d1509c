/**
 * Socket streams and listeners (AnyIO's `anyio.abc.SocketStream`, `SocketListener`,
 * `SocketAttribute`): the byte streams that `connectTcp`/`connectUnix` return and listeners hand
 * to their handlers, and the listeners that `createTcpListener`/`createUnixListener` build, on
 * Node's `node:net`.
 *
 * - A {@link SocketStream} follows AnyIO's stream rules (see `Streams.ts`): `receive(maxBytes)`
 *   keeps what it did not return, a cancelled `receive` loses no bytes, `send` after the peer went
 *   away fails with `BrokenResourceError` instead of hanging, a second concurrent `receive` (or
 *   `send`) fails with `BusyResourceError`, `sendEof()` half-closes and the peer's reply can still
 *   be read.
 * - Every socket offers the typed attributes of {@link SocketAttribute}: `family`,
 *   `localAddress`, `localPort`, `remoteAddress`, `remotePort` (where they apply) and `rawSocket`
 *   (the Node object).
 * - Sockets connect with `TCP_NODELAY`, as AnyIO's do.
 *
 * @since 0.4.0
 */

import type * as dgram from "node:dgram"
import * as net from "node:net"
import { Effect, Exit } from "effect"
import { BrokenResourceError, BusyResourceError, ClosedResourceError, type EndOfStream } from "./Errors.ts"
import type { GroupOfLeaves } from "./ExceptionGroup.ts"
import { invalid } from "./internal/net/errors.ts"
import { serveLoop } from "./internal/net/serve.ts"
import { fromDuplex, type NodeByteStream } from "./internal/nodeStream.ts"
import { textOf } from "./internal/text.ts"
import { type AcceptError, ByteStreamBase, type Listener, ResourceBase } from "./Streams.ts"
import type { Spawned, TaskGroup } from "./TaskGroup.ts"
import { checkpoint } from "./Time.ts"
import {
  attributeMap,
  type TypedAttribute,
  type TypedAttributeMap,
  typedAttributeSet
} from "./TypedAttribute.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * An address family (AnyIO's `socket.AddressFamily`): `"AF_INET"` (IPv4), `"AF_INET6"` (IPv6),
 * `"AF_UNIX"`, or `"AF_UNSPEC"` (any, where a function accepts it). The constants object of the
 * same name spells them as in Python.
 *
 * @example
 * ```ts
 * import { AddressFamily, createTcpListener } from "effect-anyio"
 * const v4only = createTcpListener({ localHost: "127.0.0.1", family: AddressFamily.AF_INET })
 * ```
 * @category models
 */
export type AddressFamily = "AF_INET" | "AF_INET6" | "AF_UNIX" | "AF_UNSPEC"

/** The address families, spelled as Python's `socket.AF_*` constants. @category models */
export const AddressFamily = {
  AF_UNSPEC: "AF_UNSPEC",
  AF_INET: "AF_INET",
  AF_INET6: "AF_INET6",
  AF_UNIX: "AF_UNIX"
} as const satisfies Record<string, AddressFamily>

/** An IP address family (what an IP socket can be). @category models */
export type IPAddressFamily = "AF_INET" | "AF_INET6"

/**
 * A socket type (Python's `socket.SocketKind`): what `getaddrinfo` reports and filters by.
 * @category models
 */
export type SocketKind = "SOCK_STREAM" | "SOCK_DGRAM" | "SOCK_RAW"

/** The socket types, spelled as Python's `socket.SOCK_*` constants. @category models */
export const SocketKind = {
  SOCK_STREAM: "SOCK_STREAM",
  SOCK_DGRAM: "SOCK_DGRAM",
  SOCK_RAW: "SOCK_RAW"
} as const satisfies Record<string, SocketKind>

/** An IP socket address: `[host, port]` (AnyIO's `IPSockAddrType`). @category models */
export type IPSockAddr = readonly [host: string, port: number]

/** A socket address: `[host, port]` for IP sockets, a path for Unix sockets (AnyIO's `SockAddrType`). @category models */
export type SockAddr = IPSockAddr | string

/** The Node object under a socket: a `net.Socket`, a listening `net.Server` or a `dgram.Socket`. @category models */
export type RawSocket = net.Socket | net.Server | dgram.Socket

/**
 * The typed attributes of sockets (AnyIO's `SocketAttribute`).
 *
 * - `family`: the address family (`"AF_INET"`, `"AF_INET6"`, `"AF_UNIX"`).
 * - `localAddress`: `[host, port]` (IP) or the path (Unix; `""` for an unbound client socket).
 * - `localPort`: IP sockets only.
 * - `remoteAddress`, `remotePort`: connected sockets only (`remotePort`: IP only).
 * - `rawSocket`: the Node object ({@link RawSocket}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { connectTcp, SocketAttribute } from "effect-anyio"
 * const peer = Effect.flatMap(connectTcp("127.0.0.1", 8080), (s) =>
 *   s.use((s) => s.extra(SocketAttribute.remoteAddress))
 * )
 * ```
 * @category models
 */
export const SocketAttribute = typedAttributeSet("SocketAttribute", {
  family: {} as AddressFamily,
  localAddress: {} as SockAddr,
  localPort: {} as number,
  remoteAddress: {} as SockAddr,
  remotePort: {} as number,
  rawSocket: {} as RawSocket
})

/**
 * What receiving from (and sending to) a socket stream can fail with.
 * @category models
 */
export type SocketStreamError = EndOfStream | ClosedResourceError | BrokenResourceError | BusyResourceError

// -----------------------------------------------------------------------------
// Attributes
// -----------------------------------------------------------------------------

/** Node's `"IPv4"`/`"IPv6"` (or 4/6) as an address family. */
export const familyOf = (family: unknown): IPAddressFamily =>
  family === "IPv6" || family === 6 ? "AF_INET6" : "AF_INET"

/** A Unix socket's two addresses; Node cannot read them from the socket, so they are passed in. */
export interface UnixAddresses {
  readonly local: string
  readonly remote: string
}

/**
 * The attributes of a connected `net.Socket`, read once (AnyIO reads `getsockname()` each time;
 * a connected socket's addresses do not change, and reading them after the close must not fail).
 */
const streamAttributes = (socket: net.Socket, unix: UnixAddresses | undefined): TypedAttributeMap => {
  if (unix !== undefined) {
    return attributeMap([
      [SocketAttribute.family, () => "AF_UNIX"],
      [SocketAttribute.localAddress, () => unix.local],
      [SocketAttribute.remoteAddress, () => unix.remote],
      [SocketAttribute.rawSocket, () => socket]
    ])
  }
  const local: IPSockAddr = [socket.localAddress ?? "", socket.localPort ?? 0]
  const family = familyOf(socket.localFamily ?? (net.isIPv6(local[0]) ? "IPv6" : "IPv4"))
  const remoteHost = socket.remoteAddress
  const entries: Array<readonly [TypedAttribute<unknown>, () => unknown]> = [
    [SocketAttribute.family, () => family],
    [SocketAttribute.localAddress, () => local],
    [SocketAttribute.localPort, () => local[1]],
    [SocketAttribute.rawSocket, () => socket]
  ]
  if (remoteHost !== undefined) {
    const remote: IPSockAddr = [remoteHost, socket.remotePort ?? 0]
    entries.push([SocketAttribute.remoteAddress, () => remote], [SocketAttribute.remotePort, () => remote[1]])
  }
  return attributeMap(entries)
}

// -----------------------------------------------------------------------------
// SocketStream
// -----------------------------------------------------------------------------

/**
 * A byte stream over a connected TCP or Unix socket (AnyIO's `SocketStream`). Get one from
 * `connectTcp`, `connectUnix`, a listener, or {@link SocketStream.fromSocket}.
 *
 * **Details**
 * - `receive(maxBytes = 65536)`: at most `maxBytes` bytes, at least one; `EndOfStream` once the
 *   peer closed its side (every later call too); a cancelled `receive` consumes nothing.
 * - `send(data)` waits while the kernel's buffer is full; after the peer reset or went away it
 *   fails with `BrokenResourceError` (with the Node error as `cause`), never hangs.
 * - `sendEof()` shuts down the write side (TCP half-close); receiving goes on.
 * - `close()` ends the write side, lets Node flush, then destroys the socket; afterwards every
 *   operation fails with `ClosedResourceError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { connectTcp } from "effect-anyio"
 * const program = Effect.flatMap(connectTcp("127.0.0.1", 7), (stream) =>
 *   stream.use((s) => Effect.andThen(s.send(new TextEncoder().encode("ping")), s.receive()))
 * )
 * ```
 * @category models
 */
export class SocketStream extends ByteStreamBase<SocketStreamError> {
  readonly #stream: NodeByteStream
  readonly #socket: net.Socket
  readonly #unix: UnixAddresses | undefined
  #attributes: TypedAttributeMap | undefined = undefined

  /**
   * Wraps a connected `net.Socket` (taking it over: nothing else may read from it). Prefer
   * {@link SocketStream.fromSocket}, which checks its argument.
   */
  constructor(socket: net.Socket, unix?: UnixAddresses) {
    super()
    // AnyIO's sockets are half-open: receiving the peer's EOF does not end our write side.
    socket.allowHalfOpen = true
    this.#socket = socket
    this.#unix = unix
    this.#stream = fromDuplex(socket)
  }

  /**
   * Wraps an existing connected `net.Socket` (AnyIO's `SocketStream.from_socket`); the stream
   * takes it over. A socket that is not a `net.Socket`, still connecting or not connected dies
   * with `InvalidArgumentError`.
   */
  static fromSocket(socket: net.Socket): Effect.Effect<SocketStream> {
    return Effect.sync(() => {
      if (!(socket instanceof net.Socket)) invalid(`expected a net.Socket, got ${textOf(socket)}`)
      if (socket.pending || socket.destroyed) {
        invalid("the socket must be connected")
      }
      const isPipe = socket.remoteAddress === undefined && socket.localAddress === undefined
      return new SocketStream(socket, isPipe ? { local: "", remote: "" } : undefined)
    })
  }

  receive(maxBytes?: number): Effect.Effect<Uint8Array, SocketStreamError> {
    return this.#stream.receive(maxBytes)
  }
  send(data: Uint8Array): Effect.Effect<void, SocketStreamError> {
    return this.#stream.send(data)
  }
  sendEof(): Effect.Effect<void, SocketStreamError> {
    return this.#stream.sendEof()
  }
  close(): Effect.Effect<void> {
    return this.#stream.close()
  }
  override get extraAttributes(): TypedAttributeMap {
    return (this.#attributes ??= streamAttributes(this.#socket, this.#unix))
  }
}

// -----------------------------------------------------------------------------
// SocketListener
// -----------------------------------------------------------------------------

/**
 * Accepts connections on a listening TCP or Unix socket (AnyIO's `SocketListener`). Get one from
 * `createTcpListener` (inside its `MultiListener`), `createUnixListener`, or
 * {@link SocketListener.fromServer}.
 *
 * **Details**
 * - `accept()` waits for the next connection; it is a checkpoint. A second concurrent `accept`
 *   fails with `BusyResourceError`; after `close()` (also one made while waiting) it fails with
 *   `ClosedResourceError`.
 * - Node accepts connections as they arrive (there is no backlog left in the kernel to wait in):
 *   those not yet taken by `accept` wait here with reading paused, and `close()` resets them.
 * - `serve(handler, taskGroup?)`: see {@link Listener}.
 * - Attributes: `family`, `localAddress`, `localPort` (IP), `rawSocket` (the `net.Server`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createUnixListener } from "effect-anyio"
 * const once = Effect.flatMap(createUnixListener("/tmp/app.sock"), (listener) =>
 *   listener.use((l) => Effect.flatMap(l.accept(), (stream) => stream.close()))
 * )
 * ```
 * @category models
 */
export class SocketListener extends ResourceBase implements Listener<SocketStream> {
  readonly #server: net.Server
  readonly #unixPath: string | undefined
  readonly #queue: Array<net.Socket> = []
  #waiter: (() => void) | undefined = undefined
  #accepting = false
  #closed = false
  #error: unknown = undefined
  readonly #attributes: TypedAttributeMap
  readonly #take: Effect.Effect<SocketStream, AcceptError>

  /**
   * Wraps a listening `net.Server` (taking it over); `unixPath` names the path of a Unix
   * listener. Prefer {@link SocketListener.fromServer}, which checks its argument.
   */
  constructor(server: net.Server, unixPath?: string) {
    super()
    this.#server = server
    this.#unixPath = unixPath
    this.#attributes = listenerAttributes(server, unixPath)
    const wake = () => this.#waiter?.()
    server.on("connection", (socket: net.Socket) => {
      if (this.#closed) {
        socket.destroy()
        return
      }
      // Until `accept` wraps it, a queued socket must not crash the process with an 'error'.
      socket.on("error", ignore)
      this.#queue.push(socket)
      wake()
    })
    server.on("error", (e: unknown) => {
      if (this.#error === undefined) this.#error = e
      wake()
    })
    this.#take = Effect.callback<SocketStream, AcceptError>((resume) => {
      const now = this.#tryTake()
      if (now !== undefined) return resume(now)
      this.#waiter = () => {
        const r = this.#tryTake()
        if (r === undefined) return
        this.#waiter = undefined
        resume(r)
      }
      return Effect.sync(() => {
        this.#waiter = undefined
      })
    })
  }

  /**
   * Wraps a listening `net.Server` (AnyIO's `SocketListener.from_socket`); dies with
   * `InvalidArgumentError` if it is not listening. Use `pauseOnConnect: true` and
   * `allowHalfOpen: true` when creating it (the listener's own servers do).
   */
  static fromServer(server: net.Server): Effect.Effect<SocketListener> {
    return Effect.sync(() => {
      if (!(server instanceof net.Server)) invalid(`expected a net.Server, got ${textOf(server)}`)
      if (!server.listening) invalid("the socket must be bound to a local address")
      const address = server.address()
      return new SocketListener(server, typeof address === "string" ? address : undefined)
    })
  }

  #tryTake(): Exit.Exit<SocketStream, AcceptError> | undefined {
    if (this.#closed) return Exit.fail(new ClosedResourceError({}))
    const socket = this.#queue.shift()
    if (socket !== undefined) {
      socket.off("error", ignore)
      const stream = new SocketStream(
        socket,
        this.#unixPath === undefined ? undefined : { local: this.#unixPath, remote: "" }
      )
      return Exit.succeed(stream)
    }
    if (this.#error !== undefined) {
      const e = this.#error
      return Exit.fail(
        new BrokenResourceError({ message: e instanceof Error ? e.message : "the listener broke", cause: e })
      )
    }
    return undefined
  }

  /** Accepts the next connection (AnyIO's `accept()`). */
  accept(): Effect.Effect<SocketStream, AcceptError> {
    return Effect.suspend(() => {
      if (this.#closed) return Exit.fail(new ClosedResourceError({}))
      if (this.#accepting) return Exit.fail(new BusyResourceError({ action: "accepting connections from" }))
      this.#accepting = true
      return Effect.onExitPrimitive(Effect.andThen(checkpoint(), this.#take), () => {
        this.#accepting = false
        return undefined
      })
    })
  }

  serve<E = never, R = never>(
    handler: (stream: SocketStream) => Effect.Effect<unknown, E, R>
  ): Effect.Effect<never, GroupOfLeaves<E | AcceptError>, R>
  serve<E = never, R = never>(
    handler: (stream: SocketStream) => Effect.Effect<unknown, E, R>,
    taskGroup: TaskGroup
  ): Effect.Effect<never, AcceptError, R | Spawned<E>>
  serve<E, R>(
    handler: (stream: SocketStream) => Effect.Effect<unknown, E, R>,
    taskGroup?: TaskGroup
  ): Effect.Effect<never, unknown, unknown> {
    return serveLoop(this.accept(), this.close(), handler, taskGroup)
  }

  close(): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.#closed) return
      this.#closed = true
      this.#server.close()
      for (const socket of this.#queue.splice(0)) socket.destroy()
      this.#waiter?.()
    })
  }

  override get extraAttributes(): TypedAttributeMap {
    return this.#attributes
  }
}

/** A listener's attributes, read at creation (a closed server no longer has an address). */
const listenerAttributes = (server: net.Server, unixPath: string | undefined): TypedAttributeMap => {
  if (unixPath !== undefined) {
    return attributeMap([
      [SocketAttribute.family, () => "AF_UNIX"],
      [SocketAttribute.localAddress, () => unixPath],
      [SocketAttribute.rawSocket, () => server]
    ])
  }
  const info = server.address() as net.AddressInfo | null
  const local: IPSockAddr = [info?.address ?? "", info?.port ?? 0]
  const family = familyOf(info?.family)
  return attributeMap([
    [SocketAttribute.family, () => family],
    [SocketAttribute.localAddress, () => local],
    [SocketAttribute.localPort, () => local[1]],
    [SocketAttribute.rawSocket, () => server]
  ])
}

const ignore = (): void => {}
