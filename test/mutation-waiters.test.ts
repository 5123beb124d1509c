/**
 * Tests written to kill the mutants that survived StrykerJS on the wait queues (internal/waiters.ts,
 * internal/trampoline.ts; see test/MUTATION.md): the queue's contract on its own, the bound on inline
 * wake-ups, a limiter's bookkeeping after a cancelled wait, and the trampolines' exact limits.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { CapacityLimiter } from "../src/CapacityLimiter.ts"
import { makeTask } from "../src/internal/task.ts"
import { bounded, startBody } from "../src/internal/trampoline.ts"
import { grant, primitiveId, setMaxInlineDepth, Waiter, WaiterQueue } from "../src/internal/waiters.ts"

/** A stand-in fiber: only its dispatcher is used (by a scheduled wake-up). */
const fakeFiber = (scheduled: Array<() => void>) =>
  ({
    currentDispatcher: { scheduleTask: (task: () => void) => scheduled.push(task) }
  }) as unknown as Fiber.Fiber<unknown, unknown>

const source = { _describeWait: () => "test source" }

const settle = Effect.gen(function* () {
  for (let i = 0; i < 10; i++) yield* Effect.yieldNow
})

describe("WaiterQueue: the queue's contract", () => {
  it("a fresh waiter is neither queued nor granted; removing it changes nothing", () => {
    const q = new WaiterQueue<Waiter>()
    const a = new Waiter(fakeFiber([]), undefined, source)
    const fresh = new Waiter(fakeFiber([]), undefined, source)
    expect(fresh.queued).toBe(false)
    expect(fresh.granted).toBe(false)
    q.push(a)
    expect(q.remove(fresh)).toBe(false)
    expect(q.size).toBe(1)
    expect(q.head).toBe(a)
    expect(q.tail).toBe(a)
  })

  it("remove returns true once, then false; the others keep their order", () => {
    const q = new WaiterQueue<Waiter>()
    const [a, b, c] = [0, 1, 2].map(() => new Waiter(fakeFiber([]), undefined, source)) as [
      Waiter,
      Waiter,
      Waiter
    ]
    q.push(a)
    q.push(b)
    q.push(c)
    expect(q.remove(b)).toBe(true)
    expect(q.remove(b)).toBe(false)
    expect(q.size).toBe(2)
    expect(q.shift()).toBe(a)
    expect(q.shift()).toBe(c)
    expect(q.shift()).toBe(undefined)
    expect(q.size).toBe(0)
  })

  it("a task's wait ends when its waiter leaves the queue, and when it is granted", () => {
    const q = new WaiterQueue<Waiter>()
    const task = makeTask("t", undefined)
    const w = new Waiter(fakeFiber([]), task, source)
    q.push(w)
    expect(task.waitingOn).toBe(w)
    q.remove(w)
    expect(task.waitingOn).toBe(undefined)
    const w2 = new Waiter(fakeFiber([]), task, source)
    q.push(w2)
    expect(task.waitingOn).toBe(w2)
    grant(q.shift()!)
    expect(w2.granted).toBe(true)
    expect(task.waitingOn).toBe(undefined)
  })

  it("primitive ids are positive and increase", () => {
    const a = primitiveId()
    const b = primitiveId()
    expect(a).toBeGreaterThan(0)
    expect(b).toBe(a + 1)
  })
})

describe("grant: wake-ups nested deeper than the inline limit are scheduled", () => {
  it("a chain of 20 hand-offs: 8 inline, then one scheduled, and so on", () => {
    const previous = setMaxInlineDepth(8)
    try {
      const scheduled: Array<() => void> = []
      const woke: Array<number> = []
      const waiters = Array.from({ length: 20 }, () => new Waiter(fakeFiber(scheduled), undefined, source))
      waiters.forEach((w, i) => {
        w.resume = () => {
          woke.push(i)
          if (i + 1 < waiters.length) grant(waiters[i + 1]!)
        }
      })
      grant(waiters[0]!)
      expect(woke).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
      expect(scheduled.length).toBe(1)
      scheduled.shift()!()
      expect(woke.length).toBe(17) // 8 (the scheduled one) then 9 to 16 inline
      scheduled.shift()!()
      expect(woke.length).toBe(20)
      expect(scheduled.length).toBe(0)
    } finally {
      setMaxInlineDepth(previous)
    }
  })
})

describe("CapacityLimiter: a borrower whose wait was cancelled may wait again", () => {
  it.effect("while others still wait", () =>
    Effect.gen(function* () {
      const limiter = new CapacityLimiter(1)
      yield* limiter.acquireOnBehalfOf("A")
      const c = yield* Effect.forkChild(limiter.acquireOnBehalfOf("C"))
      const b = yield* Effect.forkChild(limiter.acquireOnBehalfOf("B"))
      yield* settle
      yield* Fiber.interrupt(b)
      expect(limiter.statistics().tasksWaiting).toBe(1)
      const again = yield* Effect.forkChild(limiter.acquireOnBehalfOf("B"))
      yield* settle
      expect(limiter.statistics().tasksWaiting).toBe(2)
      yield* limiter.releaseOnBehalfOf("A")
      yield* Fiber.join(c)
      yield* limiter.releaseOnBehalfOf("C")
      const exit = yield* Fiber.await(again)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(limiter.statistics().borrowers).toEqual(["B"])
    })
  )
})

describe("trampolines: their exact limits", () => {
  it("bounded: 16 nested calls run inline; the 17th runs once the outermost call returns", () => {
    const log: Array<string> = []
    const nest = (d: number): void =>
      bounded(() => {
        log.push(`enter ${d}`)
        if (d < 20) nest(d + 1)
        log.push(`exit ${d}`)
      })
    nest(1)
    const inline = Array.from({ length: 16 }, (_, i) => `enter ${i + 1}`).concat(
      Array.from({ length: 16 }, (_, i) => `exit ${16 - i}`)
    )
    const deferred = [
      "enter 17",
      "enter 18",
      "enter 19",
      "enter 20",
      "exit 20",
      "exit 19",
      "exit 18",
      "exit 17"
    ]
    expect(log).toEqual([...inline, ...deferred])
    // Back to the top: the next call runs inline again.
    const after: Array<number> = []
    bounded(() => after.push(1))
    expect(after).toEqual([1])
  })

  it("startBody: 128 nested starts begin at once, the 129th yields first; sequential starts never do", () => {
    const body = Effect.void
    const direct: Array<boolean> = []
    const fork = (effect: Effect.Effect<void>) => {
      direct.push(effect === body)
      if (direct.length < 130) startBody(fork, body)
      return undefined as unknown as Fiber.Fiber<void>
    }
    startBody(fork, body)
    expect(direct.slice(0, 128).every((d) => d)).toBe(true)
    expect(direct.slice(128)).toEqual([false, false])
    const sequential: Array<boolean> = []
    for (let i = 0; i < 200; i++) {
      startBody((effect: Effect.Effect<void>) => {
        sequential.push(effect === body)
        return undefined as unknown as Fiber.Fiber<void>
      }, body)
    }
    expect(sequential.every((d) => d)).toBe(true)
  })
})
