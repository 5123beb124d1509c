/**
 * Stapled streams: AnyIO's tests/streams/test_stapled.py ported (each marked `// anyio: name`),
 * with its dummy streams, then typed attributes and types.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Effect } from "effect"
import { ClosedResourceError, EndOfStream, InvalidArgumentError, RuntimeError } from "../src/Errors.ts"
import { createMemoryObjectStream } from "../src/MemoryObjectStream.ts"
import { StapledByteStream, StapledObjectStream } from "../src/StapledStream.ts"
import {
  ByteReceiveStreamBase,
  ByteSendStreamBase,
  ObjectReceiveStreamBase,
  ObjectSendStreamBase
} from "../src/Streams.ts"
import { attributeMap, typedAttribute } from "../src/TypedAttribute.ts"
import { defectOf } from "./streams-helpers.ts"

const b = (s: string) => new TextEncoder().encode(s)
const text = (x: Uint8Array) => new TextDecoder().decode(x)

class DummyByteReceiveStream extends ByteReceiveStreamBase<ClosedResourceError> {
  buffer: Uint8Array
  private closed = false
  constructor(data: Uint8Array) {
    super()
    this.buffer = data
  }
  receive(maxBytes = 65536) {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(new ClosedResourceError({}))
      const data = this.buffer.slice(0, maxBytes)
      this.buffer = this.buffer.slice(maxBytes)
      return Effect.succeed(data)
    })
  }
  close() {
    return Effect.sync(() => {
      this.closed = true
    })
  }
}

class DummyByteSendStream extends ByteSendStreamBase<ClosedResourceError> {
  buffer: Array<number> = []
  private closed = false
  send(item: Uint8Array) {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(new ClosedResourceError({}))
      this.buffer.push(...item)
      return Effect.void
    })
  }
  close() {
    return Effect.sync(() => {
      this.closed = true
    })
  }
}

describe("StapledByteStream (AnyIO's TestStapledByteStream)", () => {
  const fixtures = () => {
    const sendStream = new DummyByteSendStream()
    const receiveStream = new DummyByteReceiveStream(b("hello, world"))
    return { sendStream, receiveStream, stapled: new StapledByteStream(sendStream, receiveStream) }
  }

  // anyio: test_receive_send
  it.effect("receive and send go to the two streams", () =>
    Effect.gen(function* () {
      const { stapled, sendStream } = fixtures()
      expect(text(yield* stapled.receive(3))).toBe("hel")
      expect(text(yield* stapled.receive())).toBe("lo, world")
      expect(text(yield* stapled.receive())).toBe("")

      yield* stapled.send(b("how are you "))
      yield* stapled.send(b("today?"))
      expect(stapled.sendStream).toBe(sendStream)
      expect(text(Uint8Array.from(sendStream.buffer))).toBe("how are you today?")
    })
  )

  // anyio: test_send_eof
  it.effect("sendEof closes the send stream only; idempotent", () =>
    Effect.gen(function* () {
      const { stapled } = fixtures()
      yield* stapled.sendEof()
      yield* stapled.sendEof()
      expect(yield* Effect.flip(stapled.send(b("world")))).toBeInstanceOf(ClosedResourceError)

      expect(text(yield* stapled.receive())).toBe("hello, world")
    })
  )

  // anyio: test_aclose
  it.effect("close closes both streams", () =>
    Effect.gen(function* () {
      const { stapled } = fixtures()
      yield* stapled.close()
      expect(yield* Effect.flip(stapled.receive())).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(stapled.send(b("")))).toBeInstanceOf(ClosedResourceError)
    })
  )

  for (const maxBytes of [0, -1]) {
    // anyio: test_receive_invalid_max_bytes
    it.effect(`receive(${maxBytes}) dies with InvalidArgumentError`, () =>
      Effect.gen(function* () {
        const { stapled, receiveStream } = fixtures()
        const defect = yield* defectOf(stapled.receive(maxBytes))
        expect(defect).toBeInstanceOf(InvalidArgumentError)
        expect((defect as InvalidArgumentError).message).toMatch(/maxBytes must be a positive integer/)
        expect(text(receiveStream.buffer)).toBe("hello, world")
      })
    )
  }

  it.effect("receive(1.5) and receive('3') die with InvalidArgumentError too", () =>
    Effect.gen(function* () {
      const { stapled } = fixtures()
      expect(yield* defectOf(stapled.receive(1.5))).toBeInstanceOf(InvalidArgumentError)
      expect(yield* defectOf(stapled.receive("3" as unknown as number))).toBeInstanceOf(InvalidArgumentError)
    })
  )
})

class DummyObjectReceiveStream<T> extends ObjectReceiveStreamBase<T, ClosedResourceError | EndOfStream> {
  buffer: Array<T>
  private closed = false
  constructor(data: Iterable<T>) {
    super()
    this.buffer = Array.from(data)
  }
  receive(): Effect.Effect<T, ClosedResourceError | EndOfStream> {
    return Effect.suspend((): Effect.Effect<T, ClosedResourceError | EndOfStream> => {
      if (this.closed) return Effect.fail(new ClosedResourceError({}))
      if (this.buffer.length === 0) return Effect.fail(new EndOfStream({}))
      return Effect.succeed(this.buffer.shift()!)
    })
  }
  close() {
    return Effect.sync(() => {
      this.closed = true
    })
  }
}

class DummyObjectSendStream<T> extends ObjectSendStreamBase<T, ClosedResourceError> {
  buffer: Array<T> = []
  protected closed = false
  send(item: T) {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(new ClosedResourceError({}))
      this.buffer.push(item)
      return Effect.void
    })
  }
  close() {
    return Effect.sync(() => {
      this.closed = true
    })
  }
}

class DummyObjectSendStreamWithSendNowait<T> extends DummyObjectSendStream<T> {
  sendNowait(item: T) {
    return Effect.suspend(() => {
      if (this.closed) return Effect.fail(new ClosedResourceError({}))
      this.buffer.push(item)
      return Effect.void
    })
  }
}

class DummyObjectSendStreamWithBrokenSendNowait<T> extends DummyObjectSendStream<T> {
  sendNowait(_item: T): Effect.Effect<void> {
    return Effect.sync(() => {
      throw new TypeError("no attribute 'nonexistent'")
    })
  }
}

describe("StapledObjectStream (AnyIO's TestStapledObjectStream)", () => {
  const fixtures = () => {
    const receiveStream = new DummyObjectReceiveStream(["hello", "world"])
    const sendStream = new DummyObjectSendStream<string>()
    const sendStreamWithSendNowait = new DummyObjectSendStreamWithSendNowait<string>()
    return {
      receiveStream,
      sendStream,
      sendStreamWithSendNowait,
      stapled: new StapledObjectStream(sendStream, receiveStream),
      stapledWithSendNowait: new StapledObjectStream(sendStreamWithSendNowait, receiveStream)
    }
  }

  // anyio: test_receive_send
  it.effect("receive and send go to the two streams", () =>
    Effect.gen(function* () {
      const { stapled, sendStream } = fixtures()
      expect(yield* stapled.receive()).toBe("hello")
      expect(yield* stapled.receive()).toBe("world")
      expect(yield* Effect.flip(stapled.receive())).toBeInstanceOf(EndOfStream)

      yield* stapled.send("how are you ")
      yield* stapled.send("today?")
      expect(stapled.sendStream).toBe(sendStream)
      expect(sendStream.buffer).toEqual(["how are you ", "today?"])
    })
  )

  // anyio: test_send_nowait_implemented
  it.effect("sendNowait uses the send stream's", () =>
    Effect.gen(function* () {
      const { stapledWithSendNowait, sendStreamWithSendNowait } = fixtures()
      yield* stapledWithSendNowait.sendNowait("hello")
      expect(sendStreamWithSendNowait.buffer).toEqual(["hello"])
    })
  )

  // anyio: test_send_nowait_not_implemented
  it.effect("sendNowait without one on the send stream: a type error, and RuntimeError at run time", () =>
    Effect.gen(function* () {
      const { stapled } = fixtures()
      // @ts-expect-error DummyObjectSendStream has no sendNowait
      const defect = yield* defectOf(stapled.sendNowait("hello"))
      expect(defect).toBeInstanceOf(RuntimeError)
      expect((defect as RuntimeError).message).toBe(
        "'sendNowait' method not implemented in DummyObjectSendStream"
      )
    })
  )

  // anyio: test_send_nowait_does_not_mask_attribute_error
  it.effect("an error raised by the send stream's sendNowait is not masked", () =>
    Effect.gen(function* () {
      const { receiveStream } = fixtures()
      const stapled = new StapledObjectStream(
        new DummyObjectSendStreamWithBrokenSendNowait<string>(),
        receiveStream
      )
      const defect = yield* defectOf(stapled.sendNowait("hello"))
      expect(defect).toBeInstanceOf(TypeError)
      expect((defect as TypeError).message).toBe("no attribute 'nonexistent'")
    })
  )

  // anyio: test_send_eof
  it.effect("sendEof closes the send stream only; idempotent", () =>
    Effect.gen(function* () {
      const { stapled } = fixtures()
      yield* stapled.sendEof()
      yield* stapled.sendEof()
      expect(yield* Effect.flip(stapled.send("world"))).toBeInstanceOf(ClosedResourceError)

      expect(yield* stapled.receive()).toBe("hello")
      expect(yield* stapled.receive()).toBe("world")
    })
  )

  // anyio: test_aclose
  it.effect("close closes both streams", () =>
    Effect.gen(function* () {
      const { stapled } = fixtures()
      yield* stapled.close()
      expect(yield* Effect.flip(stapled.receive())).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(stapled.send(""))).toBeInstanceOf(ClosedResourceError)
    })
  )
})

describe("stapled streams: attributes, memory streams, types", () => {
  const who = typedAttribute<string>("test.who")
  const onlySend = typedAttribute<number>("test.onlySend")

  it.effect("typed attributes come from both streams; the receive stream's win", () =>
    Effect.gen(function* () {
      class S extends DummyObjectSendStream<string> {
        override get extraAttributes() {
          return attributeMap([
            [who, () => "send"],
            [onlySend, () => 1]
          ])
        }
      }
      class R extends DummyObjectReceiveStream<string> {
        override get extraAttributes() {
          return attributeMap([[who, () => "receive"]])
        }
      }
      const stapled = new StapledObjectStream(new S(), new R([]))
      expect(yield* stapled.extra(who)).toBe("receive")
      expect(yield* stapled.extra(onlySend)).toBe(1)
    })
  )

  it.effect("over memory object streams: a loopback; sendEof ends the receiving side", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(2)
      const loopback = new StapledObjectStream(send, receive)
      yield* loopback.send(1)
      yield* loopback.sendNowait(2)
      yield* loopback.sendEof()
      const got: Array<number> = []
      yield* loopback.runForEach((n) => Effect.sync(() => void got.push(n)))
      expect(got).toEqual([1, 2])
      yield* loopback.close()
      expect(yield* Effect.flip(receive.receive())).toBeInstanceOf(ClosedResourceError)
    })
  )

  it("types: errors of each side, sendNowait only with a send stream that has one", () => {
    const [send, receive] = createMemoryObjectStream<string>(1)
    const stapled = new StapledObjectStream(send, receive)
    expectTypeOf(stapled.receive()).toEqualTypeOf<Effect.Effect<string, EndOfStream | ClosedResourceError>>()
    expectTypeOf(stapled.sendNowait).parameter(0).toEqualTypeOf<string>()
    const bytes = new StapledByteStream(new DummyByteSendStream(), new DummyByteReceiveStream(b("")))
    expectTypeOf(bytes.receive()).toEqualTypeOf<Effect.Effect<Uint8Array, ClosedResourceError>>()
  })
})
