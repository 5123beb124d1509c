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
import type { UnicodeError } from "../../Errors.ts"
import { type Codec, type ErrorMode, type IncrementalDecoder, lookupCodec } from "../codec.ts"

export type { ErrorMode } from "../codec.ts"
export { isErrorMode } from "../codec.ts"
export type Encoding = "utf-8" | "utf-16le" | "latin1" | "ascii"

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

// Decoding and encoding are the stream layer's codecs (src/internal/codec.ts, checked against
// CPython): one implementation of the rules that are easy to get wrong (which bytes may start an
// incomplete character, "ignore" dropping only what did not decode, lone surrogates in UTF-8).
const codecNames: Record<Encoding, string> = {
  "utf-8": "utf-8",
  "utf-16le": "utf-16-le",
  latin1: "latin-1",
  ascii: "ascii"
}

const codecFor = (encoding: Encoding): Codec => lookupCodec(codecNames[encoding])!

/** An incremental decoder: bytes in, text out, with the count of bytes it still holds. */
export class Decoder {
  private readonly inner: IncrementalDecoder
  readonly encoding: Encoding
  readonly errors: ErrorMode

  constructor(encoding: Encoding, errors: ErrorMode) {
    this.encoding = encoding
    this.errors = errors
    this.inner = codecFor(encoding).decoder(errors)
  }

  /** Bytes received but not decoded yet (an incomplete sequence). */
  get pendingBytes(): number {
    return this.inner.pending
  }

  reset(): void {
    this.inner.reset()
  }

  /** Decodes a chunk; `final`: the end of the input, so nothing is held back. */
  decode(chunk: Uint8Array, final: boolean): string | UnicodeError {
    const text = this.inner.decode(chunk)
    if (!final || typeof text !== "string") return text
    const rest = this.inner.flush()
    return typeof rest === "string" ? text + rest : rest
  }
}

/** Encodes text; "strict" fails on characters the encoding lacks (and on lone surrogates). */
export const encode = (text: string, encoding: Encoding, errors: ErrorMode): Uint8Array | UnicodeError =>
  codecFor(encoding).encoder(errors).encode(text)

/** Byte length of text in an encoding (for text-mode `tell()`). */
export const byteLength = (text: string, encoding: Encoding): number =>
  encoding === "utf-8"
    ? Buffer.byteLength(text, "utf8")
    : encoding === "utf-16le"
      ? text.length * 2
      : text.length
