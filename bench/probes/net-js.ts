// The JS side of issue 17's ping-pong without sockets: two in-memory Duplex ends (a write pushes
// to the peer), so CPU time is Node streams + Effect + our adapter only. Raw callbacks, the Effect
// floor (callback per receive, checkpoint per send) and fromDuplex at both ends, interleaved.
// Run: node bench/probes/net-js.ts   (N=20000 ROUNDS=9 SCHED=default)
import { Duplex } from "node:stream"
import { Effect } from "effect"
import { fromDuplex } from "../../src/internal/nodeStream.ts"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { checkpoint } from "../../src/Time.ts"
import { cpuRounds, floorReceive, median } from "./parts.ts"

const N = Number(process.env.N ?? 20000)
const ROUNDS = Number(process.env.ROUNDS ?? 9)
const PING = new Uint8Array(16).fill(7)
const sched = <A, E>(e: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  process.env.SCHED === "default" ? e : withBatchingScheduler(e)

/** A connected pair: what one end writes, the other reads (on a later macrotask, as a socket). */
const pair = (): [Duplex, Duplex] => {
  const make = (): Duplex & { peer?: Duplex } =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        const peer = (this as Duplex & { peer: Duplex }).peer
        setImmediate(() => peer.push(chunk))
        cb()
      }
    })
  const a = make()
  const b = make()
  a.peer = b
  b.peer = a
  return [a, b]
}

const rawCase = () => {
  const [c, s] = pair()
  s.on("data", (d) => s.write(d))
  return async (n: number) => {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve) => {
        const onData = () => {
          c.off("data", onData)
          resolve()
        }
        c.on("data", onData)
        c.write(PING)
      })
    }
  }
}

const recvOf = (s: Duplex) => floorReceive(s, false)
const floorCase = () => {
  const [c, s] = pair()
  const send = (d: Duplex) => (x: Uint8Array) =>
    Effect.andThen(
      checkpoint(),
      Effect.sync(() => {
        d.write(x)
      })
    )
  const rs = recvOf(s)
  const ws = send(s)
  Effect.runFork(sched(Effect.forever(Effect.flatMap(rs, ws))))
  const rc = recvOf(c)
  const wc = send(c)
  return (n: number) =>
    Effect.runPromise(
      sched(
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) {
            yield* wc(PING)
            let got = 0
            while (got < 16) got += (yield* rc).length
          }
        })
      )
    )
}
const adapterCase = () => {
  const [c, s] = pair()
  const st = fromDuplex(s)
  Effect.runFork(sched(st.runForEach((d) => st.send(d))))
  const ct = fromDuplex(c)
  return (n: number) =>
    Effect.runPromise(
      sched(
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) {
            yield* ct.send(PING)
            let got = 0
            while (got < 16) got += (yield* ct.receive()).length
          }
        })
      )
    )
}

const cases: Array<[string, (n: number) => Promise<unknown>]> = [
  ["raw callbacks", rawCase()],
  ["Effect floor + checkpoint per send", floorCase()],
  ["fromDuplex both ends", adapterCase()]
]
const cpu = await cpuRounds(cases, ROUNDS, N)
const med = median
const min = (xs: Array<number>) => Math.min(...xs)
const c0 = med(cpu.get("raw callbacks")!)
const m0 = min(cpu.get("raw callbacks")!)
for (const [name] of cases) {
  const c = med(cpu.get(name)!)
  const m = min(cpu.get(name)!)
  console.log(
    `${name.padEnd(36)} cpu ${c.toFixed(0).padStart(6)} ns per round trip  ${(c / c0).toFixed(2)}x raw (median); min ${m.toFixed(0)} ns ${(m / m0).toFixed(2)}x`
  )
}
process.exit(0)
