// Issue 17 ping-pong, one process, interleaved: raw node:net (bench/net.ts's reference), the Effect
// floor (both ends Effect fibers over raw node:net: one Effect.callback per receive, a 'data'
// listener, a write per send; optionally one checkpoint per send as AnyIO's send has), and
// connectTcp + serve. Wall and CPU ns per round trip, medians of interleaved rounds.
// Run: node bench/probes/net-rt.ts
// BASE=<dir with src/> adds connectTcp + serve and fromDuplex from that tree (an A/B in one
// process: `mkdir -p bench/.ab && git archive main src | tar -x -C bench/.ab`, BASE=bench/.ab).
import * as net from "node:net"
import { Effect } from "effect"
import { fromDuplex } from "../../src/internal/nodeStream.ts"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { SocketAttribute } from "../../src/Sockets.ts"
import { connectTcp, createTcpListener } from "../../src/Tcp.ts"
import { checkpoint } from "../../src/Time.ts"
import { floorReceive, floorSend } from "./parts.ts"

const N = Number(process.env.N ?? 4000)
const ROUNDS = Number(process.env.ROUNDS ?? 9)
const PING = new Uint8Array(16).fill(7)
// SCHED=default: every Effect case on Effect's own scheduler (bench/net.ts's default row).
const sched = <A, E>(e: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  process.env.SCHED === "default" ? e : withBatchingScheduler(e)

const listen = (onConnection: (s: net.Socket) => void): Promise<net.Server> =>
  new Promise((resolve) => {
    const server = net.createServer({ noDelay: true }, onConnection)
    server.listen(0, "127.0.0.1", () => resolve(server))
  })
const portOf = (server: net.Server) => (server.address() as net.AddressInfo).port
const connect = (port: number): Promise<net.Socket> =>
  new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => resolve(s))
  })

// raw
const rawServer = await listen((s) => s.on("data", (d) => s.write(d)))
const rawClient = await connect(portOf(rawServer))
const raw = async (n: number) => {
  const s = rawClient
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

// Effect floor (parts.ts): one callback per receive, with a canceler when `cancel` (as any correct
// receive needs); a write per send, after a checkpoint when `cp`.
const recvOf = (s: net.Socket, cancel = false) => floorReceive(s, cancel)
const sendOf = (s: net.Socket, cp: boolean) => floorSend(s, cp ? checkpoint : undefined)
const floorPair = async (cp: boolean, cancel = false) => {
  const server = await listen((c) => {
    const r = recvOf(c, cancel)
    const w = sendOf(c, cp)
    Effect.runFork(sched(Effect.forever(Effect.flatMap(r, w))))
  })
  const s = await connect(portOf(server))
  const r = recvOf(s, cancel)
  const w = sendOf(s, cp)
  return (n: number) =>
    Effect.runPromise(
      sched(
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) {
            yield* w(PING)
            let got = 0
            while (got < 16) got += (yield* r).length
          }
        })
      )
    )
}
const floor = await floorPair(false)
const floorCp = await floorPair(true)
const floorCpCancel = await floorPair(true, true)

// ours
interface Tree {
  readonly connectTcp: typeof connectTcp
  readonly createTcpListener: typeof createTcpListener
  readonly SocketAttribute: typeof SocketAttribute
  readonly fromDuplex: typeof fromDuplex
}
const here: Tree = { connectTcp, createTcpListener, SocketAttribute, fromDuplex }
const loadTree = async (dir: string): Promise<Tree> => {
  const root = new URL(`${dir}/src/`, `file://${process.cwd()}/`).href
  const [Tcp, Sockets, NodeStream] = await Promise.all([
    import(`${root}Tcp.ts`),
    import(`${root}Sockets.ts`),
    import(`${root}internal/nodeStream.ts`)
  ])
  return { ...Tcp, ...Sockets, ...NodeStream } as Tree
}
const oursPair = async ({ connectTcp, createTcpListener, SocketAttribute }: Tree = here) => {
  const { port } = await Effect.runPromise(
    Effect.gen(function* () {
      const listener = yield* createTcpListener({ localHost: "127.0.0.1" })
      const port = yield* listener.extra(SocketAttribute.localPort)
      Effect.runFork(sched(listener.serve((s) => s.runForEach((c) => s.send(c)))))
      return { port }
    })
  )
  const s = await Effect.runPromise(connectTcp("127.0.0.1", port))
  return (n: number) =>
    Effect.runPromise(
      sched(
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
const ours = await oursPair()

// Both ends fromDuplex (the adapter under SocketStream) on raw sockets: no connectTcp, no serve.
// (A flowing-mode read side, 'data' instead of 'readable' + read(), measured the same as this
// paused one within noise: 1.42x/1.31x/1.46x vs 1.58x/1.29x/1.51x wall, 2026-12-03.)
const adapterPair = async (from: Tree["fromDuplex"]) => {
  const server = await listen((c) => {
    c.allowHalfOpen = true
    const st = from(c)
    Effect.runFork(sched(st.runForEach((d) => st.send(d))))
  })
  const sock = await connect(portOf(server))
  sock.allowHalfOpen = true
  const s = from(sock)
  return (n: number) =>
    Effect.runPromise(
      sched(
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
const adapter = await adapterPair(fromDuplex)

const cases: Array<[string, (n: number) => Promise<unknown>]> = [
  ["raw node:net", raw],
  ["Effect floor (callback per receive)", floor],
  ["Effect floor + checkpoint per send", floorCp],
  ["Effect floor + checkpoint + receive canceler", floorCpCancel],
  ["connectTcp + serve", ours],
  ["fromDuplex both ends (no connectTcp, no serve)", adapter]
]
if (process.env.BASE !== undefined) {
  const base = await loadTree(process.env.BASE)
  cases.push(["BASE connectTcp + serve", await oursPair(base)])
  cases.push(["BASE fromDuplex both ends", await adapterPair(base.fromDuplex)])
}
// ONLY=a|b: run the raw reference and the cases whose name contains one of the substrings.
const only = process.env.ONLY
if (only !== undefined)
  cases.splice(
    0,
    cases.length,
    ...cases.filter(([n], i) => i === 0 || only.split("|").some((o) => n.includes(o)))
  )
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
console.log(`${"".padEnd(46)} wall min / median (ns, ÷ raw)       cpu min / median (ns, ÷ raw)`)
for (const [name] of cases) {
  const w = wall.get(name)!
  const c = cpu.get(name)!
  console.log(
    `${name.padEnd(46)} ${fig(min(w), wm0)} / ${fig(med(w), w0)}   ${fig(min(c), cm0)} / ${fig(med(c), c0)}`
  )
}
process.exit(0)
