/**
 * The raw node:net side of the networking figures, shared by bench/net.ts and its probes: a
 * loopback listener and client with Nagle off, and the echo client's write loop (the ordinary
 * one: write until Node says wait, go on at 'drain'; read until every byte came back).
 */
import * as net from "node:net"
import type { Duplex } from "node:stream"

export const listenRaw = (onConnection: (s: net.Socket) => void): Promise<net.Server> =>
  new Promise((resolve) => {
    const server = net.createServer({ noDelay: true }, onConnection)
    server.listen(0, "127.0.0.1", () => resolve(server))
  })

export const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port

export const connectRaw = (port: number): Promise<net.Socket> =>
  new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1", noDelay: true }, () => resolve(s))
  })

/**
 * Sends `writes` chunks of `chunkSize` bytes on `s` and resolves once as many came back (a socket,
 * or any Duplex whose peer echoes).
 */
export const echoThrough = (s: Duplex, writes: number, chunkSize: number): Promise<void> => {
  const chunk = new Uint8Array(chunkSize)
  const total = writes * chunkSize
  return new Promise<void>((resolve) => {
    let received = 0
    s.on("data", (d: Buffer) => {
      received += d.length
      if (received >= total) resolve()
    })
    let sent = 0
    const pump = () => {
      while (sent < writes) {
        sent++
        if (!s.write(chunk)) return s.once("drain", pump)
      }
    }
    pump()
  })
}
