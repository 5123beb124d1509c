/**
 * A small file-descriptor layer shared by `AsyncFile`, `Path` and the file streams, on `node:fs`
 * callbacks (cheaper than `fs/promises`) wrapped in `Effect.callback`.
 *
 * Why not Effect's `FileSystem.File`: its reads are positional, so a FIFO, a pipe or a terminal
 * fails with ESPIPE; and its `open` cannot be interrupted, so an open of a FIFO without a peer
 * blocks a libuv thread forever (four such opens starve the pool that DNS shares).
 *
 * - **Opens never block.** On POSIX every open adds `O_NONBLOCK` (ignored by regular files). A FIFO
 *   opened for reading is then ready at once (on Linux its first read waits for a writer, as a
 *   blocking open would have); one opened for writing without a reader fails with ENXIO, and we
 *   retry with a growing interval (interruptibly) until a reader comes, which is what a blocking
 *   open waits for.
 * - **Kinds.** After `fstat`: regular files and block devices are *seekable* (positional reads and
 *   writes at a position kept here: an interrupted read consumes nothing); FIFOs and sockets are
 *   *pipes*, read and written through a `net.Socket` on the descriptor (epoll, no thread held,
 *   cancellable); terminals are reopened blocking and read through `tty.ReadStream`; other
 *   character devices (/dev/null, /dev/zero, /dev/urandom) use plain reads and writes.
 * - **Closing** waits for the operations still running in libuv's pool on this descriptor (an
 *   interrupted read still runs there): a descriptor number must not be reused under them.
 *
 * @internal
 */
import * as fs from "node:fs"
import type { Readable, Writable } from "node:stream"
import { Effect } from "effect"
import { ClosedResourceError, OSError } from "../../Errors.ts"

export type Kind = "file" | "pipe" | "tty" | "char"

const constants = fs.constants
const NONBLOCK: number = process.platform === "win32" ? 0 : (constants.O_NONBLOCK ?? 0)

/** A Node error as our `OSError` (its message names the path; it holds no secrets). */
export const osError = (error: unknown): OSError => {
  if (error instanceof OSError) return error
  const e = error as NodeJS.ErrnoException
  return new OSError({
    message: typeof e?.message === "string" ? e.message : String(error),
    code: typeof e?.code === "string" ? e.code : "EIO",
    errno: typeof e?.errno === "number" ? e.errno : undefined,
    syscall: e?.syscall,
    path: e?.path,
    dest: (e as { dest?: string })?.dest,
    cause: error
  })
}

export const osErrorOf = (code: string, message: string, path?: string): OSError =>
  new OSError({ message: `${code}: ${message}${path === undefined ? "" : `, '${path}'`}`, code, path })

/** `fs.<fn>(...args, cb)` as an Effect. */
export const call = <A>(
  fn: (...args: Array<never>) => unknown,
  ...args: Array<unknown>
): Effect.Effect<A, OSError> =>
  Effect.callback<A, OSError>((resume) => {
    ;(fn as (...a: Array<unknown>) => void)(...args, (error: NodeJS.ErrnoException | null, value: A) =>
      resume(error ? Effect.fail(osError(error)) : Effect.succeed(value))
    )
  })

/** Open flags of a Python mode (`"r"`, `"wb"`, `"a+"`, ...), after `parseMode`. */
export interface ModeInfo {
  readonly flags: number
  readonly readable: boolean
  readonly writable: boolean
  readonly append: boolean
  readonly binary: boolean
  readonly creating: boolean
}

/** Python's `open` modes: exactly one of r/w/a/x, optional +, optional b or t. */
export const parseMode = (mode: string): ModeInfo | string => {
  if (typeof mode !== "string") return "mode must be a string"
  const counts = new Map<string, number>()
  for (const c of mode) {
    if (!"rwaxbt+".includes(c)) return `invalid mode: '${mode}'`
    counts.set(c, (counts.get(c) ?? 0) + 1)
  }
  for (const n of counts.values()) if (n > 1) return `invalid mode: '${mode}'`
  const kinds = ["r", "w", "a", "x"].filter((c) => counts.has(c))
  if (kinds.length !== 1) return "must have exactly one of create/read/write/append mode"
  if (counts.has("b") && counts.has("t")) return "can't have text and binary mode at once"
  const plus = counts.has("+")
  const kind = kinds[0]!
  const access = plus ? constants.O_RDWR : kind === "r" ? constants.O_RDONLY : constants.O_WRONLY
  const extra =
    kind === "w"
      ? constants.O_CREAT | constants.O_TRUNC
      : kind === "a"
        ? constants.O_CREAT | constants.O_APPEND
        : kind === "x"
          ? constants.O_CREAT | constants.O_EXCL
          : 0
  return {
    flags: access | extra,
    readable: kind === "r" || plus,
    writable: kind !== "r" || plus,
    append: kind === "a",
    binary: counts.has("b"),
    creating: kind !== "r"
  }
}

const sleepMs = (ms: number) => Effect.sleep(ms)

/**
 * Opens without blocking (see the module doc). A FIFO opened write-only without a reader is retried
 * until one comes (interruptibly: nothing is held while waiting).
 */
const openNonBlocking = (path: string, flags: number, mode: number): Effect.Effect<number, OSError> => {
  const attempt = (delay: number): Effect.Effect<number, OSError> =>
    Effect.catch(call<number>(fs.open as never, path, flags | NONBLOCK, mode), (error) =>
      error.code === "ENXIO" && (flags & 3) === constants.O_WRONLY
        ? Effect.andThen(sleepMs(delay), attempt(Math.min(delay * 2, 100)))
        : Effect.fail(error)
    )
  return attempt(5)
}

/**
 * An open descriptor. Operations are not serialized here (callers hold their own lock); the
 * position of a seekable file is kept here and moves only when an operation completes.
 */
export class Fd {
  fd: number
  readonly kind: Kind
  readonly path: string | undefined
  /** Position of a seekable file (reads/writes); -1 after an append write (ask `fstat`). */
  position = 0
  readonly append: boolean
  private readonly ownsFd: boolean
  private stream: (Readable & Writable) | undefined = undefined
  private reader: StreamReader | undefined = undefined
  private inflight = 0
  private drained: (() => void) | undefined = undefined
  closed = false
  /** Which directions the descriptor was opened for (a pipe's stream must not read a write-only end). */
  readable = true
  writable = true
  /** The size `fstat` gave when it was opened (-1: unknown). */
  sizeAtOpen = -1

  constructor(fd: number, kind: Kind, path: string | undefined, append: boolean, ownsFd: boolean) {
    this.fd = fd
    this.kind = kind
    this.path = path
    this.append = append
    this.ownsFd = ownsFd
    if (append) this.position = -1
  }

  get seekable(): boolean {
    return this.kind === "file"
  }

  private get closedError(): ClosedResourceError {
    return new ClosedResourceError({ message: "I/O operation on closed file" })
  }

  /** An `fs` call on this descriptor, counted until its callback (even if the caller left). */
  private fsCall<A>(
    fn: (...args: Array<never>) => unknown,
    ...args: Array<unknown>
  ): Effect.Effect<A, OSError> {
    return Effect.callback<A, OSError>((resume) => {
      this.inflight++
      ;(fn as (...a: Array<unknown>) => void)(...args, (error: NodeJS.ErrnoException | null, value: A) => {
        if (--this.inflight === 0 && this.drained !== undefined) this.drained()
        resume(error ? Effect.fail(osError(error)) : Effect.succeed(value))
      })
    })
  }

  private duplex(): Readable & Writable {
    if (this.stream === undefined) {
      if (this.kind === "tty") {
        const tty = process.getBuiltinModule("node:tty") as typeof import("node:tty")
        this.stream = new tty.ReadStream(this.fd) as unknown as Readable & Writable
      } else {
        const net = process.getBuiltinModule("node:net") as typeof import("node:net")
        this.stream = new net.Socket({
          fd: this.fd,
          readable: this.readable,
          writable: this.writable,
          allowHalfOpen: true
        })
      }
      ;(this.stream as { unref?: () => void }).unref?.()
      this.stream.on("error", () => {})
    }
    return this.stream
  }

  /** Absolute position of a seekable file (asks `fstat` after append writes). */
  currentPosition(): Effect.Effect<number, OSError | ClosedResourceError> {
    if (this.closed) return Effect.fail(this.closedError)
    if (!this.seekable) return Effect.fail(osErrorOf("ESPIPE", "illegal seek", this.path))
    if (this.position >= 0) return Effect.succeed(this.position)
    return Effect.map(this.stat(), (st) => (this.position = st.size))
  }

  /** Reads at most `length` bytes into `buffer` at `offset`; 0 at end of file. */
  readInto(
    buffer: Uint8Array,
    offset: number,
    length: number
  ): Effect.Effect<number, OSError | ClosedResourceError> {
    if (this.closed) return Effect.fail(this.closedError)
    if (length === 0) return Effect.succeed(0)
    switch (this.kind) {
      case "file":
        return Effect.flatMap(this.currentPosition(), (position) =>
          Effect.map(
            this.fsCall<number>(fs.read as never, this.fd, buffer, offset, length, position),
            (n) => {
              // Moved only now: an interrupted read leaves the position where it was.
              this.position = position + n
              return n
            }
          )
        )
      case "char":
        return this.fsCall<number>(fs.read as never, this.fd, buffer, offset, length, null)
      default: {
        this.reader ??= new StreamReader(this.duplex())
        return Effect.map(this.reader.read(length), (chunk) => {
          if (chunk === undefined) return 0
          buffer.set(chunk, offset)
          return chunk.length
        })
      }
    }
  }

  /** Writes all of `data`; returns its length. Not interruptible once started (AnyIO: shielded). */
  write(data: Uint8Array): Effect.Effect<number, OSError | ClosedResourceError> {
    if (this.closed) return Effect.fail(this.closedError)
    if (data.length === 0) return Effect.succeed(0)
    switch (this.kind) {
      case "file":
        if (this.append) {
          this.position = -1
          return Effect.uninterruptible(this.writeAll(data, null))
        }
        return Effect.uninterruptible(
          Effect.map(this.writeAll(data, this.position), (n) => {
            this.position += n
            return n
          })
        )
      case "char":
        return Effect.uninterruptible(this.writeAll(data, null))
      default: {
        const stream = this.duplex()
        return Effect.uninterruptible(
          Effect.callback<number, OSError>((resume) => {
            ;(stream as { ref?: () => void }).ref?.()
            stream.write(data, (error) => {
              ;(stream as { unref?: () => void }).unref?.()
              resume(error ? Effect.fail(osError(error)) : Effect.succeed(data.length))
            })
          })
        )
      }
    }
  }

  private writeAll(data: Uint8Array, position: number | null): Effect.Effect<number, OSError> {
    const loop = (done: number): Effect.Effect<number, OSError> =>
      Effect.flatMap(
        this.fsCall<number>(
          fs.write as never,
          this.fd,
          data,
          done,
          data.length - done,
          position === null ? null : position + done
        ),
        (n) => (done + n >= data.length ? Effect.succeed(data.length) : loop(done + n))
      )
    return loop(0)
  }

  stat(): Effect.Effect<fs.Stats, OSError | ClosedResourceError> {
    if (this.closed) return Effect.fail(this.closedError)
    return this.fsCall<fs.Stats>(fs.fstat as never, this.fd)
  }

  truncate(size: number): Effect.Effect<void, OSError | ClosedResourceError> {
    if (this.closed) return Effect.fail(this.closedError)
    if (!this.seekable) return Effect.fail(osErrorOf("EINVAL", "invalid argument", this.path))
    return Effect.uninterruptible(this.fsCall<void>(fs.ftruncate as never, this.fd, size))
  }

  /** Closes (idempotent): wakes a pending pipe read, then waits for running pool operations. */
  close(): Effect.Effect<void> {
    if (this.closed) return Effect.void
    this.closed = true
    this.reader?.close()
    return Effect.uninterruptible(
      Effect.callback<void>((resume) => {
        const finish = () => {
          this.drained = undefined
          if (this.stream !== undefined) {
            // The stream owns the descriptor now.
            if (this.ownsFd) this.stream.destroy()
            resume(Effect.void)
          } else if (this.ownsFd) {
            fs.close(this.fd, () => resume(Effect.void))
          } else {
            resume(Effect.void)
          }
        }
        if (this.inflight === 0) finish()
        else this.drained = finish
      })
    )
  }
}

/**
 * Cancel-safe reads from a Node readable in paused mode: waiting consumes nothing, a chunk larger
 * than asked for is kept for the next read. The stream is referenced only while someone waits, so
 * an idle open pipe never keeps the process alive.
 */
class StreamReader {
  private leftover: Buffer | undefined = undefined
  private waiter: (() => void) | undefined = undefined
  private ended = false
  private error: Error | undefined = undefined
  private closed = false
  private readonly stream: Readable

  constructor(stream: Readable) {
    this.stream = stream
    const wake = () => this.waiter?.()
    stream.on("readable", wake)
    stream.on("end", () => {
      this.ended = true
      wake()
    })
    stream.on("error", (error) => {
      this.error = error
      wake()
    })
    stream.on("close", wake)
  }

  close(): void {
    this.closed = true
    this.waiter?.()
  }

  read(max: number): Effect.Effect<Buffer | undefined, OSError | ClosedResourceError> {
    return Effect.callback<Buffer | undefined, OSError | ClosedResourceError>((resume) => {
      const ref = this.stream as { ref?: () => void; unref?: () => void }
      const attempt = (): void => {
        if (this.closed)
          return void done(Effect.fail(new ClosedResourceError({ message: "I/O operation on closed file" })))
        let chunk = this.leftover
        this.leftover = undefined
        if (chunk === undefined) chunk = (this.stream.read() as Buffer | null) ?? undefined
        if (chunk !== undefined) {
          if (chunk.length > max) {
            this.leftover = chunk.subarray(max)
            chunk = chunk.subarray(0, max)
          }
          return void done(Effect.succeed(chunk))
        }
        if (this.error !== undefined) return void done(Effect.fail(osError(this.error)))
        if (this.ended || this.stream.readableEnded || this.stream.destroyed)
          return void done(Effect.succeed(undefined))
        if (this.waiter === undefined) ref.ref?.()
        this.waiter = attempt
      }
      const done = (effect: Effect.Effect<Buffer | undefined, OSError | ClosedResourceError>): void => {
        if (this.waiter !== undefined) {
          this.waiter = undefined
          ref.unref?.()
        }
        resume(effect)
      }
      attempt()
      return Effect.sync(() => {
        if (this.waiter === attempt) {
          this.waiter = undefined
          ref.unref?.()
        }
      })
    })
  }
}

const kindOf = (st: fs.Stats, fd: number): Kind => {
  if (st.isFile() || st.isBlockDevice()) return "file"
  if (st.isFIFO() || st.isSocket()) return "pipe"
  if (st.isCharacterDevice()) {
    const tty = process.getBuiltinModule("node:tty") as typeof import("node:tty")
    return tty.isatty(fd) ? "tty" : "char"
  }
  return "file"
}

/**
 * Opens `path` with a parsed mode. A directory fails with EISDIR (Python's `IsADirectoryError`);
 * a terminal is reopened without `O_NONBLOCK`.
 */
export const openPath = (path: string, info: ModeInfo, permissions = 0o666): Effect.Effect<Fd, OSError> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(restore(openNonBlocking(path, info.flags, permissions)), (fd) =>
      Effect.matchEffect(call<fs.Stats>(fs.fstat as never, fd), {
        onFailure: (error) => Effect.andThen(closeQuietly(fd), Effect.fail(error)),
        onSuccess: (st) => {
          if (st.isDirectory()) {
            return Effect.andThen(closeQuietly(fd), Effect.fail(osErrorOf("EISDIR", "is a directory", path)))
          }
          const kind = kindOf(st, fd)
          if (kind !== "tty" || NONBLOCK === 0) {
            const opened = withAccess(new Fd(fd, kind, path, info.append, true), info)
            opened.sizeAtOpen = st.size
            return Effect.succeed(opened)
          }
          // A terminal in non-blocking mode would fail reads with EAGAIN: reopen it blocking.
          return Effect.andThen(
            closeQuietly(fd),
            Effect.map(
              call<number>(fs.open as never, path, info.flags & ~constants.O_TRUNC, permissions),
              (fd2) => withAccess(new Fd(fd2, "tty", path, info.append, true), info)
            )
          )
        }
      })
    )
  )

export const withAccess = (fd: Fd, info: { readonly readable: boolean; readonly writable: boolean }): Fd => {
  fd.readable = info.readable
  fd.writable = info.writable
  return fd
}

const closeQuietly = (fd: number): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    fs.close(fd, () => resume(Effect.void))
  })

/** Reads a whole file (the fast path of `Path.readBytes` / `readText`): one open, fstat, reads, close. */
export const readWholeFile = (path: string): Effect.Effect<Uint8Array, OSError | ClosedResourceError> =>
  Effect.acquireUseRelease(
    openPath(path, {
      flags: constants.O_RDONLY,
      readable: true,
      writable: false,
      append: false,
      binary: true,
      creating: false
    }),
    (fd) => (fd.seekable && fd.sizeAtOpen >= 0 ? readKnownSize(fd, fd.sizeAtOpen) : readAll(fd, undefined)),
    (fd) => fd.close()
  )

/**
 * Reads a file of the size `fstat` gave at open: no second `fstat`, and no extra read to see the
 * end when the size was reached (as `fs.readFile` does; bytes appended meanwhile are not read).
 */
const readKnownSize = (fd: Fd, size: number): Effect.Effect<Uint8Array, OSError | ClosedResourceError> => {
  if (size === 0) return readAll(fd, undefined)
  const buffer = Buffer.allocUnsafeSlow(size)
  const loop = (length: number): Effect.Effect<Uint8Array, OSError | ClosedResourceError> =>
    Effect.flatMap(fd.readInto(buffer, length, size - length), (n) =>
      n === 0 || length + n === size
        ? Effect.succeed(new Uint8Array(buffer.buffer, buffer.byteOffset, length + n))
        : loop(length + n)
    )
  return loop(0)
}

/** Reads until end of file (a seekable file: one read when it does not grow meanwhile). */
export const readAll = (
  fd: Fd,
  sizeHint: number | undefined
): Effect.Effect<Uint8Array, OSError | ClosedResourceError> =>
  Effect.gen(function* () {
    let capacity = 65536
    if (fd.seekable) {
      const [st, position] = [yield* fd.stat(), yield* fd.currentPosition()]
      capacity = Math.max(st.size - position, 0) + 1
    } else if (sizeHint !== undefined) {
      capacity = sizeHint
    }
    // Not `allocUnsafe`: small buffers from it share a pool slab, visible through `.buffer`.
    let buffer = Buffer.allocUnsafeSlow(capacity)
    let length = 0
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafeSlow(buffer.length * 2)
        buffer.copy(bigger, 0, 0, length)
        buffer = bigger
      }
      const n = yield* fd.readInto(buffer, length, buffer.length - length)
      if (n === 0) break
      length += n
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length)
  })
