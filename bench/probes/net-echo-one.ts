// Issue 17 echo throughput, one case alone (for strace/perf): raw node:net or connectTcp + serve,
// MIB MiB in 64 KiB writes, ROUNDS times; prints wall and CPU ns per 64 KiB, and with STATS=1 the
// sizes of the chunks each side's 'data' listener got (count, mean, histogram by power of two),
// the writes that returned false and the 'drain' events.
// Run: CASE=raw|ours|ours-batching node bench/probes/net-echo-one.ts   (MIB=64 ROUNDS=3 STATS=1 SAMPLER=1)
import type * as net from "node:net"
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { SocketAttribute, type SocketStream } from "../../src/Sockets.ts"
import { connectTcp, createTcpListener } from "../../src/Tcp.ts"
import { echoOurs } from "../echo-ours.ts"
import { connectRaw, echoThrough, listenRaw, portOf } from "../raw-net.ts"

const CHUNK = 64 * 1024
const WRITES = (Number(process.env.MIB ?? 64) * 1024 * 1024) / CHUNK
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const CASE = process.env.CASE ?? "raw"
const STATS = process.env.STATS === "1"

type Stats = { chunks: Map<number, number>; bytes: number; n: number; falseWrites: number; drains: number }
const stats = new Map<string, Stats>()
const stat = (side: string): Stats => {
  let s = stats.get(side)
  if (s === undefined) {
    s = { chunks: new Map(), bytes: 0, n: 0, falseWrites: 0, drains: 0 }
    stats.set(side, s)
  }
  return s
}
/** Counts the sizes of the chunks a socket emits and its writes that asked to wait. */
const watch = (sock: net.Socket, side: string) => {
  if (!STATS) return
  const st = stat(side)
  sock.on("data", (d: Buffer) => {
    const b = 2 ** Math.ceil(Math.log2(d.length))
    st.chunks.set(b, (st.chunks.get(b) ?? 0) + 1)
    st.bytes += d.length
    st.n++
  })
  sock.on("drain", () => st.drains++)
  const write = sock.write.bind(sock) as (...a: Array<unknown>) => boolean
  ;(sock as unknown as { write: (...a: Array<unknown>) => boolean }).write = (...a) => {
    const ok = write(...a)
    if (!ok) st.falseWrites++
    return ok
  }
}

let run: (writes: number) => Promise<unknown>
if (CASE === "raw") {
  const server = await listenRaw((s) => {
    watch(s, "server")
    s.on("data", (d) => s.write(d))
    s.on("error", () => {})
  })
  run = async (writes) => {
    const s = await connectRaw(portOf(server))
    watch(s, "client")
    await echoThrough(s, writes, CHUNK)
    s.destroy()
  }
} else {
  const batching = CASE === "ours-batching"
  const wrap = <A, E>(e: Effect.Effect<A, E>) => (batching ? withBatchingScheduler(e) : e)
  const port = await Effect.runPromise(
    Effect.gen(function* () {
      const listener = yield* createTcpListener({ localHost: "127.0.0.1" })
      const port = yield* listener.extra(SocketAttribute.localPort)
      const handler = (s: SocketStream) =>
        Effect.gen(function* () {
          watch((yield* s.extra(SocketAttribute.rawSocket)) as net.Socket, "server")
          yield* s.runForEach((c) => s.send(c))
        })
      Effect.runFork(wrap(listener.serve(handler)))
      return port
    })
  )
  run = (writes) =>
    Effect.runPromise(
      wrap(
        Effect.gen(function* () {
          const s = yield* connectTcp("127.0.0.1", port)
          watch((yield* s.extra(SocketAttribute.rawSocket)) as net.Socket, "client")
          yield* echoOurs(s, writes, CHUNK)
          yield* s.close()
        })
      )
    )
}

// SAMPLER=1: bench/harness.ts's heap sampler (process.memoryUsage() every 5 ms) during each round.
const SAMPLER = process.env.SAMPLER === "1"
for (let round = 0; round < ROUNDS; round++) {
  const sampler = SAMPLER ? setInterval(() => process.memoryUsage(), 5) : undefined
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  await run(WRITES)
  const ns = Number(process.hrtime.bigint() - t0) / WRITES
  const c = process.cpuUsage(c0)
  clearInterval(sampler)
  console.log(
    `${CASE} round ${round}: wall ${ns.toFixed(0)} ns, cpu ${(((c.user + c.system) * 1000) / WRITES).toFixed(0)} ns (user ${((c.user * 1000) / WRITES).toFixed(0)}, sys ${((c.system * 1000) / WRITES).toFixed(0)}) per 64 KiB`
  )
}
for (const [side, st] of stats) {
  const hist = [...st.chunks].sort((a, b) => a[0] - b[0]).map(([b, k]) => `<=${b}:${k}`)
  console.log(
    `${side}: ${st.n} chunks, mean ${(st.bytes / st.n).toFixed(0)} B; writes returning false ${st.falseWrites}, drains ${st.drains}; ${hist.join(" ")}`
  )
}
process.exit(0)
