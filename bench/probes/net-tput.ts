// Issue 17 echo throughput in one process, interleaved: raw node:net (bench/net.ts's reference)
// against connectTcp + serve on the batching and on Effect's default scheduler, and fromDuplex at
// both ends (the adapter alone). Wall and CPU ns per 64 KiB echoed, medians of interleaved rounds.
// Run: node --expose-gc bench/probes/net-tput.ts   (MIB=64 ROUNDS=7 ONLY=<substring> GC=1 REWARM=<MiB>)
import { Effect } from "effect"
import { fromDuplex } from "../../src/internal/nodeStream.ts"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { SocketAttribute, type SocketStream } from "../../src/Sockets.ts"
import { connectTcp, createTcpListener } from "../../src/Tcp.ts"
import { echoOurs } from "../echo-ours.ts"
import { connectRaw, echoThrough, listenRaw, portOf } from "../raw-net.ts"

const CHUNK = 64 * 1024
const WRITES = (Number(process.env.MIB ?? 64) * 1024 * 1024) / CHUNK
const ROUNDS = Number(process.env.ROUNDS ?? 7)
const REWARM = Number(process.env.REWARM ?? 0)

const rawServer = await listenRaw((s) => {
  s.on("data", (d) => s.write(d))
  s.on("error", () => {})
})
const raw = async (writes: number) => {
  const s = await connectRaw(portOf(rawServer))
  await echoThrough(s, writes, CHUNK)
  s.destroy()
}

interface Duplexish {
  send(d: Uint8Array): Effect.Effect<void, unknown>
  receive(): Effect.Effect<Uint8Array, unknown>
  close(): Effect.Effect<void>
}
const drive = (s: Duplexish, writes: number) =>
  Effect.gen(function* () {
    yield* echoOurs(s, writes, CHUNK)
    yield* s.close()
  })

// `client` (default: the same as the server): bench/net.ts's row "connectTcp + serve echo" runs its
// server on Effect's scheduler and its client on the batching one (the harness's wrapper).
const oursPair = async (batching: boolean, client = batching) => {
  const wrap = <A, E>(e: Effect.Effect<A, E>) => (batching ? withBatchingScheduler(e) : e)
  const wrapClient = <A, E>(e: Effect.Effect<A, E>) => (client ? withBatchingScheduler(e) : e)
  const { port } = await Effect.runPromise(
    Effect.gen(function* () {
      const listener = yield* createTcpListener({ localHost: "127.0.0.1" })
      const port = yield* listener.extra(SocketAttribute.localPort)
      Effect.runFork(wrap(listener.serve((s: SocketStream) => s.runForEach((c) => s.send(c)))))
      return { port }
    })
  )
  return (writes: number) =>
    Effect.runPromise(wrapClient(Effect.flatMap(connectTcp("127.0.0.1", port), (s) => drive(s, writes))))
}

const adapterPair = async () => {
  const server = await listenRaw((c) => {
    c.allowHalfOpen = true
    const st = fromDuplex(c)
    Effect.runFork(withBatchingScheduler(st.runForEach((d) => st.send(d))))
  })
  return async (writes: number) => {
    const sock = await connectRaw(portOf(server))
    sock.allowHalfOpen = true
    await Effect.runPromise(withBatchingScheduler(drive(fromDuplex(sock), writes)))
  }
}

const cases: Array<[string, (n: number) => Promise<unknown>]> = [
  ["raw node:net", raw],
  ["connectTcp + serve (batching scheduler)", await oursPair(true)],
  ["connectTcp + serve (default scheduler)", await oursPair(false)],
  ["server default, client batching", await oursPair(false, true)],
  ["fromDuplex both ends (batching)", await adapterPair()]
]
const only = process.env.ONLY
if (only !== undefined)
  cases.splice(0, cases.length, ...cases.filter(([n], i) => i === 0 || n.includes(only)))
const wall = new Map<string, Array<number>>()
const cpu = new Map<string, Array<number>>()
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [name, run] of cases) {
    // GC=1: a full collection before each sample, as bench/harness.ts does; REWARM=<MiB>: then
    // that much untimed first (the harness's `rewarm`: re-optimize what the collection deoptimized).
    if (process.env.GC === "1") (globalThis as { gc?: () => void }).gc?.()
    if (REWARM > 0) await run((REWARM * 1024 * 1024) / CHUNK)
    const c0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    await run(WRITES)
    const ns = Number(process.hrtime.bigint() - t0) / WRITES
    const c = process.cpuUsage(c0)
    if (round > 0) {
      wall.set(name, [...(wall.get(name) ?? []), ns])
      cpu.set(name, [...(cpu.get(name) ?? []), ((c.user + c.system) * 1000) / WRITES])
    }
  }
}
const med = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const min = (xs: Array<number>) => Math.min(...xs)
const w0 = med(wall.get("raw node:net")!)
const c0 = med(cpu.get("raw node:net")!)
const wm0 = min(wall.get("raw node:net")!)
const cm0 = min(cpu.get("raw node:net")!)
const fig = (x: number, x0: number) => `${x.toFixed(0).padStart(7)} ${(x / x0).toFixed(2)}x`
console.log(`${"".padEnd(42)} wall min / median (ns per 64 KiB, ÷ raw)   cpu min / median`)
for (const [name] of cases) {
  const w = wall.get(name)!
  const c = cpu.get(name)!
  console.log(
    `${name.padEnd(42)} ${fig(min(w), wm0)} / ${fig(med(w), w0)}   ${fig(min(c), cm0)} / ${fig(med(c), c0)}`
  )
}
process.exit(0)
