/**
 * runProcess / openProcess: AnyIO's tests/test_subprocesses.py, ported (`// anyio:` names), then
 * a regression test for each trap of the I/O facts doc and bad input. Child programs are `sh`,
 * coreutils and `node -e` (no Python needed); nothing outlives a test.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import {
  BrokenResourceError,
  type ByteReceiveStream,
  CalledProcessError,
  ClosedResourceError,
  cancelScope,
  createTaskGroup,
  EndOfStream,
  failAfter,
  InvalidArgumentError,
  moveOnAfter,
  OSError,
  openProcess,
  type PipesOf,
  type Process,
  runProcess,
  sleep
} from "../src/index.ts"
import { alive } from "./process-helpers.ts"

const node = process.execPath
type PipedProcess = Process<PipesOf<Record<never, never>>>
const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, ...]. */
const statOf = (pid: number): Array<string> => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")
}
const hasProc = (() => {
  try {
    statOf(process.pid)
    return true
  } catch {
    return false
  }
})()

/** Reads up to and including the first newline (AnyIO's `BufferedByteReceiveStream.receive_until`). */
const receiveLine = (stream: ByteReceiveStream) =>
  Effect.gen(function* () {
    let line = ""
    while (!line.includes("\n")) line += text(yield* stream.receive())
    return line
  })

/** The defect an exit died with. */
const defectOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Die")?.defect : undefined

const childProcessHandles = (): number =>
  (process as unknown as { _getActiveHandles(): Array<object> })
    ._getActiveHandles()
    .filter((h) => h.constructor.name === "ChildProcess").length

/**
 * How many child-process handles are left once libuv had the chance to close those of exited
 * children (the handle closes one loop turn after the exit was reaped), within 100 ms.
 */
const childHandlesLeft = Effect.gen(function* () {
  for (let i = 0; i < 100 && childProcessHandles() > 0; i++) yield* sleep(0.001)
  return childProcessHandles()
})

const withTmp = <A, E>(f: (dir: string) => Effect.Effect<A, E>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => realpathSync(mkdtempSync(join(tmpdir(), "effect-anyio-proc-")))),
    f,
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const reverseStdin =
  "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log([...s].reverse().join('')))"

describe("runProcess / openProcess (AnyIO's test_subprocesses.py)", () => {
  // anyio: test_run_process[shell]
  it.live("runs a shell command line with input", () =>
    Effect.gen(function* () {
      const result = yield* runProcess(`"${node}" -e "${reverseStdin}"`, { input: bytes("abc") })
      expect(result.returncode).toBe(0)
      expect(text(result.stdout).trimEnd()).toBe("cba")
    })
  )

  // anyio: test_run_process[exec]
  it.live("runs an argument array with input", () =>
    Effect.gen(function* () {
      const result = yield* runProcess([node, "-e", reverseStdin], { input: bytes("abc") })
      expect(result.returncode).toBe(0)
      expect(text(result.stdout).trimEnd()).toBe("cba")
    })
  )

  // anyio: test_run_process_checked
  it.live("check: a non-zero return code fails with CalledProcessError holding the output", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        runProcess(["sh", "-c", "echo stderr-text >&2; echo stdout-text; exit 1"], { check: true })
      )
      expect(error).toBeInstanceOf(CalledProcessError)
      expect(error._tag).toBe("CalledProcessError")
      if (!(error instanceof CalledProcessError)) return
      expect(error.returncode).toBe(1)
      expect(text(error.stdout).trimEnd()).toBe("stdout-text")
      expect(text(error.stderr).trimEnd()).toBe("stderr-text")
    })
  )

  // anyio: test_terminate
  it.live("terminate() sends SIGTERM; a handler can exit with its own code", () =>
    openProcess(
      ["sh", "-c", "trap 'kill $!; exit 2' TERM; echo ready; sleep 5 >/dev/null & wait $!"],
      {},
      (p) =>
        Effect.gen(function* () {
          const line = yield* receiveLine(p.stdout)
          expect(line.trimEnd()).toBe("ready")
          yield* p.terminate()
          expect(yield* p.wait()).toBe(2)
        })
    )
  )

  // anyio: test_process_receive_invalid_max_bytes
  it.live.each([0, -1])("receive(%i) dies with InvalidArgumentError", (maxBytes) =>
    openProcess(["sh", "-c", "printf x"], {}, (p) =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(p.stdout.receive(maxBytes))
        const defect = defectOf(exit)
        expect(defect).toBeInstanceOf(InvalidArgumentError)
        expect((defect as InvalidArgumentError).message).toMatch(/maxBytes must be a positive integer/)
        yield* p.wait()
      })
    )
  )

  // anyio: test_process_cwd
  it.live("cwd is passed to the child", () =>
    withTmp((dir) =>
      Effect.gen(function* () {
        const result = yield* runProcess(["pwd"], { cwd: dir })
        expect(text(result.stdout).trim()).toBe(dir)
      })
    )
  )

  // anyio: test_process_env
  it.live("env is passed to the child", () =>
    Effect.gen(function* () {
      const env = { ...(process.env as Record<string, string>), foo: "bar" }
      const result = yield* runProcess(["sh", "-c", 'echo "$foo"'], { env })
      expect(text(result.stdout).trim()).toBe("bar")
    })
  )

  // anyio: test_process_new_session_sid
  it.live.skipIf(!hasProc)("startNewSession gives the child its own session; by default it shares ours", () =>
    Effect.gen(function* () {
      const sid = statOf(process.pid)[3]
      const cmd = ["sh", "-c", "cut -d' ' -f6 /proc/$$/stat"]
      expect(text((yield* runProcess(cmd)).stdout).trim()).toBe(sid)
      expect(text((yield* runProcess(cmd, { startNewSession: true })).stdout).trim()).not.toBe(sid)
    })
  )

  const fileScript =
    "txt=$(cat); echo \"stdin says '$txt' but stderr says NO!\" >&2; echo \"stdin says '$txt' and stdout says YES!\""

  // anyio: test_open_process_connect_to_file
  it.live("openProcess connects stdin/stdout/stderr to open files", () =>
    withTmp((dir) =>
      Effect.gen(function* () {
        writeFileSync(join(dir, "stdin"), "Hello, process!\n")
        const fin = openSync(join(dir, "stdin"), "r")
        const fout = openSync(join(dir, "stdout"), "w")
        const ferr = openSync(join(dir, "stderr"), "w")
        yield* Effect.ensuring(
          openProcess(["sh", "-c", fileScript], { stdin: fin, stdout: fout, stderr: { fd: ferr } }, (p) =>
            Effect.gen(function* () {
              expect(p.stdin).toBeUndefined()
              expect(p.stdout).toBeUndefined()
              expect(yield* p.wait()).toBe(0)
            })
          ),
          Effect.sync(() => {
            for (const fd of [fin, fout, ferr]) closeSync(fd)
          })
        )
        expect(readFileSync(join(dir, "stdout"), "utf8")).toBe(
          "stdin says 'Hello, process!' and stdout says YES!\n"
        )
        expect(readFileSync(join(dir, "stderr"), "utf8")).toBe(
          "stdin says 'Hello, process!' but stderr says NO!\n"
        )
      })
    )
  )

  // anyio: test_run_process_connect_to_file
  it.live("runProcess connects stdin/stdout/stderr to open files", () =>
    withTmp((dir) =>
      Effect.gen(function* () {
        writeFileSync(join(dir, "stdin"), "Hello, process!\n")
        const fin = openSync(join(dir, "stdin"), "r")
        const fout = openSync(join(dir, "stdout"), "w")
        const ferr = openSync(join(dir, "stderr"), "w")
        const result = yield* Effect.ensuring(
          runProcess(["sh", "-c", fileScript], { stdin: fin, stdout: fout, stderr: ferr }),
          Effect.sync(() => {
            for (const fd of [fin, fout, ferr]) closeSync(fd)
          })
        )
        expect(result.stdout).toBeUndefined()
        expect(result.stderr).toBeUndefined()
        expect(readFileSync(join(dir, "stdout"), "utf8")).toBe(
          "stdin says 'Hello, process!' and stdout says YES!\n"
        )
        expect(readFileSync(join(dir, "stderr"), "utf8")).toBe(
          "stdin says 'Hello, process!' but stderr says NO!\n"
        )
      })
    )
  )

  // anyio: test_stdin_input_both_passed
  it.live("input and stdin together die with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(runProcess(["true"], { input: bytes("abc"), stdin: 0 }))
      expect(defectOf(exit)).toBeInstanceOf(InvalidArgumentError)
      expect(String(defectOf(exit))).toMatch(/only one of/)
    })
  )

  // anyio: test_run_process_inherit_stdout (variant: capfd becomes a child program whose own
  // stdout/stderr we read; the literal check needs the fds of this process)
  it.live("stdout/stderr 'inherit' write to our own descriptors", () =>
    Effect.gen(function* () {
      const program = `import { runProcess } from ${JSON.stringify(new URL("../src/Process.ts", import.meta.url).href)}
import { Effect } from "effect"
Effect.runPromise(runProcess(["sh", "-c", "echo stderr-text >&2; echo stdout-text"], { check: true, stdout: "inherit", stderr: "inherit" }))`
      const result = yield* runProcess([node, "--input-type=module", "-e", program], {
        cwd: new URL("..", import.meta.url)
      })
      expect(text(result.stdout)).toBe("stdout-text\n")
      expect(text(result.stderr)).toBe("stderr-text\n")
    })
  )

  // anyio: test_process_aexit_cancellation_doesnt_orphan_process
  it.live("a block left by cancellation kills and reaps the process", () =>
    Effect.gen(function* () {
      let proc: PipedProcess | undefined
      yield* cancelScope({}, (scope) =>
        openProcess(["sleep", "1"], {}, (p) =>
          Effect.gen(function* () {
            proc = p
            yield* scope.cancel()
            yield* sleep(1)
          })
        )
      )
      expect(proc?.returncode).not.toBeUndefined()
      expect(proc?.returncode).not.toBe(0)
      expect(alive(proc!.pid)).toBe(false)
    })
  )

  // anyio: test_process_aexit_cancellation_closes_standard_streams
  it.live("a block left by cancellation closes the standard streams", () =>
    Effect.gen(function* () {
      let proc: PipedProcess | undefined
      yield* cancelScope({}, (scope) =>
        openProcess(["sleep", "1"], {}, (p) =>
          Effect.gen(function* () {
            proc = p
            yield* scope.cancel()
            yield* sleep(1)
          })
        )
      )
      const p = proc!
      expect(yield* Effect.flip(p.stdin.send(bytes("foo")))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(p.stdout.receive(1))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(p.stderr.receive(1))).toBeInstanceOf(ClosedResourceError)
    })
  )

  // anyio: test_exceptions_after_subprocess_closes_standard_streams
  it.live("after the process exits: stdin is broken, stdout/stderr end; after the block: closed", () =>
    Effect.gen(function* () {
      const p = yield* openProcess(["true"], {}, (p) =>
        Effect.gen(function* () {
          yield* p.wait()
          const sendThrice = Effect.repeat(p.stdin.send(bytes("foo")), { times: 2 })
          expect(yield* Effect.flip(sendThrice)).toBeInstanceOf(BrokenResourceError)
          expect(yield* Effect.flip(p.stdin.send(bytes("foo")))).toBeInstanceOf(BrokenResourceError)
          expect(yield* Effect.flip(p.stdout.receive(1))).toBeInstanceOf(EndOfStream)
          expect(yield* Effect.flip(p.stderr.receive(1))).toBeInstanceOf(EndOfStream)
          return p
        })
      )
      expect(yield* Effect.flip(p.stdin.send(bytes("foo")))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(p.stdout.receive(1))).toBeInstanceOf(ClosedResourceError)
      expect(yield* Effect.flip(p.stderr.receive(1))).toBeInstanceOf(ClosedResourceError)
    })
  )

  // anyio: test_user_group_arguments (user and group, with our own ids; umask: Node has none)
  it.live.skipIf(process.getuid === undefined)("user and group (numeric ids) are passed through", () =>
    Effect.gen(function* () {
      const uid = process.getuid!()
      const gid = process.getgid!()
      const result = yield* runProcess(["sh", "-c", "id -u; id -g"], { user: uid, group: gid })
      expect(text(result.stdout)).toBe(`${uid}\n${gid}\n`)
    })
  )

  // anyio: test_close_early
  it.live("leaving the block without reading the output does not hang", () =>
    openProcess(
      [node, "-e", "for (let i = 0; i < 100; i++) process.stdout.write(Buffer.alloc(256, i))"],
      {},
      () => Effect.void
    )
  )

  // anyio: test_close_while_reading
  it.live("closing stdout while another task reads it fails that read with ClosedResourceError", () =>
    openProcess(["sleep", "3"], {}, (p) =>
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(p.stdout.close())
          expect(yield* Effect.flip(p.stdout.receive())).toBeInstanceOf(ClosedResourceError)
          yield* p.terminate()
        })
      )
    )
  )

  // anyio: test_wait_returns_on_process_exit_with_open_stdout
  it.live("wait() returns once the process exits, while a grandchild still holds its stdout", () =>
    Effect.gen(function* () {
      // The grandchild waits for stdin to close (at most 10 s) while holding stdout and stderr.
      yield* openProcess(["sh", "-c", "(read -t 10 x || true) &"], {}, (p) =>
        Effect.gen(function* () {
          yield* failAfter(
            5,
            Effect.map(p.wait(), (rc) => expect(rc).toBe(0))
          )
          // Closing stdin unblocks the grandchild; then the pipes reach their end.
          yield* p.stdin.close()
          yield* failAfter(
            3,
            p.stdout.runForEach(() => Effect.void),
            { shield: true }
          )
          yield* failAfter(
            3,
            p.stderr.runForEach(() => Effect.void),
            { shield: true }
          )
        })
      )
    })
  )

  // anyio: test_close_with_stdout_blocked_subprocess
  it.live("closing a process blocked on a full stdout pipe does not deadlock", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const p = yield* openProcess([node, "-e", "process.stdout.write('x'.repeat(1024 * 1024))"])
        yield* failAfter(5, p.close())
        expect(p.returncode).not.toBeUndefined()
      })
    )
  )
})

describe("process traps (I/O facts doc)", () => {
  it.live("leaving the block waits for the process (AnyIO), it does not kill it", () =>
    Effect.gen(function* () {
      const started = Date.now()
      const p = yield* openProcess(["sleep", "0.3"], {}, (p) => Effect.succeed(p))
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
      expect(p.returncode).toBe(0)
    })
  )

  it.live("only a cancelled exit wait kills (SIGKILL) and reaps", () =>
    Effect.gen(function* () {
      let proc: PipedProcess | undefined
      const started = Date.now()
      yield* moveOnAfter(
        0.1,
        openProcess(["sleep", "5"], {}, (p) => Effect.sync(() => void (proc = p)))
      )
      expect(Date.now() - started).toBeLessThan(1_000)
      expect(proc?.returncode).toBe(-9)
      expect(alive(proc!.pid)).toBe(false)
    })
  )

  it.live("the scoped form waits when its Scope closes, and kills when it closes by cancellation", () =>
    Effect.gen(function* () {
      const waited = yield* Effect.scoped(openProcess(["sleep", "0.2"]))
      expect(waited.returncode).toBe(0)
      let proc: PipedProcess | undefined
      yield* moveOnAfter(
        0.05,
        Effect.scoped(
          Effect.gen(function* () {
            proc = yield* openProcess(["sleep", "5"])
            yield* sleep(5)
          })
        )
      )
      expect(proc?.returncode).toBe(-9)
    })
  )

  it.live("a signal-killed process has a negative return code (-15, -9), as in Python", () =>
    Effect.gen(function* () {
      expect(yield* openProcess(["sleep", "5"], {}, (p) => Effect.andThen(p.terminate(), p.wait()))).toBe(-15)
      expect(yield* openProcess(["sleep", "5"], {}, (p) => Effect.andThen(p.kill(), p.wait()))).toBe(-9)
      expect(
        yield* openProcess(["sleep", "5"], {}, (p) => Effect.andThen(p.sendSignal("SIGHUP"), p.wait()))
      ).toBe(-1)
      const result = yield* runProcess("kill -TERM $$", { check: false })
      expect(result.returncode).toBe(-15)
      const error = yield* Effect.flip(runProcess("kill -KILL $$"))
      expect(error).toBeInstanceOf(CalledProcessError)
      expect((error as CalledProcessError).returncode).toBe(-9)
      expect((error as CalledProcessError).message).toBe("Command shell command died with signal 9.")
    })
  )

  it.live.skipIf(!hasProc)(
    "the child stays in our process group by default (Effect's spawner detaches)",
    () =>
      Effect.gen(function* () {
        const ourGroup = statOf(process.pid)[2]
        yield* openProcess(["sleep", "5"], {}, (p) =>
          Effect.andThen(
            Effect.sync(() => expect(statOf(p.pid)[2]).toBe(ourGroup)),
            p.kill()
          )
        )
        yield* openProcess(["sleep", "5"], { startNewSession: true }, (p) =>
          Effect.andThen(
            Effect.sync(() => expect(statOf(p.pid)[2]).toBe(String(p.pid))),
            p.kill()
          )
        )
      })
  )

  it.live("a cancelled process with a grandchild is cleaned up in milliseconds (no group poll)", () =>
    Effect.gen(function* () {
      let grandchild = 0
      let elapsed = 0
      yield* openProcess(["sh", "-c", "sleep 5 & echo $!; wait"], {}, (p) =>
        Effect.gen(function* () {
          grandchild = Number((yield* receiveLine(p.stdout)).trim())
          const started = Date.now()
          yield* moveOnAfter(0, p.close())
          elapsed = Date.now() - started
          expect(p.returncode).toBe(-9)
        })
      )
      try {
        expect(elapsed).toBeLessThan(300)
      } finally {
        // AnyIO (and we) kill the child only; the grandchild is the caller's business.
        if (grandchild > 0) process.kill(grandchild, "SIGKILL")
      }
    })
  )

  it.live("a cancelled runProcess kills and reaps its process", () =>
    withTmp((dir) =>
      Effect.gen(function* () {
        const pidFile = join(dir, "pid")
        const started = Date.now()
        yield* moveOnAfter(0.2, runProcess(["sh", "-c", `echo $$ > ${pidFile}; exec sleep 5`]))
        expect(Date.now() - started).toBeLessThan(1_500)
        const pid = Number(readFileSync(pidFile, "utf8").trim())
        expect(alive(pid)).toBe(false)
        expect(yield* childHandlesLeft).toBe(0)
      })
    )
  )

  it.live("a missing program fails with OSError ENOENT naming the program, never its arguments", () =>
    Effect.gen(function* () {
      for (const attempt of [
        runProcess(["no-such-program-xyz", "--token=s3cret"]),
        openProcess(["no-such-program-xyz", "--token=s3cret"], {}, () => Effect.void)
      ]) {
        const error = yield* Effect.flip(attempt)
        expect(error).toBeInstanceOf(OSError)
        expect((error as OSError).code).toBe("ENOENT")
        expect((error as OSError).kind).toBe("FileNotFoundError")
        expect(error.message).toContain("no-such-program-xyz")
        expect(JSON.stringify(error) + error.message + String(error)).not.toContain("s3cret")
      }
      const cwd = yield* Effect.flip(runProcess(["true"], { cwd: "/no/such/dir" }))
      expect((cwd as OSError).message).toBe("ENOENT: no such directory (cwd), '/no/such/dir'")
      yield* sleep(0.001)
      expect(yield* childHandlesLeft).toBe(0)
    })
  )

  it.live("64 MiB through stdout with backpressure: bounded memory while nobody reads", () =>
    openProcess(["head", "-c", String(64 * 1024 * 1024), "/dev/zero"], {}, (p) =>
      Effect.gen(function* () {
        const before = process.memoryUsage().arrayBuffers
        yield* sleep(0.2)
        // The child is blocked on a full pipe: only a few hundred KiB are buffered here.
        expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024)
        let total = 0
        let pausedAt = 0
        let growth = 0
        yield* p.stdout.runForEach((chunk) => {
          total += chunk.byteLength
          if (pausedAt > 0 || total < 32 * 1024 * 1024) return Effect.void
          // Halfway: stop reading again for a while; the buffered amount stays small.
          pausedAt = process.memoryUsage().arrayBuffers
          return Effect.map(sleep(0.1), () => void (growth = process.memoryUsage().arrayBuffers - pausedAt))
        })
        expect(total).toBe(64 * 1024 * 1024)
        expect(growth).toBeLessThan(8 * 1024 * 1024)
        expect(yield* p.wait()).toBe(0)
      })
    )
  )

  it.live("a cancelled read from stdout loses no bytes", () =>
    openProcess(["sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done"], {}, (p) =>
      Effect.gen(function* () {
        let received = ""
        let cancelled = 0
        for (;;) {
          // Receives of 7 bytes, half of them cancelled while waiting or right away.
          const result = yield* moveOnAfter(cancelled % 2 === 0 ? 0 : 0.0005, p.stdout.receive(7)).pipe(
            Effect.catchTag("EndOfStream", () => Effect.succeed(undefined))
          )
          if (result === undefined) break
          if (result._tag === "None") cancelled++
          else received += text(result.value)
        }
        const expected = Array.from({ length: 300 }, (_, i) => `line-${i}\n`).join("")
        expect(received).toBe(expected)
        expect(cancelled).toBeGreaterThan(0)
      })
    )
  )

  it.live("stderr 'stdout' merges both into stdout", () =>
    Effect.gen(function* () {
      const result = yield* runProcess("echo out; echo err >&2", { stderr: "stdout" })
      expect(text(result.stdout).split("\n").sort()).toEqual(["", "err", "out"])
      expect(result.stderr).toBeUndefined()
      const lines = yield* openProcess("echo out; echo err >&2", { stderr: "stdout" }, (p) =>
        Effect.gen(function* () {
          expect(p.stderr).toBeUndefined()
          let all = ""
          yield* p.stdout.runForEach((chunk) => Effect.sync(() => void (all += text(chunk))))
          return all.split("\n").sort()
        })
      )
      expect(lines).toEqual(["", "err", "out"])
    })
  )

  it.live("the streams are byte streams: stdin's sink and stdout's Stream", () =>
    openProcess(["cat"], {}, (p) =>
      Effect.gen(function* () {
        const writer = yield* Effect.forkChild(
          Effect.andThen(
            Effect.forEach(["a", "b", "c"], (s) => p.stdin.send(bytes(s)), { discard: true }),
            p.stdin.close()
          )
        )
        let all = ""
        yield* p.stdout.runForEach((chunk) => Effect.sync(() => void (all += text(chunk))))
        yield* Fiber.join(writer)
        expect(all).toBe("abc")
        expect(yield* p.wait()).toBe(0)
      })
    )
  )
})

describe("process bad input", () => {
  const dies = (effect: Effect.Effect<unknown, unknown>, message: RegExp) =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(effect)
      const defect = defectOf(exit)
      expect(defect).toBeInstanceOf(InvalidArgumentError)
      expect((defect as InvalidArgumentError).message).toMatch(message)
      expect(yield* childHandlesLeft).toBe(0)
    })

  it.live("an empty command, non-string arguments or a non-command die with InvalidArgumentError", () =>
    Effect.gen(function* () {
      yield* dies(runProcess([]), /empty array/)
      yield* dies(runProcess(""), /empty string/)
      yield* dies(runProcess(["", "x"]), /empty string/)
      yield* dies(runProcess(["echo", 1 as unknown as string]), /command\[1\] must be a string/)
      yield* dies(runProcess(["echo", null as unknown as string]), /command\[1\] must be a string/)
      yield* dies(runProcess(42 as unknown as string), /array of arguments or a shell command string/)
      yield* dies(runProcess(["echo", "a\0b"]), /NUL/)
      yield* dies(
        openProcess([], {}, () => Effect.void),
        /empty array/
      )
      yield* dies(Effect.scoped(openProcess([1 as unknown as string])), /command\[0\] must be a string/)
    })
  )

  it.live("bad options die with InvalidArgumentError and start nothing", () =>
    Effect.gen(function* () {
      yield* dies(runProcess(["true"], { stdout: "piped" as "pipe" }), /stdout must be "pipe"/)
      yield* dies(runProcess(["true"], { stdin: -1 }), /stdin must be/)
      yield* dies(runProcess(["true"], { stdin: "stdout" as "pipe" }), /stdin must be/)
      yield* dies(runProcess(["true"], { env: { A: 1 as unknown as string } }), /env\.A must be a string/)
      yield* dies(runProcess(["true"], { cwd: 3 as unknown as string }), /cwd must be/)
      yield* dies(runProcess(["true"], { startNewSession: "yes" as unknown as boolean }), /startNewSession/)
      yield* dies(runProcess(["true"], { user: -1 }), /user must be a numeric id/)
      yield* dies(runProcess(["true"], { input: 5 as unknown as string }), /input must be/)
      yield* dies(runProcess(["true"], { check: "no" as unknown as boolean }), /check must be a boolean/)
    })
  )

  it.live("an unknown signal dies with InvalidArgumentError; the process is still reaped", () =>
    Effect.gen(function* () {
      let proc: PipedProcess | undefined
      // `cat` exits once the block closes its stdin.
      const exit = yield* Effect.exit(
        openProcess(["cat"], {}, (p) =>
          Effect.andThen(
            Effect.sync(() => void (proc = p)),
            p.sendSignal("SIGNOPE" as NodeJS.Signals)
          )
        )
      )
      const defect = defectOf(exit)
      expect(defect).toBeInstanceOf(InvalidArgumentError)
      expect(String(defect)).toMatch(/not a signal: "SIGNOPE"/)
      expect(proc?.returncode).toBe(0)
      expect(yield* childHandlesLeft).toBe(0)
    })
  )

  it.live("writing to a closed stdin fails with ClosedResourceError", () =>
    openProcess(["cat"], {}, (p) =>
      Effect.gen(function* () {
        yield* p.stdin.close()
        expect(yield* Effect.flip(p.stdin.send(bytes("x")))).toBeInstanceOf(ClosedResourceError)
        expect(yield* p.wait()).toBe(0)
      })
    )
  )
})
