/**
 * Something to connect to, from what a caller has at hand (AnyIO's `as_connectable`): a
 * connectable as it is, a `[host, port]` pair (TCP), or a path (a Unix socket), with TLS on top
 * when asked.
 *
 * @since 0.4.0
 */
import { invalid } from "./internal/net/errors.ts"
import { textOf } from "./internal/text.ts"
import { Path } from "./Path.ts"
import type { ByteStreamConnectable, ObjectStreamConnectable } from "./Streams.ts"
import { TCPConnectable } from "./Tcp.ts"
import { TLSConnectable, type TLSOptions } from "./Tls.ts"
import { UNIXConnectable, type UnixPath } from "./Unix.ts"

/** What {@link asConnectable} accepts. @category models */
export type ConnectableLike =
  | ByteStreamConnectable<unknown>
  | ObjectStreamConnectable<Uint8Array, unknown>
  | readonly [host: string, port: number]
  | UnixPath

/**
 * Options of {@link asConnectable} (AnyIO's keyword arguments).
 * @category models
 */
export interface AsConnectableOptions {
  /** Wrap the connectable in a {@link TLSConnectable}. */
  readonly tls?: boolean | undefined
  readonly tlsOptions?: TLSOptions | undefined
  /** The host name to check the certificate against; default: the host of a `[host, port]` pair. */
  readonly tlsHostname?: string | undefined
  readonly tlsStandardCompatible?: boolean | undefined
}

const isConnectable = (
  value: unknown
): value is ByteStreamConnectable<unknown> | ObjectStreamConnectable<Uint8Array, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  !(value instanceof Path) &&
  !(value instanceof Uint8Array) &&
  typeof (value as { connect?: unknown }).connect === "function"

/**
 * A connectable from a connectable (returned as it is), a `[host, port]` pair
 * ({@link TCPConnectable}) or a path ({@link UNIXConnectable}); with `tls: true`, wrapped in a
 * {@link TLSConnectable}. Anything else dies with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { asConnectable } from "effect-anyio"
 * const web = asConnectable(["example.com", 443], { tls: true }) // TLS, hostname example.com
 * const local = asConnectable("/run/app.sock")
 * ```
 * @category constructors
 */
export const asConnectable = (
  remote: ConnectableLike,
  options?: AsConnectableOptions
): ByteStreamConnectable<unknown> | ObjectStreamConnectable<Uint8Array, unknown> => {
  if (isConnectable(remote)) return remote
  let connectable: TCPConnectable | UNIXConnectable
  let hostname = options?.tlsHostname
  if (Array.isArray(remote) && remote.length === 2) {
    const [host, port] = remote as readonly [string, number]
    connectable = new TCPConnectable(host, port)
    if (!hostname) hostname = host
  } else if (typeof remote === "string" || remote instanceof Uint8Array || remote instanceof Path) {
    connectable = new UNIXConnectable(remote)
  } else {
    return invalid(`cannot convert ${textOf(remote)} to a connectable`)
  }
  if (options?.tls !== true) return connectable
  return new TLSConnectable(connectable, {
    hostname,
    tlsOptions: options.tlsOptions,
    standardCompatible: options.tlsStandardCompatible
  })
}
