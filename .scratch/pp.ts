import * as net from "node:net"
import { Effect } from "effect"
import { fromDuplex } from "../src/internal/nodeStream.ts"

const N = 10000
const server = net.createServer({ allowHalfOpen: true }, (s) => {
  s.on("data", (d) => s.write(d))
})
await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()))
const port = (server.address() as net.AddressInfo).port
const connect = () =>
  new Promise<net.Socket>((r) => {
    const c = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => r(c))
    c.setNoDelay(true)
  })
const msg = new Uint8Array(16)
async function raw() {
  const c = await connect()
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    await new Promise<void>((res) => {
      c.once("data", () => res())
      c.write(msg)
    })
  }
  const t = performance.now() - t0
  c.destroy()
  return (t / N) * 1000
}
async function ours() {
  const c = await connect()
  const s = fromDuplex(c)
  const t0 = performance.now()
  await Effect.runPromise(
    Effect.gen(function* () {
      for (let i = 0; i < N; i++) {
        yield* s.send(msg)
        let got = 0
        while (got < 16) got += (yield* s.receive()).byteLength
      }
    })
  )
  const t = performance.now() - t0
  c.destroy()
  return (t / N) * 1000
}
// throughput: client sends 64 MiB in 64 KiB writes; server echoes; client reads all
const TOTAL = 64 * 1024 * 1024,
  CH = 65536
async function rawTp() {
  const c = await connect()
  const buf = new Uint8Array(CH)
  const t0 = performance.now()
  let got = 0
  const done = new Promise<void>((res) =>
    c.on("data", (d) => {
      got += d.length
      if (got >= TOTAL) res()
    })
  )
  for (let sent = 0; sent < TOTAL; sent += CH) {
    if (!c.write(buf)) await new Promise((r) => c.once("drain", r))
  }
  await done
  const t = (performance.now() - t0) / 1000
  c.destroy()
  return TOTAL / 1048576 / t
}
async function oursTp() {
  const c = await connect()
  const s = fromDuplex(c)
  const buf = new Uint8Array(CH)
  const t0 = performance.now()
  await Effect.runPromise(
    Effect.gen(function* () {
      const reader = yield* Effect.forkChild(
        Effect.gen(function* () {
          let got = 0
          while (got < TOTAL) got += (yield* s.receive()).byteLength
        })
      )
      for (let sent = 0; sent < TOTAL; sent += CH) yield* s.send(buf)
      yield* Effect.fromFiber?.(reader) ?? Effect.void
      const { Fiber } = yield* Effect.promise(() => import("effect"))
      yield* Fiber.join(reader)
    })
  )
  const t = (performance.now() - t0) / 1000
  c.destroy()
  return TOTAL / 1048576 / t
}
for (let round = 0; round < 2; round++) {
  console.log("pingpong raw µs", (await raw()).toFixed(1), "ours µs", (await ours()).toFixed(1))
  console.log("throughput raw MiB/s", (await rawTp()).toFixed(0), "ours MiB/s", (await oursTp()).toFixed(0))
}
server.close()
