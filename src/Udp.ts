/**
 * UDP sockets (AnyIO's `create_udp_socket`, `create_connected_udp_socket`, `UDPSocket`,
 * `ConnectedUDPSocket`) on `node:dgram`.
 *
 * - A {@link UDPSocket} receives `[data, [host, port]]` packets and sends them (`sendto` is the
 *   same with separate arguments); a {@link ConnectedUDPSocket} talks to one peer, with plain
 *   `Uint8Array`s.
 * - No datagram is dropped in user space: datagrams wait in a queue until received, up to as many
 *   bytes as the socket's kernel receive buffer holds (`SO_RCVBUF`, at least 64 KiB); only beyond
 *   that one is dropped, where the kernel itself would drop it. (Node reads the kernel's buffer
 *   eagerly and cannot be told to stop; AnyIO's asyncio backend keeps 100 datagrams.)
 * - `send` waits until Node handed the datagram to the kernel; it fails with `OSError` when the
 *   kernel refuses it (`EMSGSIZE` for a datagram too large, ...), where AnyIO's asyncio backend
 *   drops the error.
 * - Unix datagram sockets (AnyIO's `create_unix_datagram_socket`,
 *   `create_connected_unix_datagram_socket`) have no Node implementation: `node:dgram` is UDP only.
 *
 * @since 0.4.0
 */
import * as dgram from "node:dgram"
import { Effect, type Sink, type Stream } from "effect"
import { AddrInfoFlag, getaddrinfo } from "./Dns.ts"
import type { BrokenResourceError, BusyResourceError, ClosedResourceError, OSError } from "./Errors.ts"
import { DatagramCore } from "./internal/net/datagram.ts"
import { checkHost, checkPort, invalid, osErrorFrom } from "./internal/net/errors.ts"
import { textOf } from "./internal/text.ts"
import {
  type AddressFamily,
  familyOf,
  type IPAddressFamily,
  type IPSockAddr,
  SocketAttribute
} from "./Sockets.ts"
import {
  ResourceBase,
  receiveForEach,
  receiveStream,
  sendSink,
  type UnreliableObjectStream
} from "./Streams.ts"
import { attributeMap, type TypedAttribute, type TypedAttributeMap } from "./TypedAttribute.ts"

/** A UDP packet: the data and the peer's `[host, port]` (AnyIO's `UDPPacketType`). @category models */
export type UDPPacket = readonly [data: Uint8Array, address: IPSockAddr]

/**
 * What UDP sockets' operations can fail with: closed by us, gone, busy, or (`send`) refused by
 * the kernel (`OSError`).
 * @category models
 */
export type UDPError = ClosedResourceError | BrokenResourceError | BusyResourceError | OSError

const attributesOf = (socket: dgram.Socket, connected: boolean): TypedAttributeMap => {
  const info = socket.address()
  const local: IPSockAddr = [info.address, info.port]
  const family = familyOf(info.family)
  const entries: Array<readonly [TypedAttribute<unknown>, () => unknown]> = [
    [SocketAttribute.family, () => family],
    [SocketAttribute.localAddress, () => local],
    [SocketAttribute.localPort, () => local[1]],
    [SocketAttribute.rawSocket, () => socket]
  ]
  if (connected) {
    const peer = socket.remoteAddress()
    const remote: IPSockAddr = [peer.address, peer.port]
    entries.push([SocketAttribute.remoteAddress, () => remote], [SocketAttribute.remotePort, () => remote[1]])
  }
  return attributeMap(entries)
}

/** A socket's datagram core, for the subclasses (`#core` is the base class's own). */
let coreOf: <T>(socket: DatagramSocketBase<T>) => DatagramCore

/** The parts both socket classes share. */
abstract class DatagramSocketBase<T> extends ResourceBase {
  readonly #core: DatagramCore
  readonly #attributes: TypedAttributeMap

  /** Wraps a bound (and, for `ConnectedUDPSocket`, connected) `dgram.Socket`, taking it over. */
  constructor(socket: dgram.Socket, connected: boolean) {
    super()
    this.#core = new DatagramCore(socket)
    this.#attributes = attributesOf(socket, connected)
  }

  static {
    coreOf = (socket) => socket.#core
  }

  /** How many datagrams were dropped because nobody received and the queue was full. */
  get droppedDatagrams(): number {
    return this.#core.dropped
  }

  /** Closes the socket; when it returns, its port is free again. Idempotent. */
  close(): Effect.Effect<void> {
    return this.#core.close()
  }

  abstract receive(): Effect.Effect<T, UDPError>
  abstract send(item: T): Effect.Effect<void, UDPError>

  runForEach<E2, R>(f: (item: T) => Effect.Effect<unknown, E2, R>): Effect.Effect<void, UDPError | E2, R> {
    return Effect.suspend(() => receiveForEach(this.receive(), f))
  }
  get stream(): Stream.Stream<T, UDPError> {
    return receiveStream(Effect.suspend(() => this.receive()))
  }
  get sink(): Sink.Sink<void, T, never, UDPError> {
    return sendSink((item: T) => this.send(item))
  }

  override get extraAttributes(): TypedAttributeMap {
    return this.#attributes
  }
}

/**
 * An unconnected UDP socket (AnyIO's `UDPSocket`): receives from and sends to anyone.
 *
 * **Details**: `receive()` waits for the next datagram (a checkpoint); a second concurrent
 * `receive` (or `send`) fails with `BusyResourceError`; after `close()` both fail with
 * `ClosedResourceError`. Attributes: `family`, `localAddress`, `localPort`, `rawSocket`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createUdpSocket } from "effect-anyio"
 * const echoOnce = Effect.flatMap(createUdpSocket("AF_INET", { localHost: "127.0.0.1", localPort: 9999 }), (udp) =>
 *   udp.use((u) => Effect.flatMap(u.receive(), ([data, [host, port]]) => u.sendto(data, host, port)))
 * )
 * ```
 * @category models
 */
export class UDPSocket
  extends DatagramSocketBase<UDPPacket>
  implements UnreliableObjectStream<UDPPacket, UDPError>
{
  /**
   * Wraps a bound `dgram.Socket` (AnyIO's `UDPSocket.from_socket`), taking it over; one that is
   * not bound dies with `InvalidArgumentError`.
   */
  static fromSocket(socket: dgram.Socket): Effect.Effect<UDPSocket> {
    return Effect.sync(() => new UDPSocket(checkBound(socket), false))
  }

  receive(): Effect.Effect<UDPPacket, UDPError> {
    return coreOf(this).receive()
  }

  /** Sends `[data, [host, port]]`; a host name is resolved by Node. */
  send(packet: UDPPacket): Effect.Effect<void, UDPError> {
    return Effect.suspend(() => {
      if (!Array.isArray(packet) || packet.length !== 2 || !Array.isArray(packet[1])) {
        invalid(`send() takes a [data, [host, port]] packet, got ${textOf(packet)}`)
      }
      const [data, [host, port]] = packet
      return coreOf(this).send(data, [checkHost(host, "host"), checkPort(port, "port", 1)])
    })
  }

  /** Sends `data` to `host`:`port` (AnyIO's `sendto`). */
  sendto(data: Uint8Array, host: string, port: number): Effect.Effect<void, UDPError> {
    return this.send([data, [host, port]])
  }
}

/**
 * A UDP socket connected to one peer (AnyIO's `ConnectedUDPSocket`): `receive()` gives the data
 * of datagrams from that peer only; `send(data)` sends to it. Attributes: those of
 * {@link UDPSocket} and `remoteAddress`, `remotePort`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createConnectedUdpSocket } from "effect-anyio"
 * const ask = Effect.flatMap(createConnectedUdpSocket("127.0.0.1", 9999), (udp) =>
 *   udp.use((u) => Effect.andThen(u.send(new TextEncoder().encode("ping")), u.receive()))
 * )
 * ```
 * @category models
 */
export class ConnectedUDPSocket
  extends DatagramSocketBase<Uint8Array>
  implements UnreliableObjectStream<Uint8Array, UDPError>
{
  /**
   * Wraps a connected `dgram.Socket` (AnyIO's `ConnectedUDPSocket.from_socket`), taking it over;
   * one that is not connected dies with `InvalidArgumentError`.
   */
  static fromSocket(socket: dgram.Socket): Effect.Effect<ConnectedUDPSocket> {
    return Effect.sync(() => {
      checkBound(socket)
      try {
        socket.remoteAddress()
      } catch {
        invalid("the socket must be connected")
      }
      return new ConnectedUDPSocket(socket, true)
    })
  }

  receive(): Effect.Effect<Uint8Array, UDPError> {
    return Effect.map(coreOf(this).receive(), (packet) => packet[0])
  }

  send(data: Uint8Array): Effect.Effect<void, UDPError> {
    return coreOf(this).send(data, undefined)
  }
}

const checkBound = (socket: dgram.Socket): dgram.Socket => {
  if (!(socket instanceof dgram.Socket)) invalid(`expected a dgram.Socket, got ${textOf(socket)}`)
  try {
    socket.address()
  } catch {
    invalid("the socket must be bound to a local address")
  }
  return socket
}

// -----------------------------------------------------------------------------
// Constructors
// -----------------------------------------------------------------------------

/**
 * Options of {@link createUdpSocket} and {@link createConnectedUdpSocket}.
 * @category models
 */
export interface UdpSocketOptions {
  /** The local interface address or name to bind to. */
  readonly localHost?: string | undefined
  /** The local port; 0 (the default) picks a free one. */
  readonly localPort?: number | undefined
  /** `SO_REUSEPORT`: let several sockets bind the same address and port. */
  readonly reusePort?: boolean | undefined
}

const checkFamily = (family: unknown): AddressFamily => {
  if (family === undefined) return "AF_UNSPEC"
  if (family !== "AF_UNSPEC" && family !== "AF_INET" && family !== "AF_INET6") {
    invalid(`family must be "AF_INET", "AF_INET6" or "AF_UNSPEC", got ${textOf(family)}`)
  }
  return family as AddressFamily
}

/** Creates, binds and (when `remote` is given) connects a datagram socket; nothing stays open on failure. */
const open = (
  family: IPAddressFamily,
  local: IPSockAddr,
  remote: IPSockAddr | undefined,
  reusePort: boolean
): Effect.Effect<dgram.Socket, OSError> =>
  Effect.callback<dgram.Socket, OSError>((resume) => {
    let socket: dgram.Socket
    try {
      socket = dgram.createSocket({
        type: family === "AF_INET6" ? "udp6" : "udp4",
        reuseAddr: reusePort,
        reusePort,
        ipv6Only: family === "AF_INET6"
      })
    } catch (e) {
      return resume(Effect.fail(osErrorFrom(e, "EINVAL")))
    }
    let done = false
    // Gives the socket up (failed, or the open cancelled): no error event may escape afterwards.
    const discard = () => {
      done = true
      socket.off("error", fail)
      socket.on("error", () => {})
      try {
        socket.close()
      } catch {
        // never bound
      }
    }
    const fail = (e: unknown) => {
      if (done) return
      discard()
      resume(Effect.fail(osErrorFrom(e)))
    }
    socket.on("error", fail)
    const succeed = () => {
      if (done) return
      done = true
      socket.off("error", fail)
      resume(Effect.succeed(socket))
    }
    socket.bind({ address: local[0], port: local[1], exclusive: true }, () => {
      if (remote === undefined) return succeed()
      socket.connect(remote[1], remote[0], (error?: Error) => (error ? fail(error) : succeed()))
    })
    return Effect.sync(() => {
      if (!done) discard()
    })
  })

/** The family and address to bind to for `localHost` (its first passive address). */
const resolveLocal = (
  localHost: string,
  localPort: number,
  family: AddressFamily
): Effect.Effect<readonly [IPAddressFamily, IPSockAddr], OSError> =>
  Effect.map(
    getaddrinfo(checkHost(localHost, "localHost"), localPort, {
      family,
      type: "SOCK_DGRAM",
      flags: AddrInfoFlag.AI_PASSIVE | AddrInfoFlag.AI_ADDRCONFIG
    }),
    (infos) => [infos[0]![0], infos[0]![4]] as const
  )

/** The wildcard address of `family`. */
const wildcard = (family: IPAddressFamily, port: number): IPSockAddr => [
  family === "AF_INET6" ? "::" : "0.0.0.0",
  port
]

/**
 * Creates a UDP socket (AnyIO's `create_udp_socket`), bound to `localHost`:`localPort` (or to
 * the wildcard address of `family`), for receiving from and sending to anyone.
 *
 * **Details**: either `family` (`"AF_INET"`, `"AF_INET6"`) or `localHost` must be given (else it
 * dies with `InvalidArgumentError`, as AnyIO raises `ValueError`); with `localHost`, the family
 * is that of its first address. Fails with `OSError` (`EADDRINUSE`, ...).
 *
 * @example
 * ```ts
 * import { createUdpSocket } from "effect-anyio"
 * const server = createUdpSocket("AF_INET", { localHost: "127.0.0.1", localPort: 5353 })
 * ```
 * @see {@link createConnectedUdpSocket}
 * @category constructors
 */
export const createUdpSocket = (
  family?: AddressFamily,
  options?: UdpSocketOptions
): Effect.Effect<UDPSocket, OSError> =>
  Effect.suspend(() => {
    const fam = checkFamily(family)
    const localHost = options?.localHost
    const localPort = checkPort(options?.localPort ?? 0, "localPort")
    if (fam === "AF_UNSPEC" && !localHost) invalid('Either "family" or "localHost" must be given')
    const reusePort = options?.reusePort === true
    return Effect.gen(function* () {
      const [bindFamily, local] = localHost
        ? yield* resolveLocal(localHost, localPort, fam)
        : [fam as IPAddressFamily, wildcard(fam as IPAddressFamily, localPort)]
      const socket = yield* open(bindFamily, local, undefined, reusePort)
      return new UDPSocket(socket, false)
    })
  })

/**
 * Options of {@link createConnectedUdpSocket}: those of {@link createUdpSocket} and `family`.
 * @category models
 */
export interface ConnectedUdpSocketOptions extends UdpSocketOptions {
  /** The address family; default: that of `localHost`, else of the remote host's first address. */
  readonly family?: AddressFamily | undefined
}

/**
 * Creates a UDP socket connected to `remoteHost`:`remotePort` (AnyIO's
 * `create_connected_udp_socket`): it only receives from that peer and `send` goes to it.
 *
 * **Details**: `remotePort` must be 1–65535 (else `InvalidArgumentError`); the remote host is
 * resolved with {@link getaddrinfo} (its first address). Fails with `OSError`.
 *
 * @example
 * ```ts
 * import { createConnectedUdpSocket } from "effect-anyio"
 * const client = createConnectedUdpSocket("127.0.0.1", 5353)
 * ```
 * @see {@link createUdpSocket}
 * @category constructors
 */
export const createConnectedUdpSocket = (
  remoteHost: string,
  remotePort: number,
  options?: ConnectedUdpSocketOptions
): Effect.Effect<ConnectedUDPSocket, OSError> =>
  Effect.suspend(() => {
    const host = checkHost(remoteHost, "remoteHost")
    const port = checkPort(remotePort, "remotePort", 1)
    let fam: AddressFamily = checkFamily(options?.family)
    const localHost = options?.localHost
    const localPort = checkPort(options?.localPort ?? 0, "localPort")
    const reusePort = options?.reusePort === true
    return Effect.gen(function* () {
      let local: IPSockAddr | undefined
      if (localHost) [fam, local] = yield* resolveLocal(localHost, localPort, fam)
      const remote = yield* getaddrinfo(host, port, { family: fam, type: "SOCK_DGRAM" })
      const remoteFamily = remote[0]![0]
      const socket = yield* open(
        remoteFamily,
        local ?? wildcard(remoteFamily, localPort),
        remote[0]![4],
        reusePort
      )
      return new ConnectedUDPSocket(socket, true)
    })
  })
