/**
 * TCP (AnyIO's `connect_tcp`, `create_tcp_listener`, `TCPConnectable`) on `node:net`.
 *
 * - `connectTcp` resolves the host with {@link getaddrinfo} and connects with AnyIO's happy
 *   eyeballs: the first IPv6 address first, then the first IPv4 one, then the rest; each next
 *   attempt starts `happyEyeballsDelay` seconds after the previous one (or as soon as it failed)
 *   while the earlier ones keep going; the first connection wins and the others are cancelled or
 *   closed. Node's own family auto-selection is off: every attempt is one literal address.
 * - `createTcpListener` binds every address the local host resolves to (on one port), or one
 *   dual-stack socket on `::` when no host is given, and returns them as a {@link MultiListener}.
 *
 * @since 0.4.0
 */
import * as net from "node:net"
import { Effect } from "effect"
import { AddrInfoFlag, getaddrinfo } from "./Dns.ts"
import { ConnectionFailed, OSError } from "./Errors.ts"
import { checkHost, checkPort, connectionFailedFrom, invalid } from "./internal/net/errors.ts"
import { happyEyeballs, orderTargets } from "./internal/net/happyEyeballs.ts"
import { connectSocket, listen, makeServer } from "./internal/net/listen.ts"
import { textOf } from "./internal/text.ts"
import { toSeconds } from "./internal/time.ts"
import { MultiListener } from "./MultiListener.ts"
import { type AddressFamily, SocketAttribute, SocketListener, SocketStream } from "./Sockets.ts"
import type { ByteStreamConnectable } from "./Streams.ts"
import type { Seconds } from "./Time.ts"
import { type TLSOptions, TLSStream, type TLSWrapError } from "./Tls.ts"

// -----------------------------------------------------------------------------
// connectTcp
// -----------------------------------------------------------------------------

/**
 * Options of {@link connectTcp}.
 *
 * @category models
 */
export interface ConnectTcpOptions {
  /** The local interface address (or name) to bind to before connecting. */
  readonly localHost?: string | undefined
  /** The local port to bind to (needs `localHost`). */
  readonly localPort?: number | undefined
  /** Seconds (or a `Duration`) before the next attempt starts; default 0.25. */
  readonly happyEyeballsDelay?: Seconds | undefined
}

interface LocalBind {
  readonly address: string
  readonly port: number
  readonly family: "AF_INET" | "AF_INET6"
}

/** One connection attempt to a literal address. */
const attempt = (
  host: string,
  port: number,
  local: LocalBind | undefined
): Effect.Effect<SocketStream, OSError> =>
  connectSocket(
    {
      host,
      port,
      family: net.isIPv6(host) ? 6 : 4,
      localAddress: local?.address,
      localPort: local?.port || undefined,
      allowHalfOpen: true,
      noDelay: true,
      autoSelectFamily: false
    },
    (socket) => new SocketStream(socket)
  )

/**
 * Options of {@link connectTcp} that ask for TLS (AnyIO's `tls`, `ssl_context`, `tls_hostname`,
 * `tls_standard_compatible`): any of `tls: true`, `tlsHostname` or `tlsOptions` makes
 * `connectTcp` do a TLS handshake and return a {@link TLSStream}.
 *
 * @category models
 */
export interface ConnectTcpTlsOptions extends ConnectTcpOptions {
  /** Do a TLS handshake once connected. */
  readonly tls?: boolean | undefined
  /** The host name to check the server's certificate against; default: `remoteHost`. */
  readonly tlsHostname?: string | undefined
  /** Node's TLS options (CAs, client certificate, ALPN, ...); default: Node's trusted CAs. */
  readonly tlsOptions?: TLSOptions | undefined
  /** Passed to `TLSStream.wrap` as `standardCompatible`; default true. */
  readonly tlsStandardCompatible?: boolean | undefined
}

/** Options that make {@link connectTcp} return a TLS stream. @category models */
export type ConnectTcpWithTls = ConnectTcpTlsOptions &
  ({ readonly tls: true } | { readonly tlsHostname: string } | { readonly tlsOptions: TLSOptions })

const connectPlain = (
  remoteHost: string,
  remotePort: number,
  options: ConnectTcpOptions | undefined
): Effect.Effect<SocketStream, ConnectionFailed> =>
  Effect.suspend(() => {
    const host = checkHost(remoteHost, "remoteHost")
    const port = checkPort(remotePort, "remotePort", 1)
    const delay = toSeconds(options?.happyEyeballsDelay ?? 0.25, "happyEyeballsDelay")
    if (delay < 0) invalid(`happyEyeballsDelay must not be negative, got ${delay}`)
    const localHost = options?.localHost
    const localPort = options?.localPort === undefined ? 0 : checkPort(options.localPort, "localPort")
    if (localHost === undefined && options?.localPort !== undefined) {
      invalid("localPort needs localHost (the address to bind to)")
    }
    const resolveFailed = (e: OSError) => new ConnectionFailed({ message: e.message, code: e.code, cause: e })
    return Effect.gen(function* () {
      let local: LocalBind | undefined
      if (localHost !== undefined && localHost !== "") {
        const infos = yield* Effect.mapError(
          getaddrinfo(checkHost(localHost, "localHost"), localPort, { type: "SOCK_STREAM" }),
          resolveFailed
        )
        const [family, , , , [address]] = infos[0]!
        local = { address, port: localPort, family }
      }
      let targets: Array<string>
      if (net.isIP(host) !== 0) targets = [host]
      else {
        const infos = yield* Effect.mapError(
          getaddrinfo(host, port, { family: local?.family ?? "AF_UNSPEC", type: "SOCK_STREAM" }),
          resolveFailed
        )
        targets = orderTargets(infos.map(([family, , , , [address]]) => [family, address] as const))
      }
      return yield* happyEyeballs(targets, delay, (target) => attempt(target, port, local))
    })
  })

/**
 * Connects to a TCP server (AnyIO's `connect_tcp`), trying the host's addresses with happy
 * eyeballs (see the module description); with TLS options, then does a TLS handshake.
 *
 * **Details**
 * - Fails with `ConnectionFailed`: `"All connection attempts failed"` with the attempt's
 *   `OSError` as `cause` (an `AggregateError` of them when there were several) and its `code`
 *   (`"ECONNREFUSED"`, ...); a name that does not resolve gives the resolver's `OSError` as
 *   `cause` (AnyIO raises that `gaierror` itself).
 * - With `tls: true` (or `tlsHostname`, or `tlsOptions`) it returns a {@link TLSStream}: the
 *   server's certificate is verified and checked against `tlsHostname` (default: `remoteHost`,
 *   passed on as given; IDNA encoding happens in `TLSStream.wrap`). A failed handshake closes the
 *   connection and fails with `SSLError` or `BrokenResourceError`.
 * - Cancelling it cancels every attempt (and the handshake) and leaves no socket open.
 * - `remotePort` must be 1–65535, `localPort` 0–65535 (and needs `localHost`): else it dies with
 *   `InvalidArgumentError`, before any socket exists.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { connectTcp } from "effect-anyio"
 * const hello = Effect.flatMap(connectTcp("localhost", 8080), (stream) =>
 *   stream.use((s) => s.send(new TextEncoder().encode("hello")))
 * )
 * const secure = connectTcp("example.com", 443, { tls: true }) // Effect<TLSStream, ...>
 * ```
 * @see {@link createTcpListener}
 * @category constructors
 */
export const connectTcp: {
  (
    remoteHost: string,
    remotePort: number,
    options: ConnectTcpWithTls
  ): Effect.Effect<TLSStream, ConnectionFailed | TLSWrapError>
  (
    remoteHost: string,
    remotePort: number,
    options?: ConnectTcpOptions & { readonly tls?: false | undefined }
  ): Effect.Effect<SocketStream, ConnectionFailed>
} = ((remoteHost: string, remotePort: number, options?: ConnectTcpTlsOptions) => {
  const plain = connectPlain(remoteHost, remotePort, options)
  if (options?.tls !== true && options?.tlsHostname === undefined && options?.tlsOptions === undefined)
    return plain
  return Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(restore(plain), (stream) =>
      Effect.onError(
        restore(
          TLSStream.wrap(stream, {
            serverSide: false,
            hostname: options.tlsHostname || remoteHost,
            tlsOptions: options.tlsOptions,
            standardCompatible: options.tlsStandardCompatible ?? true
          })
        ),
        () => stream.close()
      )
    )
  )
}) as never

// -----------------------------------------------------------------------------
// createTcpListener
// -----------------------------------------------------------------------------

/**
 * Options of {@link createTcpListener}.
 *
 * @category models
 */
export interface CreateTcpListenerOptions {
  /**
   * The interface address or name to listen on. Omitted: every IPv4 and IPv6 interface (one
   * dual-stack socket when the system has IPv6). `"0.0.0.0"` or `"::"`: every interface of one
   * family.
   */
  readonly localHost?: string | undefined
  /** The port; 0 (the default) picks a free one, the same for every address bound. */
  readonly localPort?: number | undefined
  /** `"AF_INET"`, `"AF_INET6"` or `"AF_UNSPEC"` (the default): which addresses of `localHost`. */
  readonly family?: AddressFamily | undefined
  /** The listen backlog, at most 65536 (the default). */
  readonly backlog?: number | undefined
  /** `SO_REUSEPORT`: let several sockets listen on the same address and port. */
  readonly reusePort?: boolean | undefined
}

const listenOne = (
  host: string,
  port: number,
  backlog: number,
  reusePort: boolean,
  v6only: boolean
): Effect.Effect<SocketListener, OSError> =>
  Effect.map(
    listen(makeServer(), { host, port, backlog, ipv6Only: v6only, reusePort, exclusive: true }),
    (server) => new SocketListener(server)
  )

const closeAll = (listeners: ReadonlyArray<SocketListener>) =>
  Effect.forEach(listeners, (l) => l.close(), { discard: true })

/**
 * Creates a TCP listener (AnyIO's `create_tcp_listener`): a {@link MultiListener} with one
 * `SocketListener` per bound address.
 *
 * **Details**
 * - Without `localHost` (and with `family` `"AF_UNSPEC"`) it binds one dual-stack socket on `::`
 *   when the system has IPv6, else one socket per family.
 * - With port 0, every address gets the same free port: when the port picked for the first one
 *   is taken on another, it starts over with the next address first (AnyIO's retry).
 * - Sockets use `SO_REUSEADDR`; `reusePort` adds `SO_REUSEPORT`.
 * - Fails with `OSError` (`EADDRINUSE`, `EACCES`, ...); nothing stays bound after a failure. Bad
 *   options die with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTcpListener } from "effect-anyio"
 * const echoServer = Effect.flatMap(createTcpListener({ localHost: "127.0.0.1", localPort: 8080 }), (listener) =>
 *   listener.serve((stream) => stream.runForEach((chunk) => stream.send(chunk)))
 * )
 * ```
 * @see {@link connectTcp}
 * @category constructors
 */
export const createTcpListener = (
  options?: CreateTcpListenerOptions
): Effect.Effect<MultiListener<SocketStream>, OSError> =>
  Effect.suspend(() => {
    const localHost = options?.localHost === undefined ? undefined : checkHost(options.localHost, "localHost")
    const localPort = checkPort(options?.localPort ?? 0, "localPort")
    const family = options?.family ?? "AF_UNSPEC"
    if (family !== "AF_UNSPEC" && family !== "AF_INET" && family !== "AF_INET6") {
      invalid(`family must be "AF_INET", "AF_INET6" or "AF_UNSPEC", got ${textOf(family)}`)
    }
    const backlogOption = options?.backlog ?? 65536
    if (typeof backlogOption !== "number" || !Number.isInteger(backlogOption) || backlogOption < 0) {
      invalid(`backlog must be a non-negative integer, got ${textOf(backlogOption)}`)
    }
    const backlog = Math.min(backlogOption, 65536)
    const reusePort = options?.reusePort === true
    return Effect.gen(function* () {
      const infos = yield* getaddrinfo(localHost ?? null, localPort, {
        family,
        flags: AddrInfoFlag.AI_PASSIVE | AddrInfoFlag.AI_ADDRCONFIG
      })
      // Unique (family, address) pairs of the stream results, IPv4 first (AnyIO sorts the tuples).
      const seen = new Set<string>()
      const addresses: Array<readonly [string, string]> = []
      for (const [fam, kind, , , [address]] of infos) {
        const key = `${fam} ${address}`
        if (kind !== "SOCK_STREAM" || seen.has(key)) continue
        seen.add(key)
        addresses.push([fam, address])
      }
      addresses.sort((a, b) =>
        a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] === "AF_INET" ? -1 : 1
      )

      if (localHost === undefined && family === "AF_UNSPEC" && addresses.some(([f]) => f === "AF_INET6")) {
        // The "any" interface on both families: one dual-stack socket (AnyIO's special case).
        const dual = yield* Effect.result(listenOne("::", localPort, backlog, reusePort, false))
        if (dual._tag === "Success") return new MultiListener([dual.success])
        // No IPv6 after all: bind each family on its own, below.
        if (dual.failure.code !== "EAFNOSUPPORT" && dual.failure.code !== "EADDRNOTAVAIL") {
          return yield* Effect.fail(dual.failure)
        }
      }

      const errors: Array<OSError> = []
      for (let round = 0; round < addresses.length; round++) {
        const listeners: Array<SocketListener> = []
        let port = localPort
        let failure: OSError | undefined
        for (const [fam, address] of addresses) {
          const bound = yield* Effect.result(
            Effect.onInterrupt(listenOne(address, port, backlog, reusePort, fam === "AF_INET6"), () =>
              closeAll(listeners)
            )
          )
          if (bound._tag === "Failure") {
            yield* closeAll(listeners)
            failure = bound.failure
            break
          }
          listeners.push(bound.success)
          // An ephemeral port: bind every other address to the one the first got.
          if (localPort === 0 && addresses.length > 1) {
            port =
              (bound.success.extraAttributes.get(SocketAttribute.localPort)?.() as number | undefined) ?? 0
          }
        }
        if (failure === undefined) return new MultiListener(listeners)
        if (failure.code === "EADDRINUSE" && localPort === 0 && port !== 0) {
          errors.push(failure)
          addresses.push(addresses.shift()!)
          continue
        }
        return yield* Effect.fail(failure)
      }
      return yield* Effect.fail(
        new OSError({
          message: `Could not create ${addresses.length} listeners with a consistent port`,
          code: "EADDRINUSE",
          cause: new AggregateError(errors, "Several bind attempts failed")
        })
      )
    })
  })

// -----------------------------------------------------------------------------
// TCPConnectable
// -----------------------------------------------------------------------------

/**
 * Connects to a TCP server at a host and port (AnyIO's `TCPConnectable`): a
 * `ByteStreamConnectable`, for code that takes "something to connect to".
 *
 * @example
 * ```ts
 * import { TCPConnectable } from "effect-anyio"
 * const server = new TCPConnectable("localhost", 8080)
 * const stream = server.connect() // Effect<SocketStream, ConnectionFailed>
 * ```
 * @category constructors
 */
export class TCPConnectable implements ByteStreamConnectable {
  readonly host: string
  readonly port: number

  /** Dies with `InvalidArgumentError` if the port is not 1–65535 (AnyIO: "TCP port number out of range"). */
  constructor(host: string, port: number) {
    this.host = checkHost(host, "host")
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      invalid(`TCP port number out of range: ${textOf(port)}`)
    }
    this.port = port
  }

  connect(): Effect.Effect<SocketStream, ConnectionFailed> {
    return Effect.mapError(connectTcp(this.host, this.port), (e) => {
      const cause = e.cause
      return cause instanceof OSError ? connectionFailedFrom(cause, `${this.host}:${this.port}`) : e
    })
  }
}
