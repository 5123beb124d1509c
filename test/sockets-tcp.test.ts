/**
 * TCP streams and happy eyeballs: AnyIO's `tests/test_sockets.py::TestTCPStream` ported (the
 * server side is a plain `node:net` server where AnyIO uses a plain socket in a thread), plus the
 * regression tests for the traps of the I/O facts doc.
 *
 * Also: regression tests for the socket traps of the I/O facts doc (shared/docs/effect-v4-io-facts.md,
 * "TCP / Unix sockets") on connections made by our own listener and `connectTcp`, and the bad-input
 * rules (a clear typed error, no socket left open).
 */
import * as dgram from "node:dgram"
import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  BrokenResourceError,
  BusyResourceError,
  ClosedResourceError,
  ConnectionFailed,
  createTaskGroup,
  EndOfStream,
  InvalidArgumentError,
  moveOnAfter,
  OSError,
  waitAllTasksBlocked
} from "../src/index.ts"
import { SocketAttribute, type SocketListener, SocketStream } from "../src/Sockets.ts"
import { connectTcp, createTcpListener, TCPConnectable } from "../src/Tcp.ts"
import {
  defectOf,
  fakeLocalhost,
  families,
  freeTcpPort,
  loopback,
  noLeaks,
  readRaw,
  readRawToEnd,
  reversed,
  settle,
  str,
  text,
  withRawServer
} from "./sockets-helpers.ts"

/** Waits until a socket's writes stopped moving (its sender is parked on a full buffer). */
const untilSenderBlocked = (socket: net.Socket) =>
  Effect.gen(function* () {
    let last = -1
    while (!(socket.writableNeedDrain && socket.bytesWritten === last)) {
      last = socket.bytesWritten
      yield* settle(5)
    }
  })

for (const family of families) {
  const host = loopback(family)
  describe(`TCP stream (${family})`, () => {
    // anyio: TestTCPStream.test_extra_attributes
    it.live("extra attributes", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.gen(function* () {
            const stream = yield* connectTcp(host, server.port)
            yield* stream.use((s) =>
              Effect.gen(function* () {
                const raw = (yield* s.extra(SocketAttribute.rawSocket)) as net.Socket
                expect(raw).toBeInstanceOf(net.Socket)
                expect(yield* s.extra(SocketAttribute.family)).toBe(family)
                expect(yield* s.extra(SocketAttribute.localAddress)).toEqual([
                  raw.localAddress,
                  raw.localPort
                ])
                expect(yield* s.extra(SocketAttribute.localPort)).toBe(raw.localPort)
                expect(yield* s.extra(SocketAttribute.remoteAddress)).toEqual([host, server.port])
                expect(yield* s.extra(SocketAttribute.remotePort)).toBe(server.port)
              })
            )
            // Still readable after the close (AnyIO's getsockname would fail; the values do not change).
            expect(yield* stream.extra(SocketAttribute.remotePort)).toBe(server.port)
          })
        )
      )
    )

    // anyio: TestTCPStream.test_send_receive
    it.live("send and receive", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.gen(function* () {
            const response = yield* Effect.flatMap(connectTcp(host, server.port), (stream) =>
              stream.use((s) =>
                Effect.gen(function* () {
                  const client = yield* server.accept()
                  yield* s.send(text("blah"))
                  const request = yield* readRaw(client, 4)
                  client.write(reversed(request))
                  const response = yield* s.receive()
                  client.destroy()
                  return response
                })
              )
            )
            expect(str(response)).toBe("halb")
          })
        )
      )
    )

    // anyio: TestTCPStream.test_receive_invalid_max_bytes
    it.live("receive with an invalid maxBytes dies with InvalidArgumentError", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.flatMap(connectTcp(host, server.port), (stream) =>
            stream.use((s) =>
              Effect.gen(function* () {
                for (const maxBytes of [0, -1]) {
                  const d = yield* defectOf(s.receive(maxBytes))
                  expect(d).toBeInstanceOf(InvalidArgumentError)
                  expect((d as InvalidArgumentError).message).toMatch(/maxBytes must be a positive integer/)
                }
              })
            )
          )
        )
      )
    )

    // anyio: TestTCPStream.test_send_large_buffer
    it.live("receives a buffer larger than the kernel's", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.flatMap(connectTcp(host, server.port), (stream) =>
            stream.use((s) =>
              Effect.gen(function* () {
                const buffer = new Uint8Array(1024 * 1024).fill(0xff)
                const client = yield* server.accept()
                client.end(buffer)
                let n = 0
                while (n < buffer.length) {
                  const chunk = yield* s.receive()
                  expect(chunk.every((b) => b === 0xff)).toBe(true)
                  n += chunk.length
                }
                expect(n).toBe(buffer.length)
              })
            )
          )
        )
      )
    )

    // anyio: TestTCPStream.test_send_eof
    it.live("sendEof, then the peer's reply is read (half-close)", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.flatMap(connectTcp(host, server.port), (stream) =>
            stream.use((s) =>
              Effect.gen(function* () {
                const client = yield* server.accept()
                yield* s.send(text("hello, "))
                yield* s.send(text("world\n"))
                yield* s.sendEof()
                const request = yield* readRawToEnd(client)
                client.end(reversed(request))
                expect(str(yield* s.receive())).toBe("\ndlrow ,olleh")
                expect(yield* Effect.flip(s.receive())).toBeInstanceOf(EndOfStream)
              })
            )
          )
        )
      )
    )

    // anyio: TestTCPStream.test_iterate
    it.live("iterates over the chunks until end of stream", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.flatMap(connectTcp(host, server.port), (stream) =>
            stream.use((s) =>
              Effect.gen(function* () {
                const client = yield* server.accept()
                client.write("bl")
                const chunks: Array<string> = []
                yield* s.runForEach((chunk) =>
                  Effect.sync(() => {
                    chunks.push(str(chunk))
                    if (chunks.length === 1) client.end("ah")
                  })
                )
                expect(chunks).toEqual(["bl", "ah"])
              })
            )
          )
        )
      )
    )

    // anyio: TestTCPStream.test_connect_tcp_with_local_port
    it.live("binds the local port given", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.gen(function* () {
            const port = yield* freeTcpPort(host)
            const stream = yield* connectTcp(host, server.port, { localHost: host, localPort: port })
            yield* stream.use((s) =>
              Effect.map(s.extra(SocketAttribute.localPort), (p) => expect(p).toBe(port))
            )
          })
        )
      )
    )

    // anyio: TestTCPStream.test_receive_timeout
    it.live("a receive is cancelled by moveOnAfter", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.flatMap(connectTcp(host, server.port), (stream) =>
            stream.use((s) =>
              Effect.gen(function* () {
                const start = Date.now()
                yield* moveOnAfter(0.05, Effect.forever(s.receive(1)))
                expect(Date.now() - start).toBeLessThan(1000)
              })
            )
          )
        )
      )
    )

    // anyio: TestTCPStream.test_concurrent_send
    // Variant: the server never reads, and the test waits until the sender is parked on a full
    // kernel buffer (waitAllTasksBlocked is not exact with real I/O: a sender still flowing could
    // start its next send after ours took the guard).
    it.live("two concurrent sends: the second fails with BusyResourceError", () =>
      noLeaks(
        withRawServer(
          host,
          (server) =>
            Effect.flatMap(connectTcp(host, server.port), (stream) =>
              stream.use((s) =>
                createTaskGroup((tg) =>
                  Effect.gen(function* () {
                    yield* tg.startSoon(Effect.forever(s.send(new Uint8Array(65536))))
                    yield* untilSenderBlocked((yield* s.extra(SocketAttribute.rawSocket)) as net.Socket)
                    const e = yield* Effect.flip(s.send(text("foo")))
                    expect(e).toBeInstanceOf(BusyResourceError)
                    expect(e.message).toMatch(/already writing to/)
                    yield* tg.cancel()
                  })
                )
              )
            ),
          { pauseOnConnect: true }
        )
      )
    )

    // anyio: TestTCPStream.test_concurrent_receive
    it.live("two concurrent receives: the second fails with BusyResourceError", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.flatMap(connectTcp(host, server.port), (stream) =>
            stream.use((s) =>
              createTaskGroup((tg) =>
                Effect.gen(function* () {
                  yield* tg.startSoon(s.receive())
                  yield* waitAllTasksBlocked()
                  const e = yield* Effect.flip(s.receive())
                  expect(e).toBeInstanceOf(BusyResourceError)
                  expect(e.message).toMatch(/already reading from/)
                  yield* tg.cancel()
                })
              )
            )
          )
        )
      )
    )

    // anyio: TestTCPStream.test_close_during_receive
    it.live("close during a receive wakes it with ClosedResourceError", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.flatMap(connectTcp(host, server.port), (stream) =>
            stream.use((s) =>
              createTaskGroup((tg) =>
                Effect.gen(function* () {
                  yield* tg.startSoon(Effect.andThen(waitAllTasksBlocked(), s.close()))
                  expect(yield* Effect.flip(s.receive())).toBeInstanceOf(ClosedResourceError)
                })
              )
            )
          )
        )
      )
    )

    // anyio: TestTCPStream.test_receive_after_close
    // anyio: TestTCPStream.test_send_after_close
    it.live("receive and send after close fail with ClosedResourceError", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.gen(function* () {
            const stream = yield* connectTcp(host, server.port)
            yield* stream.close()
            expect(yield* Effect.flip(stream.receive())).toBeInstanceOf(ClosedResourceError)
            expect(yield* Effect.flip(stream.send(text("foo")))).toBeInstanceOf(ClosedResourceError)
          })
        )
      )
    )

    // anyio: TestTCPStream.test_receive_after_peer_closed
    it.live("receive after the peer closed: EndOfStream, then ClosedResourceError after our close", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.gen(function* () {
            const stream = yield* connectTcp(host, server.port)
            yield* stream.use((s) =>
              Effect.gen(function* () {
                const client = yield* server.accept()
                client.destroy()
                expect(yield* Effect.flip(s.receive(1))).toBeInstanceOf(EndOfStream)
              })
            )
            expect(yield* Effect.flip(stream.receive(1))).toBeInstanceOf(ClosedResourceError)
          })
        )
      )
    )

    // anyio: TestTCPStream.test_send_after_peer_closed
    it.live("send after the peer closed fails with BrokenResourceError instead of hanging", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.gen(function* () {
            const stream = yield* connectTcp(host, server.port)
            yield* stream.use((s) =>
              Effect.gen(function* () {
                const client = yield* server.accept()
                client.destroy()
                const e = yield* Effect.flip(
                  Effect.gen(function* () {
                    for (let i = 0; i < 1000; i++) yield* s.send(text("foo"))
                  })
                )
                expect(e).toBeInstanceOf(BrokenResourceError)
              })
            )
            expect(yield* Effect.flip(stream.send(text("foo")))).toBeInstanceOf(ClosedResourceError)
          })
        )
      )
    )

    // anyio: TestTCPStream.test_receive_exception_cause_preserved
    it.live("a reset gives BrokenResourceError with the Node error as cause", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.flatMap(connectTcp(host, server.port), (stream) =>
            stream.use((s) =>
              Effect.gen(function* () {
                const client = yield* server.accept()
                client.resetAndDestroy()
                const e = yield* Effect.flip(s.receive())
                expect(e).toBeInstanceOf(BrokenResourceError)
                expect((e as BrokenResourceError).cause).toMatchObject({ code: "ECONNRESET" })
              })
            )
          )
        )
      )
    )

    // anyio: TestTCPStream.test_send_exception_cause_preserved
    it.live("send after a reset fails with BrokenResourceError with the Node error as cause", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.flatMap(connectTcp(host, server.port), (stream) =>
            stream.use((s) =>
              Effect.gen(function* () {
                const client = yield* server.accept()
                client.resetAndDestroy()
                const e = yield* Effect.flip(
                  Effect.gen(function* () {
                    for (let i = 0; i < 1000; i++) yield* s.send(text("foo"))
                  })
                )
                expect(e).toBeInstanceOf(BrokenResourceError)
                expect((e as BrokenResourceError).cause).toBeDefined()
              })
            )
          )
        )
      )
    )

    // anyio: TestTCPStream.test_unretrieved_future_exception_server_crash
    it.live("the server closing with unread data resets the connection: BrokenResourceError", () =>
      noLeaks(
        withRawServer(
          host,
          (server) =>
            Effect.flatMap(connectTcp(host, server.port), (stream) =>
              stream.use((s) =>
                Effect.gen(function* () {
                  // The server never reads (paused), so closing it with "GET" unread sends a reset.
                  const client = yield* server.accept()
                  yield* s.send(text("GET"))
                  yield* settle()
                  client.destroy()
                  expect(yield* Effect.flip(s.receive())).toBeInstanceOf(BrokenResourceError)
                })
              )
            ),
          { pauseOnConnect: true }
        )
      )
    )

    // anyio: TestTCPStream.test_from_socket
    it.live("fromSocket wraps a connected net.Socket", () =>
      noLeaks(
        withRawServer(host, (server) =>
          Effect.gen(function* () {
            const raw = yield* Effect.promise(
              () =>
                new Promise<net.Socket>((resolve) => {
                  const s = net.connect({ host, port: server.port }, () => resolve(s))
                })
            )
            const stream = yield* SocketStream.fromSocket(raw)
            yield* stream.use((s) =>
              Effect.map(s.extra(SocketAttribute.family), (f) => expect(f).toBe(family))
            )
            expect(raw.destroyed).toBe(true)
          })
        )
      )
    )
  })
}

describe("TCP stream, module level", () => {
  // anyio: TestTCPStream.test_from_socket_not_a_socket
  // anyio: TestTCPStream.test_from_socket_wrong_socket_type
  // anyio: TestTCPStream.test_from_socket_not_connected
  it.live(
    "fromSocket dies with InvalidArgumentError for a non-socket, a UDP socket, an unconnected socket",
    () =>
      Effect.gen(function* () {
        const notASocket = yield* defectOf(SocketStream.fromSocket("foo" as never))
        expect(notASocket).toBeInstanceOf(InvalidArgumentError)
        expect((notASocket as InvalidArgumentError).message).toMatch(/expected a net.Socket, got foo/)
        const udp = dgram.createSocket("udp4")
        const wrongType = yield* defectOf(SocketStream.fromSocket(udp as never))
        udp.close()
        expect(wrongType).toBeInstanceOf(InvalidArgumentError)
        const unconnected = yield* defectOf(SocketStream.fromSocket(new net.Socket()))
        expect((unconnected as InvalidArgumentError).message).toMatch(/the socket must be connected/)
      })
  )

  // anyio: TestTCPStream.test_happy_eyeballs
  for (const [localAddr, expected] of [
    ["::", "::1"],
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"]
  ] as const) {
    it.live(`happy eyeballs: localhost prefers IPv6 (server on ${JSON.stringify(localAddr)})`, () =>
      noLeaks(
        withRawServer(localAddr, (server) =>
          Effect.gen(function* () {
            const stream = yield* fakeLocalhost(connectTcp("localhost", server.port))
            const client = yield* server.accept()
            yield* stream.close()
            expect(client.remoteAddress).toBe(expected)
          })
        )
      )
    )
  }

  // anyio: TestTCPStream.test_connection_refused
  it.live("connection refused, one address: ConnectionFailed with the OSError as cause", () =>
    noLeaks(
      Effect.gen(function* () {
        const port = yield* freeTcpPort()
        const e = yield* Effect.flip(connectTcp("127.0.0.1", port))
        expect(e).toBeInstanceOf(ConnectionFailed)
        expect(e.message).toMatch(/All connection attempts failed/)
        expect(e.code).toBe("ECONNREFUSED")
        expect(e.cause).toBeInstanceOf(OSError)
        expect((e.cause as OSError).kind).toBe("ConnectionRefusedError")
      })
    )
  )

  // anyio: TestTCPStream.test_connection_refused
  it.live("connection refused, several addresses: the cause is an AggregateError of every attempt", () =>
    noLeaks(
      Effect.gen(function* () {
        const port = yield* freeTcpPort()
        const e = yield* Effect.flip(fakeLocalhost(connectTcp("localhost", port)))
        expect(e.message).toMatch(/All connection attempts failed/)
        expect(e.cause).toBeInstanceOf(AggregateError)
        const errors = (e.cause as AggregateError).errors
        expect(errors).toHaveLength(2)
        for (const err of errors) expect(err).toMatchObject({ code: "ECONNREFUSED" })
      })
    )
  )

  // anyio: test_connect_tcp_getaddrinfo_context
  it.live("a name that does not resolve: ConnectionFailed with the resolver's OSError", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(fakeLocalhost(connectTcp("anyio.invalid", 6666)))
      expect(e).toBeInstanceOf(ConnectionFailed)
      expect(e.code).toBe("ENOTFOUND")
      expect(e.cause).toBeInstanceOf(OSError)
    })
  )

  // anyio: test_tcp_connectable
  it.live("TCPConnectable connects with connectTcp", () =>
    noLeaks(
      withRawServer("127.0.0.1", (server) =>
        Effect.gen(function* () {
          const stream = yield* new TCPConnectable("127.0.0.1", server.port).connect()
          yield* stream.close()
          const port = yield* freeTcpPort()
          const e = yield* Effect.flip(new TCPConnectable("127.0.0.1", port).connect())
          expect(e.message).toMatch(/^error connecting to 127.0.0.1:\d+: /)
          expect(() => new TCPConnectable("localhost", 0)).toThrow(/TCP port number out of range/)
          expect(() => new TCPConnectable("localhost", 65536)).toThrow(InvalidArgumentError)
        })
      )
    )
  )
})

/** A connected pair of our own socket streams (client from connectTcp, server from accept). */
const pair = <A, E>(f: (client: SocketStream, server: SocketStream) => Effect.Effect<A, E>) =>
  Effect.flatMap(createTcpListener({ localHost: "127.0.0.1" }), (multi) =>
    multi.use((m) =>
      Effect.gen(function* () {
        const port = yield* m.extra(SocketAttribute.localPort)
        const client = yield* connectTcp("127.0.0.1", port)
        const listener = m.listeners[0] as SocketListener
        const server = yield* listener.accept()
        return yield* Effect.ensuring(f(client, server), Effect.andThen(client.close(), server.close()))
      })
    )
  )

describe("socket traps", () => {
  it.live("send after the peer closed fails with BrokenResourceError, it does not hang", () =>
    noLeaks(
      pair((client, server) =>
        Effect.gen(function* () {
          yield* server.close()
          const e = yield* Effect.flip(Effect.forever(client.send(new Uint8Array(16384))))
          expect(e).toBeInstanceOf(BrokenResourceError)
        })
      )
    )
  )

  it.live(
    "two concurrent receives: the second fails with BusyResourceError, the first still gets the data",
    () =>
      noLeaks(
        pair((client, server) =>
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              const first = yield* tg.createTask(client.receive())
              yield* waitAllTasksBlocked()
              expect(yield* Effect.flip(client.receive())).toBeInstanceOf(BusyResourceError)
              yield* server.send(text("data"))
              expect(str(yield* first.join)).toBe("data")
            })
          )
        )
      )
  )

  it.live("a reset gives BrokenResourceError (with ECONNRESET as cause) to a parked receiver", () =>
    noLeaks(
      pair((client, server) =>
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            const receiving = yield* tg.createTask(Effect.flip(client.receive()))
            yield* waitAllTasksBlocked()
            const raw = (yield* server.extra(SocketAttribute.rawSocket)) as net.Socket
            raw.resetAndDestroy()
            const e = yield* receiving.join
            expect(e).toBeInstanceOf(BrokenResourceError)
            expect((e as BrokenResourceError).cause).toMatchObject({ code: "ECONNRESET" })
          })
        )
      )
    )
  )

  it.live("sendEof, then the peer's reply is read (half-close both ways)", () =>
    noLeaks(
      pair((client, server) =>
        Effect.gen(function* () {
          yield* client.send(text("question"))
          yield* client.sendEof()
          let request = ""
          yield* server.runForEach((c) => Effect.sync(() => void (request += str(c))))
          expect(request).toBe("question")
          yield* server.send(text("answer"))
          yield* server.sendEof()
          let reply = ""
          yield* client.runForEach((c) => Effect.sync(() => void (reply += str(c))))
          expect(reply).toBe("answer")
          expect(yield* Effect.flip(client.receive())).toBeInstanceOf(EndOfStream)
        })
      )
    )
  )

  it.live("a cancelled receive loses no bytes, also when the data arrives as it is cancelled", () =>
    noLeaks(
      pair((client, server) =>
        Effect.gen(function* () {
          const expected: Array<number> = []
          const received: Array<number> = []
          for (let i = 0; i < 50; i++) {
            yield* createTaskGroup((tg) =>
              Effect.gen(function* () {
                const h = yield* tg.createTask(client.receive())
                yield* waitAllTasksBlocked()
                // The byte is on its way while the receive is cancelled: it must not vanish.
                yield* server.send(Uint8Array.of(i))
                expected.push(i)
                if (i % 2 === 0) yield* h.cancel()
                const r = yield* Effect.exit(h.join)
                if (r._tag === "Success") received.push(...r.value)
              })
            )
            if (received.length < expected.length) received.push(...(yield* client.receive()))
          }
          expect(received).toEqual(expected)
        })
      )
    )
  )
})

describe("bad input: clear errors, no socket left open", () => {
  it.live("connectTcp: ports out of range, bad hosts, bad options die with InvalidArgumentError", () =>
    noLeaks(
      Effect.gen(function* () {
        for (const bad of [
          connectTcp("127.0.0.1", 0),
          connectTcp("127.0.0.1", 65536),
          connectTcp("127.0.0.1", -1),
          connectTcp("127.0.0.1", 80.5),
          connectTcp("127.0.0.1", "80" as never),
          connectTcp("", 80),
          connectTcp(undefined as never, 80),
          connectTcp("127.0.0.1", 80, { localHost: "127.0.0.1", localPort: 70000 }),
          connectTcp("127.0.0.1", 80, { localPort: 1234 }),
          connectTcp("127.0.0.1", 80, { happyEyeballsDelay: -1 }),
          connectTcp("127.0.0.1", 80, { happyEyeballsDelay: Number.NaN })
        ]) {
          const d = yield* defectOf(bad)
          expect(d).toBeInstanceOf(InvalidArgumentError)
          expect((d as InvalidArgumentError).message.length).toBeGreaterThan(10)
        }
      })
    )
  )

  it.live("send of a non-byte payload dies with InvalidArgumentError; the stream stays usable", () =>
    noLeaks(
      pair((client, server) =>
        Effect.gen(function* () {
          for (const payload of ["text", 42, null, [1, 2, 3], new ArrayBuffer(4)]) {
            const d = yield* defectOf(client.send(payload as never))
            expect(d).toBeInstanceOf(InvalidArgumentError)
            expect((d as InvalidArgumentError).message).toMatch(/send\(\) takes a Uint8Array/)
          }
          yield* client.send(text("ok"))
          expect(str(yield* server.receive())).toBe("ok")
        })
      )
    )
  )
})
