import * as net from "node:net"
import { Effect, type Fiber, Scheduler } from "effect"
import { withBatchingScheduler } from "../src/Scheduler.ts"
import { SocketAttribute, type SocketStream } from "../src/Sockets.ts"
import { connectTcp, createTcpListener } from "../src/Tcp.ts"
import { echoOurs } from "./echo-ours.ts"
import { type Case, format, measure, type Result } from "./harness.ts"
import { anyioRow, runAnyioScript } from "./python.ts"
import { connectRaw, echoThrough, listenRaw, portOf } from "./raw-net.ts"

const ROUND_TRIPS = Number(process.env.BENCH_NET_N ?? 4000)
const CHUNK = 64 * 1024
const TOTAL = 64 * 1024 * 1024
const CONNECTIONS = 1000
const IN_FLIGHT = 50
const PING = new Uint8Array(16).fill(7)

// ----- raw node:net

const rawEchoServer = listenRaw((s) => {
  s.on("data", (d) => s.write(d))
  s.on("error", () => {})
})
const rawCloseServer = listenRaw((s) => {
  s.on("error", () => {})
  s.end()
})

let rawPingClient: Promise<net.Socket> | undefined
const rawPingPong = async (n: number): Promise<void> => {
  rawPingClient ??= rawEchoServer.then((srv) => connectRaw(portOf(srv)))
  const s = await rawPingClient
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve) => {
      let got = 0
      const onData = (d: Buffer) => {
        got += d.length
        if (got >= PING.length) {
          s.off("data", onData)
          resolve()
        }
      }
      s.on("data", onData)
      s.write(PING)
    })
  }
}

const rawThroughput = async (writes: number): Promise<void> => {
  const s = await connectRaw(portOf(await rawEchoServer))
  await echoThrough(s, writes, CHUNK)
  s.destroy()
}

/** `n` short connections, `IN_FLIGHT` at a time: connect, wait until the server closed it. */
const shortConnections = async (port: number, n: number): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < n) {
      next++
      await new Promise<void>((resolve) => {
        const s = net.connect({ port, host: "127.0.0.1" })
        s.on("error", () => resolve())
        s.on("close", () => resolve())
        s.resume()
      })
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
}

// ----- ours

// The rows without "batching scheduler" run both ends on Effect's own scheduler, one instance, as a
// program on a bare `Effect.runPromise` does. The harness wraps every case in the batching scheduler,
// so without this their client ran on the batching one and their server on Effect's: a mix no program
// has, and the slowest one measured (bench/probes/README.md, net-tput.ts).
const effectScheduler = new Scheduler.MixedScheduler()
const onEffectsScheduler = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.provideService(effect, Scheduler.Scheduler, effectScheduler)

interface OurServer {
  readonly port: number
  readonly fiber: Fiber.Fiber<never, unknown>
}

const ourServer = (
  handler: (s: SocketStream) => Effect.Effect<unknown, unknown>,
  batching = false
): Promise<OurServer> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const listener = yield* createTcpListener({ localHost: "127.0.0.1" })
      const port = yield* listener.extra(SocketAttribute.localPort)
      const serve = listener.serve(handler)
      const fiber = Effect.runFork(batching ? withBatchingScheduler(serve) : onEffectsScheduler(serve))
      return { port, fiber }
    })
  )

const echo = (s: SocketStream) => s.runForEach((chunk) => s.send(chunk))
const ourEchoServer = ourServer(echo)
const ourBatchingEchoServer = ourServer(echo, true)
const ourCloseServer = ourServer(() => Effect.void)

const pingClients = new Map<Promise<OurServer>, Promise<SocketStream>>()
const ourPingPong = (server: Promise<OurServer>) => (n: number) =>
  Effect.gen(function* () {
    if (!pingClients.has(server)) {
      pingClients.set(
        server,
        server.then((srv) => Effect.runPromise(connectTcp("127.0.0.1", srv.port)))
      )
    }
    const s = yield* Effect.promise(() => pingClients.get(server)!)
    for (let i = 0; i < n; i++) {
      yield* s.send(PING)
      let got = 0
      while (got < PING.length) got += (yield* s.receive()).length
    }
  })

const ourThroughput = (server: Promise<OurServer>) => (writes: number) =>
  Effect.gen(function* () {
    const srv = yield* Effect.promise(() => server)
    const s = yield* connectTcp("127.0.0.1", srv.port)
    yield* echoOurs(s, writes, CHUNK)
    yield* s.close()
  })

// ----- cases

const rawPing = "raw node:net 16-byte ping-pong (ns per round trip)"
const rawTput = `raw node:net echo, ${TOTAL / 1024 / 1024} MiB in 64 KiB writes (ns per 64 KiB echoed)`
const rawAccept = `raw node:net server, ${CONNECTIONS} short connections, ${IN_FLIGHT} in flight (ns per connection)`

export const cases: ReadonlyArray<Case> = [
  { name: rawPing, run: (n) => Effect.promise(() => rawPingPong(n)) },
  {
    name: "connectTcp + serve 16-byte ping-pong, Effect's scheduler (ns per round trip)",
    reference: rawPing,
    run: (n) => onEffectsScheduler(ourPingPong(ourEchoServer)(n))
  },
  {
    name: "connectTcp + serve 16-byte ping-pong, batching scheduler (ns per round trip)",
    reference: rawPing,
    run: (n) => withBatchingScheduler(ourPingPong(ourBatchingEchoServer)(n))
  },
  { name: rawTput, run: () => Effect.promise(() => rawThroughput(TOTAL / CHUNK)) },
  {
    name: "connectTcp + serve echo, 64 MiB in 64 KiB writes, Effect's scheduler (ns per 64 KiB echoed)",
    reference: rawTput,
    run: () => onEffectsScheduler(ourThroughput(ourEchoServer)(TOTAL / CHUNK))
  },
  {
    name: "connectTcp + serve echo, 64 MiB in 64 KiB writes, batching scheduler (ns per 64 KiB echoed)",
    reference: rawTput,
    run: () => withBatchingScheduler(ourThroughput(ourBatchingEchoServer)(TOTAL / CHUNK))
  },
  {
    name: rawAccept,
    run: () => Effect.promise(async () => shortConnections(portOf(await rawCloseServer), CONNECTIONS))
  },
  {
    name: `serve (handler closes), ${CONNECTIONS} short connections, ${IN_FLIGHT} in flight (ns per connection)`,
    reference: rawAccept,
    run: () => Effect.promise(async () => shortConnections((await ourCloseServer).port, CONNECTIONS))
  }
]

// ----- AnyIO

const n = (c: Case): number =>
  c.name.includes("ping-pong")
    ? ROUND_TRIPS
    : c.name.includes("short connections")
      ? CONNECTIONS
      : TOTAL / CHUNK

export const run = async (): Promise<Array<Result>> => {
  await Promise.all([rawEchoServer, rawCloseServer, ourEchoServer, ourBatchingEchoServer, ourCloseServer])
  // Each workload has its own op count: measure them one by one (each interleaved with its
  // reference sample by sample, as `measure` does for the cases it is given).
  const results: Array<Result> = []
  for (const kind of ["ping-pong", "MiB", "short connections"]) {
    const group = cases.filter((c) => c.name.includes(kind))
    results.push(...(await measure(group, { n: n(group[0]!), samples: 5, warmup: 1 })))
  }
  const withRates = results.map((r) =>
    r.name.includes("MiB")
      ? { ...r, name: `${r.name} = ${(((CHUNK / r.nsPerOp) * 1e9) / 1024 / 1024).toFixed(0)} MiB/s` }
      : r.name.includes("short connections")
        ? { ...r, name: `${r.name} = ${(1e9 / r.nsPerOp).toFixed(0)} connections/s` }
        : r
  )
  for (const client of pingClients.values()) await Effect.runPromise((await client).close())
  ;(await rawPingClient)?.destroy()
  for (const srv of await Promise.all([ourEchoServer, ourBatchingEchoServer, ourCloseServer])) {
    srv.fiber.interruptUnsafe()
  }
  for (const srv of await Promise.all([rawEchoServer, rawCloseServer])) srv.close()

  const anyio = runAnyioScript("anyio_net.py", ["--n", String(ROUND_TRIPS), "--samples", "3"])
  if (typeof anyio === "string") {
    console.error(`AnyIO rows skipped: ${anyio}`)
    return withRates
  }
  const row = (label: string, key: string, ourPrefix: string): Result =>
    anyioRow(
      anyio,
      label,
      key,
      withRates.find((r) => r.name.startsWith(ourPrefix) && !r.name.includes("batching"))!
    )
  return [
    ...withRates,
    row("16-byte ping-pong (ns per round trip)", "ping_pong", "connectTcp + serve 16-byte ping-pong"),
    row(
      `echo 64 MiB in 64 KiB writes (ns per 64 KiB) = ${(((CHUNK / anyio.figures.echo_64k!) * 1e9) / 1024 / 1024).toFixed(0)} MiB/s`,
      "echo_64k",
      "connectTcp + serve echo"
    ),
    row(`serve, ${CONNECTIONS} short connections (ns per connection)`, "accept", "serve (handler closes)")
  ]
}

if (import.meta.main) {
  console.log(format(await run()))
  process.exit(0)
}
