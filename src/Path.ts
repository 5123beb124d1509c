/**
 * An asynchronous `pathlib.Path` (AnyIO's `anyio.Path`): pure path operations are plain methods and
 * properties, everything that touches the file system is an `Effect` (iterating ones are a
 * `Stream`). Names are pathlib's in camelCase (`readText`, `isDir`, `mkdir({ parents: true })`,
 * `with_suffix` → `withSuffix`); keyword arguments become an options object.
 *
 * Paths are parsed as pathlib parses them (repeated and trailing separators and `.` parts dropped,
 * `..` kept, an empty path is `.`), with the platform's flavour (POSIX; Windows drives and
 * separators on Windows). File-system work runs on `node:fs` (libuv's pool): no limiter by default;
 * a `limiter` given to the constructor bounds this path's operations (AnyIO's `limiter=`).
 * Operations AnyIO abandons on cancellation (`stat`, `exists`, `is*`, `glob`, ...) return at once
 * when cancelled; the others (`mkdir`, `rename`, writes, ...) finish first.
 *
 * @since 0.3.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Effect, Equal, Hash, Stream } from "effect"
import { CapacityLimiter } from "./CapacityLimiter.ts"
import {
  type ClosedResourceError,
  EndOfStream,
  InvalidArgumentError,
  type OSError,
  UnicodeError
} from "./Errors.ts"
import { type AsyncFile, type ContentOf, type FileError, type OpenFileOptions, openFile } from "./FileIO.ts"
import { call, openPath, osErrorOf, parseMode, readWholeFile } from "./internal/files/fd.ts"
import { fullMatch, hasMagic, matchFromRight, segmentMatcher } from "./internal/files/glob.ts"
import { Decoder, encode, encodingOf, isErrorMode } from "./internal/files/text.ts"
import { receiveStream } from "./Streams.ts"

// -----------------------------------------------------------------------------
// Parsing (pathlib's PurePosixPath / PureWindowsPath)
// -----------------------------------------------------------------------------

const windows = process.platform === "win32"
const sep = windows ? "\\" : "/"

interface Parsed {
  readonly drive: string
  readonly root: string
  readonly parts: ReadonlyArray<string>
}

const splitRoot = (s: string): { drive: string; root: string; rest: string } => {
  if (!windows) {
    if (!s.startsWith("/")) return { drive: "", root: "", rest: s }
    // POSIX keeps exactly two leading slashes (implementation-defined), collapses three or more.
    const root = s.startsWith("//") && !s.startsWith("///") ? "//" : "/"
    return { drive: "", root, rest: s }
  }
  const t = s.replace(/\//g, "\\")
  const unc = /^\\\\([^\\]+)\\([^\\]+)/.exec(t)
  if (unc !== null) {
    return { drive: unc[0], root: "\\", rest: t.slice(unc[0].length) }
  }
  const drive = /^[a-zA-Z]:/.test(t) ? t.slice(0, 2) : ""
  const after = t.slice(drive.length)
  return { drive, root: after.startsWith("\\") ? "\\" : "", rest: after }
}

const parse = (segments: ReadonlyArray<string>): Parsed => {
  let drive = ""
  let root = ""
  let parts: Array<string> = []
  for (const segment of segments) {
    if (segment === "") continue
    const r = splitRoot(segment)
    if (r.root !== "" || (windows && r.drive !== "" && r.drive.toLowerCase() !== drive.toLowerCase())) {
      drive = r.drive || drive
      root = r.root
      parts = []
    } else if (r.drive !== "") {
      drive = r.drive
    }
    for (const p of r.rest.split(windows ? /[\\/]/ : "/")) if (p !== "" && p !== ".") parts.push(p)
  }
  return { drive, root, parts }
}

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/** What a path can be built from: strings, `file:` URLs, other paths. @category models */
export type PathSegment = string | URL | Path

/** Options given as the last constructor argument. @category models */
export interface PathOptions {
  /** A limiter this path's operations (and paths derived from it) hold a token of. */
  readonly limiter?: CapacityLimiter | undefined
}

/** Options of `readText` / `writeText` (Python's `encoding`, `errors`, `newline`). @category models */
export interface TextOptions {
  readonly encoding?: string | undefined
  readonly errors?: "strict" | "replace" | "ignore" | undefined
  readonly newline?: "" | "\n" | "\r" | "\r\n" | null | undefined
}

/** Options of `glob` / `rglob`. @category models */
export interface GlobOptions {
  /** Match names case-sensitively (default: the platform's: yes on POSIX). */
  readonly caseSensitive?: boolean | undefined
  /** Let `**` descend into symbolic links to directories (default false, as pathlib). */
  readonly recurseSymlinks?: boolean | undefined
}

/** One step of {@link Path.walk}: a directory, the names of its subdirectories and of its files. @category models */
export type WalkEntry<P extends Path = Path> = readonly [
  dirpath: P,
  dirnames: Array<string>,
  filenames: Array<string>
]

type PathClass<P extends Path> = new (...args: Array<PathSegment | PathOptions>) => P

const isOptions = (value: unknown): value is PathOptions =>
  typeof value === "object" && value !== null && !(value instanceof URL) && !(value instanceof Path)

const bad = (message: string): never => {
  throw new InvalidArgumentError({ message })
}

const ignorable = (e: OSError): boolean =>
  e.code === "ENOENT" ||
  e.code === "ENOTDIR" ||
  e.code === "EBADF" ||
  e.code === "ELOOP" ||
  e.code === "ENAMETOOLONG"

const caseSensitiveDefault = !windows

// -----------------------------------------------------------------------------
// Path
// -----------------------------------------------------------------------------

/**
 * A file-system path with pathlib's operations (AnyIO's `anyio.Path`).
 *
 * **Details**
 *
 * - Pure: `parts`, `drive`, `root`, `anchor`, `parent`, `parents`, `name`, `suffix`, `suffixes`,
 *   `stem`, `joinpath`/`div` (pathlib's `/`), `rdiv` (`"a" / path`), `withName`, `withStem`,
 *   `withSuffix`, `withSegments`, `relativeTo`, `isRelativeTo`, `isAbsolute`, `isReserved`,
 *   `match`, `fullMatch`, `asPosix`, `asUri`, `fromUri`, comparisons, `Equal`/`Hash`. Bad input
 *   throws `InvalidArgumentError` (pathlib's `ValueError`).
 * - Effects: `stat`, `lstat`, `exists`, `isDir`, `isFile`, `isSymlink`, ..., `mkdir`, `touch`,
 *   `unlink`, `rmdir`, `rename`, `replace`, `readText`, `writeBytes`, `open`, `resolve`, `absolute`,
 *   `owner`, `copy`, `move`, ...; streams: `iterdir`, `glob`, `rglob`, `walk`. Failures are
 *   `OSError` (`code` ENOENT, ...), as pathlib's.
 * - Derived paths keep the class (a subclass stays a subclass) and the limiter.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Path } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const dir = new Path("/tmp", "demo")
 *   yield* dir.mkdir({ parents: true, existOk: true })
 *   yield* dir.joinpath("hello.txt").writeText("hi\n")
 *   const names = yield* Stream.runCollect(Stream.map(dir.glob("*.txt"), (p) => p.name))
 * })
 * ```
 * @category models
 */
export class Path implements Equal.Equal {
  /** Path operations of the platform (pathlib's `Path.parser`, Python's `os.path`). */
  static readonly parser: typeof nodePath = nodePath

  /** The limiter this path's operations use (`undefined`: none). */
  readonly limiter: CapacityLimiter | undefined
  #parsed: Parsed
  #str: string | undefined = undefined

  constructor(...args: Array<PathSegment | PathOptions>) {
    let options: PathOptions | undefined
    if (args.length > 0 && isOptions(args[args.length - 1])) options = args.pop() as PathOptions
    if (options?.limiter !== undefined && !(options.limiter instanceof CapacityLimiter)) {
      bad("limiter must be a CapacityLimiter or undefined")
    }
    this.limiter = options?.limiter
    const segments = (args as Array<PathSegment>).map((a) => {
      if (typeof a === "string") return a
      if (a instanceof Path) return a.toString()
      if (a instanceof URL) return fileURLToPath(a)
      return bad(`argument should be a str, a URL or a Path, not ${typeof a}`)
    })
    this.#parsed = parse(segments)
  }

  /** A path of this class and limiter (pathlib's `with_segments`). */
  withSegments(...segments: Array<PathSegment>): this {
    return new (this.constructor as PathClass<this>)(...segments, { limiter: this.limiter })
  }

  #fromParsed(parsed: Parsed): this {
    const p = this.withSegments()
    p.#parsed = parsed
    return p
  }

  // ---------------------------------------------------------------------------------------------
  // Pure

  toString(): string {
    if (this.#str === undefined) {
      const { drive, root, parts } = this.#parsed
      const s = drive + root + parts.join(sep)
      this.#str = s === "" ? "." : s
    }
    return this.#str
  }

  /** pathlib's `__fspath__`: the string to give to other APIs. */
  get fspath(): string {
    return this.toString()
  }

  toJSON(): string {
    return this.toString()
  }

  /** The path as bytes (pathlib's `bytes(path)`, `os.fsencode`). */
  toBytes(): Uint8Array {
    return new Uint8Array(Buffer.from(this.toString(), "utf8"))
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `${this.constructor.name}(${JSON.stringify(this.asPosix()).replace(/^"|"$/g, "'")})`
  }

  /** pathlib's `repr()`: `Path('/foo')`. */
  repr(): string {
    return `${this.constructor.name}('${this.asPosix().replace(/'/g, "\\'")}')`
  }

  get parts(): ReadonlyArray<string> {
    const { drive, root, parts } = this.#parsed
    return drive || root ? [drive + root, ...parts] : [...parts]
  }

  get drive(): string {
    return this.#parsed.drive
  }

  get root(): string {
    return this.#parsed.root
  }

  get anchor(): string {
    return this.#parsed.drive + this.#parsed.root
  }

  get name(): string {
    const parts = this.#parsed.parts
    return parts.length === 0 ? "" : parts[parts.length - 1]!
  }

  get suffix(): string {
    const name = this.name
    const i = name.lastIndexOf(".")
    return i > 0 && i < name.length - 1 ? name.slice(i) : ""
  }

  get suffixes(): Array<string> {
    const name = this.name
    if (name.endsWith(".")) return []
    return name
      .replace(/^\.+/, "")
      .split(".")
      .slice(1)
      .map((s) => `.${s}`)
  }

  get stem(): string {
    const name = this.name
    const i = name.lastIndexOf(".")
    return i > 0 && i < name.length - 1 ? name.slice(0, i) : name
  }

  get parent(): this {
    const { parts } = this.#parsed
    if (parts.length === 0) return this
    return this.#fromParsed({ ...this.#parsed, parts: parts.slice(0, -1) })
  }

  get parents(): ReadonlyArray<this> {
    const out: Array<this> = []
    for (let n = this.#parsed.parts.length - 1; n >= 0; n--) {
      out.push(this.#fromParsed({ ...this.#parsed, parts: this.#parsed.parts.slice(0, n) }))
    }
    return out
  }

  isAbsolute(): boolean {
    return windows ? this.#parsed.drive !== "" && this.#parsed.root !== "" : this.#parsed.root !== ""
  }

  /** Reserved names (Windows device names such as `nul`); always false on POSIX. */
  isReserved(): boolean {
    if (!windows) return false
    const name = this.name.split(".")[0]!.toUpperCase()
    return /^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])$/.test(name)
  }

  asPosix(): string {
    return this.toString().replace(/\\/g, "/")
  }

  /** The `file:` URI of an absolute path (pathlib's `as_uri`). */
  asUri(): string {
    if (!this.isAbsolute()) bad("relative path can't be expressed as a file URI")
    return pathToFileURL(this.toString()).href
  }

  /** A path from a `file:` URI (pathlib's `Path.from_uri`). */
  static fromUri<P extends Path>(this: PathClass<P>, uri: string, options?: PathOptions): P {
    if (!uri.startsWith("file:")) bad(`URI does not start with 'file:': ${JSON.stringify(uri)}`)
    return new this(fileURLToPath(uri), options ?? {})
  }

  /** This path with `others` appended (pathlib's `joinpath`). */
  joinpath(...others: Array<PathSegment>): this {
    return this.withSegments(this, ...others)
  }

  /** pathlib's `path / other`. */
  div(other: PathSegment): this {
    return this.withSegments(this, other)
  }

  /** pathlib's `other / path` (the result keeps this path's class and limiter). */
  rdiv(other: PathSegment): this {
    return this.withSegments(other, this)
  }

  withName(name: string): this {
    if (this.name === "") bad(`${this.repr()} has an empty name`)
    if (
      typeof name !== "string" ||
      name === "" ||
      name === "." ||
      name.includes("/") ||
      (windows && name.includes("\\"))
    ) {
      bad(`Invalid name ${JSON.stringify(name)}`)
    }
    return this.#fromParsed({ ...this.#parsed, parts: [...this.#parsed.parts.slice(0, -1), name] })
  }

  withStem(stem: string): this {
    const suffix = this.suffix
    if (suffix === "") return this.withName(stem)
    if (stem === "") bad(`${this.repr()} has a non-empty suffix`)
    return this.withName(stem + suffix)
  }

  withSuffix(suffix: string): this {
    if (
      typeof suffix !== "string" ||
      (suffix !== "" && (!suffix.startsWith(".") || suffix === "." || suffix.includes("/")))
    ) {
      bad(`Invalid suffix ${JSON.stringify(suffix)}`)
    }
    if (this.name === "") bad(`${this.repr()} has an empty name`)
    return this.withName(this.stem + suffix)
  }

  #sameAnchor(other: Path): boolean {
    return windows ? this.anchor.toLowerCase() === other.anchor.toLowerCase() : this.anchor === other.anchor
  }

  #partEquals(a: string, b: string): boolean {
    return windows ? a.toLowerCase() === b.toLowerCase() : a === b
  }

  /**
   * This path relative to `other` (pathlib's `relative_to`); with `walkUp`, `..` parts climb out of
   * `other`. Throws `InvalidArgumentError` when it is not under `other` (pathlib's `ValueError`).
   */
  relativeTo(other: PathSegment, options?: { readonly walkUp?: boolean | undefined }): this {
    const base = other instanceof Path ? other : new Path(other)
    if (!this.#sameAnchor(base)) bad(`${this.repr()} and ${base.repr()} have different anchors`)
    const mine = this.#parsed.parts
    const theirs = base.#parsed.parts
    let common = 0
    while (common < theirs.length && common < mine.length && this.#partEquals(mine[common]!, theirs[common]!))
      common++
    if (common < theirs.length) {
      if (options?.walkUp !== true) bad(`${this.repr()} is not in the subpath of ${base.repr()}`)
      if (theirs.slice(common).includes("..")) bad(`'..' segment in ${base.repr()} cannot be walked`)
    }
    const up = Array.from({ length: theirs.length - common }, () => "..")
    return this.#fromParsed({ drive: "", root: "", parts: [...up, ...mine.slice(common)] })
  }

  isRelativeTo(other: PathSegment): boolean {
    try {
      this.relativeTo(other)
      return true
    } catch {
      return false
    }
  }

  /** pathlib's `match`: a relative pattern matches from the right, an absolute one the whole path. */
  match(pattern: string, options?: { readonly caseSensitive?: boolean | undefined }): boolean {
    if (typeof pattern !== "string" || pattern === "") bad("empty pattern")
    const p = parse([pattern])
    return matchFromRight(
      this.parts,
      this.anchor !== "",
      p.drive || p.root ? [p.drive + p.root, ...p.parts] : p.parts,
      p.drive !== "" || p.root !== "",
      options?.caseSensitive ?? caseSensitiveDefault
    )
  }

  /** pathlib's `full_match`: the whole path, `**` spanning any number of parts. */
  fullMatch(pattern: string, options?: { readonly caseSensitive?: boolean | undefined }): boolean {
    if (typeof pattern !== "string" || pattern === "") bad("empty pattern")
    const p = parse([pattern])
    return fullMatch(
      this.parts,
      p.drive || p.root ? [p.drive + p.root, ...p.parts] : p.parts,
      options?.caseSensitive ?? caseSensitiveDefault
    )
  }

  #key(): ReadonlyArray<string> {
    return windows ? this.parts.map((p) => p.toLowerCase()) : this.parts
  }

  /** -1, 0 or 1, comparing part by part (pathlib's ordering). */
  compare(other: PathSegment): -1 | 0 | 1 {
    const a = this.#key()
    const b = (other instanceof Path ? other : new Path(other)).#key()
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i]! < b[i]!) return -1
      if (a[i]! > b[i]!) return 1
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
  }

  lt(other: PathSegment): boolean {
    return this.compare(other) < 0
  }
  le(other: PathSegment): boolean {
    return this.compare(other) <= 0
  }
  gt(other: PathSegment): boolean {
    return this.compare(other) > 0
  }
  ge(other: PathSegment): boolean {
    return this.compare(other) >= 0
  }

  /** Same path (pathlib's `==`); a string is parsed first. */
  equals(other: unknown): boolean {
    if (typeof other === "string") return this.compare(other) === 0
    return other instanceof Path && this.compare(other) === 0
  }

  [Equal.symbol](that: Equal.Equal): boolean {
    return this.equals(that)
  }

  [Hash.symbol](): number {
    return Hash.string(this.#key().join("\0"))
  }

  // ---------------------------------------------------------------------------------------------
  // File system

  #io<A, E>(effect: Effect.Effect<A, E>, mutating: boolean): Effect.Effect<A, E> {
    const body = mutating ? Effect.uninterruptible(effect) : effect
    const limiter = this.limiter
    if (limiter === undefined) return body
    const borrower = {}
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(limiter.acquireOnBehalfOf(borrower)), () =>
        Effect.ensuring(mutating ? body : restore(body), limiter.releaseOnBehalfOf(borrower))
      )
    )
  }

  #fsCall<A>(
    mutating: boolean,
    fn: (...args: Array<never>) => unknown,
    ...args: Array<unknown>
  ): Effect.Effect<A, OSError> {
    return this.#io(
      Effect.suspend(() => call<A>(fn, ...args)),
      mutating
    )
  }

  /** The current working directory (pathlib's `Path.cwd()`). */
  static cwd<P extends Path>(this: PathClass<P>, options?: PathOptions): Effect.Effect<P> {
    return Effect.sync(() => new this(process.cwd(), options ?? {}))
  }

  /** The user's home directory (pathlib's `Path.home()`). */
  static home<P extends Path>(this: PathClass<P>, options?: PathOptions): Effect.Effect<P> {
    return Effect.sync(() => new this(os.homedir(), options ?? {}))
  }

  /** This path made absolute, from the current directory, without resolving `..` or links. */
  absolute(): Effect.Effect<this> {
    return Effect.sync(() => (this.isAbsolute() ? this : this.withSegments(process.cwd(), this)))
  }

  /** Information about the file, following symbolic links unless told not to (pathlib's `stat`). */
  stat(options?: { readonly followSymlinks?: boolean | undefined }): Effect.Effect<fs.Stats, OSError> {
    return this.#fsCall(false, options?.followSymlinks === false ? fs.lstat : fs.stat, this.toString())
  }

  /** Like `stat` without following a final symbolic link. */
  lstat(): Effect.Effect<fs.Stats, OSError> {
    return this.#fsCall(false, fs.lstat, this.toString())
  }

  #test(predicate: (st: fs.Stats) => boolean, followSymlinks = true): Effect.Effect<boolean, OSError> {
    return Effect.catch(Effect.map(this.stat({ followSymlinks }), predicate), (e) =>
      ignorable(e) ? Effect.succeed(false) : Effect.fail(e)
    )
  }

  exists(options?: { readonly followSymlinks?: boolean | undefined }): Effect.Effect<boolean, OSError> {
    return this.#test(() => true, options?.followSymlinks !== false)
  }
  isDir(options?: { readonly followSymlinks?: boolean | undefined }): Effect.Effect<boolean, OSError> {
    return this.#test((st) => st.isDirectory(), options?.followSymlinks !== false)
  }
  isFile(options?: { readonly followSymlinks?: boolean | undefined }): Effect.Effect<boolean, OSError> {
    return this.#test((st) => st.isFile(), options?.followSymlinks !== false)
  }
  isSymlink(): Effect.Effect<boolean, OSError> {
    return this.#test((st) => st.isSymbolicLink(), false)
  }
  isFifo(): Effect.Effect<boolean, OSError> {
    return this.#test((st) => st.isFIFO())
  }
  isSocket(): Effect.Effect<boolean, OSError> {
    return this.#test((st) => st.isSocket())
  }
  isBlockDevice(): Effect.Effect<boolean, OSError> {
    return this.#test((st) => st.isBlockDevice())
  }
  isCharDevice(): Effect.Effect<boolean, OSError> {
    return this.#test((st) => st.isCharacterDevice())
  }
  /** Windows junctions; always false elsewhere. */
  isJunction(): Effect.Effect<boolean, OSError> {
    return windows ? this.#test((st) => st.isSymbolicLink(), false) : Effect.succeed(false)
  }

  /** Whether this is a mount point (Python's `os.path.ismount`). */
  isMount(): Effect.Effect<boolean, OSError> {
    const self = this
    return Effect.catch(
      Effect.gen(function* () {
        const st = yield* self.lstat()
        if (st.isSymbolicLink()) return false
        const parent = yield* call<fs.Stats>(fs.lstat as never, nodePath.join(self.toString(), ".."))
        return st.dev !== parent.dev || st.ino === parent.ino
      }),
      (e) => (ignorable(e) ? Effect.succeed(false) : Effect.fail(e))
    )
  }

  /** Whether both name the same file (same device and inode). */
  samefile(other: PathSegment): Effect.Effect<boolean, OSError> {
    const that = other instanceof Path ? other : new Path(other)
    return Effect.map(Effect.all([this.stat(), that.stat()]), ([a, b]) => a.dev === b.dev && a.ino === b.ino)
  }

  chmod(
    mode: number,
    options?: { readonly followSymlinks?: boolean | undefined }
  ): Effect.Effect<void, OSError> {
    if (options?.followSymlinks === false) return this.lchmod(mode)
    return this.#fsCall(true, fs.chmod, this.toString(), mode)
  }

  /** chmod of a symbolic link itself (where the system has it: macOS; else `OSError` ENOTSUP). */
  lchmod(mode: number): Effect.Effect<void, OSError> {
    const lchmod = (fs as { lchmod?: unknown }).lchmod
    if (typeof lchmod !== "function") {
      return Effect.fail(osErrorOf("ENOTSUP", "lchmod() is not available on this system", this.toString()))
    }
    return this.#fsCall(true, lchmod as never, this.toString(), mode)
  }

  /** Creates the directory (pathlib's `mkdir(mode, parents, exist_ok)`). */
  mkdir(options?: {
    readonly mode?: number | undefined
    readonly parents?: boolean | undefined
    readonly existOk?: boolean | undefined
  }): Effect.Effect<void, OSError> {
    const mode = options?.mode ?? 0o777
    const make = (p: Path): Effect.Effect<void, OSError> =>
      Effect.catch(call<void>(fs.mkdir as never, p.toString(), { mode }), (e) => {
        if (e.code === "ENOENT" && options?.parents === true && p.parent !== p) {
          return Effect.andThen(
            Effect.catch(make(p.parent), (pe) => (pe.code === "EEXIST" ? Effect.void : Effect.fail(pe))),
            make(p)
          )
        }
        if (e.code === "EEXIST" && options?.existOk === true) {
          return Effect.flatMap(p.isDir(), (dir) => (dir ? Effect.void : Effect.fail(e)))
        }
        return Effect.fail(e)
      })
    return this.#io(make(this), true)
  }

  rmdir(): Effect.Effect<void, OSError> {
    return this.#fsCall(true, fs.rmdir, this.toString())
  }

  /** Removes the file or link; with `missingOk`, a missing file is not an error. */
  unlink(options?: { readonly missingOk?: boolean | undefined }): Effect.Effect<void, OSError> {
    return Effect.catch(this.#fsCall<void>(true, fs.unlink, this.toString()), (e) =>
      e.code === "ENOENT" && options?.missingOk === true ? Effect.void : Effect.fail(e)
    )
  }

  /** Creates the file if missing, else updates its times; with `existOk: false`, fails if it exists. */
  touch(options?: {
    readonly mode?: number | undefined
    readonly existOk?: boolean | undefined
  }): Effect.Effect<void, OSError> {
    const existOk = options?.existOk !== false
    const path = this.toString()
    return this.#io(
      Effect.gen(function* () {
        if (existOk) {
          const now = new Date()
          const touched = yield* Effect.match(call<void>(fs.utimes as never, path, now, now), {
            onFailure: (e) => e,
            onSuccess: () => undefined
          })
          if (touched === undefined) return
          if (touched.code !== "ENOENT") return yield* Effect.fail(touched)
        }
        const info = parseMode(existOk ? "a" : "x") as Exclude<ReturnType<typeof parseMode>, string>
        const fd = yield* openPath(
          path,
          { ...info, flags: info.flags & ~fs.constants.O_APPEND },
          options?.mode ?? 0o666
        )
        yield* fd.close()
      }),
      true
    )
  }

  /** Renames to `target` (replacing a file there on POSIX); the new path. */
  rename(target: PathSegment): Effect.Effect<this, OSError> {
    const to = this.withSegments(target)
    return Effect.as(this.#fsCall(true, fs.rename, this.toString(), to.toString()), to)
  }

  /** Renames to `target`, replacing what is there; the new path. */
  replace(target: PathSegment): Effect.Effect<this, OSError> {
    return this.rename(target)
  }

  /** Makes this path a symbolic link to `target`. */
  symlinkTo(
    target: PathSegment,
    options?: { readonly targetIsDirectory?: boolean | undefined }
  ): Effect.Effect<void, OSError> {
    const to =
      target instanceof Path ? target.toString() : target instanceof URL ? fileURLToPath(target) : target
    return this.#fsCall(true, fs.symlink, to, this.toString(), options?.targetIsDirectory ? "dir" : "file")
  }

  /** Makes this path a hard link to `target`. */
  hardlinkTo(target: PathSegment): Effect.Effect<void, OSError> {
    return this.#fsCall(true, fs.link, new Path(target).toString(), this.toString())
  }

  /** The target of a symbolic link. */
  readlink(): Effect.Effect<this, OSError> {
    return Effect.map(this.#fsCall<string>(false, fs.readlink, this.toString()), (t) => this.withSegments(t))
  }

  /**
   * The absolute path with links and `..` resolved (pathlib's `resolve`); with `strict`, a missing
   * part is an error, else the missing rest is appended as is.
   */
  resolve(options?: { readonly strict?: boolean | undefined }): Effect.Effect<this, OSError> {
    const strict = options?.strict === true
    const self = this
    return this.#io(
      Effect.gen(function* () {
        const absolute = yield* self.absolute()
        const full = absolute.toString()
        const real = yield* Effect.match(call<string>(fs.realpath as never, full), {
          onFailure: (e) => e,
          onSuccess: (r) => r
        })
        if (typeof real === "string") return self.withSegments(real)
        if (strict || !ignorable(real)) return yield* Effect.fail(real)
        // Resolve part by part; from the first missing part on, `..` is applied lexically.
        let resolved = absolute.anchor
        let missing = false
        for (const part of absolute.#parsed.parts) {
          if (part === "..") {
            resolved = nodePath.dirname(resolved)
            continue
          }
          const next = nodePath.join(resolved, part)
          if (missing) {
            resolved = next
            continue
          }
          const r = yield* Effect.match(call<string>(fs.realpath as never, next), {
            onFailure: (e) => e,
            onSuccess: (x) => x
          })
          if (typeof r === "string") resolved = r
          else {
            missing = true
            resolved = next
          }
        }
        return self.withSegments(resolved)
      }),
      false
    )
  }

  /** `~` and `~user` expanded (pathlib's `expanduser`). */
  expanduser(): Effect.Effect<this, OSError> {
    const first = this.#parsed.parts[0]
    if (this.anchor !== "" || first === undefined || !first.startsWith("~")) return Effect.succeed(this)
    const rest = this.#parsed.parts.slice(1)
    if (first === "~") return Effect.succeed(this.withSegments(os.homedir(), ...rest))
    const user = first.slice(1)
    return Effect.flatMap(lookupUser(user), (home) => Effect.succeed(this.withSegments(home, ...rest)))
  }

  /** The name of the file's owner. */
  owner(options?: { readonly followSymlinks?: boolean | undefined }): Effect.Effect<string, OSError> {
    return Effect.flatMap(this.stat(options), (st) => nameOf("/etc/passwd", st.uid, "uid"))
  }

  /** The name of the file's group. */
  group(options?: { readonly followSymlinks?: boolean | undefined }): Effect.Effect<string, OSError> {
    return Effect.flatMap(this.stat(options), (st) => nameOf("/etc/group", st.gid, "gid"))
  }

  /** Opens the file (AnyIO's `Path.open`, i.e. {@link openFile} with this path's limiter). */
  open<const M extends string = "r">(
    mode?: M,
    options?: Omit<OpenFileOptions, "limiter">
  ): Effect.Effect<AsyncFile<ContentOf<M>>, OSError> {
    return openFile(this, mode, { ...options, limiter: this.limiter })
  }

  readBytes(): Effect.Effect<Uint8Array, OSError | ClosedResourceError> {
    return this.#io(
      Effect.suspend(() => readWholeFile(this.toString())),
      false
    )
  }

  /** The file's text (`encoding` default utf-8; universal newlines unless `newline` says otherwise). */
  readText(options?: TextOptions): Effect.Effect<string, FileError> {
    return Effect.suspend(() => {
      const encoding = encodingOf(options?.encoding ?? "utf-8")
      if (encoding === undefined)
        return Effect.die(new InvalidArgumentError({ message: `unknown encoding: ${options?.encoding}` }))
      const errors = options?.errors ?? "strict"
      if (!isErrorMode(errors))
        return Effect.die(new InvalidArgumentError({ message: `unknown error handler: ${errors}` }))
      return Effect.flatMap(this.readBytes(), (bytes) => {
        const text = new Decoder(encoding, errors).decode(bytes, true)
        if (text instanceof UnicodeError) return Effect.fail(text)
        const newline = options?.newline ?? null
        return Effect.succeed(newline === null ? text.replace(/\r\n?/g, "\n") : text)
      })
    })
  }

  /** Writes the bytes (replacing the file); the count written. */
  writeBytes(
    data: Uint8Array | ArrayBufferView | ArrayBuffer
  ): Effect.Effect<number, OSError | ClosedResourceError> {
    const bytes =
      data instanceof Uint8Array
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data)
    return this.#io(writeWhole(this.toString(), bytes), true)
  }

  /** Writes the text (replacing the file); the count of characters written. */
  writeText(data: string, options?: TextOptions): Effect.Effect<number, FileError> {
    return Effect.suspend((): Effect.Effect<number, FileError> => {
      const encoding = encodingOf(options?.encoding ?? "utf-8")
      if (encoding === undefined)
        return Effect.die(new InvalidArgumentError({ message: `unknown encoding: ${options?.encoding}` }))
      const errors = options?.errors ?? "strict"
      if (!isErrorMode(errors))
        return Effect.die(new InvalidArgumentError({ message: `unknown error handler: ${errors}` }))
      const newline = options?.newline ?? null
      const translated =
        newline === null
          ? data.replace(/\n/g, os.EOL)
          : newline === "" || newline === "\n"
            ? data
            : data.replace(/\n/g, newline)
      const bytes = encode(translated, encoding, errors)
      if (bytes instanceof UnicodeError) return Effect.fail(bytes)
      return Effect.as(this.#io(writeWhole(this.toString(), bytes), true), data.length)
    })
  }

  /** The entries of this directory, in no particular order, without `.` and `..`. */
  iterdir(): Stream.Stream<this, OSError> {
    return Stream.unwrap(
      Effect.map(this.#fsCall<Array<string>>(false, fs.readdir, this.toString()), (names) =>
        Stream.fromIterable(names.map((n) => this.joinpath(n)))
      )
    )
  }

  /**
   * The paths under this directory that match a relative pattern (pathlib's `glob`): `*`, `?`,
   * `[seq]` within a name (dot files included), `**` for this directory and every one below it
   * (symbolic links not followed unless `recurseSymlinks`); a trailing `/` selects directories.
   */
  glob(pattern: string, options?: GlobOptions): Stream.Stream<this, OSError> {
    return Stream.unwrap(Effect.map(this.#globAll(pattern, options), (paths) => Stream.fromIterable(paths)))
  }

  /** `glob` with `**` prepended (pathlib's `rglob`). */
  rglob(pattern: string, options?: GlobOptions): Stream.Stream<this, OSError> {
    return this.glob(`**/${pattern}`, options)
  }

  #globAll(pattern: string, options: GlobOptions | undefined): Effect.Effect<Array<this>, OSError> {
    return Effect.suspend(() => {
      if (typeof pattern !== "string" || pattern === "")
        return Effect.die(new InvalidArgumentError({ message: "Unacceptable pattern: ''" }))
      const parsed = parse([pattern])
      if (parsed.root !== "" || parsed.drive !== "") {
        return Effect.die(new InvalidArgumentError({ message: "Non-relative patterns are unsupported" }))
      }
      const dirsOnly = /[\\/]$/.test(pattern)
      const caseSensitive = options?.caseSensitive ?? caseSensitiveDefault
      const recurseSymlinks = options?.recurseSymlinks === true
      const segments = parsed.parts
      const results: Array<this> = []
      const seen = new Set<string>()
      const self = this
      const entries = (dir: string) =>
        Effect.catch(call<Array<fs.Dirent>>(fs.readdir as never, dir, { withFileTypes: true }), (e) =>
          ignorable(e) || e.code === "EACCES" ? Effect.succeed([] as Array<fs.Dirent>) : Effect.fail(e)
        )
      const isDirEntry = (dir: string, e: fs.Dirent, follow: boolean): Effect.Effect<boolean> => {
        if (e.isDirectory()) return Effect.succeed(true)
        if (!e.isSymbolicLink() || !follow) return Effect.succeed(false)
        return Effect.match(call<fs.Stats>(fs.stat as never, nodePath.join(dir, e.name)), {
          onFailure: () => false,
          onSuccess: (st) => st.isDirectory()
        })
      }
      const emit = (rel: ReadonlyArray<string>) =>
        Effect.gen(function* () {
          const full = rel.length === 0 ? self.toString() : nodePath.join(self.toString(), ...rel)
          if (dirsOnly) {
            const st = yield* Effect.option(call<fs.Stats>(fs.stat as never, full))
            if (st._tag === "None" || !st.value.isDirectory()) return
          }
          if (seen.has(full)) return
          seen.add(full)
          results.push(rel.length === 0 ? self : self.joinpath(...rel))
        })
      const step = (rel: ReadonlyArray<string>, i: number): Effect.Effect<void, OSError> =>
        Effect.gen(function* () {
          if (i === segments.length) return yield* emit(rel)
          const segment = segments[i]!
          const dir = rel.length === 0 ? self.toString() : nodePath.join(self.toString(), ...rel)
          if (segment === "**") {
            // This directory, then every directory below it.
            yield* step(rel, i + 1)
            const walk = (relDir: ReadonlyArray<string>): Effect.Effect<void, OSError> =>
              Effect.gen(function* () {
                const d = relDir.length === 0 ? self.toString() : nodePath.join(self.toString(), ...relDir)
                for (const e of yield* entries(d)) {
                  const child = [...relDir, e.name]
                  if (yield* isDirEntry(d, e, recurseSymlinks)) {
                    yield* step(child, i + 1)
                    yield* walk(child)
                  } else if (i + 1 === segments.length) {
                    yield* step(child, i + 1)
                  }
                }
              })
            return yield* walk(rel)
          }
          if (segment === ".." || !hasMagic(segment)) {
            if (i + 1 === segments.length) {
              const st = yield* Effect.option(call<fs.Stats>(fs.lstat as never, nodePath.join(dir, segment)))
              if (st._tag === "Some") yield* emit([...rel, segment])
              return
            }
            return yield* step([...rel, segment], i + 1)
          }
          const re = segmentMatcher(segment, caseSensitive)
          for (const e of yield* entries(dir)) {
            if (!re.test(e.name)) continue
            if (i + 1 === segments.length) yield* emit([...rel, e.name])
            else if (yield* isDirEntry(dir, e, true)) yield* step([...rel, e.name], i + 1)
          }
        })
      return this.#io(Effect.as(step([], 0), results), false)
    })
  }

  /**
   * Walks the tree below this directory (pathlib's `walk`): `[dirpath, dirnames, filenames]` per
   * directory, top-down by default (removing names from `dirnames` before pulling the next entry
   * prunes them). Symbolic links are listed in `filenames` and not followed unless
   * `followSymlinks`; a directory that cannot be listed is skipped (`onError` sees the error).
   */
  walk(options?: {
    readonly topDown?: boolean | undefined
    readonly onError?: ((error: OSError) => void) | undefined
    readonly followSymlinks?: boolean | undefined
  }): Stream.Stream<WalkEntry<this>, OSError> {
    const follow = options?.followSymlinks === true
    type Entry = WalkEntry<this>
    const list = (dir: this): Effect.Effect<WalkEntry<this> | undefined, OSError> =>
      Effect.matchEffect(
        call<Array<fs.Dirent>>(fs.readdir as never, dir.toString(), { withFileTypes: true }),
        {
          onFailure: (e) => {
            options?.onError?.(e)
            return Effect.succeed(undefined)
          },
          onSuccess: (ents) =>
            Effect.gen(function* () {
              const dirnames: Array<string> = []
              const filenames: Array<string> = []
              for (const e of ents) {
                let isDir = e.isDirectory()
                if (!isDir && e.isSymbolicLink() && follow) {
                  const st = yield* Effect.option(
                    call<fs.Stats>(fs.stat as never, nodePath.join(dir.toString(), e.name))
                  )
                  isDir = st._tag === "Some" && st.value.isDirectory()
                }
                ;(isDir ? dirnames : filenames).push(e.name)
              }
              return [dir, dirnames, filenames] as Entry
            })
        }
      )
    if (options?.topDown === false) {
      const collect = (dir: this, out: Array<WalkEntry<this>>): Effect.Effect<void, OSError> =>
        Effect.flatMap(list(dir), (entry) => {
          if (entry === undefined) return Effect.void
          return Effect.andThen(
            Effect.forEach(entry[1], (name) => collect(dir.joinpath(name), out), { discard: true }),
            Effect.sync(() => void out.push(entry))
          )
        })
      return Stream.unwrap(
        Effect.suspend(() => {
          const out: Array<WalkEntry<this>> = []
          return Effect.map(this.#io(collect(this, out), false), () => Stream.fromIterable(out))
        })
      )
    }
    // Top-down, lazily: the children of an entry are read from its (possibly pruned) `dirnames`
    // only when the next entry is pulled.
    return Stream.suspend(() => {
      const stack: Array<this> = [this]
      let last: WalkEntry<this> | undefined
      const pull: Effect.Effect<WalkEntry<this>, OSError | EndOfStream> = Effect.suspend(() => {
        if (last !== undefined) {
          const [dir, dirnames] = last
          for (let i = dirnames.length - 1; i >= 0; i--) stack.push(dir.joinpath(dirnames[i]!))
          last = undefined
        }
        const next = stack.pop()
        if (next === undefined) return Effect.fail(new EndOfStream({}))
        return Effect.flatMap(this.#io(list(next), false), (entry) => {
          if (entry === undefined) return pull
          last = entry
          return Effect.succeed(entry)
        })
      })
      return receiveStream(pull)
    })
  }

  /** Copies the file or directory tree to `target`; the new path (pathlib's `copy`, 3.14). */
  copy(
    target: PathSegment,
    options?: {
      readonly followSymlinks?: boolean | undefined
      readonly preserveMetadata?: boolean | undefined
    }
  ): Effect.Effect<this, OSError> {
    const to = this.withSegments(target)
    return this.#io(
      Effect.as(
        call<void>(fs.cp as never, this.toString(), to.toString(), {
          recursive: true,
          force: true,
          errorOnExist: false,
          dereference: options?.followSymlinks !== false,
          verbatimSymlinks: options?.followSymlinks === false,
          preserveTimestamps: options?.preserveMetadata === true
        }),
        to
      ),
      true
    )
  }

  /** `copy` into the directory `targetDir`, keeping the name. */
  copyInto(
    targetDir: PathSegment,
    options?: {
      readonly followSymlinks?: boolean | undefined
      readonly preserveMetadata?: boolean | undefined
    }
  ): Effect.Effect<this, OSError> {
    return Effect.suspend(() => {
      if (this.name === "")
        return Effect.die(new InvalidArgumentError({ message: `${this.repr()} has an empty name` }))
      return this.copy(this.withSegments(targetDir, this.name), options)
    })
  }

  /** Moves the file or tree to `target` (a rename, or a copy and delete across devices). */
  move(target: PathSegment): Effect.Effect<this, OSError> {
    const to = this.withSegments(target)
    return this.#io(
      Effect.catch(Effect.as(call<void>(fs.rename as never, this.toString(), to.toString()), to), (e) =>
        e.code === "EXDEV"
          ? Effect.andThen(
              this.copy(to, { followSymlinks: false, preserveMetadata: true }),
              Effect.as(call<void>(fs.rm as never, this.toString(), { recursive: true, force: true }), to)
            )
          : Effect.fail(e)
      ),
      true
    )
  }

  /** `move` into the directory `targetDir`, keeping the name. */
  moveInto(targetDir: PathSegment): Effect.Effect<this, OSError> {
    return Effect.suspend(() => {
      if (this.name === "")
        return Effect.die(new InvalidArgumentError({ message: `${this.repr()} has an empty name` }))
      return this.move(this.withSegments(targetDir, this.name))
    })
  }
}

/** Writes a whole file through the non-blocking open (a FIFO waits for a reader, cancellably). */
const writeWhole = (path: string, bytes: Uint8Array): Effect.Effect<number, OSError | ClosedResourceError> =>
  Effect.acquireUseRelease(
    openPath(path, parseMode("wb") as Exclude<ReturnType<typeof parseMode>, string>),
    (fd) => fd.write(bytes),
    (fd) => fd.close()
  )

/** A user or group name from /etc/passwd or /etc/group (Node has no getpwuid). */
const nameOf = (file: string, id: number, what: "uid" | "gid"): Effect.Effect<string, OSError> => {
  if (windows) return Effect.fail(osErrorOf("ENOTSUP", "owner() and group() are not available on Windows"))
  if (what === "uid") {
    const me = os.userInfo()
    if (me.uid === id) return Effect.succeed(me.username)
  }
  return Effect.flatMap(call<string>(fs.readFile as never, file, "utf8"), (text) => {
    for (const line of text.split("\n")) {
      const fields = line.split(":")
      if (fields.length > 2 && Number(fields[2]) === id) return Effect.succeed(fields[0]!)
    }
    return Effect.fail(
      osErrorOf("ENOENT", `get${what === "uid" ? "pwuid" : "grgid"}(): ${what} not found: ${id}`)
    )
  })
}

/** The home directory of `user` (for `~user`). */
const lookupUser = (user: string): Effect.Effect<string, OSError> => {
  const me = os.userInfo()
  if (me.username === user) return Effect.succeed(os.homedir())
  return Effect.flatMap(call<string>(fs.readFile as never, "/etc/passwd", "utf8"), (text) => {
    for (const line of text.split("\n")) {
      const fields = line.split(":")
      if (fields[0] === user && fields.length > 5) return Effect.succeed(fields[5]!)
    }
    return Effect.fail(osErrorOf("ENOENT", `Could not determine home directory of ${JSON.stringify(user)}`))
  })
}
