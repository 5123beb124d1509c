/**
 * Buffered byte streams: AnyIO's tests/streams/test_buffered.py ported (each marked
 * `// anyio: name`), then the rules AnyIO leaves implicit (views, scanning, closing, busy, bad input)
 * and a property test: random chunkings and random cancellation points lose and duplicate nothing.
 */
import { PassThrough } from "node:stream"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import fc from "fast-check"
import { BufferedByteReceiveStream, BufferedByteStream, BufferedConnectable } from "../src/BufferedStream.ts"
import {
  ClosedResourceError,
  DelimiterNotFound,
  EndOfStream,
  IncompleteRead,
  InvalidArgumentError
} from "../src/Errors.ts"
import { fromReadable } from "../src/internal/nodeStream.ts"
import { createMemoryObjectStream } from "../src/MemoryObjectStream.ts"
import { StapledObjectStream } from "../src/StapledStream.ts"
import { ByteReceiveStreamBase } from "../src/Streams.ts"
import { typedAttribute } from "../src/TypedAttribute.ts"
import { chunkSource, defectOf, fork, labelledByteStream, memoryConnectable } from "./streams-helpers.ts"

const b = (s: string) => new TextEncoder().encode(s)

describe("BufferedByteReceiveStream (AnyIO's test_buffered.py)", () => {
  // anyio: test_receive_exactly
  it.effect("receiveExactly joins chunks", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(2)
      const bufferedStream = new BufferedByteReceiveStream(receiveStream)
      yield* sendStream.send(b("abcd"))
      yield* sendStream.send(b("efgh"))
      const result = yield* bufferedStream.receiveExactly(8)
      expect(result).toEqual(b("abcdefgh"))
      expect(result).toBeInstanceOf(Uint8Array)

      yield* sendStream.close()
      yield* receiveStream.close()
    })
  )

  // anyio: test_receive_exactly_incomplete
  it.effect("receiveExactly fails with IncompleteRead when the stream ends first", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const bufferedStream = new BufferedByteReceiveStream(receiveStream)
      yield* sendStream.send(b("abcd"))
      yield* sendStream.close()
      const err = yield* Effect.flip(bufferedStream.receiveExactly(8))
      expect(err).toBeInstanceOf(IncompleteRead)

      yield* sendStream.close()
      yield* receiveStream.close()
    })
  )

  // anyio: test_receive_until
  it.effect("receiveUntil returns the bytes before the delimiter and drops it", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(2)
      const bufferedStream = new BufferedByteReceiveStream(receiveStream)
      yield* sendStream.send(b("abcd"))
      yield* sendStream.send(b("efgh"))

      let result = yield* bufferedStream.receiveUntil(b("de"), 10)
      expect(result).toEqual(b("abc"))
      expect(result).toBeInstanceOf(Uint8Array)

      result = yield* bufferedStream.receiveUntil(b("h"), 10)
      expect(result).toEqual(b("fg"))
      expect(result).toBeInstanceOf(Uint8Array)

      yield* sendStream.close()
      yield* receiveStream.close()
    })
  )

  // anyio: test_receive_until_incomplete
  it.effect("receiveUntil fails with IncompleteRead and keeps the bytes", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const bufferedStream = new BufferedByteReceiveStream(receiveStream)
      yield* sendStream.send(b("abcd"))
      yield* sendStream.close()
      const err = yield* Effect.flip(bufferedStream.receiveUntil(b("de"), 10))
      expect(err).toBeInstanceOf(IncompleteRead)

      expect(bufferedStream.buffer).toEqual(b("abcd"))

      yield* sendStream.close()
      yield* receiveStream.close()
    })
  )

  // anyio: test_buffered_stream
  it.effect("BufferedByteStream: sendEof closes only the sending end, close both", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const bufferedStream = new BufferedByteStream(new StapledObjectStream(sendStream, receiveStream))
      yield* sendStream.send(b("abcd"))
      expect(yield* bufferedStream.receiveExactly(2)).toEqual(b("ab"))
      expect(yield* bufferedStream.receiveExactly(2)).toEqual(b("cd"))

      // sendEof() should close only the sending end
      yield* bufferedStream.sendEof()
      expect(yield* Effect.flip(sendStream.sendNowait(b("abc")))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(receiveStream.receiveNowait())).toBeInstanceOf(EndOfStream)

      // close() closes the receive stream too
      yield* bufferedStream.close()
      expect(yield* Effect.flip(receiveStream.receiveNowait())).toBeInstanceOf(ClosedResourceError)
    })
  )

  // anyio: test_buffered_connectable
  it.effect("BufferedConnectable gives BufferedByteStreams", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const memoryStream = new StapledObjectStream(sendStream, receiveStream)
      const connectable = new BufferedConnectable(memoryConnectable(memoryStream))
      yield* Effect.flatMap(connectable.connect(), (stream) =>
        stream.use((stream) =>
          Effect.gen(function* () {
            expect(stream).toBeInstanceOf(BufferedByteStream)
            yield* stream.send(b("abcd"))
            expect(yield* stream.receiveExactly(2)).toEqual(b("ab"))
            expect(yield* stream.receiveExactly(2)).toEqual(b("cd"))
          })
        )
      )
      expect(yield* Effect.flip(receiveStream.receiveNowait())).toBeInstanceOf(ClosedResourceError)
    })
  )

  for (const maxBytes of [0, -1]) {
    // anyio: test_receive_invalid_max_bytes
    it.effect(`receive(${maxBytes}) dies with InvalidArgumentError`, () =>
      Effect.gen(function* () {
        const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
        const bufferedStream = new BufferedByteReceiveStream(receiveStream)
        const defect = yield* defectOf(bufferedStream.receive(maxBytes))
        expect(defect).toBeInstanceOf(InvalidArgumentError)
        expect((defect as InvalidArgumentError).message).toMatch(/maxBytes must be a positive integer/)

        yield* sendStream.close()
        yield* receiveStream.close()
      })
    )

    // anyio: test_buffered_stream_receive_invalid_max_bytes
    it.effect(`BufferedByteStream.receive(${maxBytes}) dies with InvalidArgumentError`, () =>
      Effect.gen(function* () {
        const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
        const bufferedStream = new BufferedByteStream(new StapledObjectStream(sendStream, receiveStream))
        const defect = yield* defectOf(bufferedStream.receive(maxBytes))
        expect((defect as InvalidArgumentError).message).toMatch(/maxBytes must be a positive integer/)

        yield* bufferedStream.close()
      })
    )
  }

  // anyio: test_feed_data
  it.effect("feedData puts bytes before anything not received yet", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const bufferedStream = new BufferedByteStream(new StapledObjectStream(sendStream, receiveStream))
      yield* sendStream.sendNowait(b("abcd"))

      // The stream has not received the sent data yet, so "xxx" should come out of the
      // buffer first, despite this order of data input
      yield* bufferedStream.feedData(b("xxx"))
      yield* bufferedStream.feedData(b("foo"))
      expect(yield* bufferedStream.receiveExactly(10)).toEqual(b("xxxfooabcd"))
      yield* bufferedStream.close()
    })
  )
})

describe("AnyIO's docs/streams.rst examples", () => {
  // anyio: docs/streams.rst, "Buffered byte streams"
  it.effect("receiveExactly(8) then receiveUntil('!', 10)", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(4)
      const buffered = new BufferedByteReceiveStream(receive)
      for (const part of ["hel", "lo, ", "wo", "rld!"]) yield* send.send(b(part))
      expect(new TextDecoder().decode(yield* buffered.receiveExactly(8))).toBe("hello, w")
      expect(new TextDecoder().decode(yield* buffered.receiveUntil(b("!"), 10))).toBe("orld")
    })
  )
})

describe("BufferedByteReceiveStream: the rules", () => {
  it.effect("results are views of the received chunks, copied only when they span two", () =>
    Effect.gen(function* () {
      const chunk = b("one\ntwo\nthr")
      const s = new BufferedByteReceiveStream(chunkSource([chunk, b("ee\n")]))
      const nl = b("\n")
      const one = yield* s.receiveUntil(nl, 100)
      expect(one).toEqual(b("one"))
      expect(one.buffer).toBe(chunk.buffer)
      expect(yield* s.receiveUntil(nl, 100)).toEqual(b("two"))
      const three = yield* s.receiveUntil(nl, 100)
      expect(three).toEqual(b("three"))
      expect(three.buffer).not.toBe(chunk.buffer)
    })
  )

  it.effect("a delimiter split over many one-byte chunks is found", () =>
    Effect.gen(function* () {
      const text = "ab\r\ncd\r\r\n\r\nef"
      const s = new BufferedByteReceiveStream(chunkSource(Array.from(b(text), (x) => new Uint8Array([x]))))
      const crlf = b("\r\n")
      expect(yield* s.receiveUntil(crlf, 100)).toEqual(b("ab"))
      expect(yield* s.receiveUntil(crlf, 100)).toEqual(b("cd\r"))
      expect(yield* s.receiveUntil(crlf, 100)).toEqual(b(""))
      expect(yield* Effect.flip(s.receiveUntil(crlf, 100))).toBeInstanceOf(IncompleteRead)
      expect(yield* s.receive()).toEqual(b("ef"))
      expect(yield* Effect.flip(s.receive())).toBeInstanceOf(EndOfStream)
    })
  )

  it.effect("DelimiterNotFound keeps the bytes; a larger limit then finds the delimiter", () =>
    Effect.gen(function* () {
      const s = new BufferedByteReceiveStream(chunkSource([b("abc"), b("def"), b("gh|ij")]))
      const bar = b("|")
      const err = yield* Effect.flip(s.receiveUntil(bar, 5))
      expect(err).toBeInstanceOf(DelimiterNotFound)
      expect((err as DelimiterNotFound).maxBytes).toBe(5)
      expect(s.buffer).toEqual(b("abcdef"))
      expect(yield* s.receiveUntil(bar, 100)).toEqual(b("abcdefgh"))
      expect(yield* s.receive()).toEqual(b("ij"))
    })
  )

  it.effect("as in AnyIO, a delimiter already buffered is found even beyond maxBytes", () =>
    Effect.gen(function* () {
      const s = new BufferedByteReceiveStream(chunkSource([b("abcdef|")]))
      yield* s.feedData(b("x"))
      expect(yield* s.receiveExactly(1)).toEqual(b("x"))
      expect(yield* s.receiveUntil(b("|"), 0).pipe(Effect.flip)).toBeInstanceOf(DelimiterNotFound)
      expect(yield* s.receiveUntil(b("|"), 2)).toEqual(b("abcdef"))
    })
  )

  it.effect("a wait for a delimiter, then another delimiter: bytes scanned for the first are rescanned", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const s = new BufferedByteReceiveStream(receive)
      yield* send.send(b("ab,cd"))
      const waiting = yield* fork(s.receiveUntil(b(";"), 100))
      yield* Fiber.interrupt(waiting)
      expect(s.buffer).toEqual(b("ab,cd"))
      expect(yield* s.receiveUntil(b(","), 100)).toEqual(b("ab"))
      yield* send.send(b(";"))
      expect(yield* s.receiveUntil(b(";"), 100)).toEqual(b("cd"))
    })
  )

  it.effect("a multi-byte delimiter split across the chunk where a wait was cancelled", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const s = new BufferedByteReceiveStream(receive)
      const delim = b("<END>")
      yield* send.send(b("hello<EN"))
      const waiting = yield* fork(s.receiveUntil(delim, 100))
      yield* Fiber.interrupt(waiting)
      yield* send.send(b("D>rest"))
      expect(yield* s.receiveUntil(delim, 100)).toEqual(b("hello"))
      expect(yield* s.receive()).toEqual(b("rest"))
    })
  )

  it.effect("receiveUntilAll returns every frame buffered, waits for one, fails as receiveUntil", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const s = new BufferedByteReceiveStream(receive)
      const crlf = b("\r\n")
      const waiting = yield* fork(s.receiveUntilAll(crlf, 100))
      yield* send.send(b("a\r\nbb\r\n\r\ncc"))
      const frames = yield* Fiber.join(waiting)
      expect(frames.map((f) => new TextDecoder().decode(f))).toEqual(["a", "bb", ""])
      expect(s.buffer).toEqual(b("cc"))
      yield* send.send(b("c\r"))
      const err = yield* Effect.flip(s.receiveUntilAll(crlf, 3))
      expect(err).toBeInstanceOf(DelimiterNotFound)
      yield* send.close()
      expect(yield* Effect.flip(s.receiveUntilAll(crlf, 100))).toBeInstanceOf(IncompleteRead)
      expect(yield* s.receive()).toEqual(b("ccc\r"))
    })
  )

  // `yield*` of a buffered result completes inline (src/internal/suspendInline.ts): it must behave
  // as the same effect run any other way, and stay lazy and reusable.
  it.effect("operations are lazy and reusable, the same under yield* and under combinators", () =>
    Effect.gen(function* () {
      const [, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const s = new BufferedByteReceiveStream(receiveStream)
      yield* s.feedData(b("a\nb\nc\nd\ne\nf\ng\nhijklmn"))
      const nl = b("\n")
      const line = s.receiveUntil(nl, 100)
      expect(s.buffer).toEqual(b("a\nb\nc\nd\ne\nf\ng\nhijklmn")) // made, not run: nothing taken
      expect(yield* line).toEqual(b("a"))
      expect(yield* line).toEqual(b("b"))
      expect(yield* Effect.map(line, (l) => l.length)).toBe(1) // c
      expect(yield* Effect.flatMap(Effect.void, () => line)).toEqual(b("d"))
      const all = s.receiveUntilAll(nl, 100)
      const exactly = s.receiveExactly(2)
      const receive = s.receive(3)
      expect(s.buffer).toEqual(b("e\nf\ng\nhijklmn"))
      expect((yield* all).length).toBe(3)
      expect(yield* exactly).toEqual(b("hi"))
      expect(yield* Effect.exit(exactly)).toEqual(Exit.succeed(b("jk")))
      expect(yield* receive).toEqual(b("lmn"))
      yield* s.close()
      expect(yield* Effect.flip(line)).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(Effect.map(line, (l) => l.length))).toBeInstanceOf(ClosedResourceError)
    })
  )

  it.effect("receive of an object stream keeps what is beyond maxBytes; buffered chunks are joined", () =>
    Effect.gen(function* () {
      const s = new BufferedByteReceiveStream(chunkSource([b("abcdef"), b("gh")]))
      expect(yield* s.receive(4)).toEqual(b("abcd"))
      yield* s.feedData([105, 106])
      expect(yield* s.receive(3)).toEqual(b("efi"))
      expect(yield* s.receive()).toEqual(b("j"))
      expect(yield* s.receive()).toEqual(b("gh"))
    })
  )

  it.effect("receiveExactly of a byte stream asks only for the bytes still missing", () =>
    Effect.gen(function* () {
      const asked: Array<number> = []
      class Source extends ByteReceiveStreamBase<EndOfStream> {
        receive(maxBytes = 65536) {
          return Effect.sync(() => {
            asked.push(maxBytes)
            return new Uint8Array(Math.min(3, maxBytes)).fill(asked.length)
          })
        }
        close() {
          return Effect.void
        }
      }
      const s = new BufferedByteReceiveStream(new Source())
      expect(Array.from(yield* s.receiveExactly(7))).toEqual([1, 1, 1, 2, 2, 2, 3])
      expect(asked).toEqual([7, 4, 1])
      expect(yield* defectOf(s.receiveExactly(-1))).toBeInstanceOf(InvalidArgumentError)
      expect(yield* s.receiveExactly(0)).toEqual(new Uint8Array(0))
    })
  )

  it.effect("after end of stream, every receive fails with EndOfStream without asking again", () =>
    Effect.gen(function* () {
      let receives = 0
      class Once extends ByteReceiveStreamBase<EndOfStream> {
        receive() {
          return Effect.suspend(() =>
            receives++ === 0 ? Effect.succeed(b("ab")) : Effect.fail(new EndOfStream({}))
          )
        }
        close() {
          return Effect.void
        }
      }
      const s = new BufferedByteReceiveStream(new Once())
      expect(yield* Effect.flip(s.receiveExactly(3))).toBeInstanceOf(IncompleteRead)
      expect(yield* s.receive()).toEqual(b("ab"))
      for (let i = 0; i < 3; i++) expect(yield* Effect.flip(s.receive())).toBeInstanceOf(EndOfStream)
      expect(yield* Effect.flip(s.receiveUntil(b("\n"), 10))).toBeInstanceOf(IncompleteRead)
      expect(yield* Effect.flip(s.receiveExactly(1))).toBeInstanceOf(IncompleteRead)
      expect(yield* s.receiveExactly(0)).toEqual(new Uint8Array(0))
      expect(receives).toBe(2)
    })
  )

  it.effect("after close, every operation fails with ClosedResourceError, even with bytes buffered", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const s = new BufferedByteReceiveStream(receive)
      yield* s.feedData(b("a\nb"))
      yield* s.close()
      yield* s.close()
      expect(yield* Effect.flip(s.receive())).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(s.receive(1))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(s.receiveExactly(1))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(s.receiveUntil(b("\n"), 10))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(send.send(b("x")))).toMatchObject({ _tag: "BrokenResourceError" })
    })
  )

  it.effect("close wakes a waiting receiveUntil with ClosedResourceError", () =>
    Effect.gen(function* () {
      // Whether a waiting receive wakes is the wrapped stream's rule, as in AnyIO: a socket's or a
      // pipe's does (a memory object stream's receive end, closed, does not wake its own receivers).
      const s = new BufferedByteReceiveStream(fromReadable(new PassThrough()))
      const waiting = yield* fork(Effect.flip(s.receiveUntil(b("\n"), 10)))
      yield* s.close()
      expect(yield* Fiber.join(waiting)).toBeInstanceOf(ClosedResourceError)
    })
  )

  it.effect("a second task receiving while one waits fails with BusyResourceError", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const s = new BufferedByteReceiveStream(receive)
      const first = yield* fork(s.receiveUntil(b("\n"), 10))
      const ops: Array<Effect.Effect<Uint8Array, unknown>> = [
        s.receive(),
        s.receiveExactly(1),
        s.receiveUntil(b("\n"), 10)
      ]
      for (const op of ops) {
        expect(yield* Effect.flip(op)).toMatchObject({ _tag: "BusyResourceError" })
      }
      yield* send.send(b("ok\n"))
      expect(yield* Fiber.join(first)).toEqual(b("ok"))
      // released after a cancellation too
      const second = yield* fork(s.receive())
      yield* Fiber.interrupt(second)
      yield* send.send(b("z"))
      expect(yield* s.receive()).toEqual(b("z"))
    })
  )

  it.effect("a cancelled receiveExactly keeps what it buffered", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const s = new BufferedByteReceiveStream(receive)
      const waiting = yield* fork(s.receiveExactly(6))
      yield* send.send(b("abc"))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(waiting)
      expect(s.buffer).toEqual(b("abc"))
      yield* send.send(b("def"))
      expect(yield* s.receiveExactly(6)).toEqual(b("abcdef"))
    })
  )

  it.effect("typed attributes are the wrapped stream's", () =>
    Effect.gen(function* () {
      const label = typedAttribute<string>("test.label")
      const s = new BufferedByteReceiveStream(labelledByteStream(label, "inner"))
      expect(yield* s.extra(label)).toBe("inner")
    })
  )
})

describe("BufferedByteReceiveStream: bad input consumes nothing", () => {
  const bad: ReadonlyArray<
    readonly [string, (s: BufferedByteReceiveStream<unknown>) => Effect.Effect<unknown, unknown>]
  > = [
    ["receive(1.5)", (s) => s.receive(1.5)],
    ["receive(NaN)", (s) => s.receive(Number.NaN)],
    ["receive('8')", (s) => s.receive("8" as unknown as number)],
    ["receiveExactly(-1)", (s) => s.receiveExactly(-1)],
    ["receiveExactly(2.5)", (s) => s.receiveExactly(2.5)],
    ["receiveExactly(Infinity)", (s) => s.receiveExactly(Number.POSITIVE_INFINITY)],
    ["receiveUntil(empty)", (s) => s.receiveUntil(new Uint8Array(0), 10)],
    ["receiveUntil('\\n')", (s) => s.receiveUntil("\n" as unknown as Uint8Array, 10)],
    ["receiveUntil(d, -1)", (s) => s.receiveUntil(b("\n"), -1)],
    ["receiveUntil(d, 1.5)", (s) => s.receiveUntil(b("\n"), 1.5)],
    ["receiveUntil(d, NaN)", (s) => s.receiveUntil(b("\n"), Number.NaN)],
    ["feedData([256])", (s) => s.feedData([256])],
    ["feedData([-1])", (s) => s.feedData([-1])],
    ["feedData(1)", (s) => s.feedData(1 as unknown as Uint8Array)]
  ]
  for (const [name, op] of bad) {
    it.effect(`${name} dies with InvalidArgumentError`, () =>
      Effect.gen(function* () {
        const s = new BufferedByteReceiveStream(chunkSource([b("abc")])) as BufferedByteReceiveStream<unknown>
        yield* s.feedData(b("x"))
        expect(yield* defectOf(op(s))).toBeInstanceOf(InvalidArgumentError)
        expect(s.buffer).toEqual(b("x"))
        expect(yield* s.receiveExactly(4)).toEqual(b("xabc"))
      })
    )
  }

  it.effect("receiveUntil accepts Infinity as maxBytes", () =>
    Effect.gen(function* () {
      const s = new BufferedByteReceiveStream(chunkSource([b("ab"), b("c\n")]))
      expect(yield* s.receiveUntil(b("\n"), Number.POSITIVE_INFINITY)).toEqual(b("abc"))
    })
  )
})

// -----------------------------------------------------------------------------
// Property: nothing lost, nothing duplicated
// -----------------------------------------------------------------------------

type Op =
  | { readonly kind: "receive"; readonly n: number }
  | { readonly kind: "exactly"; readonly n: number }
  | { readonly kind: "until"; readonly delim: string; readonly max: number }
  | { readonly kind: "untilAll"; readonly delim: string; readonly max: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("receive" as const), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("exactly" as const), n: fc.integer({ min: 0, max: 40 }) }),
  fc.record({
    kind: fc.constant("until" as const),
    delim: fc.constantFrom("\n", "ab", "aab", "ba"),
    max: fc.integer({ min: 0, max: 60 })
  }),
  fc.record({
    kind: fc.constant("untilAll" as const),
    delim: fc.constantFrom("\n", "ab", "aab", "ba"),
    max: fc.integer({ min: 0, max: 60 })
  })
)

describe("BufferedByteReceiveStream: property", () => {
  it.effect("random chunkings and cancellation points: the bytes received are the bytes sent", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.string({ unit: fc.constantFrom("a", "b", "\n", "x"), maxLength: 300 }),
          fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }),
          fc.array(fc.tuple(opArb, fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined })), {
            maxLength: 40
          }),
          fc.integer({ min: 0, max: 2 }),
          (text, sizes, ops, bufferSize) =>
            Effect.runPromise(
              Effect.gen(function* () {
                const data = b(text)
                const [send, receive] = createMemoryObjectStream<Uint8Array>(bufferSize)
                const s = new BufferedByteReceiveStream(receive)
                const producer = yield* fork(
                  Effect.gen(function* () {
                    let at = 0
                    for (let i = 0; at < data.length; i++) {
                      const n = sizes[i % sizes.length]!
                      yield* send.send(data.slice(at, at + n))
                      at += n
                    }
                    yield* send.close()
                  })
                )
                const got: Array<Uint8Array> = []
                const keep = (op: Op, exit: Exit.Exit<Uint8Array | ReadonlyArray<Uint8Array>, unknown>) => {
                  if (Exit.isFailure(exit)) return
                  const frames = exit.value instanceof Uint8Array ? [exit.value] : exit.value
                  if (op.kind === "untilAll") expect(frames.length).toBeGreaterThan(0)
                  for (const frame of frames) {
                    got.push(frame)
                    if (op.kind === "until" || op.kind === "untilAll") got.push(b(op.delim))
                  }
                }
                for (const [op, cancelAfter] of ops) {
                  const effect: Effect.Effect<Uint8Array | ReadonlyArray<Uint8Array>, unknown> =
                    op.kind === "receive"
                      ? s.receive(op.n)
                      : op.kind === "exactly"
                        ? s.receiveExactly(op.n)
                        : op.kind === "until"
                          ? s.receiveUntil(b(op.delim), op.max)
                          : s.receiveUntilAll(b(op.delim), op.max)
                  if (cancelAfter === undefined) {
                    keep(op, yield* Effect.exit(effect))
                  } else {
                    const fiber = yield* fork(effect)
                    for (let i = 0; i < cancelAfter; i++) yield* Effect.yieldNow
                    yield* Fiber.interrupt(fiber)
                    keep(op, yield* Fiber.await(fiber))
                  }
                }
                for (;;) {
                  const exit = yield* Effect.exit(s.receive())
                  if (Exit.isFailure(exit)) break
                  got.push(exit.value)
                }
                yield* Fiber.join(producer)
                expect(Buffer.concat(got).toString("latin1")).toBe(Buffer.from(data).toString("latin1"))
              })
            )
        ),
        { numRuns: 150 }
      )
    )
  )
})
