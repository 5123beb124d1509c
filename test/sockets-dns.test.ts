/**
 * Name resolution: AnyIO's `test_getaddrinfo*` and `test_getnameinfo` ported. The IDNA test
 * checks the name handed to the resolver (AnyIO's needs the network to resolve "faß.de").
 *
 * Also: AnyIO's happy eyeballs, the algorithm on its own under virtual time (simulated attempts),
 * and `connectTcp`'s cancellation on real loopback sockets.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { asConnectable } from "../src/Connectable.ts"
import { AddrInfoFlag, getaddrinfo, getnameinfo, NameInfoFlag, NameResolver } from "../src/Dns.ts"
import {
  ConnectionFailed,
  createTaskGroup,
  currentTime,
  InvalidArgumentError,
  OSError,
  sleep
} from "../src/index.ts"
import { happyEyeballs, orderTargets } from "../src/internal/net/happyEyeballs.ts"
import { Path } from "../src/Path.ts"
import { connectTcp, TCPConnectable } from "../src/Tcp.ts"
import { autojump } from "../src/Testing.ts"
import { TLSConnectable } from "../src/Tls.ts"
import { UNIXConnectable } from "../src/Unix.ts"
import { defectOf, noLeaks, openHandles, settle, withRawServer } from "./sockets-helpers.ts"

/** A resolver that records the names it is asked for and resolves each to 192.0.2.x. */
const recording = () => {
  const asked: Array<string> = []
  const resolver: NameResolver = {
    lookup: (host) => {
      asked.push(host)
      return Effect.succeed([{ address: `192.0.2.${asked.length}`, family: 4 as const }])
    },
    lookupService: (address, port) => Effect.succeed([address, String(port)] as const)
  }
  return { asked, resolver }
}

describe("getaddrinfo", () => {
  // anyio: test_getaddrinfo
  it.effect("encodes international names with IDNA 2008 (faß.de is not fass.de)", () =>
    Effect.gen(function* () {
      const { asked, resolver } = recording()
      const correct = yield* Effect.provideService(getaddrinfo("faß.de", 0), NameResolver, resolver)
      const wrong = yield* Effect.provideService(getaddrinfo("fass.de", 0), NameResolver, resolver)
      expect(asked).toEqual(["xn--fa-hia.de", "fass.de"])
      expect(correct).not.toEqual(wrong)
    })
  )

  // anyio: test_getaddrinfo_ipv6addr
  for (const [type, proto] of [
    ["SOCK_STREAM", 6],
    ["SOCK_DGRAM", 17]
  ] as const) {
    it.effect(`a literal IPv6 address needs no lookup (${type})`, () =>
      Effect.map(getaddrinfo("::1", 0, { type }), (result) =>
        expect(result).toEqual([["AF_INET6", type, proto, "", ["::1", 0]]])
      )
    )
  }

  it.live("localhost, every socket type, as glibc gives them", () =>
    Effect.gen(function* () {
      const result = yield* getaddrinfo("localhost", 80)
      expect(result.length % 3).toBe(0)
      const v4 = result.filter(([f]) => f === "AF_INET")
      expect(v4.map(([, type, proto]) => [type, proto])).toEqual([
        ["SOCK_STREAM", 6],
        ["SOCK_DGRAM", 17],
        ["SOCK_RAW", 0]
      ])
      expect(v4[0]![4]).toEqual(["127.0.0.1", 80])
    })
  )

  it.effect("a null host: the wildcard addresses with AI_PASSIVE, the loopback ones without", () =>
    Effect.gen(function* () {
      const passive = yield* getaddrinfo(null, 8080, { type: "SOCK_STREAM", flags: AddrInfoFlag.AI_PASSIVE })
      expect(passive.map(([f, , , , a]) => [f, a])).toEqual([
        ["AF_INET", ["0.0.0.0", 8080]],
        ["AF_INET6", ["::", 8080]]
      ])
      const loop = yield* getaddrinfo(null, "8080", { type: "SOCK_STREAM", family: "AF_INET" })
      expect(loop).toEqual([["AF_INET", "SOCK_STREAM", 6, "", ["127.0.0.1", 8080]]])
    })
  )

  it.effect("AI_NUMERICHOST refuses names; AI_CANONNAME fills canonname of the first result", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(getaddrinfo("example.test", 0, { flags: AddrInfoFlag.AI_NUMERICHOST }))
      expect(e).toBeInstanceOf(OSError)
      expect(e.code).toBe("EAI_NONAME")
      expect(e.kind).toBe("gaierror")
      const { resolver } = recording()
      const r = yield* Effect.provideService(
        getaddrinfo("example.test", 0, { flags: AddrInfoFlag.AI_CANONNAME }),
        NameResolver,
        resolver
      )
      expect(r.map(([, , , canon]) => canon)).toEqual(["example.test", "", ""])
    })
  )

  it.live("a name that does not exist: OSError (gaierror)", () =>
    Effect.gen(function* () {
      const e = yield* Effect.flip(getaddrinfo("anyio.invalid", 80))
      expect(e).toBeInstanceOf(OSError)
      expect(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_FAIL"]).toContain(e.code)
    })
  )

  it.effect("bad arguments die with InvalidArgumentError; service names fail with EAI_SERVICE", () =>
    Effect.gen(function* () {
      for (const bad of [
        getaddrinfo("localhost", 70000),
        getaddrinfo("localhost", -1),
        getaddrinfo("localhost", 80, { family: "AF_UNIX" }),
        getaddrinfo("localhost", 80, { family: "AF_BOGUS" as never }),
        getaddrinfo("localhost", 80, { type: "SOCK_SEQPACKET" as never }),
        getaddrinfo("", 80),
        getaddrinfo("a\u0000b", 80),
        getaddrinfo("localhost", {} as never)
      ]) {
        expect(yield* defectOf(bad)).toBeInstanceOf(InvalidArgumentError)
      }
      expect((yield* Effect.flip(getaddrinfo("localhost", "http"))).code).toBe("EAI_SERVICE")
    })
  )
})

describe("getnameinfo", () => {
  // anyio: test_getnameinfo
  it.live("the host and service names of 127.0.0.1:6666", () =>
    Effect.map(getnameinfo(["127.0.0.1", 6666]), (result) => expect(result).toEqual(["localhost", "6666"]))
  )

  it.effect("NI_NUMERICHOST | NI_NUMERICSERV need no lookup; a name is refused", () =>
    Effect.gen(function* () {
      expect(
        yield* getnameinfo(["127.0.0.1", 80], NameInfoFlag.NI_NUMERICHOST | NameInfoFlag.NI_NUMERICSERV)
      ).toEqual(["127.0.0.1", "80"])
      expect((yield* Effect.flip(getnameinfo(["localhost", 80]))).code).toBe("EAI_NONAME")
      expect(yield* defectOf(getnameinfo(["127.0.0.1", 99999]))).toBeInstanceOf(InvalidArgumentError)
    })
  )
})

describe("asConnectable", () => {
  // anyio: TestAsConnectable.test_pass_connectable
  it("returns a connectable as it is", () => {
    const connectable = new TCPConnectable("localhost", 1234)
    expect(asConnectable(connectable)).toBe(connectable)
  })

  // anyio: TestAsConnectable.test_tcp
  for (const host of ["localhost", "127.0.0.1", "::1"]) {
    it(`a [host, port] pair is a TCPConnectable (${host})`, () => {
      const c = asConnectable([host, 1234]) as TCPConnectable
      expect(c).toBeInstanceOf(TCPConnectable)
      expect([c.host, c.port]).toEqual([host, 1234])
    })
  }

  // anyio: TestAsConnectable.test_unix
  for (const path of ["/foo/bar", new TextEncoder().encode("/foo/bar"), new Path("/foo/bar")]) {
    it(`a path is a UNIXConnectable (${path.constructor.name})`, () => {
      const c = asConnectable(path) as UNIXConnectable
      expect(c).toBeInstanceOf(UNIXConnectable)
      expect(c.path).toBe(path)
    })
  }

  // anyio: TestAsConnectable.test_bad_type
  it("anything else dies with InvalidArgumentError", () => {
    expect(() => asConnectable(1234 as never)).toThrow(/cannot convert 1234 to a connectable/)
  })

  // anyio: TestAsConnectable.test_tls_true
  it("tls: true wraps it in a TLSConnectable", () => {
    const c = asConnectable("/foo/bar", {
      tls: true,
      tlsHostname: "example.com",
      tlsStandardCompatible: false
    }) as TLSConnectable
    expect(c).toBeInstanceOf(TLSConnectable)
    expect(c.hostname).toBe("example.com")
    expect(c.standardCompatible).toBe(false)
  })

  // anyio: TestAsConnectable.test_tls_explicit_context
  it("tls: true with explicit TLS options", () => {
    const tlsOptions = { ca: "pem" }
    const c = asConnectable("/foo/bar", {
      tls: true,
      tlsOptions,
      tlsHostname: "example.com"
    }) as TLSConnectable
    expect(c.tlsOptions).toBe(tlsOptions)
    expect(c.hostname).toBe("example.com")
  })

  // anyio: TestAsConnectable.test_tls_tcp_implicit_hostname
  it("tls: true over a [host, port] pair checks the certificate against the host", () => {
    const c = asConnectable(["localhost", 1234], { tls: true }) as TLSConnectable
    expect(c.hostname).toBe("localhost")
  })
})

interface Sim {
  readonly latency: number
  readonly fails?: boolean
}

/** Runs happy eyeballs over simulated endpoints; records the events with their virtual times. */
const simulate = (endpoints: Record<string, Sim>, delay: number) => {
  const log: Array<string> = []
  const closed: Array<string> = []
  const at = (t: number) => Math.round(t * 1000)
  const connect = (target: string) =>
    Effect.gen(function* () {
      const t0 = yield* currentTime()
      log.push(`${at(t0)} start ${target}`)
      const sim = endpoints[target]!
      yield* sleep(sim.latency).pipe(
        Effect.onInterrupt(() => Effect.map(currentTime(), (t) => void log.push(`${at(t)} cancel ${target}`)))
      )
      const t1 = yield* currentTime()
      if (sim.fails) {
        log.push(`${at(t1)} refused ${target}`)
        return yield* Effect.fail(new OSError({ message: "refused", code: "ECONNREFUSED" }))
      }
      log.push(`${at(t1)} connected ${target}`)
      return { target, close: () => Effect.sync(() => void closed.push(target)) }
    })
  return Effect.map(autojump(Effect.exit(happyEyeballs(Object.keys(endpoints), delay, connect))), (exit) => ({
    exit,
    log,
    closed
  }))
}

describe("happy eyeballs (AnyIO's algorithm)", () => {
  it.effect("orders the first IPv6 address first, then the first IPv4 one, then the rest", () =>
    Effect.sync(() => {
      expect(
        orderTargets([
          ["AF_INET", "a4"],
          ["AF_INET", "b4"],
          ["AF_INET6", "a6"],
          ["AF_INET6", "b6"],
          ["AF_INET", "c4"]
        ])
      ).toEqual(["a6", "c4", "a4", "b4", "b6"])
      expect(orderTargets([["AF_INET", "x"]])).toEqual(["x"])
    })
  )

  it.effect(
    "the next attempt starts after the delay while the earlier one keeps running; the first to connect wins",
    () =>
      Effect.gen(function* () {
        const { exit, log } = yield* simulate({ slow: { latency: 1 }, fast: { latency: 0.1 } }, 0.25)
        expect(exit._tag === "Success" && exit.value.target).toBe("fast")
        expect(log).toEqual(["0 start slow", "250 start fast", "350 connected fast", "350 cancel slow"])
      })
  )

  it.effect("a failed attempt starts the next one at once", () =>
    Effect.gen(function* () {
      const { exit, log } = yield* simulate({ a: { latency: 0.02, fails: true }, b: { latency: 0.01 } }, 0.25)
      expect(exit._tag === "Success" && exit.value.target).toBe("b")
      expect(log).toEqual(["0 start a", "20 refused a", "20 start b", "30 connected b"])
    })
  )

  it.effect("an attempt that connects after the winner is closed", () =>
    Effect.gen(function* () {
      // b starts at 100 ms and connects at 150 ms, a connects at 150 ms too: the first reported wins.
      const { exit, closed } = yield* simulate({ a: { latency: 0.15 }, b: { latency: 0.05 } }, 0.1)
      expect(exit._tag).toBe("Success")
      const winner = exit._tag === "Success" ? exit.value.target : ""
      // The loser was either cancelled before it resumed or closed after: never kept, never leaked.
      expect(closed.length === 0 || (closed.length === 1 && closed[0] !== winner)).toBe(true)
    })
  )

  it.effect("every attempt failed: ConnectionFailed with an AggregateError of the failures", () =>
    Effect.gen(function* () {
      const { exit } = yield* simulate(
        { a: { latency: 0.01, fails: true }, b: { latency: 0.01, fails: true } },
        0.25
      )
      expect(exit._tag).toBe("Failure")
      const e = exit._tag === "Failure" ? exit.cause.reasons[0] : undefined
      const error = e !== undefined && e._tag === "Fail" ? (e.error as ConnectionFailed) : undefined
      expect(error).toBeInstanceOf(ConnectionFailed)
      expect(error?.message).toBe("All connection attempts failed")
      expect((error!.cause as AggregateError).errors).toHaveLength(2)
    })
  )
})

describe("connectTcp cancellation", () => {
  it.live("a cancelled connectTcp leaves no socket open", () =>
    noLeaks(
      withRawServer("127.0.0.1", (server) =>
        Effect.gen(function* () {
          const before = openHandles()
          // Cancel at every point of the connect: right away, and after a few loop turns.
          for (const turns of [0, 1, 2, 3, 4, 5]) {
            yield* createTaskGroup((tg) =>
              Effect.gen(function* () {
                // A connect that completes before the cancel hands its stream over: close it then.
                yield* tg.startSoon(
                  Effect.uninterruptibleMask((restore) =>
                    Effect.flatMap(restore(connectTcp("127.0.0.1", server.port)), (stream) =>
                      Effect.ensuring(restore(Effect.never), stream.close())
                    )
                  )
                )
                if (turns > 0) yield* settle(turns)
                yield* tg.cancel()
              })
            )
          }
          yield* settle(5)
          // The server's side of any connection that got through is closed when the raw server closes.
          for (const s of server.sockets) s.destroy()
          yield* settle(5)
          expect(openHandles()).toBeLessThanOrEqual(before)
        })
      )
    )
  )
})
