/**
 * Text streams (AnyIO's `anyio.streams.text`): strings over byte streams. `TextReceiveStream`
 * decodes what a byte stream receives, `TextSendStream` encodes what it sends, `TextStream` does
 * both over one bidirectional byte stream.
 *
 * - Decoding is incremental (AnyIO: `codecs.IncrementalDecoder`): a character split across chunks
 *   comes out whole once its last byte arrives; `receive` returns the characters complete so far
 *   and never an empty string.
 * - Encodings have Python's names: utf-8 (default), utf-8-sig, utf-16, utf-16-le, utf-16-be,
 *   latin-1, ascii, cp1250–cp1258, iso8859-2…8/10/13/14/15, koi8-r, koi8-u, mac-roman. An
 *   encoding outside this list, or an `errors` mode other than "strict", "replace" and "ignore",
 *   throws `InvalidArgumentError` when the stream is made.
 * - `errors`: "strict" fails with `UnicodeError` (Python's message), "replace" puts U+FFFD (decoding)
 *   or "?" (encoding), "ignore" drops. Invalid UTF-8 is replaced per maximal subpart, as Python
 *   does.
 *
 * Differences from AnyIO, on purpose:
 * - At end of stream, bytes of an incomplete character are not dropped silently: "strict" fails
 *   with `UnicodeError`, "replace" returns U+FFFD, then `EndOfStream`.
 * - The utf-16 and utf-8-sig BOM is sent once, before the first string (AnyIO's stateless encoder
 *   sends one before every string); as Python's incremental decoder, utf-16 wants a BOM.
 * - Python's other codecs (CJK, utf-32, ...) and error handlers (`backslashreplace`, ...) are not
 *   offered: `TextDecoder` cannot encode, and the codecs above are checked byte for byte against
 *   CPython.
 *
 * @since 0.4.0
 */
import { Effect, Exit, type Sink } from "effect"
import { ClosedResourceError, type ConnectionFailed, InvalidArgumentError, UnicodeError } from "./Errors.ts"
import {
  type Codec,
  type ErrorMode,
  type IncrementalDecoder,
  type IncrementalEncoder,
  isErrorMode,
  lookupCodec
} from "./internal/codec.ts"
import { textOf } from "./internal/text.ts"
import {
  type AnyByteReceiveStream,
  type AnyByteSendStream,
  type AnyByteStream,
  type ByteStreamConnectable,
  ObjectReceiveStreamBase,
  ObjectSendStreamBase,
  type ObjectStream,
  type ObjectStreamConnectable,
  type ReceiveError,
  type SendError,
  sendSink
} from "./Streams.ts"
import type { TypedAttributeMap } from "./TypedAttribute.ts"

export { UnicodeError } from "./Errors.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/** How encoding and decoding errors are handled (Python's `errors=`). @category models */
export type TextErrors = "strict" | "replace" | "ignore"

/**
 * Options of the text streams: `encoding` (a Python codec name, default "utf-8") and `errors`
 * (default "strict").
 * @category models
 */
export interface TextStreamOptions {
  readonly encoding?: string | undefined
  readonly errors?: TextErrors | undefined
}

// -----------------------------------------------------------------------------
// Machinery shared by the three streams
// -----------------------------------------------------------------------------

const codecOf = (options: TextStreamOptions | undefined): { codec: Codec; errors: ErrorMode } => {
  const encoding = options?.encoding ?? "utf-8"
  const errors = options?.errors ?? "strict"
  if (typeof encoding !== "string") {
    throw new InvalidArgumentError({ message: `encoding must be a string, got ${textOf(encoding)}` })
  }
  const codec = lookupCodec(encoding)
  if (codec === undefined) throw new InvalidArgumentError({ message: `unknown encoding: ${encoding}` })
  if (!isErrorMode(errors)) {
    throw new InvalidArgumentError({
      message: `errors must be "strict", "replace" or "ignore", got ${textOf(errors)}`
    })
  }
  return { codec, errors }
}

const isEndOfStream = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "EndOfStream"

const closedError = new ClosedResourceError({})

/**
 * The receive loop: receives chunks until they decode to some text. The whole loop is
 * uninterruptible but the wait, so a chunk received is decoded and its text returned even when a
 * cancellation arrives with it (the decoder's state and the text must not part).
 */
const makeTextReceive = <E>(
  transport: AnyByteReceiveStream<E>,
  decoder: IncrementalDecoder,
  isClosed: () => boolean
): Effect.Effect<string, E | UnicodeError | ClosedResourceError> => {
  const source = transport as { receive(): Effect.Effect<Uint8Array, E> }
  return Effect.uninterruptibleMask((restore) => {
    const loop: Effect.Effect<string, E | UnicodeError | ClosedResourceError> = Effect.suspend(() =>
      isClosed()
        ? Exit.fail(closedError)
        : Effect.matchEffect(restore(source.receive()), {
            onFailure: (e): Effect.Effect<string, E | UnicodeError> => {
              if (!isEndOfStream(e)) return Exit.fail(e)
              const rest = decoder.flush()
              if (rest instanceof UnicodeError) return Exit.fail(rest)
              return rest.length > 0 ? Exit.succeed(rest) : Exit.fail(e)
            },
            onSuccess: (chunk) => {
              const text = decoder.decode(chunk)
              if (text instanceof UnicodeError) {
                decoder.reset()
                return Exit.fail(text)
              }
              return text.length > 0 ? Exit.succeed(text) : loop
            }
          })
    )
    return loop
  })
}

const makeTextSend = <E>(
  transport: AnyByteSendStream<E>,
  encoder: IncrementalEncoder,
  isClosed: () => boolean
) => {
  const send = transport.send.bind(transport) as (data: Uint8Array) => Effect.Effect<void, E>
  return (item: string): Effect.Effect<void, E | UnicodeError | ClosedResourceError> =>
    Effect.suspend((): Effect.Effect<void, E | UnicodeError | ClosedResourceError> => {
      if (typeof item !== "string") {
        return Effect.die(new InvalidArgumentError({ message: `send() takes a string, got ${textOf(item)}` }))
      }
      if (isClosed()) return Exit.fail(closedError)
      const bytes = encoder.encode(item)
      return bytes instanceof UnicodeError ? Exit.fail(bytes) : send(bytes)
    })
}

// -----------------------------------------------------------------------------
// TextReceiveStream
// -----------------------------------------------------------------------------

/** Whether a receive stream was closed: `TextStream`'s send side reads its base's `#closed` here. */
let isClosed: <E>(stream: TextReceiveStream<E>) => boolean

/**
 * Decodes a byte receive stream into strings (AnyIO's `TextReceiveStream`).
 *
 * **When to use**: to read text (a process's output, a text protocol) from a byte stream or a
 * memory object stream of `Uint8Array`.
 *
 * **Details**
 * - `receive()` returns the characters decoded so far (never ""), waiting for more bytes when a
 *   chunk held only part of a character. Fails with `UnicodeError` on undecodable bytes with
 *   `errors: "strict"`, `EndOfStream` at the end (after the rest of the input, see the module notes).
 * - A cancelled `receive` loses nothing: a chunk received is decoded and returned.
 * - `close()` closes the byte stream; then `receive` fails with `ClosedResourceError`.
 * - Typed attributes are those of the byte stream.
 * - An unknown encoding or errors mode throws `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMemoryObjectStream, TextReceiveStream } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [send, receive] = createMemoryObjectStream<Uint8Array>(2)
 *   const text = new TextReceiveStream(receive)
 *   yield* send.send(new Uint8Array([0xc3, 0xa5, 0xc3])) // "å" and half of "ä"
 *   const first = yield* text.receive() // "å"
 *   yield* send.send(new Uint8Array([0xa4]))
 *   return first + (yield* text.receive()) // "åä"
 * })
 * ```
 * @see {@link TextSendStream}
 * @see {@link TextStream}
 * @category constructors
 */
export class TextReceiveStream<E = ReceiveError> extends ObjectReceiveStreamBase<
  string,
  E | UnicodeError | ClosedResourceError
> {
  /** The byte stream decoded. */
  readonly transportStream: AnyByteReceiveStream<E>
  /** Python's name of the encoding (`codecs.lookup(encoding).name`). */
  readonly encoding: string
  readonly errors: TextErrors
  readonly #decoder: IncrementalDecoder
  /** Set by `close()`; `TextStream`'s send side checks it too (through `isClosed`). */
  #closed = false
  readonly #receiveEffect: Effect.Effect<string, E | UnicodeError | ClosedResourceError>

  static {
    isClosed = (stream) => stream.#closed
  }

  constructor(transportStream: AnyByteReceiveStream<E>, options?: TextStreamOptions) {
    super()
    const { codec, errors } = codecOf(options)
    this.transportStream = transportStream
    this.encoding = codec.name
    this.errors = errors
    this.#decoder = codec.decoder(errors)
    this.#receiveEffect = makeTextReceive(transportStream, this.#decoder, () => this.#closed)
  }

  receive(): Effect.Effect<string, E | UnicodeError | ClosedResourceError> {
    return this.#receiveEffect
  }

  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.#closed = true
      this.#decoder.reset()
      return this.transportStream.close()
    })
  }

  override get extraAttributes(): TypedAttributeMap {
    return this.transportStream.extraAttributes
  }
}

// -----------------------------------------------------------------------------
// TextSendStream
// -----------------------------------------------------------------------------

/**
 * Encodes strings onto a byte send stream (AnyIO's `TextSendStream`).
 *
 * **Details**
 * - `send(text)` encodes and sends; with `errors: "strict"` a character the encoding lacks fails
 *   with `UnicodeError` and nothing is sent. A value that is not a string dies with
 *   `InvalidArgumentError`.
 * - `close()` closes the byte stream; then `send` fails with `ClosedResourceError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMemoryObjectStream, TextSendStream } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
 *   yield* new TextSendStream(send).send("åäö")
 *   return yield* receive.receive() // [0xc3, 0xa5, 0xc3, 0xa4, 0xc3, 0xb6]
 * })
 * ```
 * @see {@link TextReceiveStream}
 * @category constructors
 */
export class TextSendStream<E = SendError> extends ObjectSendStreamBase<
  string,
  E | UnicodeError | ClosedResourceError
> {
  /** The byte stream written to. */
  readonly transportStream: AnyByteSendStream<E>
  /** Python's name of the encoding. */
  readonly encoding: string
  readonly errors: TextErrors
  #closed = false
  readonly #sendFn: (item: string) => Effect.Effect<void, E | UnicodeError | ClosedResourceError>

  constructor(transportStream: AnyByteSendStream<E>, options?: TextStreamOptions) {
    super()
    const { codec, errors } = codecOf(options)
    this.transportStream = transportStream
    this.encoding = codec.name
    this.errors = errors
    this.#sendFn = makeTextSend(transportStream, codec.encoder(errors), () => this.#closed)
  }

  send(item: string): Effect.Effect<void, E | UnicodeError | ClosedResourceError> {
    return this.#sendFn(item)
  }

  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.#closed = true
      return this.transportStream.close()
    })
  }

  override get extraAttributes(): TypedAttributeMap {
    return this.transportStream.extraAttributes
  }
}

// -----------------------------------------------------------------------------
// TextStream
// -----------------------------------------------------------------------------

/**
 * A bidirectional text stream over a byte stream (AnyIO's `TextStream`): decodes on receive,
 * encodes on send, one encoding and errors mode for both.
 *
 * **Details**: as {@link TextReceiveStream} and {@link TextSendStream}; `sendEof()` sends end of
 * stream on the byte stream; `close()` closes it. Typed attributes are the byte stream's.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMemoryObjectStream, StapledObjectStream, TextStream } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
 *   const text = new TextStream(new StapledObjectStream(send, receive))
 *   yield* text.send("hello")
 *   return yield* text.receive() // "hello"
 * })
 * ```
 * @see {@link TextReceiveStream}
 * @see {@link TextSendStream}
 * @category constructors
 */
export class TextStream<E = ReceiveError>
  extends TextReceiveStream<E>
  implements ObjectStream<string, E | UnicodeError | ClosedResourceError>
{
  /** The byte stream. */
  declare readonly transportStream: AnyByteStream<E>
  readonly #sendFn: (item: string) => Effect.Effect<void, E | UnicodeError | ClosedResourceError>

  constructor(transportStream: AnyByteStream<E>, options?: TextStreamOptions) {
    super(transportStream, options)
    // Checked (and looked up) by the receive side already: one encoding and errors mode for both.
    const { codec, errors } = codecOf(options)
    this.#sendFn = makeTextSend(transportStream, codec.encoder(errors), () => isClosed(this))
  }

  send(item: string): Effect.Effect<void, E | UnicodeError | ClosedResourceError> {
    return this.#sendFn(item)
  }

  /** Sends end of stream on the byte stream (half-close); receiving still works. */
  sendEof(): Effect.Effect<void, E | ClosedResourceError> {
    return Effect.suspend(
      (): Effect.Effect<void, E | ClosedResourceError> =>
        isClosed(this) ? Exit.fail(closedError) : this.transportStream.sendEof()
    )
  }

  get sink(): Sink.Sink<void, string, never, E | UnicodeError | ClosedResourceError> {
    return sendSink((item: string) => this.send(item))
  }
}

// -----------------------------------------------------------------------------
// TextConnectable
// -----------------------------------------------------------------------------

/**
 * Wraps a byte stream connectable so that its connections are {@link TextStream}s (AnyIO's
 * `TextConnectable`).
 *
 * @example
 * ```ts
 * import { type ByteStreamConnectable, TextConnectable } from "effect-anyio"
 * declare const tcp: ByteStreamConnectable
 * const connect = new TextConnectable(tcp).connect() // Effect<TextStream, ConnectionFailed>
 * ```
 * @category constructors
 */
export class TextConnectable<E = ReceiveError>
  implements ObjectStreamConnectable<string, E | UnicodeError | ClosedResourceError>
{
  /** The wrapped connectable. */
  readonly connectable: ByteStreamConnectable<E> | ObjectStreamConnectable<Uint8Array, E>
  readonly #options: TextStreamOptions | undefined

  /** `options` (encoding, errors) apply to every connection; they are checked here. */
  constructor(
    connectable: ByteStreamConnectable<E> | ObjectStreamConnectable<Uint8Array, E>,
    options?: TextStreamOptions
  ) {
    codecOf(options)
    this.connectable = connectable
    this.#options = options
  }

  connect(): Effect.Effect<TextStream<E>, ConnectionFailed> {
    return Effect.map(
      (this.connectable as ByteStreamConnectable<E>).connect(),
      (stream) => new TextStream<E>(stream, this.#options)
    )
  }
}
