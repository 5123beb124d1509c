// The JS side of issue 17's echo throughput without sockets: two in-memory Duplex ends (a write
// is delivered to the peer on a later macrotask, in the 64 KiB pieces a socket read gives), so
// CPU time is Node streams + Effect + the adapter only. Raw callbacks against fromDuplex at both
// ends; BASE=<tree> adds another source tree's fromDuplex (A/B), interleaved.
// Run: node bench/probes/net-js-tput.ts   (MIB=64 ROUNDS=7 SCHED=default BASE=/tmp/base)
import { Duplex } from "node:stream"
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { echoOurs } from "../echo-ours.ts"
import { echoThrough } from "../raw-net.ts"
import { cpuRounds, median } from "./parts.ts"

const CHUNK = 64 * 1024
const WRITES = (Number(process.env.MIB ?? 64) * 1024 * 1024) / CHUNK
const ROUNDS = Number(process.env.ROUNDS ?? 7)
const sched = <A, E>(e: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  process.env.SCHED === "default" ? e : withBatchingScheduler(e)

const pair = (): [Duplex, Duplex] => {
  const make = (): Duplex & { peer?: Duplex } =>
    new Duplex({
      allowHalfOpen: true,
      read() {},
      write(chunk: Buffer, _enc, cb) {
        const peer = (this as Duplex & { peer: Duplex }).peer
        // A fresh buffer per delivery, as a socket read allocates one.
        const copy = Buffer.from(chunk)
        setImmediate(() => peer.push(copy))
        cb()
      }
    })
  const a = make()
  const b = make()
  a.peer = b
  b.peer = a
  return [a, b]
}

const raw = async (writes: number) => {
  const [c, s] = pair()
  s.on("data", (d) => s.write(d))
  await echoThrough(c, writes, CHUNK)
}

type FromDuplex = (d: Duplex) => {
  send(d: Uint8Array): Effect.Effect<void, unknown>
  receive(): Effect.Effect<Uint8Array, unknown>
  runForEach(f: (c: Uint8Array) => Effect.Effect<unknown, unknown>): Effect.Effect<void, unknown>
}
const adapter = (fromDuplex: FromDuplex) => (writes: number) => {
  const [c, s] = pair()
  const st = fromDuplex(s)
  const fiber = Effect.runFork(sched(st.runForEach((d) => st.send(d))))
  const ct = fromDuplex(c)
  return Effect.runPromise(sched(echoOurs(ct, writes, CHUNK))).finally(() => fiber.interruptUnsafe())
}

const here = (await import("../../src/internal/nodeStream.ts")).fromDuplex as unknown as FromDuplex
const cases: Array<[string, (n: number) => Promise<unknown>]> = [
  ["raw callbacks", raw],
  ["fromDuplex both ends", adapter(here)]
]
if (process.env.BASE !== undefined) {
  const base = (await import(`${process.env.BASE}/src/internal/nodeStream.ts`)).fromDuplex as FromDuplex
  cases.push(["BASE fromDuplex both ends", adapter(base)])
}
const cpu = await cpuRounds(cases, ROUNDS, WRITES)
const med = median
const min = (xs: Array<number>) => Math.min(...xs)
const c0 = med(cpu.get("raw callbacks")!)
const m0 = min(cpu.get("raw callbacks")!)
for (const [name] of cases) {
  const c = med(cpu.get(name)!)
  const m = min(cpu.get(name)!)
  console.log(
    `${name.padEnd(28)} cpu ${c.toFixed(0).padStart(7)} ns per 64 KiB  ${(c / c0).toFixed(2)}x raw (median); min ${m.toFixed(0)} ns ${(m / m0).toFixed(2)}x`
  )
}
process.exit(0)
