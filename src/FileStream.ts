/**
 * Byte streams over files (AnyIO's `anyio.streams.file`): `FileReadStream` (a `ByteReceiveStream`)
 * and `FileWriteStream` (a `ByteSendStream`), on the same machinery as {@link AsyncFile}, so reads of
 * pipes, FIFOs and terminals work and a cancelled `receive` of a regular file consumes nothing.
 *
 * @since 0.3.0
 */
import { Effect } from "effect"
import {
  BrokenResourceError,
  type ClosedResourceError,
  EndOfStream,
  InvalidArgumentError,
  type OSError
} from "./Errors.ts"
import { type AsyncFile, type FileError, type FileLike, openFile } from "./FileIO.ts"
import { Path } from "./Path.ts"
import { ByteReceiveStreamBase, ByteSendStreamBase } from "./Streams.ts"
import { attributeMap, type TypedAttributeMap, typedAttributeSet } from "./TypedAttribute.ts"

/**
 * The typed attributes of file streams (AnyIO's `FileStreamAttribute`): `file` (the open
 * {@link AsyncFile}), `path` (when the file was opened by path), `fileno` (its descriptor).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FileReadStream, FileStreamAttribute } from "effect-anyio"
 * const fd = Effect.flatMap(FileReadStream.fromPath("/etc/hostname"), (s) =>
 *   s.use((s) => s.extra(FileStreamAttribute.fileno))
 * )
 * ```
 * @category models
 */
export const FileStreamAttribute = typedAttributeSet("FileStreamAttribute", {
  file: {} as AsyncFile<Uint8Array>,
  path: {} as Path,
  fileno: {} as number
})

const attributesOf = (file: AsyncFile<Uint8Array>): TypedAttributeMap =>
  attributeMap([
    [FileStreamAttribute.file, () => file],
    ...(typeof file.name === "string"
      ? [[FileStreamAttribute.path, () => new Path(file.name as string)] as const]
      : []),
    [FileStreamAttribute.fileno, () => file.fileno()]
  ])

/** An `OSError` while streaming is a broken stream (AnyIO: `BrokenResourceError` from the `OSError`). */
const broken = <A>(
  effect: Effect.Effect<A, FileError>
): Effect.Effect<A, ClosedResourceError | BrokenResourceError> =>
  Effect.catchTags(effect, {
    OSError: (e: OSError) => Effect.fail(new BrokenResourceError({ message: e.message })),
    UnicodeError: (e) => Effect.fail(new BrokenResourceError({ message: e.message }))
  })

/** What receiving from a file can fail with. @category models */
export type FileReceiveError = EndOfStream | ClosedResourceError | BrokenResourceError

/**
 * A byte stream that reads a file (AnyIO's `FileReadStream`). `receive(maxBytes)` does one read
 * (a pipe gives what is there, up to `maxBytes`); `EndOfStream` at the end of the file.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FileReadStream } from "effect-anyio"
 * const size = Effect.flatMap(FileReadStream.fromPath("/etc/hosts"), (s) =>
 *   s.use((s) => {
 *     let n = 0
 *     return Effect.as(s.runForEach((chunk) => Effect.sync(() => (n += chunk.length))), n)
 *   })
 * )
 * ```
 * @category models
 */
export class FileReadStream extends ByteReceiveStreamBase<FileReceiveError> {
  /** The file read from. */
  readonly file: AsyncFile<Uint8Array>

  /** Wraps a file open for reading in binary mode. */
  constructor(file: AsyncFile<Uint8Array>) {
    super()
    this.file = file
  }

  /** Opens `path` for reading (AnyIO's `FileReadStream.from_path`). */
  static fromPath(path: FileLike): Effect.Effect<FileReadStream, OSError> {
    return Effect.map(openFile(path, "rb"), (file) => new FileReadStream(file))
  }

  receive(maxBytes = 65536): Effect.Effect<Uint8Array, FileReceiveError> {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      return Effect.die(new InvalidArgumentError({ message: "maxBytes must be a positive integer" }))
    }
    return Effect.flatMap(broken(this.file.read1(maxBytes)), (data) =>
      data.length > 0 ? Effect.succeed(data) : Effect.fail(new EndOfStream({}))
    )
  }

  /** Moves to `position` (AnyIO's `seek`); the new absolute position. Not for pipes (`OSError`). */
  seek(position: number, whence: 0 | 1 | 2 = 0): Effect.Effect<number, FileError> {
    return this.file.seek(position, whence)
  }

  /** The current position (AnyIO's `tell`). Not for pipes (`OSError`). */
  tell(): Effect.Effect<number, FileError> {
    return this.file.tell()
  }

  close(): Effect.Effect<void> {
    return this.file.close()
  }

  override get extraAttributes(): TypedAttributeMap {
    return attributesOf(this.file)
  }
}

/** What sending to a file can fail with. @category models */
export type FileSendError = ClosedResourceError | BrokenResourceError

/**
 * A byte stream that writes a file (AnyIO's `FileWriteStream`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FileWriteStream } from "effect-anyio"
 * const log = Effect.flatMap(FileWriteStream.fromPath("/tmp/app.log", true), (s) =>
 *   s.use((s) => s.send(new TextEncoder().encode("started\n")))
 * )
 * ```
 * @category models
 */
export class FileWriteStream extends ByteSendStreamBase<FileSendError> {
  /** The file written to. */
  readonly file: AsyncFile<Uint8Array>

  /** Wraps a file open for writing in binary mode. */
  constructor(file: AsyncFile<Uint8Array>) {
    super()
    this.file = file
  }

  /**
   * Opens `path` for writing (AnyIO's `FileWriteStream.from_path`): truncated, or appended to when
   * `append` is true.
   */
  static fromPath(path: FileLike, append = false): Effect.Effect<FileWriteStream, OSError> {
    return Effect.map(openFile(path, append ? "ab" : "wb"), (file) => new FileWriteStream(file))
  }

  send(data: Uint8Array): Effect.Effect<void, FileSendError> {
    return Effect.asVoid(broken(this.file.write(data)))
  }

  close(): Effect.Effect<void> {
    return this.file.close()
  }

  override get extraAttributes(): TypedAttributeMap {
    return attributesOf(this.file)
  }
}
