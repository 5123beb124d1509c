/**
 * Unix stream sockets: AnyIO's `tests/test_sockets.py::TestUNIXStream` and `TestUNIXListener`
 * ported, for a path and a Linux abstract name (AnyIO's `socket_path` fixture). Not portable:
 * `send_fds`/`receive_fds` (Node has no `SCM_RIGHTS`), non-UTF-8 paths, the socket-type and
 * family checks of `from_socket` on file descriptors.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import {
  BusyResourceError,
  ClosedResourceError,
  ConnectionFailed,
  createTaskGroup,
  failAfter,
  InvalidArgumentError,
  sleepForever,
  TypedAttributeLookupError,
  waitAllTasksBlocked
} from "../src/index.ts"
import { Path } from "../src/Path.ts"
import { SocketAttribute, SocketListener, SocketStream } from "../src/Sockets.ts"
import type { TypedAttribute } from "../src/TypedAttribute.ts"
import { connectUnix, createUnixListener, UNIXConnectable } from "../src/Unix.ts"
import {
  defectOf,
  noLeaks,
  rawConnect,
  readRaw,
  readRawToEnd,
  reversed,
  str,
  text,
  withRawUnixServer,
  withTempDir
} from "./sockets-helpers.ts"

type Kind = "path" | "abstract"

/** AnyIO's `socket_path` fixture: a path in a fresh temporary directory, or an abstract name. */
const withSocketPath = <A, E>(kind: Kind, f: (path: string) => Effect.Effect<A, E>) =>
  withTempDir((dir) => f(kind === "path" ? `${dir}/socket` : `\0${dir}/socket`))

/** AnyIO's `server_sock` fixture: a plain Node Unix server (its connections closed with it). */
const withUnixServer = <A, E>(
  path: string,
  f: (accept: () => Effect.Effect<net.Socket>) => Effect.Effect<A, E>
) => withRawUnixServer(path, (server) => f(server.accept))

for (const kind of ["path", "abstract"] as const) {
  describe(`Unix stream (${kind})`, () => {
    // anyio: TestUNIXStream.test_extra_attributes
    it.live("extra attributes", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, () =>
            Effect.flatMap(connectUnix(path), (stream) =>
              stream.use((s) =>
                Effect.gen(function* () {
                  expect(yield* s.extra(SocketAttribute.rawSocket)).toBeInstanceOf(net.Socket)
                  expect(yield* s.extra(SocketAttribute.family)).toBe("AF_UNIX")
                  expect(yield* s.extra(SocketAttribute.localAddress)).toBe("")
                  expect(yield* s.extra(SocketAttribute.remoteAddress)).toBe(path)
                  expect(yield* Effect.flip(s.extra(SocketAttribute.localPort))).toBeInstanceOf(
                    TypedAttributeLookupError
                  )
                  expect(yield* Effect.flip(s.extra(SocketAttribute.remotePort))).toBeInstanceOf(
                    TypedAttributeLookupError
                  )
                })
              )
            )
          )
        )
      )
    )

    // anyio: TestUNIXStream.test_send_receive
    for (const asPath of [false, true]) {
      it.live(`send and receive (${asPath ? "Path" : "string"})`, () =>
        noLeaks(
          withSocketPath(kind, (path) =>
            withUnixServer(path, (accept) =>
              Effect.flatMap(connectUnix(asPath ? new Path(path) : path), (stream) =>
                stream.use((s) =>
                  Effect.gen(function* () {
                    const client = yield* accept()
                    yield* s.send(text("blah"))
                    client.write(reversed(yield* readRaw(client, 4)))
                    expect(str(yield* s.receive())).toBe("halb")
                    client.destroy()
                  })
                )
              )
            )
          )
        )
      )
    }

    // anyio: TestUNIXStream.test_receive_invalid_max_bytes
    it.live("receive with an invalid maxBytes dies with InvalidArgumentError", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, () =>
            Effect.flatMap(connectUnix(path), (stream) =>
              stream.use((s) =>
                Effect.forEach([0, -1], (n) =>
                  Effect.map(defectOf(s.receive(n)), (d) =>
                    expect((d as InvalidArgumentError).message).toMatch(/maxBytes must be a positive integer/)
                  )
                )
              )
            )
          )
        )
      )
    )

    // anyio: TestUNIXStream.test_receive_large_buffer
    it.live("receives a buffer larger than the kernel's", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, (accept) =>
            Effect.flatMap(connectUnix(path), (stream) =>
              stream.use((s) =>
                Effect.gen(function* () {
                  const buffer = new Uint8Array(1024 * 1024)
                  buffer.fill(0xff, 0, 512 * 1024)
                  const client = yield* accept()
                  client.end(buffer)
                  const parts: Array<Uint8Array> = []
                  let n = 0
                  while (n < buffer.length) {
                    const chunk = yield* s.receive()
                    parts.push(chunk)
                    n += chunk.length
                  }
                  expect(Buffer.concat(parts).equals(buffer)).toBe(true)
                })
              )
            )
          )
        )
      )
    )

    // anyio: TestUNIXStream.test_send_large_buffer
    it.live("sends a buffer larger than the kernel's", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, (accept) =>
            Effect.gen(function* () {
              const buffer = new Uint8Array(1024 * 1024)
              buffer.fill(0xff, 0, 512 * 1024)
              const stream = yield* connectUnix(path)
              const client = yield* accept()
              const received = readRawToEnd(client)
              const [, response] = yield* Effect.all(
                [Effect.ensuring(stream.send(buffer), stream.close()), received],
                { concurrency: 2 }
              )
              expect(Buffer.from(response).equals(buffer)).toBe(true)
              client.destroy()
            })
          )
        )
      )
    )

    // anyio: TestUNIXStream.test_send_eof
    it.live("sendEof, then the peer's reply is read (half-close)", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, (accept) =>
            Effect.flatMap(connectUnix(path), (stream) =>
              stream.use((s) =>
                Effect.gen(function* () {
                  const client = yield* accept()
                  yield* s.send(text("hello, "))
                  yield* s.send(text("world\n"))
                  yield* s.sendEof()
                  client.end(reversed(yield* readRawToEnd(client)))
                  expect(str(yield* s.receive())).toBe("\ndlrow ,olleh")
                })
              )
            )
          )
        )
      )
    )

    // anyio: TestUNIXStream.test_iterate
    it.live("iterates over the chunks until end of stream", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, (accept) =>
            Effect.flatMap(connectUnix(path), (stream) =>
              stream.use((s) =>
                Effect.gen(function* () {
                  const client = yield* accept()
                  client.write("bl")
                  const chunks: Array<string> = []
                  yield* s.runForEach((c) =>
                    Effect.sync(() => {
                      chunks.push(str(c))
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
    )

    // anyio: TestUNIXStream.test_concurrent_send
    it.live("two concurrent sends: the second fails with BusyResourceError", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, (accept) =>
            Effect.flatMap(connectUnix(path), (stream) =>
              stream.use((s) =>
                createTaskGroup((tg) =>
                  Effect.gen(function* () {
                    const client = yield* accept()
                    client.pause()
                    yield* tg.startSoon(Effect.forever(s.send(new Uint8Array(65536))))
                    const raw = (yield* s.extra(SocketAttribute.rawSocket)) as net.Socket
                    let last = -1
                    while (!(raw.writableNeedDrain && raw.bytesWritten === last)) {
                      last = raw.bytesWritten
                      yield* waitAllTasksBlocked()
                    }
                    const e = yield* Effect.flip(s.send(text("foo")))
                    expect(e).toBeInstanceOf(BusyResourceError)
                    expect(e.message).toMatch(/already writing to/)
                    yield* tg.cancel()
                  })
                )
              )
            )
          )
        )
      )
    )

    // anyio: TestUNIXStream.test_concurrent_receive
    it.live("two concurrent receives: the second fails with BusyResourceError", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, () =>
            Effect.flatMap(connectUnix(path), (stream) =>
              stream.use((s) =>
                createTaskGroup((tg) =>
                  Effect.gen(function* () {
                    yield* tg.startSoon(s.receive())
                    yield* waitAllTasksBlocked()
                    const e = yield* Effect.flip(s.receive())
                    expect(e.message).toMatch(/already reading from/)
                    yield* tg.cancel()
                  })
                )
              )
            )
          )
        )
      )
    )

    // anyio: TestUNIXStream.test_close_during_receive
    it.live("close during a receive wakes it with ClosedResourceError", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, () =>
            Effect.flatMap(connectUnix(path), (stream) =>
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
    )

    // anyio: TestUNIXStream.test_close_during_send
    it.live("close during a blocked send wakes it with ClosedResourceError", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, (accept) =>
            Effect.flatMap(connectUnix(path), (stream) =>
              stream.use((s) =>
                Effect.gen(function* () {
                  const client = yield* accept()
                  client.pause()
                  const e = yield* createTaskGroup((tg) =>
                    Effect.gen(function* () {
                      const h = yield* tg.createTask(
                        Effect.flip(Effect.forever(s.send(new Uint8Array(4096))))
                      )
                      const raw = (yield* s.extra(SocketAttribute.rawSocket)) as net.Socket
                      let last = -1
                      while (!(raw.writableNeedDrain && raw.bytesWritten === last)) {
                        last = raw.bytesWritten
                        yield* waitAllTasksBlocked()
                      }
                      yield* s.close()
                      return yield* h.join
                    })
                  )
                  expect(Option.getOrThrow(e)).toBeInstanceOf(ClosedResourceError)
                  client.destroy()
                })
              )
            )
          )
        )
      )
    )

    // anyio: TestUNIXStream.test_close_after_cancelled_io
    for (const operation of ["receive", "send"] as const) {
      it.live(`closing after a cancelled ${operation} works (the handler is cancelled mid-operation)`, () =>
        noLeaks(
          withSocketPath(kind, (path) =>
            Effect.gen(function* () {
              let client: SocketStream | undefined
              const handler = (stream: SocketStream) =>
                createTaskGroup((tg) =>
                  Effect.gen(function* () {
                    const operate =
                      operation === "receive"
                        ? Effect.asVoid(stream.receive())
                        : Effect.forever(stream.send(new Uint8Array(4096)))
                    yield* tg.startSoon(Effect.catchTag(operate, "ClosedResourceError", () => Effect.void))
                    yield* Effect.ensuring(sleepForever(), stream.close())
                  })
                )
              const listener = yield* createUnixListener(path)
              yield* listener.use((l) =>
                createTaskGroup((tg) =>
                  Effect.gen(function* () {
                    yield* tg.startSoon(l.serve(handler))
                    client = yield* connectUnix(path)
                    yield* waitAllTasksBlocked()
                    yield* tg.cancel()
                  })
                )
              )
              yield* client!.close()
            })
          )
        )
      )
    }

    // anyio: TestUNIXStream.test_receive_after_close
    // anyio: TestUNIXStream.test_send_after_close
    it.live("receive and send after close fail with ClosedResourceError", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, () =>
            Effect.gen(function* () {
              const stream = yield* connectUnix(path)
              yield* stream.close()
              expect(yield* Effect.flip(stream.receive())).toBeInstanceOf(ClosedResourceError)
              expect(yield* Effect.flip(stream.send(text("foo")))).toBeInstanceOf(ClosedResourceError)
            })
          )
        )
      )
    )

    // anyio: TestUNIXStream.test_cannot_connect
    it.live("nothing at the path: ConnectionFailed (ENOENT; ECONNREFUSED for an abstract name)", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          Effect.gen(function* () {
            const e = yield* Effect.flip(connectUnix(path))
            expect(e).toBeInstanceOf(ConnectionFailed)
            expect(e.code).toBe(kind === "path" ? "ENOENT" : "ECONNREFUSED")
          })
        )
      )
    )

    // anyio: TestUNIXStream.test_connecting_using_bytes
    it.live("connects with a path given as bytes", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, () => Effect.flatMap(connectUnix(text(path)), (s) => s.close()))
        )
      )
    )

    // anyio: TestUNIXStream.test_from_socket
    it.live("fromSocket wraps a connected Unix net.Socket", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          withUnixServer(path, () =>
            Effect.gen(function* () {
              const raw = yield* rawConnect({ path })
              const stream = yield* SocketStream.fromSocket(raw)
              expect(yield* stream.extra(SocketAttribute.family)).toBe("AF_UNIX")
              yield* stream.close()
            })
          )
        )
      )
    )
  })

  describe(`Unix listener (${kind})`, () => {
    // anyio: TestUNIXListener.test_extra_attributes
    it.live("extra attributes", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          Effect.flatMap(createUnixListener(path), (listener) =>
            listener.use((l) =>
              Effect.gen(function* () {
                expect(yield* l.extra(SocketAttribute.rawSocket)).toBeInstanceOf(net.Server)
                expect(yield* l.extra(SocketAttribute.family)).toBe("AF_UNIX")
                expect(yield* l.extra(SocketAttribute.localAddress)).toBe(path)
                const absent: ReadonlyArray<TypedAttribute<unknown>> = [
                  SocketAttribute.localPort,
                  SocketAttribute.remoteAddress,
                  SocketAttribute.remotePort
                ]
                for (const attr of absent) {
                  expect(yield* Effect.flip(l.extra(attr))).toBeInstanceOf(TypedAttributeLookupError)
                }
              })
            )
          )
        )
      )
    )

    // anyio: TestUNIXListener.test_accept
    for (const asPath of [false, true]) {
      it.live(`accept (${asPath ? "Path" : "string"})`, () =>
        noLeaks(
          withSocketPath(kind, (path) =>
            Effect.flatMap(createUnixListener(asPath ? new Path(path) : path), (listener) =>
              listener.use((l) =>
                Effect.gen(function* () {
                  const client = yield* rawConnect({ path })
                  const stream = yield* l.accept()
                  client.write("blah")
                  const request = yield* stream.receive()
                  yield* stream.send(reversed(request))
                  expect(str(yield* readRaw(client, 4))).toBe("halb")
                  expect(yield* stream.extra(SocketAttribute.localAddress)).toBe(path)
                  expect(yield* stream.extra(SocketAttribute.family)).toBe("AF_UNIX")
                  client.destroy()
                  yield* stream.close()
                })
              )
            )
          )
        )
      )
    }

    // anyio: TestUNIXListener.test_send_after_eof
    it.live("the handler's reply reaches a client that already shut down its write side", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          Effect.flatMap(createUnixListener(path), (listener) =>
            listener.use((l) =>
              createTaskGroup((tg) =>
                Effect.gen(function* () {
                  yield* tg.startSoon(l.serve((stream) => stream.send(text("Hello\n"))))
                  yield* waitAllTasksBlocked()
                  const client = yield* rawConnect({ path })
                  client.end()
                  expect(str(yield* failAfter(1, readRaw(client, 6)))).toBe("Hello\n")
                  client.destroy()
                  yield* tg.cancel()
                })
              )
            )
          )
        )
      )
    )

    // anyio: TestUNIXListener.test_bind_twice
    it.live("binding the same path twice works (the old socket file is removed)", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          Effect.gen(function* () {
            for (let i = 0; i < 2; i++) yield* Effect.flatMap(createUnixListener(path), (l) => l.close())
          })
        )
      )
    )

    // anyio: TestUNIXListener.test_listening_bytes_path
    it.live("listens on a path given as bytes", () =>
      noLeaks(
        withSocketPath(kind, (path) => Effect.flatMap(createUnixListener(text(path)), (l) => l.close()))
      )
    )

    // anyio: TestUNIXListener.test_from_socket
    it.live("fromServer wraps a listening Unix net.Server", () =>
      noLeaks(
        withSocketPath(kind, (path) =>
          Effect.gen(function* () {
            const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true })
            yield* Effect.promise(() => new Promise<void>((r) => server.listen({ path }, () => r())))
            const listener = yield* SocketListener.fromServer(server)
            yield* listener.use((l) =>
              Effect.gen(function* () {
                expect(yield* l.extra(SocketAttribute.family)).toBe("AF_UNIX")
                const local = yield* l.extra(SocketAttribute.localAddress)
                expect(typeof local).toBe("string")
                const client = yield* rawConnect({ path: local as string })
                const stream = yield* l.accept()
                expect(yield* stream.extra(SocketAttribute.family)).toBe("AF_UNIX")
                yield* stream.close()
                client.destroy()
              })
            )
          })
        )
      )
    )
  })
}

describe("Unix sockets, module level", () => {
  it.live("a stale socket file left by a dead server is removed; other files are not", () =>
    noLeaks(
      withTempDir((dir) =>
        Effect.gen(function* () {
          const path = `${dir}/stale.sock`
          // A socket file with nobody behind it: bind with a raw server, then drop its handle
          // without letting Node unlink the path.
          fs.mkdirSync(`${dir}/x`)
          const keep = `${dir}/x/regular`
          fs.writeFileSync(keep, "data")
          yield* Effect.promise(
            () =>
              new Promise<void>((r) => {
                const s = net.createServer()
                s.listen({ path }, () => {
                  fs.renameSync(path, `${path}.tmp`)
                  s.close(() => {
                    fs.renameSync(`${path}.tmp`, path)
                    r()
                  })
                })
              })
          )
          expect(fs.statSync(path).isSocket()).toBe(true)
          yield* Effect.flatMap(createUnixListener(path, { mode: 0o600 }), (l) =>
            Effect.gen(function* () {
              expect(fs.statSync(path).mode & 0o777).toBe(0o600)
              yield* l.close()
            })
          )
          const e = yield* Effect.flip(createUnixListener(keep))
          expect(e.code).toBe("EADDRINUSE")
          expect(fs.readFileSync(keep, "utf8")).toBe("data")
        })
      )
    )
  )

  it.live("bad paths die with InvalidArgumentError before any socket exists", () =>
    noLeaks(
      Effect.gen(function* () {
        const long = `/tmp/${"x".repeat(120)}`
        const tooLong = (yield* defectOf(connectUnix(long))) as InvalidArgumentError
        expect(tooLong).toBeInstanceOf(InvalidArgumentError)
        expect(tooLong.message).toMatch(/AF_UNIX path too long/)
        expect(yield* defectOf(createUnixListener(long))).toBeInstanceOf(InvalidArgumentError)
        expect(yield* defectOf(connectUnix(""))).toBeInstanceOf(InvalidArgumentError)
        expect(yield* defectOf(connectUnix("/tmp/a\0b"))).toBeInstanceOf(InvalidArgumentError)
        expect(yield* defectOf(connectUnix(Uint8Array.of(0x2f, 0xff)))).toBeInstanceOf(InvalidArgumentError)
        expect(yield* defectOf(connectUnix(42 as never))).toBeInstanceOf(InvalidArgumentError)
        expect(yield* defectOf(createUnixListener("/tmp/ok.sock", { mode: 0o10000 }))).toBeInstanceOf(
          InvalidArgumentError
        )
      })
    )
  )

  // anyio: test_unix_connectable
  it.live("UNIXConnectable connects with connectUnix", () =>
    noLeaks(
      withTempDir((dir) =>
        Effect.gen(function* () {
          const path = `${dir}/s`
          const listener = yield* createUnixListener(path)
          const stream = yield* new UNIXConnectable(path).connect()
          yield* stream.close()
          yield* listener.close()
          const e = yield* Effect.flip(new UNIXConnectable(path).connect())
          expect(e.message).toMatch(/^error connecting to /)
        })
      )
    )
  )
})
