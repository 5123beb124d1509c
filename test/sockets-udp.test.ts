/**
 * UDP: AnyIO's `tests/test_sockets.py::TestUDPSocket` and `TestConnectedUDPSocket` ported
 * ("localhost" resolves to both loopback addresses through `fakeLocalhost`, as AnyIO's tests
 * expect), plus our queue rule: no datagram dropped while nobody receives.
 */
import * as dgram from "node:dgram"
import * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  BusyResourceError,
  ClosedResourceError,
  createTaskGroup,
  InvalidArgumentError,
  TypedAttributeLookupError,
  waitAllTasksBlocked
} from "../src/index.ts"
import { type IPSockAddr, SocketAttribute } from "../src/Sockets.ts"
import {
  ConnectedUDPSocket,
  createConnectedUdpSocket,
  createUdpSocket,
  type UDPError,
  UDPSocket
} from "../src/Udp.ts"
import {
  defectOf,
  fakeLocalhost,
  families,
  loopback,
  noLeaks,
  reversed,
  str,
  text
} from "./sockets-helpers.ts"

/** A UDP port that was free a moment ago (AnyIO's `free_udp_port`). */
const freeUdpPort = (host: string) =>
  Effect.promise(
    () =>
      new Promise<number>((resolve) => {
        const s = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4")
        s.bind(0, host, () => {
          const { port } = s.address()
          s.close(() => resolve(port))
        })
      })
  )

const bound = (family: "AF_INET" | "AF_INET6", port: number, connectTo?: dgram.Socket) =>
  Effect.promise(
    () =>
      new Promise<dgram.Socket>((resolve) => {
        const s = dgram.createSocket({ type: family === "AF_INET" ? "udp4" : "udp6", reuseAddr: true })
        s.bind(port, loopback(family), () => {
          if (connectTo === undefined) return resolve(s)
          const peer = connectTo.address()
          s.connect(peer.port, peer.address, () => resolve(s))
        })
      })
  )

for (const family of families) {
  const host = loopback(family)
  describe(`UDP socket (${family})`, () => {
    // anyio: TestUDPSocket.test_aclose_waits_for_fd_release
    it.live("close frees the port before it returns", () =>
      noLeaks(
        Effect.gen(function* () {
          const port = yield* freeUdpPort(host)
          for (let i = 0; i < 2; i++) {
            const udp = yield* UDPSocket.fromSocket(yield* bound(family, port))
            yield* udp.close()
          }
        })
      )
    )

    // anyio: TestUDPSocket.test_extra_attributes
    it.live("extra attributes", () =>
      noLeaks(
        Effect.flatMap(fakeLocalhost(createUdpSocket(family, { localHost: "localhost" })), (udp) =>
          udp.use((u) =>
            Effect.gen(function* () {
              const raw = (yield* u.extra(SocketAttribute.rawSocket)) as dgram.Socket
              expect(raw).toBeInstanceOf(dgram.Socket)
              expect(yield* u.extra(SocketAttribute.family)).toBe(family)
              expect(yield* u.extra(SocketAttribute.localAddress)).toEqual([
                raw.address().address,
                raw.address().port
              ])
              expect(yield* u.extra(SocketAttribute.localPort)).toBe(raw.address().port)
              expect(yield* Effect.flip(u.extra(SocketAttribute.remoteAddress))).toBeInstanceOf(
                TypedAttributeLookupError
              )
              expect(yield* Effect.flip(u.extra(SocketAttribute.remotePort))).toBeInstanceOf(
                TypedAttributeLookupError
              )
            })
          )
        )
      )
    )

    // anyio: TestUDPSocket.test_send_receive
    it.live("send and receive", () =>
      noLeaks(
        Effect.flatMap(fakeLocalhost(createUdpSocket(family, { localHost: "localhost" })), (udp) =>
          udp.use((sock) =>
            Effect.gen(function* () {
              const [h, p] = (yield* sock.extra(SocketAttribute.localAddress)) as IPSockAddr
              yield* sock.sendto(text("blah"), h, p)
              const [request, addr] = yield* sock.receive()
              expect(str(request)).toBe("blah")
              expect(addr).toEqual(yield* sock.extra(SocketAttribute.localAddress))
              yield* sock.sendto(text("halb"), h, p)
              const [response, addr2] = yield* sock.receive()
              expect(str(response)).toBe("halb")
              expect(addr2).toEqual([h, p])
            })
          )
        )
      )
    )

    // anyio: TestUDPSocket.test_iterate
    it.live("iterates over the packets", () =>
      noLeaks(
        Effect.gen(function* () {
          const server = yield* fakeLocalhost(createUdpSocket(family, { localHost: "localhost" }))
          const client = yield* fakeLocalhost(createUdpSocket(family, { localHost: "localhost" }))
          const [h, p] = (yield* server.extra(SocketAttribute.localAddress)) as IPSockAddr
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                server.runForEach(([packet, addr]) => server.send([reversed(packet), addr]))
              )
              yield* client.sendto(text("FOOBAR"), h, p)
              const [r1, a1] = yield* client.receive()
              expect([str(r1), a1]).toEqual(["RABOOF", [h, p]])
              yield* client.sendto(text("123456"), h, p)
              expect(str((yield* client.receive())[0])).toBe("654321")
              yield* tg.cancel()
            })
          )
          yield* client.close()
          yield* server.close()
        })
      )
    )

    // anyio: TestUDPSocket.test_reuse_port
    it.live("reusePort: two sockets on one port", () =>
      noLeaks(
        Effect.gen(function* () {
          const udp = yield* fakeLocalhost(
            createUdpSocket(family, { localHost: "localhost", reusePort: true })
          )
          const port = yield* udp.extra(SocketAttribute.localPort)
          expect(port).not.toBe(0)
          const udp2 = yield* fakeLocalhost(
            createUdpSocket(family, { localHost: "localhost", localPort: port, reusePort: true })
          )
          expect(yield* udp2.extra(SocketAttribute.localPort)).toBe(port)
          yield* udp2.close()
          yield* udp.close()
        })
      )
    )

    // anyio: TestUDPSocket.test_create_unbound_socket
    it.live("a socket of a family alone is bound to a free port", () =>
      noLeaks(
        Effect.flatMap(createUdpSocket(family), (udp) =>
          udp.use((u) =>
            Effect.map(u.extra(SocketAttribute.localAddress), (a) =>
              expect((a as IPSockAddr)[1]).toBeGreaterThan(0)
            )
          )
        )
      )
    )

    // anyio: TestUDPSocket.test_from_socket
    it.live("fromSocket wraps a bound dgram.Socket", () =>
      noLeaks(
        Effect.gen(function* () {
          const udp = yield* UDPSocket.fromSocket(yield* bound(family, 0))
          expect(yield* udp.extra(SocketAttribute.family)).toBe(family)
          yield* udp.close()
        })
      )
    )
  })

  describe(`connected UDP socket (${family})`, () => {
    // anyio: TestConnectedUDPSocket.test_aclose_waits_for_fd_release
    it.live("close frees the port before it returns", () =>
      noLeaks(
        Effect.gen(function* () {
          const peer = yield* bound(family, 0)
          const port = yield* freeUdpPort(host)
          for (let i = 0; i < 2; i++) {
            const udp = yield* ConnectedUDPSocket.fromSocket(yield* bound(family, port, peer))
            yield* udp.close()
          }
          yield* Effect.promise(() => new Promise<void>((r) => peer.close(() => r())))
        })
      )
    )

    // anyio: TestConnectedUDPSocket.test_extra_attributes
    it.live("extra attributes", () =>
      noLeaks(
        Effect.flatMap(fakeLocalhost(createConnectedUdpSocket("localhost", 5000, { family })), (udp) =>
          udp.use((u) =>
            Effect.gen(function* () {
              const raw = (yield* u.extra(SocketAttribute.rawSocket)) as dgram.Socket
              expect(yield* u.extra(SocketAttribute.family)).toBe(family)
              expect(yield* u.extra(SocketAttribute.localAddress)).toEqual([
                raw.address().address,
                raw.address().port
              ])
              expect(yield* u.extra(SocketAttribute.localPort)).toBe(raw.address().port)
              expect(yield* u.extra(SocketAttribute.remoteAddress)).toEqual([
                raw.remoteAddress().address,
                raw.remoteAddress().port
              ])
              expect(yield* u.extra(SocketAttribute.remotePort)).toBe(5000)
            })
          )
        )
      )
    )

    // anyio: TestConnectedUDPSocket.test_send_receive
    it.live("send and receive", () =>
      noLeaks(
        Effect.gen(function* () {
          const udp1 = yield* fakeLocalhost(createUdpSocket(family, { localHost: "localhost" }))
          const [h1, p1] = (yield* udp1.extra(SocketAttribute.localAddress)) as IPSockAddr
          const udp2 = yield* fakeLocalhost(
            createConnectedUdpSocket(h1, p1, { localHost: "localhost", family })
          )
          const [h2, p2] = (yield* udp2.extra(SocketAttribute.localAddress)) as IPSockAddr
          yield* udp2.send(text("blah"))
          const [request, addr] = yield* udp1.receive()
          expect([str(request), addr]).toEqual(["blah", [h2, p2]])
          yield* udp1.sendto(text("halb"), h2, p2)
          expect(str(yield* udp2.receive())).toBe("halb")
          yield* udp2.close()
          yield* udp1.close()
        })
      )
    )

    // anyio: TestConnectedUDPSocket.test_iterate
    it.live("iterates over the datagrams", () =>
      noLeaks(
        Effect.gen(function* () {
          const udp1 = yield* fakeLocalhost(createUdpSocket(family, { localHost: "localhost" }))
          const [h1, p1] = (yield* udp1.extra(SocketAttribute.localAddress)) as IPSockAddr
          const udp2 = yield* createConnectedUdpSocket(h1, p1)
          const [h2, p2] = (yield* udp2.extra(SocketAttribute.localAddress)) as IPSockAddr
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(udp2.runForEach((packet) => udp2.send(reversed(packet))))
              yield* udp1.sendto(text("FOOBAR"), h2, p2)
              const [r1, a1] = yield* udp1.receive()
              expect([str(r1), a1]).toEqual(["RABOOF", [h2, p2]])
              yield* udp1.sendto(text("123456"), h2, p2)
              expect(str((yield* udp1.receive())[0])).toBe("654321")
              yield* tg.cancel()
            })
          )
          yield* udp2.close()
          yield* udp1.close()
        })
      )
    )

    // anyio: TestConnectedUDPSocket.test_reuse_port
    it.live("reusePort: two connected sockets on one local port", () =>
      noLeaks(
        Effect.gen(function* () {
          const udp = yield* fakeLocalhost(
            createConnectedUdpSocket("localhost", 6000, { family, localHost: "localhost", reusePort: true })
          )
          const port = yield* udp.extra(SocketAttribute.localPort)
          const udp2 = yield* fakeLocalhost(
            createConnectedUdpSocket("localhost", 6001, {
              family,
              localHost: "localhost",
              localPort: port,
              reusePort: true
            })
          )
          expect(yield* udp2.extra(SocketAttribute.localPort)).toBe(port)
          yield* udp2.close()
          yield* udp.close()
        })
      )
    )

    // anyio: TestConnectedUDPSocket.test_receive_after_close
    // anyio: TestConnectedUDPSocket.test_send_after_close
    it.live("receive and send after close fail with ClosedResourceError", () =>
      noLeaks(
        Effect.gen(function* () {
          const udp = yield* fakeLocalhost(
            createConnectedUdpSocket("localhost", 5000, { localHost: "localhost", family })
          )
          yield* udp.close()
          expect(yield* Effect.flip(udp.receive())).toBeInstanceOf(ClosedResourceError)
          expect(yield* Effect.flip(udp.send(text("foo")))).toBeInstanceOf(ClosedResourceError)
        })
      )
    )

    // anyio: TestConnectedUDPSocket.test_from_socket
    it.live("fromSocket wraps a connected dgram.Socket", () =>
      noLeaks(
        Effect.gen(function* () {
          const peer = yield* bound(family, 0)
          const udp = yield* ConnectedUDPSocket.fromSocket(yield* bound(family, 0, peer))
          expect(yield* udp.extra(SocketAttribute.family)).toBe(family)
          yield* udp.close()
          yield* Effect.promise(() => new Promise<void>((r) => peer.close(() => r())))
        })
      )
    )
  })
}

describe("UDP, module level", () => {
  // anyio: TestUDPSocket.test_concurrent_receive
  // anyio: TestConnectedUDPSocket.test_concurrent_receive
  it.live("two concurrent receives: the second fails with BusyResourceError", () =>
    noLeaks(
      Effect.gen(function* () {
        const udp = yield* fakeLocalhost(createUdpSocket("AF_INET", { localHost: "localhost" }))
        const cudp = yield* fakeLocalhost(
          createConnectedUdpSocket("localhost", 5000, { localHost: "localhost", family: "AF_INET" })
        )
        const receivers: ReadonlyArray<() => Effect.Effect<unknown, UDPError>> = [
          () => udp.receive(),
          () => cudp.receive()
        ]
        for (const receive of receivers) {
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(receive())
              yield* waitAllTasksBlocked()
              const e = yield* Effect.flip(receive())
              expect(e).toBeInstanceOf(BusyResourceError)
              expect(e.message).toMatch(/already reading from/)
              yield* tg.cancel()
            })
          )
        }
        yield* udp.close()
        yield* cudp.close()
      })
    )
  )

  // anyio: TestUDPSocket.test_close_during_receive
  // anyio: TestConnectedUDPSocket.test_close_during_receive
  it.live("close during a receive wakes it with ClosedResourceError", () =>
    noLeaks(
      Effect.gen(function* () {
        const udp = yield* fakeLocalhost(createUdpSocket("AF_INET", { localHost: "localhost" }))
        const cudp = yield* fakeLocalhost(
          createConnectedUdpSocket("localhost", 5000, { localHost: "localhost", family: "AF_INET" })
        )
        for (const s of [udp, cudp]) {
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(Effect.andThen(waitAllTasksBlocked(), s.close()))
              expect(
                yield* Effect.flip(s.receive() as Effect.Effect<unknown, ClosedResourceError>)
              ).toBeInstanceOf(ClosedResourceError)
            })
          )
        }
      })
    )
  )

  // anyio: TestUDPSocket.test_receive_after_close
  // anyio: TestUDPSocket.test_send_after_close
  it.live("receive and sendto after close fail with ClosedResourceError", () =>
    noLeaks(
      Effect.gen(function* () {
        const udp = yield* fakeLocalhost(createUdpSocket("AF_INET", { localHost: "localhost" }))
        const [h, p] = (yield* udp.extra(SocketAttribute.localAddress)) as IPSockAddr
        yield* udp.close()
        expect(yield* Effect.flip(udp.receive())).toBeInstanceOf(ClosedResourceError)
        expect(yield* Effect.flip(udp.sendto(text("foo"), h, p))).toBeInstanceOf(ClosedResourceError)
      })
    )
  )

  // anyio: TestUDPSocket.test_from_socket_wrong_socket_type
  // anyio: TestConnectedUDPSocket.test_from_socket_wrong_socket_type
  // anyio: TestConnectedUDPSocket.test_from_socket_not_connected
  it.live("fromSocket dies with InvalidArgumentError for a TCP socket or an unconnected socket", () =>
    noLeaks(
      Effect.gen(function* () {
        expect(yield* defectOf(UDPSocket.fromSocket(new net.Socket() as never))).toBeInstanceOf(
          InvalidArgumentError
        )
        expect(yield* defectOf(ConnectedUDPSocket.fromSocket(new net.Socket() as never))).toBeInstanceOf(
          InvalidArgumentError
        )
        const s = yield* bound("AF_INET", 0)
        const d = (yield* defectOf(ConnectedUDPSocket.fromSocket(s))) as InvalidArgumentError
        expect(d.message).toMatch(/the socket must be connected/)
        const unbound = dgram.createSocket("udp4")
        expect(((yield* defectOf(UDPSocket.fromSocket(unbound))) as InvalidArgumentError).message).toMatch(
          /must be bound/
        )
        unbound.close()
        yield* Effect.promise(() => new Promise<void>((r) => s.close(() => r())))
      })
    )
  )

  it.live("no datagram is dropped while nobody receives (up to the kernel buffer's size)", () =>
    noLeaks(
      Effect.gen(function* () {
        const server = yield* createUdpSocket("AF_INET", { localHost: "127.0.0.1" })
        const client = yield* createConnectedUdpSocket(
          "127.0.0.1",
          yield* server.extra(SocketAttribute.localPort)
        )
        const n = 500
        for (let i = 0; i < n; i++) yield* client.send(Uint8Array.of(i & 0xff, i >> 8))
        // Let Node read them all from the kernel before anyone receives.
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 20)))
        const got: Array<number> = []
        for (let i = 0; i < n; i++) {
          const [d] = yield* server.receive()
          got.push(d[0]! | (d[1]! << 8))
        }
        expect(got).toEqual(Array.from({ length: n }, (_, i) => i))
        expect(server.droppedDatagrams).toBe(0)
        yield* client.close()
        yield* server.close()
      })
    )
  )

  it.live("bad input: a family or localHost is needed, ports in range, packets of bytes", () =>
    noLeaks(
      Effect.gen(function* () {
        const noFamily = (yield* defectOf(createUdpSocket())) as InvalidArgumentError
        expect(noFamily.message).toMatch(/Either "family" or "localHost" must be given/)
        expect(yield* defectOf(createUdpSocket("AF_UNIX"))).toBeInstanceOf(InvalidArgumentError)
        expect(yield* defectOf(createUdpSocket("AF_INET", { localPort: 65536 }))).toBeInstanceOf(
          InvalidArgumentError
        )
        expect(yield* defectOf(createConnectedUdpSocket("127.0.0.1", 0))).toBeInstanceOf(InvalidArgumentError)
        const udp = yield* createUdpSocket("AF_INET", { localHost: "127.0.0.1" })
        expect(yield* defectOf(udp.sendto("text" as never, "127.0.0.1", 9))).toBeInstanceOf(
          InvalidArgumentError
        )
        expect(yield* defectOf(udp.sendto(text("x"), "127.0.0.1", 0))).toBeInstanceOf(InvalidArgumentError)
        expect(yield* defectOf(udp.send(text("x") as never))).toBeInstanceOf(InvalidArgumentError)
        // A datagram larger than UDP allows: the kernel refuses it, send fails with OSError.
        const e = yield* Effect.flip(udp.sendto(new Uint8Array(70000), "127.0.0.1", 9))
        expect(e._tag).toBe("OSError")
        yield* udp.close()
      })
    )
  )
})
