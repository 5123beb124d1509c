/**
 * What the file tests share: temp dirs removed after the test file's tests, `collect`, and AnyIO's
 * `limiter` fixture.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { afterAll } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { CapacityLimiter } from "../src/index.ts"

/**
 * A maker of fresh temp dirs (real paths, named after `prefix`), every one removed after the
 * calling test file's tests. Call it at the top level of a test file.
 */
export const tempDirs = (prefix: string): (() => string) => {
  const made: Array<string> = []
  afterAll(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true })
  })
  return () => {
    const dir = fs.realpathSync(fs.mkdtempSync(nodePath.join(os.tmpdir(), prefix)))
    made.push(dir)
    return dir
  }
}

/** The items of a stream, as an array. */
export const collect = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<Array<A>, E> =>
  Effect.map(Stream.runCollect(stream), (c) => Array.from(c))

/** AnyIO's `limiter` fixture ([None, CapacityLimiter(10)]), for `describe.each` / `it.each`. */
export const limiters = [
  { name: "no limiter", make: (): CapacityLimiter | undefined => undefined },
  { name: "limiter", make: (): CapacityLimiter | undefined => new CapacityLimiter(10) }
]
