// Ping-pong floor (issue 17): 16-byte round trips with both ends as Effect fibers over raw node:net,
// no effect-anyio stream code. Run: node bench/probes/net-floor.ts [yield]; compare with
// bench/probes/net-pingpong.ts (connectTcp + serve, same driver) in the same minute.
import * as net from "node:net"
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { floorReceive, floorSend } from "./parts.ts"

const PING = Buffer.alloc(16, 1)
const N = 20000
const yieldPerSend = process.argv[2] === "yield"
// Both ends as Effect fibers over raw node:net: one Effect.callback per receive (flowing mode,
// a 'data' listener), optionally one Effect.yieldNow per send (AnyIO's checkpoint).
const recvOf = (s: net.Socket) => floorReceive(s, false)
const sendOf = (s: net.Socket) => floorSend(s, yieldPerSend ? () => Effect.yieldNow : undefined)
const main = Effect.gen(function* () {
  const srv = net.createServer((c) => {
    c.setNoDelay(true)
    const r = recvOf(c),
      w = sendOf(c)
    Effect.runFork(withBatchingScheduler(Effect.forever(Effect.flatMap(r, w))))
  })
  yield* Effect.promise(() => new Promise<void>((res) => srv.listen(0, "127.0.0.1", () => res())))
  const port = (srv.address() as net.AddressInfo).port
  const s = yield* Effect.promise(
    () =>
      new Promise<net.Socket>((res) => {
        const c = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => res(c))
      })
  )
  const r = recvOf(s),
    w = sendOf(s)
  for (let rep = 0; rep < 3; rep++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < N; i++) {
      yield* w(PING)
      let got = 0
      while (got < 16) got += (yield* r).length
    }
    console.log(
      yieldPerSend ? "effect floor + yield per send" : "effect floor",
      Math.round(Number(process.hrtime.bigint() - t) / N)
    )
  }
  process.exit(0)
})
Effect.runPromise(withBatchingScheduler(main))
