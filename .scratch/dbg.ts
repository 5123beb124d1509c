import { PassThrough } from "node:stream"
import { Effect } from "effect"
import { createTaskGroup } from "/work/main/src/index.ts"
import { fromReadable, fromWritable } from "/work/main/src/internal/nodeStream.ts"

const pt = new PassThrough({ highWaterMark: 16 })
const w = fromWritable(pt)
const r = fromReadable(pt)
let sent = 0
const prog = createTaskGroup((tg) =>
  Effect.gen(function* () {
    yield* tg.startSoon(
      Effect.gen(function* () {
        for (let i = 0; i < 20; i++) {
          yield* w.send(new Uint8Array(8).fill(i))
          sent++
          console.log("sent", sent)
        }
        pt.end()
      })
    )
    yield* Effect.sleep(10)
    let n = 0
    yield* r.runForEach((chunk) =>
      Effect.sync(() => {
        n += chunk.byteLength
        console.log("recv", n, pt.readableLength, pt.writableLength)
      })
    )
    return n
  })
)
const t = setTimeout(() => {
  console.log("HANG", sent, pt.readableLength, pt.writableLength, pt.writableNeedDrain, pt.readableFlowing)
  process.exit(1)
}, 2000)
Effect.runPromise(prog).then((n) => {
  console.log("done", n)
  clearTimeout(t)
})
