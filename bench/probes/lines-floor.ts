// receiveUntil floor (issue 16): where the cost of one Effect per line goes. Every case splits the
// same 64 KiB chunks (bench/streams.ts's input) by "\n" with the same indexOf scan; they differ
// only in how each line passes through an Effect. Run: node --expose-gc bench/probes/lines-floor.ts
import { Effect, Exit, Utils } from "effect"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { linesInput } from "../lines-input.ts"

const MIB = Number(process.env.MIB ?? 32)
const { chunks, lines: LINES } = linesInput(MIB)
let sink = 0

/** A line source over the chunks: next() returns the next line or undefined at the end (carry copied). */
class Lines {
  ci = 0
  pos = 0
  carry: Uint8Array | undefined
  next(): Uint8Array | undefined {
    for (;;) {
      const chunk = chunks[this.ci]
      if (chunk === undefined) return undefined
      const nl = chunk.indexOf(10, this.pos)
      if (nl >= 0) {
        let line: Uint8Array
        if (this.carry !== undefined) {
          line = new Uint8Array(this.carry.length + nl - this.pos)
          line.set(this.carry)
          line.set(chunk.subarray(this.pos, nl), this.carry.length)
          this.carry = undefined
        } else line = chunk.subarray(this.pos, nl)
        this.pos = nl + 1
        return line
      }
      if (this.pos < chunk.length) this.carry = chunk.subarray(this.pos)
      this.ci++
      this.pos = 0
    }
  }
}

const hand = () => {
  const src = new Lines()
  let n = 0
  for (let l = src.next(); l !== undefined; l = src.next()) {
    sink += l.length
    n++
  }
  return n
}

// Plain JS: a generator yielding each line through yield* of a one-shot iterator (no Effect).
function* plainGen(src: Lines) {
  let n = 0
  for (;;) {
    const v = src.next()
    const once = { [Symbol.iterator]: () => new Utils.SingleShotGen(v) } as Iterable<Uint8Array | undefined>
    const l: Uint8Array | undefined = yield* once as unknown as Generator<never, Uint8Array | undefined>
    if (l === undefined) return n
    sink += l.length
    n++
  }
}
const plainDrive = () => {
  const it = plainGen(new Lines())
  let s = it.next()
  while (!s.done) s = it.next(s.value)
  return s.value
}

// Effect.gen + yield* Effect.succeed(line): bench/streams.ts's floor.
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

// Effect.gen + yield* of an effect whose iterator, result objects and Exit are reused: no
// allocation per line beyond the line's view.
const makeReused = (src: Lines) => {
  const exit = Exit.succeed<unknown>(undefined) as unknown as Record<PropertyKey, unknown>
  const key = Reflect.ownKeys(exit)[0]! // "~effect/Effect/args": where an Exit keeps its value
  const first = { value: exit, done: false }
  const last = { value: undefined as unknown, done: true }
  let shot = false
  const iter = {
    next(a: unknown) {
      if (shot) {
        last.value = a
        return last
      }
      shot = true
      return first
    }
  }
  const eff = Effect.suspend(() => Effect.succeed(src.next()))
  Object.defineProperty(eff, Symbol.iterator, {
    value: () => {
      exit[key] = src.next()
      shot = false
      return iter
    }
  })
  return eff
}
const effReused = Effect.gen(function* () {
  const e = makeReused(new Lines())
  let n = 0
  for (;;) {
    const l = yield* e
    if (l === undefined) return n
    sink += l.length
    n++
  }
})

// Effect.gen + yield* of an effect returning a fresh Exit but a reused iterator.
const makeIterOnly = (src: Lines) => {
  const first = { value: undefined as unknown, done: false }
  const last = { value: undefined as unknown, done: true }
  let shot = false
  const iter = {
    next(a: unknown) {
      if (shot) {
        last.value = a
        return last
      }
      shot = true
      return first
    }
  }
  const eff = Effect.suspend(() => Effect.succeed(src.next()))
  Object.defineProperty(eff, Symbol.iterator, {
    value: () => {
      first.value = Exit.succeed(src.next())
      shot = false
      return iter
    }
  })
  return eff
}
const effIterOnly = Effect.gen(function* () {
  const e = makeIterOnly(new Lines())
  let n = 0
  for (;;) {
    const l = yield* e
    if (l === undefined) return n
    sink += l.length
    n++
  }
})

// No generator: Effect.whileLoop with one Effect.sync per line.
const effWhile = Effect.suspend(() => {
  const src = new Lines()
  let n = 0
  let done = false
  return Effect.as(
    Effect.whileLoop({
      while: () => !done,
      body: () => Effect.sync(() => src.next()),
      step: (x) => {
        if (x === undefined) done = true
        else {
          sink += x.length
          n++
        }
      }
    }),
    0
  ).pipe(Effect.map(() => n))
})

const cases: Array<[string, () => Promise<number>]> = [
  ["hand scan", async () => hand()],
  ["plain generator, yield* SingleShotGen", async () => plainDrive()],
  ["Effect.gen, yield* Effect.succeed(line)", () => Effect.runPromise(withBatchingScheduler(effSucceed))],
  [
    "Effect.gen, yield* reused iterator, fresh Exit",
    () => Effect.runPromise(withBatchingScheduler(effIterOnly))
  ],
  [
    "Effect.gen, yield* reused iterator+results+Exit",
    () => Effect.runPromise(withBatchingScheduler(effReused))
  ],
  ["Effect.whileLoop + Effect.sync per line", () => Effect.runPromise(withBatchingScheduler(effWhile))]
]
const times = new Map<string, Array<number>>()
const gc = (globalThis as { gc?: () => void }).gc
for (let round = 0; round < 9; round++) {
  for (const [name, run] of cases) {
    gc?.()
    const t = process.hrtime.bigint()
    const n = await run()
    const ns = Number(process.hrtime.bigint() - t) / LINES
    if (n !== LINES) throw new Error(`${name}: ${n} lines, expected ${LINES}`)
    if (round >= 2) times.set(name, [...(times.get(name) ?? []), ns])
  }
}
const med = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const base = med(times.get("hand scan")!)
for (const [name] of cases) {
  const m = med(times.get(name)!)
  console.log(`${name.padEnd(50)} ${m.toFixed(1).padStart(7)} ns/line  ${(m / base).toFixed(2)}x`)
}
if (sink < 0) console.log(sink)
