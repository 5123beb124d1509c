/**
 * Type-level tests of run() and openSignalReceiver: checked by `tsc --noEmit`; vitest only builds
 * the values (nothing is run: `run` would take over the process).
 */
import { describe, expectTypeOf, it } from "@effect/vitest"
import { Effect, type Scope, type Stream } from "effect"
import {
  openSignalReceiver,
  type RunWithOptions,
  run,
  type Signal,
  type SignalReceiver
} from "../src/index.ts"

const main = (name: string, times: number) => Effect.succeed(name.repeat(times))

// Calls inside functions that are never called: checked by tsc, never run.
describe("run types", () => {
  it("run(fn, ...args) checks the arguments against the function; run(effect, options)", () => {
    const calls = () => {
      run(main, "x", 2)
      run(Effect.void)
      run(Effect.void, { batchingScheduler: true })
      // @ts-expect-error wrong argument type
      run(main, "x", "2")
      // @ts-expect-error missing argument
      run(main, "x")
    }
    expectTypeOf(calls).toBeFunction()
  })

  it("run.with(options) gives both forms, with the same argument checks", () => {
    const calls = () => {
      const withOptions = run.with({ batchingScheduler: { budget: 0.002 }, disableErrorReporting: true })
      expectTypeOf(withOptions).toEqualTypeOf<RunWithOptions>()
      withOptions(main, "x", 2)
      withOptions(Effect.fail("boom"))
      // @ts-expect-error options are not an argument of the function form
      withOptions(main, "x", 2, { batchingScheduler: true })
      // @ts-expect-error an effect takes no options here
      withOptions(Effect.void, { batchingScheduler: true })
      // @ts-expect-error unknown option
      run.with({ batching: true })
    }
    expectTypeOf(calls).toBeFunction()
  })

  it("main must have no requirements", () => {
    const calls = (needsScope: Effect.Effect<void, never, Scope.Scope>) => {
      // @ts-expect-error R must be never
      run(needsScope)
      // @ts-expect-error R must be never
      run(() => needsScope)
    }
    expectTypeOf(calls).toBeFunction()
  })
})

describe("openSignalReceiver types", () => {
  it("the block form gives the body's effect; the scoped form a receiver in a Scope", () => {
    const block = openSignalReceiver("SIGINT", "SIGTERM", (signals) => signals.receive())
    expectTypeOf(block).toEqualTypeOf<Effect.Effect<Signal, never, never>>()
    const failing = openSignalReceiver("SIGHUP", () => Effect.fail(new Error("x")))
    expectTypeOf(failing).toEqualTypeOf<Effect.Effect<never, Error, never>>()
    const scoped = openSignalReceiver("SIGUSR2")
    expectTypeOf(scoped).toEqualTypeOf<Effect.Effect<SignalReceiver, never, Scope.Scope>>()
    // @ts-expect-error not a signal name
    openSignalReceiver("SIGNOPE")
  })

  it("the receiver's loop never ends; its stream has no error", () => {
    const loop = openSignalReceiver("SIGHUP", (signals) =>
      signals.runForEach((signal) => {
        expectTypeOf(signal).toEqualTypeOf<Signal>()
        return Effect.void
      })
    )
    expectTypeOf(loop).toEqualTypeOf<Effect.Effect<never, never, never>>()
    expectTypeOf<SignalReceiver["stream"]>().toEqualTypeOf<Stream.Stream<Signal>>()
  })
})
