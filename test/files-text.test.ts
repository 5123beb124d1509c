/**
 * The file layer's text codec (src/internal/files/text.ts, on the stream layer's codecs): the
 * decoder bugs it once had, checked against CPython (expected values from `codecs` in CPython 3,
 * noted beside each case), directly and through `openFile`.
 */
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { openFile } from "../src/index.ts"
import { Decoder, encode } from "../src/internal/files/text.ts"
import { tempDirs } from "./files-helpers.ts"

const tmpDir = tempDirs("anyio-files-text-")
const tmpFile = (bytes: Uint8Array): string => {
  const path = nodePath.join(tmpDir(), "f")
  fs.writeFileSync(path, bytes)
  return path
}

const u8 = (s: string) => new TextEncoder().encode(s)

describe("file text decoding and encoding", () => {
  it("bytes F5-FF never start a character: not held back as an incomplete one", () => {
    // getincrementaldecoder('utf-8')('replace').decode(b'a\xf5', False) == 'a\ufffd', state (b'', 0)
    for (const lead of [0xf5, 0xf6, 0xf7, 0xf8, 0xff]) {
      const d = new Decoder("utf-8", "replace")
      expect(d.decode(new Uint8Array([0x61, lead]), false)).toBe("a\uFFFD")
      expect(d.pendingBytes).toBe(0)
    }
    // a real incomplete character is held, and counted
    const d = new Decoder("utf-8", "strict")
    expect(d.decode(new Uint8Array([0x61, 0xf0, 0x9f]), false)).toBe("a")
    expect(d.pendingBytes).toBe(2)
    expect(d.decode(new Uint8Array([0x98, 0x80]), true)).toBe("😀")
    expect(d.pendingBytes).toBe(0)
  })

  it('"ignore" drops only what did not decode, never a real U+FFFD', () => {
    // ('a\ufffdb'.encode() + b'\xff').decode('utf-8', 'ignore') == 'a\ufffdb'
    const bytes = new Uint8Array([...u8("a\uFFFDb"), 0xff])
    expect(new Decoder("utf-8", "ignore").decode(bytes, true)).toBe("a\uFFFDb")
    // utf-16-le: 'x\ufffd' then a lone low surrogate: 'x\ufffd'
    const utf16 = new Uint8Array([0x78, 0x00, 0xfd, 0xff, 0x00, 0xdc])
    expect(new Decoder("utf-16le", "ignore").decode(utf16, true)).toBe("x\uFFFD")
  })

  it("strict UTF-8 encoding rejects lone surrogates; replace gives ?, ignore drops them", () => {
    // 'a\ud800'.encode('utf-8'): "'utf-8' codec can't encode character '\ud800' in position 1: surrogates not allowed"
    const err = encode("a\uD800", "utf-8", "strict")
    expect(err).toMatchObject({
      _tag: "UnicodeError",
      message: "'utf-8' codec can't encode character '\\ud800' in position 1: surrogates not allowed"
    })
    expect(encode("a\uD800b", "utf-8", "replace")).toEqual(u8("a?b"))
    expect(encode("a\uD800b", "utf-8", "ignore")).toEqual(u8("ab"))
    expect(encode("a😀", "utf-8", "strict")).toEqual(u8("a😀"))
  })

  it.live("through openFile: reads and writes follow the same rules", () =>
    Effect.gen(function* () {
      const path = tmpFile(new Uint8Array([...u8("a\uFFFDb"), 0xff, 0xf5]))
      const ignored = yield* Effect.flatMap(openFile(path, "r", { errors: "ignore" }), (f) =>
        f.use((f) => f.read())
      )
      expect(ignored).toBe("a\uFFFDb")
      const replaced = yield* Effect.flatMap(openFile(path, "r", { errors: "replace" }), (f) =>
        f.use((f) => f.read())
      )
      expect(replaced).toBe("a\uFFFDb\uFFFD\uFFFD")
      const w = yield* openFile(path, "w")
      const bad = yield* w.use((w) => Effect.flip(w.write("x\uDC00")))
      expect(bad._tag).toBe("UnicodeError")
    })
  )
})
