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

  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s cancels the main task: every finalizer runs, exit code 130",
    async (signal) => {
      const { child, done } = start("signal")
      // Wait for the program to be inside its group before interrupting it.
      await new Promise<void>((resolve) => {
        child.stdout!.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("ready")) resolve()
        })
      })
      child.kill(signal)
      const { code, stdout } = await done
      expect(code).toBe(130)
      expect(
        stdout
          .split("\n")
          .filter((l) => l.startsWith("finalizer"))
          .sort()
      ).toEqual(["finalizer a", "finalizer b"])
    },
    20_000
  )

  it("runs main on the batching scheduler when asked", async () => {
    const { code, stdout } = await start("batching").done
    expect(code).toBe(0)
    expect(stdout).toBe("checkpoints 1000, default scheduler: false\n")
  }, 20_000)
})
