/**
 * fromThread: AnyIO's tests/test_from_thread.py, ported (run / run_sync / check_cancelled from a
 * worker thread; BlockingPortal and event-loop tokens have no meaning here). A thread cannot share
 * the test's closures, so what AnyIO's thread functions do to shared state goes through callbacks.
 */
import { isMainThread } from "node:worker_threads"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  cancelScope,
  createTaskGroup,
  Event,
  failAfter,
  fromThread,
  sleep,
  toThread,
  UncloneableValue,
  waitAllTasksBlocked,
  workerModule
} from "../src/index.ts"

const fns = workerModule<typeof import("./fixtures/worker-fns.ts")>(
  new URL("./fixtures/worker-fns.ts", import.meta.url)
)
const mainFns = new URL("./fixtures/main-fns.ts", import.meta.url).href

const addOnMain = (a: unknown, b: unknown) => {
  expect(isMainThread).toBe(true)
  if (typeof a !== "number" || typeof b !== "number") {
    throw new TypeError(`unsupported operand type(s) for +: ${typeof a} and ${typeof b}`)
  }
  return a + b
}

describe("fromThread (AnyIO's test_from_thread.py)", () => {
  // anyio: test_thread_cancelled
  it.live("checkCancelled raises once the host task is cancelled; the scope catches it", () =>
    Effect.gen(function* () {
      let set = false
      let started = false
      let finished = false
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              yield* waitAllTasksBlocked()
              // In one step: a cancelled task stops at its next operation (Effect), not at its next await.
              yield* Effect.sync(() => {
                tg.cancelScope.cancelUnsafe()
                set = true
              })
            })
          )
          yield* toThread.runSync(fns.cancelledBody, [3], {
            callbacks: {
              start: () => void (started = true),
              isSet: () => set,
              finish: () => void (finished = true)
            }
          })
        })
      )
      expect(started).toBe(true)
      expect(finished).toBe(false)
    })
  )

  // anyio: test_thread_cancelled_and_abandoned
  it.live("an abandoned thread sees the cancellation too", () =>
    Effect.gen(function* () {
      let set = false
      let report: string | undefined
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            toThread.runSync(fns.checkCancelledReport, [3], {
              abandonOnCancel: true,
              callbacks: { isSet: () => set, report: (r: string) => void (report = r) }
            })
          )
          yield* waitAllTasksBlocked()
          yield* tg.cancelScope.cancel()
        })
      )
      set = true
      yield* failAfter(3, Effect.repeat(sleep(0.005), { until: () => report !== undefined }))
      expect(report).toBe("Cancelled")
    })
  )

  // anyio: test_thread_cancelled_not_in_worker_thread
  it("checkCancelled outside a worker thread: NoEventLoopError", () => {
    expect(() => fromThread.checkCancelled()).toThrow(fromThread.NoEventLoopError)
    expect(() => fromThread.checkCancelled()).toThrow(
      "can only be called inside an effect-anyio worker thread"
    )
  })

  // anyio: test_cancelscope_propagation
  it.live("run executes in the host's cancel scope: cancelling it there cancels the callback", () =>
    Effect.gen(function* () {
      let scopeRef: { cancelledCaught: boolean } | undefined
      yield* cancelScope({}, (scope) => {
        scopeRef = scope
        return toThread.runSync(fns.callbackAsync, ["timeBomb"], {
          callbacks: { timeBomb: () => Effect.andThen(scope.cancel(), failAfter(1, sleep(3))) }
        })
      })
      expect(scopeRef!.cancelledCaught).toBe(true)
    })
  )

  // anyio: test_cancelscope_propagation_when_abandoned
  it.live("with abandonOnCancel the callback runs on after the host left", () =>
    Effect.gen(function* () {
      const hostCancelled = new Event()
      const completed = new Event()
      let caught = false
      yield* cancelScope({}, (scope) =>
        toThread
          .runSync(fns.callbackAsync, ["timeBomb"], {
            abandonOnCancel: true,
            callbacks: {
              timeBomb: () =>
                Effect.gen(function* () {
                  yield* scope.cancel()
                  yield* failAfter(3, hostCancelled.wait())
                  yield* completed.set()
                })
            }
          })
          .pipe(Effect.ensuring(Effect.sync(() => (caught = true))))
      )
      expect(caught).toBe(true)
      yield* hostCancelled.set()
      yield* failAfter(3, completed.wait())
    })
  )
})

describe("fromThread.run (AnyIO's TestRunAsyncFromThread)", () => {
  // anyio: test_run_corofunc_from_thread
  it.live("run: an Effect callback runs on the event loop, its value comes back", () =>
    Effect.gen(function* () {
      const result = yield* toThread.runSync(fns.callbackAsync, ["asyncAdd", 1, 2], {
        callbacks: { asyncAdd: (a: number, b: number) => Effect.sync(() => addOnMain(a, b)) }
      })
      expect(result).toBe(3)
    })
  )

  // anyio: test_run_asyncgen_from_thread (an async generator's next() is a promise-returning callback)
  it.live("run: a callback returning a promise (an async generator's next)", () =>
    Effect.gen(function* () {
      const gen = (async function* () {
        yield addOnMain(1, 2)
      })()
      const result = yield* toThread.runSync(fns.callbackAsync, ["next"], {
        callbacks: { next: () => gen.next().then((r) => r.value) }
      })
      expect(result).toBe(3)
      yield* Effect.promise(() => gen.return(undefined))
    })
  )

  // anyio: test_run_sync_from_thread
  it.live("runSync: a plain callback runs on the event loop thread", () =>
    Effect.gen(function* () {
      const result = yield* toThread.runSync(fns.callbackSync, ["syncAdd", 1, 2], {
        callbacks: { syncAdd: addOnMain }
      })
      expect(result).toBe(3)
    })
  )

  // anyio: test_run_sync_from_thread_pooling (the thread's exit after the program: to-process.test.ts)
  it.live("five calls run in one worker thread, not the event loop's", () =>
    Effect.gen(function* () {
      const ids = new Set<number>()
      for (let i = 0; i < 5; i++) ids.add(yield* toThread.runSync(fns.getThreadId))
      expect(ids.size).toBe(1)
      expect(ids.has(0)).toBe(false)
    })
  )

  // anyio: test_run_async_from_thread_exception
  it.live("run: a callback's error is re-raised in the thread, then in the caller", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        toThread.runSync(fns.callbackAsync, ["asyncAdd", 1, "foo"], {
          callbacks: { asyncAdd: (a: unknown, b: unknown) => Effect.sync(() => addOnMain(a, b)) }
        })
      )
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toMatch(/unsupported operand type/)
    })
  )

  // anyio: test_run_sync_from_thread_exception
  it.live("runSync: a callback's error is re-raised in the thread, then in the caller", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        toThread.runSync(fns.callbackSync, ["syncAdd", 1, "foo"], { callbacks: { syncAdd: addOnMain } })
      )
      expect(error).toBeInstanceOf(TypeError)
      expect((error as Error).message).toMatch(/unsupported operand type/)
    })
  )

  // anyio: test_run_anyio_async_func_from_thread
  it.live("run: effect-anyio's own sleep, as a callback and as a module function", () =>
    Effect.gen(function* () {
      expect(yield* toThread.runSync(fns.callbackAsync, ["sleep", 0], { callbacks: { sleep } })).toBe(
        undefined
      )
      expect(yield* toThread.runSync(fns.callModuleAsync, [mainFns, "sleepThenValue", 0, "slept"])).toBe(
        "slept"
      )
      expect(yield* toThread.runSync(fns.callModule, [mainFns, "double", 21])).toBe(42)
    })
  )

  // anyio: test_run_async_no_event_loop
  it("run outside a worker thread: NoEventLoopError", () => {
    expect(() => fromThread.run("x")).toThrow(fromThread.NoEventLoopError)
  })

  // anyio: test_run_sync_from_unclaimed_thread_no_token
  it("runSync outside a worker thread: NoEventLoopError", () => {
    expect(() => fromThread.runSync("x")).toThrow("fromThread.runSync() can only be called inside")
    expect(fromThread.inWorkerThread()).toBe(false)
  })
})

describe("fromThread: bad input", () => {
  it.live("an unknown callback, an uncloneable callback result, an Effect that suspends in runSync", () =>
    Effect.gen(function* () {
      const unknown = yield* toThread.runSync(fns.callbackCatch, ["run", "nope"])
      expect(unknown).toMatch(/^WorkerFunctionNotFound: no callback named "nope"/)
      const uncloneable = yield* toThread.runSync(fns.callbackCatch, ["runSync", "fn"], {
        callbacks: { fn: () => () => 1 }
      })
      expect(uncloneable).toMatch(/^UncloneableValue/)
      const suspends = yield* toThread.runSync(fns.callbackCatch, ["runSync", "slow"], {
        callbacks: { slow: () => sleep(0.001) }
      })
      expect(suspends).not.toBe("no error")
      const missingModule = yield* toThread
        .runSync(fns.callModule, [`${mainFns}.nope`, "double", 1])
        .pipe(Effect.flip)
      expect((missingModule as Error).name).toBe("WorkerFunctionNotFound")
      expect(yield* toThread.runSync(fns.whoAmI)).toBe("worker")
      expect(UncloneableValue.name).toBe("UncloneableValue")
    })
  )
})
