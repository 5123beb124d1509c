/**
 * Types promised by toThread / toProcess / openFile / Path / file streams.
 */
import { describe, expectTypeOf, it } from "@effect/vitest"
import type { Effect, Stream } from "effect"
import {
  type AsyncFile,
  type FileError,
  FileReadStream,
  type FileReceiveError,
  type OSError,
  openFile,
  Path,
  toProcess,
  toThread,
  type WorkerFunction,
  workerFunction,
  workerModule
} from "../src/index.ts"

const fns = workerModule<typeof import("./fixtures/worker-fns.ts")>(
  new URL("./fixtures/worker-fns.ts", import.meta.url)
)

describe("types", () => {
  it("worker functions: arguments checked, results inferred (a promise awaited)", () => {
    expectTypeOf(fns.add).toEqualTypeOf<WorkerFunction<(a: number, b: number) => number>>()
    expectTypeOf(toThread.runSync(fns.add, [1, 2])).toEqualTypeOf<Effect.Effect<number, unknown>>()
    expectTypeOf(toThread.runSync(fns.asyncAdd, [1, 2])).toEqualTypeOf<Effect.Effect<number, unknown>>()
    expectTypeOf(toProcess.runSync(fns.hello)).toEqualTypeOf<Effect.Effect<string, unknown>>()
    expectTypeOf(toThread.runSync("node:os", "cpus")).toEqualTypeOf<Effect.Effect<unknown, unknown>>()
    const f = workerFunction<(s: string) => boolean>("node:fs", "existsSync")
    expectTypeOf(toThread.runSync(f, ["/"])).toEqualTypeOf<Effect.Effect<boolean, unknown>>()
    // @ts-expect-error: wrong argument type
    toThread.runSync(fns.add, ["1", 2])
    // @ts-expect-error: missing arguments
    toThread.runSync(fns.add)
  })

  it("openFile: text modes give strings, binary modes bytes", () => {
    expectTypeOf(openFile("/x")).toEqualTypeOf<Effect.Effect<AsyncFile<string>, OSError>>()
    expectTypeOf(openFile("/x", "rb")).toEqualTypeOf<Effect.Effect<AsyncFile<Uint8Array>, OSError>>()
    expectTypeOf(openFile("/x", "a+")).toEqualTypeOf<Effect.Effect<AsyncFile<string>, OSError>>()
    expectTypeOf<AsyncFile<string>["read"]>().returns.toEqualTypeOf<Effect.Effect<string, FileError>>()
    expectTypeOf(new Path("/x").open("wb")).toEqualTypeOf<Effect.Effect<AsyncFile<Uint8Array>, OSError>>()
  })

  it("Path keeps its subclass; streams of paths", () => {
    class Mine extends Path {}
    expectTypeOf(new Mine("/a").div("b")).toEqualTypeOf<Mine>()
    expectTypeOf(new Mine("/a").parent).toEqualTypeOf<Mine>()
    expectTypeOf(new Mine("/a").glob("*")).toEqualTypeOf<Stream.Stream<Mine, OSError>>()
    expectTypeOf(Mine.fromUri("file:///a")).toEqualTypeOf<Mine>()
  })

  it("file streams", () => {
    expectTypeOf(FileReadStream.fromPath("/x")).toEqualTypeOf<Effect.Effect<FileReadStream, OSError>>()
    expectTypeOf<FileReadStream["receive"]>().returns.toEqualTypeOf<
      Effect.Effect<Uint8Array, FileReceiveError>
    >()
  })
})
