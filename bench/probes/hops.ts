// Cost of one hop of each kind, and of performance.now(), in one run (ratios matter: loaded machine).
import { MessageChannel } from "node:worker_threads"

const N = 200_000
const chain = (hop: (f: () => void) => void) => () =>
  new Promise<void>((r) => {
    let i = 0
    const f = () => (++i < N ? hop(f) : r())
    f()
  })
const resolved = Promise.resolve()
const mc = new MessageChannel()
let mcNext: () => void = () => {}
mc.port1.on("message", () => mcNext())
const cases: Record<string, () => Promise<void>> = {
  queueMicrotask: chain(queueMicrotask),
  "resolved.then": chain((f) => {
    resolved.then(f)
  }),
  nextTick: chain((f) => process.nextTick(f)),
  setImmediate: chain((f) => setImmediate(f)),
  MessageChannel: chain((f) => {
    mcNext = f
    mc.port2.postMessage(null)
  }),
  "setTimeout 0": async () => {
    const n0 = N / 100
    await new Promise<void>((r) => {
      let i = 0
      const f = () => (++i < n0 ? setTimeout(f, 0) : r())
      f()
    })
    // scaled to N
    await new Promise((r) => setImmediate(r))
  },
  "performance.now()": async () => {
    let x = 0
    for (let i = 0; i < N; i++) x += performance.now()
    if (x === 1) console.log(x)
  },
  "Date.now()": async () => {
    let x = 0
    for (let i = 0; i < N; i++) x += Date.now()
    if (x === 1) console.log(x)
  }
}
const res = new Map<string, Array<number>>()
for (let round = 0; round < 6; round++) {
  for (const [name, f] of Object.entries(cases)) {
    const t = process.hrtime.bigint()
    await f()
    const ns = Number(process.hrtime.bigint() - t) / (name === "setTimeout 0" ? N / 100 : N)
    if (round > 0) res.set(name, [...(res.get(name) ?? []), ns])
  }
}
for (const [n, v] of res) console.log(n.padEnd(22), v.sort((a, b) => a - b)[v.length >> 1]!.toFixed(0), "ns")
mc.port1.close()
