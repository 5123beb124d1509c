/**
 * Tests written to kill the mutants that survived StrykerJS on the deadline queue
 * (internal/deadlines.ts; see test/MUTATION.md). The queue is driven directly with stand-in armed
 * items: on a clock of our own (its timer is a fiber sleeping on that clock; the test moves the
 * clock and wakes the sleeps), and on Effect's default clock (a Node timer; some of its state is read
 * directly, since "the timer keeps Node alive" and "the timer is set for 24.8 days" cannot be waited
 * for in a test).
 */
import { describe, expect, it } from "@effect/vitest"
import { type Clock, Context, Duration, Effect } from "effect"
import * as EffectClock from "effect/Clock"
import { DeadlineEntry, DeadlineQueue, queueOf } from "../src/internal/deadlines.ts"

/** A clock moved by hand; its sleeps wake when it is moved past their end (or when told to). */
class HandClock implements Clock.Clock {
  seconds = 0
  readonly sleepers = new Set<{ readonly at: number; readonly wake: () => void }>()
  currentTimeMillisUnsafe(): number {
    return this.seconds * 1000
  }
  readonly currentTimeMillis = Effect.sync(() => this.currentTimeMillisUnsafe())
  currentTimeNanosUnsafe(): bigint {
    return BigInt(Math.round(this.seconds * 1e9))
  }
  readonly currentTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())
  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }
  readonly monotonicTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())
  sleep(duration: Duration.Duration): Effect.Effect<void> {
    const at = this.seconds + Duration.toMillis(duration) / 1000
    return Effect.callback<void>((resume) => {
      const s = { at, wake: () => resume(Effect.void) }
      this.sleepers.add(s)
      return Effect.sync(() => this.sleepers.delete(s))
    })
  }
  /** Moves the clock to `seconds` and wakes the sleeps due (or all of them: a timer firing early). */
  moveTo(seconds: number, wakeAll = false): void {
    this.seconds = seconds
    for (const s of [...this.sleepers]) {
      if (wakeAll || s.at <= seconds + 1e-9) {
        this.sleepers.delete(s)
        s.wake()
      }
    }
  }
}

/** Lets forked timer fibers start (and register their sleep). */
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** A heap entry whose owner counts its firings. */
class Item extends DeadlineEntry {
  fired = 0
  readonly id: number
  constructor(id: number, context: Context.Context<never> | undefined, fired: Array<Item>) {
    super({
      hostContext: context,
      onDeadline: () => {
        this.fired++
        fired.push(this)
        // Fired twice: the queue kept it after firing it (stop a loop that would never end).
        if (this.fired > 1) throw new Error(`item ${this.id} fired twice`)
        return false
      },
      deliverDeadline: () => {}
    })
    this.id = id
  }
}

const makeItems = (context: Context.Context<never> | undefined, fired: Array<Item>) => {
  let next = 0
  return (): Item => new Item(next++, context, fired)
}

const handQueue = () => {
  const clock = new HandClock()
  const context = Context.add(Context.empty(), EffectClock.Clock, clock) as Context.Context<never>
  const fired: Array<Item> = []
  return { clock, context, queue: new DeadlineQueue(clock), fired, item: makeItems(context, fired) }
}

describe("queueOf", () => {
  it("one queue per clock, made once", () => {
    const a = Context.add(Context.empty(), EffectClock.Clock, new HandClock()) as Context.Context<never>
    const b = Context.add(Context.empty(), EffectClock.Clock, new HandClock()) as Context.Context<never>
    expect(queueOf(a)).toBe(queueOf(a))
    expect(queueOf(a)).not.toBe(queueOf(b))
  })
})

describe("the deadline queue on a clock of its own (a timer fiber)", () => {
  it("300 deadlines, some disarmed (some twice, some never armed): the others fire once each, in order, when due", async () => {
    const { clock, queue, fired, item } = handQueue()
    let seed = 11
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    const items = Array.from({ length: 300 }, () => item())
    for (const it of items) queue.add(it, 1 + Math.floor(random() * 100) + (random() < 0.3 ? 0.5 : 0))
    const disarmed = new Set<Item>()
    for (const it of items) {
      if (random() < 0.3) {
        queue.remove(it)
        if (random() < 0.5) queue.remove(it)
        disarmed.add(it)
      }
    }
    queue.remove(item()) // never armed
    await settle()
    const firedAt = new Map<Item, number>()
    for (let t = 1; t <= 102; t += 0.5) {
      clock.moveTo(t)
      await settle()
      for (const f of fired) if (!firedAt.has(f)) firedAt.set(f, t)
    }
    const expected = items.filter((i) => !disarmed.has(i))
    expect(fired.length).toBe(expected.length)
    expect(new Set(fired)).toEqual(new Set(expected))
    for (const f of fired) {
      expect(f.fired).toBe(1)
      expect(firedAt.get(f)).toBe(f.armedFor)
    }
    for (let i = 1; i < fired.length; i++)
      expect(fired[i]!.armedFor).toBeGreaterThanOrEqual(fired[i - 1]!.armedFor)
  })

  it("an earlier deadline re-arms the timer and fires nothing before its time", async () => {
    const { clock, queue, fired, item } = handQueue()
    const a = item()
    const b = item()
    queue.add(a, 100)
    await settle()
    queue.add(b, 50)
    await settle()
    expect(fired).toEqual([])
    expect(clock.sleepers.size).toBe(1)
    clock.moveTo(50)
    await settle()
    expect(fired).toEqual([b])
    clock.moveTo(100)
    await settle()
    expect(fired).toEqual([b, a])
  })

  it("a timer that wakes while the clock reads a hair before the deadline still fires it", async () => {
    const { clock, queue, fired, item } = handQueue()
    const a = item()
    queue.add(a, 1)
    await settle()
    clock.moveTo(0.9999999, true)
    await settle()
    expect(fired).toEqual([a])
  })

  it("disarming the last deadline stops the timer fiber", async () => {
    const { clock, queue, item } = handQueue()
    const a = item()
    queue.add(a, 10)
    await settle()
    expect(clock.sleepers.size).toBe(1)
    queue.remove(a)
    await settle()
    expect(clock.sleepers.size).toBe(0)
  })
})

/** The default clock's queue, with its private timer state readable. */
const defaultQueue = () => {
  const queue = queueOf(Context.empty() as Context.Context<never>)
  const state = queue as unknown as { nodeTimer: ReturnType<typeof setTimeout> | undefined; timerAt: number }
  const fired: Array<Item> = []
  return { queue, state, fired, item: makeItems(undefined, fired) }
}

describe("the deadline queue on Effect's default clock (a Node timer)", () => {
  it("a far deadline sets Node's longest timer (24.8 days) and re-arms from there; it does not fire", async () => {
    const { queue, state, fired, item } = defaultQueue()
    const a = item()
    const before = queue.now()
    queue.add(a, before + 30 * 86400)
    const after = queue.now()
    const max = (2 ** 31 - 1) / 1000
    expect(state.timerAt).toBeGreaterThanOrEqual(before + max)
    expect(state.timerAt).toBeLessThanOrEqual(after + max)
    // An earlier deadline, added while that timer is pending, re-arms it.
    const b = item()
    queue.add(b, after + 3600)
    expect(state.timerAt).toBe(after + 3600)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(fired).toEqual([])
    queue.remove(a)
    queue.remove(b)
  })

  it("a near deadline sets the timer for exactly that deadline", () => {
    const { queue, state, item } = defaultQueue()
    const a = item()
    const at = queue.now() + 10.0004
    queue.add(a, at)
    expect(state.timerAt).toBe(at)
    queue.remove(a)
  })

  it("the timer keeps Node alive only while a deadline is armed", () => {
    const { queue, state, item } = defaultQueue()
    const a = item()
    queue.add(a, queue.now() + 10)
    expect(state.nodeTimer?.hasRef()).toBe(true)
    queue.remove(a)
    expect(state.nodeTimer?.hasRef()).toBe(false)
    // Re-used (the next deadline is not earlier) and keeping Node alive again.
    const b = item()
    queue.add(b, queue.now() + 20)
    expect(state.nodeTimer?.hasRef()).toBe(true)
    queue.remove(b)
    expect(state.nodeTimer?.hasRef()).toBe(false)
  })

  it("a timer replaced by an earlier one is cleared: it cannot fire later deadlines early", async () => {
    const { queue, fired, item } = defaultQueue()
    const a = item()
    const b = item()
    const c = item()
    const t0 = queue.now()
    queue.add(a, t0 + 0.02)
    queue.add(b, t0 + 0.002) // replaces the 20 ms timer
    await new Promise((resolve) => setTimeout(resolve, 8))
    expect(fired).toEqual([b])
    queue.remove(a) // the timer for a (20 ms) stays, unref'd
    queue.add(c, t0 + 10) // re-uses it
    await new Promise((resolve) => setTimeout(resolve, 25))
    expect(fired).toEqual([b])
    queue.remove(c)
  })
})
