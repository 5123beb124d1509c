/**
 * Tests written to kill the mutants that survived StrykerJS on the memory stream's machinery
 * (internal/memoryStream.ts; see test/MUTATION.md). Most drive `StreamState` directly with stand-in
 * resumes, outside any fiber, so that the rare paths run deterministically: a served waiter
 * cancelled before its wake-up runs (its item goes back to the front, an end-of-stream is not turned
 * into an item; the stand-in resumes run after the step, as scheduled wake-ups do, and the
 * cancellation comes before), a parked operation whose
 * register finds the stream changed, the ring buffer's growth. The last tests check, through the
 * public API, what a task parked on a stream is shown waiting on, and that it stops once served
 * or cancelled.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import {
  createMemoryObjectStream,
  createTaskGroup,
  dumpTaskTree,
  type MemoryObjectReceiveStream,
  type MemoryObjectSendStream,
  moveOnAfter,
  sleepForever,
  waitAllTasksBlocked
} from "../src/index.ts"
import { Deque, type End, MODE_RECEIVE, StreamState } from "../src/internal/memoryStream.ts"
import { autojump } from "../src/Testing.ts"

type AnyEffect = Effect.Effect<unknown, unknown>
type Resume = (effect: AnyEffect) => void

const open = (maxBufferSize: number) => {
  const s = new StreamState(maxBufferSize)
  s.openSend = 1
  s.openReceive = 1
  return { s, send: { closed: false } as End, recv: { closed: false } as End }
}

const retry: AnyEffect = Effect.succeed("retry")

const parkReceiver = (x: ReturnType<typeof open>, resume: Resume) =>
  x.s.parkReceiver(x.recv, MODE_RECEIVE, retry, resume)

const parkSender = (x: ReturnType<typeof open>, item: unknown, resume: Resume) =>
  (
    x.s as unknown as {
      parkSender: (end: End, item: unknown, resume: Resume) => Effect.Effect<void> | undefined
    }
  ).parkSender(x.send, item, resume)

/** The values of the success exits in `effects` ("fail" for failures). */
const values = (effects: ReadonlyArray<AnyEffect>) =>
  effects.map((e) => {
    const exit = e as Exit.Exit<unknown, unknown>
    return Exit.isSuccess(exit) ? exit.value : "fail"
  })

/** Wake-ups made inside `deferred`, run after it (outside a fiber `wake` resumes at once). */
let deferring: Array<() => void> | undefined

/**
 * A parked operation's stand-in `Effect.callback`: `resume` is ignored once cancelled (as Effect
 * ignores a resume that comes after the interruption). Returns `cancel`, which runs the canceler
 * `park` returned.
 */
const parked = (got: Array<AnyEffect>, park: (resume: Resume) => Effect.Effect<void> | undefined) => {
  let cancelled = false
  const canceler = park((e) => {
    const run = () => {
      if (!cancelled) got.push(e)
    }
    if (deferring !== undefined) deferring.push(run)
    else run()
  })
  return () => {
    cancelled = true
    if (canceler !== undefined) Effect.runSync(canceler)
  }
}

/**
 * Runs `f` where a wake-up does not run at once, as a scheduled wake-up (`waitQueue.ts`) does not:
 * wake-ups made by `f` run after it. Only the outcome after that is asserted.
 */
const deferred = (f: () => void): void => {
  const queue: Array<() => void> = []
  deferring = queue
  try {
    f()
  } finally {
    deferring = undefined
  }
  for (const run of queue) run()
}

describe("Deque: a ring buffer", () => {
  it("matches an array through growth, wrap-around, shift and unshift", () => {
    const d = new Deque<number>()
    const model: Array<number> = []
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed / 0x7fffffff
    }
    for (let i = 0; i < 5000; i++) {
      const r = random()
      if (r < 0.45) {
        d.push(i)
        model.push(i)
      } else if (r < 0.65) {
        d.unshift(i)
        model.unshift(i)
      } else if (model.length > 0) {
        expect(d.shift()).toBe(model.shift())
      }
      expect(d.length).toBe(model.length)
    }
    // Fill well past every capacity seen, from the front and the back.
    for (let i = 0; i < 100; i++) {
      d.unshift(-i)
      model.unshift(-i)
      d.push(i)
      model.push(i)
    }
    while (model.length > 0) expect(d.shift()).toBe(model.shift())
    expect(d.length).toBe(0)
  })

  it("unshift into a full buffer grows it first", () => {
    const d = new Deque<number>()
    for (let i = 1; i <= 8; i++) d.push(i)
    d.unshift(0)
    d.unshift(-1)
    expect(Array.from({ length: 10 }, () => d.shift())).toEqual([-1, 0, 1, 2, 3, 4, 5, 6, 7, 8])
  })
})

describe("what a parked task waits on, in words", () => {
  it("names the stream, its buffer and the open ends (singular and plural)", () => {
    const s = new StreamState(2)
    const words = s as unknown as { describeSend: () => string; describeReceive: () => string }
    expect(words.describeSend()).toBe(`memory stream #${s.id}: send (buffer full 0/2; 0 receivers open)`)
    s.openReceive = 1
    expect(words.describeSend()).toBe(`memory stream #${s.id}: send (buffer full 0/2; 1 receiver open)`)
    s.openSend = 2
    expect(words.describeReceive()).toBe(`memory stream #${s.id}: receive (no item; 2 senders open)`)
    s.openSend = 1
    expect(words.describeReceive()).toBe(`memory stream #${s.id}: receive (no item; 1 sender open)`)
  })
})

describe("register re-checks the stream before parking", () => {
  it("a send made when the buffer was full, run once there is room, does not park", () => {
    const x = open(1)
    expect(x.s.sendStep(x.send, 1, false)).toBeDefined()
    const op = x.s.send(x.send, 2)
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual([1])
    expect(Exit.isSuccess(Effect.runSyncExit(op))).toBe(true)
    expect(x.s.senders.size).toBe(0)
    expect(x.s.buffer.length).toBe(1)
  })

  it("a receive registering when an item has arrived takes it at once", () => {
    const x = open(1)
    x.s.sendStep(x.send, "a", false)
    const got: Array<AnyEffect> = []
    expect(parkReceiver(x, (e) => got.push(e))).toBeUndefined()
    expect(values(got)).toEqual(["a"])
    expect(x.s.receivers.size).toBe(0)
  })
})

describe("a served waiter cancelled before its wake-up runs", () => {
  it("a receiver gives its item to the next receiver", () => {
    const x = open(0)
    const first: Array<AnyEffect> = []
    const second: Array<AnyEffect> = []
    const cancelFirst = parked(first, (r) => parkReceiver(x, r))
    parked(second, (r) => parkReceiver(x, r))
    deferred(() => {
      x.s.sendStep(x.send, "item", false)
      cancelFirst()
    })
    expect(first).toEqual([])
    expect(values(second)).toEqual(["item"])
    expect(x.s.buffer.length).toBe(0)
    expect(x.s.receivers.size).toBe(0)
  })

  it("an item given back is given back again if its next receiver is cancelled too", () => {
    const x = open(0)
    const got: Array<AnyEffect> = []
    const cancelFirst = parked(got, (r) => parkReceiver(x, r))
    const cancelSecond = parked(got, (r) => parkReceiver(x, r))
    deferred(() => {
      x.s.sendStep(x.send, "item", false)
      cancelFirst()
      cancelSecond()
    })
    expect(got).toEqual([])
    expect(x.s.buffer.length).toBe(1)
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["item"])
  })

  it("a receiver puts its item back at the front of the buffer", () => {
    const x = open(1)
    const got: Array<AnyEffect> = []
    const cancel = parked(got, (r) => parkReceiver(x, r))
    deferred(() => {
      x.s.sendStep(x.send, "first", false)
      x.s.sendStep(x.send, "second", false)
      cancel()
    })
    expect(got).toEqual([])
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["first"])
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["second"])
  })

  it("a receiver told the stream ended gives back no item", () => {
    const x = open(0)
    const got: Array<AnyEffect> = []
    const cancel = parked(got, (r) => parkReceiver(x, r))
    deferred(() => {
      x.s.closeSend(x.send)
      cancel()
    })
    expect(got).toEqual([])
    expect(x.s.buffer.length).toBe(0)
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["fail"])
  })

  it("a sender told the receivers left leaves the queue alone", () => {
    const x = open(0)
    const got: Array<AnyEffect> = []
    const cancel = parked(got, (r) => parkSender(x, "a", r))
    deferred(() => {
      x.s.closeReceive(x.recv)
      expect(x.s.senders.size).toBe(0)
      cancel()
    })
    expect(x.s.senders.size).toBe(0)
    expect(got).toEqual([])
  })
})

describe("taking a parked sender's item", () => {
  it("returns the item, commits the send and takes the sender out of the queue", () => {
    const x = open(0)
    const resumed: Array<AnyEffect> = []
    parkSender(x, "a", (e) => resumed.push(e))
    expect(x.s.senders.size).toBe(1)
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["a"])
    expect(values(resumed)).toEqual([undefined])
    expect(x.s.senders.size).toBe(0)
    expect(x.s.buffer.length).toBe(0)
  })

  it("after the buffered items, which are older", () => {
    const x = open(1)
    x.s.sendStep(x.send, "a", false)
    parkSender(x, "b", () => {})
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["a"])
    expect(x.s.senders.size).toBe(0)
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["b"])
  })

  it("a cancelled parked sender withdraws its item; the receiver then waits", () => {
    const x = open(0)
    const cancel = parkSender(x, "a", () => {})!
    Effect.runSync(cancel)
    expect(x.s.senders.size).toBe(0)
    expect(x.s.receiveStep(x.recv, MODE_RECEIVE, retry)).toBeUndefined()
    expect(x.s.buffer.length).toBe(0)
  })

  it("a sender parked behind a full buffer is taken only once the buffer has room", () => {
    const x = open(1)
    x.s.sendStep(x.send, "a", false)
    const resumed: Array<AnyEffect> = []
    parkSender(x, "b", (e) => resumed.push(e))
    const got: Array<unknown> = []
    for (let i = 0; i < 4; i++) {
      const step = x.s.receiveStep(x.recv, MODE_RECEIVE, retry)
      if (step === undefined) break
      if (step !== retry) got.push(values([step])[0])
    }
    expect(got).toEqual(["a", "b"])
    expect(resumed.length).toBe(1)
  })
})

describe("a parked sender behind a buffer overfilled by a given-back item", () => {
  it("waits until the buffer is back to its size", () => {
    const x = open(1)
    const got: Array<AnyEffect> = []
    const cancel = parked(got, (r) => parkReceiver(x, r))
    const resumed: Array<AnyEffect> = []
    deferred(() => {
      x.s.sendStep(x.send, "first", false)
      x.s.sendStep(x.send, "second", false)
      parkSender(x, "third", (e) => resumed.push(e))
      cancel()
    })
    expect(x.s.buffer.length).toBe(2)
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["first"])
    expect(resumed).toEqual([])
    expect(x.s.buffer.length).toBe(1)
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["second"])
    expect(resumed.length).toBe(1)
    expect(values([x.s.receiveStep(x.recv, MODE_RECEIVE, retry)!])).toEqual(["third"])
  })
})

/** The line of task `name` in the task tree. */
const lineOf = (tree: string, name: string) => tree.split("\n").find((l) => l.includes(`'${name}'`)) ?? ""

describe("a task parked on a stream is shown waiting on it, until served or cancelled", () => {
  it.effect("send, receive, served in line, cancelled", () =>
    autojump(
      Effect.gen(function* () {
        const [send, receive] = createMemoryObjectStream<number>(0)
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.andThen(send.send(1), sleepForever()), { name: "sender" })
            yield* waitAllTasksBlocked()
            expect(lineOf(yield* dumpTaskTree(), "sender")).toContain(
              ": send (buffer full 0/0; 1 receiver open)"
            )
            expect(yield* receive.receive()).toBe(1)
            yield* waitAllTasksBlocked()
            expect(lineOf(yield* dumpTaskTree(), "sender")).not.toContain("memory stream")

            yield* tg.startSoon(Effect.andThen(receive.receive(), sleepForever()), { name: "receiver" })
            yield* waitAllTasksBlocked()
            expect(lineOf(yield* dumpTaskTree(), "receiver")).toContain(": receive (no item; 1 sender open)")
            yield* send.send(2)
            yield* waitAllTasksBlocked()
            expect(lineOf(yield* dumpTaskTree(), "receiver")).not.toContain("memory stream")

            // Two streams of their own, so that these two do not serve each other.
            const [lonelySend] = createMemoryObjectStream<number>(0)
            const [, lonelyReceive] = createMemoryObjectStream<number>(0)
            yield* tg.startSoon(Effect.andThen(moveOnAfter(1, lonelySend.send(3)), sleepForever()), {
              name: "gave up sending"
            })
            yield* tg.startSoon(Effect.andThen(moveOnAfter(1, lonelyReceive.receive()), sleepForever()), {
              name: "gave up receiving"
            })
            yield* waitAllTasksBlocked()
            const before = yield* dumpTaskTree()
            expect(lineOf(before, "gave up sending")).toContain("memory stream")
            expect(lineOf(before, "gave up receiving")).toContain("memory stream")
            yield* moveOnAfter(2, sleepForever())
            const after = yield* dumpTaskTree()
            expect(lineOf(after, "gave up sending")).not.toContain("memory stream")
            expect(lineOf(after, "gave up receiving")).not.toContain("memory stream")
            yield* tg.cancel()
          })
        )
      })
    )
  )

  it.effect("a receiver at the end of a chain of 16 relays, once served, is no longer shown waiting", () =>
    autojump(
      Effect.gen(function* () {
        const streams = Array.from({ length: 17 }, () => createMemoryObjectStream<number>(0))
        const relay = (r: MemoryObjectReceiveStream<number>, s: MemoryObjectSendStream<number>) =>
          Effect.forever(Effect.flatMap(r.receive(), (n) => s.send(n + 1)))
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            for (let i = 0; i < 16; i++) yield* tg.startSoon(relay(streams[i]![1], streams[i + 1]![0]))
            let got = -1
            yield* tg.startSoon(
              Effect.gen(function* () {
                got = yield* streams[16]![1].receive()
                yield* sleepForever()
              }),
              { name: "last" }
            )
            yield* waitAllTasksBlocked()
            expect(lineOf(yield* dumpTaskTree(), "last")).toContain("memory stream")
            yield* streams[0]![0].send(0)
            yield* waitAllTasksBlocked()
            expect(got).toBe(16)
            expect(lineOf(yield* dumpTaskTree(), "last")).not.toContain("memory stream")
            yield* tg.cancel()
          })
        )
      })
    )
  )
})
