/**
 * Any of our byte streams as a Node `Duplex`, so that Node's TLS (`tls.TLSSocket`, which wraps
 * any Duplex) can run over it: TLS over TCP, over Unix sockets, over memory streams, TLS in TLS.
 *
 * - Reads: each `_read` Node makes starts one `receive` of the transport (never two at once);
 *   Node asks again while it wants more, so TLS's own backpressure reaches the transport.
 * - Writes: `_write` sends the chunk and reports when the transport took it; `_final` sends EOF
 *   (`sendEof`), except while unwrapping (the transport goes on unencrypted).
 * - The Effects run as root fibers of their own with the caller's services but outside any task
 *   or cancel scope (a `receive` waiting for the peer must not be cancelled by a scope the
 *   handshake ran in). Stopping interrupts the `receive` in flight: our streams lose no bytes to
 *   a cancelled `receive`.
 * - For `unwrap`, {@link TransportDuplex.recordMode} hands TLS one record at a time: once TLS saw
 *   the peer's `close_notify`, whatever follows it on the transport (plain data) stays here as
 *   the leftover instead of vanishing into the TLS engine.
 * - Ragged EOF: when the transport ends, `closeNotifyFirst` tells whether TLS had already seen
 *   the peer's `close_notify` (its readable side ended before the transport's end reached it).
 *
 * @internal
 */
import { Duplex } from "node:stream"
import { Context, Effect, type Fiber } from "effect"
import type { AnyByteStream } from "../../Streams.ts"
import { CurrentScope } from "../scope.ts"
import { CurrentTask } from "../task.ts"

const isEndOfStream = (e: unknown): boolean =>
  typeof e === "object" && e !== null && (e as { _tag?: unknown })._tag === "EndOfStream"

const asError = (e: unknown): Error =>
  e instanceof Error ? e : new Error(typeof e === "object" && e !== null ? JSON.stringify(e) : String(e))

/** Whether a readable stream has received its end (internal state: Node has no public flag before 'end' is emitted). */
export const readableEnded = (stream: Duplex): boolean =>
  stream.readableEnded ||
  (stream as unknown as { _readableState?: { ended?: boolean } })._readableState?.ended === true

/** The length of the first complete TLS record in `b`, or 0 when `b` holds none yet. */
const recordLength = (b: Uint8Array): number => {
  if (b.length < 5) return 0
  const n = 5 + ((b[3]! << 8) | b[4]!)
  return b.length >= n ? n : 0
}

const concat = (a: Uint8Array | undefined, b: Uint8Array): Uint8Array => {
  if (a === undefined || a.length === 0) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

export class TransportDuplex extends Duplex {
  readonly transport: AnyByteStream
  private readonly context: Context.Context<never>
  private receiving: Fiber.Fiber<unknown, unknown> | undefined = undefined
  private stopped = false
  /** The transport gave `EndOfStream`. */
  transportEnded = false
  /** At the transport's end: whether TLS had already ended (the peer's `close_notify` came first). */
  closeNotifyFirst = false
  /** The TLS socket reading from this duplex (for the ragged-EOF check). */
  tlsSocket: Duplex | undefined = undefined
  /** While unwrapping: hand TLS one record at a time, keep the rest. */
  recordMode = false
  /** While unwrapping: our `close_notify` must not end the transport. */
  suppressEof = false
  /** Bytes received from the transport and not given to TLS (record mode). */
  private held: Uint8Array | undefined = undefined
  /** Record mode: a record was pushed and TLS has not had a turn to process it yet. */
  private awaitingTls = false

  constructor(transport: AnyByteStream, context: Context.Context<never>) {
    super({ allowHalfOpen: true })
    this.transport = transport
    this.context = Context.add(Context.add(context, CurrentScope, undefined), CurrentTask, undefined)
  }

  private fork<A, E>(effect: Effect.Effect<A, E>): Fiber.Fiber<A, E> {
    return Effect.runForkWith(this.context)(effect)
  }

  override _read(): void {
    if (this.stopped || this.receiving !== undefined || this.awaitingTls) return
    // TLS saw the peer's close_notify: what follows on the transport is not TLS's (unwrap).
    if (this.tlsSocket !== undefined && readableEnded(this.tlsSocket)) return
    if (this.recordMode && this.pushRecord()) return
    const fiber = this.fork(this.transport.receive() as Effect.Effect<Uint8Array, unknown>)
    this.receiving = fiber
    fiber.addObserver((exit) => {
      if (this.receiving === fiber) this.receiving = undefined
      if (this.stopped) {
        // Stopped while the receive completed: keep the bytes for the leftover.
        if (exit._tag === "Success") this.held = concat(this.held, exit.value)
        return
      }
      if (exit._tag === "Success") {
        if (this.recordMode) {
          this.held = concat(this.held, exit.value)
          if (!this.pushRecord()) this._read()
        } else this.push(exit.value)
        return
      }
      const reason = exit.cause.reasons[0]
      const error =
        reason?._tag === "Fail" ? reason.error : reason?._tag === "Die" ? reason.defect : undefined
      if (reason?._tag === "Interrupt") return
      if (isEndOfStream(error)) {
        this.transportEnded = true
        // Let TLS finish with what it was given before looking at its state.
        setImmediate(() => {
          this.closeNotifyFirst = this.tlsSocket !== undefined && readableEnded(this.tlsSocket)
          if (!this.stopped) this.push(null)
        })
        return
      }
      this.destroy(asError(error))
    })
  }

  /**
   * Record mode: pushes the next complete record held, if any, then gives TLS a turn (Node feeds
   * TLS on a later tick) before anything else: once TLS has ended, nothing more is pushed.
   */
  private pushRecord(): boolean {
    const held = this.held
    if (held === undefined) return false
    const n = recordLength(held)
    if (n === 0) return false
    const record = held.subarray(0, n)
    this.held = n === held.length ? undefined : held.subarray(n)
    this.awaitingTls = true
    this.push(record)
    setImmediate(() => {
      this.awaitingTls = false
      if (this.tlsSocket !== undefined && readableEnded(this.tlsSocket)) {
        this.stopped = true
        return
      }
      this._read()
    })
    return true
  }

  override _write(
    chunk: Uint8Array,
    _encoding: BufferEncoding,
    callback: (error?: Error | null) => void
  ): void {
    const data =
      Object.getPrototypeOf(chunk) === Uint8Array.prototype
        ? chunk
        : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    this.fork((this.transport.send as (d: Uint8Array) => Effect.Effect<void, unknown>)(data)).addObserver(
      (exit) => callback(exit._tag === "Success" ? null : asError(exit.cause.reasons[0]))
    )
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.suppressEof || this.stopped) {
      callback()
      return
    }
    this.fork(this.transport.sendEof() as Effect.Effect<void, unknown>).addObserver(() => callback())
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopped = true
    const r = this.receiving
    this.receiving = undefined
    r?.interruptUnsafe()
    callback(error)
  }

  /**
   * Stops reading from the transport (the receive in flight is cancelled, losing nothing) and
   * gives back every byte received from it that TLS did not get.
   */
  stop(): Effect.Effect<Uint8Array> {
    return Effect.suspend(() => {
      this.stopped = true
      const r = this.receiving
      this.receiving = undefined
      const rest = (): Uint8Array => {
        const parts: Array<Uint8Array> = []
        let chunk: Uint8Array | null
        while ((chunk = this.read() as Uint8Array | null) !== null) parts.push(chunk)
        let out: Uint8Array = new Uint8Array(0)
        for (const p of parts) out = concat(out, p)
        if (this.held !== undefined) out = concat(out, this.held)
        this.held = undefined
        return out
      }
      if (r === undefined) return Effect.sync(rest)
      return Effect.map(
        Effect.callback<void>((resume) => {
          r.addObserver(() => resume(Effect.void))
          r.interruptUnsafe()
        }),
        rest
      )
    })
  }
}
