import * as net from "node:net"
import { PassThrough } from "node:stream"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option } from "effect"
import {
  BrokenResourceError,
  BusyResourceError,
  ClosedResourceError,
  createTaskGroup,
  EndOfStream,
  InvalidArgumentError,
  waitAllTasksBlocked
} from "../src/index.ts"
import { fromDuplex, fromReadable, fromWritable } from "../src/internal/nodeStream.ts"

const bytes = (...xs: Array<number>) => new Uint8Array(xs)
const text = (s: string) => new TextEncoder().encode(s)
const str = (b: Uint8Array) => new TextDecoder().decode(b)

/** A connected pair of loopback TCP sockets (half-open allowed), closed after `f`. */
const socketPair = <A, E>(f: (client: net.Socket, server: net.Socket) => Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.promise(
      () =>
        new Promise<{ srv: net.Server; client: net.Socket; server: net.Socket }>((resolve, reject) => {
          const srv = net.createServer({ allowHalfOpen: true })
          srv.once("error", reject)
          srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo
            srv.once("connection", (server) => resolve({ srv, client, server }))
            const client = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true })
          })
        })
    ),
    ({ client, server }) => f(client, server),
    ({ srv, client, server }) =>
      Effect.promise(() => {
        client.destroy()
        server.destroy()
        return new Promise<void>((resolve) => srv.close(() => resolve()))
      })
  )

describe("Node stream adapter", () => {
  it.live("echo over loopback; receive(maxBytes) keeps the rest for the next call", () =>
    socketPair((c, s) =>
      Effect.gen(function* () {
        const client = fromDuplex(c)
        const server = fromDuplex(s)
        yield* client.send(text("hello world"))
        const first = yield* server.receive(5)
        expect(str(first)).toBe("hello")
        let rest = ""
        while (rest.length < 6) rest += str(yield* server.receive())
        expect(rest).toBe(" world")
        expect(Object.getPrototypeOf(first)).toBe(Uint8Array.prototype)
      })
    )
  )

  it.live(
    "sendEof, then the peer's reply is still read (half-close); EndOfStream on every later receive",
    () =>
      socketPair((c, s) =>
        Effect.gen(function* () {
          const client = fromDuplex(c)
          const server = fromDuplex(s)
          yield* client.send(text("ping"))
          yield* client.sendEof()
          let got = ""
          while (true) {
            const r = yield* Effect.exit(server.receive())
            if (Exit.isFailure(r)) {
              expect(Cause.squash(r.cause)).toBeInstanceOf(EndOfStream)
              break
            }
            got += str(r.value)
          }
          expect(got).toBe("ping")
          expect(yield* Effect.flip(server.receive())).toBeInstanceOf(EndOfStream)
          yield* server.send(text("pong"))
          yield* server.sendEof()
          expect(str(yield* client.receive())).toBe("pong")
          expect(yield* Effect.flip(client.receive())).toBeInstanceOf(EndOfStream)
          expect(yield* Effect.flip(client.receive())).toBeInstanceOf(EndOfStream)
          expect(yield* Effect.flip(client.send(text("x")))).toBeInstanceOf(ClosedResourceError)
        })
      )
  )

  it.live("send after the peer went away fails with BrokenResourceError instead of hanging", () =>
    socketPair((c, s) =>
      Effect.gen(function* () {
        const client = fromDuplex(c)
        s.destroy()
        const err = yield* Effect.flip(
          Effect.gen(function* () {
            // The first writes may still be accepted by the kernel; the reset then breaks the stream.
            for (let i = 0; i < 1000; i++) yield* client.send(new Uint8Array(65536))
          })
        )
        expect(err).toBeInstanceOf(BrokenResourceError)
      })
    )
  )

  it.live("a reset gives BrokenResourceError to a parked receiver", () =>
    socketPair((c, s) =>
      Effect.gen(function* () {
        const client = fromDuplex(c)
        const err = yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            const h = yield* tg.createTask(Effect.flip(client.receive()))
            yield* waitAllTasksBlocked()
            s.resetAndDestroy()
            return yield* h.join
          })
        )
        expect(Option.getOrThrow(err)).toBeInstanceOf(BrokenResourceError)
        expect(yield* Effect.flip(client.receive())).toBeInstanceOf(BrokenResourceError)
      })
    )
  )

  it.live("a cancelled receive loses no bytes", () =>
    Effect.gen(function* () {
      const pt = new PassThrough()
      const r = fromReadable(pt)
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const h = yield* tg.createTask(r.receive())
          yield* waitAllTasksBlocked()
          yield* h.cancel()
          yield* Effect.exit(h.join)
        })
      )
      pt.write(bytes(1, 2, 3))
      expect(Array.from(yield* r.receive())).toEqual([1, 2, 3])
      yield* r.close()
    })
  )

  it.live("two concurrent receives: the second fails with BusyResourceError", () =>
    Effect.gen(function* () {
      const pt = new PassThrough()
      const r = fromReadable(pt)
      const err = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(r.receive())
          yield* waitAllTasksBlocked()
          const e = yield* Effect.flip(r.receive())
          pt.write(bytes(9))
          return e
        })
      )
      expect(Option.getOrThrow(err)).toBeInstanceOf(BusyResourceError)
      yield* r.close()
    })
  )

  it.live("close wakes a parked receiver with ClosedResourceError; later calls fail the same way", () =>
    Effect.gen(function* () {
      const pt = new PassThrough()
      const r = fromReadable(pt)
      const err = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const h = yield* tg.createTask(Effect.flip(r.receive()))
          yield* waitAllTasksBlocked()
          yield* r.close()
          return yield* h.join
        })
      )
      expect(Option.getOrThrow(err)).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(r.receive())).toBeInstanceOf(ClosedResourceError)
      yield* r.close()
      expect(pt.destroyed).toBe(true)
    })
  )

  it.live("send waits for drain under backpressure, and goes on when the reader reads", () =>
    Effect.gen(function* () {
      // The reader's queue takes up to 64 KiB before it pauses the stream; past that (and Node's
      // two 16-byte buffers) the sender must wait.
      const pt = new PassThrough({ highWaterMark: 16 })
      const w = fromWritable(pt)
      const r = fromReadable(pt)
      const size = 8192
      let sent = 0
      const received = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              for (let i = 0; i < 20; i++) {
                yield* w.send(new Uint8Array(size).fill(i))
                sent++
              }
              pt.end()
            })
          )
          yield* waitAllTasksBlocked()
          expect(sent).toBeGreaterThan(0)
          expect(sent * size).toBeLessThanOrEqual(65536 + 2 * size)
          let n = 0
          let last = -1
          yield* r.runForEach((chunk) =>
            Effect.sync(() => {
              n += chunk.byteLength
              expect(chunk[0]).toBeGreaterThanOrEqual(last)
              last = chunk[chunk.byteLength - 1]!
            })
          )
          return n
        })
      )
      expect(received).toEqual(Option.some(20 * size))
      expect(sent).toBe(20)
    })
  )

  it.live("a reader that does not read holds a bounded amount; the rest waits in the kernel", () =>
    socketPair((c, s) =>
      Effect.gen(function* () {
        const client = fromDuplex(c)
        const server = fromDuplex(s)
        const total = 8 * 1024 * 1024
        const sender = Effect.gen(function* () {
          for (let i = 0; i < total / 65536; i++) yield* client.send(new Uint8Array(65536).fill(i & 255))
        })
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(sender)
            yield* Effect.sleep("50 millis")
            // Our queue (64 KiB) plus Node's readable buffer (its high-water mark) at most.
            expect(server.readSide.queued).toBeGreaterThan(0)
            expect(server.readSide.queued).toBeLessThan(server.readSide.limit + 65536)
            expect(s.readableLength).toBeLessThanOrEqual(s.readableHighWaterMark + 65536)
            let n = 0
            while (n < total) {
              const chunk = yield* server.receive()
              expect(chunk[0]).toBe(Math.floor(n / 65536) & 255)
              n += chunk.byteLength
            }
            expect(n).toBe(total)
          })
        )
      })
    )
  )

  it.live("bad maxBytes and non-byte payloads are InvalidArgumentError defects; nothing consumed", () =>
    Effect.gen(function* () {
      const pt = new PassThrough()
      const r = fromReadable(pt)
      const w = fromWritable(pt)
      yield* w.send(bytes(1, 2))
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        const exit = yield* Effect.exit(r.receive(bad))
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBeInstanceOf(InvalidArgumentError)
      }
      const exit = yield* Effect.exit(w.send("x" as unknown as Uint8Array))
      expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBeInstanceOf(InvalidArgumentError)
      expect(Array.from(yield* r.receive())).toEqual([1, 2])
      yield* r.close()
    })
  )
})
