// Issue 21: where a checkpoint's time goes. Per-yield CPU time (one run, interleaved, medians) of
// Effect's scheduler, the batching scheduler (run()'s default), an unfair minimal microtask-queue
// scheduler (the floor a scheduler can reach: one queue drained in one microtask until empty, never
// handing the turn back), and the pieces Effect 4.1 adds per yield whatever the scheduler: the loop
// iteration itself (Effect.void instead of yieldNow) and the AsyncResource of every suspension.
import { AsyncResource } from "node:async_hooks"
import { Effect, type Fiber as F, Fiber, Scheduler } from "effect"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"
import { makeBatchingScheduler as makePrev } from "./prev-scheduler.ts"

const N = Number(process.env.N ?? 200_000)
const ROUNDS = Number(process.env.ROUNDS ?? 7)

type Task = () => void
/** Unfair floor: one FIFO queue drained in a microtask until empty (timers/I/O starve meanwhile). */
class MicrotaskQueue implements Scheduler.Scheduler, Scheduler.SchedulerDispatcher {
  readonly executionMode = "async" as const
  private q: Array<Task> = []
  private head = 0
  private scheduled = false
  shouldYield(fiber: F.Fiber<unknown, unknown>): boolean {
    return fiber.currentOpCount >= fiber.cache.maxOpsBeforeYield
  }
  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return this
  }
  scheduleTask(task: Task): void {
    this.q.push(task)
    if (!this.scheduled) {
      this.scheduled = true
      queueMicrotask(this.drain)
    }
  }
  flush(): void {
    this.drain()
  }
  private readonly drain = (): void => {
    while (this.head < this.q.length) {
      const t = this.q[this.head]!
      this.q[this.head++] = undefined as never
      t()
      if (this.head > 4096 && this.head * 2 > this.q.length) {
        this.q = this.q.slice(this.head)
        this.head = 0
      }
    }
    this.q.length = 0
    this.head = 0
    this.scheduled = false
  }
}

const loop = (n: number, op: Effect.Effect<unknown>) => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
}
const fibers = (k: number) =>
  Effect.gen(function* () {
    const fs = []
    for (let j = 0; j < k; j++) fs.push(yield* Effect.forkChild(loop(N / k, Effect.yieldNow)))
    yield* Fiber.joinAll(fs)
  })
const workloads: Record<string, () => Effect.Effect<unknown>> = {
  "yieldNow, 1 fiber": () => loop(N, Effect.yieldNow),
  "yieldNow, 10 fibers": () => fibers(10),
  "yieldNow, 1000 fibers": () => fibers(1000)
}
const schedulers: Record<string, () => Scheduler.Scheduler | undefined> = {
  "Effect default": () => undefined,
  "batching (before)": () => makePrev(),
  batching: () => makeBatchingScheduler(),
  "microtask floor": () => new MicrotaskQueue()
}
const cpu = () => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}
const res = new Map<string, Array<number>>()
const add = (k: string, v: number) => res.set(k, [...(res.get(k) ?? []), v])
for (let r = 0; r < ROUNDS; r++) {
  for (const [w, make] of Object.entries(workloads)) {
    for (const [s, sched] of Object.entries(schedulers)) {
      const sc = sched()
      const e = sc === undefined ? make() : Effect.provideService(make(), Scheduler.Scheduler, sc)
      const c = cpu()
      await Effect.runPromise(e)
      if (r > 0) add(`${w} | ${s}`, (cpu() - c) / N)
    }
  }
  let c = cpu()
  await Effect.runPromise(loop(N, Effect.void))
  if (r > 0) add("loop of Effect.void (no yield)", (cpu() - c) / N)
  c = cpu()
  for (let i = 0; i < N; i++) {
    const a = new AsyncResource("effect/Fiber")
    a.runInAsyncScope(() => {})
    a.emitDestroy()
  }
  if (r > 0) add("AsyncResource new + run + destroy", (cpu() - c) / N)
}
const med = (v: Array<number>) => [...v].sort((a, b) => a - b)[v.length >> 1]!
for (const [k, v] of res) console.log(k.padEnd(44), med(v).toFixed(0).padStart(6), "ns CPU")
