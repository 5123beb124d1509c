// A copy of src/Scheduler.ts's BatchingScheduler with knobs, for measuring design choices.
import { MessageChannel } from "node:worker_threads"
import type { Fiber, Scheduler } from "effect"

type Task = () => void
const runAll = (tasks: ReadonlyArray<Task>): void => {
  for (let i = 0; i < tasks.length; i++) {
    try {
      tasks[i]!()
    } catch (error) {
      queueMicrotask(() => {
        throw error
      })
    }
  }
}
export interface Knobs {
  budgetMs: number
  tickEvery: number // 0 = never
  turnStart: "immediate" | "message"
  checkEvery: number // time check every k rounds
  hop?: "queueMicrotask" | "then"
  syncRounds?: number
}
const resolved = Promise.resolve()
export class Variant implements Scheduler.Scheduler, Scheduler.SchedulerDispatcher {
  readonly executionMode = "async" as const
  private ready: Array<Task> = []
  private spare: Array<Task> | undefined = []
  private state = 0
  private windowEnds = Number.NEGATIVE_INFINITY
  private rounds = 0
  private port?: MessageChannel
  readonly k: Knobs
  constructor(k: Knobs) {
    this.k = k
    if (k.turnStart === "message") {
      this.port = new MessageChannel()
      this.port.port1.on("message", this.startTurn)
      this.port.port1.unref()
    }
  }
  shouldYield(fiber: Fiber.Fiber<unknown, unknown>): boolean {
    return fiber.currentOpCount >= fiber.cache.maxOpsBeforeYield
  }
  makeDispatcher() {
    return this
  }
  scheduleTask(task: Task): void {
    this.ready.push(task)
    if (this.state === 0) this.wake()
  }
  flush(): void {
    while (this.ready.length) this.round()
  }
  private macro() {
    this.state = 1
    if (this.port) {
      this.port.port1.ref()
      this.port.port2.postMessage(0)
    } else setImmediate(this.startTurn)
  }
  private wake(): void {
    if (performance.now() < this.windowEnds) {
      this.state = 2
      queueMicrotask(this.nextRound)
    } else this.macro()
  }
  private round(): void {
    const tasks = this.ready
    this.ready = this.spare ?? []
    this.spare = undefined
    runAll(tasks)
    tasks.length = 0
    this.spare = tasks
  }
  private readonly startTurn = (): void => {
    if (this.port) this.port.port1.unref()
    this.windowEnds = performance.now() + this.k.budgetMs
    this.state = 2
    this.nextRound()
  }
  private readonly nextRound = (): void => {
    this.round()
    for (let k = 1; k < (this.k.syncRounds ?? 1) && this.ready.length > 0; k++) this.round()
    const r = ++this.rounds
    if (this.ready.length === 0) this.state = 0
    else if (r % this.k.checkEvery !== 0 || performance.now() < this.windowEnds) {
      if (this.k.tickEvery > 0 && r % this.k.tickEvery === 0) process.nextTick(this.nextRound)
      else if (this.k.hop === "then") resolved.then(this.nextRound)
      else queueMicrotask(this.nextRound)
    } else this.macro()
  }
  close() {
    this.port?.port1.close()
  }
}
