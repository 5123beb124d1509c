// receiveUntil floor in CPU time (issue 16): what one line of bench/streams.ts's input costs in V8,
// piece by piece, beside receiveUntil itself. Same input as bench/streams.ts (1,000 distinct lines
// of 20-180 bytes cycled, 64 KiB chunks). Cases run interleaved (order rotated each round), a
// collection before each; prints min and median CPU ns per line (process.cpuUsage: every thread,
// GC helpers included) and the median of the main thread's alone (process.threadCpuUsage).
// Run: node_modules/.bin/node --expose-gc bench/probes/lines-cpu.ts   MIB (64), ROUNDS (9), ONLY=<substring>
import { Effect, Utils } from "effect"
import { BufferedByteReceiveStream } from "../../src/BufferedStream.ts"
import { EndOfStream } from "../../src/Errors.ts"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { ObjectReceiveStreamBase } from "../../src/Streams.ts"
import { CHUNK, linesInput } from "../lines-input.ts"

const MIB = Number(process.env.MIB ?? 64)
const ROUNDS = Number(process.env.ROUNDS ?? 9)
const { chunks, lines: LINES } = linesInput(MIB)
// Every line's end, chunk by chunk: for the cases that allocate without scanning.
const ends: Array<Int32Array> = chunks.map((c) => {
  const out: Array<number> = []
  for (let k = c.indexOf(10); k >= 0; k = c.indexOf(10, k + 1)) out.push(k)
  return Int32Array.from(out)
})
let sink = 0

const bufIndexOf = Buffer.prototype.indexOf as unknown as (
  this: Uint8Array,
  b: number,
  from: number
) => number

/** Joins the carry (the tail of earlier chunks) and the head of `chunk` up to `nl`. */
const join = (carry: Uint8Array, chunk: Uint8Array, nl: number): Uint8Array => {
  const line = new Uint8Array(carry.length + nl)
  line.set(carry)
  line.set(chunk.subarray(0, nl), carry.length)
  return line
}

// --- scans without a result per line (lines counted) -----------------------------------------
const scanU8 = () => {
  let n = 0
  for (const c of chunks) for (let k = c.indexOf(10); k >= 0; k = c.indexOf(10, k + 1)) n++
  return n
}
const scanBuf = () => {
  let n = 0
  for (const c of chunks)
    for (let k = bufIndexOf.call(c, 10, 0); k >= 0; k = bufIndexOf.call(c, 10, k + 1)) n++
  return n
}
const scanLoop = () => {
  let n = 0
  for (const c of chunks) for (let i = 0, len = c.length; i < len; i++) if (c[i] === 10) n++
  return n
}
// --- a view per line without a scan (the allocation alone) -------------------------------------
const viewsOnly = () => {
  let n = 0
  for (let ci = 0; ci < chunks.length; ci++) {
    const c = chunks[ci]!
    const e = ends[ci]!
    let pos = 0
    for (let j = 0; j < e.length; j++) {
      const k = e[j]!
      sink += c.subarray(pos, k).length
      pos = k + 1
      n++
    }
  }
  return n
}
const ctorViewsOnly = () => {
  let n = 0
  for (let ci = 0; ci < chunks.length; ci++) {
    const c = chunks[ci]!
    const e = ends[ci]!
    const buffer = c.buffer
    const base = c.byteOffset
    let pos = 0
    for (let j = 0; j < e.length; j++) {
      const k = e[j]!
      sink += new Uint8Array(buffer, base + pos, k - pos).length
      pos = k + 1
      n++
    }
  }
  return n
}
// --- hand scans: a Uint8Array per line, a copy only across chunks -------------------------------
const handWith = (indexOf: (c: Uint8Array, from: number) => number) => () => {
  let n = 0
  let carry: Uint8Array | undefined
  for (const c of chunks) {
    let pos = 0
    for (let k = indexOf(c, 0); k >= 0; k = indexOf(c, pos)) {
      let line: Uint8Array
      if (carry !== undefined) {
        line = join(carry, c, k)
        carry = undefined
      } else line = c.subarray(pos, k)
      sink += line.length
      n++
      pos = k + 1
    }
    if (pos < c.length) carry = c.subarray(pos)
  }
  return n
}
const handU8 = handWith((c, from) => c.indexOf(10, from))
const handBuf = handWith((c, from) => bufIndexOf.call(c, 10, from))
const handLoop = () => {
  let n = 0
  let carry: Uint8Array | undefined
  for (const c of chunks) {
    let pos = 0
    for (let i = 0, len = c.length; i < len; i++) {
      if (c[i] !== 10) continue
      let line: Uint8Array
      if (carry !== undefined) {
        line = join(carry, c, i)
        carry = undefined
      } else line = c.subarray(pos, i)
      sink += line.length
      n++
      pos = i + 1
    }
    if (pos < c.length) carry = c.subarray(pos)
  }
  return n
}
// --- one generator step / one Effect per line ----------------------------------------------------
/** The best hand scan as a pull source: next() gives the next line or undefined at the end. */
class Lines {
  ci = 0
  pos = 0
  carry: Uint8Array | undefined = undefined
  next(): Uint8Array | undefined {
    for (;;) {
      const c = chunks[this.ci]
      if (c === undefined) return undefined
      const k = bufIndexOf.call(c, 10, this.pos)
      if (k >= 0) {
        let line: Uint8Array
        if (this.carry !== undefined) {
          line = join(this.carry, c, k)
          this.carry = undefined
        } else line = c.subarray(this.pos, k)
        this.pos = k + 1
        return line
      }
      if (this.pos < c.length) this.carry = c.subarray(this.pos)
      this.ci++
      this.pos = 0
    }
  }
}
const pull = () => {
  const src = new Lines()
  let n = 0
  for (let l = src.next(); l !== undefined; l = src.next()) {
    sink += l.length
    n++
  }
  return n
}
function* gen(src: Lines) {
  let n = 0
  for (;;) {
    const v = src.next()
    const once = { [Symbol.iterator]: () => new Utils.SingleShotGen(v) }
    const l: Uint8Array | undefined = yield* once as unknown as Generator<never, Uint8Array | undefined>
    if (l === undefined) return n
    sink += l.length
    n++
  }
}
const plainGen = () => {
  const it = gen(new Lines())
  let s = it.next()
  while (!s.done) s = it.next(s.value)
  return s.value
}
const effSucceed = Effect.gen(function* () {
  const src = new Lines()
  let n = 0
  for (;;) {
    const l = yield* Effect.succeed(src.next())
    if (l === undefined) return n
    sink += l.length
    n++
  }
})

// --- ours ------------------------------------------------------------------------------------------
class Chunks extends ObjectReceiveStreamBase<Uint8Array, EndOfStream> {
  private i = 0
  private readonly nextChunk = Effect.suspend(() =>
    this.i < chunks.length ? Effect.succeed(chunks[this.i++]!) : Effect.fail(new EndOfStream({}))
  )
  receive() {
    return this.nextChunk
  }
  close() {
    return Effect.void
  }
}
const NL = new Uint8Array([10])
const receiveUntil = Effect.gen(function* () {
  const s = new BufferedByteReceiveStream(new Chunks())
  let n = 0
  yield* Effect.gen(function* () {
    for (;;) {
      const line = yield* s.receiveUntil(NL, 65536)
      sink += line.length
      n++
    }
  }).pipe(Effect.catchTag("IncompleteRead", () => Effect.void))
  return n
})
const receiveUntilAll = Effect.gen(function* () {
  const s = new BufferedByteReceiveStream(new Chunks())
  let n = 0
  yield* Effect.gen(function* () {
    for (;;) {
      for (const line of yield* s.receiveUntilAll(NL, 65536)) {
        sink += line.length
        n++
      }
    }
  }).pipe(Effect.catchTag("IncompleteRead", () => Effect.void))
  return n
})

const eff = (e: Effect.Effect<number, unknown>) => () => Effect.runPromise(withBatchingScheduler(e))
const all: Array<[string, () => number | Promise<number>]> = [
  ["scan only: Uint8Array indexOf", scanU8],
  ["scan only: Buffer indexOf", scanBuf],
  ["scan only: JS byte loop", scanLoop],
  ["view per line only: subarray (no scan)", viewsOnly],
  ["view per line only: new Uint8Array(buf, off, len)", ctorViewsOnly],
  ["hand: Uint8Array indexOf + subarray (bench ref)", handU8],
  ["hand: Buffer indexOf + subarray", handBuf],
  ["hand: JS byte loop + subarray", handLoop],
  ["hand as pull source (next() per line)", pull],
  ["plain generator, yield* per line", plainGen],
  ["Effect.gen, yield* Effect.succeed(line)", eff(effSucceed)],
  ["receiveUntil in Effect.gen", eff(receiveUntil)],
  ["receiveUntilAll in Effect.gen", eff(receiveUntilAll)]
]
const only = process.env.ONLY
const cases = only === undefined ? all : all.filter(([n]) => n.includes(only) || n.startsWith("hand: Buffer"))
const cpu = new Map<string, Array<number>>()
const thread = new Map<string, Array<number>>()
const gc = (globalThis as { gc?: () => void }).gc
const threadCpu = (process as unknown as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage
for (let round = 0; round < ROUNDS; round++) {
  for (let j = 0; j < cases.length; j++) {
    const [name, run] = cases[(j + round) % cases.length]!
    gc?.()
    const t0 = threadCpu?.()
    const p0 = process.cpuUsage()
    const n = await run()
    const p = process.cpuUsage(p0)
    const t = t0 === undefined ? undefined : threadCpu!.call(process)
    if (n !== LINES) throw new Error(`${name}: ${n} lines, expected ${LINES}`)
    if (round < 2) continue
    cpu.set(name, [...(cpu.get(name) ?? []), ((p.user + p.system) * 1000) / LINES])
    if (t !== undefined && t0 !== undefined) {
      const ns = ((t.user - t0.user + t.system - t0.system) * 1000) / LINES
      thread.set(name, [...(thread.get(name) ?? []), ns])
    }
  }
}
const med = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
console.log(`${MIB} MiB, ${LINES} lines, ${CHUNK}-byte chunks; CPU ns per line over ${ROUNDS - 2} rounds`)
console.log(`${"case".padEnd(52)}     min  median  main-thread median`)
for (const [name] of cases) {
  const xs = cpu.get(name)!
  const ts = thread.get(name)
  console.log(
    `${name.padEnd(52)} ${Math.min(...xs)
      .toFixed(1)
      .padStart(
        7
      )} ${med(xs).toFixed(1).padStart(7)} ${ts === undefined ? "" : med(ts).toFixed(1).padStart(7)}`
  )
}
if (sink < 0) console.log(sink)
