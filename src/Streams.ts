/**
 * AnyIO's stream interfaces (`anyio.abc.ObjectReceiveStream`, `ByteStream`, ...): the contracts
 * that memory object streams, sockets, TLS, process pipes, files and the stream wrappers
 * (buffered, text, stapled) implement, so that code written against a `ByteStream` runs on any of
 * them.
 *
 * - Operations are Effects. `receive` fails with `EndOfStream` once the peer has closed its side
 *   (and on every later call), `ClosedResourceError` after this side was closed,
 *   `BrokenResourceError` when the stream broke (peer reset, broken pipe), `BusyResourceError`
 *   when another task is already receiving (or sending) on it.
 * - `close()` is idempotent (AnyIO's `aclose()`); `use(f)` runs `f` and closes the stream however
 *   `f` ends (AnyIO's `async with stream:`); `scoped()` closes it with the current `Scope`.
 * - Receive streams are iterated with `runForEach` (AnyIO's `async for`) or as an Effect `Stream`
 *   (`.stream`); both end at `EndOfStream`. Send streams offer an Effect `Sink` (`.sink`).
 * - Every stream is a {@link TypedAttributeProvider}: `stream.extra(attr, default?)`.
 *
 * The abstract `*Base` classes implement everything but the transport (`receive`, `send`,
 * `sendEof`, `close`), for writing your own streams.
 *
 * @since 0.2.0
 */
import { Cause, Effect, type Scope, Sink, Stream } from "effect"
import type {
  BrokenResourceError,
  BusyResourceError,
  ClosedResourceError,
  ConnectionFailed,
  EndOfStream,
  TypedAttributeLookupError
} from "./Errors.ts"
import type { GroupOfLeaves } from "./ExceptionGroup.ts"
import type { Spawned, TaskGroup } from "./TaskGroup.ts"
import {
  emptyAttributes,
  lookupAttribute,
  type TypedAttribute,
  type TypedAttributeMap,
  type TypedAttributeProvider
} from "./TypedAttribute.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * What a receive operation can fail with, unless a stream says less.
 * @category models
 */
export type ReceiveError = EndOfStream | ClosedResourceError | BrokenResourceError | BusyResourceError

/**
 * What a send operation can fail with, unless a stream says less.
 * @category models
 */
export type SendError = ClosedResourceError | BrokenResourceError | BusyResourceError

/**
 * A resource that must be closed (AnyIO's `AsyncResource`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { AsyncResource } from "effect-anyio"
 * const closeAll = (resources: ReadonlyArray<AsyncResource>) => Effect.forEach(resources, (r) => r.close())
 * ```
 * @category models
 */
export interface AsyncResource {
  /** Closes the resource; idempotent (AnyIO's `aclose()`). */
  close(): Effect.Effect<void>
  /** Runs `f` with the resource and closes it when `f` ends, however it ends (`async with r:`). */
  use<A, E, R>(f: (self: this) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R>
  /** Returns the resource and closes it when the current `Scope` closes. */
  scoped(): Effect.Effect<this, never, Scope.Scope>
}

/**
 * Receives objects, with no guarantee of order or completeness (AnyIO's
 * `UnreliableObjectReceiveStream`, e.g. UDP).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { UnreliableObjectReceiveStream } from "effect-anyio"
 * const logAll = <T>(s: UnreliableObjectReceiveStream<T>) => s.runForEach((item) => Effect.log(item))
 * ```
 * @category models
 */
export interface UnreliableObjectReceiveStream<T, E = ReceiveError>
  extends AsyncResource,
    TypedAttributeProvider {
  /** Receives the next item, waiting for one. */
  receive(): Effect.Effect<T, E>
  /** Runs `f` on every item in order until end of stream (AnyIO's `async for item in stream`). */
  runForEach<E2, R>(
    f: (item: T) => Effect.Effect<unknown, E2, R>
  ): Effect.Effect<void, Exclude<E, EndOfStream> | E2, R>
  /** The items as an Effect `Stream`, ending at end of stream; running it does not close this stream. */
  readonly stream: Stream.Stream<T, Exclude<E, EndOfStream>>
}

/**
 * Sends objects, with no guarantee of order or delivery (AnyIO's `UnreliableObjectSendStream`).
 *
 * @example
 * ```ts
 * import type { UnreliableObjectSendStream } from "effect-anyio"
 * const ping = (s: UnreliableObjectSendStream<string>) => s.send("ping")
 * ```
 * @category models
 */
export interface UnreliableObjectSendStream<T, E = SendError> extends AsyncResource, TypedAttributeProvider {
  /** Sends an item. */
  send(item: T): Effect.Effect<void, E>
  /** An Effect `Sink` that sends every element it is given; it does not close this stream. */
  readonly sink: Sink.Sink<void, T, never, E>
}

/**
 * A bidirectional unreliable object stream (AnyIO's `UnreliableObjectStream`).
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { UnreliableObjectStream } from "effect-anyio"
 * const echoOnce = (s: UnreliableObjectStream<string>) => Effect.flatMap(s.receive(), (m) => s.send(m))
 * ```
 * @category models
 */
export interface UnreliableObjectStream<T, E = ReceiveError>
  extends UnreliableObjectReceiveStream<T, E>,
    UnreliableObjectSendStream<T, E> {}

/**
 * Receives objects in the order they were sent, none missing (AnyIO's `ObjectReceiveStream`).
 * Memory object streams' receive ends are ones.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { ObjectReceiveStream } from "effect-anyio"
 * const sum = (s: ObjectReceiveStream<number>) =>
 *   Effect.gen(function* () {
 *     let total = 0
 *     yield* s.runForEach((n) => Effect.sync(() => (total += n)))
 *     return total
 *   })
 * ```
 * @category models
 */
export interface ObjectReceiveStream<T, E = ReceiveError> extends UnreliableObjectReceiveStream<T, E> {}

/**
 * Sends objects, delivered in order, none missing (AnyIO's `ObjectSendStream`).
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { ObjectSendStream } from "effect-anyio"
 * const sendAll = (s: ObjectSendStream<number>) => Effect.forEach([1, 2, 3], (n) => s.send(n))
 * ```
 * @category models
 */
export interface ObjectSendStream<T, E = SendError> extends UnreliableObjectSendStream<T, E> {}

/**
 * A bidirectional reliable object stream (AnyIO's `ObjectStream`), with `sendEof`.
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { ObjectStream } from "effect-anyio"
 * const request = (s: ObjectStream<string>) => Effect.andThen(s.send("GET"), s.sendEof()).pipe(Effect.andThen(s.receive()))
 * ```
 * @category models
 */
export interface ObjectStream<T, E = ReceiveError> extends ObjectReceiveStream<T, E>, ObjectSendStream<T, E> {
  /** Tells the peer that nothing more will be sent; idempotent. Receiving still works. */
  sendEof(): Effect.Effect<void, E>
}

/**
 * Receives bytes from one peer (AnyIO's `ByteReceiveStream`). Chunks are never empty.
 *
 * @example
 * ```ts
 * import type { ByteReceiveStream } from "effect-anyio"
 * const firstChunk = (s: ByteReceiveStream) => s.receive(1024) // Effect<Uint8Array, ...>
 * ```
 * @category models
 */
export interface ByteReceiveStream<E = ReceiveError> extends AsyncResource, TypedAttributeProvider {
  /**
   * Receives at most `maxBytes` bytes (default 65536), waiting for at least one. `maxBytes` must be a
   * positive integer (else an `InvalidArgumentError` defect, nothing consumed).
   */
  receive(maxBytes?: number): Effect.Effect<Uint8Array, E>
  /** Runs `f` on every chunk in order until end of stream. */
  runForEach<E2, R>(
    f: (chunk: Uint8Array) => Effect.Effect<unknown, E2, R>
  ): Effect.Effect<void, Exclude<E, EndOfStream> | E2, R>
  /** The chunks as an Effect `Stream`, ending at end of stream; running it does not close this stream. */
  readonly stream: Stream.Stream<Uint8Array, Exclude<E, EndOfStream>>
}

/**
 * Sends bytes to one peer (AnyIO's `ByteSendStream`).
 * @example
 * ```ts
 * import type { ByteSendStream } from "effect-anyio"
 * const hello = (s: ByteSendStream) => s.send(new TextEncoder().encode("hello\n"))
 * ```
 * @category models
 */
export interface ByteSendStream<E = SendError> extends AsyncResource, TypedAttributeProvider {
  /** Sends the bytes (all of them, waiting while the transport applies backpressure). */
  send(data: Uint8Array): Effect.Effect<void, E>
  /** An Effect `Sink` that sends every chunk it is given; it does not close this stream. */
  readonly sink: Sink.Sink<void, Uint8Array, never, E>
}

/**
 * A bidirectional byte stream (AnyIO's `ByteStream`), with `sendEof` (half-close).
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { ByteStream } from "effect-anyio"
 * const ask = (s: ByteStream, q: Uint8Array) => Effect.andThen(s.send(q), s.sendEof()).pipe(Effect.andThen(s.receive()))
 * ```
 * @category models
 */
export interface ByteStream<E = ReceiveError> extends ByteReceiveStream<E>, ByteSendStream<E> {
  /** Tells the peer that nothing more will be sent (TCP half-close); idempotent. Receiving still works. */
  sendEof(): Effect.Effect<void, E>
}

/** Any stream of bytes for receiving (AnyIO's `AnyByteReceiveStream`). @category models */
export type AnyByteReceiveStream<E = ReceiveError> = ObjectReceiveStream<Uint8Array, E> | ByteReceiveStream<E>
/** Any stream of bytes for sending (AnyIO's `AnyByteSendStream`). @category models */
export type AnyByteSendStream<E = SendError> = ObjectSendStream<Uint8Array, E> | ByteSendStream<E>
/** Any bidirectional stream of bytes (AnyIO's `AnyByteStream`). @category models */
export type AnyByteStream<E = ReceiveError> = ObjectStream<Uint8Array, E> | ByteStream<E>
/** Any unreliable stream of bytes for receiving (AnyIO's `AnyUnreliableByteReceiveStream`). @category models */
export type AnyUnreliableByteReceiveStream<E = ReceiveError> =
  | UnreliableObjectReceiveStream<Uint8Array, E>
  | ByteReceiveStream<E>
/** Any unreliable stream of bytes for sending (AnyIO's `AnyUnreliableByteSendStream`). @category models */
export type AnyUnreliableByteSendStream<E = SendError> =
  | UnreliableObjectSendStream<Uint8Array, E>
  | ByteSendStream<E>
/** Any unreliable bidirectional stream of bytes (AnyIO's `AnyUnreliableByteStream`). @category models */
export type AnyUnreliableByteStream<E = ReceiveError> = UnreliableObjectStream<Uint8Array, E> | ByteStream<E>

/**
 * Something that opens an object stream on demand (AnyIO's `ObjectStreamConnectable`).
 * @example
 * ```ts
 * import type { ObjectStreamConnectable } from "effect-anyio"
 * const open = (c: ObjectStreamConnectable<string>) => c.connect()
 * ```
 * @category models
 */
export interface ObjectStreamConnectable<T, E = ReceiveError> {
  connect(): Effect.Effect<ObjectStream<T, E>, ConnectionFailed>
}

/**
 * Something that opens a byte stream on demand (AnyIO's `ByteStreamConnectable`): a TCP or Unix
 * address, a TLS endpoint.
 * @example
 * ```ts
 * import type { ByteStreamConnectable } from "effect-anyio"
 * const open = (c: ByteStreamConnectable) => c.connect()
 * ```
 * @category models
 */
export interface ByteStreamConnectable<E = ReceiveError> {
  connect(): Effect.Effect<ByteStream<E>, ConnectionFailed>
}

// --- net: listeners (AnyIO's `abc.Listener`) ----------------------------------------------

/**
 * What accepting a connection can fail with: the listener was closed (`ClosedResourceError`),
 * broke (`BrokenResourceError`), or another task is already accepting (`BusyResourceError`).
 * @category models
 */
export type AcceptError = ClosedResourceError | BrokenResourceError | BusyResourceError

/**
 * Something that accepts incoming connections and hands each one to a handler (AnyIO's
 * `Listener`): TCP and Unix socket listeners, `MultiListener`, `TLSListener`.
 *
 * **Details**
 * - `serve(handler)` runs forever: it accepts connections and starts `handler(stream)` for each as a
 *   task of a task group of its own, so a handler's failure cancels the serving and comes out as an
 *   `ExceptionGroup`, with the accept loop's own failure (`EA`) if there is one.
 * - `serve(handler, taskGroup)` starts the handlers in `taskGroup` instead: their failures go to
 *   that group (visible in its type through `Spawned<E>`), and `serve` fails only with `EA`.
 * - The stream is closed when its handler ends; when `serve` ends (cancelled or failed) the
 *   listener is closed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { ByteStream, Listener } from "effect-anyio"
 * const echo = (listener: Listener<ByteStream>) =>
 *   listener.serve((stream) => stream.runForEach((chunk) => stream.send(chunk)))
 * ```
 * @category models
 */
export interface Listener<T, EA = AcceptError> extends AsyncResource, TypedAttributeProvider {
  serve<E = never, R = never>(
    handler: (stream: T) => Effect.Effect<unknown, E, R>
  ): Effect.Effect<never, GroupOfLeaves<E | EA>, R>
  serve<E = never, R = never>(
    handler: (stream: T) => Effect.Effect<unknown, E, R>,
    taskGroup: TaskGroup
  ): Effect.Effect<never, EA | GroupOfLeaves<EA>, R | Spawned<E>>
}

// -----------------------------------------------------------------------------
// Combinators shared by every stream
// -----------------------------------------------------------------------------

const isEndOfStream = (e: unknown): e is EndOfStream =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "EndOfStream"

/**
 * Runs `f` on every value `receive` gives until it fails with `EndOfStream` (which ends the loop
 * successfully): the `runForEach` of every receive stream.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMemoryObjectStream, receiveForEach } from "effect-anyio"
 * const [, receive] = createMemoryObjectStream<number>(1)
 * const loop = receiveForEach(receive.receive(), (n) => Effect.log(n))
 * ```
 * @category combinators
 */
export const receiveForEach = <T, E, E2, R>(
  receive: Effect.Effect<T, E>,
  f: (item: T) => Effect.Effect<unknown, E2, R>
): Effect.Effect<void, Exclude<E, EndOfStream> | E2, R> => {
  const loop: Effect.Effect<void, Exclude<E, EndOfStream> | E2, R> = Effect.matchEffect(receive, {
    onFailure: (e) => (isEndOfStream(e) ? Effect.void : Effect.fail(e as Exclude<E, EndOfStream>)),
    onSuccess: (item) => Effect.andThen(f(item), loop)
  })
  return loop
}

/**
 * An Effect `Stream` of the values `receive` gives, ending at `EndOfStream`: the `.stream` of
 * every receive stream. One pull is one `receive`, so an interrupted stream leaves the values it
 * did not pull in the underlying stream.
 *
 * @example
 * ```ts
 * import { Stream } from "effect"
 * import { createMemoryObjectStream, receiveStream } from "effect-anyio"
 * const [, receive] = createMemoryObjectStream<number>(1)
 * const firstThree = receiveStream(receive.receive()).pipe(Stream.take(3), Stream.runCollect)
 * ```
 * @category combinators
 */
export const receiveStream = <T, E>(
  receive: Effect.Effect<T, E>
): Stream.Stream<T, Exclude<E, EndOfStream>> => {
  const pull: Effect.Effect<readonly [T], Exclude<E, EndOfStream> | Cause.Done> = Effect.matchEffect(
    receive,
    {
      onFailure: (e): Effect.Effect<never, Exclude<E, EndOfStream> | Cause.Done> =>
        isEndOfStream(e) ? Cause.done() : Effect.fail(e as Exclude<E, EndOfStream>),
      onSuccess: (item) => Effect.succeed([item] as const)
    }
  )
  return Stream.fromPull(Effect.succeed(pull)) as Stream.Stream<T, Exclude<E, EndOfStream>>
}

/**
 * An Effect `Sink` that sends every element with `send`: the `.sink` of every send stream.
 *
 * @example
 * ```ts
 * import { Stream } from "effect"
 * import { createMemoryObjectStream, sendSink } from "effect-anyio"
 * const [send] = createMemoryObjectStream<number>(10)
 * const program = Stream.run(Stream.make(1, 2, 3), sendSink((n: number) => send.send(n)))
 * ```
 * @category combinators
 */
export const sendSink = <T, E>(send: (item: T) => Effect.Effect<void, E>): Sink.Sink<void, T, never, E> =>
  Sink.forEach(send)

// -----------------------------------------------------------------------------
// Base classes for implementations
// -----------------------------------------------------------------------------

/**
 * The common part of every stream: `use`, `scoped` and typed attributes, given `close` (and,
 * optionally, `extraAttributes`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResourceBase } from "effect-anyio"
 * class Thing extends ResourceBase {
 *   close() { return Effect.void }
 * }
 * ```
 * @category constructors
 */
export abstract class ResourceBase implements AsyncResource, TypedAttributeProvider {
  abstract close(): Effect.Effect<void>

  /** This stream's attributes; wrappers merge in those of what they wrap (`attributeMap`). */
  get extraAttributes(): TypedAttributeMap {
    return emptyAttributes
  }

  extra<T>(attribute: TypedAttribute<T>): Effect.Effect<T, TypedAttributeLookupError>
  extra<T, D>(attribute: TypedAttribute<T>, defaultValue: D): Effect.Effect<T | D>
  extra(
    attribute: TypedAttribute<unknown>,
    ...rest: [] | [unknown]
  ): Effect.Effect<unknown, TypedAttributeLookupError> {
    return (
      lookupAttribute as (...args: Array<unknown>) => Effect.Effect<unknown, TypedAttributeLookupError>
    )(this.extraAttributes, attribute, ...rest)
  }

  use<A, E, R>(f: (self: this) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.ensuring(
      Effect.suspend(() => f(this)),
      Effect.suspend(() => this.close())
    )
  }

  scoped(): Effect.Effect<this, never, Scope.Scope> {
    return Effect.acquireRelease(Effect.succeed(this), () => this.close())
  }
}

/**
 * Base class for object receive streams: implement `receive` and `close`.
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { EndOfStream, ObjectReceiveStreamBase } from "effect-anyio"
 * class Countdown extends ObjectReceiveStreamBase<number, EndOfStream> {
 *   n = 3
 *   receive() { return this.n > 0 ? Effect.succeed(this.n--) : Effect.fail(new EndOfStream({})) }
 *   close() { return Effect.void }
 * }
 * ```
 * @category constructors
 */
export abstract class ObjectReceiveStreamBase<T, E = ReceiveError>
  extends ResourceBase
  implements ObjectReceiveStream<T, E>
{
  abstract receive(): Effect.Effect<T, E>
  runForEach<E2, R>(
    f: (item: T) => Effect.Effect<unknown, E2, R>
  ): Effect.Effect<void, Exclude<E, EndOfStream> | E2, R> {
    return Effect.suspend(() => receiveForEach(this.receive(), f))
  }
  get stream(): Stream.Stream<T, Exclude<E, EndOfStream>> {
    return receiveStream(Effect.suspend(() => this.receive()))
  }
}

/**
 * Base class for object send streams: implement `send` and `close`.
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ObjectSendStreamBase } from "effect-anyio"
 * class Collect extends ObjectSendStreamBase<number, never> {
 *   items: Array<number> = []
 *   send(n: number) { return Effect.sync(() => void this.items.push(n)) }
 *   close() { return Effect.void }
 * }
 * ```
 * @category constructors
 */
export abstract class ObjectSendStreamBase<T, E = SendError>
  extends ResourceBase
  implements ObjectSendStream<T, E>
{
  abstract send(item: T): Effect.Effect<void, E>
  get sink(): Sink.Sink<void, T, never, E> {
    return sendSink((item: T) => this.send(item))
  }
}

/**
 * Base class for bidirectional object streams: implement `receive`, `send`, `sendEof` and `close`.
 * @example
 * ```ts
 * import { ObjectStreamBase } from "effect-anyio"
 * // class Pair<T> extends ObjectStreamBase<T> { receive() {...} send(x) {...} sendEof() {...} close() {...} }
 * ```
 * @category constructors
 */
export abstract class ObjectStreamBase<T, E = ReceiveError>
  extends ObjectReceiveStreamBase<T, E>
  implements ObjectStream<T, E>
{
  abstract send(item: T): Effect.Effect<void, E>
  abstract sendEof(): Effect.Effect<void, E>
  get sink(): Sink.Sink<void, T, never, E> {
    return sendSink((item: T) => this.send(item))
  }
}

/**
 * Base class for byte receive streams: implement `receive(maxBytes)` and `close`. An object receive
 * stream of chunks whose `receive` takes a size: `runForEach` and `stream` are that base's.
 * @example
 * ```ts
 * import { ByteReceiveStreamBase } from "effect-anyio"
 * // class Source extends ByteReceiveStreamBase { receive(maxBytes = 65536) {...} close() {...} }
 * ```
 * @category constructors
 */
export abstract class ByteReceiveStreamBase<E = ReceiveError>
  extends ObjectReceiveStreamBase<Uint8Array, E>
  implements ByteReceiveStream<E>
{
  abstract override receive(maxBytes?: number): Effect.Effect<Uint8Array, E>
}

/**
 * Base class for byte send streams: implement `send` and `close`.
 * @example
 * ```ts
 * import { ByteSendStreamBase } from "effect-anyio"
 * // class Drain extends ByteSendStreamBase { send(data) {...} close() {...} }
 * ```
 * @category constructors
 */
export abstract class ByteSendStreamBase<E = SendError> extends ResourceBase implements ByteSendStream<E> {
  abstract send(data: Uint8Array): Effect.Effect<void, E>
  get sink(): Sink.Sink<void, Uint8Array, never, E> {
    return sendSink((data: Uint8Array) => this.send(data))
  }
}

/**
 * Base class for bidirectional byte streams: implement `receive`, `send`, `sendEof` and `close`.
 * @example
 * ```ts
 * import { ByteStreamBase } from "effect-anyio"
 * // class Socketish extends ByteStreamBase { receive(n) {...} send(d) {...} sendEof() {...} close() {...} }
 * ```
 * @category constructors
 */
export abstract class ByteStreamBase<E = ReceiveError>
  extends ByteReceiveStreamBase<E>
  implements ByteStream<E>
{
  abstract send(data: Uint8Array): Effect.Effect<void, E>
  abstract sendEof(): Effect.Effect<void, E>
  get sink(): Sink.Sink<void, Uint8Array, never, E> {
    return sendSink((data: Uint8Array) => this.send(data))
  }
}
