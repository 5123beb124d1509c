/**
 * Type-level tests of runProcess/openProcess: the pipes follow the options, `check: false` drops
 * CalledProcessError. Checked by `tsc --noEmit`; vitest only builds the effects.
 */
import { describe, expectTypeOf, it } from "@effect/vitest"
import { Effect, type Scope } from "effect"
import {
  type ByteReceiveStream,
  type ByteSendStream,
  type CalledProcessError,
  type CompletedProcess,
  type OSError,
  openProcess,
  type Process,
  type ProcessOptions,
  runProcess
} from "../src/index.ts"

describe("process types", () => {
  it("openProcess: every pipe by default; 'inherit'/'ignore'/files/'stdout' give undefined", () => {
    openProcess(["cat"], (p) => {
      expectTypeOf(p.stdin).toEqualTypeOf<ByteSendStream>()
      expectTypeOf(p.stdout).toEqualTypeOf<ByteReceiveStream>()
      expectTypeOf(p.stderr).toEqualTypeOf<ByteReceiveStream>()
      expectTypeOf(p.returncode).toEqualTypeOf<number | undefined>()
      expectTypeOf(p.wait()).toEqualTypeOf<Effect.Effect<number>>()
      return Effect.void
    })
    openProcess(["cat"], { stdin: "inherit", stdout: 3, stderr: "stdout" }, (p) => {
      expectTypeOf(p.stdin).toEqualTypeOf<undefined>()
      expectTypeOf(p.stdout).toEqualTypeOf<undefined>()
      expectTypeOf(p.stderr).toEqualTypeOf<undefined>()
      return Effect.void
    })
    const options: ProcessOptions = {}
    openProcess(["cat"], options, (p) => {
      expectTypeOf(p.stdout).toEqualTypeOf<ByteReceiveStream | undefined>()
      return Effect.void
    })
  })

  it("openProcess: the block's effect, with OSError; the scoped form needs a Scope", () => {
    const block = openProcess(["cat"], {}, (p) => p.wait())
    expectTypeOf(block).toEqualTypeOf<Effect.Effect<number, OSError, never>>()
    const failing = openProcess(["cat"], (p) => p.stdout.receive())
    expectTypeOf<Effect.Error<typeof failing>>().toEqualTypeOf<
      OSError | Effect.Error<ReturnType<ByteReceiveStream["receive"]>>
    >()
    const scoped = openProcess(["cat"], { stdout: "ignore" })
    expectTypeOf(scoped).toEqualTypeOf<
      Effect.Effect<
        Process<{
          readonly stdin: ByteSendStream
          readonly stdout: undefined
          readonly stderr: ByteReceiveStream
        }>,
        OSError,
        Scope.Scope
      >
    >()
  })

  it("runProcess: output bytes when piped, CalledProcessError unless check: false", () => {
    const checked = runProcess(["ls"])
    expectTypeOf(checked).toEqualTypeOf<
      Effect.Effect<
        CompletedProcess<Uint8Array, Uint8Array>,
        OSError | CalledProcessError<Uint8Array, Uint8Array>
      >
    >()
    const unchecked = runProcess("ls", { check: false, stdout: "inherit" })
    expectTypeOf(unchecked).toEqualTypeOf<Effect.Effect<CompletedProcess<undefined, Uint8Array>, OSError>>()
    const dynamic = runProcess(["ls"], { check: Math.random() > 0.5 })
    expectTypeOf<Effect.Error<typeof dynamic>>().toEqualTypeOf<
      OSError | CalledProcessError<Uint8Array, Uint8Array>
    >()
  })

  it("bad options do not compile", () => {
    const calls = () => {
      // @ts-expect-error not a stdio option
      runProcess(["ls"], { stdout: "piped" })
      // @ts-expect-error "stdout" is for stderr only
      runProcess(["ls"], { stdin: "stdout" })
      // @ts-expect-error arguments are strings, URLs or Paths
      runProcess(["ls", 1])
      // @ts-expect-error env values are strings
      runProcess(["ls"], { env: { A: 1 } })
      // @ts-expect-error input is bytes or text
      runProcess(["ls"], { input: 1 })
    }
    expectTypeOf(calls).toBeFunction()
  })
})
