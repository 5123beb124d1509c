// A/B of two effect-anyio source trees in one process, interleaved (issue 17): connectTcp + serve
// ping-pong and 64 MiB echo, on the batching and on Effect's default scheduler, against raw
// node:net. BASE=<dir with src/> is the other tree (e.g. a `git archive` of an older commit,
// with node_modules linked so both share one Effect). Wall and CPU per op, medians.
// Run: BASE=/tmp/base node bench/probes/net-ab.ts   (KIND=ping|tput, ROUNDS=9)
import { Effect } from "effect"
import { echoOurs } from "../echo-ours.ts"
import { connectRaw, echoThrough, listenRaw, portOf } from "../raw-net.ts"

const ROUNDS = Number(process.env.ROUNDS ?? 9)
const KIND = process.env.KIND ?? "ping"
const CHUNK = 64 * 1024
const N =
  KIND === "ping" ? Number(process.env.N ?? 3000) : (Number(process.env.MIB ?? 32) * 1024 * 1024) / CHUNK
const PING = new Uint8Array(16).fill(7)

const rawServer = await listenRaw((s) => {
  s.on("data", (d) => s.write(d))
  s.on("error", () => {})
})
const rawPingClient = await connectRaw(portOf(rawServer))
const rawPing = async (n: number) => {
  const s = rawPingClient
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve) => {
      let got = 0
      const onData = (d: Buffer) => {
        got += d.length
        if (got >= 16) {
          s.off("data", onData)
          resolve()
        }
      }
      s.on("data", onData)
      s.write(PING)
    })
  }
}
const rawTput = async (writes: number) => {
  const s = await connectRaw(portOf(rawServer))
  await echoThrough(s, writes, CHUNK)
  s.destroy()
}

interface Stream {
  send(d: Uint8Array): Effect.Effect<void, unknown>
  receive(): Effect.Effect<Uint8Array, unknown>
  close(): Effect.Effect<void>
  runForEach(f: (c: Uint8Array) => Effect.Effect<unknown, unknown>): Effect.Effect<void, unknown>
}
const tree = async (dir: string, batching: boolean) => {
  const Tcp = await import(`${dir}/Tcp.ts`)
  const Sockets = await import(`${dir}/Sockets.ts`)
  const Scheduler = await import(`${dir}/Scheduler.ts`)
  const wrap = <A, E>(e: Effect.Effect<A, E>): Effect.Effect<A, E> =>
    batching ? Scheduler.withBatchingScheduler(e) : e
  const port: number = await Effect.runPromise(
    Effect.gen(function* () {
      const listener = yield* Tcp.createTcpListener({ localHost: "127.0.0.1" })
      const port = yield* listener.extra(Sockets.SocketAttribute.localPort)
      Effect.runFork(wrap(listener.serve((s: Stream) => s.runForEach((c) => s.send(c)))))
      return port as number
    }) as Effect.Effect<number>
  )
  const connectOurs = () => Tcp.connectTcp("127.0.0.1", port) as Effect.Effect<Stream>
  if (KIND === "ping") {
    const s = await Effect.runPromise(connectOurs())
    return (n: number) =>
      Effect.runPromise(
        wrap(
          Effect.gen(function* () {
            for (let i = 0; i < n; i++) {
              yield* s.send(PING)
              let got = 0
              while (got < 16) got += (yield* s.receive()).length
            }
          })
        )
      )
  }
  return (writes: number) =>
    Effect.runPromise(
      wrap(
        Effect.gen(function* () {
          const s = yield* connectOurs()
          yield* echoOurs(s, writes, CHUNK)
          yield* s.close()
        })
      )
    )
}

const here = new URL("../../src", import.meta.url).pathname
const base = process.env.BASE === undefined ? undefined : `${process.env.BASE}/src`
const cases: Array<[string, (n: number) => Promise<unknown>]> = [
  ["raw node:net", KIND === "ping" ? rawPing : rawTput]
]
for (const batching of [true, false]) {
  const label = batching ? "batching" : "default"
  cases.push([`this tree, ${label}`, await tree(here, batching)])
  if (base !== undefined) cases.push([`BASE tree, ${label}`, await tree(base, batching)])
}
const wall = new Map<string, Array<number>>()
const cpu = new Map<string, Array<number>>()
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [name, run] of cases) {
    const c0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    await run(N)
    const ns = Number(process.hrtime.bigint() - t0) / N
    const c = process.cpuUsage(c0)
    if (round > 0) {
      wall.set(name, [...(wall.get(name) ?? []), ns])
      cpu.set(name, [...(cpu.get(name) ?? []), ((c.user + c.system) * 1000) / N])
    }
  }
}
const med = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const min = (xs: Array<number>) => Math.min(...xs)
const w0 = med(wall.get("raw node:net")!)
const c0 = med(cpu.get("raw node:net")!)
const wm0 = min(wall.get("raw node:net")!)
const cm0 = min(cpu.get("raw node:net")!)
const fig = (x: number, x0: number) => `${x.toFixed(0).padStart(6)} ${(x / x0).toFixed(2)}x`
console.log(`${KIND}, N=${N}, ${ROUNDS} rounds`)
console.log(`${"".padEnd(26)} wall min / median (ns, ÷ raw)       cpu min / median (ns, ÷ raw)`)
for (const [name] of cases) {
  const w = wall.get(name)!
  const c = cpu.get(name)!
  console.log(
    `${name.padEnd(26)} ${fig(min(w), wm0)} / ${fig(med(w), w0)}   ${fig(min(c), cm0)} / ${fig(med(c), c0)}`
  )
}
process.exit(0)
