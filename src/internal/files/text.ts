/**
 * Text encodings of files (Python's `encoding=` / `errors=`): incremental decoding that keeps an
 * incomplete multi-byte sequence for the next chunk and says how many bytes it holds (text-mode
 * `tell()` needs it), and encoding with Python's error modes.
 *
 * Supported: utf-8 (default), utf-16-le, latin-1, ascii. `errors`: "strict" (a `UnicodeError`),
 * "replace" (U+FFFD, or "?" when encoding), "ignore" (dropped).
 *
 * @internal
 */
import { UnicodeError } from "../../Errors.ts"

export type Encoding = "utf-8" | "utf-16le" | "latin1" | "ascii"
export type ErrorMode = "strict" | "replace" | "ignore"

const aliases: Record<string, Encoding> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  u8: "utf-8",
  "utf-16le": "utf-16le",
  "utf-16-le": "utf-16le",
  utf16le: "utf-16le",
  "latin-1": "latin1",
  latin1: "latin1",
  "iso-8859-1": "latin1",
  "iso8859-1": "latin1",
  l1: "latin1",
  ascii: "ascii",
  "us-ascii": "ascii"
}

/** The canonical name of an encoding, or undefined when it is not supported. */
export const encodingOf = (name: string): Encoding | undefined =>
  aliases[name.toLowerCase().replace(/_/g, "-")] ?? aliases[name.toLowerCase().replace(/[-_]/g, "")]

export const isErrorMode = (value: unknown): value is ErrorMode =>
  value === "strict" || value === "replace" || value === "ignore"

/** Length of an incomplete sequence at the end of `bytes` (to be completed by the next chunk). */
const incompleteTail = (bytes: Uint8Array, encoding: Encoding): number => {
  const n = bytes.length
  if (encoding === "utf-8") {
    for (let back = 1; back <= Math.min(3, n); back++) {
      const b = bytes[n - back]!
      if ((b & 0xc0) === 0x80) continue
      const need = b >= 0xf0 && b <= 0xf7 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
      return need > back ? back : 0
    }
    return 0
  }
  if (encoding === "utf-16le") {
    if (n % 2 === 1) return n >= 3 && isHighSurrogate(bytes, n - 3) ? 3 : 1
    return n >= 2 && isHighSurrogate(bytes, n - 2) ? 2 : 0
  }
  return 0
}

const isHighSurrogate = (bytes: Uint8Array, i: number): boolean => {
  const unit = bytes[i]! | (bytes[i + 1]! << 8)
  return unit >= 0xd800 && unit <= 0xdbff
}

type Utf8Decoder = InstanceType<typeof TextDecoder>
const decoders = new Map<string, Utf8Decoder>()
const decoderFor = (encoding: "utf-8" | "utf-16le", fatal: boolean): Utf8Decoder => {
  const key = `${encoding}:${fatal}`
  let d = decoders.get(key)
  if (d === undefined) decoders.set(key, (d = new TextDecoder(encoding, { fatal })))
  return d
}

const decodeError = (encoding: Encoding, detail: string): UnicodeError =>
  new UnicodeError({ message: `'${encoding}' codec can't decode ${detail}`, encoding })

/** Decodes complete bytes (no incomplete tail, or the final chunk). */
const decodeComplete = (bytes: Uint8Array, encoding: Encoding, errors: ErrorMode): string | UnicodeError => {
  switch (encoding) {
    case "latin1":
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1")
    case "ascii": {
      let out = ""
      let start = 0
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i]! < 0x80) continue
        if (errors === "strict") {
          return decodeError(encoding, `byte 0x${bytes[i]!.toString(16)} in position ${i}`)
        }
        out +=
          Buffer.from(bytes.subarray(start, i)).toString("latin1") + (errors === "replace" ? "\uFFFD" : "")
        start = i + 1
      }
      return out + Buffer.from(bytes.subarray(start)).toString("latin1")
    }
    default:
      if (errors === "strict") {
        try {
          return decoderFor(encoding, true).decode(bytes)
        } catch {
          return decodeError(encoding, "bytes: invalid data")
        }
      }
      if (errors === "ignore") {
        // Drop what did not decode: decode strictly piece by piece around the bad bytes.
        try {
          return decoderFor(encoding, true).decode(bytes)
        } catch {
          return decoderFor(encoding, false)
            .decode(bytes)
            .replace(/\uFFFD/g, "")
        }
      }
      return decoderFor(encoding, false).decode(bytes)
  }
}

/** An incremental decoder: bytes in, text out, with the count of bytes it still holds. */
export class Decoder {
  private pending: Uint8Array = new Uint8Array(0)
  readonly encoding: Encoding
  readonly errors: ErrorMode

  constructor(encoding: Encoding, errors: ErrorMode) {
    this.encoding = encoding
    this.errors = errors
  }

  /** Bytes received but not decoded yet (an incomplete sequence). */
  get pendingBytes(): number {
    return this.pending.length
  }

  reset(): void {
    this.pending = new Uint8Array(0)
  }

  decode(chunk: Uint8Array, final: boolean): string | UnicodeError {
    let bytes = chunk
    if (this.pending.length > 0) {
      bytes = new Uint8Array(this.pending.length + chunk.length)
      bytes.set(this.pending)
      bytes.set(chunk, this.pending.length)
    }
    const tail = final ? 0 : incompleteTail(bytes, this.encoding)
    this.pending = tail > 0 ? bytes.slice(bytes.length - tail) : new Uint8Array(0)
    return decodeComplete(
      tail > 0 ? bytes.subarray(0, bytes.length - tail) : bytes,
      this.encoding,
      this.errors
    )
  }
}

/** Encodes text; "strict" fails on characters the encoding lacks. */
export const encode = (text: string, encoding: Encoding, errors: ErrorMode): Uint8Array | UnicodeError => {
  if (encoding === "utf-8") return Buffer.from(text, "utf8")
  if (encoding === "utf-16le") return Buffer.from(text, "utf16le")
  const max = encoding === "ascii" ? 0x7f : 0xff
  let clean = text
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) <= max) continue
    if (errors === "strict") {
      return new UnicodeError({
        message: `'${encoding}' codec can't encode character '\\u${text.charCodeAt(i).toString(16).padStart(4, "0")}' in position ${i}`,
        encoding
      })
    }
    clean = Array.from(text, (c) => (c.charCodeAt(0) <= max ? c : errors === "replace" ? "?" : "")).join("")
    break
  }
  return Buffer.from(clean, "latin1")
}

/** Byte length of text in an encoding (for text-mode `tell()`). */
export const byteLength = (text: string, encoding: Encoding): number =>
  encoding === "utf-8"
    ? Buffer.byteLength(text, "utf8")
    : encoding === "utf-16le"
      ? text.length * 2
      : text.length
