/**
 * TCP listeners, `serve` and `MultiListener`: AnyIO's `tests/test_sockets.py::TestTCPListener`
 * and `test_multi_listener` ported, plus our `serve` rules (handlers are tasks of a group, the
 * listener closes with `serve`).
 */
import * as net from "node:net"
import * as os from "node:os"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  ClosedResourceError,
  createTaskGroup,
  EndOfStream,
  Event,
  ExceptionGroup,
  failAfter,
  InvalidArgumentError,
  sleepForever,
  TypedAttributeLookupError,
  waitAllTasksBlocked
} from "../src/index.ts"
import { MultiListener } from "../src/MultiListener.ts"
import {
  type IPAddressFamily,
  type SockAddr,
  SocketAttribute,
  SocketListener,
  type SocketStream
} from "../src/Sockets.ts"
import { connectTcp, createTcpListener } from "../src/Tcp.ts"
import { connectUnix, createUnixListener } from "../src/Unix.ts"
import {
  defectOf,
  fakeLocalhost,
  families,
  freeTcpPort,
  noLeaks,
  rawConnect,
  readRaw,
  readRawToEnd,
  str,
  text,
  withTempDir
} from "./sockets-helpers.ts"

const localAddressOf = (listener: { extra: SocketListener["extra"] }) =>
  Effect.map(listener.extra(SocketAttribute.localAddress), (a) => a as readonly [string, number])

for (const family of families) {
  describe(`TCP listener (${family})`, () => {
    // anyio: TestTCPListener.test_extra_attributes
    it.live("extra attributes", () =>
      noLeaks(
        Effect.gen(function* () {
          const multi = yield* fakeLocalhost(createTcpListener({ localHost: "localhost", family }))
          yield* multi.use((m) =>
            Effect.gen(function* () {
              expect(yield* m.extra(SocketAttribute.family)).toBe(family)
              expect(m.listeners).toHaveLength(1)
              for (const listener of m.listeners) {
                const raw = (yield* listener.extra(SocketAttribute.rawSocket)) as net.Server
                const info = raw.address() as net.AddressInfo
                expect(yield* listener.extra(SocketAttribute.family)).toBe(family)
                expect(yield* listener.extra(SocketAttribute.localAddress)).toEqual([info.address, info.port])
                expect(yield* listener.extra(SocketAttribute.localPort)).toBe(info.port)
                expect(yield* Effect.flip(listener.extra(SocketAttribute.remoteAddress))).toBeInstanceOf(
                  TypedAttributeLookupError
                )
                expect(yield* Effect.flip(listener.extra(SocketAttribute.remotePort))).toBeInstanceOf(
                  TypedAttributeLookupError
                )
              }
            })
          )
        })
      )
    )

    // anyio: TestTCPListener.test_accept_after_close
    it.live("accept after close fails with ClosedResourceError", () =>
      noLeaks(
        Effect.gen(function* () {
          const multi = yield* fakeLocalhost(createTcpListener({ localHost: "localhost", family }))
          yield* multi.use((m) =>
            Effect.forEach(m.listeners, (listener) =>
              Effect.gen(function* () {
                yield* listener.close()
                expect(yield* Effect.flip((listener as SocketListener).accept())).toBeInstanceOf(
                  ClosedResourceError
                )
              })
            )
          )
        })
      )
    )

    // anyio: TestTCPListener.test_reuse_port
    it.live("reusePort: two listeners on one port", () =>
      noLeaks(
        Effect.gen(function* () {
          const multi1 = yield* fakeLocalhost(
            createTcpListener({ localHost: "localhost", family, reusePort: true })
          )
          expect(multi1.listeners).toHaveLength(1)
          const port = yield* multi1.listeners[0]!.extra(SocketAttribute.localPort)
          const multi2 = yield* fakeLocalhost(
            createTcpListener({ localHost: "localhost", localPort: port, family, reusePort: true })
          )
          expect(multi2.listeners).toHaveLength(1)
          expect(yield* multi1.listeners[0]!.extra(SocketAttribute.localAddress)).toEqual(
            yield* multi2.listeners[0]!.extra(SocketAttribute.localAddress)
          )
          yield* multi1.close()
          yield* multi2.close()
        })
      )
    )

    // anyio: TestTCPListener.test_close_from_other_task
    it.live("closing the listener while it serves: nested ExceptionGroups of ClosedResourceError", () =>
      noLeaks(
        Effect.gen(function* () {
          const listener = yield* fakeLocalhost(createTcpListener({ localHost: "localhost", family }))
          const e = yield* Effect.flip(
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(listener.serve(() => Effect.void))
                yield* waitAllTasksBlocked()
                yield* listener.close()
                yield* waitAllTasksBlocked()
                yield* tg.cancel()
              })
            )
          )
          expect(e).toBeInstanceOf(ExceptionGroup)
          expect(e.exceptions).toHaveLength(1)
          const nested = e.exceptions[0] as ExceptionGroup
          expect(nested).toBeInstanceOf(ExceptionGroup)
          expect(nested.exceptions).toHaveLength(1)
          expect(nested.exceptions[0]).toBeInstanceOf(ExceptionGroup)
          expect((nested.exceptions[0] as ExceptionGroup).exceptions[0]).toBeInstanceOf(ClosedResourceError)
        })
      )
    )

    // anyio: TestTCPListener.test_send_after_eof
    it.live("the handler's reply reaches a client that already shut down its write side", () =>
      noLeaks(
        Effect.gen(function* () {
          const multi = yield* fakeLocalhost(createTcpListener({ family, localHost: "localhost" }))
          yield* multi.use((m) =>
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(m.serve((stream) => stream.send(text("Hello\n"))))
                yield* waitAllTasksBlocked()
                const [host, port] = yield* localAddressOf(m)
                const client = yield* rawConnect({ host, port })
                client.end()
                const message = yield* failAfter(1, readRaw(client, 6))
                expect(str(message)).toBe("Hello\n")
                client.destroy()
                yield* tg.cancel()
              })
            )
          )
        })
      )
    )

    // anyio: TestTCPListener.test_eof_after_send
    it.live("the handler reads the client's data, then EndOfStream", () =>
      noLeaks(
        Effect.gen(function* () {
          let received = ""
          const multi = yield* fakeLocalhost(createTcpListener({ family, localHost: "localhost" }))
          yield* multi.use((m) =>
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                const [host, port] = yield* localAddressOf(m)
                const client = yield* rawConnect({ host, port })
                client.end("Hello")
                yield* m.serve((stream) =>
                  Effect.gen(function* () {
                    received = str(yield* stream.receive())
                    expect(yield* Effect.flip(failAfter(1, stream.receive()))).toBeInstanceOf(EndOfStream)
                    client.destroy()
                    yield* tg.cancel()
                  })
                )
              })
            )
          )
          expect(received).toBe("Hello")
        })
      )
    )

    // anyio: TestTCPListener.test_from_socket
    // anyio: TestTCPListener.test_from_socket_not_bound
    it.live("fromServer wraps a listening net.Server; one not listening dies", () =>
      noLeaks(
        Effect.gen(function* () {
          const host = family === "AF_INET" ? "127.0.0.1" : "::1"
          const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true })
          yield* Effect.promise(() => new Promise<void>((r) => server.listen(0, host, () => r())))
          const listener = yield* SocketListener.fromServer(server)
          yield* listener.use((l) =>
            Effect.gen(function* () {
              expect(yield* l.extra(SocketAttribute.family)).toBe(family)
              const port = yield* l.extra(SocketAttribute.localPort)
              const client = yield* rawConnect({ host, port })
              const stream = yield* l.accept()
              client.end("x")
              expect(str(yield* stream.receive())).toBe("x")
              yield* stream.close()
              client.destroy()
            })
          )
          const d = yield* defectOf(SocketListener.fromServer(net.createServer()))
          expect((d as InvalidArgumentError).message).toMatch(/the socket must be bound/)
        })
      )
    )
  })
}

describe("TCP listener, module level", () => {
  // anyio: TestTCPListener.test_accept
  for (const family of ["AF_INET", "AF_INET6", "AF_UNSPEC"] as const) {
    it.live(`accept on every listener (family ${family})`, () =>
      noLeaks(
        Effect.gen(function* () {
          const multi = yield* fakeLocalhost(createTcpListener({ localHost: "localhost", family }))
          expect(multi.listeners).toHaveLength(family === "AF_UNSPEC" ? 2 : 1)
          yield* multi.use((m) =>
            Effect.forEach(m.listeners, (listener) =>
              Effect.gen(function* () {
                const [host, port] = yield* localAddressOf(listener)
                const client = yield* rawConnect({ host, port })
                const stream = yield* (listener as SocketListener).accept()
                client.write("blah")
                const request = yield* stream.receive()
                yield* stream.send(Uint8Array.from(request).reverse())
                expect(str(yield* readRaw(client, 4))).toBe("halb")
                client.destroy()
                yield* stream.close()
              })
            )
          )
        })
      )
    )
  }

  // anyio: TestTCPListener.test_tcp_listener_same_port
  const cases: ReadonlyArray<readonly [string | undefined, "AF_UNSPEC" | IPAddressFamily, number, boolean]> =
    [
      [undefined, "AF_UNSPEC", 1, false],
      ["localhost", "AF_UNSPEC", 2, false],
      ["localhost", "AF_INET", 1, false],
      ["::", "AF_UNSPEC", 1, false],
      ["127.0.0.1", "AF_INET", 1, false],
      ["::1", "AF_INET6", 1, false],
      [undefined, "AF_UNSPEC", 1, true],
      ["localhost", "AF_UNSPEC", 2, true],
      ["localhost", "AF_INET", 1, true]
    ]
  for (const [localHost, family, expected, fixedPort] of cases) {
    it.live(
      `one port for every listener: ${localHost ?? "(any)"} ${family}${fixedPort ? " on a given port" : ""}`,
      () =>
        noLeaks(
          Effect.gen(function* () {
            const localPort = fixedPort ? yield* freeTcpPort() : 0
            const multi = yield* fakeLocalhost(createTcpListener({ localHost, family, localPort }))
            yield* multi.use((m) =>
              Effect.gen(function* () {
                const ports = new Set(
                  yield* Effect.forEach(m.listeners, (l) => l.extra(SocketAttribute.localPort))
                )
                expect(ports.size).toBe(1)
                if (localPort !== 0) expect([...ports]).toEqual([localPort])
                expect(m.listeners).toHaveLength(expected)
              })
            )
          })
        )
    )
  }

  // anyio: TestTCPListener.test_bind_link_local
  const linkLocal = Object.entries(os.networkInterfaces()).flatMap(([name, list]) =>
    (list ?? [])
      .filter((a) => a.family === "IPv6" && a.address.startsWith("fe80::"))
      .map((a) => `${a.address}%${name}`)
  )[0]
  it.live.skipIf(linkLocal === undefined)("binds a link-local IPv6 address with a scope", () =>
    noLeaks(Effect.flatMap(createTcpListener({ localHost: linkLocal! }), (multi) => multi.close()))
  )

  it.live("bad options die with InvalidArgumentError before anything is bound", () =>
    noLeaks(
      Effect.gen(function* () {
        for (const options of [
          { localPort: 70000 },
          { localPort: -1 },
          { localPort: 1.5 },
          { family: "AF_UNIX" as const },
          { family: "AF_BOGUS" as never },
          { backlog: -1 },
          { localHost: "" }
        ]) {
          expect(yield* defectOf(createTcpListener(options))).toBeInstanceOf(InvalidArgumentError)
        }
      })
    )
  )

  it.live("a port in use: OSError EADDRINUSE", () =>
    noLeaks(
      Effect.gen(function* () {
        const first = yield* createTcpListener({ localHost: "127.0.0.1" })
        const port = yield* first.extra(SocketAttribute.localPort)
        const e = yield* Effect.flip(createTcpListener({ localHost: "127.0.0.1", localPort: port }))
        expect(e.code).toBe("EADDRINUSE")
        yield* first.close()
      })
    )
  )
})

describe("serve", () => {
  const withListener = <A, E>(f: (multi: MultiListener<SocketStream>, port: number) => Effect.Effect<A, E>) =>
    Effect.flatMap(createTcpListener({ localHost: "127.0.0.1" }), (multi) =>
      multi.use((m) => Effect.flatMap(m.extra(SocketAttribute.localPort), (port) => f(m, port)))
    )

  it.live("a handler's failure fails serve with it (an ExceptionGroup) and closes the listener", () =>
    noLeaks(
      withListener((multi, port) =>
        Effect.gen(function* () {
          const client = yield* rawConnect({ host: "127.0.0.1", port })
          const e = yield* Effect.flip(multi.serve(() => Effect.fail("handler failed" as const)))
          expect(e).toBeInstanceOf(ExceptionGroup)
          expect(JSON.stringify(e.leaves().map((l) => l.exception))).toBe('["handler failed"]')
          expect(yield* Effect.flip((multi.listeners[0] as SocketListener).accept())).toBeInstanceOf(
            ClosedResourceError
          )
          // The handler's stream was closed: the client sees the end.
          expect(yield* readRawToEnd(client)).toHaveLength(0)
          client.destroy()
        })
      )
    )
  )

  it.live("serve(handler, taskGroup): the handlers are tasks of that group, their failure goes to it", () =>
    noLeaks(
      withListener((multi, port) =>
        Effect.gen(function* () {
          const e = yield* Effect.flip(
            createTaskGroup((tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(multi.serve(() => Effect.fail("boom" as const), tg))
                yield* waitAllTasksBlocked()
                const client = yield* rawConnect({ host: "127.0.0.1", port })
                yield* sleepForever().pipe(Effect.ensuring(Effect.sync(() => client.destroy())))
              })
            )
          )
          expect(e.leaves().map((l) => l.exception)).toEqual(["boom"])
        })
      )
    )
  )

  it.live("cancelling serve cancels the handlers, closes their streams and the listener", () =>
    noLeaks(
      withListener((multi, port) =>
        Effect.gen(function* () {
          const handlerRunning = new Event()
          let handlerCancelled = false
          const client = yield* rawConnect({ host: "127.0.0.1", port })
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                // The flag is set around the whole handler: Event.set may switch to the waiter at once.
                multi.serve(() =>
                  Effect.andThen(handlerRunning.set(), sleepForever()).pipe(
                    Effect.onInterrupt(() => Effect.sync(() => (handlerCancelled = true)))
                  )
                )
              )
              yield* handlerRunning.wait()
              yield* tg.cancel()
            })
          )
          expect(handlerCancelled).toBe(true)
          expect(yield* readRawToEnd(client)).toHaveLength(0)
          client.destroy()
          const e = yield* Effect.flip((multi.listeners[0] as SocketListener).accept())
          expect(e).toBeInstanceOf(ClosedResourceError)
        })
      )
    )
  )

  it.live("two concurrent accepts: the second fails with BusyResourceError", () =>
    noLeaks(
      withListener((multi) =>
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            const listener = multi.listeners[0] as SocketListener
            yield* tg.startSoon(listener.accept())
            yield* waitAllTasksBlocked()
            const e = yield* Effect.flip(listener.accept())
            expect(e._tag).toBe("BusyResourceError")
            expect(e.message).toMatch(/already accepting connections from/)
            yield* tg.cancel()
          })
        )
      )
    )
  )
})

// anyio: test_multi_listener
it.live("MultiListener serves a TCP and a Unix listener with one handler", () =>
  noLeaks(
    withTempDir((dir) =>
      Effect.gen(function* () {
        const clientAddresses: Array<SockAddr> = []
        const expectedAddresses: Array<SockAddr> = []
        let event = new Event()
        const tcp = yield* createTcpListener({ localHost: "127.0.0.1" })
        const unix = yield* createUnixListener(`${dir}/socket`)
        const multi = new MultiListener<SocketStream>([tcp, unix])
        expect(tcp.listeners).toHaveLength(0)
        yield* multi.use((m) =>
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                m.serve((stream) =>
                  Effect.gen(function* () {
                    clientAddresses.push(yield* stream.extra(SocketAttribute.remoteAddress))
                    yield* event.set()
                  })
                )
              )
              for (const listener of m.listeners) {
                event = new Event()
                const local = yield* listener.extra(SocketAttribute.localAddress)
                const stream =
                  typeof local === "string"
                    ? yield* connectUnix(local)
                    : yield* connectTcp("127.0.0.1", local[1])
                expectedAddresses.push(yield* stream.extra(SocketAttribute.localAddress))
                yield* event.wait()
                yield* stream.close()
              }
              yield* tg.cancel()
            })
          )
        )
        expect(clientAddresses).toEqual(expectedAddresses)
      })
    )
  )
)

it.live("examples/echo-server.ts: three clients get their lines back upper-cased", () =>
  noLeaks(
    Effect.gen(function* () {
      const { echoDemo } = yield* Effect.promise(() => import("../examples/echo-server.ts"))
      const lines: Array<string> = []
      yield* echoDemo((l) => lines.push(l))
      expect(lines.map((l) => l.replace(/ \(port \d+\)/, ""))).toEqual([
        "ann: HELLO FROM ANN",
        "bob: HELLO FROM BOB",
        "cy: HELLO FROM CY"
      ])
    })
  )
)
