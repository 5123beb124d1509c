/**
 * File streams: AnyIO's tests/streams/test_file.py, ported, plus pipes/FIFOs and "no byte lost on
 * cancellation".
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import fc from "fast-check"
import {
  type ByteReceiveStream,
  ClosedResourceError,
  EndOfStream,
  FileReadStream,
  FileStreamAttribute,
  FileWriteStream,
  openFile,
  Path
} from "../src/index.ts"
import { tempDirs } from "./files-helpers.ts"

const tmpDir = tempDirs("anyio-filestream-")

const decode = (b: Uint8Array) => new TextDecoder().decode(b)

describe("FileReadStream (AnyIO's TestFileReadStream)", () => {
  const filePath = nodePath.join(tmpDir(), "data.txt")
  fs.writeFileSync(filePath, "Hello")

  const runFilestreamTest = (stream: ByteReceiveStream<unknown>) =>
    Effect.gen(function* () {
      expect(decode(yield* stream.receive(3))).toBe("Hel")
      expect(decode(yield* stream.receive(3))).toBe("lo")
      expect(yield* Effect.flip(stream.receive(1))).toBeInstanceOf(EndOfStream)
    })

  // anyio: test_read_file_as_path
  it.live.each([
    { id: "str", arg: filePath },
    { id: "path", arg: new Path(filePath) }
  ])("read a file from a path ($id)", ({ arg }) =>
    Effect.flatMap(FileReadStream.fromPath(arg), (stream) => stream.use(runFilestreamTest))
  )

  // anyio: test_read_file
  it.live("read an open file", () =>
    Effect.flatMap(openFile(filePath, "rb"), (file) => new FileReadStream(file).use(runFilestreamTest))
  )

  // anyio: test_read_after_close
  it.live("receive after close: ClosedResourceError", () =>
    Effect.gen(function* () {
      const stream = yield* FileReadStream.fromPath(filePath)
      yield* stream.use(() => Effect.void)
      expect(yield* Effect.flip(stream.receive())).toBeInstanceOf(ClosedResourceError)
    })
  )

  // anyio: test_receive_invalid_max_bytes
  it.live.each([0, -1])("receive(%s) is rejected", (maxBytes) =>
    Effect.gen(function* () {
      const stream = yield* FileReadStream.fromPath(filePath)
      const exit = yield* stream.use((s) => Effect.exit(s.receive(maxBytes)))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("maxBytes must be a positive integer")
    })
  )

  // anyio: test_seek
  it.live("seek and tell", () =>
    Effect.gen(function* () {
      const file = yield* openFile(filePath, "rb")
      yield* new FileReadStream(file).use((stream) =>
        Effect.gen(function* () {
          yield* stream.seek(2)
          expect(yield* stream.tell()).toBe(2)
          expect(decode(yield* stream.receive())).toBe("llo")
          expect(yield* stream.tell()).toBe(5)
        })
      )
    })
  )

  // anyio: test_extra_attributes
  it.live("extra attributes", () =>
    Effect.gen(function* () {
      const stream = yield* FileReadStream.fromPath(filePath)
      yield* stream.use((stream) =>
        Effect.gen(function* () {
          expect((yield* stream.extra(FileStreamAttribute.path)).equals(filePath)).toBe(true)
          const fileno = yield* stream.extra(FileStreamAttribute.fileno)
          expect(fileno).toBeGreaterThan(2)
          const file = yield* stream.extra(FileStreamAttribute.file)
          expect(file.fileno()).toBe(fileno)
        })
      )
    })
  )
})

describe("FileWriteStream (AnyIO's TestFileWriteStream)", () => {
  const encode = (s: string) => new TextEncoder().encode(s)

  // anyio: test_write_file
  it.live("write a file", () =>
    Effect.gen(function* () {
      const filePath = nodePath.join(tmpDir(), "written_data.txt")
      const stream = yield* FileWriteStream.fromPath(filePath)
      yield* stream.use((s) => Effect.andThen(s.send(encode("Hel")), s.send(encode("lo"))))
      expect(fs.readFileSync(filePath, "utf8")).toBe("Hello")
    })
  )

  // anyio: test_append_file
  it.live("append to a file", () =>
    Effect.gen(function* () {
      const filePath = nodePath.join(tmpDir(), "written_data.txt")
      fs.writeFileSync(filePath, "Hello")
      const stream = yield* FileWriteStream.fromPath(filePath, true)
      yield* stream.use((s) => s.send(encode(", World!")))
      expect(fs.readFileSync(filePath, "utf8")).toBe("Hello, World!")
    })
  )

  // anyio: test_write_after_close
  it.live("send after close: ClosedResourceError", () =>
    Effect.gen(function* () {
      const stream = yield* FileWriteStream.fromPath(nodePath.join(tmpDir(), "written_data.txt"), true)
      yield* stream.use(() => Effect.void)
      expect(yield* Effect.flip(stream.send(encode("foo")))).toBeInstanceOf(ClosedResourceError)
    })
  )

  // anyio: test_extra_attributes
  it.live("extra attributes", () =>
    Effect.gen(function* () {
      const filePath = nodePath.join(tmpDir(), "written_data.txt")
      const stream = yield* FileWriteStream.fromPath(filePath)
      yield* stream.use((stream) =>
        Effect.gen(function* () {
          expect((yield* stream.extra(FileStreamAttribute.path)).equals(filePath)).toBe(true)
          const fileno = yield* stream.extra(FileStreamAttribute.fileno)
          expect(fileno).toBeGreaterThan(2)
          expect((yield* stream.extra(FileStreamAttribute.file)).fileno()).toBe(fileno)
        })
      )
    })
  )
})

describe("file streams: pipes and cancellation", () => {
  it.live.skipIf(process.platform === "win32")("a FIFO between a FileWriteStream and a FileReadStream", () =>
    Effect.gen(function* () {
      const pipes = () => process.getActiveResourcesInfo().filter((r) => r === "PipeWrap").length
      const before = pipes()
      const fifo = nodePath.join(tmpDir(), "fifo")
      execFileSync("mkfifo", [fifo])
      const reader = yield* FileReadStream.fromPath(fifo)
      const writer = yield* Effect.forkChild(
        Effect.flatMap(FileWriteStream.fromPath(fifo), (w) =>
          w.use((w) => Effect.forEach(["ab", "cd", "ef"], (s) => w.send(new TextEncoder().encode(s))))
        )
      )
      let all = ""
      yield* reader.use((r) => r.runForEach((chunk) => Effect.sync(() => (all += decode(chunk)))))
      yield* Fiber.join(writer)
      expect(all).toBe("abcdef")
      expect((yield* Effect.flip(reader.receive()))._tag).toBe("ClosedResourceError")
      yield* Effect.sleep(10)
      expect(pipes()).toBe(before)
    })
  )

  it.live("no byte lost or duplicated when receives are cancelled at random points", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "big")
      const data = new Uint8Array(200_000).map((_, i) => (i * 7) % 251)
      fs.writeFileSync(path, data)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.integer({ min: 1, max: 70_000 }), fc.boolean()), {
              minLength: 5,
              maxLength: 25
            }),
            (steps) =>
              Effect.runPromise(
                Effect.gen(function* () {
                  const stream = yield* FileReadStream.fromPath(path)
                  const got: Array<Uint8Array> = []
                  yield* stream.use((s) =>
                    Effect.gen(function* () {
                      for (const [size, cancel] of steps) {
                        if (cancel) {
                          // Interrupted while the read is in flight: nothing is consumed.
                          const fiber = yield* Effect.forkChild(s.receive(size), { startImmediately: true })
                          yield* Fiber.interrupt(fiber)
                        } else {
                          const r = yield* Effect.exit(s.receive(size))
                          if (Exit.isSuccess(r)) got.push(r.value)
                        }
                      }
                      for (;;) {
                        const r = yield* Effect.exit(s.receive())
                        if (Exit.isFailure(r)) break
                        got.push(r.value)
                      }
                    })
                  )
                  const joined = Buffer.concat(got)
                  expect(joined.equals(Buffer.from(data))).toBe(true)
                })
              )
          ),
          { numRuns: 20 }
        )
      )
    })
  )
})
