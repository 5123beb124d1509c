/**
 * Issue 7: what each task waits on, in `dumpTaskTree()` and in the deadlock report of `autojump`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Option } from "effect"
import { Condition } from "../src/Condition.ts"
import {
  CapacityLimiter,
  cancelScope,
  createMemoryObjectStream,
  createTaskGroup,
  dumpTaskTree,
  Event,
  getCurrentTask,
  Lock,
  moveOnAfter,
  Semaphore,
  sleep,
  sleepForever,
  type TaskStatus,
  waitAllTasksBlocked
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

/** Runs `program` under autojump, expects a `DeadlockError` and returns its report. */
const deadlockReport = <A, E>(program: Effect.Effect<A, E>): Effect.Effect<string> =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(autojump(program)).pipe(Effect.orDie)
    const tagged = error as { readonly _tag?: unknown; readonly message?: unknown }
    expect(tagged._tag).toBe("DeadlockError")
    return String(tagged.message)
  })

/** The id a report shows for the task named `name`. */
const idIn = (report: string, name: string): string =>
  new RegExp(`task #(\\d+) '${name}'`).exec(report)?.[1] ?? "?"

/** The printout line of the task named `name`. */
const lineOf = (tree: string, name: string): string =>
  tree.split("\n").find((l) => new RegExp(`^\\s*task #\\d+ '${name}' \\(`).test(l)) ?? ""

describe("deadlock report: what each task waits on", () => {
  it.effect("two tasks each waiting for the other's Event", () =>
    Effect.gen(function* () {
      const a = new Event()
      const b = new Event()
      const report = yield* deadlockReport(
        createTaskGroup(
          (tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(Effect.andThen(b.wait(), a.set()), { name: "waits-for-b" })
              yield* tg.startSoon(Effect.andThen(a.wait(), b.set()), { name: "waits-for-a" })
            }),
          { name: "pair" }
        )
      )
      expect(report).toContain("deadlock: every task is blocked and no timer is pending")
      // Ids are numbered per report, in creation order: `a` is Event #1, `b` Event #2.
      expect(lineOf(report, "waits-for-b")).toMatch(
        /task #\d+ 'waits-for-b' \(blocked, waiting on Event #2\)$/
      )
      expect(lineOf(report, "waits-for-a")).toMatch(
        /task #\d+ 'waits-for-a' \(blocked, waiting on Event #1\)$/
      )
      expect(String(a)).not.toBe(String(b))
    })
  )

  it.effect("a lock cycle names both tasks, both locks and their owners", () =>
    Effect.gen(function* () {
      const lock1 = new Lock()
      const lock2 = new Lock()
      const ids = new Map<string, number>()
      const grab = (first: Lock, second: Lock) =>
        first.withLock(
          Effect.gen(function* () {
            const me = yield* getCurrentTask()
            ids.set(me.name, me.id)
            yield* sleep(1) // both now hold their first lock
            yield* second.withLock(Effect.void)
          })
        )
      const report = yield* deadlockReport(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(grab(lock1, lock2), { name: "A" })
            yield* tg.startSoon(grab(lock2, lock1), { name: "B" })
          })
        )
      )
      expect(report).toContain("(virtual time 1s)")
      expect(ids.size).toBe(2)
      // Ids are numbered per report: lock1 is Lock #1, and a task's `(#n)` is its `task #n`.
      expect(lineOf(report, "A")).toContain(
        `(blocked, waiting on Lock #2 held by task 'B' (#${idIn(report, "B")}))`
      )
      expect(lineOf(report, "B")).toContain(
        `(blocked, waiting on Lock #1 held by task 'A' (#${idIn(report, "A")}))`
      )
    })
  )

  it.effect("a receive on a stream whose sender is never used names the stream end", () =>
    Effect.gen(function* () {
      const report = yield* deadlockReport(
        Effect.gen(function* () {
          const [send, receive] = createMemoryObjectStream<number>()
          const [full] = createMemoryObjectStream<string>(1)
          yield* full.send("fills the buffer")
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(receive.receive(), { name: "consumer" })
              yield* tg.startSoon(full.send("one too many"), { name: "producer" })
            })
          )
          yield* send.close() // never reached
        })
      )
      expect(lineOf(report, "consumer")).toMatch(
        /\(blocked, waiting on memory stream #\d+: receive \(no item; 1 sender open\)\)$/
      )
      expect(lineOf(report, "producer")).toMatch(
        /\(blocked, waiting on memory stream #\d+: send \(buffer full 1\/1; 1 receiver open\)\)$/
      )
    })
  )

  it.effect("a group host waiting for its blocked children says so", () =>
    Effect.gen(function* () {
      const never = new Event()
      let rootName = ""
      const report = yield* deadlockReport(
        Effect.gen(function* () {
          rootName = (yield* getCurrentTask()).name
          yield* createTaskGroup(
            (tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(never.wait(), { name: "child-1" })
                yield* tg.startSoon(never.wait(), { name: "child-2" })
              }),
            { name: "workers" }
          )
        })
      )
      const lines = report.split("\n")
      expect(lineOf(report, rootName)).toMatch(/\(blocked, waiting on child task group #\d+ 'workers'\)$/)
      expect(lines.some((l) => /group #\d+ 'workers': body done, waiting for 2 task\(s\)/.test(l))).toBe(true)
      expect(String(never)).toMatch(/^Event #\d+$/)
      expect(lineOf(report, "child-1")).toContain("waiting on Event #1")
      expect(lineOf(report, "child-2")).toContain("waiting on Event #1")
    })
  )

  it.effect("the report lists only the program's tasks, also when autojump runs inside a task", () =>
    Effect.gen(function* () {
      const release = new Event()
      let report = ""
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(release.wait(), { name: "outsider" })
          yield* waitAllTasksBlocked()
          report = yield* deadlockReport(
            createTaskGroup((inner) => inner.startSoon(new Event().wait(), { name: "insider" }))
          )
          yield* release.set()
        })
      )
      expect(lineOf(report, "insider")).toContain("(blocked, waiting on Event #")
      expect(report).not.toContain("outsider")
      // One root: the program's.
      expect(report.split("\n").filter((l) => l.startsWith("task #"))).toHaveLength(1)
    })
  )

  it.effect("ids are numbered per report: the same program gives the same report whatever ran before", () =>
    Effect.gen(function* () {
      const program = Effect.gen(function* () {
        const lock = new Lock()
        const never = new Event()
        yield* createTaskGroup(
          (tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(lock.withLock(never.wait()), { name: "holder" })
              yield* tg.startSoon(Effect.andThen(sleep(1), lock.acquire()))
              yield* tg.startSoon(cancelScope({}, never.wait()), { name: "scoped" })
            }),
          { name: "g" }
        )
      })
      const first = yield* deadlockReport(program)
      // Whatever runs in between takes ids from the same process-wide counters.
      yield* createTaskGroup((tg) => Effect.forEach([1, 2, 3], () => tg.startSoon(new Event().set())))
      new Lock()
      const second = yield* deadlockReport(program)
      expect(second).toBe(first)
      expect(first.split("\n")[1]).toMatch(/^task #1 'main' /)
      expect(first).toMatch(/group #1 'g'/)
      expect(first).toContain("waiting on Lock #1 held by task 'holder' (#")
      expect(first).toMatch(/'Task-\d+' \(blocked, waiting on Lock #1/)
      expect(first).toMatch(/'scoped' \(blocked, waiting on (cancel scope #1 body|Event #1)\)/)
    })
  )

  it.effect("the README's report, exactly (ids numbered per report)", () =>
    Effect.gen(function* () {
      const accounts = new Lock()
      const audit = new Lock()
      const program = createTaskGroup(
        (tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(accounts.withLock(Effect.andThen(sleep(1), audit.withLock(Effect.void))), {
              name: "transfer"
            })
            yield* tg.startSoon(audit.withLock(Effect.andThen(sleep(1), accounts.withLock(Effect.void))), {
              name: "report"
            })
          }),
        { name: "bank" }
      )
      expect(yield* deadlockReport(program)).toBe(
        [
          "deadlock: every task is blocked and no timer is pending (virtual time 1s)",
          "task #1 'main' (blocked, waiting on child task group #1 'bank')",
          "  group #1 'bank': body done, waiting for 2 task(s)",
          "    task #2 'transfer' (blocked, waiting on Lock #2 held by task 'report' (#3))",
          "    task #3 'report' (blocked, waiting on Lock #1 held by task 'transfer' (#2))"
        ].join("\n")
      )
    })
  )

  it.effect("a start() caller waits for started()", () =>
    Effect.gen(function* () {
      const report = yield* deadlockReport(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              tg.start({ name: "server" }, (status: TaskStatus) =>
                Effect.andThen(new Event().wait(), status.started())
              ),
              { name: "launcher" }
            )
          })
        )
      )
      expect(lineOf(report, "launcher")).toMatch(
        /\(blocked, waiting on start\(\) of task 'server' \(#\d+\) to call started\(\)\)$/
      )
      expect(lineOf(report, "server")).toContain("(blocked, waiting on Event #")
    })
  )

  it.effect("a task joining another one", () =>
    Effect.gen(function* () {
      const report = yield* deadlockReport(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            const stuck = yield* tg.createTask(new Event().wait(), { name: "stuck" })
            yield* tg.startSoon(stuck.join, { name: "joiner" })
          })
        )
      )
      expect(lineOf(report, "joiner")).toMatch(/\(blocked, waiting on task 'stuck' \(#\d+\) to finish\)$/)
    })
  )
})

describe("dumpTaskTree: waiting on", () => {
  it.effect("shows a task blocked on a Lock, and not once it holds the lock", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      const release = new Event()
      const dumps = yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(lock.withLock(release.wait()), { name: "holder" })
            yield* tg.startSoon(lock.withLock(sleep(10)), { name: "contender" })
            yield* waitAllTasksBlocked()
            const holder = lock.statistics().owner
            const before = yield* dumpTaskTree()
            yield* release.set()
            yield* sleep(5) // the contender holds the lock now, sleeping
            const after = yield* dumpTaskTree()
            return { before, after, holder }
          })
        )
      )
      const { before, after, holder } = Option.getOrThrow(dumps)
      expect(holder?.name).toBe("holder")
      expect(lineOf(before, "contender")).toContain(
        `(blocked, waiting on ${lock} held by task 'holder' (#${holder?.id}))`
      )
      expect(lineOf(before, "holder")).toContain(`(blocked, waiting on ${release})`)
      expect(lineOf(after, "contender")).toMatch(/'contender' \(pending\)$/)
      expect(after).not.toContain("waiting on Lock")
      expect(after).not.toContain("'holder'")
    })
  )

  it.effect("a stream wait is cleared once the item arrives", () =>
    Effect.gen(function* () {
      const [send, receive] = createMemoryObjectStream<number>()
      let during = ""
      let after = ""
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(Effect.andThen(receive.receive(), sleep(10)), { name: "consumer" })
            yield* waitAllTasksBlocked()
            during = yield* dumpTaskTree()
            yield* send.send(1)
            yield* waitAllTasksBlocked()
            after = yield* dumpTaskTree()
          })
        )
      )
      expect(lineOf(during, "consumer")).toContain("waiting on memory stream #")
      expect(lineOf(after, "consumer")).toMatch(/'consumer' \(pending\)$/)
    })
  )

  it.effect("a cancelled wait is cleared, and so is the cancel scope around it", () =>
    Effect.gen(function* () {
      const lock = new Lock()
      let during = ""
      let after = ""
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(lock.withLock(sleepForever()), { name: "holder" })
            yield* tg.startSoon(Effect.andThen(moveOnAfter(2, lock.acquire()), Effect.never), {
              name: "impatient"
            })
            yield* sleep(1)
            during = yield* dumpTaskTree()
            yield* sleep(2)
            after = yield* dumpTaskTree()
            yield* tg.cancel()
          })
        )
      )
      // The innermost wait shows, not the cancel scope the acquire runs in.
      expect(lineOf(during, "impatient")).toContain(`waiting on ${lock} held by task 'holder'`)
      expect(lineOf(after, "impatient")).toMatch(/'impatient' \(pending\)$/)
      expect(lock.statistics().tasksWaiting).toBe(0)
    })
  )

  it.effect("a host shows its body's wait first, then the group's", () =>
    Effect.gen(function* () {
      const go = new Event()
      const dumps = yield* autojump(
        Effect.gen(function* () {
          const root = (yield* getCurrentTask()).name
          const seen: Array<string> = []
          const snapshot = Effect.map(dumpTaskTree(), (tree) => seen.push(lineOf(tree, root)))
          yield* createTaskGroup(
            (tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(
                  Effect.gen(function* () {
                    yield* waitAllTasksBlocked()
                    yield* snapshot // the body waits on `go`
                    yield* go.set()
                    yield* waitAllTasksBlocked()
                    yield* snapshot // the body is done; the host waits for this task
                    yield* moveOnAfter(1, Deferred.make<void>().pipe(Effect.flatMap(Deferred.await)))
                  }),
                  { name: "observer" }
                )
                yield* go.wait()
              }),
            { name: "g" }
          )
          yield* snapshot // nothing left
          return seen
        })
      )
      expect(dumps[0]).toContain(`(blocked, waiting on ${go})`)
      expect(dumps[1]).toMatch(/\(blocked, waiting on child task group #\d+ 'g'\)$/)
      expect(dumps[2]).toMatch(/\(running\) <- current$/)
    })
  )

  it.effect("a cancel scope body blocked on something untracked shows the scope", () =>
    Effect.gen(function* () {
      const tree = yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(moveOnAfter(5, sleepForever()), { name: "scoped" })
            yield* waitAllTasksBlocked()
            return yield* dumpTaskTree()
          })
        )
      )
      expect(lineOf(Option.getOrThrow(tree), "scoped")).toMatch(
        /\(blocked, waiting on cancel scope #\d+ body\)$/
      )
    })
  )

  it.effect("Semaphore, CapacityLimiter and Condition waits", () =>
    Effect.gen(function* () {
      const semaphore = new Semaphore(0)
      const limiter = new CapacityLimiter(1)
      const condition = new Condition()
      let t = ""
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(semaphore.acquire(), { name: "sem" })
            yield* tg.startSoon(limiter.withToken(sleepForever()), { name: "borrower" })
            yield* tg.startSoon(limiter.acquire(), { name: "lim" })
            yield* tg.startSoon(condition.withLock(condition.wait()), { name: "cond" })
            yield* waitAllTasksBlocked()
            t = yield* dumpTaskTree()
            yield* tg.cancel()
          })
        )
      )
      expect(lineOf(t, "sem")).toContain(`waiting on ${semaphore} (value 0)`)
      expect(lineOf(t, "lim")).toContain(`waiting on ${limiter} (1/1 tokens borrowed)`)
      expect(lineOf(t, "cond")).toMatch(new RegExp(`waiting on ${condition} \\(over Lock #\\d+\\)`))
      expect(lineOf(t, "borrower")).toMatch(/'borrower' \(pending\)$/)
    })
  )

  it.effect("fibers of one task: the latest wait shows, and an ended one never comes back", () =>
    Effect.gen(function* () {
      const e1 = new Event()
      const e2 = new Event()
      const e3 = new Event()
      const seen = yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            // One task, three fibers, each parked on its own Event.
            yield* tg.startSoon(Effect.all([e1.wait(), e2.wait(), e3.wait()], { concurrency: "unbounded" }), {
              name: "multi"
            })
            const line = Effect.andThen(
              waitAllTasksBlocked(),
              Effect.map(dumpTaskTree(), (tree) => lineOf(tree, "multi"))
            )
            const out: Array<string> = [yield* line]
            yield* e2.set() // not the innermost: the printout does not change
            out.push(yield* line)
            yield* e3.set() // back to e1: e2 ended meanwhile
            out.push(yield* line)
            yield* e1.set()
            return out
          })
        )
      )
      const lines = Option.getOrThrow(seen)
      expect(lines[0]).toContain(`waiting on ${e3})`)
      expect(lines[1]).toContain(`waiting on ${e3})`)
      expect(lines[2]).toContain(`waiting on ${e1})`)
    })
  )
})
