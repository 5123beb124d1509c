/**
 * Buffered byte streams (AnyIO's `anyio.streams.buffered`): a wrapper over any byte receive stream
 * (a socket, a process pipe, a memory object stream of `Uint8Array`) that adds
 * `receiveExactly(n)` and `receiveUntil(delimiter, maxBytes)`, for protocols framed by length or by
 * delimiter.
 *
 * - What a call receives beyond what it returns stays in the buffer for the next call; so does
 *   everything a call received before it failed (`IncompleteRead`, `DelimiterNotFound`) or was
 *   cancelled: no byte is lost.
 * - Results are views (`subarray`) of the chunks the wrapped stream gave, copied only when a result
 *   spans two chunks; `receiveUntil` scans each byte once, however many chunks a line takes.
 * - As in AnyIO, operations on buffered bytes complete without a checkpoint; they wait (and can be
 *   cancelled) only when the wrapped stream must be read.
 *
 * @since 0.4.0
 */
import { Effect, Exit, type Sink, Utils } from "effect"
import {
  BusyResourceError,
  ClosedResourceError,
  type ConnectionFailed,
  DelimiterNotFound,
  EndOfStream,
  IncompleteRead,
  InvalidArgumentError
} from "./Errors.ts"
import { ByteBuffer } from "./internal/byteBuffer.ts"
import { textOf } from "./internal/text.ts"
import {
  type AnyByteReceiveStream,
  type AnyByteStream,
  ByteReceiveStreamBase,
  type ByteStream,
  type ByteStreamConnectable,
  type ObjectStreamConnectable,
  type ReceiveError,
  sendSink
} from "./Streams.ts"
import type { TypedAttributeMap } from "./TypedAttribute.ts"

export { DelimiterNotFound, IncompleteRead } from "./Errors.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * What `receive` of a buffered stream can fail with, given the wrapped stream's errors `E`: those,
 * `ClosedResourceError` after `close()`, `BusyResourceError` while another task is receiving.
 * @category models
 */
export type BufferedReceiveError<E> = E | ClosedResourceError | BusyResourceError

/**
 * What `receiveExactly` can fail with: the wrapped stream's errors except `EndOfStream`, which
 * becomes `IncompleteRead`.
 * @category models
 */
export type ReceiveExactlyError<E> =
  | Exclude<E, EndOfStream>
  | IncompleteRead
  | ClosedResourceError
  | BusyResourceError

/** What `receiveUntil` can fail with: those of `receiveExactly` and `DelimiterNotFound`. @category models */
export type ReceiveUntilError<E> = ReceiveExactlyError<E> | DelimiterNotFound

/** The receive side every wrapped stream offers (a byte stream's `maxBytes` is ignored by object streams). */
interface Source<E> {
  receive(maxBytes?: number): Effect.Effect<Uint8Array, E>
}

const DEFAULT_MAX_BYTES = 65536

const invalid = (message: string): Effect.Effect<never> => Effect.die(new InvalidArgumentError({ message }))

const isEndOfStream = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "EndOfStream"

const closedError = new ClosedResourceError({})

/** The effect last built for a delimiter and a limit (a loop over lines asks for it again and again). */
interface Cached<A, E> {
  readonly delimiter: Uint8Array
  readonly maxBytes: number
  readonly effect: Effect.Effect<A, E>
}

/**
 * What `yield*` gets back from an operation that completed at once: the iterator and its result in
 * one object, one per stream, reused (`yield*` reads `value` before anything else can run).
 */
class DoneStep {
  readonly done = true
  value: unknown = undefined
  next(): this {
    return this
  }
}

/**
 * `Effect.suspend(body)`, except that `yield* effect` in `Effect.gen` first tries `now()` where the
 * generator reaches it: a value (bytes already buffered) is the result of the `yield*` right there,
 * without the generator yielding to the fiber at all; `undefined` goes on with `body()` as one step.
 *
 * Why: a `yield*` that hands its generator's driver an effect, even an `Exit`, costs a generator
 * suspension and resumption and two allocations, about as much as the whole scan of a 100-byte line.
 * It is not observable: the driver takes a yielded successful `Exit` without checking for
 * interruption either, and a buffered result involves no checkpoint, as in AnyIO. Everywhere else
 * (`flatMap`, `pipe`, `runPromise`) the effect is the plain `Effect.suspend(body)`.
 */
const inlineWhenReady = <A, E>(
  step: DoneStep,
  now: () => A | undefined,
  body: () => Effect.Effect<A, E>
): Effect.Effect<A, E> => {
  const effect = Effect.suspend(body)
  Object.defineProperty(effect, Symbol.iterator, {
    value: (): Iterator<Effect.Effect<A, E>, A> => {
      const a = now()
      if (a === undefined) return new Utils.SingleShotGen(body())
      step.value = a
      return step as unknown as Iterator<Effect.Effect<A, E>, A>
    }
  })
  return effect
}

// -----------------------------------------------------------------------------
// BufferedByteReceiveStream
// -----------------------------------------------------------------------------

/**
 * Wraps a byte receive stream with a buffer (AnyIO's `BufferedByteReceiveStream`), adding
 * `receiveExactly` and `receiveUntil`.
 *
 * **When to use**: to read a protocol framed by length (`receiveExactly(4)` for a header) or by a
 * delimiter (`receiveUntil("\r\n")` for a line) from any byte stream, or a memory object stream of
 * `Uint8Array`.
 *
 * **Details**
 * - `receive(maxBytes)` returns buffered bytes first (up to `maxBytes`), else what the wrapped
 *   stream gives; bytes beyond `maxBytes` from an object stream are kept for the next call.
 * - `receiveExactly(n)` fails with `IncompleteRead` if the stream ends first; `receiveUntil` with
 *   `IncompleteRead`, or `DelimiterNotFound` once `maxBytes` bytes are buffered without the
 *   delimiter. Either way (and when cancelled) the bytes read stay in the buffer.
 * - After the wrapped stream's `EndOfStream`, every later `receive` on an empty buffer fails with
 *   `EndOfStream`; after `close()` every operation fails with `ClosedResourceError`.
 * - One task at a time: an operation while another one waits for the wrapped stream fails with
 *   `BusyResourceError` (AnyIO's guard of the wrapped stream, kept here because the buffer is
 *   shared).
 * - Bad arguments (`maxBytes` not a positive integer, `n` not a non-negative integer, an empty
 *   delimiter) die with `InvalidArgumentError`, consuming nothing.
 * - Typed attributes are those of the wrapped stream.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BufferedByteReceiveStream, createMemoryObjectStream } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [send, receive] = createMemoryObjectStream<Uint8Array>(4)
 *   const buffered = new BufferedByteReceiveStream(receive)
 *   for (const part of ["hel", "lo, ", "wo", "rld!"]) yield* send.send(new TextEncoder().encode(part))
 *   const head = yield* buffered.receiveExactly(8) // "hello, w"
 *   const rest = yield* buffered.receiveUntil(new TextEncoder().encode("!"), 10) // "orld"
 *   return [head, rest]
 * })
 * ```
 * @see {@link BufferedByteStream}
 * @category constructors
 */
export class BufferedByteReceiveStream<E = ReceiveError> extends ByteReceiveStreamBase<
  BufferedReceiveError<E>
> {
  /** The wrapped stream. */
  readonly receiveStream: AnyByteReceiveStream<E>
  readonly #source: Source<E>
  readonly #buf = new ByteBuffer()
  #closed = false
  #eof = false
  #busy = false
  readonly #release = Effect.sync(() => {
    this.#busy = false
  })
  readonly #step = new DoneStep()
  readonly #receiveDefault: Effect.Effect<Uint8Array, BufferedReceiveError<E>>
  readonly #pullUntil: Effect.Effect<void, ReceiveExactlyError<E>>
  #until: Cached<Uint8Array, ReceiveUntilError<E>> | undefined = undefined
  #untilAll: Cached<ReadonlyArray<Uint8Array>, ReceiveUntilError<E>> | undefined = undefined

  /** Wraps `receiveStream`; closing this stream closes it. */
  constructor(receiveStream: AnyByteReceiveStream<E>) {
    super()
    this.receiveStream = receiveStream
    // A byte stream's receive takes a size; an object stream's ignores it: one call shape for both.
    this.#source = receiveStream as Source<E>
    this.#receiveDefault = this.#makeReceive(DEFAULT_MAX_BYTES)
    this.#pullUntil = this.#pull(DEFAULT_MAX_BYTES, true) as Effect.Effect<void, ReceiveExactlyError<E>>
  }

  /** A copy of the bytes currently in the buffer (AnyIO's `buffer`). */
  get buffer(): Uint8Array {
    return this.#buf.copy()
  }

  override get extraAttributes(): TypedAttributeMap {
    return this.receiveStream.extraAttributes
  }

  /**
   * Appends bytes to the buffer (AnyIO's `feed_data`): they are received before anything the
   * wrapped stream has not given yet. The bytes are copied. Values that are not bytes (integers
   * 0–255) die with `InvalidArgumentError`.
   */
  feedData(data: Uint8Array | Iterable<number>): Effect.Effect<void> {
    return Effect.sync(() => {
      let copy: Uint8Array
      if (data instanceof Uint8Array) {
        copy = data.slice()
      } else {
        if (data === null || typeof data !== "object" || !(Symbol.iterator in data)) {
          throw new InvalidArgumentError({
            message: `feedData() takes a Uint8Array or an iterable of bytes, got ${textOf(data)}`
          })
        }
        const values = Array.from(data)
        for (const v of values) {
          if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 255) {
            throw new InvalidArgumentError({ message: `byte must be in range(0, 256), got ${textOf(v)}` })
          }
        }
        copy = Uint8Array.from(values)
      }
      this.#buf.push(copy)
    })
  }

  /** Why no operation can start now, if one cannot. */
  #blocked(): Exit.Exit<never, ClosedResourceError | BusyResourceError> | undefined {
    if (this.#closed) return Exit.fail(closedError)
    if (this.#busy) return Exit.fail(new BusyResourceError({ action: "reading from" }))
    return undefined
  }

  /**
   * Receives one chunk from the wrapped stream into the buffer. The chunk is stored in the same
   * uninterruptible step that receives it, so a cancellation that arrives as the chunk does cannot
   * drop it; only the wait itself is interruptible (and the wrapped stream's receive is cancel-safe).
   */
  #pull(maxBytes: number, incomplete: boolean): Effect.Effect<void, E | IncompleteRead> {
    return Effect.uninterruptibleMask((restore) =>
      Effect.matchEffect(restore(this.#source.receive(maxBytes)), {
        onFailure: (e) => {
          if (!isEndOfStream(e)) return Exit.fail(e)
          this.#eof = true
          return Exit.fail(incomplete ? new IncompleteRead() : e)
        },
        onSuccess: (chunk) => {
          this.#buf.push(chunk)
          return Exit.void
        }
      })
    )
  }

  /**
   * Runs `loop` holding the busy flag, released however it ends. The flag is taken and the release
   * registered in one uninterruptible step: a cancellation landing in between would leave the stream
   * busy for good. Checked again there, as another task may have run since the caller's check.
   */
  #guarded<A, E2>(
    loop: Effect.Effect<A, E2>
  ): Effect.Effect<A, E2 | ClosedResourceError | BusyResourceError> {
    return Effect.uninterruptibleMask(
      (restore): Effect.Effect<A, E2 | ClosedResourceError | BusyResourceError> => {
        const b = this.#blocked()
        if (b !== undefined) return b
        this.#busy = true
        return Effect.ensuring(restore(loop), this.#release)
      }
    )
  }

  #makeReceive(maxBytes: number): Effect.Effect<Uint8Array, BufferedReceiveError<E>> {
    const buf = this.#buf
    const take = () => buf.take(Math.min(maxBytes, buf.size))
    const pull = this.#pull(maxBytes, false) as Effect.Effect<void, E>
    const loop: Effect.Effect<Uint8Array, E> = Effect.suspend(() =>
      buf.size > 0 ? Exit.succeed(take()) : Effect.andThen(pull, loop)
    )
    const slow = this.#guarded(loop)
    return inlineWhenReady(
      this.#step,
      () => (buf.size > 0 && !this.#closed && !this.#busy ? take() : undefined),
      (): Effect.Effect<Uint8Array, BufferedReceiveError<E>> => {
        const b = this.#blocked()
        if (b !== undefined) return b
        if (buf.size > 0) return Exit.succeed(take())
        if (this.#eof) return Exit.fail(new EndOfStream({}) as E)
        return slow
      }
    )
  }

  /**
   * Receives at most `maxBytes` bytes (default 65536), at least one: buffered bytes first, else one
   * receive of the wrapped stream.
   */
  receive(maxBytes: number = DEFAULT_MAX_BYTES): Effect.Effect<Uint8Array, BufferedReceiveError<E>> {
    if (maxBytes === DEFAULT_MAX_BYTES) return this.#receiveDefault
    if (typeof maxBytes !== "number" || !Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      return invalid(`maxBytes must be a positive integer, got ${textOf(maxBytes)}`)
    }
    return this.#makeReceive(maxBytes)
  }

  /**
   * Receives exactly `nbytes` bytes (AnyIO's `receive_exactly`), waiting for as many as needed.
   * Fails with `IncompleteRead` if the stream ends first; the bytes read stay in the buffer.
   */
  receiveExactly(nbytes: number): Effect.Effect<Uint8Array, ReceiveExactlyError<E>> {
    if (typeof nbytes !== "number" || !Number.isSafeInteger(nbytes) || nbytes < 0) {
      return invalid(`nbytes must be a non-negative integer, got ${textOf(nbytes)}`)
    }
    const buf = this.#buf
    const loop: Effect.Effect<Uint8Array, ReceiveExactlyError<E>> = Effect.suspend(() =>
      buf.size >= nbytes
        ? Exit.succeed(buf.take(nbytes))
        : Effect.andThen(
            this.#pull(nbytes - buf.size, true) as Effect.Effect<void, ReceiveExactlyError<E>>,
            loop
          )
    )
    return inlineWhenReady(
      this.#step,
      () => (buf.size >= nbytes && !this.#closed && !this.#busy ? buf.take(nbytes) : undefined),
      (): Effect.Effect<Uint8Array, ReceiveExactlyError<E>> => {
        const b = this.#blocked()
        if (b !== undefined) return b
        if (buf.size >= nbytes) return Exit.succeed(buf.take(nbytes))
        if (this.#eof) return Exit.fail(new IncompleteRead())
        return this.#guarded(loop)
      }
    )
  }

  /**
   * Receives until `delimiter` (AnyIO's `receive_until`): the bytes before it, the delimiter itself
   * dropped. Fails with `DelimiterNotFound` when `maxBytes` bytes are buffered and the delimiter is
   * not among them, `IncompleteRead` when the stream ends first; the bytes read stay in the buffer.
   * `maxBytes` is a non-negative integer or `Infinity`.
   */
  receiveUntil(delimiter: Uint8Array, maxBytes: number): Effect.Effect<Uint8Array, ReceiveUntilError<E>> {
    const cached = this.#until
    // The same delimiter and limit as last time (a loop over lines): the same effect.
    if (cached !== undefined && cached.delimiter === delimiter && cached.maxBytes === maxBytes) {
      return cached.effect
    }
    const effect = this.#makeUntil<Uint8Array>(delimiter, maxBytes, false)
    if (typeof effect === "function") return effect()
    this.#until = { delimiter, maxBytes, effect }
    return effect
  }

  /**
   * Every frame `receiveUntil(delimiter, maxBytes)` would return, one after the other, from the
   * bytes buffered now; at least one (waiting for it as `receiveUntil` does, failing as it does when
   * there is none).
   *
   * **When to use**: splitting a fast stream into many small frames: one Effect per received chunk
   * instead of one per frame (a 64 KiB chunk of 100-byte lines is 650 frames).
   */
  receiveUntilAll(
    delimiter: Uint8Array,
    maxBytes: number
  ): Effect.Effect<ReadonlyArray<Uint8Array>, ReceiveUntilError<E>> {
    const cached = this.#untilAll
    if (cached !== undefined && cached.delimiter === delimiter && cached.maxBytes === maxBytes) {
      return cached.effect
    }
    const effect = this.#makeUntil<ReadonlyArray<Uint8Array>>(delimiter, maxBytes, true)
    if (typeof effect === "function") return effect()
    this.#untilAll = { delimiter, maxBytes, effect }
    return effect
  }

  /** The effect of `receiveUntil` (`all`: of `receiveUntilAll`), or a thunk of the bad-input defect. */
  #makeUntil<A>(
    delimiter: Uint8Array,
    maxBytes: number,
    all: boolean
  ): Effect.Effect<A, ReceiveUntilError<E>> | (() => Effect.Effect<never>) {
    if (!(delimiter instanceof Uint8Array)) {
      return () => invalid(`delimiter must be a Uint8Array, got ${textOf(delimiter)}`)
    }
    if (delimiter.length === 0) return () => invalid("delimiter must not be empty")
    if (
      typeof maxBytes !== "number" ||
      !(Number.isSafeInteger(maxBytes) || maxBytes === Number.POSITIVE_INFINITY) ||
      maxBytes < 0
    ) {
      return () => invalid(`maxBytes must be a non-negative integer or Infinity, got ${textOf(maxBytes)}`)
    }
    const buf = this.#buf
    const failed = (): Exit.Exit<never, ReceiveUntilError<E>> | undefined => {
      if (buf.size >= maxBytes) return Exit.fail(new DelimiterNotFound({ maxBytes }))
      if (this.#eof) return Exit.fail(new IncompleteRead())
      return undefined
    }
    const frame = (): Uint8Array | undefined => buf.takeFrame(delimiter)
    const frames = (): ReadonlyArray<Uint8Array> | undefined => {
      const out: Array<Uint8Array> = []
      return buf.takeAll(delimiter, out) > 0 ? out : undefined
    }
    const take = (all ? frames : frame) as () => A | undefined
    const attempt = (): Exit.Exit<A, ReceiveUntilError<E>> | undefined => {
      const a = take()
      return a !== undefined ? Exit.succeed(a) : failed()
    }
    const pull = this.#pullUntil
    const loop: Effect.Effect<A, ReceiveUntilError<E>> = Effect.suspend(
      () => attempt() ?? Effect.andThen(pull, loop)
    )
    const slow = this.#guarded(loop)
    return inlineWhenReady(
      this.#step,
      () => (this.#closed || this.#busy ? undefined : take()),
      () => this.#blocked() ?? attempt() ?? slow
    )
  }

  /** Closes the wrapped stream; later operations fail with `ClosedResourceError`. Idempotent. */
  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.#closed = true
      return this.receiveStream.close()
    })
  }
}

// -----------------------------------------------------------------------------
// BufferedByteStream
// -----------------------------------------------------------------------------

/**
 * A bidirectional {@link BufferedByteReceiveStream} (AnyIO's `BufferedByteStream`): receiving is
 * buffered, `send` and `sendEof` go to the wrapped stream as they are.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { BufferedByteStream, createMemoryObjectStream, StapledObjectStream } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [send, receive] = createMemoryObjectStream<Uint8Array>(1)
 *   const stream = new BufferedByteStream(new StapledObjectStream(send, receive))
 *   yield* stream.send(new Uint8Array([1, 2, 3, 4]))
 *   return yield* stream.receiveExactly(2) // [1, 2]
 * })
 * ```
 * @see {@link BufferedByteReceiveStream}
 * @category constructors
 */
export class BufferedByteStream<E = ReceiveError>
  extends BufferedByteReceiveStream<E>
  implements ByteStream<BufferedReceiveError<E>>
{
  readonly #wrapped: AnyByteStream<E>

  /** Wraps `stream` (also `receiveStream`); closing this stream closes it. */
  constructor(stream: AnyByteStream<E>) {
    super(stream)
    this.#wrapped = stream
  }

  /** Sends the bytes on the wrapped stream. */
  send(data: Uint8Array): Effect.Effect<void, E> {
    return this.#wrapped.send(data)
  }

  /** Sends end of stream on the wrapped stream (half-close). */
  sendEof(): Effect.Effect<void, E> {
    return this.#wrapped.sendEof()
  }

  get sink(): Sink.Sink<void, Uint8Array, never, E> {
    return sendSink((data: Uint8Array) => this.send(data))
  }
}

// -----------------------------------------------------------------------------
// BufferedConnectable
// -----------------------------------------------------------------------------

/**
 * Wraps a connectable so that its connections are {@link BufferedByteStream}s (AnyIO's
 * `BufferedConnectable`).
 *
 * @example
 * ```ts
 * import { BufferedConnectable, type ByteStreamConnectable } from "effect-anyio"
 * declare const tcp: ByteStreamConnectable
 * const lines = new BufferedConnectable(tcp)
 * const connect = lines.connect() // Effect<BufferedByteStream, ConnectionFailed>
 * ```
 * @category constructors
 */
export class BufferedConnectable<E = ReceiveError> implements ByteStreamConnectable<BufferedReceiveError<E>> {
  /** The wrapped connectable. */
  readonly connectable: ByteStreamConnectable<E> | ObjectStreamConnectable<Uint8Array, E>

  constructor(connectable: ByteStreamConnectable<E> | ObjectStreamConnectable<Uint8Array, E>) {
    this.connectable = connectable
  }

  connect(): Effect.Effect<BufferedByteStream<E>, ConnectionFailed> {
    return Effect.map(
      (this.connectable as ByteStreamConnectable<E>).connect(),
      (stream) => new BufferedByteStream<E>(stream)
    )
  }
}
