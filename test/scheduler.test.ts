/**
 * The batching scheduler: same semantics as Effect's scheduler (order, timers, promises), fewer
 * turns of the event loop; its fairness is tested in test/scheduler-fairness.test.ts. These run on
 * real time (a few milliseconds at most): the point is how the scheduler meets Node's event loop,
 * which the TestClock does not model.
 */

import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect, Exit, Fiber, ManagedRuntime, Scheduler } from "effect"
import { describe, expect, it } from "vitest"
import {
  batchingSchedulerLayer,
  checkpoint,
  createMemoryObjectStream,
  createTaskGroup,
  defaultScheduler,
  Event,
  InvalidArgumentError,
  isExceptionGroup,
  Lock,
  makeBatchingScheduler,
  sleep,
  withBatchingScheduler
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

const onBatching = <A, E>(effect: Effect.Effect<A, E>, budget = 0.001) =>
  Effect.runPromise(withBatchingScheduler(effect, { budget }))

/** The same program on Effect's scheduler and on the batching one. */
const both = async <A, E>(make: () => Effect.Effect<A, E>): Promise<[A, A]> => [
  await Effect.runPromise(make()),
  await onBatching(make())
]

describe("batching scheduler", () => {
  it("runs many yields in one turn of the event loop", async () => {
    // A setImmediate queued first runs after one yield on Effect's scheduler, and only after the
    // whole loop on the batching one (budget: 1 s, so that the machine's speed does not matter).
    const yieldsBeforeTurn = (run: (e: Effect.Effect<number>) => Promise<number>) => {
      let turned = false
      let seen = -1
      const program = Effect.gen(function* () {
        for (let i = 0; i < 1000; i++) {
          // Queued once the program runs on its scheduler (after its first yield).
          if (i === 1) {
            setImmediate(() => {
              turned = true
            })
          }
          if (turned && seen < 0) seen = i
          yield* Effect.yieldNow
        }
        return seen
      })
      return run(program)
    }
    expect(await yieldsBeforeTurn(Effect.runPromise)).toBe(2)
    expect(await yieldsBeforeTurn((e) => onBatching(e, 1))).toBe(-1)
  })

  it("hands the turn back to timers when its budget is spent", async () => {
    // One task never stops yielding; once it spins, a 2 ms sleep still ends (else this test hangs)
    // and cancels it.
    const spins = await onBatching(
      Effect.gen(function* () {
        let n = 0
        const spinning = new Event()
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.forever(
                Effect.andThen(
                  checkpoint(),
                  Effect.andThen(
                    spinning.set(),
                    Effect.sync(() => n++)
                  )
                )
              )
            )
            yield* spinning.wait()
            const before = n
            yield* sleep(0.002)
            expect(n).toBeGreaterThan(before)
            yield* tg.cancel()
          })
        )
        return n
      })
    )
    expect(spins).toBeGreaterThan(0)
  })

  it("lets promise callbacks run between rounds", async () => {
    // A fiber waiting on a resolved promise resumes after a few rounds, not after the budget.
    const rounds = await onBatching(
      Effect.gen(function* () {
        let n = 0
        let at = -1
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.forever(
                Effect.andThen(
                  Effect.yieldNow,
                  Effect.sync(() => n++)
                )
              )
            )
            yield* Effect.promise(() => Promise.resolve())
            at = n
            yield* tg.cancel()
          })
        )
        return at
      }),
      1
    )
    expect(rounds).toBeLessThan(10)
  })

  it("keeps FIFO order across fibers", async () => {
    const order = () =>
      Effect.gen(function* () {
        const seen: Array<string> = []
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            for (const name of ["a", "b", "c"]) {
              yield* tg.startSoon(
                Effect.gen(function* () {
                  for (let i = 0; i < 3; i++) {
                    seen.push(`${name}${i}`)
                    yield* checkpoint()
                  }
                })
              )
            }
          })
        )
        return seen.join(" ")
      })
    const [effects, batching] = await both(order)
    expect(batching).toBe("a0 b0 c0 a1 b1 c1 a2 b2 c2")
    expect(batching).toBe(effects)
  })

  it("runs lower priorities first, FIFO within one", () => {
    const scheduler = makeBatchingScheduler()
    const dispatcher = scheduler.makeDispatcher()
    const ran: Array<string> = []
    for (const [name, priority] of [
      ["a", 1],
      ["b", 0],
      ["c", -1],
      ["d", 0],
      ["e", 1]
    ] as const) {
      dispatcher.scheduleTask(() => ran.push(name), priority)
    }
    dispatcher.flush()
    expect(ran.join("")).toBe("cbdae")
  })

  it("gives the same results for groups, locks and streams", async () => {
    const program = () =>
      Effect.gen(function* () {
        const lock = new Lock()
        const [send, receive] = createMemoryObjectStream<number>(0)
        const got: Array<number> = []
        let inside = 0
        let most = 0
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            for (let w = 0; w < 5; w++) {
              yield* tg.startSoon(
                Effect.repeat(
                  lock.withLock(
                    Effect.gen(function* () {
                      inside++
                      most = Math.max(most, inside)
                      yield* checkpoint()
                      inside--
                    })
                  ),
                  { times: 19 }
                )
              )
            }
            yield* tg.startSoon(
              Effect.ensuring(
                Effect.gen(function* () {
                  for (let i = 0; i < 200; i++) yield* send.send(i)
                }),
                send.close()
              )
            )
            yield* tg.startSoon(
              Effect.gen(function* () {
                for (;;) {
                  const item = yield* Effect.option(
                    Effect.catchTag(receive.receive(), "EndOfStream", () => Effect.fail("end" as const))
                  )
                  if (item._tag === "None") return
                  got.push(item.value)
                }
              })
            )
          })
        )
        return { most, got: got.length, sum: got.reduce((a, b) => a + b, 0) }
      })
    const [effects, batching] = await both(program)
    expect(batching).toEqual({ most: 1, got: 200, sum: 19900 })
    expect(batching).toEqual(effects)
  })

  it("reports failures the same way", async () => {
    const program = () =>
      Effect.exit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            // a and c fail in the same round; b is cancelled at its checkpoint.
            yield* tg.startSoon(Effect.fail("a" as const))
            yield* tg.startSoon(Effect.andThen(checkpoint(), Effect.fail("b" as const)))
            yield* tg.startSoon(Effect.fail("c" as const))
          })
        )
      )
    const [effects, batching] = await both(program)
    for (const exit of [effects, batching]) {
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? exit.cause.reasons[0] : undefined
      expect(error?._tag === "Fail" && isExceptionGroup(error.error)).toBe(true)
      if (error?._tag === "Fail" && isExceptionGroup(error.error)) {
        expect([...error.error.exceptions].sort()).toEqual(["a", "c"])
      }
    }
  })

  it("leaves a custom scheduler in place (autojump's virtual time keeps working)", async () => {
    const result = await Effect.runPromise(
      autojump(
        withBatchingScheduler(
          Effect.gen(function* () {
            const scheduler = yield* Effect.withFiber((fiber) =>
              Effect.succeed(fiber.getRef(Scheduler.Scheduler))
            )
            yield* sleep(3600)
            return scheduler instanceof Scheduler.MixedScheduler
          })
        )
      )
    )
    expect(result).toBe(false)
    // And it does replace Effect's default one.
    const replaced = await Effect.runPromise(
      withBatchingScheduler(Effect.withFiber((fiber) => Effect.succeed(fiber.getRef(Scheduler.Scheduler))))
    )
    expect(replaced).not.toBeInstanceOf(Scheduler.MixedScheduler)
  })

  it("interrupting a fiber that yields on it works", async () => {
    const exit = await onBatching(
      Effect.gen(function* () {
        const fiber = yield* Effect.forkChild(Effect.forever(Effect.yieldNow))
        yield* Effect.yieldNow
        return yield* Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber)))
      })
    )
    expect(Exit.isFailure(exit) && exit.cause.reasons.every((r) => r._tag === "Interrupt")).toBe(true)
  })

  it("a task that throws is reported as uncaught and does not stop the others", () => {
    const fixture = fileURLToPath(new URL("./fixtures/scheduler-throw.ts", import.meta.url))
    const out = spawnSync(process.execPath, [fixture], { encoding: "utf8", timeout: 15_000 })
    expect(JSON.parse(out.stdout)).toEqual([
      "a",
      "c",
      "uncaught: boom",
      "uncaught: boom 2",
      "fibers still run: 10"
    ])
  }, 20_000)

  it("runs under Effect.runPromise's scheduler option and under a ManagedRuntime built with its layer", async () => {
    const current = Effect.withFiber((fiber) => Effect.succeed(fiber.getRef(Scheduler.Scheduler)))
    expect(await Effect.runPromise(current, { scheduler: defaultScheduler() })).toBe(defaultScheduler())
    expect(await Effect.runPromise(withBatchingScheduler(current))).toBe(defaultScheduler())
    const runtime = ManagedRuntime.make(batchingSchedulerLayer())
    try {
      expect(await runtime.runPromise(current)).toBe(defaultScheduler())
      // And fibers forked there share it (one queue for the whole program).
      const child = await runtime.runPromise(
        Effect.flatMap(Effect.forkChild(Effect.andThen(Effect.yieldNow, current)), Fiber.join)
      )
      expect(child).toBe(defaultScheduler())
    } finally {
      await runtime.dispose()
    }
    const own = await Effect.runPromise(Effect.provide(current, batchingSchedulerLayer({ budget: 0.002 })))
    expect(own).not.toBe(defaultScheduler())
    expect(own).not.toBeInstanceOf(Scheduler.MixedScheduler)
  })

  it("rejects a budget that is not a positive number of seconds", () => {
    for (const budget of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => makeBatchingScheduler({ budget })).toThrow(InvalidArgumentError)
    }
    expect(makeBatchingScheduler({ budget: "5 millis" })).toBeDefined()
  })
})
