/**
 * I/O soak workloads: loopback TCP connections and child processes, and the library's worker
 * threads and processes.
 *
 * The library's own sockets and subprocesses (AnyIO's `connect_tcp`, `open_process`) are not on
 * main yet: these workloads open them with plain `node:net` and `node:child_process` and read and
 * write them through the library's Node stream adapter (internal/nodeStream.ts, which those
 * modules will be built on). When they land, their workloads go beside these (registry.ts).
 */
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as net from "node:net"
import { Effect, Exit, Option } from "effect"
import { EndOfStream } from "../src/Errors.ts"
import { createTaskGroup, moveOnAfter, toProcess, toThread, workerModule } from "../src/index.ts"
import { fromDuplex, fromReadable, fromWritable } from "../src/internal/nodeStream.ts"
import type { ByteReceiveStream } from "../src/Streams.ts"
import { prng, type Round, Tally, type Workload } from "./workload.ts"

const scaled = (n: number, size: number): number => Math.max(1, Math.round(n * size))

/** Everything until end of stream, as one buffer. */
const receiveAll = <E>(stream: ByteReceiveStream<E>): Effect.Effect<Buffer, Exclude<E, EndOfStream>> =>
  Effect.gen(function* () {
    const chunks: Array<Uint8Array> = []
    for (;;) {
      const exit = yield* Effect.exit(stream.receive())
      if (Exit.isSuccess(exit)) {
        chunks.push(exit.value)
        continue
      }
      const reason = exit.cause.reasons[0]
      if (reason?._tag === "Fail" && reason.error instanceof EndOfStream) return Buffer.concat(chunks)
      return yield* exit as Exit.Exit<never, Exclude<E, EndOfStream>>
    }
  })

// ---------------------------------------------------------------------------------------------
// Loopback TCP
// ---------------------------------------------------------------------------------------------

/**
 * The service's peer: a server on 127.0.0.1 whose connections say what they want in their first
 * byte: `E` echo everything back, then end; `R` reset the connection; `S` read and never answer.
 */
const listen = Effect.acquireRelease(
  Effect.callback<{ server: net.Server; port: number; open: Set<net.Socket> }, Error>((resume) => {
    const open = new Set<net.Socket>()
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      open.add(socket)
      socket.on("close", () => open.delete(socket))
      socket.on("error", () => {}) // resets by the client: expected
      let mode: number | undefined
      socket.on("data", (chunk: Buffer) => {
        if (mode === undefined) {
          mode = chunk[0]!
          chunk = chunk.subarray(1)
          if (mode === 0x52 /* R */) {
            socket.resetAndDestroy()
            return
          }
        }
        if (mode === 0x45 /* E */ && chunk.length > 0) socket.write(chunk)
      })
      socket.on("end", () => socket.end())
    })
    server.once("error", (error) => resume(Effect.fail(error)))
    server.listen(0, "127.0.0.1", () => {
      resume(Effect.succeed({ server, port: (server.address() as net.AddressInfo).port, open }))
    })
  }),
  ({ server, open }) =>
    Effect.callback<void>((resume) => {
      for (const s of open) s.destroy()
      server.close(() => resume(Effect.void))
    })
)

/** A connection to `port`, as a byte stream closed with the scope. */
const connect = (port: number) =>
  Effect.acquireRelease(
    Effect.map(
      Effect.callback<net.Socket, Error>((resume) => {
        const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true })
        const onError = (error: Error) => {
          socket.destroy()
          resume(Effect.fail(error))
        }
        socket.once("error", onError)
        socket.once("connect", () => {
          socket.off("error", onError)
          resume(Effect.succeed(socket))
        })
        return Effect.sync(() => socket.destroy())
      }),
      (socket) => fromDuplex(socket)
    ),
    (stream) => stream.close()
  )

export const sockets: Workload = {
  name: "sockets",
  description:
    "loopback TCP (plain node:net, the library's stream adapter): connections opened, echoed, half-closed and closed, reset by the peer, abandoned on a deadline",
  start: (size) =>
    Effect.gen(function* () {
      const { port, open } = yield* listen
      const random = prng(5)
      const echoes = scaled(4, size)
      return ((_round: number) =>
        Effect.gen(function* () {
          const tally = new Tally()
          let echoed = 0
          let resets = 0
          let abandoned = 0
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (let i = 0; i < echoes; i++) {
                const payload = randomBytes(1 + Math.floor(random() * 32768))
                yield* tg.startSoon(
                  Effect.scoped(
                    Effect.gen(function* () {
                      const stream = yield* connect(port)
                      yield* stream.send(Buffer.from("E"))
                      yield* stream.send(payload)
                      yield* stream.sendEof()
                      const back = yield* receiveAll(stream)
                      if (back.equals(payload)) echoed += back.length
                      else
                        tally.violations.push(
                          `echo: ${back.length} bytes back of ${payload.length}, or different`
                        )
                    })
                  )
                )
              }
              yield* tg.startSoon(
                Effect.scoped(
                  Effect.gen(function* () {
                    const stream = yield* connect(port)
                    yield* stream.send(Buffer.from("R"))
                    const exit = yield* Effect.exit(receiveAll(stream))
                    const reason = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
                    if (reason?._tag === "Fail" && reason.error._tag === "BrokenResourceError") resets++
                    else
                      tally.violations.push(
                        `reset connection: ${Exit.isSuccess(exit) ? "ended" : "other failure"}`
                      )
                  })
                )
              )
              yield* tg.startSoon(
                Effect.scoped(
                  Effect.gen(function* () {
                    const stream = yield* connect(port)
                    yield* stream.send(Buffer.from("Shello"))
                    const r = yield* moveOnAfter(0.002, stream.receive())
                    if (r._tag === "None") abandoned++
                    else tally.violations.push("silent peer answered")
                  })
                )
              )
            })
          )
          tally.add("connections", echoes + 2)
          tally.add("bytes echoed", echoed)
          tally.add("connections reset", resets)
          tally.add("receives abandoned on a deadline", abandoned)
          tally.expect("connections reset", resets, 1)
          tally.expect("receives abandoned", abandoned, 1)
          // The server's ends close once ours did (the reset one at once).
          let spins = 0
          while (open.size > 0 && spins++ < 1000) yield* Effect.sleep("1 millis")
          tally.expect("server connections left open", open.size, 0)
          return tally.report()
        })) satisfies Round
    })
}

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

/** A child process killed (SIGKILL) and reaped with the scope unless it exited. */
const spawned = (command: string, args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(command, args, { stdio: ["pipe", "pipe", "ignore"] })
      // Its exit, once its pipes are closed too ('close'); listened to from the start.
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once("close", (code, signal) => resolve({ code, signal }))
      )
      return { child, wait: Effect.promise(() => closed) }
    }),
    ({ child, wait }) =>
      Effect.suspend(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
        return Effect.asVoid(wait)
      })
  )

export const processes: Workload = {
  name: "processes",
  description:
    "child processes (plain node:child_process, argument arrays, no shell): `cat` fed and drained through the library's stream adapter, `sleep` killed, a wait abandoned on a deadline",
  start: (size) =>
    Effect.sync((): Round => {
      const random = prng(6)
      const cats = scaled(2, size)
      return () =>
        Effect.gen(function* () {
          const tally = new Tally()
          let echoed = 0
          let killed = 0
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (let i = 0; i < cats; i++) {
                const payload = randomBytes(1 + Math.floor(random() * 65536))
                yield* tg.startSoon(
                  Effect.scoped(
                    Effect.gen(function* () {
                      const { child, wait } = yield* spawned("cat", [])
                      const stdin = fromWritable(child.stdin!)
                      const stdout = fromReadable(child.stdout!)
                      const back = yield* createTaskGroup((io) =>
                        Effect.gen(function* () {
                          yield* io.startSoon(
                            Effect.gen(function* () {
                              yield* stdin.send(payload)
                              yield* stdin.close()
                            })
                          )
                          return yield* receiveAll(stdout)
                        })
                      )
                      yield* stdout.close()
                      const exit = yield* wait
                      if (Option.isSome(back) && back.value.equals(payload)) echoed += back.value.length
                      else
                        tally.violations.push(
                          `cat: ${Option.getOrUndefined(back)?.length} bytes back of ${payload.length}, or different`
                        )
                      tally.expect("cat's exit code", exit.code, 0)
                    })
                  )
                )
              }
              yield* tg.startSoon(
                Effect.scoped(
                  Effect.gen(function* () {
                    const { child, wait } = yield* spawned("sleep", ["30"])
                    // Waiting for it is abandoned on a deadline; then it is killed.
                    const r = yield* moveOnAfter(0.002, wait)
                    tally.expect("sleep 30 still running after 2 ms", r._tag, "None")
                    child.kill("SIGKILL")
                    const exit = yield* wait
                    if (exit.signal === "SIGKILL") killed++
                    else tally.violations.push(`sleep: exited with ${exit.code} ${exit.signal}`)
                  })
                )
              )
            })
          )
          tally.add("processes", cats + 1)
          tally.add("bytes through cat", echoed)
          tally.add("processes killed", killed)
          return tally.report()
        })
    })
}

// ---------------------------------------------------------------------------------------------
// The library's worker threads and processes
// ---------------------------------------------------------------------------------------------

const fns = workerModule<typeof import("./worker-fns.ts")>(new URL("./worker-fns.ts", import.meta.url))

const fnv = (bytes: Uint8Array): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  return h >>> 0
}

export const workers: Workload = {
  name: "workers",
  description:
    "the library's toThread and toProcess pools (one of each for the soak): calls checked, calls cancelled (shielded wait, abandoned)",
  start: (size) =>
    Effect.gen(function* () {
      // Library bug found by this soak (reported in soak/RESULTS.md): closing a process pool whose
      // workers are idle (unref'd) waits for their exit with nothing keeping Node's event loop
      // alive, so a program that ends there never resolves. A ref'd timer, released after the
      // pools (finalizers run in reverse), keeps the loop alive while they close.
      yield* Effect.acquireRelease(
        Effect.sync(() => setInterval(() => {}, 1000)),
        (timer) => Effect.sync(() => clearInterval(timer))
      )
      const threads = yield* toThread.makePool({ tokens: 4 })
      const procs = yield* toProcess.makePool({ tokens: 1 })
      const n = scaled(8, size)
      return (() =>
        Effect.gen(function* () {
          const tally = new Tally()
          let ok = 0
          let cancelled = 0
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (let i = 0; i < n; i++) {
                const bytes = randomBytes(256)
                yield* tg.startSoon(
                  Effect.flatMap(
                    Effect.provideService(
                      toThread.runSync(fns.checksum, [bytes]),
                      toThread.CurrentPool,
                      threads
                    ),
                    (sum) =>
                      Effect.sync(() =>
                        sum === fnv(bytes) ? ok++ : tally.violations.push("thread checksum")
                      )
                  )
                )
              }
              const bytes = randomBytes(256)
              yield* tg.startSoon(
                Effect.flatMap(
                  Effect.provideService(
                    toProcess.runSync(fns.checksum, [bytes]),
                    toProcess.CurrentPool,
                    procs
                  ),
                  (sum) =>
                    Effect.sync(() => (sum === fnv(bytes) ? ok++ : tally.violations.push("process checksum")))
                )
              )
              for (const abandonOnCancel of [false, true]) {
                yield* tg.startSoon(
                  Effect.flatMap(
                    moveOnAfter(
                      0.001,
                      Effect.provideService(
                        toThread.runSync(fns.sleepSync, [0.005], { abandonOnCancel }),
                        toThread.CurrentPool,
                        threads
                      )
                    ),
                    (r) => Effect.sync(() => (r._tag === "None" ? cancelled++ : undefined))
                  )
                )
              }
            })
          )
          tally.expect("worker calls checked", ok, n + 1)
          tally.add("worker calls", ok)
          tally.add("worker calls cancelled", cancelled)
          return tally.report()
        })) satisfies Round
    })
}

export const ioWorkloads: ReadonlyArray<Workload> = [sockets, processes, workers]
