/**
 * Tests written to kill the mutants of the wait queue (internal/waitQueue.ts; see test/MUTATION.md):
 * the queue driven directly with stand-in waiters against an array model (FIFO, removal from any
 * place, the links and the size), primitive ids, the scheduled wake-up test hook, and what a parked
 * task is shown waiting on through the public API (until served or withdrawn). Outcomes only: what
 * is served and in which queue order, not when a woken task runs.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import fc from "fast-check"
import {
  createTaskGroup,
  dumpTaskTree,
  Event,
  Lock,
  moveOnAfter,
  sleep,
  sleepForever,
  type TaskGroup,
  waitAllTasksBlocked
} from "../src/index.ts"
import { primitiveId, scheduleWake, Waiter, WaitQueue, wake } from "../src/internal/waitQueue.ts"
import { autojump } from "../src/Testing.ts"

const waiter = (name: string, got?: Array<string>) =>
  new Waiter<string>(
    (x) => got?.push(`${name}:${x}`),
    () => `waits on ${name}`
  )

/** The queue's items from head to tail by `next`, and from tail to head by `prev`. */
const links = (q: WaitQueue<Waiter<string>>) => {
  const forward: Array<Waiter<string>> = []
  for (let w = q.head as Waiter<never> | undefined; w !== undefined; w = w.next) forward.push(w as never)
  const backward: Array<Waiter<string>> = []
  for (let w = q.tail as Waiter<never> | undefined; w !== undefined; w = w.prev) backward.push(w as never)
  return { forward, backward: backward.reverse() }
}

describe("WaitQueue", () => {
  it("FIFO; shift of an empty queue gives undefined", () => {
    const q = new WaitQueue<Waiter<string>>()
    expect(q.shift()).toBeUndefined()
    const [a, b, c] = ["a", "b", "c"].map((n) => waiter(n))
    q.push(a!)
    q.push(b!)
    q.push(c!)
    expect(q.size).toBe(3)
    expect(q.head).toBe(a)
    expect(q.tail).toBe(c)
    expect(q.shift()).toBe(a)
    expect(a!.queued).toBe(false)
    expect(a!.next).toBeUndefined()
    expect(q.shift()).toBe(b)
    expect(q.shift()).toBe(c)
    expect(q.size).toBe(0)
    expect(q.head).toBeUndefined()
    expect(q.tail).toBeUndefined()
    expect(q.shift()).toBeUndefined()
  })

  it("remove: from the head, the middle and the tail; false (and nothing changed) when not queued", () => {
    const q = new WaitQueue<Waiter<string>>()
    const ws = ["a", "b", "c", "d", "e"].map((n) => waiter(n))
    for (const w of ws) q.push(w)
    expect(q.remove(ws[2]!)).toBe(true)
    expect(q.remove(ws[2]!)).toBe(false)
    expect(q.remove(ws[0]!)).toBe(true)
    expect(q.remove(ws[4]!)).toBe(true)
    expect(q.size).toBe(2)
    expect(links(q)).toEqual({ forward: [ws[1], ws[3]], backward: [ws[1], ws[3]] })
    expect(q.remove(waiter("never queued"))).toBe(false)
    expect(q.size).toBe(2)
    const shifted = q.shift()!
    expect(q.remove(shifted)).toBe(false)
    expect(q.size).toBe(1)
    expect(q.head).toBe(ws[3])
    expect(q.tail).toBe(ws[3])
    expect(ws[3]!.prev).toBeUndefined()
  })

  it("a waiter pushed again after it was served is queued anew at the end", () => {
    const q = new WaitQueue<Waiter<string>>()
    const a = waiter("a")
    const b = waiter("b")
    q.push(a)
    q.push(b)
    q.shift()
    q.push(a)
    expect(links(q)).toEqual({ forward: [b, a], backward: [b, a] })
    expect(a.next).toBeUndefined()
    expect(a.prev).toBe(b)
  })

  it("property: any mix of push, shift and remove matches an array", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant("push"), fc.constant("shift"), fc.nat({ max: 20 })), { maxLength: 60 }),
        (ops) => {
          const q = new WaitQueue<Waiter<string>>()
          let model: Array<Waiter<string>> = []
          const all: Array<Waiter<string>> = []
          for (const op of ops) {
            if (op === "push") {
              const w = waiter(String(all.length))
              all.push(w)
              q.push(w)
              model.push(w)
            } else if (op === "shift") {
              expect(q.shift()).toBe(model.shift())
            } else if (all.length > 0) {
              const w = all[op % all.length]!
              expect(q.remove(w)).toBe(model.includes(w))
              model = model.filter((m) => m !== w)
            }
            expect(q.size).toBe(model.length)
            expect(links(q)).toEqual({ forward: model, backward: model })
            for (const w of all) expect(w.queued).toBe(model.includes(w))
          }
        }
      )
    )
  })

  it("a waiter describes what it waits on", () => {
    expect(waiter("x").describe()).toBe("waits on x")
  })
})

describe("primitive ids and wake", () => {
  it("ids are fresh and increasing", () => {
    const a = primitiveId()
    const b = primitiveId()
    expect(b).toBe(a + 1)
  })

  it("wake resumes the waiter with what it was given (outside a fiber: at once)", () => {
    const got: Array<string> = []
    wake(waiter("a", got), "one")
    wake(waiter("b", got), "two")
    expect(got).toEqual(["a:one", "b:two"])
  })

  it.effect("a woken task gets what it was given, after the waker's step", () =>
    autojump(
      Effect.gen(function* () {
        {
          const event = new Event()
          let seen = false
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                Effect.andThen(
                  event.wait(),
                  Effect.sync(() => (seen = true))
                )
              )
              yield* waitAllTasksBlocked()
              yield* event.set()
            })
          )
          expect(seen).toBe(true)
        }
      })
    )
  )
})

/** The line of task `name` in the task tree. */
const lineOf = (tree: string, name: string) => tree.split("\n").find((l) => l.includes(`'${name}'`)) ?? ""

describe("a parked task is shown waiting until served or withdrawn", () => {
  it.effect("a lock's waiter, served; another, cancelled", () =>
    autojump(
      Effect.gen(function* () {
        const lock = new Lock()
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(lock.withLock(sleepForever()), { name: "holder" })
            yield* waitAllTasksBlocked()
            yield* tg.startSoon(Effect.andThen(moveOnAfter(1, lock.acquire()), sleepForever()), {
              name: "gives up"
            })
            yield* waitAllTasksBlocked()
            const before = yield* dumpTaskTree()
            expect(lineOf(before, "gives up")).toContain("Lock")
            expect(lineOf(before, "holder")).not.toContain("waiting on Lock")
            yield* moveOnAfter(2, sleepForever())
            expect(lineOf(yield* dumpTaskTree(), "gives up")).not.toContain("Lock")
            yield* tg.cancel()
          })
        )
      })
    )
  )
})

describe("a pending wake-up is that fiber's alone (isWakePending)", () => {
  it.effect(
    "a waiter served, then cancelled before its wake-up ran, is cancelled at its next suspension",
    () =>
      autojump(
        Effect.gen(function* () {
          const event = new Event()
          let woke = false
          let slept = false
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                Effect.gen(function* () {
                  yield* event.wait()
                  woke = true
                  yield* sleep(10)
                  slept = true
                })
              )
              yield* waitAllTasksBlocked()
              yield* event.set()
              yield* tg.cancelScope.cancel()
            })
          )
          expect(woke).toBe(true)
          expect(slept).toBe(false)
        })
      )
  )

  it.effect("another fiber's pending wake-up does not delay a cancellation: delivered within cancel()", () =>
    autojump(
      Effect.gen(function* () {
        let stopped = false
        yield* createTaskGroup((outer) =>
          Effect.gen(function* () {
            let inner: TaskGroup | undefined
            yield* outer.startSoon(
              createTaskGroup((tg) => {
                inner = tg
                return Effect.onInterrupt(sleepForever(), () => Effect.sync(() => (stopped = true)))
              })
            )
            yield* waitAllTasksBlocked()
            yield* Effect.withFiber((self) => {
              // This fiber now has a wake-up pending; the sleeping body has none.
              scheduleWake(self, () => {})
              inner!.cancelScope.cancelUnsafe()
              expect(stopped).toBe(true)
              return Effect.void
            })
          })
        )
        expect(stopped).toBe(true)
      })
    )
  )
})
