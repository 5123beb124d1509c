/**
 * Text codecs for text streams, with Python's names, incremental decoding and error modes
 * (`codecs.getincrementaldecoder(encoding)(errors)` / `getincrementalencoder`), checked against
 * CPython's output (`test/reference/codecs.py`).
 *
 * - Supported: utf-8, utf-8-sig, utf-16 (a BOM required, as Python's incremental decoder wants),
 *   utf-16-le, utf-16-be, latin-1, ascii, cp1250–cp1258, iso8859-2…8/10/13/14/15, koi8-r, koi8-u,
 *   mac-roman. Other names: `undefined` (the caller raises `InvalidArgumentError`).
 * - `errors`: "strict" (a `UnicodeError` with Python's message), "replace" (U+FFFD when decoding,
 *   "?" when encoding), "ignore" (dropped). Invalid UTF-8 is replaced per maximal subpart, as
 *   Python (and WHATWG) do.
 * - A decoder keeps the incomplete sequence a chunk ends with and completes it with the next chunk,
 *   so a character split across chunks is never corrupted; `flush()` decodes what is left at the end.
 * - Bulk work is native: complete runs go through `TextDecoder` (`fatal` for strict) and
 *   `TextEncoder`/`Buffer`; JavaScript loops only run on bytes around an error, on "ignore", and for
 *   the single-byte tables.
 *
 * @internal
 */
import { UnicodeError } from "../Errors.ts"

export type ErrorMode = "strict" | "replace" | "ignore"

export const isErrorMode = (value: unknown): value is ErrorMode =>
  value === "strict" || value === "replace" || value === "ignore"

export interface IncrementalDecoder {
  /** Decodes a chunk; an incomplete sequence at its end is kept for the next call. */
  decode(chunk: Uint8Array): string | UnicodeError
  /** End of input: decodes what is kept (strict: an error if anything is). */
  flush(): string | UnicodeError
  reset(): void
  /** How many bytes it holds (an incomplete sequence, a partial BOM): text-mode `tell()` needs it. */
  readonly pending: number
}

export interface IncrementalEncoder {
  encode(text: string): Uint8Array | UnicodeError
}

export interface Codec {
  /** Python's canonical name (`codecs.lookup(name).name`). */
  readonly name: string
  decoder(errors: ErrorMode): IncrementalDecoder
  encoder(errors: ErrorMode): IncrementalEncoder
}

// -----------------------------------------------------------------------------
// Messages (Python's)
// -----------------------------------------------------------------------------

const hex2 = (n: number) => n.toString(16).padStart(2, "0")

const charRepr = (cp: number): string =>
  cp < 0x100
    ? `\\x${hex2(cp)}`
    : cp < 0x10000
      ? `\\u${cp.toString(16).padStart(4, "0")}`
      : `\\U${cp.toString(16).padStart(8, "0")}`

const decodeError = (
  codec: string,
  bytes: Uint8Array,
  at: number,
  length: number,
  reason: string,
  base = 0
): UnicodeError =>
  new UnicodeError({
    message:
      length === 1
        ? `'${codec}' codec can't decode byte 0x${hex2(bytes[at]!)} in position ${at + base}: ${reason}`
        : `'${codec}' codec can't decode bytes in position ${at + base}-${at + base + length - 1}: ${reason}`,
    encoding: codec
  })

const encodeError = (codec: string, cp: number, position: number, reason: string) =>
  new UnicodeError({
    message: `'${codec}' codec can't encode character '${charRepr(cp)}' in position ${position}: ${reason}`,
    encoding: codec
  })

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

const empty = new Uint8Array(0)
const utf8Encoder = new TextEncoder()

const latin1 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1")

const asPlain = (buf: Buffer): Uint8Array => new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)

// -----------------------------------------------------------------------------
// UTF-8
// -----------------------------------------------------------------------------

/**
 * The sequence starting at `bytes[i]` (Unicode's table 3-7 of well-formed sequences): its length
 * (> 0) when complete and valid; 0 when `bytes` ends before it is complete (still valid so far);
 * -k when the first k bytes are an invalid maximal subpart (`reason` says why).
 */
let reason = ""
const utf8Sequence = (bytes: Uint8Array, i: number): number => {
  const b0 = bytes[i]!
  if (b0 < 0x80) return 1
  let need: number
  let lo = 0x80
  let hi = 0xbf
  if (b0 >= 0xc2 && b0 <= 0xdf) need = 1
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2
    if (b0 === 0xe0) lo = 0xa0
    else if (b0 === 0xed) hi = 0x9f
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3
    if (b0 === 0xf0) lo = 0x90
    else if (b0 === 0xf4) hi = 0x8f
  } else {
    reason = "invalid start byte"
    return -1
  }
  for (let k = 1; k <= need; k++) {
    if (i + k >= bytes.length) return 0
    const c = bytes[i + k]!
    if (c < lo || c > hi) {
      reason = "invalid continuation byte"
      return -k
    }
    lo = 0x80
    hi = 0xbf
  }
  return need + 1
}

/** Length of the valid but incomplete sequence `bytes` ends with (0–3). */
const utf8IncompleteTail = (bytes: Uint8Array): number => {
  const n = bytes.length
  for (let back = 1; back <= 3 && back <= n; back++) {
    const b = bytes[n - back]!
    if ((b & 0xc0) === 0x80) continue // a continuation byte: look further back for the lead
    return b >= 0xc2 && utf8Sequence(bytes, n - back) === 0 ? back : 0
  }
  return 0
}

const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
const utf8Replace = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

/** Decodes complete UTF-8 (no incomplete tail) in a mode; `base` is added to error positions. */
const decodeUtf8Complete = (bytes: Uint8Array, errors: ErrorMode, base: number): string | UnicodeError => {
  if (bytes.length === 0) return ""
  if (errors === "replace") return utf8Replace.decode(bytes)
  if (errors === "strict") {
    try {
      return utf8Strict.decode(bytes)
    } catch {
      // fall through to the scan, which finds the first error
    }
  }
  let out = ""
  let run = 0
  let i = 0
  const n = bytes.length
  while (i < n) {
    if (bytes[i]! < 0x80) {
      i++
      continue
    }
    const len = utf8Sequence(bytes, i)
    if (len > 0) {
      i += len
      continue
    }
    const bad = len === 0 ? n - i : -len
    if (errors === "strict") {
      return decodeError("utf-8", bytes, i, bad, len === 0 ? "unexpected end of data" : reason, base)
    }
    if (i > run) out += utf8Replace.decode(bytes.subarray(run, i))
    i += bad
    run = i
  }
  return run === 0 ? utf8Replace.decode(bytes) : out + utf8Replace.decode(bytes.subarray(run))
}

const BOM8 = [0xef, 0xbb, 0xbf] as const

class Utf8Decoder implements IncrementalDecoder {
  private held: Uint8Array = empty
  private bomPending: boolean
  private readonly errors: ErrorMode
  private readonly sig: boolean

  constructor(errors: ErrorMode, sig: boolean) {
    this.errors = errors
    this.sig = sig
    this.bomPending = sig
  }

  reset(): void {
    this.held = empty
    this.bomPending = this.sig
  }

  get pending(): number {
    return this.held.length
  }

  decode(chunk: Uint8Array): string | UnicodeError {
    if (this.bomPending) {
      const all = this.held.length > 0 ? concat(this.held, chunk) : chunk
      let isPrefix = true
      for (let i = 0; i < Math.min(3, all.length); i++) if (all[i] !== BOM8[i]) isPrefix = false
      if (isPrefix && all.length < 3) {
        this.held = all.slice()
        return ""
      }
      this.bomPending = false
      this.held = empty
      chunk = isPrefix ? all.subarray(3) : all
    }
    let prefix = ""
    let base = 0
    const held = this.held
    if (held.length > 0) {
      // Complete the sequence the last chunk ended with, from the first bytes of this one.
      const tmp = concat(held, chunk.subarray(0, 4 - held.length))
      const r = utf8Sequence(tmp, 0)
      if (r === 0) {
        this.held = tmp
        return ""
      }
      this.held = empty
      if (r > 0) {
        prefix = utf8Replace.decode(tmp.subarray(0, r))
        chunk = chunk.subarray(r - held.length)
      } else {
        if (this.errors === "strict") return decodeError("utf-8", tmp, 0, -r, reason)
        if (this.errors === "replace") prefix = "\uFFFD"
        chunk = chunk.subarray(-r - held.length)
      }
      // Python counts error positions from the first byte kept from the previous chunk.
      base = Math.abs(r)
    }
    const tail = utf8IncompleteTail(chunk)
    const body = tail > 0 ? chunk.subarray(0, chunk.length - tail) : chunk
    const text = decodeUtf8Complete(body, this.errors, base)
    if (typeof text !== "string") return text
    if (tail > 0) this.held = chunk.slice(chunk.length - tail)
    return prefix.length > 0 ? prefix + text : text
  }

  flush(): string | UnicodeError {
    const held = this.held
    const bomPending = this.bomPending
    this.reset()
    // Python's utf-8-sig drops a BOM prefix the input ends with.
    if (held.length === 0 || bomPending) return ""
    return decodeUtf8Complete(held, this.errors, 0)
  }
}

const encodeUtf8 = (codec: string, text: string, errors: ErrorMode): Uint8Array | UnicodeError => {
  if ((text as unknown as { isWellFormed(): boolean }).isWellFormed()) return utf8Encoder.encode(text)
  const clean = withoutLoneSurrogates(codec, text, errors)
  return typeof clean === "string" ? utf8Encoder.encode(clean) : clean
}

/** `text` with its lone surrogates replaced ("?") or dropped, or the strict error for the first. */
const withoutLoneSurrogates = (codec: string, text: string, errors: ErrorMode): string | UnicodeError => {
  let out = ""
  let run = 0
  let position = 0
  for (let i = 0; i < text.length; i++, position++) {
    const u = text.charCodeAt(i)
    if (u < 0xd800 || u > 0xdfff) continue
    if (u <= 0xdbff && i + 1 < text.length) {
      const v = text.charCodeAt(i + 1)
      if (v >= 0xdc00 && v <= 0xdfff) {
        i++
        continue
      }
    }
    if (errors === "strict") return encodeError(codec, u, position, "surrogates not allowed")
    out += text.slice(run, i) + (errors === "replace" ? "?" : "")
    run = i + 1
  }
  return out + text.slice(run)
}

// -----------------------------------------------------------------------------
// UTF-16
// -----------------------------------------------------------------------------

const utf16leStrict = new TextDecoder("utf-16le", { fatal: true, ignoreBOM: true })
const utf16leReplace = new TextDecoder("utf-16le", { fatal: false, ignoreBOM: true })

class Utf16Decoder implements IncrementalDecoder {
  private held: Uint8Array = empty
  /** undefined: the byte order comes from the BOM (Python's "utf-16"). */
  private bigEndian: boolean | undefined
  private readonly initial: boolean | undefined
  private readonly errors: ErrorMode

  constructor(errors: ErrorMode, bigEndian: boolean | undefined) {
    this.errors = errors
    this.bigEndian = bigEndian
    this.initial = bigEndian
  }

  reset(): void {
    this.held = empty
    this.bigEndian = this.initial
  }

  get pending(): number {
    return this.held.length
  }

  private get codec(): string {
    return this.bigEndian ? "utf-16-be" : "utf-16-le"
  }

  decode(chunk: Uint8Array): string | UnicodeError {
    let bytes = this.held.length > 0 ? concat(this.held, chunk) : chunk
    if (this.bigEndian === undefined) {
      if (bytes.length < 2) {
        this.held = bytes.slice()
        return ""
      }
      if (bytes[0] === 0xff && bytes[1] === 0xfe) this.bigEndian = false
      else if (bytes[0] === 0xfe && bytes[1] === 0xff) this.bigEndian = true
      else {
        this.held = empty
        return new UnicodeError({ message: "UTF-16 stream does not start with BOM", encoding: "utf-16" })
      }
      bytes = bytes.subarray(2)
    }
    // Keep an odd byte, or a high surrogate that ends the chunk, for the next chunk.
    let end = bytes.length & ~1
    if (end >= 2) {
      const u = this.unit(bytes, end - 2)
      if (u >= 0xd800 && u <= 0xdbff) end -= 2
    }
    const text = this.run(bytes.subarray(0, end))
    if (typeof text !== "string") {
      this.held = empty
      return text
    }
    this.held = end < bytes.length ? bytes.slice(end) : empty
    return text
  }

  flush(): string | UnicodeError {
    const held = this.held
    const codec = this.codec
    this.reset()
    if (held.length === 0) return ""
    if (this.errors === "strict") {
      return held.length === 1
        ? decodeError(codec, held, 0, 1, "truncated data")
        : decodeError(codec, held, 0, held.length, "unexpected end of data")
    }
    return this.errors === "replace" ? "\uFFFD" : ""
  }

  private unit(bytes: Uint8Array, i: number): number {
    return this.bigEndian ? (bytes[i]! << 8) | bytes[i + 1]! : bytes[i]! | (bytes[i + 1]! << 8)
  }

  /** Decodes whole code units (a trailing high surrogate was cut off before). */
  private run(bytes: Uint8Array): string | UnicodeError {
    if (bytes.length === 0) return ""
    let le = bytes
    if (this.bigEndian) {
      le = bytes.slice()
      Buffer.from(le.buffer, le.byteOffset, le.byteLength).swap16()
    }
    if (this.errors === "replace") return utf16leReplace.decode(le)
    if (this.errors === "strict") {
      try {
        return utf16leStrict.decode(le)
      } catch {
        // fall through to the scan, which finds the first error
      }
    }
    let out = ""
    let run = 0
    for (let i = 0; i < le.length; i += 2) {
      const u = le[i]! | (le[i + 1]! << 8)
      if (u < 0xd800 || u > 0xdfff) continue
      if (u <= 0xdbff && i + 2 < le.length) {
        const v = le[i + 2]! | (le[i + 3]! << 8)
        if (v >= 0xdc00 && v <= 0xdfff) {
          i += 2
          continue
        }
      }
      if (this.errors === "strict") {
        return decodeError(
          this.codec,
          bytes,
          i,
          2,
          u <= 0xdbff ? "illegal UTF-16 surrogate" : "illegal encoding"
        )
      }
      out += utf16leReplace.decode(le.subarray(run, i))
      run = i + 2
    }
    return out + utf16leReplace.decode(le.subarray(run))
  }
}

const encodeUtf16 = (codec: string, text: string, errors: ErrorMode, bigEndian: boolean) => {
  let clean = text
  if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    const c = withoutLoneSurrogates(codec, text, errors)
    if (typeof c !== "string") return c
    clean = c
  }
  const buf = Buffer.from(clean, "utf16le")
  if (bigEndian) buf.swap16()
  return asPlain(buf)
}

// -----------------------------------------------------------------------------
// Single-byte codecs
// -----------------------------------------------------------------------------

const UNDEFINED = 0xffff

interface Table {
  readonly decode: Uint16Array
  readonly encode: Map<number, number>
}

class SingleByteDecoder implements IncrementalDecoder {
  private readonly table: Table
  private readonly errors: ErrorMode
  private readonly codecName: string
  private readonly reasonText: string
  constructor(table: Table, errors: ErrorMode, codecName: string, reasonText: string) {
    this.table = table
    this.errors = errors
    this.codecName = codecName
    this.reasonText = reasonText
  }
  readonly pending = 0
  reset(): void {}
  flush(): string {
    return ""
  }
  decode(bytes: Uint8Array): string | UnicodeError {
    const t = this.table.decode
    const out = new Uint16Array(bytes.length)
    let j = 0
    for (let i = 0; i < bytes.length; i++) {
      const cp = t[bytes[i]!]!
      if (cp !== UNDEFINED) out[j++] = cp
      else if (this.errors === "strict") return decodeError(this.codecName, bytes, i, 1, this.reasonText)
      else if (this.errors === "replace") out[j++] = 0xfffd
    }
    return utf16leReplace.decode(new Uint8Array(out.buffer, 0, j * 2))
  }
}

const encodeSingleByte = (
  table: Table,
  codecName: string,
  reasonText: string,
  text: string,
  errors: ErrorMode
): Uint8Array | UnicodeError => {
  const out = new Uint8Array(text.length)
  let j = 0
  let position = 0
  for (const ch of text) {
    const cp = ch.codePointAt(0)!
    const b = table.encode.get(cp)
    if (b !== undefined) out[j++] = b
    else if (errors === "strict") return encodeError(codecName, cp, position, reasonText)
    else if (errors === "replace") out[j++] = 0x3f
    position++
  }
  return out.subarray(0, j)
}

const tableFrom = (decode: Uint16Array): Table => {
  const encode = new Map<number, number>()
  for (let b = 255; b >= 0; b--) if (decode[b] !== UNDEFINED) encode.set(decode[b]!, b)
  return { decode, encode }
}

/** A table from a WHATWG single-byte decoder, with the bytes Python leaves undefined. */
const whatwgTable = (label: string, holes: ReadonlyArray<number>): Table | undefined => {
  let d: InstanceType<typeof TextDecoder>
  try {
    d = new TextDecoder(label, { fatal: false })
  } catch {
    return undefined // a Node built without full ICU
  }
  const decode = new Uint16Array(256)
  const all = d.decode(Uint8Array.from({ length: 256 }, (_, i) => i))
  if (all.length !== 256) return undefined
  for (let b = 0; b < 256; b++) {
    const c = all.charCodeAt(b)
    decode[b] = c === 0xfffd ? UNDEFINED : c
  }
  for (const h of holes) decode[h] = UNDEFINED
  return tableFrom(decode)
}

/** cp1252's 0x80–0x9F (Node's "windows-1252" decoder is latin-1 there). */
const CP1252_HIGH = [
  0x20ac, -1, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, -1,
  0x017d, -1, -1, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
  0x0153, -1, 0x017e, 0x0178
]

const cp1252Table = (): Table => {
  const decode = new Uint16Array(256)
  for (let b = 0; b < 256; b++) decode[b] = b
  CP1252_HIGH.forEach((cp, i) => {
    decode[0x80 + i] = cp < 0 ? UNDEFINED : cp
  })
  return tableFrom(decode)
}

const latin1Table = (): Table => tableFrom(Uint16Array.from({ length: 256 }, (_, i) => i))
const asciiTable = (): Table =>
  tableFrom(Uint16Array.from({ length: 256 }, (_, i) => (i < 128 ? i : UNDEFINED)))

// -----------------------------------------------------------------------------
// The registry
// -----------------------------------------------------------------------------

const utf8Codec = (name: string, sig: boolean): Codec => ({
  name,
  decoder: (errors) => new Utf8Decoder(errors, sig),
  encoder: (errors) => {
    let first = sig
    return {
      encode: (text) => {
        const r = encodeUtf8("utf-8", text, errors)
        if (!first || r instanceof UnicodeError) return r
        first = false
        return concat(new Uint8Array(BOM8), r)
      }
    }
  }
})

const utf16Codec = (name: string, bigEndian: boolean | undefined): Codec => ({
  name,
  decoder: (errors) => new Utf16Decoder(errors, bigEndian),
  encoder: (errors) => {
    let bom = bigEndian === undefined
    return {
      encode: (text) => {
        const r = encodeUtf16(name, text, errors, bigEndian === true)
        if (!bom || r instanceof UnicodeError) return r
        bom = false
        return concat(new Uint8Array([0xff, 0xfe]), r)
      }
    }
  }
})

// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole range is meant
const beyondLatin1 = /[^\x00-\xff]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: the whole range is meant
const beyondAscii = /[^\x00-\x7f]/

const tableCodec = (name: string, table: () => Table | undefined, kind: "charmap" | "ascii" | "latin-1") => {
  let memo: Table | undefined
  const get = () => (memo ??= table())
  if (get() === undefined) return undefined
  const codecName = kind === "charmap" ? "charmap" : kind
  const decodeReason = kind === "ascii" ? "ordinal not in range(128)" : "character maps to <undefined>"
  const encodeReason =
    kind === "ascii"
      ? "ordinal not in range(128)"
      : kind === "latin-1"
        ? "ordinal not in range(256)"
        : "character maps to <undefined>"
  const codec: Codec = {
    name,
    decoder: (errors) =>
      kind === "latin-1"
        ? { decode: latin1, flush: () => "", reset: () => {}, pending: 0 }
        : new SingleByteDecoder(get()!, errors, codecName, decodeReason),
    encoder: (errors) => ({
      encode: (text) => {
        if (kind === "latin-1" && !beyondLatin1.test(text)) return asPlain(Buffer.from(text, "latin1"))
        if (kind === "ascii" && !beyondAscii.test(text)) return asPlain(Buffer.from(text, "latin1"))
        return encodeSingleByte(get()!, codecName, encodeReason, text, errors)
      }
    })
  }
  return codec
}

/** Python names (normalized: lower case, letters and digits only) → a codec factory. */
const registry: Record<string, () => Codec | undefined> = {}
const register = (aliases: ReadonlyArray<string>, make: () => Codec | undefined) => {
  let memo: Codec | undefined | null = null
  const once = () => (memo === null ? (memo = make()) : memo)
  for (const a of aliases) registry[normalize(a)] = once
}

/** Python's lookup is case-insensitive and treats `-`, `_`, spaces alike; here all are dropped. */
const normalize = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, "")

register(["utf-8", "utf8", "u8", "utf", "cp65001"], () => utf8Codec("utf-8", false))
register(["utf-8-sig", "utf8-sig"], () => utf8Codec("utf-8-sig", true))
register(["utf-16", "u16"], () => utf16Codec("utf-16", undefined))
register(["utf-16-le", "unicodelittleunmarked"], () => utf16Codec("utf-16-le", false))
register(["utf-16-be", "unicodebigunmarked"], () => utf16Codec("utf-16-be", true))
register(["latin-1", "latin", "l1", "iso8859-1", "iso-8859-1", "8859", "cp819", "iso-ir-100"], () =>
  tableCodec("iso8859-1", latin1Table, "latin-1")
)
register(["ascii", "us-ascii", "us", "646", "ansi_x3.4_1968", "cp367", "iso646-us"], () =>
  tableCodec("ascii", asciiTable, "ascii")
)
register(["cp1252", "windows-1252", "1252"], () => tableCodec("cp1252", cp1252Table, "charmap"))

const windows: Record<string, ReadonlyArray<number>> = {
  "1250": [0x81, 0x83, 0x88, 0x90, 0x98],
  "1251": [0x98],
  "1253": [0x81, 0x88, 0x8a, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x98, 0x9a, 0x9c, 0x9d, 0x9e, 0x9f, 0xaa],
  "1254": [0x81, 0x8d, 0x8e, 0x8f, 0x90, 0x9d, 0x9e],
  "1255": [0x81, 0x8a, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x9a, 0x9c, 0x9d, 0x9e, 0x9f],
  "1256": [],
  "1257": [0x81, 0x83, 0x88, 0x8a, 0x8c, 0x90, 0x98, 0x9a, 0x9c, 0x9f],
  "1258": [0x81, 0x8a, 0x8d, 0x8e, 0x8f, 0x90, 0x9a, 0x9d, 0x9e]
}
for (const [n, holes] of Object.entries(windows)) {
  register([`cp${n}`, `windows-${n}`, n], () =>
    tableCodec(`cp${n}`, () => whatwgTable(`windows-${n}`, holes), "charmap")
  )
}

const iso: Record<string, ReadonlyArray<string>> = {
  "2": ["latin2", "l2"],
  "3": ["latin3", "l3"],
  "4": ["latin4", "l4"],
  "5": ["cyrillic"],
  "6": ["arabic"],
  "7": ["greek", "greek8"],
  "8": ["hebrew"],
  "10": ["latin6", "l6"],
  "13": ["latin7", "l7"],
  "14": ["latin8", "l8"],
  "15": ["latin9", "l9"]
}
for (const [n, aliases] of Object.entries(iso)) {
  register([`iso8859-${n}`, `iso-8859-${n}`, ...aliases], () =>
    tableCodec(`iso8859-${n}`, () => whatwgTable(`iso-8859-${n}`, []), "charmap")
  )
}
register(["koi8-r"], () => tableCodec("koi8-r", () => whatwgTable("koi8-r", []), "charmap"))
register(["koi8-u"], () => tableCodec("koi8-u", () => whatwgTable("koi8-u", []), "charmap"))
register(["mac-roman", "macroman", "macintosh"], () =>
  tableCodec("mac-roman", () => whatwgTable("macintosh", []), "charmap")
)

/** The codec Python calls `name`, or undefined when it is not supported. */
export const lookupCodec = (name: string): Codec | undefined => registry[normalize(name)]?.()
