/**
 * Stapled streams (AnyIO's `anyio.streams.stapled`): a send stream and a receive stream joined into
 * one bidirectional stream, e.g. the two ends of two memory object streams as a loopback
 * connection, or a process's stdin and stdout as one byte stream.
 *
 * - `send` goes to the send stream, `receive` comes from the receive stream.
 * - `sendEof()` closes the send stream (the peer sees end of stream); receiving still works.
 * - `close()` closes the send stream, then the receive stream.
 * - Typed attributes come from both streams; the receive stream's win where both offer one.
 *
 * (AnyIO's `MultiListener`, also in `anyio.streams.stapled`, lives with the listeners.)
 *
 * @since 0.4.0
 */
import { Effect } from "effect"
import { InvalidArgumentError, RuntimeError } from "./Errors.ts"
import { textOf } from "./internal/text.ts"
import {
  type ByteReceiveStream,
  type ByteSendStream,
  ByteStreamBase,
  type ObjectReceiveStream,
  type ObjectSendStream,
  ObjectStreamBase,
  type ReceiveError,
  type SendError
} from "./Streams.ts"
import { attributeMap, type TypedAttributeMap } from "./TypedAttribute.ts"

/**
 * A send stream with a `sendNowait` (memory object streams have one), for
 * {@link StapledObjectStream.sendNowait}.
 * @category models
 */
export interface SendNowaitCapable<T, E> {
  sendNowait(item: T): Effect.Effect<void, E>
}

/**
 * One bidirectional object stream made of a send stream and a receive stream (AnyIO's
 * `StapledObjectStream`).
 *
 * **When to use**: to hand code that expects an `ObjectStream` two one-way streams, e.g. a
 * loopback pair made of two memory object streams.
 *
 * **Details**
 * - `sendEof()` closes `sendStream`, so the peer receives `EndOfStream`; idempotent.
 * - `close()` closes `sendStream`, then `receiveStream`.
 * - `sendNowait` exists when `sendStream` has one (a type error otherwise; at run time a send stream
 *   without it dies with `RuntimeError`, AnyIO's `NotImplementedError`).
 * - Typed attributes come from both streams, the receive stream's winning.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMemoryObjectStream, StapledObjectStream } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [send, receive] = createMemoryObjectStream<string>(1)
 *   const loopback = new StapledObjectStream(send, receive)
 *   yield* loopback.send("ping")
 *   return yield* loopback.receive() // "ping"
 * })
 * ```
 * @see {@link StapledByteStream}
 * @category constructors
 */
export class StapledObjectStream<
  T,
  ES = SendError,
  ER = ReceiveError,
  S extends ObjectSendStream<T, ES> = ObjectSendStream<T, ES>
> extends ObjectStreamBase<T, ES | ER> {
  /** The stream items are sent on. */
  readonly sendStream: S
  /** The stream items are received from. */
  readonly receiveStream: ObjectReceiveStream<T, ER>

  constructor(sendStream: S & ObjectSendStream<T, ES>, receiveStream: ObjectReceiveStream<T, ER>) {
    super()
    this.sendStream = sendStream
    this.receiveStream = receiveStream
  }

  receive(): Effect.Effect<T, ER> {
    return this.receiveStream.receive()
  }

  send(item: T): Effect.Effect<void, ES> {
    return this.sendStream.send(item)
  }

  /**
   * The send stream's `sendNowait` (AnyIO's `send_nowait`): sends without waiting or fails as that
   * stream does (`WouldBlock`, ...).
   */
  sendNowait<EN>(
    this: StapledObjectStream<T, ES, ER, S & SendNowaitCapable<T, EN>>,
    item: T
  ): Effect.Effect<void, EN> {
    return Effect.suspend(() => {
      const send = this.sendStream as Partial<SendNowaitCapable<T, EN>>
      if (typeof send.sendNowait !== "function") {
        return Effect.die(
          new RuntimeError({
            message: `'sendNowait' method not implemented in ${textOf(send.constructor?.name ?? send)}`
          })
        )
      }
      return send.sendNowait(item)
    })
  }

  /** Closes the send stream (the peer sees end of stream); idempotent. */
  sendEof(): Effect.Effect<void> {
    return this.sendStream.close()
  }

  /** Closes the send stream, then the receive stream. */
  close(): Effect.Effect<void> {
    return Effect.andThen(this.sendStream.close(), this.receiveStream.close())
  }

  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([], this.sendStream.extraAttributes, this.receiveStream.extraAttributes)
  }
}

/**
 * One bidirectional byte stream made of a byte send stream and a byte receive stream (AnyIO's
 * `StapledByteStream`), e.g. a process's stdin and stdout.
 *
 * **Details**: as {@link StapledObjectStream}; `receive(maxBytes)` dies with
 * `InvalidArgumentError` unless `maxBytes` is a positive integer, receiving nothing.
 *
 * @example
 * ```ts
 * import { type ByteReceiveStream, type ByteSendStream, StapledByteStream } from "effect-anyio"
 * declare const stdin: ByteSendStream
 * declare const stdout: ByteReceiveStream
 * const io = new StapledByteStream(stdin, stdout)
 * ```
 * @see {@link StapledObjectStream}
 * @category constructors
 */
export class StapledByteStream<ES = SendError, ER = ReceiveError> extends ByteStreamBase<ES | ER> {
  /** The stream bytes are sent on. */
  readonly sendStream: ByteSendStream<ES>
  /** The stream bytes are received from. */
  readonly receiveStream: ByteReceiveStream<ER>

  constructor(sendStream: ByteSendStream<ES>, receiveStream: ByteReceiveStream<ER>) {
    super()
    this.sendStream = sendStream
    this.receiveStream = receiveStream
  }

  receive(maxBytes = 65536): Effect.Effect<Uint8Array, ER> {
    if (typeof maxBytes !== "number" || !Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      return Effect.die(
        new InvalidArgumentError({ message: `maxBytes must be a positive integer, got ${textOf(maxBytes)}` })
      )
    }
    return this.receiveStream.receive(maxBytes)
  }

  send(data: Uint8Array): Effect.Effect<void, ES> {
    return this.sendStream.send(data)
  }

  /** Closes the send stream (the peer sees end of stream); idempotent. */
  sendEof(): Effect.Effect<void> {
    return this.sendStream.close()
  }

  /** Closes the send stream, then the receive stream. */
  close(): Effect.Effect<void> {
    return Effect.andThen(this.sendStream.close(), this.receiveStream.close())
  }

  override get extraAttributes(): TypedAttributeMap {
    return attributeMap([], this.sendStream.extraAttributes, this.receiveStream.extraAttributes)
  }
}
