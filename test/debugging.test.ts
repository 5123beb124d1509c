import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Logger, Option, References, Tracer } from "effect"
import {
  type CancelScope,
  createTaskGroup,
  dumpTaskTree,
  getCurrentTask,
  getRunningTasks,
  moveOnAfter,
  sleep,
  sleepForever,
  type TaskHandle,
  type TaskInfo,
  type TaskStatus,
  TaskTracing,
  waitAllTasksBlocked
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

describe("task names and ids", () => {
  // anyio: test_main_task_name (our root task is named after its fiber)
  it.effect("the root task has a readable name", () =>
    Effect.gen(function* () {
      const task = yield* getCurrentTask()
      expect(task.name).toMatch(/^Root-\d+$/)
      expect(task.parentId).toBeUndefined()
    })
  )

  // anyio: test_non_main_task_name
  it.effect("a task started with start() gets the given name, or its function's", () =>
    Effect.gen(function* () {
      const names = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const nonMain = (status: TaskStatus<string>) =>
            Effect.flatMap(getCurrentTask(), (t) => status.started(t.name))
          const byDefault = yield* tg.start(nonMain)
          const custom = yield* tg.start({ name: "name" }, nonMain)
          const empty = yield* tg.start({ name: "" }, nonMain)
          return [byDefault, custom, empty]
        })
      )
      expect(names).toEqual(Option.some(["nonMain", "name", ""]))
    })
  )

  // anyio: test_task_name_default / test_task_name_custom_name
  it.effect("createTask, startSoon and start name tasks the same way", () =>
    Effect.gen(function* () {
      const taskfunc = () => Effect.map(getCurrentTask(), (t) => t.name)
      const startable = (status: TaskStatus<string>) =>
        Effect.flatMap(taskfunc(), (name) => status.started(name))
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const viaCreate = yield* tg.createTask(taskfunc(), { name: "custom name" })
          const viaStartSoon = yield* tg.startSoon(taskfunc)
          const viaStart = yield* tg.start(startable)
          const viaStartNamed = yield* tg.start({ name: "custom name" }, startable)
          expect(yield* viaCreate.join).toBe("custom name")
          expect(viaCreate.name).toBe("custom name")
          expect(yield* viaStartSoon.join).toBe("taskfunc")
          expect(viaStartSoon.name).toBe("taskfunc")
          expect(String(viaStartSoon)).toBe("<TaskHandle finished name='taskfunc'>")
          expect(viaStart).toBe("startable")
          expect(viaStartNamed).toBe("custom name")
        })
      )
    })
  )

  // anyio: test_start_soon_parent_id
  it.effect("a startSoon child's parent is the group's host, whoever started it", () =>
    Effect.gen(function* () {
      const root = yield* getCurrentTask()
      let parentId: number | undefined
      yield* createTaskGroup((tg) =>
        tg.startSoon(
          tg.startSoon(
            Effect.map(getCurrentTask(), (t) => {
              parentId = t.parentId
            })
          )
        )
      )
      expect(parentId).toBe(root.id)
    })
  )

  // anyio: test_start_parent_id
  it.effect("a start() child's parent is the caller until started(), then the host", () =>
    Effect.gen(function* () {
      const root = yield* getCurrentTask()
      let starterId: number | undefined
      let initial: number | undefined
      let permanent: number | undefined
      yield* createTaskGroup((tg) => {
        const subtask = (status: TaskStatus) =>
          Effect.gen(function* () {
            initial = (yield* getCurrentTask()).parentId
            yield* status.started()
            permanent = (yield* getCurrentTask()).parentId
          })
        return tg.startSoon(
          Effect.gen(function* () {
            starterId = (yield* getCurrentTask()).id
            yield* tg.start(subtask)
          })
        )
      })
      expect(initial).toBe(starterId)
      expect(permanent).toBe(root.id)
    })
  )

  it.effect("the current task inside a cancel scope is the task that entered it", () =>
    Effect.gen(function* () {
      const outside = yield* getCurrentTask()
      const inside = yield* moveOnAfter(1, getCurrentTask())
      expect(Option.getOrThrow(inside).id).toBe(outside.id)
    })
  )
})

describe("getRunningTasks / waitAllTasksBlocked", () => {
  // anyio: test_get_running_tasks
  it.effect("lists the tasks of the group, with the host as their parent", () =>
    Effect.gen(function* () {
      const infos: Array<TaskInfo> = []
      yield* autojump(
        Effect.gen(function* () {
          const host = yield* getCurrentTask()
          const event = yield* Deferred.make<void>()
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              const existing = new Set((yield* getRunningTasks()).map((t) => t.id))
              yield* tg.startSoon(Deferred.await(event), { name: "task1" })
              yield* tg.startSoon(Deferred.await(event), { name: "task2" })
              const inspect = () =>
                Effect.gen(function* () {
                  yield* waitAllTasksBlocked()
                  const fresh = (yield* getRunningTasks()).filter((t) => !existing.has(t.id))
                  infos.push(...fresh.sort((a, b) => a.name.localeCompare(b.name)))
                  yield* Deferred.succeed(event, undefined)
                })
              yield* tg.startSoon(inspect)
            })
          )
          for (const info of infos) expect(info.parentId).toBe(host.id)
        })
      )
      expect(infos.map((t) => t.name)).toEqual(["inspect", "task1", "task2"])
    })
  )

  // anyio: test_wait_all_tasks_blocked_cancelled_task
  it.effect("a task that cancels itself right away is not taken for blocked", () =>
    Effect.gen(function* () {
      let done = false
      yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.start((status: TaskStatus) =>
              Effect.gen(function* () {
                yield* status.started()
                yield* moveOnAfter(-1, sleepForever())
                done = true
              })
            )
            yield* waitAllTasksBlocked()
            expect(done).toBe(true)
          })
        )
      )
    })
  )

  it.effect("works outside autojump too (event-loop turns)", () =>
    Effect.gen(function* () {
      let reached = false
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(
            Effect.gen(function* () {
              yield* Effect.yieldNow
              reached = true
              yield* sleepForever()
            })
          )
          yield* waitAllTasksBlocked()
          expect(reached).toBe(true)
          yield* tg.cancel()
        })
      )
    })
  )
})

describe("dumpTaskTree", () => {
  it.effect("shows groups, tasks, their states and the cancel reason", () =>
    Effect.gen(function* () {
      const text = yield* autojump(
        Effect.gen(function* () {
          const ready = yield* Deferred.make<CancelScope>()
          return yield* createTaskGroup((top) =>
            Effect.gen(function* () {
              yield* top.startSoon(
                createTaskGroup(
                  (tg) =>
                    Effect.gen(function* () {
                      // Its finalizer keeps it "cancelling" for a while after the cancel.
                      yield* tg.startSoon(Effect.ensuring(sleepForever(), sleep(5)), { name: "sleeper" })
                      yield* tg.startSoon(
                        createTaskGroup((inner) => inner.startSoon(sleepForever(), { name: "deep" }), {
                          name: "inner"
                        }),
                        { name: "nester" }
                      )
                      yield* Deferred.succeed(ready, tg.cancelScope)
                      yield* sleepForever()
                    }),
                  { name: "outer" }
                ),
                { name: "owner" }
              )
              const before = yield* Effect.andThen(waitAllTasksBlocked(), dumpTaskTree())
              expect(before).toMatch(/task #\d+ 'deep' \(pending\)/)
              yield* (yield* Deferred.await(ready)).cancel("enough")
              return yield* dumpTaskTree()
            })
          )
        })
      )
      const tree = Option.getOrThrow(text)
      expect(tree).toContain("'outer'")
      expect(tree).toContain("cancelled (cancelled explicitly by task 'main': enough)")
      expect(tree).toMatch(/task #\d+ 'sleeper' \(cancelling\)/)
      expect(tree).toContain("<- current")
      expect(tree).not.toContain("'deep'")
    })
  )

  it.effect("nesting shows as indentation", () =>
    Effect.gen(function* () {
      const tree = yield* autojump(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              createTaskGroup((inner) => inner.startSoon(sleepForever(), { name: "deep" }), {
                name: "inner"
              }),
              { name: "nester" }
            )
            yield* waitAllTasksBlocked()
            const tree = yield* dumpTaskTree()
            yield* tg.startSoon(tg.cancel())
            return tree
          })
        )
      )
      const lines = Option.getOrThrow(tree).split("\n")
      const indent = (name: string) => (lines.find((l) => l.includes(`'${name}'`)) ?? "").search(/\S/)
      expect(indent("deep")).toBeGreaterThan(indent("nester"))
      expect(lines.some((l) => l.includes("group #") && l.includes("'inner'"))).toBe(true)
    })
  )

  it.effect("a deadlock report under autojump names the blocked tasks", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        autojump(
          Effect.gen(function* () {
            const a = yield* Deferred.make<void>()
            const b = yield* Deferred.make<void>()
            yield* createTaskGroup((tg) =>
              Effect.gen(function* () {
                yield* tg.startSoon(Effect.andThen(Deferred.await(b), Deferred.succeed(a, undefined)), {
                  name: "waits-for-b"
                })
                yield* tg.startSoon(Effect.andThen(Deferred.await(a), Deferred.succeed(b, undefined)), {
                  name: "waits-for-a"
                })
              })
            )
          })
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const message = Exit.isFailure(exit)
        ? exit.cause.reasons.map((r) => (r._tag === "Fail" ? String((r.error as Error).message) : "")).join()
        : ""
      expect(message).toContain("deadlock")
      expect(message).toContain("'waits-for-b'")
      expect(message).toContain("'waits-for-a'")
    })
  )
})

describe("task handles (AnyIO's TestCreateTask)", () => {
  // anyio: TestCreateTask.test_return_value
  it.effect("join returns the value; returnValue before the end is TaskNotFinished", () =>
    Effect.gen(function* () {
      const handle = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const handle = yield* tg.createTask(Effect.succeed(2 + 4))
          const early = yield* Effect.flip(handle.returnValue)
          expect(early._tag).toBe("TaskNotFinished")
          expect(handle.status).toBe("pending")
          expect(yield* handle.join).toBe(6)
          expect(handle.status).toBe("finished")
          return handle
        })
      )
      expect(yield* Option.getOrThrow(handle).returnValue).toBe(6)
      expect(yield* Option.getOrThrow(handle).exception).toBeUndefined()
    })
  )

  // anyio: TestCreateTask.test_exception
  it.effect("a failed task: join fails with TaskFailed, and the failure still reaches the group", () =>
    Effect.gen(function* () {
      let handle: TaskHandle<never, "dummy error"> | undefined
      let joined: unknown
      let checkedInBody = false
      const exit = yield* Effect.exit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            handle = yield* tg.createTask(Effect.fail("dummy error" as const))
            const early = yield* Effect.flip(handle.exception)
            expect(early._tag).toBe("TaskNotFinished")
            // The failure cancels the body too, at its next suspension: the code right after the
            // join still runs (AnyIO's checkpoint rule).
            joined = yield* Effect.flip(handle.join)
            expect(handle.status).toBe("failed")
            expect(yield* handle.exception).toBe("dummy error")
            checkedInBody = true
          })
        )
      )
      expect(joined).toMatchObject({ _tag: "TaskFailed", error: "dummy error" })
      expect(checkedInBody).toBe(true)
      expect(handle?.status).toBe("failed")
      expect(yield* handle!.exception).toBe("dummy error")
      expect((yield* Effect.flip(handle!.returnValue))._tag).toBe("TaskFailed")
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) {
        const r = exit.cause.reasons[0]
        expect(r?._tag === "Fail" && r.error.exceptions).toEqual(["dummy error"])
      }
    })
  )

  // anyio: TestCreateTask.test_cancel (both wait_until_running values)
  for (const waitUntilRunning of [true, false]) {
    it.effect(`cancel() cancels only that task (waitUntilRunning=${waitUntilRunning})`, () =>
      Effect.gen(function* () {
        let started = false
        let siblingDone = false
        yield* autojump(
          createTaskGroup((tg) =>
            Effect.gen(function* () {
              const handle = yield* tg.createTask(
                Effect.gen(function* () {
                  started = true
                  yield* sleepForever()
                })
              )
              yield* tg.startSoon(
                Effect.andThen(
                  sleep(1),
                  Effect.sync(() => {
                    siblingDone = true
                  })
                )
              )
              if (waitUntilRunning) yield* waitAllTasksBlocked()
              yield* handle.cancel("not needed")
              // "cancelling" until the task has finished (AnyIO: until the loop runs it again), also
              // for a parked task that ended within cancel().
              expect(handle.status).toBe("cancelling")
              expect((yield* Effect.flip(handle.returnValue))._tag).toBe("TaskCancelled")
              expect((yield* Effect.flip(handle.exception))._tag).toBe("TaskCancelled")
              const e = yield* Effect.flip(handle.join)
              expect(e._tag).toBe("TaskCancelled")
              expect(e._tag === "TaskCancelled" && e.reason).toBe(
                "cancelled explicitly by task 'main': not needed"
              )
              expect(handle.status).toBe("cancelled")
            })
          )
        )
        // Like AnyIO: the task runs up to its first checkpoint before it sees the cancellation.
        expect(started).toBe(true)
        expect(siblingDone).toBe(true)
      })
    )
  }

  // anyio: TestCreateTask.test_non_coro
  it.effect("createTask with something that is not an Effect dies with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        createTaskGroup((tg) => tg.createTask((() => Effect.void) as unknown as Effect.Effect<void>))
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const text = Exit.isFailure(exit)
        ? String(
            exit.cause.reasons.map((r) => (r._tag === "Fail" ? r.error : r._tag === "Die" ? r.defect : ""))
          )
        : ""
      expect(text).toContain("expected an Effect")
    })
  )

  // anyio: TestCreateTask.test_wait
  it.effect("wait() returns however the task ended", () =>
    Effect.gen(function* () {
      let handle: TaskHandle<never, string> | undefined
      let statusBefore = ""
      const exit = yield* Effect.exit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            handle = yield* tg.createTask(Effect.fail("dummy error"))
            statusBefore = handle.status
            yield* handle.wait
          })
        )
      )
      expect(statusBefore).toBe("pending")
      expect(Exit.isFailure(exit)).toBe(true)
      expect(handle?.status).toBe("failed")
      yield* handle!.wait
      expect(yield* handle!.exception).toBe("dummy error")
    })
  )
})

describe("tracing and logs", () => {
  it.effect("with TaskTracing on, groups, tasks and scopes are spans with their outcome", () =>
    Effect.gen(function* () {
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span: (options) => {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      yield* autojump(
        createTaskGroup(
          (tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(Effect.void, { name: "ok-task" })
              yield* tg.startSoon(moveOnAfter(1, sleepForever()), { name: "scoped" })
              yield* tg.startSoon(sleepForever(), { name: "victim" })
              yield* sleep(2)
              yield* tg.cancel("done")
            }),
          { name: "main" }
        ).pipe(Effect.provideService(TaskTracing, true), Effect.provideService(Tracer.Tracer, tracer))
      )
      const byName = new Map(spans.map((s) => [s.name, s]))
      const group = byName.get("task group main")
      expect(group).toBeDefined()
      const parentName = (name: string) => {
        const parent = byName.get(name)?.parent
        return parent !== undefined && Option.isSome(parent) && parent.value._tag === "Span"
          ? parent.value.name
          : undefined
      }
      expect(parentName("task ok-task")).toBe("task group main")
      expect(parentName("task scoped")).toBe("task group main")
      expect(parentName("cancel scope")).toBe("task scoped")
      expect(byName.get("task ok-task")?.attributes.get("anyio.outcome")).toBe("ok")
      expect(byName.get("task victim")?.attributes.get("anyio.outcome")).toBe("cancelled")
      expect(byName.get("task victim")?.attributes.get("anyio.cancel_reason")).toBe(
        "cancelled explicitly by task 'main': done"
      )
      expect(byName.get("cancel scope")?.attributes.get("anyio.outcome")).toBe("ok")
    })
  )

  it.effect("without TaskTracing, no spans are created", () =>
    Effect.gen(function* () {
      let count = 0
      const tracer = Tracer.make({
        span: (options) => {
          count++
          return new Tracer.NativeSpan(options)
        }
      })
      yield* createTaskGroup((tg) => tg.startSoon(moveOnAfter(1, Effect.void))).pipe(
        Effect.provideService(Tracer.Tracer, tracer)
      )
      expect(count).toBe(0)
    })
  )

  it.effect("log lines written inside a task carry its name", () =>
    Effect.gen(function* () {
      const seen: Array<Record<string, unknown>> = []
      const logger = Logger.make(({ fiber }) => {
        seen.push({ ...fiber.getRef(References.CurrentLogAnnotations) })
      })
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(Effect.log("a"), { name: "worker-1" })
          yield* tg.startSoon(Effect.annotateLogs(Effect.log("b"), "x", 1), { name: "worker-2" })
          yield* tg.startSoon(
            createTaskGroup((inner) => inner.startSoon(Effect.log("c"), { name: "deep" })),
            {
              name: "outer"
            }
          )
        })
      ).pipe(Effect.provide(Logger.layer([logger])))
      expect(seen).toEqual([{ task: "worker-1" }, { task: "worker-2", x: 1 }, { task: "deep" }])
    })
  )
})
