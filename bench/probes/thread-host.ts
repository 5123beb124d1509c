// The host side of toThread.runSync alone: the pool's workers replaced by an in-process fake
// that answers in a microtask, so that what is measured is effect-anyio's per-call work (CPU),
// not the worker or the OS. Against the same fake awaited with a bare Promise. ONLY=<part of a
// case name> runs those cases only (e.g. ONLY=ours, for --cpu-prof).
import { Effect, Scheduler } from "effect"
import { CapacityLimiter } from "../../src/CapacityLimiter.ts"
import { ThreadPoolImpl } from "../../src/internal/workers/threadPool.ts"
import { makeBatchingScheduler } from "../../src/Scheduler.ts"
import * as toThread from "../../src/ToThread.ts"
import { workerFunction } from "../../src/WorkerFunction.ts"

const N = Number(process.env.N ?? 100_000)
const WIDTH = 8
const resolved = Promise.resolve()

class FakeThread {
  call: { deliverReply(status: number, payload: unknown): void } | undefined = undefined
  idleSince = 0
  dead = false
  readonly flags = new Int32Array(8)
  readonly known: Array<boolean | undefined> = []
  readonly exited = new Promise<void>(() => {})
  readonly pool: FakePool
  readonly worker: {
    postMessage(m: ReadonlyArray<unknown>): void
    terminate(): Promise<number>
    unref(): void
  }
  constructor(pool: FakePool) {
    this.pool = pool
    this.worker = {
      postMessage: (m) => {
        const id = m[0]
        const payload = (m[2] as ReadonlyArray<unknown>)[0]
        resolved.then(() => this.onReply(id, payload))
      },
      terminate: () => Promise.resolve(0),
      unref: () => {}
    }
  }
  onReply(_id: unknown, payload: unknown) {
    const call = this.call!
    this.call = undefined
    this.pool.checkin(this as never)
    call.deliverReply(0, payload)
  }
  /** What the pool posts through (as PooledThread.send: the flag store, then postMessage). */
  send(m: ReadonlyArray<unknown>) {
    Atomics.store(this.flags, 1, 0)
    this.worker.postMessage(m)
  }
  setRef(_ref: boolean) {}
  stop() {}
  answer() {}
}
class FakePool extends ThreadPoolImpl {
  protected override spawn(): never {
    return new FakeThread(this) as never
  }
}
const pool = new FakePool({})
const echo = workerFunction<(x: number) => number>(new URL("../worker-fns.ts", import.meta.url), "echo")
const ours = (width: number) => (n: number) =>
  Effect.provideService(
    Effect.forEach(
      Array.from({ length: width }, (_, k) => k),
      () =>
        Effect.gen(function* () {
          for (let i = 0; i < n / width; i++) yield* toThread.runSync(echo, [i])
        }),
      { concurrency: width, discard: true }
    ),
    toThread.CurrentPool,
    pool
  )
const rawFake = (n: number) => {
  const one = async () => {
    for (let i = 0; i < n / WIDTH; i++)
      await new Promise<number>((resolve) => resolved.then(() => resolve(i)))
  }
  return Promise.all(Array.from({ length: WIDTH }, one))
}
const limiter = new CapacityLimiter(40)
/** Minimal Effect models of a call against the same fake channel. */
const fakeCall = (i: number) =>
  Effect.callback<number>((resume) => {
    resolved.then(() => resume(Effect.succeed(i)))
  })
/** The post waits in a task of the fiber's dispatcher, inside the callback (toThread's checkpoint). */
const scheduledCall = (i: number) =>
  Effect.withFiber((fiber) =>
    Effect.callback<number>((resume) => {
      fiber.currentDispatcher.scheduleTask(() => resolved.then(() => resume(Effect.succeed(i))), 0)
    })
  )
const model = (make: (i: number) => Effect.Effect<unknown, unknown>) => (n: number) =>
  Effect.forEach(
    Array.from({ length: WIDTH }, (_, k) => k),
    () =>
      Effect.gen(function* () {
        for (let i = 0; i < n / WIDTH; i++) yield* make(i)
      }),
    { concurrency: WIDTH, discard: true }
  )
const models: Record<string, (i: number) => Effect.Effect<unknown, unknown>> = {
  callback: fakeCall,
  "yield + callback": (i) => Effect.andThen(Effect.yieldNow, fakeCall(i)),
  "mask(restore(yield), callback)": (i) =>
    Effect.uninterruptibleMask((restore) => Effect.flatMap(restore(Effect.yieldNow), () => fakeCall(i))),
  "mask(restore(yield), restore(callback))": (i) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(Effect.yieldNow), () => restore(fakeCall(i)))
    ),
  "mask(restore(yield), onExitPrimitive(restore(callback)))": (i) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(Effect.yieldNow), () =>
        Effect.onExitPrimitive(restore(fakeCall(i)), () => undefined)
      )
    ),
  "scheduled post in callback": (i) => scheduledCall(i),
  "mask(onExitPrimitive(nowait, catchCause(restore(scheduled post)), release)) (ours, bare)": (i) => {
    const borrower = {}
    return Effect.uninterruptibleMask((restore) =>
      Effect.onExitPrimitive(
        Effect.flatMap(limiter.acquireOnBehalfOfNowait(borrower), () =>
          Effect.catchCause(restore(scheduledCall(i)), Effect.failCause)
        ),
        () => limiter.releaseOnBehalfOf(borrower)
      )
    )
  },
  "mask(restore(acquire), onExitPrimitive(restore(callback), release))": (i) => {
    const borrower = {}
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(limiter.acquireOnBehalfOf(borrower)), () =>
        Effect.onExitPrimitive(restore(fakeCall(i)), () => limiter.releaseOnBehalfOf(borrower))
      )
    )
  },
  "mask(yield, ensuring(matchCause(restore(callback))))": (i) =>
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(Effect.yieldNow), () =>
        Effect.ensuring(
          Effect.matchCauseEffect(restore(fakeCall(i)), {
            onFailure: () => Effect.void,
            onSuccess: Effect.succeed
          }),
          Effect.void
        )
      )
    )
}
const batching = makeBatchingScheduler()
const cases: Record<string, () => Promise<unknown>> = {
  "promise x8 (fake)": () => rawFake(N),
  "ours x8 · batching (fake)": () =>
    Effect.runPromise(Effect.provideService(ours(WIDTH)(N), Scheduler.Scheduler, batching)),
  "ours x8 · effect (fake)": () => Effect.runPromise(ours(WIDTH)(N)),
  ...Object.fromEntries(
    Object.entries(models).map(([k, m]) => [
      `model ${k} · batching`,
      () => Effect.runPromise(Effect.provideService(model(m)(N), Scheduler.Scheduler, batching))
    ])
  )
}
const cpu = () => {
  const u = process.threadCpuUsage()
  return (u.user + u.system) * 1000
}
const res = new Map<string, number[]>()
for (let r = 0; r < Number(process.env.ROUNDS ?? 9); r++) {
  for (const [k, f] of Object.entries(cases).filter(([k]) => k.includes(process.env.ONLY ?? ""))) {
    const c = cpu()
    await f()
    if (r > 0) res.set(k, [...(res.get(k) ?? []), (cpu() - c) / N])
  }
}
for (const [k, v] of res)
  console.log(
    k.padEnd(30),
    v
      .sort((a, b) => a - b)
      [v.length >> 1]!.toFixed(0)
      .padStart(6),
    "ns CPU per call"
  )
