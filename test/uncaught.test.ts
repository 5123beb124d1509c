// Issue 20: an error the library reports as uncaught during a test fails that test (test/setup.ts).
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { takeUncaught } from "./uncaught.ts"

describe("uncaught errors fail the test", () => {
  it("a test that expects a report takes it and asserts it", async () => {
    setTimeout(() => {
      throw new Error("expected")
    }, 0)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(takeUncaught().map((u) => [u.kind, (u.error as Error).message])).toEqual([
      ["uncaughtException", "expected"]
    ])
  })

  it("the tests during which one arrives fail; the others pass", () => {
    const root = fileURLToPath(new URL("..", import.meta.url))
    const dir = mkdtempSync(join(tmpdir(), "uncaught-"))
    const outputFile = join(dir, "report.json")
    const out = spawnSync(
      process.execPath,
      [
        "node_modules/vitest/vitest.mjs",
        "run",
        "--config",
        "test/fixtures/uncaught/vitest.config.ts",
        "--reporter=json",
        `--outputFile=${outputFile}`
      ],
      { cwd: root, encoding: "utf8", timeout: 60_000 }
    )
    const text = readFileSync(outputFile, "utf8")
    rmSync(dir, { recursive: true, force: true })
    const report = JSON.parse(text) as {
      testResults: Array<{
        assertionResults: Array<{ title: string; status: string; failureMessages: Array<string> }>
      }>
    }
    const results = report.testResults.flatMap((f) => f.assertionResults)
    expect(Object.fromEntries(results.map((r) => [r.title, r.status]))).toEqual({
      clean: "passed",
      "throws from a timer": "failed",
      "leaves a rejected promise unhandled": "failed",
      "a batching scheduler task throws": "failed",
      "clean after the failures: takes and asserts an expected report": "passed"
    })
    const message = (title: string) => results.find((r) => r.title === title)!.failureMessages.join("\n")
    expect(message("throws from a timer")).toContain("uncaughtException: Error: timer boom")
    expect(message("leaves a rejected promise unhandled")).toContain(
      "unhandledRejection: Error: rejection boom"
    )
    expect(message("a batching scheduler task throws")).toContain("uncaughtException: Error: scheduler boom")
    expect(out.status).not.toBe(0)
  }, 60_000)
})
