/**
 * Memory object streams (AnyIO's `create_memory_object_stream`): a send end and a receive end that
 * pass objects between tasks through an optional buffer, with backpressure, clones, and
 * end-of-stream / broken-stream signalling when one side closes.
 *
 * Operations that can wait, fail or change the stream are Effects (`send`, `sendNowait`, `receive`,
 * `receiveNowait`, `clone`, `close`); `statistics()` is a plain snapshot. The stream's rules are
 * written down in one place, `internal/memoryStream.ts`.
 *
 * @since 0.1.0
 */
import { type Cause, Effect, Exit, type Scope, type Sink, Stream } from "effect"
import {
  type BrokenResourceError,
  ClosedResourceError,
  type EndOfStream,
  InvalidArgumentError,
  type TypedAttributeLookupError,
  WouldBlock
} from "./Errors.ts"
import * as internal from "./internal/memoryStream.ts"
import { textOf } from "./internal/text.ts"
import { type ObjectReceiveStream, type ObjectSendStream, sendSink } from "./Streams.ts"
import {
  emptyAttributes,
  lookupAttribute,
  type TypedAttribute,
  type TypedAttributeMap
} from "./TypedAttribute.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * A snapshot of a memory object stream's state (AnyIO's `MemoryObjectStreamStatistics`).
 *
 * **When to use**: monitoring and tests: how full the buffer is, how many ends are open, how many
 * tasks wait.
 *
 * **Details**: both ends of a stream (and all their clones) report the same numbers. A task counts as
 * waiting from the moment it parks until an item, a slot, a close or a cancellation releases it.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStream } from "effect-anyio"
 * const [send] = createMemoryObjectStream<number>(5)
 * const { currentBufferUsed, maxBufferSize } = send.statistics() // 0, 5
 * ```
 * @category models
 */
export interface MemoryObjectStreamStatistics {
  /** Items stored in the buffer. */
  readonly currentBufferUsed: number
  /** The buffer's capacity (`Infinity` for unbounded). */
  readonly maxBufferSize: number
  /** Unclosed send ends (clones included). */
  readonly openSendStreams: number
  /** Unclosed receive ends (clones included). */
  readonly openReceiveStreams: number
  /** Tasks parked in `send`. */
  readonly tasksWaitingSend: number
  /** Tasks parked in `receive`. */
  readonly tasksWaitingReceive: number
}

/**
 * The sending end of a memory object stream (AnyIO's `MemoryObjectSendStream`).
 *
 * **When to use**: give it to producer tasks; clone it when several producers should each close
 * their own handle.
 *
 * **Details**
 * - `send` hands the item to the oldest waiting receiver, else buffers it, else waits until a
 *   receiver takes it. Waiting senders are served first come, first served.
 * - `send` is a checkpoint, as AnyIO's: it yields to other ready tasks first, and a pending
 *   cancellation is raised there, before the item is offered. `sendNowait` is not a checkpoint.
 * - Cancelling a waiting `send` withdraws its item: it is never received.
 * - Errors: `ClosedResourceError` if this end was closed; `BrokenResourceError` if every receive end
 *   is closed (also raised in senders waiting when the last receive end closes).
 * - The end counts as closed for receivers once this end and all its clones are closed; then
 *   receivers get the buffered items and after them `EndOfStream`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMemoryObjectStream } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [send, receive] = createMemoryObjectStream<string>(1)
 *   yield* send.use((s) => s.send("hello")) // closes `send` afterwards
 *   return yield* receive.receive() // "hello"
 * })
 * ```
 * @see {@link MemoryObjectReceiveStream}
 * @see {@link createMemoryObjectStream}
 * @category models
 */
export interface MemoryObjectSendStream<in T>
  extends ObjectSendStream<T, ClosedResourceError | BrokenResourceError> {
  /**
   * Sends an item, waiting while the buffer is full and no receiver waits.
   * Fails with `ClosedResourceError` (this end closed) or `BrokenResourceError` (no receiver left).
   */
  send(item: T): Effect.Effect<void, ClosedResourceError | BrokenResourceError>
  /**
   * Sends an item if that can be done without waiting, else fails with `WouldBlock` (AnyIO's
   * `send_nowait`).
   */
  sendNowait(item: T): Effect.Effect<void, WouldBlock | ClosedResourceError | BrokenResourceError>
  /**
   * A new send end on the same stream, closed separately; fails with `ClosedResourceError` if this
   * end is closed.
   */
  clone(): Effect.Effect<MemoryObjectSendStream<T>, ClosedResourceError>
  /** Closes this end; idempotent. Closing the last send end wakes waiting receivers with `EndOfStream`. */
  close(): Effect.Effect<void>
  /** Runs `f` with this end and closes the end when `f` ends, however it ends (AnyIO's `with send:`). */
  use<A, E, R>(f: (self: this) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R>
  /**
   * Returns this end and closes it when the current `Scope` closes (`Effect.acquireRelease` style,
   * for `Effect.scoped` blocks and layers).
   */
  scoped(): Effect.Effect<this, never, Scope.Scope>
  /** A snapshot of the stream's state. */
  statistics(): MemoryObjectStreamStatistics
}

/**
 * The receiving end of a memory object stream (AnyIO's `MemoryObjectReceiveStream`).
 *
 * **When to use**: give it to consumer tasks; iterate it with `runForEach` (AnyIO's `async for`) or
 * as an Effect `Stream` via `.stream`; clone it for several consumers that close separately.
 *
 * **Details**
 * - `receive` takes the oldest item (buffered, or from the oldest waiting sender), else waits.
 *   Waiting receivers are served first come, first served.
 * - A cancelled `receive` never loses an item: cancelled while waiting, it takes nothing; an item
 *   handed over completes the receive even if a cancellation is requested right after.
 * - `receive` (and each item of `runForEach` and `stream`) is a checkpoint, as AnyIO's: it yields to
 *   other ready tasks first, and a pending cancellation is raised there, before anything is taken.
 *   `receiveNowait` is not a checkpoint.
 * - Errors: `ClosedResourceError` if this end was closed; `EndOfStream` once the buffer is empty and
 *   every send end is closed (also raised in receivers waiting when the last send end closes).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createMemoryObjectStream } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [send, receive] = createMemoryObjectStream<number>(10)
 *   yield* send.send(1)
 *   yield* send.send(2)
 *   yield* send.close()
 *   yield* receive.runForEach((n) => Effect.log(n)) // logs 1, 2, then ends
 * })
 * ```
 * @see {@link MemoryObjectSendStream}
 * @see {@link createMemoryObjectStream}
 * @category models
 */
export interface MemoryObjectReceiveStream<out T>
  extends ObjectReceiveStream<T, EndOfStream | ClosedResourceError> {
  /**
   * Receives the next item, waiting while there is none. Fails with `EndOfStream` once the stream
   * is drained and every send end is closed, `ClosedResourceError` if this end is closed.
   */
  receive(): Effect.Effect<T, EndOfStream | ClosedResourceError>
  /**
   * Receives the next item if one is available without waiting, else fails with `WouldBlock`
   * (AnyIO's `receive_nowait`).
   */
  receiveNowait(): Effect.Effect<T, WouldBlock | EndOfStream | ClosedResourceError>
  /**
   * A new receive end on the same stream, closed separately; fails with `ClosedResourceError` if
   * this end is closed.
   */
  clone(): Effect.Effect<MemoryObjectReceiveStream<T>, ClosedResourceError>
  /**
   * Closes this end; idempotent. Closing the last receive end wakes waiting senders with
   * `BrokenResourceError`; buffered items are dropped with the stream.
   */
  close(): Effect.Effect<void>
  /** Runs `f` with this end and closes the end when `f` ends, however it ends (AnyIO's `with receive:`). */
  use<A, E, R>(f: (self: this) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R>
  /**
   * Returns this end and closes it when the current `Scope` closes (`Effect.acquireRelease` style,
   * for `Effect.scoped` blocks and layers).
   */
  scoped(): Effect.Effect<this, never, Scope.Scope>
  /**
   * Receives items one at a time and runs `f` on each, in order, until end of stream (AnyIO's
   * `async for item in receive`). A failure of `f` stops the loop and is returned.
   */
  runForEach<E, R>(
    f: (item: T) => Effect.Effect<unknown, E, R>
  ): Effect.Effect<void, E | ClosedResourceError, R>
  /**
   * The items as an Effect `Stream` that ends at end of stream. Each pull receives one item, so an
   * interrupted stream leaves the items it did not pull in the memory stream. Running it does not
   * close this end.
   */
  readonly stream: Stream.Stream<T, ClosedResourceError>
  /** A snapshot of the stream's state. */
  statistics(): MemoryObjectStreamStatistics
}

// -----------------------------------------------------------------------------
// Implementation of the ends
// -----------------------------------------------------------------------------

const statisticsOf = (s: internal.StreamState): MemoryObjectStreamStatistics => ({
  currentBufferUsed: s.buffer.length,
  maxBufferSize: s.maxBufferSize,
  openSendStreams: s.openSend,
  openReceiveStreams: s.openReceive,
  tasksWaitingSend: s.senders.size,
  tasksWaitingReceive: s.receivers.size
})

type AnyEffect = Effect.Effect<unknown, unknown>

/** Memory streams offer no typed attributes; `extra` is the lookup every stream has. */
const extraOf = (attribute: TypedAttribute<unknown>, rest: [] | [unknown]) =>
  (lookupAttribute as (...args: Array<unknown>) => Effect.Effect<unknown, TypedAttributeLookupError>)(
    emptyAttributes,
    attribute,
    ...rest
  )

/**
 * What both ends share: the open/closed flag, closing (`close`, `use`, `scoped`), statistics and the
 * (empty) typed attributes. Sending and receiving are the subclasses'.
 */
abstract class StreamEnd implements internal.End {
  closed = false
  protected readonly state: internal.StreamState
  protected readonly closeEffect: Effect.Effect<void>

  constructor(
    state: internal.StreamState,
    closeEnd: (state: internal.StreamState, end: internal.End) => void
  ) {
    this.state = state
    this.closeEffect = Effect.sync(() => closeEnd(state, this))
  }

  close(): Effect.Effect<void> {
    return this.closeEffect
  }

  use<A, E, R>(f: (self: this) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.ensuring(
      Effect.suspend(() => f(this)),
      this.closeEffect
    )
  }

  scoped(): Effect.Effect<this, never, Scope.Scope> {
    return Effect.acquireRelease(Effect.succeed(this), () => this.closeEffect)
  }

  statistics(): MemoryObjectStreamStatistics {
    return statisticsOf(this.state)
  }

  get extraAttributes(): TypedAttributeMap {
    return emptyAttributes
  }

  extra<A>(attribute: TypedAttribute<A>): Effect.Effect<A, TypedAttributeLookupError>
  extra<A, D>(attribute: TypedAttribute<A>, defaultValue: D): Effect.Effect<A | D>
  extra(
    attribute: TypedAttribute<unknown>,
    ...rest: [] | [unknown]
  ): Effect.Effect<unknown, TypedAttributeLookupError> {
    return extraOf(attribute, rest)
  }
}

const closeSend = (state: internal.StreamState, end: internal.End): void => state.closeSend(end)
const closeReceive = (state: internal.StreamState, end: internal.End): void => state.closeReceive(end)

class SendEnd<T> extends StreamEnd implements MemoryObjectSendStream<T> {
  constructor(state: internal.StreamState) {
    super(state, closeSend)
    state.openSend++
  }

  send(item: T): Effect.Effect<void, ClosedResourceError | BrokenResourceError> {
    // AnyIO's send starts with a full checkpoint (`await checkpoint()`): other ready tasks run and a
    // pending cancellation lands before the item is offered (`sendOp`: checkpoint, step and park).
    return this.state.sendOp(this, item) as Effect.Effect<void, ClosedResourceError | BrokenResourceError>
  }

  sendNowait(item: T): Effect.Effect<void, WouldBlock | ClosedResourceError | BrokenResourceError> {
    return Effect.suspend(() => this.state.sendNowait(this, item)) as Effect.Effect<
      void,
      WouldBlock | ClosedResourceError | BrokenResourceError
    >
  }

  clone(): Effect.Effect<MemoryObjectSendStream<T>, ClosedResourceError> {
    return Effect.suspend(() =>
      this.closed ? Exit.fail(new ClosedResourceError({})) : Exit.succeed(new SendEnd<T>(this.state))
    )
  }

  get sink(): Sink.Sink<void, T, never, ClosedResourceError | BrokenResourceError> {
    return sendSink((item: T) => this.send(item))
  }
}

/**
 * A receive operation of one mode: AnyIO's full checkpoint first (other ready tasks run, a pending
 * cancellation lands before an item is taken), then the step, then parking (`receiveOp`). `step`,
 * for a receive made after its checkpoint in the fiber, retries itself after a yield the run loop was
 * about to make (see the internal module).
 */
const makeReceive = (state: internal.StreamState, end: internal.End, mode: internal.Mode): AnyEffect => {
  let step: AnyEffect = Effect.void
  const park = Effect.callback<unknown, unknown>((resume) => state.parkReceiver(end, mode, step, resume))
  step = Effect.suspend(() => state.receiveStep(end, mode, step) ?? park)
  return state.receiveOp(end, mode, step)
}

class ReceiveEnd<T> extends StreamEnd implements MemoryObjectReceiveStream<T> {
  private readonly receiveEffect: Effect.Effect<T, EndOfStream | ClosedResourceError>
  private readonly receiveNowaitEffect: Effect.Effect<T, WouldBlock | EndOfStream | ClosedResourceError>
  private nextEffect: Effect.Effect<T | typeof internal.END, ClosedResourceError> | undefined = undefined

  constructor(state: internal.StreamState) {
    super(state, closeReceive)
    state.openReceive++
    this.receiveEffect = makeReceive(state, this, internal.MODE_RECEIVE) as Effect.Effect<
      T,
      EndOfStream | ClosedResourceError
    >
    const nowait: AnyEffect = Effect.suspend(
      () => state.receiveStep(this, internal.MODE_RECEIVE, nowait) ?? Exit.fail(new WouldBlock({}))
    )
    this.receiveNowaitEffect = nowait as Effect.Effect<T, WouldBlock | EndOfStream | ClosedResourceError>
  }

  receive(): Effect.Effect<T, EndOfStream | ClosedResourceError> {
    return this.receiveEffect
  }

  receiveNowait(): Effect.Effect<T, WouldBlock | EndOfStream | ClosedResourceError> {
    return this.receiveNowaitEffect
  }

  clone(): Effect.Effect<MemoryObjectReceiveStream<T>, ClosedResourceError> {
    return Effect.suspend(() =>
      this.closed ? Exit.fail(new ClosedResourceError({})) : Exit.succeed(new ReceiveEnd<T>(this.state))
    )
  }

  runForEach<E, R>(
    f: (item: T) => Effect.Effect<unknown, E, R>
  ): Effect.Effect<void, E | ClosedResourceError, R> {
    const next = (this.nextEffect ??= makeReceive(this.state, this, internal.MODE_NEXT) as Effect.Effect<
      T | typeof internal.END,
      ClosedResourceError
    >)
    return Effect.suspend(() => {
      const loop: Effect.Effect<void, E | ClosedResourceError, R> = Effect.flatMap(next, (item) =>
        item === internal.END ? Effect.void : Effect.andThen(f(item as T), loop)
      )
      return loop
    })
  }

  get stream(): Stream.Stream<T, ClosedResourceError> {
    const pull = makeReceive(this.state, this, internal.MODE_CHUNK) as Effect.Effect<
      readonly [T],
      ClosedResourceError | Cause.Done
    >
    return Stream.fromPull(Effect.succeed(pull))
  }
}

// -----------------------------------------------------------------------------
// Constructors
// -----------------------------------------------------------------------------

/**
 * Creates a memory object stream and returns its two ends, `[send, receive]` (AnyIO's
 * `create_memory_object_stream`).
 *
 * **When to use**: to pass objects between tasks with backpressure: producers `send`, consumers
 * `receive` or iterate, and closing the ends tells the other side that the conversation is over.
 *
 * **Details**
 * - `maxBufferSize` (default 0) is how many items may wait in the buffer; 0 makes every `send` wait
 *   for a receiver (a rendezvous); `Infinity` never makes a sender wait.
 * - A plain function: it needs no running program. A size that is negative, NaN, not an integer
 *   (other than `Infinity`) or not a number throws `InvalidArgumentError`.
 * - Close both ends when done, e.g. with their `use(f)` or `scoped()`.
 *
 * @example
 * ```ts
 * import { Effect, Fiber } from "effect"
 * import { createMemoryObjectStream } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [send, receive] = createMemoryObjectStream<number>()
 *   const consumer = yield* Effect.forkChild(receive.runForEach((n) => Effect.log(`got ${n}`)))
 *   yield* send.use((s) => Effect.forEach([1, 2, 3], (n) => s.send(n)))
 *   yield* Fiber.join(consumer)
 * })
 * ```
 * @see {@link MemoryObjectSendStream}
 * @see {@link MemoryObjectReceiveStream}
 * @category constructors
 */
export const createMemoryObjectStream = <T>(
  maxBufferSize: number = 0
): readonly [send: MemoryObjectSendStream<T>, receive: MemoryObjectReceiveStream<T>] => {
  const notInteger = () =>
    new InvalidArgumentError({
      message: `maxBufferSize must be either an integer or Infinity, got ${textOf(maxBufferSize)}`
    })
  if (typeof maxBufferSize !== "number" || Number.isNaN(maxBufferSize)) throw notInteger()
  if (maxBufferSize < 0) {
    throw new InvalidArgumentError({ message: `maxBufferSize cannot be negative, got ${maxBufferSize}` })
  }
  if (maxBufferSize !== Number.POSITIVE_INFINITY && !Number.isInteger(maxBufferSize)) throw notInteger()
  const state = new internal.StreamState(maxBufferSize)
  return [new SendEnd<T>(state), new ReceiveEnd<T>(state)] as const
}
