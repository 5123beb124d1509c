/**
 * The machinery under UDP sockets: a `dgram.Socket`'s datagrams queued until received, with
 * AnyIO's rules (checkpoints, one receiver and one sender at a time, `ClosedResourceError` after
 * our close, `BrokenResourceError` when the socket went away without it).
 *
 * ## No datagram dropped in user space
 * Node reads datagrams from the kernel as they arrive and has no public way to stop (no
 * `recvStop`), so a socket nobody receives from would otherwise lose them here or grow without
 * bound. The queue keeps every datagram up to as many bytes as the socket's kernel receive buffer
 * holds (`SO_RCVBUF`, at least 64 KiB): the datagrams the kernel would have kept for a reader that
 * does not read. Beyond that a datagram is dropped, as the kernel drops it when its own buffer is
 * full (counted in `dropped`). AnyIO's asyncio backend keeps at most 100 datagrams.
 *
 * @internal
 */
import type * as dgram from "node:dgram"
import { Effect, Exit } from "effect"
import {
  BrokenResourceError,
  BusyResourceError,
  ClosedResourceError,
  InvalidArgumentError,
  OSError
} from "../../Errors.ts"
import { checkpoint } from "../../Time.ts"
import type { UDPError, UDPPacket } from "../../Udp.ts"
import { textOf } from "../text.ts"
import { osErrorFrom } from "./errors.ts"

type DatagramError = UDPError
type Packet = UDPPacket

const MIN_QUEUE_BYTES = 65536

const asView = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

export class DatagramCore {
  readonly socket: dgram.Socket
  private readonly queue: Array<Packet> = []
  private head = 0
  private queuedBytes = 0
  private readonly limit: number
  /** Datagrams dropped because the queue was full (the kernel's buffer size). */
  dropped = 0
  closed = false
  gone = false
  receiving = false
  sending = false
  private waiter: (() => void) | undefined = undefined
  private readonly take: Effect.Effect<Packet, DatagramError>
  private readonly closedWaiters: Array<() => void> = []
  private closeEmitted = false

  constructor(socket: dgram.Socket) {
    this.socket = socket
    let limit = MIN_QUEUE_BYTES
    try {
      limit = Math.max(limit, socket.getRecvBufferSize())
    } catch {
      // not bound yet: the minimum
    }
    this.limit = limit
    socket.on("message", (msg: Buffer, rinfo: dgram.RemoteInfo) => {
      if (this.queuedBytes + msg.length > this.limit && this.queue.length > this.head) {
        this.dropped++
        return
      }
      this.queue.push([asView(msg), [rinfo.address, rinfo.port]])
      this.queuedBytes += msg.length
      this.waiter?.()
    })
    // ICMP errors (a connected peer's port unreachable, ...) arrive as 'error' events; AnyIO's
    // protocol records them and goes on, so do we (an unhandled 'error' would end the process).
    socket.on("error", () => {})
    socket.on("close", () => {
      this.closeEmitted = true
      this.gone = true
      this.waiter?.()
      for (const w of this.closedWaiters.splice(0)) w()
    })
    this.take = Effect.callback<Packet, DatagramError>((resume) => {
      const now = this.tryTake()
      if (now !== undefined) return resume(now)
      this.waiter = () => {
        const r = this.tryTake()
        if (r === undefined) return
        this.waiter = undefined
        resume(r)
      }
      return Effect.sync(() => {
        this.waiter = undefined
      })
    })
  }

  private tryTake(): Exit.Exit<Packet, DatagramError> | undefined {
    if (this.closed) return Exit.fail(new ClosedResourceError({}))
    if (this.head < this.queue.length) {
      const packet = this.queue[this.head]!
      this.queue[this.head++] = undefined as never
      if (this.head > 64 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head)
        this.head = 0
      }
      this.queuedBytes -= packet[0].byteLength
      return Exit.succeed(packet)
    }
    if (this.gone) return Exit.fail(new BrokenResourceError({ message: "the socket was closed" }))
    return undefined
  }

  receive(): Effect.Effect<Packet, DatagramError> {
    return Effect.suspend(() => {
      if (this.closed) return Exit.fail(new ClosedResourceError({}))
      if (this.receiving) return Exit.fail(new BusyResourceError({ action: "reading from" }))
      this.receiving = true
      return Effect.onExitPrimitive(Effect.andThen(checkpoint(), this.take), () => {
        this.receiving = false
        return undefined
      })
    })
  }

  /** Sends one datagram (to `address`, or to the connected peer); waits until Node has sent it. */
  send(data: Uint8Array, address: readonly [string, number] | undefined): Effect.Effect<void, DatagramError> {
    return Effect.suspend(() => {
      if (!(data instanceof Uint8Array)) {
        throw new InvalidArgumentError({ message: `send() takes a Uint8Array, got ${textOf(data)}` })
      }
      if (this.closed) return Exit.fail(new ClosedResourceError({}))
      if (this.sending) return Exit.fail(new BusyResourceError({ action: "writing to" }))
      this.sending = true
      const send = Effect.callback<void, DatagramError>((resume) => {
        if (this.closed) return resume(Exit.fail(new ClosedResourceError({})))
        if (this.gone) return resume(Exit.fail(new BrokenResourceError({ message: "the socket was closed" })))
        const done = (error: Error | null) => resume(error ? Exit.fail(osErrorFrom(error)) : Exit.void)
        try {
          if (address === undefined) this.socket.send(data, done)
          else this.socket.send(data, address[1], address[0], done)
        } catch (e) {
          resume(Exit.fail(e instanceof OSError ? e : osErrorFrom(e, "EINVAL")))
        }
      })
      return Effect.onExitPrimitive(Effect.andThen(checkpoint(), send), () => {
        this.sending = false
        return undefined
      })
    })
  }

  /** Closes the socket and waits until Node closed it (its port is free when this returns). */
  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.closed) {
        this.closed = true
        this.waiter?.()
        if (!this.gone) {
          try {
            this.socket.close()
          } catch {
            // already closed
          }
        }
      }
      if (this.closeEmitted) return Effect.void
      return Effect.callback<void>((resume) => {
        if (this.closeEmitted) return resume(Effect.void)
        this.closedWaiters.push(() => resume(Effect.void))
      })
    })
  }
}
