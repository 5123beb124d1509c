/**
 * Issue 13: what one level of a nest costs in Effect's own units, for raw nested forkChild + join and
 * for nested task groups: fibers made, scheduled tasks, fiber runs (`evaluate`), run-loop operations,
 * AsyncResources (Effect makes one per suspension) per level.
 * `node_modules/.bin/node bench/probes/nest-count.ts [depth]`
 */
import { createHook } from "node:async_hooks"
import { Effect, Fiber } from "effect"
import { BatchingScheduler } from "../../src/internal/batchingScheduler.ts"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { groupNest, rawNest } from "../workloads.ts"

const depth = Number(process.argv[2] ?? 1000)
const c = { fibers: 0, tasks: 0, evaluates: 0, ops: 0, asyncResources: 0 }
const proto = Object.getPrototypeOf(
  Effect.runSync(Effect.withFiber((f) => Effect.succeed(f as Fiber.Fiber<unknown, unknown>)))
) as { evaluate: (e: unknown) => void; runLoop: (e: unknown) => unknown; constructor: unknown }
const evaluate = proto.evaluate
proto.evaluate = function (this: { currentOpCount: number }, e: unknown) {
  c.evaluates++
  return evaluate.call(this, e)
}
const runLoop = proto.runLoop
proto.runLoop = function (this: { currentOpCount: number }, e: unknown) {
  try {
    return runLoop.call(this, e)
  } finally {
    c.ops += this.currentOpCount
  }
}
const schedule = BatchingScheduler.prototype.scheduleTask
BatchingScheduler.prototype.scheduleTask = function (task, priority) {
  c.tasks++
  return schedule.call(this, task, priority)
}
createHook({
  init(_id, type) {
    if (type === "effect/Fiber") c.asyncResources++
  }
}).enable()
const fiberCount = (): number => Effect.runSync(Effect.withFiber((f) => Effect.succeed(f.id)))

for (const [name, make] of [
  ["raw", () => rawNest(depth)],
  ["group", () => groupNest(depth)]
] as const) {
  await Effect.runPromise(withBatchingScheduler(make()))
  for (const k of Object.keys(c) as Array<keyof typeof c>) c[k] = 0
  const id0 = fiberCount()
  await Effect.runPromise(withBatchingScheduler(make()))
  c.fibers = fiberCount() - id0 - 2
  console.log(
    name.padEnd(6),
    Object.entries(c)
      .map(([k, v]) => `${k} ${(v / depth).toFixed(2)}`)
      .join(", ")
  )
}
void Fiber
