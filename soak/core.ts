/**
 * The core's soak workloads: task groups, deadlines, memory streams, locks and limiters. Each
 * round checks its own invariants (every task that began ended, no item lost or duplicated, no
 * lock held or waiter left, mutual exclusion held) and reports its counts.
 */
import { Data, Effect, Exit } from "effect"
import {
  type CancelScope,
  CapacityLimiter,
  Condition,
  cancelScope,
  createMemoryObjectStream,
  createTaskGroup,
  Event,
  ExceptionGroup,
  failAfter,
  Lock,
  makeCancelScope,
  moveOnAfter,
  Semaphore,
  sleep,
  sleepForever,
  type TaskStatus
} from "../src/index.ts"
import { runTraffic, trafficChecks } from "../stress/traffic.ts"
import { prng, type Round, Tally, type Workload } from "./workload.ts"

class Boom extends Data.TaggedError("Boom")<{ readonly i: number }> {}

const scaled = (n: number, size: number): number => Math.max(1, Math.round(n * size))

/** Tasks that began and ended, for the "every task ended" invariant. */
const tracker = () => {
  const t = { live: 0, began: 0, ended: 0 }
  const track = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.ensuring(
      Effect.andThen(
        Effect.sync(() => {
          t.live++
          t.began++
        }),
        effect
      ),
      Effect.sync(() => {
        t.live--
        t.ended++
      })
    )
  return { t, track }
}

// ---------------------------------------------------------------------------------------------

export const groups: Workload = {
  name: "groups",
  description:
    "task groups created and torn down: tasks that fail and are caught (except*), nested groups cancelled, start() handshakes",
  start: (size) =>
    Effect.sync((): Round => {
      const random = prng(1)
      const n = scaled(24, size)
      return () =>
        Effect.gen(function* () {
          const tally = new Tally()
          const { t, track } = tracker()
          // 1. Some tasks fail: the group cancels the rest and fails with a group, caught by tag.
          const failing = 1 + Math.floor(random() * Math.max(1, n / 4))
          const caught = yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (let i = 0; i < n; i++) {
                yield* tg.startSoon(
                  track(i < failing ? Effect.andThen(sleep(0), Effect.fail(new Boom({ i }))) : sleep(0.0005))
                )
              }
            })
          ).pipe(
            Effect.as(0),
            ExceptionGroup.catchMembers("Boom", (eg) => Effect.succeed(eg.exceptions.length))
          )
          if (caught < 1 || caught > failing)
            tally.violations.push(`failures caught: ${caught} of ${failing}`)
          tally.add("tasks failed and caught", caught)
          // 2. A nested group started with start() (it reports its scope), then cancelled from
          //    outside while its tasks sleep; the outer group ends normally.
          yield* createTaskGroup((outer) =>
            Effect.gen(function* () {
              const inner = yield* outer.start((status: TaskStatus<CancelScope>) =>
                createTaskGroup((tg) =>
                  Effect.gen(function* () {
                    for (let i = 0; i < n; i++) yield* tg.startSoon(track(sleepForever()))
                    yield* status.started(tg.cancelScope)
                  })
                )
              )
              for (let i = 0; i < n; i++) yield* outer.startSoon(track(sleep(random() * 0.001)))
              yield* sleep(0)
              yield* inner.cancel("soak")
            })
          )
          tally.add("groups", 3)
          tally.add("tasks", t.began)
          tally.expect("tasks that began and did not end", t.live, 0)
          tally.expect("tasks begun", t.began, 3 * n)
          return tally.report()
        })
    })
}

// ---------------------------------------------------------------------------------------------

export const deadlines: Workload = {
  name: "deadlines",
  description:
    "deadlines armed and cancelled before they fire (the common case), deadlines that fire, failAfter, nested and concurrent deadlines",
  start: (size) =>
    Effect.sync((): Round => {
      const random = prng(2)
      const n = scaled(200, size)
      const m = scaled(4, size)
      return () =>
        Effect.gen(function* () {
          const tally = new Tally()
          // Armed and disarmed before they fire: 10 tasks, each a loop of scopes.
          let kept = 0
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (let t = 0; t < 10; t++) {
                yield* tg.startSoon(
                  Effect.gen(function* () {
                    for (let i = t; i < n; i += 10) {
                      const r = yield* moveOnAfter(30 + random() * 30, Effect.yieldNow)
                      if (r._tag === "Some") kept++
                    }
                  })
                )
              }
            })
          )
          tally.expect("deadlines that fired too early", n - kept, 0)
          let fired = 0
          for (let i = 0; i < m; i++) {
            const r = yield* moveOnAfter(0.0005, sleepForever())
            if (r._tag === "None") fired++
          }
          tally.expect("deadlines that fired", fired, m)
          const timeout = yield* Effect.exit(failAfter(0.0005, sleepForever()))
          tally.expect(
            "failAfter failed with TimeoutError",
            Exit.isFailure(timeout) && Exit.findErrorOption(timeout).pipe((o) => o._tag === "Some"),
            true
          )
          const nested = yield* moveOnAfter(30, moveOnAfter(0.001, sleepForever()))
          tally.expect(
            "inner deadline fired, outer kept",
            nested._tag === "Some" && nested.value._tag === "None",
            true
          )
          // Concurrent deadlines racing their bodies: either may win, nothing may be left armed.
          let won = 0
          let timedOut = 0
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (let i = 0; i < m * 4; i++) {
                yield* tg.startSoon(
                  Effect.flatMap(moveOnAfter(random() * 0.002, sleep(random() * 0.002)), (r) =>
                    Effect.sync(() => (r._tag === "Some" ? won++ : timedOut++))
                  )
                )
              }
            })
          )
          tally.expect("raced deadlines settled", won + timedOut, m * 4)
          tally.add("deadlines armed", n + 2 * m + 3 + m * 4)
          tally.add("deadlines fired", fired + 2 + timedOut)
          return tally.report()
        })
    })
}

// ---------------------------------------------------------------------------------------------

export const streams: Workload = {
  name: "streams",
  description:
    "memory object streams opened and closed: producers and consumers on clones, some cancelled anywhere, buffers 0/1/16; no item lost or duplicated",
  start: (size) =>
    Effect.sync((): Round => {
      const random = prng(3)
      const items = scaled(2000, size)
      return (round) =>
        Effect.gen(function* () {
          const tally = new Tally()
          const producers = 4
          const consumers = 4
          const buffer = [0, 1, 16][round % 3]!
          const [send, receive] = createMemoryObjectStream<number>(buffer)
          // One producer and one consumer are cancelled from another task when the number of
          // items received crosses a random threshold, wherever they are (sending, parked).
          const doomed: Array<{ at: number; scope: CancelScope }> = []
          const traffic = yield* runTraffic({
            send,
            receive,
            producers,
            consumers,
            items,
            wrap: (_side, i, work) => {
              if (i !== 1) return work
              const scope = makeCancelScope()
              doomed.push({ at: Math.floor(random() * items * 0.8), scope })
              return Effect.asVoid(cancelScope(scope, work))
            },
            onReceived: (received) => {
              for (const d of doomed) if (d.at <= received) d.scope.cancelUnsafe("soak")
            }
          })
          for (const [what, got, want] of trafficChecks(traffic, send)) tally.expect(what, got, want)
          // A receiver that closes while senders wait: they fail with BrokenResourceError.
          const [s2, r2] = createMemoryObjectStream<number>(0)
          let broken = 0
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              for (let i = 0; i < 3; i++) {
                yield* tg.startSoon(
                  Effect.catchTag(s2.send(i), "BrokenResourceError", () => Effect.sync(() => broken++))
                )
              }
              yield* sleep(0)
              yield* r2.close()
            })
          )
          yield* s2.close()
          tally.expect("senders told the receiver closed", broken, 3)
          tally.add("streams", 2)
          tally.add("items moved", traffic.received)
          return tally.report()
        })
    })
}

// ---------------------------------------------------------------------------------------------

export const locks: Workload = {
  name: "locks",
  description:
    "Lock, Semaphore, CapacityLimiter, Condition and Event contended, some waiters giving up on a deadline; mutual exclusion and limits held",
  start: (size) =>
    Effect.sync((): Round => {
      const random = prng(4)
      const n = scaled(40, size)
      return () =>
        Effect.gen(function* () {
          const tally = new Tally()
          const lock = new Lock()
          const semaphore = new Semaphore(3)
          const limiter = new CapacityLimiter(2)
          const condition = new Condition()
          const ready = new Event()
          const inside = { lock: 0, semaphore: 0, limiter: 0 }
          const max = { lock: 0, semaphore: 0, limiter: 0 }
          let done = 0
          let gaveUp = 0
          let notified = 0
          let queue = 0
          // Leaving counts on every exit: a waiter whose deadline fires inside leaves too.
          const critical = (what: keyof typeof inside) =>
            Effect.suspend(() => {
              inside[what]++
              max[what] = Math.max(max[what], inside[what])
              return Effect.ensuring(
                Effect.andThen(
                  sleep(0),
                  Effect.sync(() => done++)
                ),
                Effect.sync(() => inside[what]--)
              )
            })
          const guarded = [
            lock.withLock(critical("lock")),
            semaphore.withPermit(critical("semaphore")),
            limiter.withToken(critical("limiter"))
          ]
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              // Condition: consumers wait for items a producer adds under the lock.
              for (let c = 0; c < 4; c++) {
                yield* tg.startSoon(
                  Effect.gen(function* () {
                    yield* ready.wait()
                    yield* condition.withLock(
                      Effect.gen(function* () {
                        yield* condition.waitFor(() => queue > 0)
                        queue--
                        notified++
                      })
                    )
                  })
                )
              }
              for (let i = 0; i < n; i++) {
                const body = guarded[i % 3]!
                if (i % 5 === 4) {
                  yield* tg.startSoon(
                    Effect.flatMap(moveOnAfter(random() * 0.001, body), (r) =>
                      Effect.sync(() => {
                        if (r._tag === "None") gaveUp++
                      })
                    )
                  )
                } else {
                  yield* tg.startSoon(body)
                }
              }
              yield* ready.set()
              for (let k = 0; k < 4; k++) {
                yield* condition.withLock(
                  Effect.andThen(
                    Effect.sync(() => queue++),
                    condition.notify()
                  )
                )
                yield* sleep(0)
              }
            })
          )
          tally.expect("max tasks inside the lock", max.lock, 1)
          tally.expect("max tasks inside the semaphore (3)", max.semaphore <= 3, true)
          tally.expect("max tasks inside the limiter (2)", max.limiter <= 2, true)
          tally.expect("critical sections done + gave up", done + gaveUp, n)
          tally.expect("condition consumers served", notified, 4)
          const ls = lock.statistics()
          tally.expect("lock held at the end", ls.locked, false)
          tally.expect("lock waiters at the end", ls.tasksWaiting, 0)
          tally.expect("semaphore value at the end", semaphore.value, 3)
          tally.expect("semaphore waiters at the end", semaphore.statistics().tasksWaiting, 0)
          tally.expect("limiter tokens borrowed at the end", limiter.statistics().borrowedTokens, 0)
          tally.add("acquisitions", done)
          tally.add("gave up waiting", gaveUp)
          return tally.report()
        })
    })
}

export const coreWorkloads: ReadonlyArray<Workload> = [groups, deadlines, streams, locks]
