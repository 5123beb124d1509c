/**
 * Throwaway certificates for the TLS tests (AnyIO's tests use `trustme`, which is not installable
 * here): a CA, a server certificate for localhost / 127.0.0.1 / ::1, one for `xn--fa-hia.de`
 * ("faß.de" under IDNA 2008) and a client certificate, made with the `openssl` command (argument
 * arrays, no shell) in a temporary directory that is removed at once.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Effect } from "effect"
import { createMemoryObjectStream } from "../src/MemoryObjectStream.ts"
import { ObjectStreamBase, type ReceiveError } from "../src/Streams.ts"

export interface Certs {
  readonly ca: string
  readonly serverKey: string
  readonly serverCert: string
  readonly idnKey: string
  readonly idnCert: string
  readonly clientKey: string
  readonly clientCert: string
}

const openssl = (cwd: string, args: ReadonlyArray<string>): void => {
  const r = spawnSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] })
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr?.toString()}`)
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

/** Makes the certificates (about 0.3 s). */
export const makeCerts = (): Certs => {
  const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "ea-tls-"))
  try {
    openssl(dir, [
      "req",
      "-x509",
      ...EC,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=effect-anyio test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign"
    ])
    const issue = (name: string, subject: string, ext: string) => {
      fs.writeFileSync(nodePath.join(dir, `${name}.ext`), ext)
      openssl(dir, ["req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject])
      openssl(dir, [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.pem`,
        "-days",
        "2",
        "-extfile",
        `${name}.ext`
      ])
    }
    issue(
      "server",
      "/CN=localhost",
      "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    issue(
      "idn",
      "/CN=xn--fa-hia.de",
      "subjectAltName=DNS:xn--fa-hia.de\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    issue(
      "client",
      "/CN=dummy-client",
      "subjectAltName=DNS:dummy-client\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n"
    )
    const read = (f: string) => fs.readFileSync(nodePath.join(dir, f), "utf8")
    return {
      ca: read("ca.pem"),
      serverKey: read("server.key"),
      serverCert: read("server.pem"),
      idnKey: read("idn.key"),
      idnCert: read("idn.pem"),
      clientKey: read("client.key"),
      clientCert: read("client.pem")
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

type MemReceive = ReturnType<typeof createMemoryObjectStream<Uint8Array>>[1]
type MemSend = ReturnType<typeof createMemoryObjectStream<Uint8Array>>[0]

/** A send end and a receive end as one object stream (AnyIO's `StapledObjectStream`, for the tests). */
class Stapled extends ObjectStreamBase<Uint8Array, ReceiveError> {
  readonly #send: MemSend
  readonly #receive: MemReceive
  constructor(send: MemSend, receive: MemReceive) {
    super()
    this.#send = send
    this.#receive = receive
  }
  receive() {
    return this.#receive.receive()
  }
  send(item: Uint8Array) {
    return this.#send.send(item)
  }
  sendEof() {
    return this.#send.close()
  }
  close() {
    return Effect.andThen(this.#send.close(), this.#receive.close())
  }
}

/** Two object streams connected through memory object streams (buffer 1), as in AnyIO's TLS tests. */
export const memoryPair = (): readonly [Stapled, Stapled] => {
  const [serverSend, serverReceive] = createMemoryObjectStream<Uint8Array>(1)
  const [clientSend, clientReceive] = createMemoryObjectStream<Uint8Array>(1)
  return [new Stapled(clientSend, serverReceive), new Stapled(serverSend, clientReceive)]
}
