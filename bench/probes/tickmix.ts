// A chain of then-hops with every k-th hop a process.nextTick: what does a tick cost in a chain?
const N = 400_000
const resolved = Promise.resolve()
const run = (k: number) =>
  new Promise<void>((r) => {
    let i = 0
    const f = () => {
      if (++i >= N) return r()
      if (k > 0 && i % k === 0) process.nextTick(f)
      else resolved.then(f)
    }
    setImmediate(f)
  })
const res = new Map<number, number[]>()
for (let round = 0; round < 9; round++) {
  for (const k of [0, 1, 4, 16, 64]) {
    const t = process.hrtime.bigint()
    await run(k)
    if (round > 0) res.set(k, [...(res.get(k) ?? []), Number(process.hrtime.bigint() - t) / N])
  }
}
for (const [k, v] of res)
  console.log(
    `tick every ${k || "never"}`.padEnd(18),
    v.sort((a, b) => a - b)[v.length >> 1]!.toFixed(1),
    "ns/hop"
  )
