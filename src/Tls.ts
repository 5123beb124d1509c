/**
 * TLS over any byte stream (AnyIO's `anyio.streams.tls`: `TLSStream`, `TLSListener`,
 * `TLSConnectable`, `TLSAttribute`), on Node's `node:tls` running over a Duplex adapter of our
 * stream: TLS over TCP, Unix sockets, memory streams, or another TLS stream.
 *
 * - Secure by default: a client verifies the server's certificate against Node's trusted CAs
 *   (or `tlsOptions.ca`) and checks it against `hostname` (IDNA 2008-encoded, as AnyIO does);
 *   a client without a `hostname` dies with `InvalidArgumentError` unless verification was
 *   changed on purpose (`rejectUnauthorized: false` or a `checkServerIdentity`).
 * - `standardCompatible` (default true): `close()` does the TLS closing handshake (sends
 *   `close_notify` and waits for the peer's), and a transport that ends without the peer's
 *   `close_notify` (a "ragged EOF", a truncation attack) is a `BrokenResourceError`. With
 *   `false` (some HTTP peers), `close()` just closes and a ragged EOF is a plain `EndOfStream`.
 * - `unwrap()` does the closing handshake and gives back the transport and the bytes that came
 *   after the peer's `close_notify`, for protocols that go on in plain text.
 * - Differences from AnyIO: `sendEof()` works on TLS 1.3 (it sends `close_notify`, a half-close
 *   there; AnyIO raises `NotImplementedError` on every version); `close()` never fails (a failed
 *   closing handshake closes the transport anyway; call `unwrap()` to see the failure); Node has
 *   no `shared_ciphers`, so {@link TLSAttribute} has no `sharedCiphers`.
 *
 * @since 0.4.0
 */
import * as net from "node:net"
import * as tls from "node:tls"
import { Cause, Effect, Exit } from "effect"
import { failAfter } from "./CancelScope.ts"
import { idnaEncode } from "./Dns.ts"
import {
  BrokenResourceError,
  BusyResourceError,
  ClosedResourceError,
  ConnectionFailed,
  type EndOfStream,
  InvalidArgumentError,
  RuntimeError,
  SSLError
} from "./Errors.ts"
import type { GroupOfLeaves } from "./ExceptionGroup.ts"
import { checkHost, invalid } from "./internal/net/errors.ts"
import { TransportDuplex } from "./internal/net/transportDuplex.ts"
import { fromDuplex, type NodeByteStream } from "./internal/nodeStream.ts"
import { textOf } from "./internal/text.ts"
import { toSeconds } from "./internal/time.ts"
import {
  type AcceptError,
  type AnyByteStream,
  ByteStreamBase,
  type ByteStreamConnectable,
  type Listener,
  type ObjectStreamConnectable,
  ResourceBase
} from "./Streams.ts"
import type { Spawned, TaskGroup } from "./TaskGroup.ts"
import type { Seconds } from "./Time.ts"
import { checkpoint } from "./Time.ts"
import { attributeMap, type TypedAttributeMap, typedAttributeSet } from "./TypedAttribute.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * Node's TLS options for one side of a connection (AnyIO's `ssl.SSLContext`): `ca`, `cert`,
 * `key`, `ALPNProtocols`, `minVersion`/`maxVersion`, `rejectUnauthorized`, `requestCert`,
 * `checkServerIdentity`, `secureContext`, `SNICallback`, ... The connection's own fields
 * (`socket`, `host`, `port`, `path`, `isServer`, `servername`) are set by the wrapper.
 *
 * @category models
 */
export type TLSOptions = Omit<
  tls.ConnectionOptions & tls.TLSSocketOptions,
  "socket" | "host" | "port" | "path" | "isServer" | "servername" | "timeout" | "lookup"
>

/**
 * The typed attributes of TLS streams (AnyIO's `TLSAttribute`).
 *
 * - `alpnProtocol`: the protocol ALPN selected, or `null`.
 * - `channelBindingTlsUnique`: the `tls-unique` channel binding (the first Finished message).
 * - `cipher`: `[name, protocol version, secret bits]`.
 * - `peerCertificate`: the peer's certificate as Node decodes it (`tls.PeerCertificate`), or
 *   `null`; `peerCertificateBinary`: its DER bytes, or `null`.
 * - `serverSide`, `standardCompatible`, `tlsVersion` (`"TLSv1.3"`, ...).
 * - `tlsSocket`: Node's `tls.TLSSocket` (AnyIO's `ssl_object`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { connectTcp, TLSAttribute } from "effect-anyio"
 * const alpn = Effect.flatMap(connectTcp("example.com", 443, { tls: true, tlsOptions: { ALPNProtocols: ["h2"] } }), (s) =>
 *   s.use((s) => s.extra(TLSAttribute.alpnProtocol))
 * )
 * ```
 * @category models
 */
export const TLSAttribute = typedAttributeSet("TLSAttribute", {
  alpnProtocol: {} as string | null,
  channelBindingTlsUnique: {} as Uint8Array | null,
  cipher: {} as readonly [name: string, version: string, bits: number],
  peerCertificate: {} as tls.PeerCertificate | null,
  peerCertificateBinary: {} as Uint8Array | null,
  serverSide: {} as boolean,
  standardCompatible: {} as boolean,
  tlsSocket: {} as tls.TLSSocket,
  tlsVersion: {} as string
})

/**
 * Options of {@link TLSStream.wrap}.
 * @category models
 */
export interface TLSStreamOptions {
  /** Server side of the handshake; default: `true` exactly when no `hostname` is given. */
  readonly serverSide?: boolean | undefined
  /** The peer's host name: sent with SNI and checked against its certificate (client side). */
  readonly hostname?: string | undefined
  /** Node's TLS options (certificates, CAs, ALPN, versions, ...). */
  readonly tlsOptions?: TLSOptions | undefined
  /** Do the closing handshake and treat a missing `close_notify` as an error; default true. */
  readonly standardCompatible?: boolean | undefined
}

/** What a TLS stream's operations can fail with. @category models */
export type TLSStreamError = EndOfStream | ClosedResourceError | BrokenResourceError | BusyResourceError

/** What `TLSStream.wrap` can fail with: a TLS failure, or the transport broke or ended. @category models */
export type TLSWrapError = SSLError | BrokenResourceError

// -----------------------------------------------------------------------------
// Internals
// -----------------------------------------------------------------------------

const brokenCodes = new Set([
  "ECONNRESET",
  "EPIPE",
  "ECONNABORTED",
  "ERR_STREAM_DESTROYED",
  "ERR_STREAM_PREMATURE_CLOSE"
])

/** A Node TLS error as AnyIO raises it: the transport's failure is `BrokenResourceError`, the rest `SSLError`. */
const wrapErrorOf = (error: unknown): TLSWrapError => {
  const e = (typeof error === "object" && error !== null ? error : {}) as {
    code?: unknown
    message?: unknown
    _tag?: unknown
  }
  const message = typeof e.message === "string" ? e.message : String(error)
  if (e._tag === "BrokenResourceError" || e._tag === "ClosedResourceError" || e._tag === "EndOfStream") {
    return new BrokenResourceError({ message, cause: error })
  }
  const code = typeof e.code === "string" ? e.code : undefined
  if (code !== undefined && brokenCodes.has(code)) return new BrokenResourceError({ message, cause: error })
  return new SSLError({ message, code, cause: error })
}

/**
 * Why the client's certificate does not verify, or `undefined` when it does. A server-side
 * `TLSSocket` made outside `tls.Server` leaves this check to its owner (tls.Server does it in
 * `onServerSocketSecure` with the same internal `verifyError()`); without that method, fail closed.
 */
const clientVerifyError = (socket: tls.TLSSocket): Error | undefined => {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle
  if (typeof handle?.verifyError !== "function") {
    return Object.assign(new Error("cannot verify the client certificate"), {
      code: "ERR_TLS_CERT_UNVERIFIED"
    })
  }
  const error = handle.verifyError()
  return error === null ? undefined : error
}

const cipherBits = (name: string): number => {
  const m = /(?:AES|CAMELLIA|ARIA)[_-]?(\d{3})/.exec(name)
  if (m) return Number(m[1])
  if (/CHACHA20/.test(name)) return 256
  return 0
}

const tlsAttributes = (
  socket: tls.TLSSocket,
  serverSide: boolean,
  standardCompatible: boolean,
  transport: AnyByteStream
): TypedAttributeMap =>
  attributeMap(
    [
      [
        TLSAttribute.alpnProtocol,
        () => (typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : null)
      ],
      [
        TLSAttribute.channelBindingTlsUnique,
        () => {
          const finished = serverSide ? socket.getPeerFinished() : socket.getFinished()
          return finished === undefined ? null : new Uint8Array(finished)
        }
      ],
      [
        TLSAttribute.cipher,
        () => {
          const c = socket.getCipher()
          return [c.name, c.version, cipherBits(c.standardName ?? c.name)] as const
        }
      ],
      [
        TLSAttribute.peerCertificate,
        () => {
          const cert = socket.getPeerCertificate()
          return cert === null || Object.keys(cert).length === 0 ? null : cert
        }
      ],
      [
        TLSAttribute.peerCertificateBinary,
        () => {
          const cert = socket.getPeerCertificate()
          return cert?.raw === undefined ? null : new Uint8Array(cert.raw)
        }
      ],
      [TLSAttribute.serverSide, () => serverSide],
      [TLSAttribute.standardCompatible, () => standardCompatible],
      [TLSAttribute.tlsSocket, () => socket],
      [TLSAttribute.tlsVersion, () => socket.getProtocol() ?? ""]
    ],
    transport.extraAttributes
  )

/**
 * Reads and drops what the TLS socket still delivers until its end (the peer's `close_notify`),
 * an error or its close.
 */
const untilEnd = (socket: tls.TLSSocket): Effect.Effect<void, BrokenResourceError> =>
  Effect.callback<void, BrokenResourceError>((resume) => {
    const drain = () => {
      while (socket.read() !== null) {
        // dropped: nobody reads a stream that is being closed
      }
    }
    const cleanup = () => {
      socket.off("readable", drain)
      socket.off("end", onEnd)
      socket.off("error", onError)
      socket.off("close", onEnd)
    }
    const onEnd = () => {
      cleanup()
      resume(Effect.void)
    }
    const onError = (e: unknown) => {
      cleanup()
      resume(
        Effect.fail(
          new BrokenResourceError({ message: e instanceof Error ? e.message : String(e), cause: e })
        )
      )
    }
    if (socket.readableEnded || socket.destroyed) return resume(Effect.void)
    socket.on("readable", drain)
    socket.once("end", onEnd)
    socket.once("error", onError)
    socket.once("close", onEnd)
    drain()
    return Effect.sync(cleanup)
  })

// -----------------------------------------------------------------------------
// TLSStream
// -----------------------------------------------------------------------------

/**
 * A byte stream that encrypts what it sends and decrypts what it receives over another byte
 * stream (AnyIO's `TLSStream`). Create one with {@link TLSStream.wrap}, `connectTcp(..., { tls:
 * true })`, a {@link TLSListener} or a {@link TLSConnectable}.
 *
 * **Details**
 * - `receive`/`send` follow the stream rules of `Streams.ts`; a TLS failure after the handshake
 *   is a `BrokenResourceError` with the Node error as `cause`.
 * - The attributes are those of {@link TLSAttribute} over those of the transport (a TLS stream
 *   over TCP also gives `SocketAttribute.remoteAddress`, ...).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { connectTcp, TLSStream } from "effect-anyio"
 * const get = Effect.gen(function* () {
 *   const tcp = yield* connectTcp("example.com", 443)
 *   const tls = yield* TLSStream.wrap(tcp, { hostname: "example.com" })
 *   return yield* tls.use((s) => Effect.andThen(s.send(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n")), s.receive()))
 * })
 * ```
 * @category models
 */
export class TLSStream extends ByteStreamBase<TLSStreamError> {
  /** The wrapped stream (AnyIO's `transport_stream`). */
  readonly transportStream: AnyByteStream
  /** Whether the closing handshake is done and a missing `close_notify` is an error. */
  readonly standardCompatible: boolean
  readonly #socket: tls.TLSSocket
  readonly #duplex: TransportDuplex
  readonly #reader: NodeByteStream
  readonly #attributes: TypedAttributeMap
  #closed = false
  #sending = false
  #eofSent = false

  private constructor(
    transport: AnyByteStream,
    socket: tls.TLSSocket,
    duplex: TransportDuplex,
    serverSide: boolean,
    standardCompatible: boolean
  ) {
    super()
    this.transportStream = transport
    this.standardCompatible = standardCompatible
    this.#socket = socket
    this.#duplex = duplex
    // Our close() decides what happens to the TLS socket (closing handshake or not).
    this.#reader = fromDuplex(socket, { onClose: () => {} })
    this.#attributes = tlsAttributes(socket, serverSide, standardCompatible, transport)
  }

  /**
   * Does a TLS handshake over `transport` and returns the TLS stream (AnyIO's `TLSStream.wrap`).
   *
   * **Details**
   * - Client side (the default when `hostname` is given): verifies the server's certificate and
   *   that it is valid for `hostname`. Server side: needs `tlsOptions.key` and `cert` (or a
   *   `secureContext`); `requestCert` + `rejectUnauthorized` make it verify the client's.
   * - Fails with `SSLError` (a certificate that does not verify, no common protocol, a TLS
   *   alert) or `BrokenResourceError` (the transport broke or ended during the handshake).
   *   Cancelling it stops the handshake; the transport is left open for the caller to close.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { connectTcp, TLSStream } from "effect-anyio"
   * const tls = Effect.flatMap(connectTcp("127.0.0.1", 8443), (tcp) =>
   *   TLSStream.wrap(tcp, { hostname: "localhost", tlsOptions: { ca: "-----BEGIN CERTIFICATE-----..." } })
   * )
   * ```
   */
  static wrap(transport: AnyByteStream, options?: TLSStreamOptions): Effect.Effect<TLSStream, TLSWrapError> {
    return Effect.withFiber((fiber) => {
      const hostname =
        options?.hostname === undefined ? undefined : idnaEncode(checkHost(options.hostname, "hostname"))
      const serverSide = options?.serverSide ?? hostname === undefined
      const standardCompatible = options?.standardCompatible ?? true
      const tlsOptions: TLSOptions = options?.tlsOptions ?? {}
      if (!serverSide && hostname === undefined && tlsOptions.rejectUnauthorized !== false) {
        if (tlsOptions.checkServerIdentity === undefined) {
          invalid(
            "a client-side TLS stream needs the server's hostname to check its certificate against " +
              "(or tlsOptions.checkServerIdentity / rejectUnauthorized: false to change verification)"
          )
        }
      }
      const duplex = new TransportDuplex(transport, fiber.context as never)
      return Effect.callback<TLSStream, TLSWrapError>((resume) => {
        let socket: tls.TLSSocket
        let done = false
        const onError = (e: unknown) => {
          if (done) return
          done = true
          socket.off(serverSide ? "secure" : "secureConnect", onSecure)
          socket.on("error", () => {})
          socket.destroy()
          resume(Effect.map(duplex.stop(), () => Exit.fail(wrapErrorOf(e))).pipe(Effect.flatten))
        }
        const onSecure = () => {
          if (done) return
          if (serverSide && tlsOptions.requestCert === true && tlsOptions.rejectUnauthorized !== false) {
            const verifyError = clientVerifyError(socket)
            if (verifyError !== undefined) return onError(verifyError)
          }
          done = true
          socket.off("end", onGone)
          socket.off("close", onGone)
          // Node reports the handshake done before OpenSSL has finished it (TLS 1.3 session
          // tickets): a close_notify sent now would be dropped (SSL_shutdown during init). One
          // turn of the event loop lets it finish.
          setImmediate(() => {
            socket.off("error", onError)
            if (socket.destroyed) {
              resume(
                Effect.flatten(
                  Effect.map(duplex.stop(), () =>
                    Exit.fail(
                      wrapErrorOf(
                        socket.errored ?? new Error("the TLS stream was destroyed during the handshake")
                      )
                    )
                  )
                )
              )
            } else
              resume(Effect.succeed(new TLSStream(transport, socket, duplex, serverSide, standardCompatible)))
          })
        }
        try {
          if (serverSide) {
            // Node's tls.Server default: a requested client certificate must verify.
            socket = new tls.TLSSocket(duplex, { rejectUnauthorized: true, ...tlsOptions, isServer: true })
            socket.once("secure", onSecure)
          } else {
            const ip = hostname !== undefined && net.isIP(hostname) !== 0
            socket = tls.connect({
              ...tlsOptions,
              socket: duplex,
              host: hostname,
              servername: ip ? undefined : hostname
            })
            socket.once("secureConnect", onSecure)
          }
        } catch (e) {
          return resume(Effect.fail(wrapErrorOf(e)))
        }
        duplex.tlsSocket = socket
        socket.once("error", onError)
        // A peer that goes away before the handshake ends: Node's client side reports it as an
        // error, a server-side socket outside tls.Server just ends.
        const onGone = () =>
          onError(
            Object.assign(new Error("the peer disconnected before the TLS handshake completed"), {
              code: "ECONNRESET"
            })
          )
        socket.once("end", onGone)
        socket.once("close", onGone)
        return Effect.suspend(() => {
          if (done) return Effect.void
          done = true
          socket.on("error", () => {})
          socket.destroy()
          return Effect.asVoid(duplex.stop())
        })
      })
    })
  }

  /** Whether the transport ended without the peer's `close_notify` and that counts as an error. */
  #raggedError(): BrokenResourceError | undefined {
    return this.standardCompatible && this.#duplex.transportEnded && !this.#duplex.closeNotifyFirst
      ? new BrokenResourceError({
          message: "the transport ended without a TLS close_notify (unexpected EOF)",
          cause: new SSLError({
            message: "UNEXPECTED_EOF_WHILE_READING",
            code: "UNEXPECTED_EOF_WHILE_READING"
          })
        })
      : undefined
  }

  receive(maxBytes?: number): Effect.Effect<Uint8Array, TLSStreamError> {
    return Effect.catchTag(this.#reader.receive(maxBytes), "EndOfStream", (e: EndOfStream) => {
      const ragged = this.#raggedError()
      return Effect.fail(ragged ?? e)
    })
  }

  /**
   * Sends the bytes encrypted; it returns once the transport took them (as AnyIO's `send`
   * returns after the transport's), so closing the transport right after loses nothing.
   */
  send(data: Uint8Array): Effect.Effect<void, TLSStreamError> {
    return Effect.suspend(() => {
      if (!(data instanceof Uint8Array)) {
        throw new InvalidArgumentError({ message: `send() takes a Uint8Array, got ${textOf(data)}` })
      }
      const failure = this.#writeFailure()
      if (failure !== undefined) return Effect.fail(failure)
      if (this.#sending) return Effect.fail(new BusyResourceError({ action: "writing to" }))
      this.#sending = true
      return Effect.onExitPrimitive(Effect.andThen(checkpoint(), this.#write(data)), () => {
        this.#sending = false
        return undefined
      })
    })
  }

  #writeFailure(): ClosedResourceError | BrokenResourceError | undefined {
    if (this.#closed) return new ClosedResourceError({})
    if (this.#eofSent) return new ClosedResourceError({ message: "the write side was closed with sendEof()" })
    const socket = this.#socket
    if (socket.destroyed || socket.writableEnded) {
      const e = socket.errored
      return new BrokenResourceError({
        message: e?.message ?? "the TLS stream was closed",
        cause: e ?? undefined
      })
    }
    return undefined
  }

  #write(data: Uint8Array | undefined): Effect.Effect<void, TLSStreamError> {
    return Effect.callback<void, TLSStreamError>((resume) => {
      const failure = this.#writeFailure()
      if (failure !== undefined && data !== undefined) return resume(Effect.fail(failure))
      const done = (e?: Error | null) =>
        resume(e ? Effect.fail(new BrokenResourceError({ message: e.message, cause: e })) : Effect.void)
      if (data === undefined) this.#socket.end(done)
      else this.#socket.write(data, done)
    })
  }

  /**
   * Sends `close_notify`: no more data from this side (TLS 1.3, where this is a half-close;
   * receiving goes on). Before TLS 1.3 `close_notify` closes both directions, so it dies with
   * `RuntimeError` there, as AnyIO raises `NotImplementedError`.
   */
  sendEof(): Effect.Effect<void, TLSStreamError> {
    return Effect.suspend(() => {
      const version = this.#socket.getProtocol() ?? ""
      const m = /^TLSv(\d+)(?:\.(\d+))?/.exec(version)
      if (m && (Number(m[1]) < 1 || (Number(m[1]) === 1 && Number(m[2] ?? 0) < 3))) {
        return Effect.die(
          new RuntimeError({
            message: `sendEof() requires at least TLSv1.3; current session uses ${version}`
          })
        )
      }
      const failure = this.#writeFailure()
      if (failure !== undefined)
        return failure._tag === "ClosedResourceError" && this.#eofSent ? Effect.void : Effect.fail(failure)
      this.#eofSent = true
      return this.#write(undefined)
    })
  }

  /**
   * Does the TLS closing handshake and hands back the transport, with the bytes received after
   * the peer's `close_notify` (AnyIO's `unwrap`). The TLS stream is closed afterwards; the
   * transport is not.
   *
   * **Details**: fails with `BrokenResourceError` when the transport broke, or ended without the
   * peer's `close_notify` while `standardCompatible`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import type { TLSStream } from "effect-anyio"
   * const downgrade = (s: TLSStream) => Effect.map(s.unwrap(), ([plain, leftover]) => ({ plain, leftover }))
   * ```
   */
  unwrap(): Effect.Effect<readonly [transport: AnyByteStream, leftover: Uint8Array], TLSStreamError> {
    return Effect.suspend(() => {
      if (this.#closed) return Effect.fail(new ClosedResourceError({}))
      this.#closed = true
      const duplex = this.#duplex
      duplex.recordMode = true
      duplex.suppressEof = true
      const socket = this.#socket
      // Our close_notify, flushed to the transport before the transport is handed back.
      const flushed = Effect.callback<void>((resume) => {
        if (socket.writableFinished || socket.destroyed) return resume(Effect.void)
        const done = () => resume(Effect.void)
        socket.once("finish", done)
        socket.once("close", done)
        if (!socket.writableEnded) socket.end()
      })
      return Effect.flatMap(
        Effect.onError(Effect.andThen(flushed, untilEnd(socket)), () => this.#forceClose(false)),
        (): Effect.Effect<readonly [AnyByteStream, Uint8Array], TLSStreamError> => {
          const ragged = this.#raggedError()
          if (ragged !== undefined) return Effect.andThen(this.#forceClose(false), Effect.fail(ragged))
          return Effect.flatMap(duplex.stop(), (leftover) =>
            Effect.as(
              Effect.andThen(
                this.#reader.close(),
                Effect.sync(() => socket.destroy())
              ),
              [this.transportStream, leftover] as const
            )
          )
        }
      )
    })
  }

  /** Closes without the closing handshake; `withTransport` closes the transport too. */
  #forceClose(withTransport: boolean): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.#closed = true
      this.#socket.on("error", () => {})
      this.#socket.destroy()
      return Effect.andThen(
        Effect.andThen(this.#reader.close(), this.#duplex.stop()),
        withTransport ? this.transportStream.close() : Effect.void
      )
    })
  }

  /**
   * Closes the stream and its transport (AnyIO's `aclose`): with `standardCompatible`, after the
   * closing handshake (`close_notify` both ways). Idempotent; never fails: a closing handshake
   * that fails (or is cancelled) still closes everything.
   */
  close(): Effect.Effect<void> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        if (this.#closed) return Effect.void
        this.#closed = true
        const socket = this.#socket
        const graceful = this.standardCompatible && !socket.destroyed && this.#raggedError() === undefined
        const handshake = graceful
          ? Effect.suspend(() => {
              if (!socket.writableEnded) socket.end()
              return Effect.ignore(restore(untilEnd(socket)))
            })
          : Effect.void
        return Effect.andThen(Effect.exit(handshake), this.#forceClose(true))
      })
    )
  }

  override get extraAttributes(): TypedAttributeMap {
    return this.#attributes
  }
}

// -----------------------------------------------------------------------------
// TLSListener
// -----------------------------------------------------------------------------

/**
 * Options of {@link TLSListener}.
 * @category models
 */
export interface TLSListenerOptions {
  /** Passed to {@link TLSStream.wrap}; default true. */
  readonly standardCompatible?: boolean | undefined
  /** Seconds (or a `Duration`) the TLS handshake may take; default 30. */
  readonly handshakeTimeout?: Seconds | undefined
}

/**
 * A listener that does a TLS handshake on every connection another listener accepts, and hands
 * the handler a {@link TLSStream} (AnyIO's `TLSListener`).
 *
 * **Details**
 * - A handshake that fails or times out goes to {@link TLSListener.handleHandshakeError}: by
 *   default it closes the connection and logs the error (`Effect.logError`, "Error during TLS
 *   handshake"); serving goes on. Override it in a subclass to do otherwise.
 * - Its only attribute is `TLSAttribute.standardCompatible`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTcpListener, TLSListener } from "effect-anyio"
 * const serveTls = (key: string, cert: string) =>
 *   Effect.flatMap(createTcpListener({ localHost: "127.0.0.1", localPort: 8443 }), (tcp) =>
 *     new TLSListener(tcp, { key, cert }).serve((stream) => stream.send(new TextEncoder().encode("hello\n")))
 *   )
 * ```
 * @category models
 */
export class TLSListener<EA = AcceptError> extends ResourceBase implements Listener<TLSStream, EA> {
  /** The listener whose connections are wrapped. */
  readonly listener: Listener<AnyByteStream, EA>
  /** The server side's TLS options (certificate and key, ...). */
  readonly tlsOptions: TLSOptions
  readonly standardCompatible: boolean
  /** In seconds. */
  readonly handshakeTimeout: number

  constructor(listener: Listener<AnyByteStream, EA>, tlsOptions: TLSOptions, options?: TLSListenerOptions) {
    super()
    this.listener = listener
    this.tlsOptions = tlsOptions
    this.standardCompatible = options?.standardCompatible ?? true
    this.handshakeTimeout = toSeconds(options?.handshakeTimeout ?? 30, "handshakeTimeout")
  }

  /**
   * What happens when a handshake fails (AnyIO's `handle_handshake_error`): closes the stream and
   * logs the error. Cancellations never come here (they cancel the handler's task).
   */
  handleHandshakeError(error: unknown, stream: AnyByteStream): Effect.Effect<void> {
    return Effect.andThen(stream.close(), Effect.logError("Error during TLS handshake", error))
  }

  serve<E = never, R = never>(
    handler: (stream: TLSStream) => Effect.Effect<unknown, E, R>
  ): Effect.Effect<never, GroupOfLeaves<E | EA>, R>
  serve<E = never, R = never>(
    handler: (stream: TLSStream) => Effect.Effect<unknown, E, R>,
    taskGroup: TaskGroup
  ): Effect.Effect<never, EA | GroupOfLeaves<EA>, R | Spawned<E>>
  serve<E, R>(
    handler: (stream: TLSStream) => Effect.Effect<unknown, E, R>,
    taskGroup?: TaskGroup
  ): Effect.Effect<never, unknown, unknown> {
    // Handshake failures are handled (handleHandshakeError); only the handler's own reach the group.
    const wrapped = (stream: AnyByteStream): Effect.Effect<unknown, E, R> =>
      Effect.matchCauseEffect(
        failAfter(
          this.handshakeTimeout,
          TLSStream.wrap(stream, {
            serverSide: true,
            tlsOptions: this.tlsOptions,
            standardCompatible: this.standardCompatible
          })
        ),
        {
          onFailure: (cause) =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.andThen(stream.close(), Effect.failCause(cause))
              : this.handleHandshakeError(Cause.squash(cause), stream),
          onSuccess: (tlsStream) => tlsStream.use(handler)
        }
      ) as Effect.Effect<unknown, E, R>
    return taskGroup === undefined ? this.listener.serve(wrapped) : this.listener.serve(wrapped, taskGroup)
  }

  close(): Effect.Effect<void> {
    return this.listener.close()
  }

  override get extraAttributes(): TypedAttributeMap {
    const standardCompatible = this.standardCompatible
    return attributeMap([[TLSAttribute.standardCompatible, () => standardCompatible]])
  }
}

// -----------------------------------------------------------------------------
// TLSConnectable
// -----------------------------------------------------------------------------

/**
 * Options of {@link TLSConnectable}.
 * @category models
 */
export interface TLSConnectableOptions {
  /** The server's host name, checked against its certificate. */
  readonly hostname?: string | undefined
  readonly tlsOptions?: TLSOptions | undefined
  readonly standardCompatible?: boolean | undefined
}

/**
 * Connects with another connectable, then does a TLS handshake (AnyIO's `TLSConnectable`). A
 * failed handshake closes the connection and fails with `ConnectionFailed` (the `SSLError` or
 * `BrokenResourceError` as `cause`).
 *
 * @example
 * ```ts
 * import { TCPConnectable, TLSConnectable } from "effect-anyio"
 * const server = new TLSConnectable(new TCPConnectable("example.com", 443), { hostname: "example.com" })
 * const stream = server.connect()
 * ```
 * @category constructors
 */
export class TLSConnectable implements ByteStreamConnectable<TLSStreamError> {
  readonly connectable: ByteStreamConnectable<unknown> | ObjectStreamConnectable<Uint8Array, unknown>
  readonly hostname: string | undefined
  readonly tlsOptions: TLSOptions
  readonly standardCompatible: boolean

  constructor(
    connectable: ByteStreamConnectable<unknown> | ObjectStreamConnectable<Uint8Array, unknown>,
    options?: TLSConnectableOptions
  ) {
    this.connectable = connectable
    this.hostname = options?.hostname
    this.tlsOptions = options?.tlsOptions ?? {}
    this.standardCompatible = options?.standardCompatible ?? true
  }

  connect(): Effect.Effect<TLSStream, ConnectionFailed> {
    return Effect.flatMap(this.connectable.connect(), (stream) =>
      Effect.catch(
        Effect.onInterrupt(
          TLSStream.wrap(stream as AnyByteStream, {
            hostname: this.hostname,
            serverSide: false,
            tlsOptions: this.tlsOptions,
            standardCompatible: this.standardCompatible
          }),
          () => stream.close()
        ),
        (e: TLSWrapError) =>
          Effect.andThen(
            stream.close(),
            Effect.fail(
              new ConnectionFailed({
                message: `TLS handshake failed: ${e.message}`,
                code: e._tag === "SSLError" ? e.code : undefined,
                cause: e
              })
            )
          )
      )
    )
  }
}
