// Issue 17: the stream adapter's own cost per send + receive, without the kernel: one fiber sends
// 16 bytes and receives the echo from a fake Duplex (an EventEmitter with the members fromDuplex
// uses; write() emits the echo as a Buffer in a microtask, so every receive parks as in the TCP
// ping-pong). Rows: the Effect floor over the same fake (a checkpoint + write per send, one
// callback with a canceler per receive), fromDuplex of this tree, and of BASE's if given.
// CPU ns per send + receive, min and median of interleaved rounds.
// Run: BASE=bench/.ab node bench/probes/net-adapter-micro.ts   (N=20000 ROUNDS=15 SCHED=default)
import { EventEmitter } from "node:events"
import type { Duplex } from "node:stream"
import { Effect } from "effect"
import { fromDuplex } from "../../src/internal/nodeStream.ts"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { checkpoint } from "../../src/Time.ts"
import { cpuRounds, floorReceive, floorSend, median } from "./parts.ts"

const N = Number(process.env.N ?? 20000)
const ROUNDS = Number(process.env.ROUNDS ?? 15)
const PING = new Uint8Array(16).fill(7)
const ECHO = Buffer.alloc(16, 7)
const sched = <A, E>(e: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  process.env.SCHED === "default" ? e : withBatchingScheduler(e)

class FakeDuplex extends EventEmitter {
  readableHighWaterMark = 65536
  writableLength = 0
  writableNeedDrain = false
  destroyed = false
  writableEnded = false
  readableEnded = false
  isPaused() {
    return false
  }
  pause() {}
  resume() {}
  write(_d: Uint8Array): boolean {
    queueMicrotask(() => this.emit("data", ECHO))
    return true
  }
  end() {}
  destroy() {}
}

const floorOf = () => {
  const s = new FakeDuplex()
  const receive = floorReceive(s, true)
  return { send: floorSend(s, checkpoint), receive: () => receive }
}

const loop =
  (s: { send(d: Uint8Array): Effect.Effect<void, unknown>; receive(): Effect.Effect<Uint8Array, unknown> }) =>
  (n: number) =>
    Effect.runPromise(
      sched(
        Effect.gen(function* () {
          for (let i = 0; i < n; i++) {
            yield* s.send(PING)
            yield* s.receive()
          }
        })
      )
    )

const cases: Array<[string, (n: number) => Promise<unknown>]> = [
  ["Effect floor (checkpoint + canceler)", loop(floorOf())],
  ["fromDuplex, this tree", loop(fromDuplex(new FakeDuplex() as unknown as Duplex))]
]
if (process.env.BASE !== undefined) {
  const root = new URL(`${process.env.BASE}/src/`, `file://${process.cwd()}/`).href
  const base = await import(`${root}internal/nodeStream.ts`)
  cases.push(["fromDuplex, BASE", loop(base.fromDuplex(new FakeDuplex() as unknown as Duplex))])
}
const cpu = await cpuRounds(cases, ROUNDS, N)
const med = median
const min = (xs: Array<number>) => Math.min(...xs)
const f0 = cpu.get(cases[0]![0])!
console.log(`N=${N}, ${ROUNDS} rounds; cpu ns per send + receive, min / median (÷ floor)`)
for (const [name] of cases) {
  const c = cpu.get(name)!
  console.log(
    `${name.padEnd(38)} ${min(c).toFixed(0).padStart(6)} ${(min(c) / min(f0)).toFixed(2)}x / ${med(c).toFixed(0).padStart(6)} ${(med(c) / med(f0)).toFixed(2)}x`
  )
}
process.exit(0)
