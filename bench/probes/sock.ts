import * as net from "node:net"
import { Effect, Fiber } from "effect"
import { checkpoint, withBatchingScheduler } from "../../src/index.ts"

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const server = net.createServer((s) => {
  s.setNoDelay(true)
  s.pipe(s)
})
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1")
client.setNoDelay(true)
await new Promise<void>((r) => client.once("connect", r))
const rt = async (count: number) => {
  const t: number[] = []
  for (let i = 0; i < count; i++) {
    const s = performance.now()
    await new Promise<void>((r) => {
      client.once("data", () => r())
      client.write("x")
    })
    t.push(performance.now() - s)
  }
  return t
}
console.log("idle", median(await rt(20)))
for (const budget of [0.001, 0.0005]) {
  const r = await Effect.runPromise(
    withBatchingScheduler(
      Effect.gen(function* () {
        let spins = 0
        const f = yield* Effect.forkChild(
          Effect.forever(
            Effect.andThen(
              checkpoint(),
              Effect.sync(() => {
                spins++
              })
            )
          )
        )
        yield* Effect.yieldNow
        const res = yield* Effect.promise(() => rt(20))
        yield* Fiber.interrupt(f)
        return { res, spins }
      }),
      { budget }
    )
  )
  console.log(budget, median(r.res), r.res.map((x) => x.toFixed(1)).join(" "), r.spins)
}
client.destroy()
server.close()
