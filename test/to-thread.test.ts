/**
 * toThread: AnyIO's tests/test_to_thread.py, ported, plus our own for what JavaScript adds (named
 * functions, structured clone, terminateOnCancel, crashes, bad input). The tests share the default
 * pool (worker start ~70 ms) except where a test needs a pool of its own.
 */

import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import {
  BrokenWorkerThread,
  CapacityLimiter,
  cancelScope,
  createTaskGroup,
  Event,
  InvalidArgumentError,
  sleep,
  toThread,
  UncloneableValue,
  WorkerFunctionNotFound,
  waitAllTasksBlocked,
  workerFunction,
  workerModule
} from "../src/index.ts"

const url = new URL("./fixtures/worker-fns.ts", import.meta.url)
const fns = workerModule<typeof import("./fixtures/worker-fns.ts")>(url)

/** Polls until `cond` holds (real time; a worker is another thread). */
const until = (cond: () => boolean, timeout = 5): Effect.Effect<void> =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeout * 1000
    while (!cond()) {
      if (Date.now() > deadline) return yield* Effect.die(new Error("timed out waiting"))
      yield* sleep(0.002)
    }
  })

describe("toThread.runSync (AnyIO's test_to_thread.py)", () => {
  // anyio: test_run_in_thread_cancelled
  it.live("a call cancelled before it starts never runs its function", () =>
    Effect.gen(function* () {
      let state = 0
      const worker = Effect.gen(function* () {
        state = 1
        yield* toThread.runSync(fns.callbackSync, ["setState", 2], {
          callbacks: { setState: (n: number) => (state = n) }
        })
        state = 3
      })
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(worker)
          yield* tg.cancelScope.cancel()
        })
      )
      expect(state).toBe(1)
    })
  )

  // anyio: test_run_in_thread_exception
  it.live("an exception is re-raised with its class and message", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(toThread.runSync(fns.throwRange, ["foo"]))
      expect(error).toBeInstanceOf(RangeError)
      expect((error as Error).message).toBe("foo")
    })
  )

  // anyio: test_run_in_custom_limiter
  it.live("a custom limiter bounds the threads running at once", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(3)
      let active = 0
      let maxActive = 0
      let released = false
      const threadsStarted = new Event()
      const callbacks = {
        enter: () => {
          active++
          maxActive = Math.max(maxActive, active)
          return active === 3 ? threadsStarted.set() : Effect.void
        },
        isSet: () => released,
        leave: () => {
          active--
        }
      }
      const taskWorker = toThread.runSync(
        workerFunction<(timeout: number) => boolean>(url, "limiterBody"),
        [10],
        { limiter, callbacks }
      )
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          for (let i = 0; i < 4; i++) yield* tg.startSoon(taskWorker)
          yield* threadsStarted.wait()
          expect(active).toBe(3)
          expect(limiter.borrowedTokens).toBe(3)
          released = true
        })
      )
      expect(active).toBe(0)
      expect(maxActive).toBe(3)
    })
  )

  // anyio: test_cancel_worker_thread
  it.live.each([
    { abandonOnCancel: false, expected: "task" },
    { abandonOnCancel: true, expected: "thread" }
  ])(
    "a cancelled host waits for its thread unless abandonOnCancel ($expected is last)",
    ({ abandonOnCancel, expected }) =>
      Effect.gen(function* () {
        let lastActive: string | undefined
        const sleepEvent = new Event()
        const finishEvent = new Event()
        const callbacks = {
          sleeping: () => sleepEvent.set(),
          finishing: () => {
            lastActive = "thread"
            return finishEvent.set()
          }
        }
        const taskWorker = toThread
          .runSync(fns.notifySleepNotify, [0.2], { abandonOnCancel, callbacks })
          .pipe(Effect.ensuring(Effect.sync(() => (lastActive = "task"))))
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(taskWorker)
            yield* sleepEvent.wait()
            yield* tg.cancelScope.cancel()
          })
        )
        yield* finishEvent.wait()
        expect(lastActive).toBe(expected)
      })
  )

  // anyio: test_cancel_wait_on_thread
  it.live("an abandoned thread runs on; it can still call back, and it is reused afterwards", () =>
    Effect.gen(function* () {
      let set = false
      let result: boolean | undefined
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            toThread.runSync(fns.waitAndReport, [5], {
              abandonOnCancel: true,
              callbacks: { isSet: () => set, report: (r: boolean) => void (result = r) }
            })
          )
          yield* waitAllTasksBlocked()
          yield* tg.cancelScope.cancel()
        })
      )
      set = true
      yield* until(() => result !== undefined)
      expect(result).toBe(true)
    })
  )

  // anyio: test_asyncio_cancel_native_task (an Effect interruption instead of asyncio's Task.cancel)
  it.live("interrupting the fiber itself (not through a cancel scope) abandons the call", () =>
    Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(toThread.runSync(fns.sleepSync, [0.2], { abandonOnCancel: true }))
      yield* sleep(0.02)
      const started = Date.now()
      yield* Fiber.interrupt(fiber)
      expect(Date.now() - started).toBeLessThan(150)
    })
  )

  // anyio: test_stopiteration (variant: JavaScript has no StopIteration that a coroutine would turn
  // into RuntimeError; its counterpart is a thrown value that is not an Error, which must still reach
  // the caller as that value, not as a hang or a lost failure)
  it.live("a worker function throwing a non-Error value fails the caller with that value", () =>
    Effect.gen(function* () {
      const failure = yield* Effect.flip(toThread.runSync(fns.throwValue))
      expect(failure).toEqual({ code: 42 })
      expect(yield* toThread.runSync(fns.add, [1, 2])).toBe(3) // the pool stays usable
    })
  )

  // anyio: test_run_sync_worker_cyclic_references (variant: gc.get_referrers becomes a WeakRef
  // checked after a full collection)
  it.live("after a call the pool keeps no reference to its arguments or its result", () =>
    Effect.gen(function* () {
      setFlagsFromString("--expose-gc")
      const gc = runInNewContext("gc") as () => void
      const refs = yield* Effect.gen(function* () {
        const arg = { payload: new Array(1000).fill(1) }
        const result = yield* toThread.runSync(fns.identity, [arg])
        expect(result).toEqual(arg)
        return [new WeakRef(arg), new WeakRef(result as object)] as const
      })
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      gc()
      expect(refs[0].deref()).toBeUndefined()
      expect(refs[1].deref()).toBeUndefined()
    })
  )
})

describe("toThread.runSync: JavaScript specifics", () => {
  it.live("arguments and results are structured-cloned; promises are awaited", () =>
    Effect.gen(function* () {
      const value = { a: [1, 2], m: new Map([["k", new Date(0)]]), big: 10n }
      expect(yield* toThread.runSync(fns.identity, [value])).toEqual(value)
      expect(yield* toThread.runSync(fns.asyncAdd, [1, 2])).toBe(3)
      expect(yield* toThread.runSync("node:path", "join", ["a", "b"])).toBe("a/b")
      const n: number = yield* toThread.runSync(fns.add, [1, 2])
      expect(n).toBe(3)
    })
  )

  it.live("the thread is not the event loop's, and sequential calls reuse one worker", () =>
    Effect.gen(function* () {
      const ids = new Set<number>()
      for (let i = 0; i < 5; i++) ids.add(yield* toThread.runSync(fns.getThreadId))
      expect(ids.size).toBe(1)
      expect([...ids][0]).not.toBe(0)
    })
  )

  it.live("errors keep their name, stack, cause and own properties (a tagged error's _tag)", () =>
    Effect.gen(function* () {
      const custom = (yield* Effect.flip(toThread.runSync(fns.throwCustom, [7]))) as Error & {
        _tag: string
        detail: number
      }
      expect(custom.name).toBe("CustomError")
      expect(custom._tag).toBe("CustomError")
      expect(custom.detail).toBe(7)
      expect(custom.stack).toContain("throwCustom")
      const caught = yield* toThread
        .runSync(fns.throwCustom, [1])
        .pipe(Effect.catchTag("CustomError" as never, () => Effect.succeed("caught")))
      expect(caught).toBe("caught")
      const withCause = (yield* Effect.flip(toThread.runSync(fns.throwWithCause))) as Error
      expect(withCause).toBeInstanceOf(TypeError)
      expect(withCause.cause).toBeInstanceOf(RangeError)
      expect(yield* Effect.flip(toThread.runSync(fns.rejectAsync))).toBeInstanceOf(SyntaxError)
      expect(yield* Effect.flip(toThread.runSync(fns.throwValue))).toEqual({ code: 42 })
    })
  )

  it.live("100 calls with a limiter of 4: never more than 4 in flight", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(4)
      let inFlight = 0
      let most = 0
      const callbacks = {
        enter: () => {
          most = Math.max(most, ++inFlight)
        },
        leave: () => {
          inFlight--
        }
      }
      const results = yield* Effect.forEach(
        Array.from({ length: 100 }, (_, i) => i),
        (i) => toThread.runSync(fns.enterLeave, [i], { limiter, callbacks }),
        { concurrency: "unbounded" }
      )
      expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i * 2))
      expect(most).toBeLessThanOrEqual(4)
      expect(most).toBeGreaterThan(1)
      expect(limiter.borrowedTokens).toBe(0)
    })
  )

  it.live("terminateOnCancel stops even while (true) {}", () =>
    toThread.withPool({}, (pool) =>
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(toThread.runSync(fns.spin, [], { terminateOnCancel: true }))
        yield* until(() => pool.statistics().busy === 1)
        yield* sleep(0.02)
        yield* Fiber.interrupt(fiber)
        expect(pool.statistics().workers).toBe(0)
        expect(yield* toThread.runSync(fns.add, [2, 2])).toBe(4)
      })
    )
  )

  it.live("a crashing worker fails only its call and is replaced", () =>
    Effect.gen(function* () {
      const before = yield* toThread.runSync(fns.getThreadId)
      const exited = yield* Effect.flip(toThread.runSync(fns.exitWorker, [3]))
      expect(exited).toBeInstanceOf(BrokenWorkerThread)
      expect((exited as BrokenWorkerThread).exitCode).toBe(3)
      const crashed = yield* Effect.flip(toThread.runSync(fns.crashLater))
      expect(crashed).toBeInstanceOf(BrokenWorkerThread)
      expect((crashed as BrokenWorkerThread).message).toContain("uncaught in worker")
      const after = yield* toThread.runSync(fns.getThreadId)
      expect(after).not.toBe(before)
    })
  )

  it.live("bad input: clear errors, and the pool stays usable", () =>
    Effect.gen(function* () {
      const missingExport = yield* Effect.flip(toThread.runSync(url, "nope"))
      expect(missingExport).toBeInstanceOf(WorkerFunctionNotFound)
      expect((missingExport as Error).message).toContain("nope is not exported")
      const notFunction = yield* Effect.flip(toThread.runSync(url, "notAFunction"))
      expect((notFunction as Error).message).toContain("not a function")
      const missingModule = yield* Effect.flip(toThread.runSync(new URL("./nope.ts", url), "x"))
      expect(missingModule).toBeInstanceOf(WorkerFunctionNotFound)
      const result = yield* Effect.flip(toThread.runSync(fns.makeFunction))
      expect(result).toBeInstanceOf(UncloneableValue)
      expect((result as UncloneableValue).what).toBe("result")
      const args = yield* Effect.flip(toThread.runSync(fns.identity, [(() => 1) as never]))
      expect((args as UncloneableValue).what).toBe("arguments")
      const zero = yield* Effect.exit(toThread.runSync(fns.add, [1, 1], { limiter: new CapacityLimiter(0) }))
      expect(Exit.isFailure(zero) && String(zero.cause)).toContain("0 tokens")
      const relative = yield* Effect.exit(toThread.runSync("./fns.ts", "add"))
      expect(Exit.isFailure(relative) && String(relative.cause)).toContain("import.meta.url")
      const badLimiter = yield* Effect.exit(toThread.runSync(fns.add, [1, 1], { limiter: 3 as never }))
      expect(Exit.isFailure(badLimiter) && String(badLimiter.cause)).toContain(InvalidArgumentError.name)
      expect(yield* toThread.runSync(fns.add, [1, 1])).toBe(2)
    })
  )

  it.live("currentDefaultThreadLimiter: 40 tokens, the pool's own", () =>
    Effect.gen(function* () {
      const limiter = yield* toThread.currentDefaultThreadLimiter()
      expect(limiter.totalTokens).toBe(40)
      expect(limiter).toBe(yield* toThread.currentDefaultThreadLimiter())
      const own = yield* toThread.withPool({ tokens: 2 }, toThread.currentDefaultThreadLimiter())
      expect(own.totalTokens).toBe(2)
    })
  )

  it.live("a shielded cancel scope around the call is honoured; no worker outlives its pool", () =>
    Effect.gen(function* () {
      const before = process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length
      let stats = { workers: -1, idle: -1, busy: -1 }
      yield* toThread.withPool({}, (pool) =>
        Effect.gen(function* () {
          let inner: unknown
          yield* cancelScope({}, (scope) =>
            cancelScope(
              { shield: true },
              Effect.andThen(
                scope.cancel(),
                Effect.tap(toThread.runSync(fns.hello), (r) => Effect.sync(() => (inner = r)))
              )
            )
          )
          expect(inner).toBe("hello")
          stats = pool.statistics()
        })
      )
      expect(stats).toEqual({ workers: 1, idle: 1, busy: 0 })
      const after = process.getActiveResourcesInfo().filter((r) => r === "MessagePort").length
      expect(after).toBe(before)
    })
  )
})

describe("the worker side loads no effect", () => {
  it("threadWorker.ts, processWorker.ts and FromThread.ts import nothing that reaches effect", async () => {
    const { readFileSync } = await import("node:fs")
    const { fileURLToPath } = await import("node:url")
    const seen = new Set<string>()
    const visit = (file: URL): void => {
      if (seen.has(file.href)) return
      seen.add(file.href)
      const source = readFileSync(fileURLToPath(file), "utf8")
      for (const [, spec] of source.matchAll(/^(?:import|export)[^"']*from\s+["']([^"']+)["']/gm)) {
        expect(spec, `${file.pathname} imports ${spec}`).not.toMatch(/^effect|^@effect/)
        if (spec!.startsWith(".")) visit(new URL(spec!, file))
        else expect(spec).toMatch(/^node:/)
      }
    }
    for (const entry of [
      "internal/workers/threadWorker.ts",
      "internal/workers/processWorker.ts",
      "FromThread.ts"
    ]) {
      visit(new URL(`../src/${entry}`, import.meta.url))
    }
    expect(seen.size).toBeGreaterThanOrEqual(5)
  })
})
