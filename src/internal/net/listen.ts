/**
 * Opening sockets as Effects: a `net.Socket` connect and a `net.Server` listen, each cancellable
 * (the socket or server is destroyed) and leaving nothing open when it fails.
 *
 * @internal
 */
import * as net from "node:net"
import { Effect } from "effect"
import type { OSError } from "../../Errors.ts"
import { osErrorFrom } from "./errors.ts"

/**
 * Connects a socket (`net.connect(options)`), giving `onConnect(socket)` once connected. The
 * stream is built inside Node's `'connect'` callback, so no event can fall between the connect
 * and the stream's own listeners.
 */
export const connectSocket = <S>(
  options: net.NetConnectOpts,
  onConnect: (socket: net.Socket) => S
): Effect.Effect<S, OSError> =>
  Effect.callback<S, OSError>((resume) => {
    let socket: net.Socket
    try {
      socket = net.connect(options)
    } catch (e) {
      return resume(Effect.fail(osErrorFrom(e, "EINVAL")))
    }
    const onError = (e: unknown) => {
      socket.off("connect", onConnected)
      socket.destroy()
      resume(Effect.fail(osErrorFrom(e)))
    }
    const onConnected = () => {
      socket.off("error", onError)
      resume(Effect.succeed(onConnect(socket)))
    }
    socket.once("error", onError)
    socket.once("connect", onConnected)
    // Cancelled while connecting: nothing stays open.
    return Effect.sync(() => {
      socket.off("connect", onConnected)
      socket.off("error", onError)
      socket.on("error", () => {})
      socket.destroy()
    })
  })

/** Creates a server for our listeners: half-open sockets, paused until accepted, `TCP_NODELAY`. */
export const makeServer = (): net.Server =>
  net.createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true })

/** Listens (`server.listen(options)`); on failure or cancellation the server is closed. */
export const listen = (server: net.Server, options: net.ListenOptions): Effect.Effect<net.Server, OSError> =>
  Effect.callback<net.Server, OSError>((resume) => {
    const onError = (e: unknown) => {
      server.off("listening", onListening)
      server.close()
      resume(Effect.fail(osErrorFrom(e)))
    }
    const onListening = () => {
      server.off("error", onError)
      resume(Effect.succeed(server))
    }
    server.once("error", onError)
    server.once("listening", onListening)
    try {
      server.listen(options)
    } catch (e) {
      server.off("error", onError)
      server.off("listening", onListening)
      server.close()
      return resume(Effect.fail(osErrorFrom(e, "EINVAL")))
    }
    return Effect.sync(() => {
      server.off("error", onError)
      server.off("listening", onListening)
      server.on("error", () => {})
      server.close()
    })
  })
