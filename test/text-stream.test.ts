/**
 * Text streams: AnyIO's tests/streams/test_text.py ported (each marked `// anyio: name`), the codecs
 * checked against CPython's incremental codecs (test/reference/codecs.py → test/fixtures/codecs.json),
 * then closing, cancellation, bad input, and a property test: UTF-8 text cut at random points (inside
 * characters too) and received with random cancellations comes out whole.
 */
import * as fs from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import fc from "fast-check"
import { ClosedResourceError, EndOfStream, InvalidArgumentError, UnicodeError } from "../src/Errors.ts"
import { lookupCodec } from "../src/internal/codec.ts"
import { createMemoryObjectStream } from "../src/MemoryObjectStream.ts"
import { StapledObjectStream } from "../src/StapledStream.ts"
import { TextConnectable, TextReceiveStream, TextSendStream, TextStream } from "../src/TextStream.ts"
import { typedAttribute } from "../src/TypedAttribute.ts"
import { chunkSource, fork, labelledByteStream, memoryConnectable } from "./streams-helpers.ts"

const bytes = (...xs: Array<number>) => new Uint8Array(xs)

describe("text streams (AnyIO's test_text.py)", () => {
  // anyio: test_receive
  it.effect("a character split across chunks comes out whole", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const textStream = new TextReceiveStream(receiveStream)
      yield* sendStream.send(bytes(0xc3, 0xa5, 0xc3, 0xa4, 0xc3)) // ends with half of the "ö" letter
      expect(yield* textStream.receive()).toBe("åä")

      // Send the missing byte for "ö"
      yield* sendStream.send(bytes(0xb6))
      expect(yield* textStream.receive()).toBe("ö")

      yield* sendStream.close()
      yield* receiveStream.close()
    })
  )

  // anyio: test_send
  it.effect("send encodes in UTF-8", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const textStream = new TextSendStream(sendStream)
      yield* textStream.send("åäö")
      expect(yield* receiveStream.receive()).toEqual(bytes(0xc3, 0xa5, 0xc3, 0xa4, 0xc3, 0xb6))

      yield* sendStream.close()
      yield* receiveStream.close()
    })
  )

  // anyio: test_receive_encoding_error
  it.effect('errors: "replace" replaces undecodable bytes', () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const textStream = new TextReceiveStream(receiveStream, { errors: "replace" })
      yield* sendStream.send(bytes(0xe5, 0xe4, 0xf6)) // "åäö" in latin-1
      expect(yield* textStream.receive()).toBe("���")

      yield* sendStream.close()
      yield* receiveStream.close()
    })
  )

  // anyio: test_send_encoding_error
  it.effect('errors: "replace" replaces unencodable characters', () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const textStream = new TextSendStream(sendStream, { encoding: "iso-8859-1", errors: "replace" })
      yield* textStream.send("€")
      expect(yield* receiveStream.receive()).toEqual(bytes(0x3f)) // "?"

      yield* sendStream.close()
      yield* receiveStream.close()
    })
  )

  // anyio: test_bidirectional_stream
  it.effect("TextStream encodes on send, decodes on receive", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const stapledStream = new StapledObjectStream(sendStream, receiveStream)
      const textStream = new TextStream(stapledStream)

      yield* textStream.send("åäö")
      expect(yield* receiveStream.receive()).toEqual(bytes(0xc3, 0xa5, 0xc3, 0xa4, 0xc3, 0xb6))

      yield* sendStream.send(bytes(0xc3, 0xa6, 0xc3, 0xb8))
      expect(yield* textStream.receive()).toBe("æø")
      expect(textStream.extraAttributes.size).toBe(0)

      yield* sendStream.close()
      yield* receiveStream.close()
    })
  )

  // anyio: test_text_connectable
  it.effect("TextConnectable gives TextStreams", () =>
    Effect.gen(function* () {
      const [sendStream, receiveStream] = createMemoryObjectStream<Uint8Array>(1)
      const memoryStream = new StapledObjectStream(sendStream, receiveStream)
      const connectable = new TextConnectable(memoryConnectable(memoryStream))
      yield* Effect.flatMap(connectable.connect(), (stream) =>
        stream.use((stream) =>
          Effect.gen(function* () {
            expect(stream).toBeInstanceOf(TextStream)
            yield* stream.send("hello")
            expect(yield* stream.receive()).toBe("hello")
          })
        )
      )
    })
  )
})

describe("AnyIO's docs/streams.rst examples", () => {
  // anyio: docs/streams.rst, "Text streams"
  it.effect("TextSendStream then TextReceiveStream over one memory stream", () =>
    Effect.gen(function* () {
      const [bytesSend, bytesReceive] = createMemoryObjectStream<Uint8Array>(1)
      const textSend = new TextSendStream(bytesSend)
      yield* textSend.send("åäö")
      let result: Uint8Array | string = yield* bytesReceive.receive()
      expect(result).toEqual(bytes(0xc3, 0xa5, 0xc3, 0xa4, 0xc3, 0xb6))

      const textReceive = new TextReceiveStream(bytesReceive)
      yield* bytesSend.send(result)
      result = yield* textReceive.receive()
      expect(result).toBe("åäö")
    })
  )
})

// -----------------------------------------------------------------------------
// The codecs against CPython
// -----------------------------------------------------------------------------

interface Fixture {
  readonly names: Record<string, string>
  readonly decode: ReadonlyArray<{
    encoding: string
    errors: "strict" | "replace" | "ignore"
    chunks: Array<string>
    outputs: Array<string>
    error?: string
  }>
  readonly encode: ReadonlyArray<{
    encoding: string
    errors: "strict" | "replace" | "ignore"
    texts: Array<string>
    outputs: Array<string>
    error?: string
  }>
}
const fixture: Fixture = JSON.parse(
  fs.readFileSync(new URL("./fixtures/codecs.json", import.meta.url), "utf8")
) as Fixture

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"))
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex")

describe("codecs: the same as CPython's incremental codecs", () => {
  it("names resolve to Python's canonical names", () => {
    for (const [name, canonical] of Object.entries(fixture.names)) {
      expect(lookupCodec(name)?.name, name).toBe(canonical)
    }
  })

  for (const c of fixture.decode) {
    const label = `decode ${c.encoding} ${c.errors} ${c.chunks.join(" ").slice(0, 24)}`
    it(label, () => {
      const decoder = lookupCodec(c.encoding)!.decoder(c.errors)
      const outputs: Array<string> = []
      let error: string | undefined
      for (const chunk of [...c.chunks.map(fromHex), undefined]) {
        const r = chunk === undefined ? decoder.flush() : decoder.decode(chunk)
        if (r instanceof UnicodeError) {
          error = r.message
          break
        }
        outputs.push(r)
      }
      expect({ outputs, error }).toEqual({ outputs: c.outputs, error: c.error })
    })
  }

  for (const c of fixture.encode) {
    it(`encode ${c.encoding} ${c.errors} ${JSON.stringify(c.texts)}`, () => {
      const encoder = lookupCodec(c.encoding)!.encoder(c.errors)
      const outputs: Array<string> = []
      let error: string | undefined
      for (const text of c.texts) {
        const r = encoder.encode(text)
        if (r instanceof UnicodeError) {
          error = r.message
          break
        }
        expect(Object.getPrototypeOf(r)).toBe(Uint8Array.prototype)
        outputs.push(toHex(r))
      }
      expect({ outputs, error }).toEqual({ outputs: c.outputs, error: c.error })
    })
  }
})

// -----------------------------------------------------------------------------
// The rules
// -----------------------------------------------------------------------------

describe("text streams: the rules", () => {
  it.effect("strict: undecodable bytes fail with UnicodeError (Python's message)", () =>
    Effect.gen(function* () {
      const s = new TextReceiveStream(chunkSource([bytes(0x61, 0x80, 0x62)]))
      const err = yield* Effect.flip(s.receive())
      expect(err).toBeInstanceOf(UnicodeError)
      expect((err as UnicodeError).message).toBe(
        "'utf-8' codec can't decode byte 0x80 in position 1: invalid start byte"
      )
    })
  )

  it.effect("strict: an unencodable character fails with UnicodeError and sends nothing", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const s = new TextSendStream(send, { encoding: "ascii" })
      const err = yield* Effect.flip(s.send("aåb"))
      expect((err as UnicodeError).message).toBe(
        "'ascii' codec can't encode character '\\xe5' in position 1: ordinal not in range(128)"
      )
      expect(yield* Effect.flip(receive.receiveNowait())).toMatchObject({ _tag: "WouldBlock" })
    })
  )

  it.effect("an incomplete character at the end of the stream is not dropped silently", () =>
    Effect.gen(function* () {
      const strict = new TextReceiveStream(chunkSource([bytes(0x41, 0xe2, 0x82)]))
      expect(yield* strict.receive()).toBe("A")
      expect(yield* Effect.flip(strict.receive())).toBeInstanceOf(UnicodeError)
      const replace = new TextReceiveStream(chunkSource([bytes(0x41, 0xe2, 0x82)]), { errors: "replace" })
      expect(yield* replace.receive()).toBe("A")
      expect(yield* replace.receive()).toBe("\uFFFD")
      expect(yield* Effect.flip(replace.receive())).toBeInstanceOf(EndOfStream)
      expect(yield* Effect.flip(replace.receive())).toBeInstanceOf(EndOfStream)
      const ignore = new TextReceiveStream(chunkSource([bytes(0x41, 0xe2, 0x82)]), { errors: "ignore" })
      expect(yield* ignore.receive()).toBe("A")
      expect(yield* Effect.flip(ignore.receive())).toBeInstanceOf(EndOfStream)
    })
  )

  it.effect("receive never returns an empty string: it waits for a whole character", () =>
    Effect.gen(function* () {
      const s = new TextReceiveStream(chunkSource([bytes(0xf0), bytes(0x9f), bytes(0x98), bytes(0x80)]))
      expect(yield* s.receive()).toBe("😀")
      expect(yield* Effect.flip(s.receive())).toBeInstanceOf(EndOfStream)
    })
  )

  it.effect("other encodings: utf-16 with its BOM once, cp1252, latin-1 both ways", () =>
    Effect.gen(function* () {
      for (const encoding of ["utf-16", "utf-16-be", "utf-8-sig", "cp1252", "latin-1", "koi8-r"]) {
        const [send, receive] = createMemoryObjectStream<Uint8Array>(10)
        const text = encoding === "koi8-r" ? ["абв", "где"] : ["a€", "b"]
        const out = new TextSendStream(send, { encoding: encoding === "latin-1" ? "latin-1" : encoding })
        const ok = encoding === "latin-1" ? ["aé", "b"] : text
        for (const t of ok) yield* out.send(t)
        yield* send.close()
        const into = new TextReceiveStream(receive, { encoding })
        let got = ""
        yield* into.runForEach((t) => Effect.sync(() => (got += t)))
        expect(got, encoding).toBe(ok.join(""))
      }
    })
  )

  it.effect("after close, receive and send fail with ClosedResourceError", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const r = new TextReceiveStream(receive)
      yield* r.close()
      expect(yield* Effect.flip(r.receive())).toBeInstanceOf(ClosedResourceError)
      const s = new TextSendStream(send)
      yield* s.close()
      expect(yield* Effect.flip(s.send("x"))).toBeInstanceOf(ClosedResourceError)
      const [send2, receive2] = createMemoryObjectStream<Uint8Array>(1)
      const t = new TextStream(new StapledObjectStream(send2, receive2))
      yield* t.close()
      expect(yield* Effect.flip(t.receive())).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(t.send("x"))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(t.sendEof())).toBeInstanceOf(ClosedResourceError)
    })
  )

  it.effect("TextStream.sendEof ends the byte stream's sending side only", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const t = new TextStream(new StapledObjectStream(send, receive))
      yield* t.sendEof()
      expect(yield* Effect.flip(send.send(bytes(1)))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(t.receive())).toBeInstanceOf(EndOfStream)
    })
  )

  it.effect("typed attributes are the byte stream's", () =>
    Effect.gen(function* () {
      const label = typedAttribute<string>("test.label")
      expect(yield* new TextReceiveStream(labelledByteStream(label, "bytes")).extra(label)).toBe("bytes")
    })
  )

  it("an unknown encoding or errors mode throws InvalidArgumentError when the stream is made", () => {
    const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
    expect(() => new TextReceiveStream(receive, { encoding: "klingon" })).toThrow(InvalidArgumentError)
    expect(() => new TextReceiveStream(receive, { encoding: "klingon" })).toThrow("unknown encoding: klingon")
    expect(() => new TextSendStream(send, { encoding: "utf-32" })).toThrow(InvalidArgumentError)
    expect(() => new TextSendStream(send, { errors: "backslashreplace" as "strict" })).toThrow(
      InvalidArgumentError
    )
    expect(() => new TextReceiveStream(receive, { encoding: 8 as unknown as string })).toThrow(
      InvalidArgumentError
    )
    expect(() => new TextConnectable({ connect: () => Effect.never }, { encoding: "nope" })).toThrow(
      InvalidArgumentError
    )
    // nothing was consumed or closed
    expect(send.statistics()).toMatchObject({ openSendStreams: 1, openReceiveStreams: 1 })
  })

  it.effect("send of a value that is not a string dies with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const [send] = createMemoryObjectStream<Uint8Array>(1)
      const exit = yield* Effect.exit(new TextSendStream(send).send(5 as unknown as string))
      expect(Exit.isFailure(exit) && exit.cause.reasons[0]?._tag === "Die").toBe(true)
    })
  )

  it.effect("a cancelled receive loses no character", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
      const s = new TextReceiveStream(receive)
      const waiting = yield* fork(s.receive())
      yield* send.send(bytes(0xc3))
      // The woken receive decodes the first byte of "å" and waits for the next one.
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow
      expect(receive.statistics().tasksWaitingReceive).toBe(1)
      yield* Fiber.interrupt(waiting)
      yield* send.send(bytes(0xa5))
      expect(yield* s.receive()).toBe("å")
    })
  )
})

describe("text streams: property", () => {
  it.effect("UTF-8 cut anywhere, received with random cancellations, comes out whole", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.string({ unit: "grapheme", maxLength: 60 }),
          fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }),
          fc.array(fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), { maxLength: 30 }),
          (text, sizes, cancels) =>
            Effect.runPromise(
              Effect.gen(function* () {
                const data = new TextEncoder().encode(text)
                const [send, receive] = createMemoryObjectStream<Uint8Array>(0)
                const s = new TextReceiveStream(receive)
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
                let got = ""
                for (const cancelAfter of cancels) {
                  if (cancelAfter === undefined) continue
                  const fiber = yield* fork(s.receive())
                  for (let i = 0; i < cancelAfter; i++) yield* Effect.yieldNow
                  yield* Fiber.interrupt(fiber)
                  const exit = yield* Fiber.await(fiber)
                  if (Exit.isSuccess(exit)) got += exit.value
                }
                yield* s.runForEach((t) => Effect.sync(() => (got += t)))
                yield* Fiber.join(producer)
                expect(got).toBe(text)
              })
            )
        ),
        { numRuns: 150 }
      )
    )
  )
})
