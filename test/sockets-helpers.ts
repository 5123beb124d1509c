/**
 * Helpers shared by the networking tests: raw `node:net` peers (AnyIO's tests drive plain
 * `socket.socket`s from threads; ours drive plain Node sockets), byte helpers, defect capture and
 * a check that a test left no socket open.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Effect } from "effect"
import { NameResolver, type ResolvedAddress } from "../src/Dns.ts"
import { OSError } from "../src/Errors.ts"
import type { IPAddressFamily } from "../src/Sockets.ts"

export const text = (s: string): Uint8Array => new TextEncoder().encode(s)
export const str = (b: Uint8Array): string => new TextDecoder().decode(b)
export const reversed = (b: Uint8Array): Uint8Array => Uint8Array.from(b).reverse()

export const families: ReadonlyArray<IPAddressFamily> = ["AF_INET", "AF_INET6"]
export const loopback = (family: IPAddressFamily): string => (family === "AF_INET" ? "127.0.0.1" : "::1")

export { defectOf } from "./streams-helpers.ts"

/** A plain Node server (on a loopback address or a Unix path); `accept()` gives the next connection. */
export interface RawServer {
  readonly server: net.Server
  readonly host: string
  readonly port: number
  readonly accept: () => Effect.Effect<net.Socket>
  /** Every connection accepted and not yet closed. */
  readonly sockets: Set<net.Socket>
}

const openRawServer = (listen: net.ListenOptions, options?: net.ServerOpts): Promise<RawServer> =>
  new Promise((resolve, reject) => {
    const server = net.createServer({ allowHalfOpen: true, ...options })
    const queue: Array<net.Socket> = []
    const waiters: Array<(s: net.Socket) => void> = []
    const sockets = new Set<net.Socket>()
    server.on("connection", (s) => {
      sockets.add(s)
      s.on("error", () => {})
      s.on("close", () => sockets.delete(s))
      const w = waiters.shift()
      if (w) w(s)
      else queue.push(s)
    })
    server.once("error", reject)
    server.listen(listen, () => {
      const address = server.address()
      resolve({
        server,
        host: listen.host ?? "",
        port: typeof address === "object" && address !== null ? address.port : 0,
        sockets,
        accept: () =>
          Effect.promise(
            () =>
              new Promise<net.Socket>((r) => {
                const s = queue.shift()
                if (s) r(s)
                else waiters.push(r)
              })
          )
      })
    })
  })

/** Closes a raw server and every connection it accepted. */
const closeRawServer = (s: RawServer): Effect.Effect<void> =>
  Effect.promise(
    () =>
      new Promise<void>((resolve) => {
        for (const sock of s.sockets) sock.destroy()
        s.server.close(() => resolve())
      })
  )

/** Runs `f` with a raw server on `host`; closes the server and every connection it accepted. */
export const withRawServer = <A, E, R>(
  host: string,
  f: (server: RawServer) => Effect.Effect<A, E, R>,
  options?: net.ServerOpts
): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.promise(() => openRawServer({ port: 0, host }, options)),
    f,
    closeRawServer
  )

/** {@link withRawServer} on a Unix socket `path` (`host` is "" and `port` 0 there). */
export const withRawUnixServer = <A, E, R>(
  path: string,
  f: (server: RawServer) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.promise(() => openRawServer({ path })),
    f,
    closeRawServer
  )

/** A port that was free a moment ago (AnyIO's `free_tcp_port` fixture). */
export const freeTcpPort = (host = "127.0.0.1"): Effect.Effect<number> =>
  Effect.promise(
    () =>
      new Promise<number>((resolve) => {
        const s = net.createServer()
        s.listen(0, host, () => {
          const { port } = s.address() as net.AddressInfo
          s.close(() => resolve(port))
        })
      })
  )

/** Reads from a raw socket until `n` bytes arrived (or its end). */
export const readRaw = (socket: net.Socket, n = 1): Effect.Effect<Uint8Array> =>
  Effect.promise(
    () =>
      new Promise<Uint8Array>((resolve) => {
        const chunks: Array<Buffer> = []
        let size = 0
        const done = () => {
          socket.off("data", onData)
          socket.off("end", done)
          socket.off("close", done)
          resolve(new Uint8Array(Buffer.concat(chunks)))
        }
        const onData = (d: Buffer) => {
          chunks.push(d)
          size += d.length
          if (size >= n) done()
        }
        // Its end may have come already (a socket emits 'end' without a reader once it is empty).
        if (socket.readableEnded || socket.destroyed) return done()
        socket.on("data", onData)
        socket.once("end", done)
        socket.once("close", done)
      })
  )

/** Reads a raw socket to its end. */
export const readRawToEnd = (socket: net.Socket): Effect.Effect<Uint8Array> => readRaw(socket, Infinity)

/** Connects a raw client socket. */
export const rawConnect = (options: net.NetConnectOpts): Effect.Effect<net.Socket> =>
  Effect.promise(
    () =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ allowHalfOpen: true, ...options })
        s.once("connect", () => resolve(s))
        s.once("error", reject)
      })
  )

/** A temporary directory (short path, so Unix socket paths fit), removed after `f`. */
export const withTempDir = <A, E, R>(f: (dir: string) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => fs.mkdtempSync(nodePath.join(os.tmpdir(), "ea-net-"))),
    f,
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

/** The socket handles Node has open (TCP, pipes, UDP). */
export const openHandles = (): number =>
  process.getActiveResourcesInfo().filter((r) => /TCP|Pipe|UDP/.test(r)).length

/** Lets the event loop turn a few times, so that closed handles are gone. */
export const settle = (turns = 3): Effect.Effect<void> =>
  Effect.promise(async () => {
    for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r))
  })

/** Runs `effect` and checks that it left no more socket handles open than there were before. */
export const noLeaks = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    yield* settle()
    const before = openHandles()
    const a = yield* effect
    yield* settle()
    const after = openHandles()
    if (after > before) {
      throw new Error(
        `${after - before} socket handle(s) left open: ${process.getActiveResourcesInfo().join(", ")}`
      )
    }
    return a
  })

/** AnyIO's `fake_localhost_dns`: "localhost" resolves to both loopback addresses, IPv4 first. */
export const fakeLocalhost = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.provideService(effect, NameResolver, {
    lookup: (host, family) => {
      const all: Array<ResolvedAddress> = [
        { address: "127.0.0.1", family: 4 },
        { address: "::1", family: 6 }
      ]
      return host === "localhost"
        ? Effect.succeed(all.filter((a) => family === 0 || a.family === family))
        : Effect.fail(new OSError({ message: `getaddrinfo ENOTFOUND ${host}`, code: "ENOTFOUND" }))
    },
    lookupService: (address, port) => Effect.succeed([address, String(port)] as const)
  })
