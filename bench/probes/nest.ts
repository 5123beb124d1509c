/**
 * Issue 13: where a nested task group's level goes, against raw nested forkChild + join.
 * `node_modules/.bin/node --expose-gc bench/probes/nest.ts [depth] [rounds]`; prints the median CPU ns
 * (user + system) per level of each case and its ratio to raw, interleaved in one process, and the
 * minimum (steadier on a loaded machine).
 * Bytes per level (heap growth over a sample) are exact only with a young generation large enough
 * that no collection runs in a sample: `--max-semi-space-size=512`.
 * With PROF=<case,...> it runs only that case (for `--cpu-prof`).
 */
import { Effect } from "effect"
import { cancelScope } from "../../src/index.ts"
import { withBatchingScheduler } from "../../src/Scheduler.ts"
import { groupNest, rawNest } from "../workloads.ts"

const depth = Number(process.argv[2] ?? 1000)
const rounds = Number(process.argv[3] ?? 9)
const LEVELS = 20_000

/**
 * The floor of a group's protocol in raw Effect: per level a host fiber that forks a body fiber at
 * once (which schedules the next level's task and ends), waits in a callback, and is woken
 * scheduled when that task ends: two fibers and two scheduled steps, against raw's one and one.
 */
const rawProtocol = (d: number): Effect.Effect<void> =>
  d === 0
    ? Effect.void
    : Effect.withFiber((host) =>
        Effect.callback<void>((resume) => {
          const context = host.context
          const dispatcher = host.currentDispatcher
          Effect.runForkWith(context)(
            Effect.sync(() =>
              dispatcher.scheduleTask(() => {
                const task = Effect.runForkWith(context)(rawProtocol(d - 1))
                task.addObserver(() => dispatcher.scheduleTask(() => resume(Effect.void), 0))
              }, 0)
            )
          )
        })
      )

const scopeNest = (d: number): Effect.Effect<void, unknown> =>
  d === 0
    ? Effect.void
    : Effect.asVoid(
        cancelScope(
          {},
          Effect.suspend(() => scopeNest(d - 1))
        )
      )

const cases: Record<string, (d: number) => Effect.Effect<void, unknown>> = {
  raw: (d) => rawNest(d),
  protocol: rawProtocol,
  group: (d) => groupNest(d),
  scope: scopeNest
}

const times = (n: number, op: Effect.Effect<unknown, unknown>): Effect.Effect<void, unknown> => {
  let i = 0
  return Effect.whileLoop({ while: () => i++ < n, body: () => op, step: () => {} })
}
const only = process.env.PROF
const names = Object.keys(cases).filter((k) => only === undefined || only.split(",").includes(k))
const res: Record<string, Array<number>> = Object.fromEntries(names.map((k) => [k, []]))
const bytes: Record<string, Array<number>> = Object.fromEntries(names.map((k) => [k, []]))
const gc = (globalThis as { gc?: () => void }).gc
for (let r = 0; r < rounds; r++) {
  for (const k of names) {
    if (process.env.NOGC === undefined) gc?.()
    const h = process.memoryUsage().heapUsed
    const t = process.cpuUsage()
    await Effect.runPromise(withBatchingScheduler(times(LEVELS / depth, cases[k]!(depth))))
    const u = process.cpuUsage(t)
    if (r > 1) res[k]!.push(((u.user + u.system) * 1000) / LEVELS)
    if (r > 1) bytes[k]!.push((process.memoryUsage().heapUsed - h) / LEVELS)
  }
}
const med = (v: Array<number>) => v.sort((a, b) => a - b)[v.length >> 1]!
const raw = res.raw ? med(res.raw) : undefined
const rawMin = res.raw ? Math.min(...res.raw) : undefined
for (const k of names) {
  const m = med(res[k]!)
  const b = med(bytes[k]!)
  const lo = Math.min(...res[k]!)
  console.log(
    k.padEnd(12),
    m.toFixed(0).padStart(7),
    raw ? `${(m / raw).toFixed(2)}x` : "",
    `min ${lo.toFixed(0)}`,
    rawMin ? `${(lo / rawMin).toFixed(2)}x` : "",
    `${b.toFixed(0)} B/level`
  )
}
