/**
 * Node streams as our byte streams: the transport under sockets, TLS and process pipes.
 *
 * Why not Effect's `NodeSocket`/`NodeStream`: their reader hands out batches (an AnyIO
 * `receive(maxBytes)` needs a leftover buffer anyway), a write on a destroyed socket waits for a
 * `drain` that never comes, two concurrent pulls lose one waiter, and end of stream is a failure
 * indistinguishable from an error close (see the I/O facts doc). This adapter keeps AnyIO's rules
 * directly on the Node stream, with one listener set per stream and no per-chunk allocation beyond
 * a `Uint8Array` view of the chunk Node gives.
 *
 * ## Rules (AnyIO's, `abc._streams` and the asyncio backend's `SocketStream`)
 * - `receive(maxBytes)`: at most `maxBytes` bytes, at least one; the rest of a larger chunk is kept
 *   for the next call. It is a checkpoint: with data already buffered it yields once first (AnyIO:
 *   `checkpoint()`), without data the wait is the checkpoint. A cancelled wait consumes nothing.
 * - End of stream (`'end'`) gives `EndOfStream` once the buffered bytes are read, on every later
 *   call too. An error (reset, broken pipe) or a destroy by someone else gives
 *   `BrokenResourceError`; our own `close()` gives `ClosedResourceError`. Parked receivers and
 *   senders are woken with those errors.
 * - `send(data)` is a checkpoint too (AnyIO: `checkpoint()`, a full yield), then hands the bytes
 *   to Node; when Node asks for backpressure (`write` returned false) and still holds bytes it
 *   waits for `'drain'` (AnyIO's transport has a write-buffer limit of 0: it waits until the
 *   buffer is flushed; a write the kernel took at once does not wait). A destroyed stream fails
 *   at once instead of waiting for a `'drain'` that never comes.
 * - Reading: the stream flows into our queue of the chunks Node gives (handed out as they are,
 *   split only by `maxBytes`); it is paused while 64 KiB (or its high-water mark) wait unread.
 * - One receiver and one sender at a time: a second concurrent call fails with
 *   `BusyResourceError` (AnyIO's `ResourceGuard`), held across the checkpoint as AnyIO holds it.
 * - `sendEof()` ends the write side (TCP half-close); receiving still works. `close()` is
 *   idempotent: it ends the write side, yields once so that Node can flush, then destroys the
 *   stream (AnyIO: `write_eof()`, `close()`, `sleep(0)`, `abort()`).
 *
 * @internal
 */
import type { Duplex, Readable, Writable } from "node:stream"
import { Effect, Exit } from "effect"
import {
  BrokenResourceError,
  BusyResourceError,
  ClosedResourceError,
  EndOfStream,
  InvalidArgumentError
} from "../Errors.ts"
import { ByteReceiveStreamBase, ByteSendStreamBase, ByteStreamBase } from "../Streams.ts"
import { checkpoint } from "../Time.ts"
import { emptyAttributes, type TypedAttributeMap } from "../TypedAttribute.ts"
import { textOf } from "./text.ts"

/** What every adapter may be given. */
export interface NodeStreamOptions {
  /** The stream's typed attributes (read lazily, on `extra`). */
  readonly attributes?: (() => TypedAttributeMap) | undefined
  /**
   * What `close()` does to the Node stream once our side is closed; default: end the write side,
   * yield once, destroy.
   */
  readonly onClose?: (() => void) | undefined
}

export type NodeReceiveError = EndOfStream | ClosedResourceError | BrokenResourceError | BusyResourceError
export type NodeSendError = ClosedResourceError | BrokenResourceError | BusyResourceError

const DEFAULT_MAX_BYTES = 65536

const checkMaxBytes = (maxBytes: unknown): number => {
  if (typeof maxBytes !== "number" || !Number.isInteger(maxBytes) || maxBytes < 1) {
    throw new InvalidArgumentError({
      message: `maxBytes must be a positive integer, got ${textOf(maxBytes)}`
    })
  }
  return maxBytes
}

const brokenFrom = (error: unknown): BrokenResourceError =>
  new BrokenResourceError({
    message: error instanceof Error ? error.message : "the stream was destroyed",
    cause: error
  })

const closedError = new ClosedResourceError({})
const endOfStream = new EndOfStream({})

const asView = (chunk: Uint8Array): Uint8Array =>
  // Node hands out Buffers; users compare with plain Uint8Arrays, so give a zero-copy plain view.
  Object.getPrototypeOf(chunk) === Uint8Array.prototype
    ? chunk
    : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)

/**
 * The state both sides share: closed by us, the first error, and the wake-up of whoever waits.
 * One object per Node stream, so a Duplex's two sides see the same close and the same error.
 */
class Core {
  closed = false
  error: unknown = undefined
  /** Set when the stream was destroyed without an error and without our close. */
  destroyed = false
  recvWaiter: (() => void) | undefined = undefined
  sendWaiter: (() => void) | undefined = undefined
  receiving = false
  sending = false
  private readonly wakeAll = (): void => {
    this.recvWaiter?.()
    this.sendWaiter?.()
  }

  constructor(stream: Readable | Writable) {
    stream.on("error", (e: unknown) => {
      if (this.error === undefined) this.error = e
      this.wakeAll()
    })
    stream.on("close", () => {
      this.destroyed = true
      this.wakeAll()
    })
  }

  /** Why a closed or broken stream cannot be used, if it cannot. */
  failure(): ClosedResourceError | BrokenResourceError | undefined {
    if (this.closed) return closedError
    if (this.error !== undefined) return brokenFrom(this.error)
    return undefined
  }
}

/**
 * The read side: the Node stream in flowing mode (a `'data'` listener) and our own queue of the
 * chunks Node gave, handed out as they are (no concatenation, no copy). The stream is paused while
 * `limit` bytes or more wait in the queue, so at most that much plus Node's own buffer is held for
 * a slow reader (Node then stops reading the socket: the peer's writes block).
 */
class ReadSide {
  readonly core: Core
  readonly readable: Readable
  ended = false
  /** Chunks not yet received, from `head` on; the first may be the rest of a split chunk. */
  queue: Array<Uint8Array> = []
  head = 0
  queued = 0
  paused = false
  readonly limit: number
  /** The receive effect of the default size, built once (the hot path allocates nothing else). */
  readonly receiveDefault: Effect.Effect<Uint8Array, NodeReceiveError>
  /** The parked receiver: its size and its wake-up (one receiver at a time: the guard). */
  waitMax = DEFAULT_MAX_BYTES
  resume: ((exit: Exit.Exit<Uint8Array, NodeReceiveError>) => void) | undefined = undefined
  /** What `core.recvWaiter` is while a receiver is parked: completes it when `take` can. */
  readonly onWake = (): void => {
    const r = this.take(this.waitMax)
    if (r === undefined) return
    this.unparkReceiver()!(r)
  }
  /** A parked receiver's cancellation: it took nothing. */
  readonly unpark: Effect.Effect<void> = Effect.sync(() => {
    this.unparkReceiver()
  })
  /** The parked receiver is no longer parked and the receive guard is free; returns its wake-up. */
  private unparkReceiver(): ((exit: Exit.Exit<Uint8Array, NodeReceiveError>) => void) | undefined {
    const resume = this.resume
    this.resume = undefined
    this.core.recvWaiter = undefined
    this.core.receiving = false
    return resume
  }

  constructor(core: Core, readable: Readable) {
    this.core = core
    this.readable = readable
    this.limit = Math.max(readable.readableHighWaterMark || 0, DEFAULT_MAX_BYTES)
    const wake = () => core.recvWaiter?.()
    readable.on("data", (data: Uint8Array | string) => {
      const chunk = typeof data === "string" ? new TextEncoder().encode(data) : asView(data)
      if (chunk.byteLength === 0) return
      if (
        this.resume !== undefined &&
        this.queued === 0 &&
        chunk.byteLength <= this.waitMax &&
        !core.closed
      ) {
        // A receiver waits and nothing is queued before this chunk: hand it over directly
        // (what `take` would give it, without the trip through the queue: issue 17).
        return this.unparkReceiver()!(Exit.succeed(chunk))
      }
      this.queue.push(chunk)
      this.queued += chunk.byteLength
      if (this.queued >= this.limit && !this.paused) {
        this.paused = true
        readable.pause()
      }
      wake()
    })
    readable.on("end", () => {
      this.ended = true
      wake()
    })
    // A 'data' listener starts the flow unless someone paused the stream before: we read it now.
    if (readable.isPaused()) readable.resume()
    this.receiveDefault = this.makeReceive(DEFAULT_MAX_BYTES)
  }

  /** Whether `take` would complete now (with bytes, an end or an error). */
  ready(): boolean {
    return (
      this.queued > 0 ||
      this.ended ||
      this.core.closed ||
      this.core.error !== undefined ||
      this.core.destroyed
    )
  }

  /** Takes up to `max` bytes now, or tells why it cannot; `undefined`: nothing yet, wait. */
  take(max: number): Exit.Exit<Uint8Array, NodeReceiveError> | undefined {
    const core = this.core
    if (core.closed) return Exit.fail(closedError)
    if (this.queued > 0) {
      const queue = this.queue
      let chunk = queue[this.head]!
      if (chunk.byteLength > max) {
        queue[this.head] = chunk.subarray(max)
        chunk = chunk.subarray(0, max)
      } else {
        queue[this.head] = undefined as never
        if (++this.head === queue.length) {
          queue.length = 0
          this.head = 0
        } else if (this.head >= 1024 && this.head * 2 >= queue.length) {
          this.queue = queue.slice(this.head)
          this.head = 0
        }
      }
      this.queued -= chunk.byteLength
      if (this.paused && this.queued < this.limit) {
        this.paused = false
        this.readable.resume()
      }
      return Exit.succeed(chunk)
    }
    if (core.error !== undefined) return Exit.fail(brokenFrom(core.error))
    if (this.ended || this.readable.readableEnded) return Exit.fail(endOfStream)
    if (core.destroyed || this.readable.destroyed) return Exit.fail(brokenFrom(undefined))
    return undefined
  }

  makeReceive(max: number): Effect.Effect<Uint8Array, NodeReceiveError> {
    const core = this.core
    const park = Effect.callback<Uint8Array, NodeReceiveError>((resume) => {
      // Try once more before waiting: the state may have changed since the caller looked.
      const now = this.take(max)
      if (now !== undefined) {
        core.receiving = false
        return resume(now)
      }
      this.waitMax = max
      this.resume = resume
      core.recvWaiter = this.onWake
      return this.unpark
    })
    // Data already there: AnyIO checkpoints first. The guard stays held across the yield.
    const afterYield: Effect.Effect<Uint8Array, NodeReceiveError> = Effect.suspend(() => {
      const r = this.take(max)
      if (r !== undefined) {
        core.receiving = false
        return r
      }
      return park
    })
    const yielded = Effect.onExitPrimitive(Effect.andThen(checkpoint(), afterYield), (exit) => {
      if (exit._tag === "Failure") core.receiving = false
      return undefined
    })
    return Effect.suspend(() => {
      if (core.receiving) return Exit.fail(new BusyResourceError({ action: "reading from" }))
      if (core.closed) return Exit.fail(closedError)
      core.receiving = true
      return this.ready() ? yielded : park
    })
  }

  receive(maxBytes?: number): Effect.Effect<Uint8Array, NodeReceiveError> {
    if (maxBytes === undefined || maxBytes === DEFAULT_MAX_BYTES) return this.receiveDefault
    return Effect.suspend(() => this.makeReceive(checkMaxBytes(maxBytes)))
  }
}

/** The write side. */
class WriteSide {
  readonly core: Core
  readonly writable: Writable
  eofSent = false
  /** The bytes of the send in progress (one sender at a time: the guard). */
  pending: Uint8Array | undefined = undefined
  /** Checkpoint, write `pending`, wait for the flush if Node kept bytes; built once. */
  readonly sendBody: Effect.Effect<void, NodeSendError>

  constructor(core: Core, writable: Writable) {
    this.core = core
    this.writable = writable
    writable.on("drain", () => core.sendWaiter?.())
    /** Ends the send in progress: the guard is free again. */
    const release = (): void => {
      core.sending = false
      this.pending = undefined
    }
    const unpark = Effect.sync(() => {
      core.sendWaiter = undefined
    })
    const waitDrain = Effect.onExitPrimitive(
      Effect.callback<void, NodeSendError>((resume) => {
        core.sendWaiter = () => {
          const f = this.failure()
          if (f === undefined && this.writable.writableNeedDrain) return
          core.sendWaiter = undefined
          resume(f === undefined ? Exit.void : Exit.fail(f))
        }
        return unpark
      }),
      () => {
        release()
        return undefined
      }
    )
    const write: Effect.Effect<void, NodeSendError> = Effect.suspend(() => {
      const data = this.pending!
      this.pending = undefined
      const f = this.failure()
      if (f !== undefined) {
        release()
        return Exit.fail(f)
      }
      // Node says "wait" (false) once its buffer reaches the high-water mark, even when the bytes
      // already went to the kernel; wait for 'drain' only while Node still holds some (AnyIO's
      // transport with a write buffer limit of 0 waits exactly then).
      let flushed: boolean
      try {
        flushed = this.writable.write(data) || this.writable.writableLength === 0
      } catch (defect) {
        release()
        throw defect
      }
      if (flushed) {
        release()
        return Exit.void
      }
      return waitDrain
    })
    // The guard is released on every way out: by `write` itself on its synchronous paths, by
    // `waitDrain`'s finalizer while waiting, here when the checkpoint is interrupted. One
    // success/failure frame costs less per send than an `onExit` around the whole body (which
    // also pushes an uninterruptible region and allocates an Exit on success): issue 17.
    this.sendBody = Effect.matchCauseEffect(checkpoint(), {
      onSuccess: () => write,
      onFailure: (cause) => {
        release()
        return Effect.failCause(cause)
      }
    })
  }

  failure(): NodeSendError | undefined {
    const f = this.core.failure()
    if (f !== undefined) return f
    if (this.eofSent) return new ClosedResourceError({ message: "the write side was closed with sendEof()" })
    if (this.writable.destroyed || this.core.destroyed || this.writable.writableEnded)
      return brokenFrom(undefined)
    return undefined
  }

  send(data: Uint8Array): Effect.Effect<void, NodeSendError> {
    const core = this.core
    return Effect.suspend(() => {
      if (!(data instanceof Uint8Array)) {
        throw new InvalidArgumentError({ message: `send() takes a Uint8Array, got ${textOf(data)}` })
      }
      if (core.sending) return Exit.fail(new BusyResourceError({ action: "writing to" }))
      const f = this.failure()
      if (f !== undefined) return Exit.fail(f)
      core.sending = true
      this.pending = data
      return this.sendBody
    })
  }

  sendEof(): Effect.Effect<void, NodeSendError> {
    return Effect.suspend(() => {
      const f = this.core.failure()
      if (f !== undefined) return Exit.fail(f)
      if (!this.eofSent) {
        this.eofSent = true
        if (!this.writable.writableEnded && !this.writable.destroyed) this.writable.end()
      }
      return Exit.void
    })
  }
}

/** Closes our side: wakes parked callers (they see `ClosedResourceError`), then the Node stream. */
const closeWith = (
  core: Core,
  stream: Readable | Writable,
  writable: Writable | undefined,
  options: NodeStreamOptions | undefined
): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (core.closed) return Effect.void
    core.closed = true
    core.recvWaiter?.()
    core.sendWaiter?.()
    if (options?.onClose !== undefined) {
      options.onClose()
      return Effect.void
    }
    if (stream.destroyed) return Effect.void
    if (writable === undefined || writable.writableEnded || writable.writableLength === 0) {
      if (writable !== undefined && !writable.writableEnded) writable.end()
      stream.destroy()
      return Effect.void
    }
    // Bytes still queued in Node: give it one turn to flush them before the destroy.
    writable.end()
    return Effect.ensuring(
      Effect.uninterruptible(checkpoint()),
      Effect.sync(() => stream.destroy())
    )
  })

class NodeReceiveStream extends ByteReceiveStreamBase<NodeReceiveError> {
  readonly side: ReadSide
  private readonly options: NodeStreamOptions | undefined
  constructor(readable: Readable, options: NodeStreamOptions | undefined) {
    super()
    this.side = new ReadSide(new Core(readable), readable)
    this.options = options
  }
  receive(maxBytes?: number): Effect.Effect<Uint8Array, NodeReceiveError> {
    return this.side.receive(maxBytes)
  }
  close(): Effect.Effect<void> {
    return closeWith(this.side.core, this.side.readable, undefined, this.options)
  }
  override get extraAttributes(): TypedAttributeMap {
    return this.options?.attributes?.() ?? emptyAttributes
  }
}

class NodeSendStream extends ByteSendStreamBase<NodeSendError> {
  readonly side: WriteSide
  private readonly options: NodeStreamOptions | undefined
  constructor(writable: Writable, options: NodeStreamOptions | undefined) {
    super()
    this.side = new WriteSide(new Core(writable), writable)
    this.options = options
  }
  send(data: Uint8Array): Effect.Effect<void, NodeSendError> {
    return this.side.send(data)
  }
  close(): Effect.Effect<void> {
    return closeWith(this.side.core, this.side.writable, this.side.writable, this.options)
  }
  override get extraAttributes(): TypedAttributeMap {
    return this.options?.attributes?.() ?? emptyAttributes
  }
}

class NodeByteStream extends ByteStreamBase<NodeReceiveError> {
  readonly readSide: ReadSide
  readonly writeSide: WriteSide
  private readonly duplex: Duplex
  private readonly options: NodeStreamOptions | undefined
  constructor(duplex: Duplex, options: NodeStreamOptions | undefined) {
    super()
    const core = new Core(duplex)
    this.readSide = new ReadSide(core, duplex)
    this.writeSide = new WriteSide(core, duplex)
    this.duplex = duplex
    this.options = options
  }
  receive(maxBytes?: number): Effect.Effect<Uint8Array, NodeReceiveError> {
    return this.readSide.receive(maxBytes)
  }
  send(data: Uint8Array): Effect.Effect<void, NodeReceiveError> {
    return this.writeSide.send(data)
  }
  sendEof(): Effect.Effect<void, NodeReceiveError> {
    return this.writeSide.sendEof()
  }
  close(): Effect.Effect<void> {
    return closeWith(this.readSide.core, this.duplex, this.duplex, this.options)
  }
  override get extraAttributes(): TypedAttributeMap {
    return this.options?.attributes?.() ?? emptyAttributes
  }
}

/**
 * A Node `Readable` as a `ByteReceiveStream`. The readable is switched to flowing mode (a `'data'`
 * listener, paused while our queue is full); nothing else may read from it afterwards.
 */
export const fromReadable = (readable: Readable, options?: NodeStreamOptions): NodeReceiveStream =>
  new NodeReceiveStream(readable, options)

/** A Node `Writable` as a `ByteSendStream`. */
export const fromWritable = (writable: Writable, options?: NodeStreamOptions): NodeSendStream =>
  new NodeSendStream(writable, options)

/**
 * A Node `Duplex` (a socket) as a `ByteStream`; `sendEof()` is `end()`. For sockets, create them
 * with `allowHalfOpen: true`, else Node ends our write side when the peer's end arrives.
 */
export const fromDuplex = (duplex: Duplex, options?: NodeStreamOptions): NodeByteStream =>
  new NodeByteStream(duplex, options)

export type { NodeByteStream, NodeReceiveStream, NodeSendStream }
