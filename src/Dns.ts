/**
 * Name resolution (AnyIO's `anyio.getaddrinfo` and `anyio.getnameinfo`) on `node:dns`, in AnyIO's
 * result shapes: `getaddrinfo` gives `[family, type, proto, canonname, [host, port]]` tuples
 * (IPv6 addresses as two-element `[host, port]`, as AnyIO converts them), `getnameinfo` gives
 * `[host, service]`.
 *
 * - Non-ASCII host names are encoded with IDNA 2008 / UTS #46 (non-transitional, as AnyIO does):
 *   `"faß.de"` is looked up as `"xn--fa-hia.de"`, not `"fass.de"`.
 * - Lookups run on libuv's thread pool (like AnyIO's worker thread): cancelling one returns at
 *   once and the lookup finishes in the background.
 * - The resolver is the {@link NameResolver} reference: tests can provide their own
 *   (`Effect.provideService(NameResolver, fake)`) instead of patching `socket.getaddrinfo`.
 *
 * @since 0.4.0
 */
import * as dns from "node:dns"
import * as net from "node:net"
import * as os from "node:os"
import { domainToASCII } from "node:url"
import { Context, Effect } from "effect"
import { OSError } from "./Errors.ts"
import { checkHost, checkPort, invalid, osErrorFrom } from "./internal/net/errors.ts"
import { textOf } from "./internal/text.ts"
import type { AddressFamily, IPAddressFamily, IPSockAddr, SocketKind } from "./Sockets.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * One result of {@link getaddrinfo}: `[family, type, proto, canonname, sockaddr]` (AnyIO's
 * tuple). `canonname` is `""` unless `AI_CANONNAME` was asked for (and then the host name as
 * given: Node's resolver does not report canonical names).
 *
 * @category models
 */
export type AddrInfo = readonly [
  family: IPAddressFamily,
  type: SocketKind,
  proto: number,
  canonname: string,
  sockaddr: IPSockAddr
]

/**
 * Options of {@link getaddrinfo} (Python's keyword arguments): `family` (`"AF_UNSPEC"`: any),
 * `type` (a {@link SocketKind}, or `0`: every kind), `proto` (0: the kind's default), `flags` (a
 * bitwise OR of {@link AddrInfoFlag}s).
 *
 * @category models
 */
export interface GetAddrInfoOptions {
  readonly family?: AddressFamily | undefined
  readonly type?: SocketKind | 0 | undefined
  readonly proto?: number | undefined
  readonly flags?: number | undefined
}

/**
 * `getaddrinfo` flags, with glibc's values (Python's `socket.AI_*`). Supported: `AI_PASSIVE` (a
 * `null` host means the wildcard addresses), `AI_NUMERICHOST` (no lookup), `AI_ADDRCONFIG`,
 * `AI_V4MAPPED`, `AI_ALL` (passed to the system resolver), `AI_CANONNAME`, `AI_NUMERICSERV`.
 *
 * @example
 * ```ts
 * import { AddrInfoFlag, getaddrinfo } from "effect-anyio"
 * const any = getaddrinfo(null, 8080, { flags: AddrInfoFlag.AI_PASSIVE | AddrInfoFlag.AI_ADDRCONFIG })
 * ```
 * @category models
 */
export const AddrInfoFlag = {
  AI_PASSIVE: 0x1,
  AI_CANONNAME: 0x2,
  AI_NUMERICHOST: 0x4,
  AI_V4MAPPED: 0x8,
  AI_ALL: 0x10,
  AI_ADDRCONFIG: 0x20,
  AI_NUMERICSERV: 0x400
} as const

/**
 * `getnameinfo` flags, with glibc's values (Python's `socket.NI_*`). Supported: `NI_NUMERICHOST`,
 * `NI_NUMERICSERV`, `NI_NAMEREQD`, `NI_NOFQDN` (the first label of the name); `NI_DGRAM` is
 * accepted and ignored (Node names services by their TCP entry).
 *
 * @category models
 */
export const NameInfoFlag = {
  NI_NUMERICHOST: 0x1,
  NI_NUMERICSERV: 0x2,
  NI_NOFQDN: 0x4,
  NI_NAMEREQD: 0x8,
  NI_DGRAM: 0x10
} as const

/** One address from the system resolver. @category models */
export interface ResolvedAddress {
  readonly address: string
  readonly family: 4 | 6
}

/**
 * The system resolver under {@link getaddrinfo}/{@link getnameinfo}: `lookup` (libc's
 * `getaddrinfo`, every address, in the resolver's order) and `lookupService` (libc's
 * `getnameinfo`). Provide another one to fake DNS in tests.
 *
 * @category models
 */
export interface NameResolver {
  lookup(
    host: string,
    family: 0 | 4 | 6,
    hints: number
  ): Effect.Effect<ReadonlyArray<ResolvedAddress>, OSError>
  lookupService(
    address: string,
    port: number
  ): Effect.Effect<readonly [host: string, service: string], OSError>
}

const nodeResolver: NameResolver = {
  lookup: (host, family, hints) =>
    Effect.callback<ReadonlyArray<ResolvedAddress>, OSError>((resume) => {
      dns.lookup(host, { all: true, order: "verbatim", family, hints }, (error, addresses) => {
        resume(
          error
            ? Effect.fail(osErrorFrom(error, "ENOTFOUND"))
            : Effect.succeed(addresses as ReadonlyArray<ResolvedAddress>)
        )
      })
      // The lookup cannot be stopped; a cancelled caller just stops waiting for it.
      return Effect.void
    }),
  lookupService: (address, port) =>
    Effect.callback<readonly [string, string], OSError>((resume) => {
      dns.lookupService(address, port, (error, hostname, service) => {
        resume(
          error ? Effect.fail(osErrorFrom(error, "ENOTFOUND")) : Effect.succeed([hostname, service] as const)
        )
      })
      return Effect.void
    })
}

/**
 * The {@link NameResolver} in use: `node:dns` unless the program provides another.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { getaddrinfo, NameResolver } from "effect-anyio"
 * const fake = {
 *   lookup: () => Effect.succeed([{ address: "127.0.0.1", family: 4 as const }]),
 *   lookupService: () => Effect.succeed(["localhost", "80"] as const)
 * }
 * const program = getaddrinfo("example.test", 80).pipe(Effect.provideService(NameResolver, fake))
 * ```
 * @category references
 */
export const NameResolver = Context.Reference<NameResolver>("effect-anyio/NameResolver", {
  defaultValue: () => nodeResolver
})

// -----------------------------------------------------------------------------
// Internals
// -----------------------------------------------------------------------------

const kinds: ReadonlyArray<readonly [SocketKind, number]> = [
  ["SOCK_STREAM", 6],
  ["SOCK_DGRAM", 17],
  ["SOCK_RAW", 0]
]

const familyNumber = (family: unknown): 0 | 4 | 6 => {
  switch (family) {
    case undefined:
    case 0:
    case "AF_UNSPEC":
      return 0
    case "AF_INET":
      return 4
    case "AF_INET6":
      return 6
    default:
      return invalid(
        `family must be "AF_INET", "AF_INET6" or "AF_UNSPEC" (an IP family), got ${textOf(family)}`
      )
  }
}

const checkKind = (type: unknown): SocketKind | 0 => {
  if (type === undefined || type === 0) return 0
  if (type === "SOCK_STREAM" || type === "SOCK_DGRAM" || type === "SOCK_RAW") return type
  return invalid(`type must be "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW" or 0, got ${textOf(type)}`)
}

const checkInt = (value: unknown, what: string): number => {
  if (value === undefined) return 0
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    invalid(`${what} must be a non-negative integer, got ${textOf(value)}`)
  }
  return value as number
}

const gaiError = (code: string, message: string): OSError =>
  new OSError({ message, code, syscall: "getaddrinfo" })

/** The port as a number: an integer, a decimal string, or `null` (0). Service names are not looked up. */
const portNumber = (port: unknown, numericOnly: boolean): number | OSError => {
  if (port === null || port === undefined) return 0
  if (typeof port === "number") return checkPort(port, "port")
  if (typeof port === "string") {
    if (/^\d+$/.test(port)) return checkPort(Number(port), "port")
    return gaiError(
      "EAI_SERVICE",
      numericOnly
        ? `getaddrinfo EAI_NONAME: the service ${port} is not numeric (AI_NUMERICSERV)`
        : `getaddrinfo EAI_SERVICE: service names are not supported, give the port number (${port})`
    )
  }
  return invalid(`port must be an integer, a string or null, got ${textOf(port)}`)
}

/** The host as the resolver needs it: IDNA 2008 (UTS #46 non-transitional) for non-ASCII names. */
export const idnaEncode = (host: string): string => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is U+0000..U+007F.
  if (/^[\x00-\x7f]*$/.test(host)) return host
  const ascii = domainToASCII(host)
  if (ascii === "")
    invalid(`the host name ${JSON.stringify(host)} is not a valid internationalized domain name`)
  return ascii
}

/** Whether this machine has a non-loopback address of the family (for `AI_ADDRCONFIG` with wildcards). */
const hasFamily = (family: 4 | 6): boolean => {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && (a.family === "IPv6" ? 6 : 4) === family) return true
  }
  return false
}

// -----------------------------------------------------------------------------
// Operations
// -----------------------------------------------------------------------------

/**
 * Looks up the addresses of a host (AnyIO's `getaddrinfo`).
 *
 * **Details**
 * - `host`: a name, an IP address, or `null` (with `AI_PASSIVE` the wildcard addresses `0.0.0.0`
 *   and `::`, else the loopback ones). Non-ASCII names are IDNA-2008 encoded.
 * - `port`: a number, a decimal string, or `null`. Service names (`"http"`) are not supported.
 * - One tuple per address and socket type: with `type: 0` (the default) every address comes three
 *   times (stream, datagram, raw), as glibc gives them.
 * - Fails with `OSError` (`code` `"ENOTFOUND"`, `"EAI_AGAIN"`, ...; Python's `gaierror`); bad
 *   arguments die with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { getaddrinfo } from "effect-anyio"
 * const program = Effect.map(getaddrinfo("localhost", 80, { type: "SOCK_STREAM" }), (infos) =>
 *   infos.map(([family, , , , [host, port]]) => `${family} ${host}:${port}`)
 * )
 * ```
 * @see {@link getnameinfo}
 * @category operations
 */
export const getaddrinfo = (
  host: string | null,
  port: number | string | null,
  options?: GetAddrInfoOptions
): Effect.Effect<Array<AddrInfo>, OSError> =>
  Effect.suspend(() => {
    const family = familyNumber(options?.family)
    const type = checkKind(options?.type)
    const proto = checkInt(options?.proto, "proto")
    const flags = checkInt(options?.flags, "flags")
    const portOrError = portNumber(port, (flags & AddrInfoFlag.AI_NUMERICSERV) !== 0)
    if (portOrError instanceof OSError) return Effect.fail(portOrError)
    const portNo = portOrError
    const canonname = (flags & AddrInfoFlag.AI_CANONNAME) !== 0 && host !== null ? host : ""
    const shape = (addresses: ReadonlyArray<ResolvedAddress>): Array<AddrInfo> => {
      const out: Array<AddrInfo> = []
      for (const { address, family: f } of addresses) {
        const fam: IPAddressFamily = f === 6 ? "AF_INET6" : "AF_INET"
        for (const [kind, defaultProto] of kinds) {
          if (type !== 0 && kind !== type) continue
          out.push([
            fam,
            kind,
            proto !== 0 ? proto : defaultProto,
            out.length === 0 ? canonname : "",
            [address, portNo]
          ])
        }
      }
      return out
    }
    if (host === null) {
      const passive = (flags & AddrInfoFlag.AI_PASSIVE) !== 0
      const addrconfig = (flags & AddrInfoFlag.AI_ADDRCONFIG) !== 0
      const list: Array<ResolvedAddress> = []
      for (const f of [4, 6] as const) {
        if (family !== 0 && family !== f) continue
        // glibc's AI_ADDRCONFIG: a family counts if a non-loopback address of it is configured.
        if (addrconfig && passive && !hasFamily(f)) continue
        list.push({
          address: f === 4 ? (passive ? "0.0.0.0" : "127.0.0.1") : passive ? "::" : "::1",
          family: f
        })
      }
      return list.length === 0
        ? Effect.fail(gaiError("EAI_ADDRFAMILY", "getaddrinfo EAI_ADDRFAMILY: no address of that family"))
        : Effect.succeed(shape(list))
    }
    const name = idnaEncode(checkHost(host, "host"))
    const ip = net.isIP(name)
    if (ip !== 0) {
      if (family !== 0 && family !== ip) {
        return Effect.fail(
          gaiError("EAI_ADDRFAMILY", `getaddrinfo EAI_ADDRFAMILY: ${name} is not an IPv${family} address`)
        )
      }
      return Effect.succeed(shape([{ address: name, family: ip as 4 | 6 }]))
    }
    if ((flags & AddrInfoFlag.AI_NUMERICHOST) !== 0) {
      return Effect.fail(gaiError("EAI_NONAME", `getaddrinfo EAI_NONAME: ${name} is not a numeric address`))
    }
    const hints =
      ((flags & AddrInfoFlag.AI_ADDRCONFIG) !== 0 ? dns.ADDRCONFIG : 0) |
      ((flags & AddrInfoFlag.AI_V4MAPPED) !== 0 ? dns.V4MAPPED : 0) |
      ((flags & AddrInfoFlag.AI_ALL) !== 0 ? dns.ALL : 0)
    return Effect.withFiber((fiber) =>
      Effect.map(fiber.getRef(NameResolver).lookup(name, family, hints), shape)
    )
  })

/**
 * Looks up the host name and service name of a socket address (AnyIO's `getnameinfo`).
 *
 * **Details**: the host must be an IP address (as Python asks libc with `AI_NUMERICHOST`);
 * flags are {@link NameInfoFlag}s. Fails with `OSError` when the address has no name and
 * `NI_NAMEREQD` was given, or the lookup fails.
 *
 * @example
 * ```ts
 * import { getnameinfo } from "effect-anyio"
 * const program = getnameinfo(["127.0.0.1", 80]) // Effect<["localhost", "http"], OSError>
 * ```
 * @see {@link getaddrinfo}
 * @category operations
 */
export const getnameinfo = (
  sockaddr: IPSockAddr,
  flags = 0
): Effect.Effect<readonly [host: string, service: string], OSError> =>
  Effect.suspend(() => {
    if (!Array.isArray(sockaddr) || sockaddr.length < 2) {
      invalid(`sockaddr must be a [host, port] pair, got ${textOf(sockaddr)}`)
    }
    const [host, port] = sockaddr
    checkInt(flags, "flags")
    const portNo = checkPort(port, "port")
    const address = typeof host === "string" ? host.split("%")[0]! : ""
    if (net.isIP(address) === 0) {
      return Effect.fail(
        new OSError({
          message: `getnameinfo EAI_NONAME: ${textOf(host)} is not a numeric address`,
          code: "EAI_NONAME",
          syscall: "getnameinfo"
        })
      )
    }
    const numericHost = (flags & NameInfoFlag.NI_NUMERICHOST) !== 0
    const numericServ = (flags & NameInfoFlag.NI_NUMERICSERV) !== 0
    if (numericHost && numericServ) return Effect.succeed([address, String(portNo)] as const)
    return Effect.withFiber((fiber) =>
      Effect.flatMap(fiber.getRef(NameResolver).lookupService(address, portNo), ([name, service]) => {
        if ((flags & NameInfoFlag.NI_NAMEREQD) !== 0 && (name === "" || name === address)) {
          return Effect.fail(
            new OSError({
              message: `getnameinfo EAI_NONAME: ${address} has no name`,
              code: "EAI_NONAME",
              syscall: "getnameinfo"
            })
          )
        }
        const h = numericHost
          ? address
          : (flags & NameInfoFlag.NI_NOFQDN) !== 0 && net.isIP(name) === 0
            ? name.split(".")[0]!
            : name
        return Effect.succeed([h, numericServ ? String(portNo) : service] as const)
      })
    )
  })
