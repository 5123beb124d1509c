/**
 * Properties of Lock, Semaphore and CapacityLimiter under random scenarios: mutual exclusion or the
 * capacity bound, FIFO service, no deadlock or lost wake-up under random cancellation.
 */
import { Cause, Effect, Exit, type Fiber } from "effect"
import fc from "fast-check"
import { CapacityLimiter } from "../src/CapacityLimiter.ts"
import { Lock } from "../src/Lock.ts"
import { Semaphore } from "../src/Semaphore.ts"
import { describe, expect, isDone, it } from "./helpers.ts"

// Property tests: random interleavings of acquire / hold / release / cancel across many fibers.

interface Actor {
  readonly startDelay: number
  readonly hold: number
  readonly rounds: number
  readonly manual: boolean
  readonly cancelAt: number | undefined
}

interface Scenario {
  readonly capacity: number
  readonly fastAcquire: boolean
  readonly actors: ReadonlyArray<Actor>
}

/** What the driver needs to know about a primitive under test. */
interface Subject {
  readonly capacity: number
  readonly acquire: Effect.Effect<void>
  readonly release: Effect.Effect<void>
  readonly withIt: <A, E, R>(body: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Would an acquire started now have to wait? */
  readonly mustWait: () => boolean
  /** Idle: nothing held, nobody waiting. */
  readonly idle: () => boolean
}

const scenario = (maxCapacity: number): fc.Arbitrary<Scenario> =>
  fc.record({
    capacity: fc.integer({ min: 1, max: maxCapacity }),
    fastAcquire: fc.boolean(),
    actors: fc.array(
      fc.record({
        startDelay: fc.integer({ min: 0, max: 3 }),
        hold: fc.integer({ min: 0, max: 3 }),
        rounds: fc.integer({ min: 1, max: 3 }),
        manual: fc.boolean(),
        cancelAt: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined })
      }),
      { minLength: 1, maxLength: 8 }
    )
  })

/**
 * Runs the scenario and checks: never more holders than the capacity; waiters are served in the order
 * they started waiting (skipping cancelled ones); every actor that is not cancelled finishes (no
 * deadlock, no lost wake-up); the primitive ends idle.
 */
const runScenario = (s: Scenario, subject: Subject): Effect.Effect<void> => {
  const body = Effect.gen(function* () {
    let holders = 0
    const queue: Array<number> = [] // ids of actors waiting, in arrival order
    const cancelled = new Set<number>()
    const problems: Array<string> = []

    const enter = (id: number) =>
      Effect.sync(() => {
        const index = queue.indexOf(id)
        if (index >= 0) {
          const first = queue.find((other) => !cancelled.has(other))
          if (first !== id) problems.push(`actor ${id} served before ${first} (queue ${queue.join(",")})`)
          queue.splice(index, 1)
        }
        holders++
        if (holders > subject.capacity) problems.push(`${holders} holders > ${subject.capacity}`)
      })
    const critical = (id: number, hold: number) =>
      Effect.gen(function* () {
        yield* enter(id)
        for (let i = 0; i < hold; i++) yield* Effect.yieldNow
      }).pipe(Effect.ensuring(Effect.sync(() => holders--)))
    const arrive = (id: number) =>
      Effect.sync(() => {
        if (subject.mustWait()) queue.push(id)
      })

    const actor = (id: number, a: Actor) =>
      Effect.gen(function* () {
        for (let i = 0; i < a.startDelay; i++) yield* Effect.yieldNow
        for (let round = 0; round < a.rounds; round++) {
          yield* arrive(id)
          if (a.manual) {
            yield* Effect.uninterruptibleMask((restore) =>
              Effect.flatMap(restore(subject.acquire), () =>
                Effect.ensuring(restore(critical(id, a.hold)), subject.release)
              )
            )
          } else {
            yield* subject.withIt(critical(id, a.hold))
          }
        }
      }).pipe(
        Effect.ensuring(
          Effect.sync(() => {
            const index = queue.indexOf(id)
            if (index >= 0) queue.splice(index, 1)
          })
        )
      )

    const fibers: Array<Fiber.Fiber<void>> = []
    for (let id = 0; id < s.actors.length; id++)
      fibers.push(yield* Effect.forkChild(actor(id, s.actors[id]!)))
    for (let step = 0; step <= 12; step++) {
      for (let id = 0; id < s.actors.length; id++) {
        if (s.actors[id]!.cancelAt === step && !isDone(fibers[id]!)) {
          cancelled.add(id)
          fibers[id]!.interruptUnsafe()
        }
      }
      yield* Effect.yieldNow
    }
    for (let i = 0; i < 500 && !fibers.every(isDone); i++) yield* Effect.yieldNow
    for (let id = 0; id < fibers.length; id++) {
      const exit = fibers[id]!.pollUnsafe()
      if (exit === undefined) problems.push(`actor ${id} never finished`)
      else if (Exit.isFailure(exit) && !(cancelled.has(id) && Cause.hasInterruptsOnly(exit.cause))) {
        problems.push(`actor ${id} failed: ${Cause.pretty(exit.cause)}`)
      }
    }
    if (!subject.idle()) problems.push("primitive not idle at the end")
    expect(problems).toEqual([])
  })
  return body
}

describe("properties", () => {
  const numRuns = 150

  it("Lock: mutual exclusion, FIFO, no deadlock under random cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(scenario(1), (s) => {
        const lock = new Lock({ fastAcquire: s.fastAcquire })
        return Effect.runPromise(
          runScenario(s, {
            capacity: 1,
            acquire: lock.acquire(),
            release: lock.release(),
            withIt: (body) => lock.withLock(body),
            mustWait: () => lock.locked(),
            idle: () => !lock.locked() && lock.statistics().tasksWaiting === 0
          })
        )
      }),
      { numRuns }
    )
  })

  it("Semaphore: never over-subscribed, FIFO, no deadlock under random cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(scenario(3), (s) => {
        const semaphore = new Semaphore(s.capacity, { maxValue: s.capacity, fastAcquire: s.fastAcquire })
        return Effect.runPromise(
          runScenario(s, {
            capacity: s.capacity,
            acquire: semaphore.acquire(),
            release: semaphore.release(),
            withIt: (body) => semaphore.withPermit(body),
            mustWait: () => semaphore.value === 0,
            idle: () => semaphore.value === s.capacity && semaphore.statistics().tasksWaiting === 0
          })
        )
      }),
      { numRuns }
    )
  })

  it("CapacityLimiter: never over-subscribed, FIFO, no deadlock under random cancellation", async () => {
    await fc.assert(
      fc.asyncProperty(scenario(3), (s) => {
        const limiter = new CapacityLimiter(s.capacity)
        return Effect.runPromise(
          runScenario(s, {
            capacity: s.capacity,
            acquire: limiter.acquire(),
            release: limiter.release(),
            withIt: (body) => limiter.withToken(body),
            mustWait: () => limiter.availableTokens === 0 || limiter.statistics().tasksWaiting > 0,
            idle: () => limiter.borrowedTokens === 0 && limiter.statistics().tasksWaiting === 0
          })
        )
      }),
      { numRuns }
    )
  })

  it("CapacityLimiter: resizing while busy never over-subscribes and never strands a waiter", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 2, max: 8 }),
        (sizes, actors) =>
          Effect.runPromise(
            Effect.gen(function* () {
              const limiter = new CapacityLimiter(1)
              let holders = 0
              let maxTotal = 1
              let violation = false
              const fibers: Array<Fiber.Fiber<void>> = []
              for (let i = 0; i < actors; i++) {
                fibers.push(
                  yield* Effect.forkChild(
                    limiter.withToken(
                      Effect.gen(function* () {
                        holders++
                        // lowering the total never revokes tokens, so compare with the largest total
                        if (holders > limiter.borrowedTokens || limiter.borrowedTokens > maxTotal)
                          violation = true
                        yield* Effect.yieldNow
                        yield* Effect.yieldNow
                      }).pipe(Effect.ensuring(Effect.sync(() => holders--)))
                    )
                  )
                )
              }
              for (const size of sizes) {
                yield* Effect.yieldNow
                maxTotal = Math.max(maxTotal, size) // first: raising the total wakes waiters at once
                limiter.totalTokens = size
              }
              limiter.totalTokens = 1
              for (let i = 0; i < 500 && !fibers.every(isDone); i++) yield* Effect.yieldNow
              expect(fibers.every(isDone)).toBe(true)
              expect(violation).toBe(false)
              expect(limiter.statistics()).toMatchObject({ borrowedTokens: 0, tasksWaiting: 0 })
            })
          )
      ),
      { numRuns: 100 }
    )
  })
})
