import { Effect } from "effect"
import { BufferedByteReceiveStream } from "../src/BufferedStream.ts"
import { EndOfStream } from "../src/Errors.ts"
import { ObjectReceiveStreamBase } from "../src/Streams.ts"
import { type Case, format, measure, type Result } from "./harness.ts"
import { CHUNK, linesInput } from "./lines-input.ts"
import { runAnyioScript } from "./python.ts"

const MIB = Number(process.env.BENCH_STREAMS_MIB ?? 64)
const { chunks, lines: LINES } = linesInput(MIB)

/** A receive stream of the chunks, as cheap as a stream can be. */
class Chunks extends ObjectReceiveStreamBase<Uint8Array, EndOfStream> {
  private i = 0
  private readonly next = Effect.suspend(() =>
    this.i < chunks.length ? Effect.succeed(chunks[this.i++]!) : Effect.fail(new EndOfStream({}))
  )
  receive() {
    return this.next
  }
  close() {
    return Effect.void
  }
}

let sink = 0
const check = (lines: number) => {
  if (lines !== LINES) throw new Error(`expected ${LINES} lines, got ${lines}`)
}

/** The reference: what one writes by hand over the same chunks (views, a copy only across chunks). */
const handScan = (): void => {
  let lines = 0
  let carry: Uint8Array | undefined
  for (const chunk of chunks) {
    let pos = 0
    for (;;) {
      const nl = chunk.indexOf(10, pos)
      if (nl < 0) break
      let line: Uint8Array
      if (carry !== undefined) {
        line = new Uint8Array(carry.length + nl - pos)
        line.set(carry)
        line.set(chunk.subarray(pos, nl), carry.length)
        carry = undefined
      } else {
        line = chunk.subarray(pos, nl)
      }
      sink += line.length
      lines++
      pos = nl + 1
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos)
      if (carry === undefined) carry = rest
      else {
        const joined = new Uint8Array(carry.length + rest.length)
        joined.set(carry)
        joined.set(rest, carry.length)
        carry = joined
      }
    }
  }
  check(lines)
}

/**
 * The same hand scan with Node's `Buffer#indexOf` (memchr), which `receiveUntil` itself uses and which is
 * cheaper than `Uint8Array.prototype.indexOf`: the best plain-JS scan, so the fairest reference.
 * A copy of `handScan`, not a shared function, so that each reference keeps its own monomorphic
 * `indexOf` call site, as a loop written by hand for one kind of array would.
 */
const bufferChunks = chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.length))
const handScanBuffer = (): void => {
  let lines = 0
  let carry: Uint8Array | undefined
  for (const chunk of bufferChunks) {
    let pos = 0
    for (;;) {
      const nl = chunk.indexOf(10, pos)
      if (nl < 0) break
      let line: Uint8Array
      if (carry !== undefined) {
        line = new Uint8Array(carry.length + nl - pos)
        line.set(carry)
        line.set(chunk.subarray(pos, nl), carry.length)
        carry = undefined
      } else {
        line = chunk.subarray(pos, nl)
      }
      sink += line.length
      lines++
      pos = nl + 1
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos)
      if (carry === undefined) carry = rest
      else {
        const joined = new Uint8Array(carry.length + rest.length)
        joined.set(carry)
        joined.set(rest, carry.length)
        carry = joined
      }
    }
  }
  check(lines)
}

const NL = new Uint8Array([10])

const receiveUntilLines = Effect.gen(function* () {
  const s = new BufferedByteReceiveStream(new Chunks())
  let lines = 0
  yield* Effect.gen(function* () {
    for (;;) {
      const line = yield* s.receiveUntil(NL, 65536)
      sink += line.length
      lines++
    }
  }).pipe(Effect.catchTag("IncompleteRead", () => Effect.void))
  check(lines)
})

const receiveUntilAllLines = Effect.gen(function* () {
  const s = new BufferedByteReceiveStream(new Chunks())
  let lines = 0
  yield* Effect.gen(function* () {
    for (;;) {
      for (const line of yield* s.receiveUntilAll(NL, 65536)) {
        sink += line.length
        lines++
      }
    }
  }).pipe(Effect.catchTag("IncompleteRead", () => Effect.void))
  check(lines)
})

/** The hand scan with one `yield* Effect.succeed(line)` per line: what any one-Effect-per-line API costs at least. */
const floorLines = Effect.gen(function* () {
  let lines = 0
  let carry: Uint8Array | undefined
  for (const chunk of chunks) {
    let pos = 0
    for (;;) {
      const nl = chunk.indexOf(10, pos)
      if (nl < 0) break
      let line: Uint8Array
      if (carry !== undefined) {
        line = new Uint8Array(carry.length + nl - pos)
        line.set(carry)
        line.set(chunk.subarray(pos, nl), carry.length)
        carry = undefined
      } else {
        line = chunk.subarray(pos, nl)
      }
      sink += (yield* Effect.succeed(line)).length
      lines++
      pos = nl + 1
    }
    if (pos < chunk.length) carry = chunk.subarray(pos)
  }
  check(lines)
})

const REFERENCE = "hand-written Uint8Array scan of the chunks (indexOf, subarray)"
const OURS = 'BufferedByteReceiveStream.receiveUntil("\\n") in an Effect.gen loop'
const ALL = 'BufferedByteReceiveStream.receiveUntilAll("\\n") in an Effect.gen loop'
const REFERENCE_BUFFER = "hand-written scan of the chunks with Buffer indexOf (memchr), subarray"
const OURS_VS_BUFFER =
  'BufferedByteReceiveStream.receiveUntil("\\n") in an Effect.gen loop (vs the Buffer indexOf scan)'
const FLOOR = "floor: the hand scan plus one yield* Effect.succeed(line) per line"

export const cases: ReadonlyArray<Case> = [
  { name: REFERENCE, run: () => Effect.sync(handScan) },
  { name: OURS, run: () => receiveUntilLines, reference: REFERENCE },
  { name: ALL, run: () => receiveUntilAllLines, reference: REFERENCE },
  { name: FLOOR, run: () => floorLines, reference: REFERENCE },
  { name: REFERENCE_BUFFER, run: () => Effect.sync(handScanBuffer) },
  { name: OURS_VS_BUFFER, run: () => receiveUntilLines, reference: REFERENCE_BUFFER }
]

interface AnyioLines {
  readonly anyio: string
  readonly python: string
  readonly lines: number
  readonly nsPerLine: number
}

export const run = async (): Promise<Array<Result>> => {
  const results = await measure(cases, { n: LINES, samples: 7, warmup: 2 })
  if (sink < 0) console.log(sink)
  const anyio = runAnyioScript<AnyioLines>("anyio_streams.py", ["--mib", String(MIB), "--samples", "3"])
  if (typeof anyio === "string") {
    console.error(`AnyIO rows skipped: ${anyio}`)
    return results
  }
  if (anyio.lines !== LINES) throw new Error(`AnyIO split ${anyio.lines} lines, we ${LINES}`)
  const row = (our: string): Result => ({
    name: `AnyIO ${anyio.anyio} asyncio: receive_until(b"\\n") vs ${our === OURS ? "receiveUntil" : "receiveUntilAll"} (ratio: ours ÷ AnyIO)`,
    nsPerOp: anyio.nsPerLine,
    reference: our,
    ratio: results.find((r) => r.name === our)!.nsPerOp / anyio.nsPerLine
  })
  return [...results, row(OURS), row(ALL)]
}

if (import.meta.main) {
  const results = await run()
  console.log(`${MIB} MiB, ${LINES} lines, ${CHUNK}-byte chunks; ns per line`)
  console.log(format(results))
  for (const r of results) console.log(`${r.name}: ${((MIB * 1e9) / (r.nsPerOp * LINES)).toFixed(0)} MiB/s`)
}
