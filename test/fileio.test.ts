/**
 * Files: AnyIO's tests/test_fileio.py, ported (TestAsyncFile), in temp dirs. AnyIO's `limiter`
 * fixture ([None, CapacityLimiter(10)]) becomes `describe.each`. Path has its own file (path).
 */
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { OSError, openFile, Path, wrapFile } from "../src/index.ts"
import { collect, limiters, tempDirs } from "./files-helpers.ts"

const tmpDir = tempDirs("anyio-fileio-")

const testdata = new Uint8Array(10_000).map((_, i) => Math.floor(i / 1000))
const testdatafile = (): string => {
  const file = nodePath.join(tmpDir(), "testdata")
  fs.writeFileSync(file, testdata)
  return file
}

describe("AsyncFile (AnyIO's TestAsyncFile)", () => {
  // anyio: test_open_close
  it.live.each(limiters)("open and close ($name)", ({ make }) =>
    Effect.gen(function* () {
      const limiter = make()
      const f = yield* openFile(testdatafile(), "r", { limiter })
      expect(f.limiter).toBe(limiter)
      yield* f.close()
    })
  )

  // anyio: test_read
  it.live("read", () =>
    Effect.gen(function* () {
      const f = yield* openFile(testdatafile(), "rb")
      const data = yield* f.use((f) => f.read())
      expect(f.closed).toBe(true)
      expect(data).toEqual(testdata)
    })
  )

  // anyio: test_readinto
  it.live("readinto", () =>
    Effect.gen(function* () {
      const buffer = new Uint8Array(100)
      const f = yield* openFile(testdatafile(), "rb")
      yield* f.use((f) =>
        Effect.gen(function* () {
          expect(yield* f.readinto(buffer)).toBe(100)
          expect(buffer).toEqual(testdata.subarray(0, 100))
        })
      )
    })
  )

  // anyio: test_readinto1
  it.live("readinto1", () =>
    Effect.gen(function* () {
      const buffer = new Uint8Array(100)
      const f = yield* openFile(testdatafile(), "rb")
      yield* f.use((f) =>
        Effect.gen(function* () {
          expect(yield* f.readinto1(buffer)).toBe(100)
          expect(buffer).toEqual(testdata.subarray(0, 100))
        })
      )
    })
  )

  // anyio: test_write
  it.live("write", () =>
    Effect.gen(function* () {
      const file = testdatafile()
      const f = yield* openFile(file, "ab")
      yield* f.use((f) => f.write(new Uint8Array(1000).fill(102)))
      expect(fs.statSync(file).size).toBe(testdata.length + 1000)
    })
  )

  // anyio: test_async_iteration
  it.live("async iteration", () =>
    Effect.gen(function* () {
      const lines = ["blah blah\n", "foo foo\n", "bar bar"]
      const testpath = nodePath.join(tmpDir(), "testfile")
      fs.writeFileSync(testpath, lines.join(""), "ascii")
      const f = yield* openFile(testpath)
      const seen: Array<string> = []
      yield* f.use((f) => f.runForEach((line) => Effect.sync(() => seen.push(line))))
      expect(seen).toEqual(lines)
      const again = yield* openFile(testpath)
      expect(yield* again.use((f) => collect(f.stream))).toEqual(lines)
    })
  )

  // anyio: test_wrap_file
  it.live.each(limiters)("wrap_file ($name)", ({ make }) =>
    Effect.gen(function* () {
      const limiter = make()
      const path = nodePath.join(tmpDir(), "testdata")
      const fd = fs.openSync(path, "w")
      const wrapped = wrapFile(fd, "w", { limiter })
      expect(wrapped.limiter).toBe(limiter)
      yield* wrapped.write("dummydata")
      yield* wrapped.close()
      expect(fs.readFileSync(path, "utf8")).toBe("dummydata")
    })
  )
})

describe("AsyncFile: Python's file semantics", () => {
  it.live("text modes: universal newlines, readline, readlines, read(n), newline options", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "t")
      fs.writeFileSync(path, "a\r\nb\rc\nd")
      const lines = yield* Effect.flatMap(openFile(path), (f) => f.use((f) => f.readlines()))
      expect(lines).toEqual(["a\n", "b\n", "c\n", "d"])
      const raw = yield* Effect.flatMap(openFile(path, "r", { newline: "" }), (f) =>
        f.use((f) => f.readlines())
      )
      expect(raw).toEqual(["a\r\n", "b\r", "c\n", "d"])
      const lf = yield* Effect.flatMap(openFile(path, "r", { newline: "\n" }), (f) =>
        f.use((f) => f.readlines())
      )
      expect(lf).toEqual(["a\r\n", "b\rc\n", "d"])
      const chars = yield* Effect.flatMap(openFile(path), (f) =>
        f.use((f) => Effect.all([f.read(2), f.read(3), f.read()]))
      )
      expect(chars).toEqual(["a\n", "b\nc", "\nd"])
    })
  )

  it.live("a multi-byte character and a \\r\\n split across read chunks are decoded whole", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "u")
      const text = `${"x".repeat(8191)}é${"y".repeat(8190)}\r\nz`
      fs.writeFileSync(path, text)
      const read = yield* Effect.flatMap(openFile(path), (f) => f.use((f) => f.readlines()))
      expect(read).toEqual([`${"x".repeat(8191)}é${"y".repeat(8190)}\n`, "z"])
    })
  )

  it.live("seek, tell, truncate, r+ read then write, append position", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "s")
      fs.writeFileSync(path, "hello world\nline 2\n")
      const f = yield* openFile(path, "r+b")
      yield* f.use((f) =>
        Effect.gen(function* () {
          expect(new TextDecoder().decode(yield* f.readline())).toBe("hello world\n")
          expect(yield* f.tell()).toBe(12)
          expect(yield* f.seek(6)).toBe(6)
          yield* f.write(new TextEncoder().encode("WORLD"))
          expect(yield* f.tell()).toBe(11)
          expect(yield* f.seek(-2, 2)).toBe(17)
          expect(new TextDecoder().decode(yield* f.read())).toBe("2\n")
          expect(yield* f.truncate(5)).toBe(5)
          expect(yield* f.tell()).toBe(19)
          expect(yield* f.seek(0, 1)).toBe(19)
        })
      )
      expect(fs.readFileSync(path, "utf8")).toBe("hello")
      const a = yield* openFile(path, "a")
      yield* a.use((a) =>
        Effect.gen(function* () {
          expect(yield* a.tell()).toBe(5)
          expect(yield* a.write(" there")).toBe(6)
          expect(yield* a.tell()).toBe(11)
        })
      )
      expect(fs.readFileSync(path, "utf8")).toBe("hello there")
      const t = yield* openFile(path, "r+")
      yield* t.use((t) =>
        Effect.gen(function* () {
          expect(yield* t.read(5)).toBe("hello")
          const at = yield* t.tell()
          expect(at).toBe(5)
          expect(yield* t.read()).toBe(" there")
          yield* t.seek(at)
          expect(yield* t.read(3)).toBe(" th")
          const bad = yield* Effect.flip(t.seek(1, 1))
          expect(bad).toBeInstanceOf(OSError)
        })
      )
    })
  )

  it.live("encodings and errors modes", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "e")
      fs.writeFileSync(path, Buffer.from([0x61, 0xff, 0x62]))
      const strict = yield* Effect.flip(Effect.flatMap(openFile(path), (f) => f.use((f) => f.read())))
      expect(strict._tag).toBe("UnicodeError")
      const replaced = yield* Effect.flatMap(openFile(path, "r", { errors: "replace" }), (f) =>
        f.use((f) => f.read())
      )
      expect(replaced).toBe("a\uFFFDb")
      const latin = yield* Effect.flatMap(openFile(path, "r", { encoding: "latin-1" }), (f) =>
        f.use((f) => f.read())
      )
      expect(latin).toBe("aÿb")
      const w = yield* openFile(path, "w", { encoding: "ascii" })
      const cannot = yield* w.use((w) => Effect.flip(w.write("é")))
      expect(cannot._tag).toBe("UnicodeError")
    })
  )

  it.live("closed files, unreadable modes, bad input", () =>
    Effect.gen(function* () {
      const path = testdatafile()
      const f = yield* openFile(path, "rb")
      yield* f.close()
      yield* f.close()
      expect((yield* Effect.flip(f.read()))._tag).toBe("ClosedResourceError")
      const w = yield* openFile(nodePath.join(tmpDir(), "w"), "wb")
      expect((yield* Effect.flip(w.read())) as OSError).toMatchObject({ code: "EBADF" })
      yield* w.close()
      const missing = yield* Effect.flip(openFile(nodePath.join(tmpDir(), "missing")))
      expect(missing).toMatchObject({ _tag: "OSError", code: "ENOENT", kind: "FileNotFoundError" })
      const exists = yield* Effect.flip(openFile(path, "x"))
      expect(exists.kind).toBe("FileExistsError")
      const dir = yield* Effect.flip(openFile(tmpDir()))
      expect(dir.kind).toBe("IsADirectoryError")
      for (const mode of ["rw", "rr", "q", "rbt", ""]) {
        const exit = yield* Effect.exit(openFile(path, mode))
        expect(Exit.isFailure(exit) && String(exit.cause)).toContain("InvalidArgumentError")
      }
      const enc = yield* Effect.exit(openFile(path, "r", { encoding: "klingon" }))
      expect(Exit.isFailure(enc) && String(enc.cause)).toContain("unknown encoding")
      const binEnc = yield* Effect.exit(openFile(path, "rb", { encoding: "utf-8" }))
      expect(Exit.isFailure(binEnc) && String(binEnc.cause)).toContain("binary mode")
    })
  )
})

describe("FIFOs and pipes", () => {
  const skip = process.platform === "win32"

  it.live.skipIf(skip)(
    "a FIFO reads and writes; opens never block a libuv thread; a pending read cancels",
    () =>
      Effect.gen(function* () {
        const dir = tmpDir()
        const fifo = nodePath.join(dir, "fifo")
        const { execFileSync } = yield* Effect.promise(() => import("node:child_process"))
        execFileSync("mkfifo", [fifo])
        // Five readers without a writer: with blocking opens these would hold libuv's 4 threads.
        const readers = yield* Effect.forEach([1, 2, 3, 4, 5], () => openFile(fifo, "rb"))
        const plain = nodePath.join(dir, "plain")
        yield* new Path(plain).writeText("still works")
        expect(yield* new Path(plain).readText()).toBe("still works")
        // A pending read of a FIFO without data is cancellable.
        const started = Date.now()
        const r = yield* Effect.timeoutOption(readers[0]!.read1(10), "30 millis")
        expect(r._tag).toBe("None")
        expect(Date.now() - started).toBeLessThan(1000)
        yield* Effect.forEach(readers, (f) => f.close())
        // A writer waits (cancellably) for a reader, then they talk.
        const writer = yield* Effect.forkChild(
          Effect.flatMap(openFile(fifo, "w"), (w) =>
            w.use((w) => Effect.andThen(w.write("one\n"), w.write("two\n")))
          )
        )
        const reader = yield* openFile(fifo)
        const lines = yield* reader.use((f) => f.readlines())
        expect(lines).toEqual(["one\n", "two\n"])
        expect(yield* Fiber.join(writer)).toBe(4)
        const seek = yield* Effect.flip(Effect.flatMap(openFile(fifo, "r"), (f) => f.use((f) => f.tell())))
        expect(seek).toMatchObject({ code: "ESPIPE" })
        // A writer alone waits, and can be cancelled.
        const lonely = yield* Effect.timeoutOption(openFile(fifo, "w"), "30 millis")
        expect(lonely._tag).toBe("None")
      })
  )

  it.live.skipIf(skip)("wrapFile of a pipe's read end: a child's output read line by line", () =>
    Effect.gen(function* () {
      const { execFileSync, spawn } = yield* Effect.promise(() => import("node:child_process"))
      const fifo = nodePath.join(tmpDir(), "fifo")
      execFileSync("mkfifo", [fifo])
      const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)
      const writeFd = fs.openSync(fifo, "w")
      const child = spawn(process.execPath, ["-e", "process.stdout.write('a\\nb\\n')"], {
        stdio: ["ignore", writeFd, "ignore"]
      })
      fs.closeSync(writeFd)
      const f = wrapFile(readFd, "r")
      expect(f.seekable()).toBe(false)
      const lines = yield* f.use((f) => f.readlines())
      expect(lines).toEqual(["a\n", "b\n"])
      yield* Effect.callback<void>((resume) => {
        if (child.exitCode !== null) resume(Effect.void)
        else child.on("exit", () => resume(Effect.void))
      })
    })
  )
})
