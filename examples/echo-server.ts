/**
 * A TCP echo server and three clients in one program: `createTcpListener` + `serve` (each
 * connection's handler is a task of the server's task group), `connectTcp` with happy eyeballs,
 * half-close with `sendEof`, typed socket attributes. Run it with `node examples/echo-server.ts`.
 *
 * The server upper-cases what it receives until the client's end of stream, then closes; each
 * client sends one line, half-closes, and reads the whole reply.
 */
import { Effect } from "effect"
import { connectTcp, createTaskGroup, createTcpListener, gather, run, SocketAttribute } from "../src/index.ts"

const text = (s: string) => new TextEncoder().encode(s)
const str = (b: Uint8Array) => new TextDecoder().decode(b)

/** Starts the server, runs the clients against it, then cancels the server; `log` gets the replies. */
export const echoDemo = (log: (line: string) => void) =>
  createTaskGroup((tg) =>
    Effect.gen(function* () {
      const listener = yield* createTcpListener({ localHost: "127.0.0.1" })
      const port = yield* listener.extra(SocketAttribute.localPort)
      yield* tg.startSoon(
        listener.serve((stream) => stream.runForEach((chunk) => stream.send(text(str(chunk).toUpperCase()))))
      )
      const client = (name: string) =>
        Effect.flatMap(connectTcp("127.0.0.1", port), (stream) =>
          stream.use((s) =>
            Effect.gen(function* () {
              yield* s.send(text(`hello from ${name}`))
              yield* s.sendEof()
              let reply = ""
              yield* s.runForEach((chunk) => Effect.sync(() => void (reply += str(chunk))))
              const [, localPort] = (yield* s.extra(SocketAttribute.localAddress)) as readonly [
                string,
                number
              ]
              return `${name} (port ${localPort}): ${reply}`
            })
          )
        )
      const replies = yield* gather(["ann", "bob", "cy"].map(client))
      for (const line of replies) log(line)
      yield* tg.cancel()
      return replies
    })
  )

export const main = echoDemo(console.log)

if (import.meta.main) run(main)
