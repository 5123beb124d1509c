/**
 * Our side of the echo figures, shared by bench/net.ts and its probes: one fiber sends `writes`
 * chunks of `chunkSize` bytes while another receives until as many bytes came back (the raw side
 * is bench/raw-net.ts `echoThrough`).
 */
import { Effect } from "effect"

/** What the echo client needs of a byte stream: ours, or a probe's stand-in. */
export interface EchoStream {
  send(data: Uint8Array): Effect.Effect<void, unknown>
  receive(): Effect.Effect<Uint8Array, unknown>
}

export const echoOurs = (s: EchoStream, writes: number, chunkSize: number): Effect.Effect<void, unknown> =>
  Effect.suspend(() => {
    const chunk = new Uint8Array(chunkSize)
    const total = writes * chunkSize
    return Effect.all(
      [
        Effect.gen(function* () {
          for (let i = 0; i < writes; i++) yield* s.send(chunk)
        }),
        Effect.gen(function* () {
          let received = 0
          while (received < total) received += (yield* s.receive()).length
        })
      ],
      { concurrency: 2, discard: true }
    )
  })
