/**
 * openSignalReceiver: AnyIO's tests/test_signals.py, ported, plus ordering, fan-out, cancellation
 * safety, the listener's lifetime and bad input. Signals go to this test process only (vitest runs
 * each file in its own forked process).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Stream } from "effect"
import { createTaskGroup, failAfter, InvalidArgumentError, openSignalReceiver, sleep } from "../src/index.ts"
import type { Signal, SignalReceiver } from "../src/Signals.ts"

const kill = (signal: Signal) => Effect.sync(() => process.kill(process.pid, signal))

describe("openSignalReceiver (AnyIO's test_signals.py)", () => {
  // anyio: test_receive_signals
  it.live("receives the signals sent while it is open, in order", () =>
    openSignalReceiver("SIGUSR1", "SIGUSR2", (signals) =>
      Effect.gen(function* () {
        yield* kill("SIGUSR1")
        yield* kill("SIGUSR2")
        yield* failAfter(
          1,
          Effect.gen(function* () {
            expect(yield* signals.receive()).toBe("SIGUSR1")
            expect(yield* signals.receive()).toBe("SIGUSR2")
          })
        )
      })
    )
  )

  // anyio: test_task_group_cancellation_open
  it.live("a task iterating a receiver it opened is cancelled with its group", () =>
    Effect.gen(function* () {
      const reached: Array<string> = []
      const handler = Effect.gen(function* () {
        yield* openSignalReceiver("SIGUSR1", (signals) =>
          Effect.gen(function* () {
            yield* signals.runForEach(() => Effect.sync(() => reached.push("SIGUSR1 should not be sent")))
          })
        )
        reached.push("open_signal_receiver should not suppress cancellation")
      })
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(handler)
          yield* tg.cancelScope.cancel()
        })
      )
      expect(reached).toEqual([])
      expect(process.listenerCount("SIGUSR1")).toBe(0)
    })
  )

  // anyio: test_task_group_cancellation_consume
  it.live("a task consuming a receiver opened outside its group is cancelled with the group", () =>
    Effect.gen(function* () {
      const reached: Array<string> = []
      const consume = (signals: SignalReceiver) =>
        Effect.andThen(
          signals.runForEach(() => Effect.sync(() => reached.push("SIGUSR1 should not be sent"))),
          Effect.sync(() => reached.push("consume should have been cancelled"))
        )
      yield* openSignalReceiver("SIGUSR1", (signals) =>
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(consume, signals)
            yield* tg.cancelScope.cancel()
          })
        )
      )
      expect(reached).toEqual([])
    })
  )
})

describe("openSignalReceiver", () => {
  it.live("queues every delivery in order, also while nobody is receiving (SIGUSR2, SIGUSR2, SIGHUP)", () =>
    openSignalReceiver("SIGUSR2", "SIGHUP", (signals) =>
      Effect.gen(function* () {
        yield* kill("SIGUSR2")
        yield* sleep(0.02)
        yield* kill("SIGUSR2")
        yield* sleep(0.02)
        yield* kill("SIGHUP")
        yield* sleep(0.02)
        const got = yield* failAfter(1, signals.stream.pipe(Stream.take(3), Stream.runCollect))
        expect(got).toEqual(["SIGUSR2", "SIGUSR2", "SIGHUP"])
      })
    )
  )

  it.live("the scoped form holds the signal until its Scope closes; the listener goes with it", () =>
    Effect.gen(function* () {
      const before = process.listenerCount("SIGUSR2")
      yield* Effect.scoped(
        Effect.gen(function* () {
          const signals = yield* openSignalReceiver("SIGUSR2", "SIGUSR2")
          expect(signals.signals).toEqual(["SIGUSR2"])
          expect(process.listenerCount("SIGUSR2")).toBe(before + 1)
          yield* kill("SIGUSR2")
          expect(yield* failAfter(1, signals.receive())).toBe("SIGUSR2")
        })
      )
      expect(process.listenerCount("SIGUSR2")).toBe(before)
    })
  )

  it.live("every open receiver of a signal gets each delivery; one listener serves them all", () =>
    openSignalReceiver("SIGUSR2", (a) =>
      openSignalReceiver("SIGUSR2", (b) =>
        Effect.gen(function* () {
          expect(process.listenerCount("SIGUSR2")).toBe(1)
          yield* kill("SIGUSR2")
          expect(yield* failAfter(1, a.receive())).toBe("SIGUSR2")
          expect(yield* failAfter(1, b.receive())).toBe("SIGUSR2")
        })
      )
    )
  )

  it.live("a cancelled receive consumes nothing: the next one gets the signal", () =>
    openSignalReceiver("SIGUSR2", (signals) =>
      Effect.gen(function* () {
        const waiting = yield* Effect.forkChild(signals.receive())
        yield* sleep(0.005)
        yield* Fiber.interrupt(waiting)
        yield* kill("SIGUSR2")
        expect(yield* failAfter(1, signals.receive())).toBe("SIGUSR2")
      })
    )
  )

  it.live("a receiver used after its block ended dies with ClosedResourceError", () =>
    Effect.gen(function* () {
      const signals = yield* openSignalReceiver("SIGUSR2", (s) => Effect.succeed(s))
      const exit = yield* Effect.exit(signals.receive())
      expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/ClosedResourceError/)
    })
  )

  it.live("bad input dies with InvalidArgumentError and installs nothing", () =>
    Effect.gen(function* () {
      const before = process.listenerCount("SIGUSR2")
      for (const bad of ["SIGNOPE", "sigint", 2, undefined, "SIGKILL", "SIGSTOP"] as Array<unknown>) {
        const exit = yield* Effect.exit(openSignalReceiver("SIGUSR2", bad as Signal, () => Effect.void))
        expect(Exit.isFailure(exit)).toBe(true)
        if (Exit.isFailure(exit)) {
          const defect = exit.cause.reasons.find((r) => r._tag === "Die")
          expect(defect?._tag === "Die" && defect.defect).toBeInstanceOf(InvalidArgumentError)
        }
      }
      expect(process.listenerCount("SIGUSR2")).toBe(before)
    })
  )
})
