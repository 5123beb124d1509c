/**
 * Asynchronous files (AnyIO's `open_file`, `wrap_file`, `AsyncFile`), with Python's `open()`
 * modes: `"r"`, `"w"`, `"a"`, `"x"`, with `"+"` and `"b"` (binary: `Uint8Array`) or text (`string`,
 * with `encoding`, `errors` and `newline` as Python has them).
 *
 * **How it differs from AnyIO (by design).** AnyIO runs each blocking call of a Python file object
 * in a worker thread; here every operation is a non-blocking `node:fs` call (libuv's pool), so no
 * limiter is needed by default (give `limiter` to bound concurrent operations). Reads of pipes,
 * FIFOs and terminals work (they wait in the event loop, cancellably). Opening never blocks: a FIFO
 * opened for writing waits, cancellably, for a reader. Writes go straight to the file (no write
 * buffer): `flush()` has nothing to do. Operations on one file are serialized, as Python's file
 * objects serialize them with their internal lock.
 *
 * Cancellation: a cancelled read of a regular file consumes nothing (reads are positional and the
 * position moves when they complete); a write, once started, finishes before the cancellation
 * lands (AnyIO's worker thread is shielded the same way).
 *
 * @since 0.3.0
 */
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect, Semaphore, type Stream } from "effect"
import { CapacityLimiter } from "./CapacityLimiter.ts"
import {
  ClosedResourceError,
  EndOfStream,
  InvalidArgumentError,
  type OSError,
  UnicodeError
} from "./Errors.ts"
import {
  Fd,
  type ModeInfo,
  openPath,
  osErrorOf,
  parseMode,
  readAll,
  withAccess
} from "./internal/files/fd.ts"
import {
  byteLength,
  Decoder,
  type Encoding,
  type ErrorMode,
  encode,
  encodingOf,
  isErrorMode
} from "./internal/files/text.ts"
import type { Path } from "./Path.ts"
import { ResourceBase, receiveForEach, receiveStream } from "./Streams.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/** What a file operation can fail with. @category models */
export type FileError = OSError | ClosedResourceError | UnicodeError

/** A Python `open()` mode. Binary modes contain `"b"`. @category models */
export type OpenMode = string

/** The content type of a mode: `Uint8Array` for binary modes, `string` for text modes. @category models */
export type ContentOf<M extends string> = M extends `${string}b${string}` ? Uint8Array : string

/** What names a file: a path string, a `file:` URL, a {@link Path}. @category models */
export type FileLike = string | URL | Path

/**
 * Options of {@link openFile} and {@link wrapFile} (Python's `open()` keywords).
 * @category models
 */
export interface OpenFileOptions {
  /** Text encoding: `"utf-8"` (default), `"utf-16-le"`, `"latin-1"`, `"ascii"`. */
  readonly encoding?: string | undefined
  /** Text error handling: `"strict"` (default), `"replace"`, `"ignore"`. */
  readonly errors?: "strict" | "replace" | "ignore" | undefined
  /**
   * Newline handling as Python's: `undefined`/`null` (universal: `\r\n` and `\r` read as `\n`),
   * `""` (lines end at any of them, untranslated), or `"\n"`, `"\r"`, `"\r\n"`.
   */
  readonly newline?: "" | "\n" | "\r" | "\r\n" | null | undefined
  /** A limiter each operation holds a token of (AnyIO's `limiter=`). Default: none. */
  readonly limiter?: CapacityLimiter | undefined
  /** Permissions of a file this open creates (default `0o666`, minus the umask). */
  readonly permissions?: number | undefined
}

/** Options of {@link wrapFile}. @category models */
export interface WrapFileOptions extends OpenFileOptions {
  /** Close the descriptor when the file is closed (Python's `closefd`; default `true`). */
  readonly closefd?: boolean | undefined
  /**
   * Where reads and writes start (Node has no `lseek`, so the descriptor's own offset cannot be
   * read; default 0; ignored for appending and for pipes).
   */
  readonly position?: number | undefined
}

const READ_CHUNK = 65536
const TEXT_CHUNK = 8192

interface TextState {
  readonly decoder: Decoder
  readonly encoding: Encoding
  readonly errors: ErrorMode
  readonly newline: "" | "\n" | "\r" | "\r\n" | null
  /** Decoded text not consumed yet, untranslated (so its byte length is known). */
  chars: string
  eof: boolean
}

// -----------------------------------------------------------------------------
// AsyncFile
// -----------------------------------------------------------------------------

/** Makes an {@link AsyncFile} (its constructor is private; set by the class's static block). */
let makeAsyncFile: <T extends string | Uint8Array>(
  fd: Fd,
  info: ModeInfo,
  name: string | number,
  mode: string,
  text: Omit<TextState, "chars" | "eof"> | undefined,
  limiter: CapacityLimiter | undefined
) => AsyncFile<T>

/**
 * An open file (AnyIO's `AsyncFile`): `Uint8Array` content in binary modes, `string` in text modes.
 *
 * **Details**
 *
 * - `read(size = -1)` reads `size` bytes (characters in text mode: UTF-16 code units) or up to the
 *   end; `read1` does at most one read; `readinto`/`readinto1` fill a buffer; `readline` and
 *   `readlines` split at line ends; `write` returns the count written; `seek(offset, whence)`,
 *   `tell()`, `truncate(size?)`, `flush()` as Python's.
 * - Iterate over lines with `runForEach` or the `stream` (AnyIO's `async for line in f`).
 * - `close()` is idempotent (AnyIO's `aclose()`); `use(f)` closes after `f` (`async with`). After
 *   closing, operations fail with `ClosedResourceError`.
 * - Pipes and terminals are not seekable: `seek`/`tell` fail with `OSError` ESPIPE.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { openFile } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const f = yield* openFile("/tmp/notes.txt", "w")
 *   yield* f.use((f) => f.write("hello\n"))
 *   const lines: Array<string> = []
 *   const r = yield* openFile("/tmp/notes.txt")
 *   yield* r.use((r) => r.runForEach((line) => Effect.sync(() => lines.push(line))))
 * })
 * ```
 * @category models
 */
export class AsyncFile<T extends string | Uint8Array = string | Uint8Array> extends ResourceBase {
  /** The path it was opened with, or the descriptor it wraps. */
  readonly name: string | number
  /** The mode it was opened with. */
  readonly mode: string
  /** The limiter each operation uses (AnyIO: `None` means the default). */
  readonly limiter: CapacityLimiter | undefined
  readonly #fd: Fd
  readonly #info: ModeInfo
  readonly #text: TextState | undefined
  /** Binary read-ahead (of `readline`, `read1`). */
  #leftover: Uint8Array | undefined = undefined
  readonly #lock = Semaphore.makeUnsafe(1)

  // Private, with the types of internal/ in its parameters: `openFile`/`wrapFile` make files
  // through `makeAsyncFile` (set below), so the public declarations show no internal type.
  private constructor(
    fd: Fd,
    info: ModeInfo,
    name: string | number,
    mode: string,
    text: Omit<TextState, "chars" | "eof"> | undefined,
    limiter: CapacityLimiter | undefined
  ) {
    super()
    this.#fd = fd
    this.#info = info
    this.name = name
    this.mode = mode
    this.#text = text === undefined ? undefined : { ...text, chars: "", eof: false }
    this.limiter = limiter
  }

  static {
    makeAsyncFile = (fd, info, name, mode, text, limiter) =>
      new AsyncFile(fd, info, name, mode, text, limiter)
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#fd.closed
  }

  /** The text encoding (`undefined` in binary mode). */
  get encoding(): string | undefined {
    return this.#text?.encoding
  }

  /** The file descriptor (Python's `fileno()`). */
  fileno(): number {
    return this.#fd.fd
  }

  /** The file descriptor this file wraps (AnyIO's `wrapped`, here the descriptor number). */
  get wrapped(): number {
    return this.#fd.fd
  }

  readable(): boolean {
    return this.#info.readable
  }

  writable(): boolean {
    return this.#info.writable
  }

  seekable(): boolean {
    return this.#fd.seekable
  }

  isatty(): boolean {
    return this.#fd.kind === "tty"
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  #op<A>(body: Effect.Effect<A, FileError>): Effect.Effect<A, FileError> {
    const serialized = this.#lock.withPermit(
      Effect.suspend(() => (this.#fd.closed ? Effect.fail(this.#closedError()) : body))
    )
    const limiter = this.limiter
    if (limiter === undefined) return serialized
    const borrower = {}
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(limiter.acquireOnBehalfOf(borrower)), () =>
        Effect.ensuring(restore(serialized), limiter.releaseOnBehalfOf(borrower))
      )
    )
  }

  #closedError(): ClosedResourceError {
    return new ClosedResourceError({ message: "I/O operation on closed file" })
  }

  #notReadable(): Effect.Effect<never, OSError> {
    return Effect.fail(osErrorOf("EBADF", "file not open for reading", this.#fd.path))
  }

  #notWritable(): Effect.Effect<never, OSError> {
    return Effect.fail(osErrorOf("EBADF", "file not open for writing", this.#fd.path))
  }

  static #bad(message: string): Effect.Effect<never> {
    return Effect.die(new InvalidArgumentError({ message }))
  }

  /** One raw read of up to `max` bytes (empty at end of file). */
  #rawRead(max: number): Effect.Effect<Uint8Array, FileError> {
    const buffer = Buffer.allocUnsafeSlow(max)
    return Effect.map(this.#fd.readInto(buffer, 0, max), (n) =>
      n === 0 ? new Uint8Array(0) : new Uint8Array(buffer.buffer, 0, n)
    )
  }

  #takeLeftover(max: number): Uint8Array | undefined {
    const left = this.#leftover
    if (left === undefined) return undefined
    if (left.length <= max) {
      this.#leftover = undefined
      return left
    }
    this.#leftover = left.subarray(max)
    return left.subarray(0, max)
  }

  /** Drops read-ahead, moving the file position back to the logical one (before a write or seek). */
  #syncPosition(): Effect.Effect<void, FileError> {
    return Effect.suspend(() => {
      const ahead = this.#text !== undefined ? this.#textAhead() : (this.#leftover?.length ?? 0)
      this.#leftover = undefined
      if (this.#text !== undefined) {
        this.#text.chars = ""
        this.#text.eof = false
        this.#text.decoder.reset()
      }
      if (ahead === 0 || !this.#fd.seekable) return Effect.void
      return Effect.map(this.#fd.currentPosition(), (p) => {
        this.#fd.position = p - ahead
      })
    })
  }

  #textAhead(): number {
    const t = this.#text!
    return byteLength(t.chars, t.encoding) + t.decoder.pendingBytes
  }

  /** Decodes one more chunk into `text.chars`; false at end of file. */
  #fillText(): Effect.Effect<boolean, FileError> {
    const t = this.#text!
    if (t.eof) return Effect.succeed(false)
    return Effect.flatMap(this.#rawRead(TEXT_CHUNK), (bytes) => {
      const final = bytes.length === 0
      const decoded = t.decoder.decode(bytes, final)
      if (decoded instanceof UnicodeError) return Effect.fail(decoded)
      t.chars += decoded
      if (final) t.eof = true
      return Effect.succeed(!final)
    })
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /**
   * Reads `size` bytes (characters in text mode), fewer only at end of file; everything up to
   * the end when `size` is negative or omitted (Python's `read`).
   */
  read(size = -1): Effect.Effect<T, FileError> {
    if (typeof size !== "number" || Number.isNaN(size)) return AsyncFile.#bad("size must be a number")
    return this.#op(
      Effect.suspend((): Effect.Effect<T, FileError> => {
        if (!this.#info.readable) return this.#notReadable()
        if (this.#text !== undefined) return this.#readText(size) as Effect.Effect<T, FileError>
        return this.#readBytes(size) as Effect.Effect<T, FileError>
      })
    )
  }

  #readBytes(size: number): Effect.Effect<Uint8Array, FileError> {
    if (size < 0) {
      const left = this.#takeLeftover(Number.POSITIVE_INFINITY)
      return Effect.map(readAll(this.#fd, undefined), (rest) =>
        left === undefined ? rest : concat([left, rest])
      )
    }
    const parts: Array<Uint8Array> = []
    let have = 0
    const left = this.#takeLeftover(size)
    if (left !== undefined) {
      parts.push(left)
      have = left.length
    }
    const loop: Effect.Effect<Uint8Array, FileError> = Effect.suspend(() => {
      if (have >= size) return Effect.succeed(concat(parts))
      return Effect.flatMap(this.#rawRead(Math.min(size - have, READ_CHUNK * 16)), (chunk) => {
        if (chunk.length === 0) return Effect.succeed(concat(parts))
        parts.push(chunk)
        have += chunk.length
        return loop
      })
    })
    return loop
  }

  #readText(size: number): Effect.Effect<string, FileError> {
    const t = this.#text!
    if (size < 0) {
      return Effect.flatMap(readAll(this.#fd, undefined), (bytes) => {
        const decoded = t.decoder.decode(bytes, true)
        if (decoded instanceof UnicodeError) return Effect.fail(decoded)
        const all = t.chars + decoded
        t.chars = ""
        t.eof = true
        return Effect.succeed(t.newline === null ? all.replace(/\r\n?/g, "\n") : all)
      })
    }
    let out = ""
    const loop: Effect.Effect<string, FileError> = Effect.suspend(() => {
      while (out.length < size && t.chars.length > 0) {
        const want = size - out.length
        if (t.newline !== null) {
          out += t.chars.slice(0, want)
          t.chars = t.chars.slice(want)
          continue
        }
        // Universal newlines: a "\r" at the end may be the first half of "\r\n".
        const cr = t.chars.indexOf("\r")
        if (cr < 0 || cr >= want) {
          out += t.chars.slice(0, want)
          t.chars = t.chars.slice(want)
          continue
        }
        out += `${t.chars.slice(0, cr)}\n`
        if (cr + 1 < t.chars.length) t.chars = t.chars.slice(t.chars[cr + 1] === "\n" ? cr + 2 : cr + 1)
        else if (t.eof) t.chars = ""
        else {
          // Undo: wait for the next chunk to know.
          out = out.slice(0, -1)
          t.chars = t.chars.slice(cr)
          break
        }
      }
      if (out.length >= size || (t.eof && t.chars.length === 0)) return Effect.succeed(out)
      return Effect.flatMap(this.#fillText(), () => loop)
    })
    return loop
  }

  /** At most one read of up to `size` bytes (default: a chunk); empty only at end of file. */
  read1(size = -1): Effect.Effect<T, FileError> {
    return this.#op(
      Effect.suspend((): Effect.Effect<T, FileError> => {
        if (!this.#info.readable) return this.#notReadable()
        const max = size < 0 ? READ_CHUNK : size
        if (this.#text !== undefined) {
          const t = this.#text
          if (t.chars.length > 0 || t.eof)
            return this.#readText(Math.min(max, Math.max(t.chars.length, 1))) as never
          return Effect.flatMap(this.#fillText(), () =>
            this.#readText(Math.min(max, t.chars.length || 1))
          ) as never
        }
        const left = this.#takeLeftover(max)
        if (left !== undefined) return Effect.succeed(left as T)
        return this.#rawRead(max) as Effect.Effect<T, FileError>
      })
    )
  }

  /** Reads into `buffer` until it is full or the file ends; the count read (binary mode). */
  readinto(buffer: Uint8Array): Effect.Effect<number, FileError> {
    return Effect.map(this.read(buffer.length) as Effect.Effect<Uint8Array, FileError>, (data) => {
      buffer.set(data)
      return data.length
    })
  }

  /** Like `readinto` with at most one read. */
  readinto1(buffer: Uint8Array): Effect.Effect<number, FileError> {
    return Effect.map(this.read1(buffer.length) as Effect.Effect<Uint8Array, FileError>, (data) => {
      buffer.set(data)
      return data.length
    })
  }

  /** Reads one line, with its line end; empty at end of file (Python's `readline`). */
  readline(size = -1): Effect.Effect<T, FileError> {
    return this.#op(
      Effect.suspend((): Effect.Effect<T, FileError> => {
        if (!this.#info.readable) return this.#notReadable()
        const limit = size < 0 ? Number.POSITIVE_INFINITY : size
        return (
          this.#text !== undefined ? this.#readTextLine(limit) : this.#readByteLine(limit)
        ) as Effect.Effect<T, FileError>
      })
    )
  }

  #readByteLine(limit: number): Effect.Effect<Uint8Array, FileError> {
    const parts: Array<Uint8Array> = []
    let have = 0
    const loop: Effect.Effect<Uint8Array, FileError> = Effect.suspend(() => {
      const left = this.#leftover
      if (left !== undefined) {
        const nl = left.indexOf(10)
        const end = Math.min(nl < 0 ? left.length : nl + 1, limit - have)
        parts.push(this.#takeLeftover(end)!)
        have += end
        if (nl >= 0 && nl < end) return Effect.succeed(concat(parts))
        if (have >= limit) return Effect.succeed(concat(parts))
      }
      return Effect.flatMap(this.#rawRead(READ_CHUNK), (chunk) => {
        if (chunk.length === 0) return Effect.succeed(concat(parts))
        this.#leftover = chunk
        return loop
      })
    })
    return loop
  }

  #readTextLine(limit: number): Effect.Effect<string, FileError> {
    const t = this.#text!
    const loop: Effect.Effect<string, FileError> = Effect.suspend(() => {
      const chars = t.chars
      let end = -1
      let take = 0
      let ending = ""
      switch (t.newline) {
        case null:
        case "": {
          const lf = chars.indexOf("\n")
          const cr = chars.indexOf("\r")
          const i = cr < 0 ? lf : lf < 0 ? cr : Math.min(lf, cr)
          if (i >= 0) {
            if (chars[i] === "\r" && i + 1 === chars.length && !t.eof) break // maybe "\r\n": read more
            const crlf = chars[i] === "\r" && chars[i + 1] === "\n"
            end = i
            take = crlf ? i + 2 : i + 1
            ending = t.newline === null ? "\n" : crlf ? "\r\n" : chars[i]!
          }
          break
        }
        default: {
          const i = chars.indexOf(t.newline)
          if (i >= 0) {
            end = i
            take = i + t.newline.length
            ending = t.newline
          }
        }
      }
      if (end >= 0 && end + ending.length <= limit) {
        t.chars = chars.slice(take)
        return Effect.succeed(chars.slice(0, end) + ending)
      }
      if (chars.length >= limit) {
        t.chars = chars.slice(limit)
        return Effect.succeed(chars.slice(0, limit))
      }
      if (t.eof) {
        t.chars = ""
        return Effect.succeed(t.newline === null ? chars.replace(/\r\n?/g, "\n") : chars)
      }
      return Effect.flatMap(this.#fillText(), () => loop)
    })
    return loop
  }

  /** Every remaining line (Python's `readlines`). */
  readlines(): Effect.Effect<Array<T>, FileError> {
    return Effect.suspend(() => {
      const lines: Array<T> = []
      return Effect.as(
        receiveForEach(this.#nextLine, (line) => Effect.sync(() => lines.push(line))),
        lines
      )
    })
  }

  get #nextLine(): Effect.Effect<T, FileError | EndOfStream> {
    return Effect.flatMap(this.readline(), (line) =>
      line.length === 0 ? Effect.fail(new EndOfStream({})) : Effect.succeed(line)
    )
  }

  /** Runs `f` on every line in order (AnyIO's `async for line in f`). */
  runForEach<E2, R>(f: (line: T) => Effect.Effect<unknown, E2, R>): Effect.Effect<void, FileError | E2, R> {
    return Effect.suspend(() => receiveForEach(this.#nextLine, f))
  }

  /** The lines as an Effect `Stream`; running it does not close the file. */
  get stream(): Stream.Stream<T, FileError> {
    return receiveStream(Effect.suspend(() => this.#nextLine))
  }

  // ---------------------------------------------------------------------------------------------
  // Writing

  /** Writes all of `data`; returns its length (characters in text mode, as Python). */
  write(data: T): Effect.Effect<number, FileError> {
    return this.#op(
      Effect.suspend(() => {
        if (!this.#info.writable) return this.#notWritable()
        const t = this.#text
        let bytes: Uint8Array | UnicodeError
        if (t !== undefined) {
          if (typeof data !== "string")
            return AsyncFile.#bad("write() argument must be a string in text mode")
          const translated =
            t.newline === null || t.newline === "" || t.newline === "\n"
              ? data
              : data.replace(/\n/g, t.newline)
          bytes = encode(translated, t.encoding, t.errors)
        } else {
          if (!(data instanceof Uint8Array))
            return AsyncFile.#bad("write() argument must be a Uint8Array in binary mode")
          bytes = data
        }
        if (bytes instanceof UnicodeError) return Effect.fail(bytes)
        const encoded = bytes
        return Effect.andThen(this.#syncPosition(), Effect.as(this.#fd.write(encoded), data.length))
      })
    )
  }

  /** Writes each item of `lines` (no line ends added, as Python's `writelines`). */
  writelines(lines: Iterable<T>): Effect.Effect<void, FileError> {
    return Effect.suspend(() =>
      Effect.forEach(Array.from(lines), (line) => this.write(line), { discard: true })
    )
  }

  /** Nothing is buffered: checks only that the file is open (Python's `flush`). */
  flush(): Effect.Effect<void, FileError> {
    return this.#op(Effect.void)
  }

  /** Resizes the file to `size` bytes (default: the current position); the position stays. */
  truncate(size?: number): Effect.Effect<number, FileError> {
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
      return AsyncFile.#bad("truncate size must be a non-negative integer")
    }
    const self = this
    return this.#op(
      Effect.gen(function* () {
        if (!self.#info.writable) return yield* self.#notWritable()
        yield* self.#syncPosition()
        const target = size ?? (yield* self.#fd.currentPosition())
        yield* self.#fd.truncate(target)
        return target
      })
    )
  }

  // ---------------------------------------------------------------------------------------------
  // Positioning

  /**
   * Moves to `offset` relative to the start (`whence` 0), the current position (1) or the end (2);
   * returns the new position. In text mode only `seek(n)` with a `tell()` value, `seek(0, 1)` and
   * `seek(0, 2)` are allowed, as Python's.
   */
  seek(offset: number, whence: 0 | 1 | 2 = 0): Effect.Effect<number, FileError> {
    if (!Number.isSafeInteger(offset)) return AsyncFile.#bad("offset must be an integer")
    if (whence !== 0 && whence !== 1 && whence !== 2)
      return AsyncFile.#bad(`invalid whence (${whence}, should be 0, 1 or 2)`)
    const self = this
    return this.#op(
      Effect.gen(function* () {
        if (!self.#fd.seekable) return yield* Effect.fail(osErrorOf("ESPIPE", "illegal seek", self.#fd.path))
        if (self.#text !== undefined && whence !== 0 && offset !== 0) {
          return yield* Effect.fail(osErrorOf("EINVAL", "can't do nonzero cur-relative seeks"))
        }
        const current = yield* self.#tellNow()
        yield* self.#syncPosition()
        const base = whence === 0 ? 0 : whence === 1 ? current : (yield* self.#fd.stat()).size
        const target = base + offset
        if (target < 0) return yield* Effect.fail(osErrorOf("EINVAL", `negative seek position ${target}`))
        self.#fd.position = target
        return target
      })
    )
  }

  /** The current position (bytes from the start; in text mode, a value for `seek`). */
  tell(): Effect.Effect<number, FileError> {
    return this.#op(this.#tellNow())
  }

  #tellNow(): Effect.Effect<number, FileError> {
    return Effect.map(this.#fd.currentPosition(), (p) =>
      this.#text !== undefined ? p - this.#textAhead() : p - (this.#leftover?.length ?? 0)
    )
  }

  /** Closes the file (idempotent; AnyIO's `aclose()`). Waits for an operation in progress. */
  close(): Effect.Effect<void> {
    return this.#fd.close()
  }
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (parts.length === 1) return parts[0]!
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

// -----------------------------------------------------------------------------
// Constructors
// -----------------------------------------------------------------------------

const checkTextOptions = (
  options: OpenFileOptions | undefined,
  binary: boolean
): Omit<TextState, "chars" | "eof"> | string | undefined => {
  if (options?.limiter !== undefined && !(options.limiter instanceof CapacityLimiter)) {
    return "limiter must be a CapacityLimiter or undefined"
  }
  if (binary) {
    if (options?.encoding !== undefined) return "binary mode doesn't take an encoding argument"
    if (options?.errors !== undefined) return "binary mode doesn't take an errors argument"
    if (options?.newline !== undefined && options.newline !== null)
      return "binary mode doesn't take a newline argument"
    return undefined
  }
  const encoding = encodingOf(options?.encoding ?? "utf-8")
  if (encoding === undefined) return `unknown encoding: ${String(options?.encoding)}`
  const errors = options?.errors ?? "strict"
  if (!isErrorMode(errors)) return `unknown error handler: ${String(errors)}`
  const newline = options?.newline ?? null
  if (newline !== null && !["", "\n", "\r", "\r\n"].includes(newline))
    return `illegal newline value: ${JSON.stringify(newline)}`
  return { decoder: new Decoder(encoding, errors), encoding, errors, newline }
}

/** The path string of a file name. */
export const pathOf = (file: FileLike): string =>
  file instanceof URL ? fileURLToPath(file) : typeof file === "string" ? file : String(file)

/**
 * Opens a file (AnyIO's `open_file`, Python's `open()`): `Effect<AsyncFile<string>>` in text modes,
 * `Effect<AsyncFile<Uint8Array>>` in binary modes. A number wraps an open descriptor
 * ({@link wrapFile}).
 *
 * **Details**: fails with `OSError` (`code` ENOENT, EEXIST for `"x"`, EISDIR, EACCES, ...). A bad
 * mode, an unknown encoding or errors mode dies with `InvalidArgumentError` (Python's
 * `ValueError`/`LookupError`). Opening never blocks (see the module documentation).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { openFile } from "effect-anyio"
 * const copy = Effect.gen(function* () {
 *   const src = yield* openFile("/tmp/in.bin", "rb") // AsyncFile<Uint8Array>
 *   const data = yield* src.use((f) => f.read())
 *   const dst = yield* openFile("/tmp/out.bin", "wb")
 *   yield* dst.use((f) => f.write(data))
 * })
 * ```
 * @category constructors
 */
export const openFile = <const M extends string = "r">(
  file: FileLike | number,
  mode?: M,
  options?: OpenFileOptions
): Effect.Effect<AsyncFile<ContentOf<M>>, OSError> =>
  Effect.suspend(() => {
    const modeText = mode ?? "r"
    const info = parseMode(modeText)
    if (typeof info === "string") return Effect.die(new InvalidArgumentError({ message: info }))
    const text = checkTextOptions(options, info.binary)
    if (typeof text === "string") return Effect.die(new InvalidArgumentError({ message: text }))
    if (typeof file === "number") {
      return Effect.succeed(wrapFile(file, modeText as M, options) as AsyncFile<ContentOf<M>>)
    }
    const path = pathOf(file)
    return Effect.map(openPath(path, info, options?.permissions ?? 0o666), (fd) =>
      makeAsyncFile<ContentOf<M>>(fd, info, path, modeText, text, options?.limiter)
    )
  })

/**
 * Wraps a file descriptor you opened (AnyIO's `wrap_file`), or a `fs.promises.FileHandle`'s, in
 * an {@link AsyncFile} with the given mode (default `"rb"`). Closing it closes the descriptor
 * unless `closefd: false`.
 *
 * @example
 * ```ts
 * import * as fs from "node:fs"
 * import { wrapFile } from "effect-anyio"
 * const f = wrapFile(fs.openSync("/tmp/log.txt", "a"), "a") // AsyncFile<string>
 * ```
 * @category constructors
 */
export const wrapFile = <const M extends string = "rb">(
  file: number | { readonly fd: number },
  mode?: M,
  options?: WrapFileOptions
): AsyncFile<ContentOf<M>> => {
  const modeText = mode ?? "rb"
  const info = parseMode(modeText)
  if (typeof info === "string") throw new InvalidArgumentError({ message: info })
  const text = checkTextOptions(options, info.binary)
  if (typeof text === "string") throw new InvalidArgumentError({ message: text })
  const fdNumber = typeof file === "number" ? file : file?.fd
  if (!Number.isSafeInteger(fdNumber) || fdNumber < 0) {
    throw new InvalidArgumentError({ message: "wrapFile needs a file descriptor or an object with an fd" })
  }
  const fd = withAccess(wrapFdSync(fdNumber, info.append, options?.closefd ?? true), info)
  if (options?.position !== undefined && !info.append) fd.position = options.position
  return makeAsyncFile<ContentOf<M>>(fd, info, fdNumber, modeText, text, options?.limiter)
}

/** `wrapFd` with a synchronous `fstat` (never blocks on an open descriptor). */
const wrapFdSync = (fd: number, append: boolean, closeFd: boolean): Fd => {
  const st = fs.fstatSync(fd)
  const tty = process.getBuiltinModule("node:tty") as typeof import("node:tty")
  const kind =
    st.isFIFO() || st.isSocket()
      ? "pipe"
      : st.isCharacterDevice()
        ? tty.isatty(fd)
          ? "tty"
          : "char"
        : "file"
  return new Fd(fd, kind, undefined, append, closeFd)
}
