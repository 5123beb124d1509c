/**
 * `run()`: the process-level entry point, checked in a child process (exit codes, signals).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const fixture = fileURLToPath(new URL("./fixtures/run-main.ts", import.meta.url))

interface Outcome {
  readonly code: number | null
  readonly stdout: string
}

const start = (mode: string): { child: ChildProcess; done: Promise<Outcome> } => {
  const child = spawn(process.execPath, [fixture, mode], { stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  const done = new Promise<Outcome>((resolve) => child.on("exit", (code) => resolve({ code, stdout })))
  return { child, done }
}

/** Resolves once the child prints `line` (from now on). */
const output = (child: ChildProcess, line: string): Promise<void> =>
  new Promise<void>((resolve) => {
    let text = ""
    const check = (chunk: Buffer) => {
      text += chunk.toString()
      if (text.split("\n").includes(line)) {
        child.stdout!.off("data", check)
        resolve()
      }
    }
    child.stdout!.on("data", check)
  })

describe("run", () => {
  it("runs main with its arguments and exits with 0", async () => {
    const { code, stdout } = await start("ok").done
    expect(code).toBe(0)
    expect(stdout).toBe("hello world\n")
  }, 20_000)

  it("exits as soon as main is done, even with a long timeout armed during it", async () => {
    const started = Date.now()
    const { code, stdout } = await start("timeout").done
    expect(code).toBe(0)
    expect(stdout).toBe("done\n")
    expect(Date.now() - started).toBeLessThan(15_000)
  }, 20_000)

  it("exits with 1 when main fails", async () => {
    const { code } = await start("fail").done
    expect(code).toBe(1)
  }, 20_000)

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143]
  ] as const)(
    "%s cancels the main task: every finalizer runs, exit code %i",
    async (signal, expected) => {
      const { child, done } = start("signal")
      // Wait for the program to be inside its group before interrupting it.
      await output(child, "ready")
      child.kill(signal)
      const { code, stdout } = await done
      expect(code).toBe(expected)
      expect(
        stdout
          .split("\n")
          .filter((l) => l.startsWith("finalizer"))
          .sort()
      ).toEqual(["finalizer a", "finalizer b"])
    },
    20_000
  )

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143]
  ] as const)(
    "a second %s while cleanup still runs exits at once with %i",
    async (signal, expected) => {
      const { child, done } = start("stubborn")
      try {
        await output(child, "ready")
        child.kill(signal)
        await output(child, "cleaning")
        const sent = Date.now()
        child.kill(signal)
        const { code } = await done
        expect(code).toBe(expected)
        expect(Date.now() - sent).toBeLessThan(5_000)
      } finally {
        child.kill("SIGKILL")
      }
    },
    20_000
  )

  it("a SIGINT held by a signal receiver goes to the receiver; main is not cancelled", async () => {
    const { child, done } = start("receiver")
    await output(child, "ready")
    child.kill("SIGINT")
    await output(child, "ready")
    child.kill("SIGINT")
    const { code, stdout } = await done
    expect(code).toBe(0)
    expect(stdout).toBe("ready\ngot SIGINT\nready\ngot SIGINT\n")
  }, 20_000)

  it("once the receiver is closed, SIGINT cancels main again", async () => {
    const { child, done } = start("receiver-then-signal")
    await output(child, "ready")
    child.kill("SIGINT")
    await output(child, "ready")
    child.kill("SIGINT")
    const { code, stdout } = await done
    expect(code).toBe(130)
    expect(stdout).toBe("ready\ngot SIGINT\nready\nfinalizer main\n")
  }, 20_000)

  it("run.with(options) takes a function and its arguments", async () => {
    const { code, stdout } = await start("with-options").done
    expect(code).toBe(0)
    expect(stdout).toBe("hihi default scheduler: false\n")
  }, 20_000)

  it("run.with(options) takes an effect", async () => {
    const { code, stdout } = await start("with-options-effect").done
    expect(code).toBe(1)
    expect(stdout).toBe("")
  }, 20_000)

  it("runs main on the batching scheduler when asked", async () => {
    const { code, stdout } = await start("batching").done
    expect(code).toBe(0)
    expect(stdout).toBe("checkpoints 1000, default scheduler: false\n")
  }, 20_000)
})
