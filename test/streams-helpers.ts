/**
 * What the stream tests (buffered, text, stapled, and the networking ones through sockets-helpers)
 * share: forking, defect capture, canned byte sources and a memory-stream connectable.
 */
import { Cause, Effect, Exit, type Fiber } from "effect"
import { EndOfStream } from "../src/Errors.ts"
import { createMemoryObjectStream, type MemoryObjectReceiveStream } from "../src/MemoryObjectStream.ts"
import { ByteReceiveStreamBase, type ObjectStream, type ObjectStreamConnectable } from "../src/Streams.ts"
import { attributeMap, type TypedAttribute } from "../src/TypedAttribute.ts"

/** Forks `effect`, started at once, then yields once: it runs past the checkpoint a stream operation begins with, up to where it blocks, before this returns. */
export const fork = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<Fiber.Fiber<A, E>> =>
  Effect.tap(Effect.forkChild(effect, { startImmediately: true }), () => Effect.yieldNow)

/** The defect an effect died with (fails the test if it did not die). */
export const defectOf = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<unknown> =>
  Effect.map(Effect.exit(effect), (exit) => {
    if (Exit.isSuccess(exit)) throw new Error("expected a defect, got a success")
    const defect = exit.cause.reasons.find(Cause.isDieReason)
    if (defect === undefined) throw new Error(`expected a defect, got ${Cause.pretty(exit.cause)}`)
    return defect.defect
  })

/** An object stream of the byte chunks given up front, ended after them. */
export const chunkSource = (chunks: ReadonlyArray<Uint8Array>): MemoryObjectReceiveStream<Uint8Array> => {
  const [send, receive] = createMemoryObjectStream<Uint8Array>(Number.POSITIVE_INFINITY)
  for (const c of chunks) Effect.runSync(send.send(c))
  Effect.runSync(send.close())
  return receive
}

/** A byte stream at its end whose one typed attribute is `attribute` = `value`. */
export const labelledByteStream = (
  attribute: TypedAttribute<string>,
  value: string
): ByteReceiveStreamBase<EndOfStream> =>
  new (class Labelled extends ByteReceiveStreamBase<EndOfStream> {
    receive() {
      return Effect.fail(new EndOfStream({}))
    }
    close() {
      return Effect.void
    }
    override get extraAttributes() {
      return attributeMap([[attribute, () => value]])
    }
  })()

/** A connectable whose every `connect()` gives `stream` (AnyIO's tests' `MemoryObjectConnectable`). */
export const memoryConnectable = (
  stream: ObjectStream<Uint8Array, unknown>
): ObjectStreamConnectable<Uint8Array, unknown> => ({ connect: () => Effect.succeed(stream) })
