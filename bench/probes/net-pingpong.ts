// connectTcp + serve 16-byte ping-pong, the driver of bench/probes/net-floor.ts (issue 17).
import { Effect } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { SocketAttribute } from "../../src/Sockets.ts"
import { connectTcp, createTcpListener } from "../../src/Tcp.ts"

const PING = new Uint8Array(16)
const N = 20000
const main = Effect.gen(function* () {
  const listener = yield* createTcpListener({ localHost: "127.0.0.1" })
  const port = yield* listener.extra(SocketAttribute.localPort)
  Effect.runFork(withBatchingScheduler(listener.serve((s) => s.runForEach((c) => s.send(c)))))
  const s = yield* connectTcp("127.0.0.1", port)
  for (let rep = 0; rep < 3; rep++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < N; i++) {
      yield* s.send(PING)
      let got = 0
      while (got < 16) got += (yield* s.receive()).length
    }
    console.log("ours", Math.round(Number(process.hrtime.bigint() - t) / N))
  }
  yield* s.close()
  process.exit(0)
})
Effect.runPromise(withBatchingScheduler(main))
