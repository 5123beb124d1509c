import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Cause, Effect, Exit, Sink, Stream } from "effect"
import {
  attributeMap,
  ByteStreamBase,
  type ClosedResourceError,
  createMemoryObjectStream,
  EndOfStream,
  type ObjectReceiveStream,
  ObjectReceiveStreamBase,
  type ObjectSendStream,
  TypedAttributeLookupError,
  typedAttribute,
  typedAttributeSet
} from "../src/index.ts"

const label = typedAttribute<string>("test.label")
const port = typedAttribute<number>("test.port")

class Countdown extends ObjectReceiveStreamBase<number, EndOfStream> {
  n: number
  closed = 0
  constructor(n: number) {
    super()
    this.n = n
  }
  receive() {
    return Effect.suspend(() => (this.n > 0 ? Effect.succeed(this.n--) : Effect.fail(new EndOfStream({}))))
  }
  close() {
    return Effect.sync(() => void this.closed++)
  }
  override get extraAttributes() {
    return attributeMap([[label, () => "countdown"]])
  }
}

/** A stream wrapping another one offers its own attributes over the wrapped stream's. */
class Loopback extends ByteStreamBase<EndOfStream> {
  readonly inner: Countdown
  readonly chunks: Array<Uint8Array> = []
  eof = false
  constructor(inner: Countdown) {
    super()
    this.inner = inner
  }
  receive() {
    return Effect.suspend(() => {
      const c = this.chunks.shift()
      return c ? Effect.succeed(c) : Effect.fail(new EndOfStream({}))
    })
  }
  send(data: Uint8Array) {
    return Effect.sync(() => void this.chunks.push(data))
  }
  sendEof() {
    return Effect.sync(() => void (this.eof = true))
  }
  close() {
    return Effect.void
  }
  override get extraAttributes() {
    return attributeMap([[port, () => 80]], this.inner.extraAttributes)
  }
}

describe("typed attributes", () => {
  it.effect("extra finds an attribute, a default, or fails with TypedAttributeLookupError", () =>
    Effect.gen(function* () {
      const s = new Countdown(1)
      expect(yield* s.extra(label)).toBe("countdown")
      expect(yield* s.extra(port, 7)).toBe(7)
      expect(yield* s.extra(port, undefined)).toBe(undefined)
      const err = yield* Effect.flip(s.extra(port))
      expect(err).toBeInstanceOf(TypedAttributeLookupError)
      expect(err.attribute).toBe("test.port")
    })
  )

  it.effect("the lookup goes through wrapping streams, and the outer one may override", () =>
    Effect.gen(function* () {
      const outer = new Loopback(new Countdown(1))
      expect(yield* outer.extra(label)).toBe("countdown")
      expect(yield* outer.extra(port)).toBe(80)
    })
  )

  // anyio: test_typedattr_keyerror
  it.effect("a getter that throws is not confused with a missing attribute", () =>
    Effect.gen(function* () {
      const map = attributeMap([
        [
          label,
          () => {
            throw new RangeError("foo")
          }
        ]
      ])
      class P extends Countdown {
        override get extraAttributes() {
          return map
        }
      }
      const exit = yield* Effect.exit(new P(0).extra(label))
      expect(Exit.isFailure(exit) && Cause.hasDies(exit.cause)).toBe(true)
    })
  )

  it("typedAttributeSet names its keys and keeps their types", () => {
    const Http = typedAttributeSet("http", { method: "" as string, status: 0 as number })
    expect(Http.method.name).toBe("http.method")
    expect(Http.method).not.toBe(Http.status)
    expectTypeOf(Http.status).toEqualTypeOf<import("../src/index.ts").TypedAttribute<number>>()
  })
})

describe("stream base classes", () => {
  it.effect("runForEach and stream end at EndOfStream; use closes", () =>
    Effect.gen(function* () {
      const seen: Array<number> = []
      const s = new Countdown(3)
      yield* s.use((x) => x.runForEach((n) => Effect.sync(() => void seen.push(n))))
      expect(seen).toEqual([3, 2, 1])
      expect(s.closed).toBe(1)
      const all = yield* Stream.runCollect(new Countdown(2).stream)
      expect(Array.from(all)).toEqual([2, 1])
    })
  )

  it.effect("a failure of f stops runForEach and is returned; EndOfStream from f is not swallowed", () =>
    Effect.gen(function* () {
      const err = yield* Effect.flip(new Countdown(3).runForEach(() => Effect.fail(new EndOfStream({}))))
      expect(err).toBeInstanceOf(EndOfStream)
    })
  )

  it.effect("byte streams: sink sends, sendEof, stream", () =>
    Effect.gen(function* () {
      const s = new Loopback(new Countdown(0))
      yield* Stream.run(Stream.make(new Uint8Array([1]), new Uint8Array([2, 3])), s.sink)
      yield* s.sendEof()
      const got = yield* Stream.runCollect(s.stream)
      expect(Array.from(got).map((c) => Array.from(c))).toEqual([[1], [2, 3]])
      expect(s.eof).toBe(true)
    })
  )
})

describe("memory object streams implement the object stream interfaces", () => {
  it.effect("as ObjectSendStream / ObjectReceiveStream", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>(10)
      const s: ObjectSendStream<number, ClosedResourceError | import("../src/index.ts").BrokenResourceError> =
        send
      const r: ObjectReceiveStream<number, EndOfStream | ClosedResourceError> = receive
      yield* Stream.run(Stream.make(1, 2, 3), s.sink)
      yield* s.close()
      expect(Array.from(yield* Stream.runCollect(r.stream))).toEqual([1, 2, 3])
      expect(yield* r.extra(label, "none")).toBe("none")
      expectTypeOf(Sink.forEach).toBeFunction()
    })
  )
})
