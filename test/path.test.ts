/**
 * Path: AnyIO's tests/test_fileio.py, ported (TestPath), in temp dirs, and pathlib's parsing rules.
 * AnyIO's `limiter` fixture ([None, CapacityLimiter(10)]) becomes `describe.each`.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Equal, Exit, Hash, Stream } from "effect"
import { AsyncFile, type CapacityLimiter, Path } from "../src/index.ts"
import { collect, limiters, tempDirs } from "./files-helpers.ts"

const tmpDir = tempDirs("anyio-fileio-")

describe("Path (AnyIO's TestPath)", () => {
  const populatedTmpdir = (limiter?: CapacityLimiter) =>
    Effect.gen(function* () {
      const path = new Path(tmpDir(), { limiter })
      yield* path.div("testfile").touch()
      yield* path.div("testfile2").touch()
      const subdir = path.div("subdir")
      const sibdir = path.div("sibdir")
      for (const subpath of [subdir, sibdir]) {
        yield* subpath.mkdir()
        yield* subpath.div("dummyfile1.txt").touch()
        yield* subpath.div("dummyfile2.txt").touch()
      }
      yield* subdir.div("symlink").symlinkTo(sibdir)
      return path
    })

  const expectedTxt = [
    "sibdir/dummyfile1.txt",
    "sibdir/dummyfile2.txt",
    "subdir/dummyfile1.txt",
    "subdir/dummyfile2.txt"
  ]
  const relative = (root: Path, paths: ReadonlyArray<Path>) =>
    paths.map((p) => p.relativeTo(root).toString()).sort()

  // anyio: test_properties
  it("every public pathlib.Path name has its camelCase peer", () => {
    const pathlib = [
      "absolute",
      "anchor",
      "as_posix",
      "as_uri",
      "chmod",
      "copy",
      "copy_into",
      "cwd",
      "drive",
      "exists",
      "expanduser",
      "from_uri",
      "full_match",
      "glob",
      "group",
      "hardlink_to",
      "home",
      "is_absolute",
      "is_block_device",
      "is_char_device",
      "is_dir",
      "is_fifo",
      "is_file",
      "is_junction",
      "is_mount",
      "is_relative_to",
      "is_reserved",
      "is_socket",
      "is_symlink",
      "iterdir",
      "joinpath",
      "lchmod",
      "lstat",
      "match",
      "mkdir",
      "move",
      "move_into",
      "name",
      "open",
      "owner",
      "parent",
      "parents",
      "parser",
      "parts",
      "read_bytes",
      "read_text",
      "readlink",
      "relative_to",
      "rename",
      "replace",
      "resolve",
      "rglob",
      "rmdir",
      "root",
      "samefile",
      "stat",
      "stem",
      "suffix",
      "suffixes",
      "symlink_to",
      "touch",
      "unlink",
      "walk",
      "with_name",
      "with_segments",
      "with_stem",
      "with_suffix",
      "write_bytes",
      "write_text"
    ]
    const dunder = [
      "__truediv__:div",
      "__rtruediv__:rdiv",
      "__str__:toString",
      "__fspath__:fspath",
      "__bytes__:toBytes",
      "__repr__:repr",
      "__eq__:equals",
      "__lt__:lt",
      "__le__:le",
      "__gt__:gt",
      "__ge__:ge",
      "__hash__:~effect/Hash"
    ]
    const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())
    const p = new Path("/test/path/another/part")
    const has = (name: string) => name in p || name in Path
    const missing = [
      ...pathlib.filter((n) => !has(camel(n))),
      ...dunder.map((d) => d.split(":")[1]!).filter((n) => !has(n))
    ]
    expect(missing).toEqual([])
  })

  // anyio: test_repr
  it("repr", () => {
    expect(new Path("/foo").repr()).toBe("Path('/foo')")
  })

  // anyio: test_bytes
  it("bytes", () => {
    expect(new Path("/foo-åäö").toBytes()).toEqual(new Uint8Array(Buffer.from(`${nodePath.sep}foo-åäö`)))
  })

  // anyio: test_hash (Effect's Hash and Equal instead of Python's hash())
  it("hash and equality", () => {
    expect(Hash.hash(new Path("/foo"))).toBe(Hash.hash(new Path("/foo/")))
    expect(Equal.equals(new Path("/foo"), new Path("//foo".slice(1)))).toBe(true)
    expect(Equal.equals(new Path("/foo"), new Path("/bar"))).toBe(false)
  })

  // anyio: test_comparison
  it("comparison", () => {
    const path1 = new Path("/foo1")
    const path2 = new Path("/foo2")
    expect(path1.lt(path2)).toBe(true)
    expect(path1.le(path2)).toBe(true)
    expect(path2.gt(path1)).toBe(true)
    expect(path2.ge(path1)).toBe(true)
  })

  class SomeClass extends Path {}

  describe.each(limiters)("with $name", ({ make }) => {
    // anyio: test_truediv
    it("truediv", () => {
      const limiter = make()
      const result = new Path("/foo", { limiter }).div("bar")
      expect(result).toBeInstanceOf(Path)
      expect(result.limiter).toBe(limiter)
      expect(result.equals("/foo/bar")).toBe(true)
    })

    // anyio: test_truediv_preserve_subclass
    it("truediv preserves the subclass", () => {
      const limiter = make()
      const result = new SomeClass("/foo", { limiter }).div("bar")
      expect(result).toBeInstanceOf(SomeClass)
      expect(result.limiter).toBe(limiter)
      expect(result.equals("/foo/bar")).toBe(true)
    })

    // anyio: test_rtruediv
    it("rtruediv", () => {
      const limiter = make()
      const result = new Path("bar", { limiter }).rdiv("/foo")
      expect(result).toBeInstanceOf(Path)
      expect(result.limiter).toBe(limiter)
      expect(result.equals("/foo/bar")).toBe(true)
    })

    // anyio: test_rtruediv_preserve_subclass
    it("rtruediv preserves the subclass", () => {
      const limiter = make()
      const result = new SomeClass("bar", { limiter }).rdiv("/foo")
      expect(result).toBeInstanceOf(SomeClass)
      expect(result.limiter).toBe(limiter)
    })

    // anyio: test_parents_property
    it("parents", () => {
      const limiter = make()
      const parents = new Path("/abc/xyz/foo.txt", { limiter }).parents
      expect(parents.length).toBe(3)
      expect(parents.every((p) => p instanceof Path && p.limiter === limiter)).toBe(true)
      expect(parents.map(String)).toEqual([
        `${nodePath.sep}abc${nodePath.sep}xyz`,
        `${nodePath.sep}abc`,
        nodePath.sep
      ])
    })

    // anyio: test_parent_property
    it("parent", () => {
      const limiter = make()
      const parent = new Path("/abc/xyz/foo.txt", { limiter }).parent
      expect(parent.limiter).toBe(limiter)
      expect(String(parent)).toBe(`${nodePath.sep}abc${nodePath.sep}xyz`)
    })

    // anyio: test_absolute
    it.live("absolute", () =>
      Effect.gen(function* () {
        const limiter = make()
        const result = yield* new Path("../foo/bar", { limiter }).absolute()
        expect(result.limiter).toBe(limiter)
        expect(result.toString()).toBe(`${process.cwd()}/../foo/bar`)
      })
    )

    // anyio: test_from_uri
    it("from_uri", () => {
      const limiter = make()
      const path = Path.fromUri("file:///foo/bar", { limiter })
      expect(path.limiter).toBe(limiter)
      expect(path).toBeInstanceOf(Path)
      expect(path.asUri()).toBe("file:///foo/bar")
    })

    // anyio: test_expanduser
    it.live("expanduser", () =>
      Effect.gen(function* () {
        const limiter = make()
        const result = yield* new Path("~/btelkbee", { limiter }).expanduser()
        expect(result.limiter).toBe(limiter)
        expect(String(result)).toBe(nodePath.join(os.homedir(), "btelkbee"))
      })
    )

    // anyio: test_home
    it.live("home", () =>
      Effect.gen(function* () {
        const limiter = make()
        const result = yield* Path.home({ limiter })
        expect(result.limiter).toBe(limiter)
        expect(result.equals(os.homedir())).toBe(true)
      })
    )

    // anyio: test_glob
    it.live("glob", () =>
      Effect.gen(function* () {
        const limiter = make()
        const root = yield* populatedTmpdir(limiter)
        const found = yield* collect(root.glob("**/*.txt"))
        expect(found.every((p) => p instanceof Path && p.limiter === limiter)).toBe(true)
        expect(relative(root, found)).toEqual(expectedTxt)
      })
    )

    // anyio: test_rglob
    it.live("rglob", () =>
      Effect.gen(function* () {
        const limiter = make()
        const root = yield* populatedTmpdir(limiter)
        const found = yield* collect(root.rglob("*.txt"))
        expect(found.every((p) => p.limiter === limiter)).toBe(true)
        expect(relative(root, found)).toEqual(expectedTxt)
      })
    )

    // anyio: test_iterdir
    it.live("iterdir", () =>
      Effect.gen(function* () {
        const limiter = make()
        const root = yield* populatedTmpdir(limiter)
        const found = yield* collect(root.iterdir())
        expect(found.every((p) => p.limiter === limiter)).toBe(true)
        expect(found.map((p) => p.name).sort()).toEqual(["sibdir", "subdir", "testfile", "testfile2"])
      })
    )

    // anyio: test_joinpath
    it("joinpath", () => {
      const limiter = make()
      const path = new Path("/foo", { limiter }).joinpath("bar")
      expect(path.equals(new Path("/foo/bar"))).toBe(true)
      expect(path.limiter).toBe(limiter)
    })

    // anyio: test_open
    it.live("open", () =>
      Effect.gen(function* () {
        const limiter = make()
        const path = nodePath.join(tmpDir(), "testfile")
        fs.writeFileSync(path, "bibbitibobbitiboo")
        const fp = yield* new Path(path, { limiter }).open("rb")
        expect(fp).toBeInstanceOf(AsyncFile)
        expect(fp.limiter).toBe(limiter)
        expect(fp.name).toBe(path)
        yield* fp.close()
      })
    )

    // anyio: test_readlink
    it.live("readlink", () =>
      Effect.gen(function* () {
        const limiter = make()
        const path = nodePath.join(tmpDir(), "testfile")
        fs.symlinkSync("/foo/bar/baz", path)
        const target = yield* new Path(path, { limiter }).readlink()
        expect(target.limiter).toBe(limiter)
        expect(String(target)).toBe("/foo/bar/baz")
      })
    )

    // anyio: test_rename
    it.live("rename", () =>
      Effect.gen(function* () {
        const limiter = make()
        const dir = tmpDir()
        const path = nodePath.join(dir, "somefile")
        fs.writeFileSync(path, "")
        const target = nodePath.join(dir, "anotherfile")
        const result = yield* new Path(path, { limiter }).rename(new Path(target))
        expect(result.limiter).toBe(limiter)
        expect(result.equals(target)).toBe(true)
      })
    )

    // anyio: test_replace
    it.live("replace", () =>
      Effect.gen(function* () {
        const limiter = make()
        const dir = tmpDir()
        const path = nodePath.join(dir, "somefile")
        fs.writeFileSync(path, "hello")
        const target = nodePath.join(dir, "anotherfile")
        fs.writeFileSync(target, "world")
        const result = yield* new Path(path, { limiter }).replace(new Path(target))
        expect(result.limiter).toBe(limiter)
        expect(result.equals(target)).toBe(true)
        expect(fs.readFileSync(target, "utf8")).toBe("hello")
      })
    )

    // anyio: test_resolve
    it.live("resolve", () =>
      Effect.gen(function* () {
        const limiter = make()
        const dir = tmpDir()
        const result = yield* new Path(dir, "somedir", "..", "somefile", { limiter }).resolve()
        expect(result.limiter).toBe(limiter)
        expect(result.equals(nodePath.join(dir, "somefile"))).toBe(true)
      })
    )

    // anyio: test_walk
    it.live("walk", () =>
      Effect.gen(function* () {
        const limiter = make()
        const dir = tmpDir()
        fs.mkdirSync(nodePath.join(dir, "subdir"))
        fs.writeFileSync(nodePath.join(dir, "subdir", "file1"), "")
        fs.writeFileSync(nodePath.join(dir, "subdir", "file2"), "")
        const path = new Path(dir)
        const entries = yield* collect(new Path(dir, { limiter }).walk())
        expect(entries.length).toBe(2)
        const [[root1, dirs1, files1], [root2, dirs2, files2]] = entries as [
          (typeof entries)[number],
          (typeof entries)[number]
        ]
        expect(root1.limiter).toBe(limiter)
        expect(root1.equals(path)).toBe(true)
        expect(dirs1).toEqual(["subdir"])
        expect(files1).toEqual([])
        expect(root2.limiter).toBe(limiter)
        expect(root2.equals(path.div("subdir"))).toBe(true)
        expect(dirs2).toEqual([])
        expect([...files2].sort()).toEqual(["file1", "file2"])
      })
    )

    // anyio: test_copy
    it.live("copy", () =>
      Effect.gen(function* () {
        const limiter = make()
        const dir = tmpDir()
        const source = new Path(dir, { limiter }).div("source")
        const destination = new Path(dir).div("destination")
        yield* source.writeText("hello")
        const result = yield* source.copy(destination)
        expect(result.limiter).toBe(limiter)
        expect(yield* result.readText()).toBe("hello")
      })
    )

    // anyio: test_copy_into
    it.live("copy_into", () =>
      Effect.gen(function* () {
        const limiter = make()
        const dir = tmpDir()
        const source = new Path(dir, { limiter }).div("source")
        const destination = new Path(dir).div("destination")
        yield* destination.mkdir()
        yield* source.writeText("hello")
        const result = yield* source.copyInto(destination)
        expect(result.limiter).toBe(limiter)
        expect(yield* result.readText()).toBe("hello")
      })
    )

    // anyio: test_move
    it.live("move", () =>
      Effect.gen(function* () {
        const limiter = make()
        const dir = tmpDir()
        const source = new Path(dir, { limiter }).div("source")
        const destination = new Path(dir).div("destination")
        yield* source.writeText("hello")
        const result = yield* source.move(destination)
        expect(result.limiter).toBe(limiter)
        expect(yield* result.readText()).toBe("hello")
        expect(yield* source.exists()).toBe(false)
      })
    )

    // anyio: test_move_into
    it.live("move_into", () =>
      Effect.gen(function* () {
        const limiter = make()
        const dir = tmpDir()
        const source = new Path(dir, { limiter }).div("source")
        const destination = new Path(dir).div("destination")
        yield* destination.mkdir()
        yield* source.writeText("hello")
        const result = yield* source.moveInto(destination)
        expect(result.limiter).toBe(limiter)
        expect(yield* result.readText()).toBe("hello")
        expect(yield* source.exists()).toBe(false)
      })
    )
  })

  // anyio: test_parts_property
  it("parts", () => {
    expect(new Path("/abc/xyz/foo.txt").parts).toEqual([nodePath.sep, "abc", "xyz", "foo.txt"])
  })
  // anyio: test_root_property
  it("root", () => {
    expect(new Path("/abc/xyz/foo.txt").root).toBe(nodePath.sep)
  })
  // anyio: test_anchor_property
  it("anchor", () => {
    expect(new Path("/abc/xyz/foo.txt.zip").anchor).toBe(nodePath.sep)
  })
  // anyio: test_name_property
  it("name", () => {
    expect(new Path("/abc/xyz/foo.txt.zip").name).toBe("foo.txt.zip")
  })
  // anyio: test_suffix_property
  it("suffix", () => {
    expect(new Path("/abc/xyz/foo.txt.zip").suffix).toBe(".zip")
  })
  // anyio: test_suffixes_property
  it("suffixes", () => {
    expect(new Path("/abc/xyz/foo.tar.gz").suffixes).toEqual([".tar", ".gz"])
  })
  // anyio: test_stem_property
  it("stem", () => {
    expect(new Path("/abc/xyz/foo.txt.zip").stem).toBe("foo.txt")
  })
  // anyio: test_as_uri
  it("as_uri", () => {
    expect(new Path("/foo/bar").asUri()).toBe("file:///foo/bar")
    expect(() => new Path("foo").asUri()).toThrow("relative path")
  })

  // anyio: test_cwd
  it.live("cwd", () =>
    Effect.gen(function* () {
      const result = yield* Path.cwd()
      expect(result).toBeInstanceOf(Path)
      expect(result.equals(process.cwd())).toBe(true)
    })
  )

  // anyio: test_exists
  it.live("exists", () =>
    Effect.gen(function* () {
      expect(yield* new Path("~/btelkbee").exists()).toBe(false)
      expect(yield* new Path(tmpDir()).exists()).toBe(true)
    })
  )

  // anyio: test_is_absolute
  it.each([
    ["/xyz", true],
    ["../xyz", false]
  ] as const)("is_absolute(%s) is %s", (arg, result) => {
    expect(new Path(arg).isAbsolute()).toBe(result)
  })

  // anyio: test_is_block_device
  it.live("is_block_device", () =>
    Effect.gen(function* () {
      expect(yield* new Path("/btelkbee").isBlockDevice()).toBe(false)
      const block = fs.readdirSync("/dev").find((e) => {
        try {
          return fs.lstatSync(nodePath.join("/dev", e)).isBlockDevice()
        } catch {
          return false
        }
      })
      if (block !== undefined) expect(yield* new Path("/dev", block).isBlockDevice()).toBe(true)
    })
  )

  // anyio: test_is_char_device
  it.live("is_char_device", () =>
    Effect.gen(function* () {
      expect(yield* new Path("/btelkbee").isCharDevice()).toBe(false)
      expect(yield* new Path("/dev/random").isCharDevice()).toBe(true)
    })
  )

  // anyio: test_is_dir
  it.live("is_dir", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "somedir")
      expect(yield* new Path(path).isDir()).toBe(false)
      fs.mkdirSync(path)
      expect(yield* new Path(path).isDir()).toBe(true)
    })
  )

  // anyio: test_is_fifo
  it.live.skipIf(process.platform === "win32")("is_fifo", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "somefifo")
      expect(yield* new Path(path).isFifo()).toBe(false)
      const { execFileSync } = yield* Effect.promise(() => import("node:child_process"))
      execFileSync("mkfifo", [path])
      expect(yield* new Path(path).isFifo()).toBe(true)
    })
  )

  // anyio: test_is_file
  it.live("is_file", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "somefile")
      expect(yield* new Path(path).isFile()).toBe(false)
      fs.writeFileSync(path, "")
      expect(yield* new Path(path).isFile()).toBe(true)
    })
  )

  // anyio: test_exists_follow_symlinks
  it.live("exists with follow_symlinks", () =>
    Effect.gen(function* () {
      const dir = tmpDir()
      const link = nodePath.join(dir, "link")
      fs.symlinkSync(nodePath.join(dir, "missing"), link)
      expect(yield* new Path(link).exists({ followSymlinks: false })).toBe(true)
      expect(yield* new Path(link).exists({ followSymlinks: true })).toBe(false)
    })
  )

  // anyio: test_is_file_follow_symlinks
  it.live("is_file with follow_symlinks", () =>
    Effect.gen(function* () {
      const dir = tmpDir()
      fs.writeFileSync(nodePath.join(dir, "target"), "")
      const link = nodePath.join(dir, "link")
      fs.symlinkSync(nodePath.join(dir, "target"), link)
      expect(yield* new Path(link).isFile({ followSymlinks: true })).toBe(true)
      expect(yield* new Path(link).isFile({ followSymlinks: false })).toBe(false)
    })
  )

  // anyio: test_is_dir_follow_symlinks
  it.live("is_dir with follow_symlinks", () =>
    Effect.gen(function* () {
      const dir = tmpDir()
      fs.mkdirSync(nodePath.join(dir, "target"))
      const link = nodePath.join(dir, "link")
      fs.symlinkSync(nodePath.join(dir, "target"), link, "dir")
      expect(yield* new Path(link).isDir({ followSymlinks: true })).toBe(true)
      expect(yield* new Path(link).isDir({ followSymlinks: false })).toBe(false)
    })
  )

  // anyio: test_read_text_newline
  it.live("read_text with newline", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "textfile")
      fs.writeFileSync(path, "a\r\nb")
      expect(yield* new Path(path).readText({ newline: "" })).toBe("a\r\nb")
      expect(yield* new Path(path).readText()).toBe("a\nb")
    })
  )

  // anyio: test_is_junction
  it.live("is_junction", () =>
    Effect.gen(function* () {
      expect(yield* new Path(tmpDir()).isJunction()).toBe(false)
    })
  )

  // anyio: test_is_mount
  it.live("is_mount", () =>
    Effect.gen(function* () {
      expect(yield* new Path("/gfobj4ewiotj").isMount()).toBe(false)
      expect(yield* new Path("/").isMount()).toBe(true)
    })
  )

  // anyio: test_is_reserved
  it("is_reserved", () => {
    expect(new Path("nul").isReserved()).toBe(process.platform === "win32")
  })

  // anyio: test_is_socket
  it.live("is_socket", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "socket")
      expect(yield* new Path(path).isSocket()).toBe(false)
      const net = yield* Effect.promise(() => import("node:net"))
      const server = net.createServer()
      yield* Effect.callback<void>((resume) => {
        server.listen(path, () => resume(Effect.void))
      })
      expect(yield* new Path(path).isSocket()).toBe(true)
      yield* Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
    })
  )

  // anyio: test_is_symlink
  it.live("is_symlink", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      expect(yield* new Path(path).isSymlink()).toBe(false)
      fs.symlinkSync("/foo", path)
      expect(yield* new Path(path).isSymlink()).toBe(true)
    })
  )

  // anyio: test_is_relative_to
  it.each([
    ["/xyz/abc", true],
    ["/xyz/baz", false]
  ] as const)("is_relative_to(%s) is %s", (arg, result) => {
    expect(new Path("/xyz/abc/foo").isRelativeTo(arg)).toBe(result)
  })

  // anyio: test_glob_case_sensitive
  it.live("glob case_sensitive", () =>
    Effect.gen(function* () {
      const root = yield* populatedTmpdir()
      expect(yield* collect(root.glob("**/DUMMY*.txt", { caseSensitive: true }))).toEqual([])
      const found = yield* collect(root.glob("**/DUMMY*.txt", { caseSensitive: false }))
      expect(relative(root, found)).toEqual(expectedTxt)
    })
  )

  // anyio: test_glob_recurse_symlinks
  it.live("glob recurse_symlinks", () =>
    Effect.gen(function* () {
      const root = yield* populatedTmpdir()
      const found = yield* collect(root.glob("**/*.txt", { recurseSymlinks: true }))
      expect(relative(root, found)).toEqual(
        [...expectedTxt, "subdir/symlink/dummyfile1.txt", "subdir/symlink/dummyfile2.txt"].sort()
      )
    })
  )

  // anyio: test_rglob_case_sensitive
  it.live("rglob case_sensitive", () =>
    Effect.gen(function* () {
      const root = yield* populatedTmpdir()
      expect(yield* collect(root.rglob("*.TXT", { caseSensitive: true }))).toEqual([])
      const found = yield* collect(root.rglob("*.TXT", { caseSensitive: false }))
      expect(relative(root, found)).toEqual(expectedTxt)
    })
  )

  // anyio: test_rglob_recurse_symlinks
  it.live("rglob recurse_symlinks", () =>
    Effect.gen(function* () {
      const root = yield* populatedTmpdir()
      const found = yield* collect(root.rglob("**/*.txt", { recurseSymlinks: true }))
      expect(relative(root, found)).toEqual(
        [...expectedTxt, "subdir/symlink/dummyfile1.txt", "subdir/symlink/dummyfile2.txt"].sort()
      )
    })
  )

  // anyio: test_fullmatch
  it("full_match", () => {
    expect(new Path("/foo/bar").fullMatch("/foo/*")).toBe(true)
    expect(new Path("/foo/bar").fullMatch("/baz/*")).toBe(false)
    expect(new Path("/a/b/c.py").fullMatch("/**/*.py")).toBe(true)
  })

  // anyio: test_match
  it("match", () => {
    expect(new Path("/foo/bar").match("/foo/*")).toBe(true)
    expect(new Path("/foo/bar").match("/baz/*")).toBe(false)
    expect(new Path("a/b.py").match("*.py")).toBe(true)
  })

  // anyio: test_chmod
  it.live("chmod", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      fs.writeFileSync(path, "", { mode: 0o666 })
      yield* new Path(path).chmod(0o444)
      expect(fs.statSync(path).mode & 0o777).toBe(0o444)
    })
  )

  // anyio: test_hardlink_to
  it.live("hardlink_to", () =>
    Effect.gen(function* () {
      const dir = tmpDir()
      const path = nodePath.join(dir, "testfile")
      const target = nodePath.join(dir, "link")
      fs.writeFileSync(target, "")
      yield* new Path(path).hardlinkTo(new Path(target))
      expect(fs.statSync(path).nlink).toBe(2)
      expect(fs.statSync(target).nlink).toBe(2)
    })
  )

  // anyio: test_lchmod (skipped by AnyIO where os.lchmod is missing: Linux; here it fails clearly)
  it.live("lchmod", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      fs.symlinkSync("/foo/bar/baz", path)
      const exit = yield* Effect.exit(new Path(path).lchmod(0o600))
      if (Exit.isSuccess(exit)) expect(fs.lstatSync(path).mode & 0o777).toBe(0o600)
      else expect(String(exit.cause)).toContain("ENOTSUP")
    })
  )

  // anyio: test_lstat
  it.live("lstat", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      fs.symlinkSync("/foo/bar/baz", path)
      const result = yield* new Path(path).lstat()
      expect(result).toBeInstanceOf(fs.Stats)
      expect(result.isSymbolicLink()).toBe(true)
    })
  )

  // anyio: test_group
  it.live("group", () =>
    Effect.gen(function* () {
      const gid = os.userInfo().gid
      const line = fs
        .readFileSync("/etc/group", "utf8")
        .split("\n")
        .find((l) => Number(l.split(":")[2]) === gid)
      expect(yield* new Path(tmpDir()).group()).toBe(line?.split(":")[0])
    })
  )

  // anyio: test_mkdir
  it.live("mkdir", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testdir")
      yield* new Path(path).mkdir()
      expect(fs.statSync(path).isDirectory()).toBe(true)
      yield* new Path(path, "a", "b").mkdir({ parents: true })
      yield* new Path(path, "a", "b").mkdir({ parents: true, existOk: true })
      expect((yield* Effect.flip(new Path(path).mkdir())).kind).toBe("FileExistsError")
    })
  )

  // anyio: test_owner
  it.live("owner", () =>
    Effect.gen(function* () {
      expect(yield* new Path(tmpDir()).owner()).toBe(os.userInfo().username)
    })
  )

  // anyio: test_read_bytes
  it.live("read_bytes", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      fs.writeFileSync(path, "bibbitibobbitiboo")
      expect(yield* new Path(path).readBytes()).toEqual(new TextEncoder().encode("bibbitibobbitiboo"))
    })
  )

  // anyio: test_read_text
  it.live("read_text", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      fs.writeFileSync(path, "some text åäö", "utf8")
      expect(yield* new Path(path).readText({ encoding: "utf-8" })).toBe("some text åäö")
    })
  )

  // anyio: test_relative_to_subpath
  it("relative_to a subpath", () => {
    const dir = "/tmp/x"
    expect(new Path(dir, "subdir").relativeTo(dir).equals(new Path("subdir"))).toBe(true)
  })

  // anyio: test_relative_to_sibling (without chdir: the relative path is resolved against sibdir)
  it.live("relative_to a sibling", () =>
    Effect.gen(function* () {
      const root = yield* populatedTmpdir()
      const subdir = root.div("subdir")
      const sibdir = root.div("sibdir")
      expect(() => subdir.relativeTo(sibdir, { walkUp: false })).toThrow("is not in the subpath")
      const relpath = subdir.relativeTo(sibdir, { walkUp: true }).div("dummyfile1.txt")
      expect(String(relpath)).toBe("../subdir/dummyfile1.txt")
      expect(fs.existsSync(nodePath.join(String(sibdir), String(relpath)))).toBe(true)
    })
  )

  // anyio: test_rmdir
  it.live("rmdir", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "somedir")
      fs.mkdirSync(path)
      yield* new Path(path).rmdir()
      expect(fs.existsSync(path)).toBe(false)
    })
  )

  // anyio: test_samefile
  it.live("samefile", () =>
    Effect.gen(function* () {
      const dir = tmpDir()
      const path = nodePath.join(dir, "somefile")
      fs.writeFileSync(path, "")
      expect(yield* new Path(dir, "somefile").samefile(new Path(path))).toBe(true)
    })
  )

  // anyio: test_stat
  it.live("stat", () =>
    Effect.gen(function* () {
      expect(yield* new Path(tmpDir()).stat()).toBeInstanceOf(fs.Stats)
    })
  )

  // anyio: test_touch
  it.live("touch", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      yield* new Path(path).touch()
      expect(fs.statSync(path).isFile()).toBe(true)
      yield* new Path(path).touch()
      expect((yield* Effect.flip(new Path(path).touch({ existOk: false }))).code).toBe("EEXIST")
    })
  )

  // anyio: test_symlink_to
  it.live("symlink_to", () =>
    Effect.gen(function* () {
      const dir = tmpDir()
      const path = nodePath.join(dir, "testfile")
      yield* new Path(path).symlinkTo(new Path(dir, "link"))
      expect(fs.lstatSync(path).isSymbolicLink()).toBe(true)
    })
  )

  // anyio: test_unlink
  it.live("unlink", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      fs.writeFileSync(path, "")
      yield* new Path(path).unlink()
      expect(fs.existsSync(path)).toBe(false)
    })
  )

  // anyio: test_unlink_missing_file
  it.live("unlink a missing file", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      yield* new Path(path).unlink({ missingOk: true })
      const error = yield* Effect.flip(new Path(path).unlink({ missingOk: false }))
      expect(error.kind).toBe("FileNotFoundError")
    })
  )

  // anyio: test_with_name
  it("with_name", () => {
    expect(new Path("/xyz/foo.txt").withName("bar").name).toBe("bar")
  })
  // anyio: test_with_stem
  it("with_stem", () => {
    expect(new Path("/xyz/foo.txt").withStem("bar").name).toBe("bar.txt")
  })
  // anyio: test_with_stem_empty_stem_with_suffix
  it("with_stem: an empty stem with a suffix is rejected", () => {
    expect(() => new Path("/xyz/foo.txt").withStem("")).toThrow("non-empty suffix")
  })
  // anyio: test_with_suffix
  it("with_suffix", () => {
    expect(new Path("/xyz/foo.txt.gz").withSuffix(".zip").name).toBe("foo.txt.zip")
    expect(() => new Path("/xyz/foo").withSuffix("zip")).toThrow("Invalid suffix")
  })

  // anyio: test_write_bytes
  it.live.each([
    ["bytes", new TextEncoder().encode("bibbitibobbitiboo")],
    ["bytearray", new Uint8Array(new TextEncoder().encode("bibbitibobbitiboo"))],
    ["memoryview", new DataView(new TextEncoder().encode("bibbitibobbitiboo").buffer)]
  ] as const)("write_bytes (%s)", ([, data]) =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      yield* new Path(path).writeBytes(data)
      expect(fs.readFileSync(path, "utf8")).toBe("bibbitibobbitiboo")
    })
  )

  // anyio: test_write_text
  it.live("write_text", () =>
    Effect.gen(function* () {
      const path = nodePath.join(tmpDir(), "testfile")
      yield* new Path(path).writeText("some text åäö", { encoding: "utf-8" })
      expect(fs.readFileSync(path, "utf8")).toBe("some text åäö")
    })
  )
})

describe("Path: pathlib parsing", () => {
  it("normalizes as pathlib does", () => {
    expect(String(new Path("a//b/./c/"))).toBe("a/b/c")
    expect(String(new Path(""))).toBe(".")
    expect(String(new Path("a/../b"))).toBe("a/../b")
    expect(String(new Path("//a"))).toBe("//a")
    expect(String(new Path("///a"))).toBe("/a")
    expect(String(new Path("a", "/b", "c"))).toBe("/b/c")
    expect(new Path(".bashrc").suffix).toBe("")
    expect(new Path("/").name).toBe("")
    expect(new Path("/").parent.equals("/")).toBe(true)
    expect(() => new Path("/").withName("x")).toThrow("empty name")
    expect(new Path(new URL("file:///x/y")).equals("/x/y")).toBe(true)
  })

  it.live("bad glob patterns; walk bottom-up and pruning", () =>
    Effect.gen(function* () {
      const dir = tmpDir()
      fs.mkdirSync(nodePath.join(dir, "a", "b"), { recursive: true })
      fs.mkdirSync(nodePath.join(dir, "c"))
      const root = new Path(dir)
      const abs = yield* Effect.exit(Stream.runCollect(root.glob("/abs")))
      expect(Exit.isFailure(abs) && String(abs.cause)).toContain("Non-relative")
      const bottomUp = yield* collect(root.walk({ topDown: false }))
      expect(bottomUp.map(([p]) => p.relativeTo(root).toString())).toEqual(
        expect.arrayContaining(["a/b", "a", "c", "."])
      )
      expect(bottomUp.at(-1)![0].equals(root)).toBe(true)
      const pruned = yield* collect(
        Stream.map(root.walk(), (entry) => {
          const names = entry[1]
          const i = names.indexOf("a")
          if (i >= 0) names.splice(i, 1)
          return entry[0].relativeTo(root).toString()
        })
      )
      expect(pruned.sort()).toEqual([".", "c"])
      const dirsOnly = yield* collect(root.glob("*/"))
      expect(dirsOnly.map((p) => p.name).sort()).toEqual(["a", "c"])
    })
  )
})
