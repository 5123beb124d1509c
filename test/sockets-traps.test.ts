/**
 * Regression tests for the socket traps of the I/O facts doc (shared/docs/effect-v4-io-facts.md,
 * "TCP / Unix sockets"), each on a real loopback connection made by our own listener and
 * `connectTcp`, and the bad-input rules: a clear typed error and no socket left open.
 */
import type * as net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  BrokenResourceError,
  BusyResourceError,
  createTaskGroup,
  EndOfStream,
  InvalidArgumentError,
  waitAllTasksBlocked
} from "../src/index.ts"
import { SocketAttribute, type SocketListener, type SocketStream } from "../src/Sockets.ts"
import { connectTcp, createTcpListener } from "../src/Tcp.ts"
import { defectOf, noLeaks, str, text } from "./sockets-helpers.ts"

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
