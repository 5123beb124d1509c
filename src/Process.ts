/**
 * Subprocesses (AnyIO's `run_process`, `open_process` and `abc.Process`).
 *
 * - `runProcess(command, options)` runs a command to completion and gives a
 *   {@link CompletedProcess} (its return code and, when piped, its whole stdout and stderr);
 *   with `check` (the default) a non-zero return code fails with {@link CalledProcessError}.
 * - `openProcess(command, options, (process) => body)` starts a command and hands over a
 *   {@link Process}: `pid`, `returncode`, `wait()`, `terminate()`, `kill()`, `sendSignal()`, and
 *   its pipes as byte streams (`stdin` a `ByteSendStream`, `stdout`/`stderr` `ByteReceiveStream`s).
 *   Without a body it lives as long as the current `Scope`.
 *
 * ## Rules (AnyIO's, not Effect's spawner's)
 * - A command is an array (the program and its arguments, run directly, never through a shell)
 *   or a string (a shell command line, run with `/bin/sh -c`).
 * - Leaving the block closes the pipes and **waits** for the process to exit. Only if that wait
 *   is cancelled (or the block was left by cancellation) is the process killed with SIGKILL, and
 *   then reaped: nothing is left unreaped, and a cancelled process is gone in milliseconds.
 * - A process killed by a signal has a negative `returncode` (-9 for SIGKILL, -15 for SIGTERM), as
 *   in Python.
 * - The child stays in our process group (a terminal's Ctrl-C reaches it too) unless
 *   `startNewSession: true` (`setsid()`).
 * - `wait()` returns once the process has exited, even while a grandchild still holds its pipes.
 *
 * @since 0.3.0
 */
import type { ChildProcess } from "node:child_process"
import { PassThrough, type Readable } from "node:stream"
import { Data, Effect, Exit, type Scope } from "effect"
import { InvalidArgumentError, OSError } from "./Errors.ts"
import { fromReadable, fromWritable } from "./internal/nodeStream.ts"
import {
  checkSignal,
  plan,
  returncodeOf,
  type SpawnPlan,
  spawnPlan,
  whenSpawned
} from "./internal/process/spawn.ts"
import { textOf } from "./internal/text.ts"
import type { Path } from "./Path.ts"
import { type AsyncResource, type ByteReceiveStream, type ByteSendStream, ResourceBase } from "./Streams.ts"
import { checkpoint } from "./Time.ts"

// -----------------------------------------------------------------------------
// Models
// -----------------------------------------------------------------------------

/**
 * A command: the program and its arguments (run directly), or a shell command line (run with
 * `/bin/sh -c`). Arguments may be strings, `file:` URLs or {@link Path}s.
 * @category models
 */
export type Command = string | ReadonlyArray<string | URL | Path>

/**
 * An open file descriptor: a number, a Node `FileHandle` (`{ fd }`) or an `AsyncFile` (`fileno()`).
 * @category models
 */
export type FileDescriptorLike = number | { readonly fd: number } | { fileno(): number }

/**
 * Where a standard stream of the child goes: `"pipe"` (a stream on the {@link Process}; AnyIO's
 * `PIPE`), `"inherit"` (ours; `None`), `"ignore"` (/dev/null; `DEVNULL`), or an open file.
 * @category models
 */
export type StdioOption = "pipe" | "inherit" | "ignore" | FileDescriptorLike

/**
 * Where the child's stderr goes: a {@link StdioOption}, or `"stdout"` (wherever stdout goes;
 * Python's `STDOUT`). With a piped stdout, the two are merged into `stdout` in arrival order
 * (Node gives them two pipes).
 * @category models
 */
export type StderrOption = StdioOption | "stdout"

/**
 * Options of {@link openProcess} (AnyIO's `open_process` keywords, in camelCase).
 * @category models
 */
export interface ProcessOptions {
  /** Default `"pipe"` for `openProcess`, `"inherit"` for `runProcess` (as AnyIO). */
  readonly stdin?: StdioOption | undefined
  /** Default `"pipe"`. */
  readonly stdout?: StdioOption | undefined
  /** Default `"pipe"`. */
  readonly stderr?: StderrOption | undefined
  /** The child's working directory. */
  readonly cwd?: string | URL | Path | undefined
  /** The child's whole environment (replaces ours, as in AnyIO; spread `process.env` to extend it). */
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Run the child in a new session (`setsid()`): its own process group, no controlling terminal. */
  readonly startNewSession?: boolean | undefined
  /** Numeric user id to run as (POSIX; names are not resolved). */
  readonly user?: number | undefined
  /** Numeric group id to run as (POSIX). */
  readonly group?: number | undefined
}

/**
 * Options of {@link runProcess}: those of {@link ProcessOptions}, and
 * @category models
 */
export interface RunProcessOptions extends ProcessOptions {
  /** Bytes (or UTF-8 text) for the child's stdin, which is then closed. Excludes `stdin`. */
  readonly input?: Uint8Array | string | undefined
  /** Fail with {@link CalledProcessError} on a non-zero return code (default `true`). */
  readonly check?: boolean | undefined
}

/**
 * The pipes of a {@link Process}: each one a stream, or `undefined` when not piped.
 * @category models
 */
export interface Pipes {
  readonly stdin: ByteSendStream | undefined
  readonly stdout: ByteReceiveStream | undefined
  readonly stderr: ByteReceiveStream | undefined
}

type ValueOf<O, K extends string, D> = K extends keyof O
  ? undefined extends O[K]
    ? Exclude<O[K], undefined> | D
    : O[K]
  : D
type PipedAs<V, S> = V extends "pipe" ? S : undefined

/**
 * The {@link Pipes} that options `O` give: `"pipe"` (or the default) gives a stream, anything
 * else `undefined`.
 * @category type-level
 */
export type PipesOf<O, DefaultStdin = "pipe"> = {
  readonly stdin: PipedAs<ValueOf<O, "stdin", DefaultStdin>, ByteSendStream>
  readonly stdout: PipedAs<ValueOf<O, "stdout", "pipe">, ByteReceiveStream>
  readonly stderr: PipedAs<ValueOf<O, "stderr", "pipe">, ByteReceiveStream>
}

/** Options that say nothing. */
type NoOptions = Record<never, never>

/**
 * A running (or exited) child process (AnyIO's `abc.Process`, Python's `Popen`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { openProcess } from "effect-anyio"
 * const upper = openProcess(["tr", "a-z", "A-Z"], {}, (p) =>
 *   Effect.gen(function* () {
 *     yield* p.stdin.send(new TextEncoder().encode("hello"))
 *     yield* p.stdin.close()
 *     const out = yield* p.stdout.receive()
 *     yield* p.wait()
 *     return new TextDecoder().decode(out) // "HELLO"
 *   })
 * )
 * ```
 * @category models
 */
export interface Process<P extends Pipes = Pipes> extends AsyncResource {
  /** The process id. */
  readonly pid: number
  /** The command it was started with. */
  readonly args: Command
  /**
   * The return code once it has exited (negative: killed by that signal, -9 for SIGKILL), else
   * `undefined` (Python's `None`).
   */
  readonly returncode: number | undefined
  /** Its standard input, when piped. */
  readonly stdin: P["stdin"]
  /** Its standard output, when piped (with stderr merged in for `stderr: "stdout"`). */
  readonly stdout: P["stdout"]
  /** Its standard error, when piped. */
  readonly stderr: P["stderr"]
  /** Waits until it exits and gives the return code; a checkpoint. Pipes may still be open. */
  wait(): Effect.Effect<number>
  /** Sends SIGTERM (AnyIO's `terminate()`); nothing once it has exited. */
  terminate(): Effect.Effect<void>
  /** Sends SIGKILL (AnyIO's `kill()`); nothing once it has exited. */
  kill(): Effect.Effect<void>
  /**
   * Sends `signal` (a name such as `"SIGHUP"`, or a number); nothing once it has exited. An
   * unknown signal dies with `InvalidArgumentError`.
   */
  sendSignal(signal: NodeJS.Signals | number): Effect.Effect<void>
  /**
   * Closes the pipes and waits for the process to exit; if that wait is cancelled, kills it
   * (SIGKILL) and reaps it before the cancellation goes on (AnyIO's `aclose()`).
   */
  close(): Effect.Effect<void>
}

/**
 * The result of {@link runProcess} (Python's `subprocess.CompletedProcess`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { runProcess } from "effect-anyio"
 * const version = Effect.map(runProcess(["node", "--version"]), (r) => new TextDecoder().decode(r.stdout))
 * ```
 * @category models
 */
export class CompletedProcess<Out = Uint8Array | undefined, Err = Uint8Array | undefined> {
  /** The command that ran. */
  readonly args: Command
  /** Its return code (negative: killed by that signal). */
  readonly returncode: number
  /** Everything it wrote to stdout, when piped. */
  readonly stdout: Out
  /** Everything it wrote to stderr, when piped. */
  readonly stderr: Err
  constructor(args: Command, returncode: number, stdout: Out, stderr: Err) {
    this.args = args
    this.returncode = returncode
    this.stdout = stdout
    this.stderr = stderr
  }
  /** Fails with {@link CalledProcessError} if the return code is not 0 (Python's `check_returncode`). */
  checkReturncode(): Effect.Effect<this, CalledProcessError<Out, Err>> {
    return this.returncode === 0
      ? Effect.succeed(this)
      : Effect.fail(
          new CalledProcessError({
            returncode: this.returncode,
            cmd: this.args,
            stdout: this.stdout,
            stderr: this.stderr
          })
        )
  }
}

const programName = (cmd: Command): string =>
  typeof cmd === "string" ? "shell command" : `'${Array.isArray(cmd) ? textOf(cmd[0]) : "?"}'`

/**
 * A command run with `check` ended with a non-zero return code (Python's
 * `subprocess.CalledProcessError`). The message names the program only, never its arguments
 * (they may hold secrets); `cmd` has the whole command.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { runProcess } from "effect-anyio"
 * const ok = runProcess(["false"]).pipe(
 *   Effect.catchTag("CalledProcessError", (e) => Effect.succeed(e.returncode)) // 1
 * )
 * ```
 * @category errors
 */
export class CalledProcessError<
  Out = Uint8Array | undefined,
  Err = Uint8Array | undefined
> extends Data.TaggedError("CalledProcessError")<{
  readonly returncode: number
  readonly cmd: Command
  readonly stdout: Out
  readonly stderr: Err
}> {
  override get message(): string {
    const name = programName(this.cmd)
    return this.returncode < 0
      ? `Command ${name} died with signal ${-this.returncode}.`
      : `Command ${name} returned non-zero exit status ${this.returncode}.`
  }
}

// -----------------------------------------------------------------------------
// The process
// -----------------------------------------------------------------------------

type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** Both of a child's output pipes as one readable (`stderr: "stdout"` with a piped stdout). */
const merge = (a: Readable, b: Readable): PassThrough => {
  const merged = new PassThrough()
  let open = 2
  const ended = () => {
    if (--open === 0) merged.end()
  }
  for (const source of [a, b]) {
    source.pipe(merged, { end: false })
    source.once("end", ended)
    source.once("error", (e) => merged.destroy(e))
  }
  return merged
}

class ProcessImpl extends ResourceBase implements Process {
  readonly pid: number
  readonly args: Command
  returncode: number | undefined = undefined
  readonly #child: ChildProcess
  readonly #plan: SpawnPlan
  // The pipes' stream adapters are made on first use (or at close): a pipe nobody reads is not
  // read, which spares the event loop a wake-up per pipe when the child ends. `null`: not yet.
  #stdin: ByteSendStream | undefined | null = null
  #stdout: ByteReceiveStream | undefined | null = null
  #stderr: ByteReceiveStream | undefined | null = null
  #waiters: Array<() => void> = []
  readonly #parked: Effect.Effect<number>
  readonly #waitEffect: Effect.Effect<number>
  readonly #closePipes: Effect.Effect<void>
  readonly #killAndReap: Effect.Effect<void>

  constructor(child: ChildProcess, p: SpawnPlan, args: Command) {
    super()
    this.#child = child
    this.#plan = p
    this.pid = child.pid as number
    this.args = args
    child.once("exit", (code, signal) => {
      this.returncode = returncodeOf(code, signal)
      const waiters = this.#waiters
      this.#waiters = []
      for (const waiter of waiters) waiter()
    })
    this.#parked = Effect.callback<number>((resume) => {
      if (this.returncode !== undefined) return resume(Exit.succeed(this.returncode))
      const waiter = () => resume(Exit.succeed(this.returncode as number))
      this.#waiters.push(waiter)
      return Effect.sync(() => {
        const i = this.#waiters.indexOf(waiter)
        if (i >= 0) this.#waiters.splice(i, 1)
      })
    })
    this.#waitEffect = Effect.suspend(() =>
      this.returncode !== undefined ? Effect.map(checkpoint(), () => this.returncode as number) : this.#parked
    )
    this.#closePipes = Effect.suspend(() =>
      Effect.forEach(
        [this.stdin, this.stdout, this.stderr].filter((s) => s !== undefined),
        (s) => s.close(),
        { discard: true }
      )
    )
    this.#killAndReap = Effect.suspend(() => {
      if (this.returncode !== undefined) return Effect.void
      this.#child.kill("SIGKILL")
      return Effect.asVoid(this.#parked)
    })
  }

  get stdin(): ByteSendStream | undefined {
    if (this.#stdin === null) this.#stdin = this.#child.stdin ? fromWritable(this.#child.stdin) : undefined
    return this.#stdin
  }

  get stdout(): ByteReceiveStream | undefined {
    if (this.#stdout === null) this.#makeOutputs()
    return this.#stdout as ByteReceiveStream | undefined
  }

  get stderr(): ByteReceiveStream | undefined {
    if (this.#stderr === null) this.#makeOutputs()
    return this.#stderr as ByteReceiveStream | undefined
  }

  #makeOutputs(): void {
    const out = this.#child.stdout
    const err = this.#child.stderr
    if (out && err && this.#plan.stderrToStdout) {
      const merged = merge(out, err)
      this.#stdout = fromReadable(merged, {
        onClose: () => {
          merged.destroy()
          out.destroy()
          err.destroy()
        }
      })
      this.#stderr = undefined
    } else {
      this.#stdout = out ? fromReadable(out) : undefined
      this.#stderr = err ? fromReadable(err) : undefined
    }
  }

  wait(): Effect.Effect<number> {
    return this.#waitEffect
  }

  sendSignal(signal: NodeJS.Signals | number): Effect.Effect<void> {
    return Effect.suspend(() => {
      const checked = checkSignal(signal)
      if (checked instanceof InvalidArgumentError) return Effect.die(checked)
      // After the exit the pid may already belong to someone else: send nothing (as Popen).
      if (this.returncode === undefined) this.#child.kill(checked)
      return Effect.void
    })
  }

  terminate(): Effect.Effect<void> {
    return this.sendSignal("SIGTERM")
  }

  kill(): Effect.Effect<void> {
    return this.sendSignal("SIGKILL")
  }

  /** Closes the pipes, then waits with `restore`'s interruptibility; a cancelled wait kills and reaps. */
  closeAndWait(restore: Restore): Effect.Effect<void> {
    return Effect.andThen(
      this.#closePipes,
      Effect.asVoid(Effect.onInterrupt(restore(this.#waitEffect), () => this.#killAndReap))
    )
  }

  /** Closes the pipes, kills (SIGKILL) and reaps: the exit of a cancelled scope. */
  closeAndKill(): Effect.Effect<void> {
    return Effect.andThen(this.#closePipes, this.#killAndReap)
  }

  close(): Effect.Effect<void> {
    return Effect.uninterruptibleMask((restore) => this.closeAndWait(restore))
  }

  // `ResourceBase.use`/`scoped` close in an uninterruptible finalizer, where the wait could not
  // be cancelled: AnyIO's exit wait is cancellable, so both are done by hand here.
  override use<A, E, R>(f: (self: this) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.uninterruptibleMask((restore) => useWith(this, restore, f))
  }

  override scoped(): Effect.Effect<this, never, Scope.Scope> {
    return Effect.acquireRelease(Effect.succeed(this), release)
  }
}

/**
 * The release of a scoped process. A scope closed by cancellation kills at once (AnyIO's wait
 * would be cancelled at once); otherwise it waits, interruptibly although finalizers are not, so
 * that a cancellation during the wait kills.
 */
const release = (p: ProcessImpl, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
  Exit.hasInterrupts(exit) ? p.closeAndKill() : p.closeAndWait(Effect.interruptible)

/** Runs `f(p)` with `restore`, then closes `p` and waits as AnyIO's `async with process:` does. */
const useWith = <P extends ProcessImpl, A, E, R>(
  p: P,
  restore: Restore,
  f: (p: P) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.flatMap(Effect.exit(restore(Effect.suspend(() => f(p)))), (exit) =>
    Effect.flatMap(Effect.exit(p.closeAndWait(restore)), (closed) =>
      Exit.isFailure(exit) || Exit.isSuccess(closed) ? exit : (closed as Exit.Exit<never>)
    )
  )

/** Spawns; the process once it runs, `OSError` if it cannot start. Bad input dies. */
const spawnProcess = (
  command: unknown,
  options: ProcessOptions | undefined
): Effect.Effect<ProcessImpl, OSError> =>
  Effect.suspend(() => {
    const p = plan(command, options, "pipe")
    if (p instanceof InvalidArgumentError) return Effect.die(p)
    const child = spawnPlan(p)
    if (child instanceof OSError) return Effect.fail(child)
    const spawned = child
    return Effect.callback<ProcessImpl, OSError>((resume) =>
      whenSpawned(
        spawned,
        p,
        () => resume(Exit.succeed(new ProcessImpl(spawned, p, command as Command))),
        (error) => resume(Exit.fail(error))
      )
    )
  })

/**
 * Starts a command in a subprocess (AnyIO's `open_process`).
 *
 * **When to use**: to talk to a process while it runs (feed its stdin, stream its output, signal
 * it). To run a command to completion, {@link runProcess} is simpler.
 *
 * **Details**
 * - Block form `openProcess(command, options, (process) => body)`: when `body` ends, however it
 *   ends, the pipes are closed and the process is **waited for**; if that wait is cancelled (or the
 *   body was cancelled), the process is killed with SIGKILL and reaped first. Scoped form
 *   `openProcess(command, options?)`: the same when the `Scope` closes (a scope closed by
 *   cancellation kills at once).
 * - The streams follow the stream rules: `receive` fails with `EndOfStream` once the process
 *   closed its side, `ClosedResourceError` after we closed ours, `BrokenResourceError` when
 *   writing to a process that no longer reads (EPIPE). Reads are cancel-safe and backpressured.
 * - Fails with `OSError` when the program cannot be started (`code` ENOENT: no such program or
 *   cwd; EACCES: not executable). Bad input (empty command, non-string arguments, bad options)
 *   dies with `InvalidArgumentError` and starts nothing.
 * - Stream types follow the options: `stdout: "inherit"` gives `process.stdout: undefined`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { openProcess } from "effect-anyio"
 * // Read the first chunk a program prints, then stop it.
 * const first = openProcess(["yes"], { stderr: "ignore" }, (p) =>
 *   Effect.gen(function* () {
 *     const chunk = yield* p.stdout.receive()
 *     yield* p.terminate()
 *     return chunk
 *   })
 * )
 * ```
 * @see runProcess
 * @category constructors
 */
export const openProcess: {
  <const O extends ProcessOptions, A, E, R>(
    command: Command,
    options: O,
    body: (process: Process<PipesOf<O>>) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | OSError, R>
  <A, E, R>(
    command: Command,
    body: (process: Process<PipesOf<NoOptions>>) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | OSError, R>
  <const O extends ProcessOptions = NoOptions>(
    command: Command,
    options?: O
  ): Effect.Effect<Process<PipesOf<O>>, OSError, Scope.Scope>
} = ((command: Command, ...rest: ReadonlyArray<unknown>) => {
  const body = (typeof rest[0] === "function" ? rest[0] : rest[1]) as
    | ((p: ProcessImpl) => Effect.Effect<unknown, unknown, unknown>)
    | undefined
  const options = (typeof rest[0] === "function" ? undefined : rest[0]) as ProcessOptions | undefined
  if (body === undefined) {
    // AnyIO's open_process is a checkpoint before it spawns.
    return Effect.andThen(checkpoint(), Effect.acquireRelease(spawnProcess(command, options), release))
  }
  return Effect.andThen(
    checkpoint(),
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(spawnProcess(command, options), (p) => useWith(p, restore, body))
    )
  )
}) as never

// -----------------------------------------------------------------------------
// runProcess
// -----------------------------------------------------------------------------

type CheckError<O> = [ValueOf<O, "check", true>] extends [false]
  ? never
  : CalledProcessError<OutOf<O>, ErrOf<O>>
type OutOf<O> = PipedAs<ValueOf<O, "stdout", "pipe">, Uint8Array>
type ErrOf<O> = PipedAs<ValueOf<O, "stderr", "pipe">, Uint8Array>

const empty = new Uint8Array(0)

/** Collects a readable's chunks (flowing mode: `runProcess` reads everything anyway). */
class Collector {
  chunks: Array<Uint8Array> = []
  size = 0
  constructor(readable: Readable | null | undefined) {
    readable?.on("data", (chunk: Uint8Array) => {
      this.chunks.push(chunk)
      this.size += chunk.byteLength
    })
  }
  bytes(): Uint8Array {
    if (this.size === 0) return empty.slice()
    // A fresh, exact buffer: not a view into Node's shared pool.
    const out = new Uint8Array(this.size)
    let at = 0
    for (const chunk of this.chunks) {
      out.set(chunk, at)
      at += chunk.byteLength
    }
    this.chunks = []
    return out
  }
}

/**
 * Runs a command and waits for it to complete (AnyIO's `run_process`, Python's
 * `subprocess.run`).
 *
 * **Details**
 * - stdout and stderr are piped and collected by default (`CompletedProcess.stdout`/`stderr`);
 *   `"inherit"`, `"ignore"` or a file send them elsewhere (then `undefined`). stdin is inherited
 *   unless `input` is given (written, then closed; a child that exits without reading it is not
 *   an error, as in Python) or `stdin` says otherwise; giving both dies with
 *   `InvalidArgumentError`.
 * - It completes once the process has exited **and** its output pipes are closed (a grandchild
 *   holding them keeps it waiting, as in AnyIO).
 * - With `check` (default `true`) a non-zero return code fails with {@link CalledProcessError}
 *   (holding the output); `check: false` removes that error from the type too.
 * - Cancelled: the process is killed with SIGKILL and reaped before the cancellation goes on.
 * - Cannot start: `OSError` (ENOENT, EACCES); bad input dies with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { runProcess } from "effect-anyio"
 * const reversed = Effect.gen(function* () {
 *   const result = yield* runProcess(["rev"], { input: "abc\n" })
 *   return new TextDecoder().decode(result.stdout) // "cba\n"
 * })
 * ```
 * @see openProcess
 * @category constructors
 */
export const runProcess = <const O extends RunProcessOptions = NoOptions>(
  command: Command,
  options?: O
): Effect.Effect<CompletedProcess<OutOf<O>, ErrOf<O>>, OSError | CheckError<O>> =>
  Effect.suspend(() => {
    const input = options?.input
    if (input !== undefined && options?.stdin !== undefined) {
      return Effect.die(new InvalidArgumentError({ message: "only one of stdin and input is allowed" }))
    }
    if (input !== undefined && typeof input !== "string" && !(input instanceof Uint8Array)) {
      return Effect.die(
        new InvalidArgumentError({ message: `input must be a Uint8Array or a string, got ${textOf(input)}` })
      )
    }
    const check = options?.check ?? true
    if (typeof check !== "boolean") {
      return Effect.die(
        new InvalidArgumentError({ message: `check must be a boolean, got ${textOf(check)}` })
      )
    }
    const p = plan(command, input !== undefined ? { ...options, stdin: "pipe" } : options, "inherit")
    if (p instanceof InvalidArgumentError) return Effect.die(p)
    const child = spawnPlan(p)
    if (child instanceof OSError) return Effect.fail(child)
    return Effect.callback<
      CompletedProcess<Uint8Array | undefined, Uint8Array | undefined>,
      OSError | CalledProcessError
    >((resume) => {
      let done = false
      let exited = child.exitCode !== null || child.signalCode !== null
      const out = new Collector(child.stdout)
      // `stderr: "stdout"` with a piped stdout: both land in the one stdout buffer.
      const err = p.stderrToStdout ? out : new Collector(child.stderr)
      if (p.stderrToStdout)
        child.stderr?.on("data", (chunk: Uint8Array) => {
          out.chunks.push(chunk)
          out.size += chunk.byteLength
        })
      whenSpawned(
        child,
        p,
        () => {
          if (input !== undefined && child.stdin) {
            // EPIPE from a child that exits without reading its input is not an error (Python).
            child.stdin.on("error", () => {})
            child.stdin.end(typeof input === "string" ? new TextEncoder().encode(input) : input)
          }
        },
        (error) => {
          done = true
          resume(Exit.fail(error))
        }
      )
      child.once("exit", () => {
        exited = true
      })
      child.once("close", (code, signal) => {
        if (done) return
        done = true
        const returncode = returncodeOf(code, signal)
        const stdout = child.stdout ? out.bytes() : undefined
        const stderr = child.stderr && !p.stderrToStdout ? err.bytes() : undefined
        if (check && returncode !== 0) {
          resume(Exit.fail(new CalledProcessError({ returncode, cmd: command, stdout, stderr })))
        } else {
          resume(Exit.succeed(new CompletedProcess(command, returncode, stdout, stderr)))
        }
      })
      // Cancelled: close the pipes, kill, and reap before the cancellation goes on.
      return Effect.callback<void>((reaped) => {
        done = true
        child.stdin?.destroy()
        child.stdout?.destroy()
        child.stderr?.destroy()
        if (exited || child.pid === undefined) return reaped(Exit.void)
        child.once("exit", () => reaped(Exit.void))
        child.kill("SIGKILL")
      })
    }) as Effect.Effect<CompletedProcess<OutOf<O>, ErrOf<O>>, OSError | CheckError<O>>
  })
