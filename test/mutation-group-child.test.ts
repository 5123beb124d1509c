/**
 * Tests written to kill the mutants of a task group's tasks (internal/child.ts; see
 * test/MUTATION.md): the task handle (status, cancel, wait, join, returnValue, exception, its
 * printout), the parent and name of a task, and the `TaskStatus` of `tg.start()`.
 * Run on the virtual clock (`it.autojump`).
 */
import { Effect, Exit, Option } from "effect"
import {
  cancelScope,
  checkpoint,
  createTaskGroup,
  dumpTaskTree,
  getCurrentTask,
  moveOnAfter,
  RuntimeError,
  sleep,
  sleepForever,
  type TaskHandle,
  type TaskStatus,
  waitAllTasksBlocked
} from "../src/index.ts"
import { describe, expect, it } from "./helpers.ts"
import { defectOf, failure } from "./taskgroup-helpers.ts"

const reasonOf = (e: { readonly _tag: string; readonly reason?: string }) =>
  e._tag === "TaskCancelled" ? e.reason : e._tag

describe("a task handle", () => {
  it.autojump("is pending while it runs, finished after; join and returnValue give its value", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(Effect.as(sleep(1), 7))
        expect(h.status).toBe("pending")
        expect(h.exit).toBeUndefined()
        expect(h.startValue).toBeUndefined()
        expect(String(h)).toBe(`<TaskHandle pending name='${h.name}'>`)
        expect(h.name).toBe(`Task-${h.id}`)
        expect((yield* Effect.flip(h.returnValue))._tag).toBe("TaskNotFinished")
        expect((yield* Effect.flip(h.exception))._tag).toBe("TaskNotFinished")
        expect(yield* h.join).toBe(7)
        expect(h.status).toBe("finished")
        expect(yield* h.returnValue).toBe(7)
        expect(yield* h.exception).toBeUndefined()
        expect(String(h)).toBe(`<TaskHandle finished name='${h.name}'>`)
        // A finished task: wait returns at once, cancel does nothing.
        yield* h.wait
        yield* h.cancel("too late")
        expect(h.status).toBe("finished")
        expect(yield* h.join).toBe(7)
      })
    )
  )

  it.autojump("of a failed task: status failed, join TaskFailed with the error, exception the error", () =>
    Effect.gen(function* () {
      let h: TaskHandle<never, unknown> | undefined
      const exit = yield* Effect.exit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            h = yield* tg.createTask(Effect.andThen(sleep(1), Effect.fail(failure("boom"))))
            yield* h.wait
          })
        )
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(h!.status).toBe("failed")
      const e = yield* Effect.flip(h!.join)
      expect(e._tag).toBe("TaskFailed")
      expect(e._tag === "TaskFailed" && (e.error as { text: string }).text).toBe("boom")
      expect(((yield* h!.exception) as { text: string }).text).toBe("boom")
      expect((yield* Effect.flip(h!.returnValue))._tag).toBe("TaskFailed")
    })
  )

  it.autojump(
    "cancelled by its group: cancelling until it ends, then cancelled with the group's reason",
    () =>
      Effect.gen(function* () {
        let h: TaskHandle<void, never> | undefined
        const seen: Array<string> = []
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            // Its cleanup takes a while: it stays "cancelling" meanwhile.
            h = yield* tg.createTask(Effect.ensuring(sleepForever(), sleep(5)))
            yield* waitAllTasksBlocked()
            seen.push(h.status)
            yield* tg.cancel("enough")
            seen.push(h.status)
            expect(reasonOf(yield* Effect.flip(h.returnValue))).toBe(
              "cancelled explicitly by task 'main': enough"
            )
            // Waiting on it from a shielded scope: the wait is set up after the group's cancellation.
            yield* cancelScope({ shield: true }, h.wait)
            seen.push(h.status)
          })
        )
        expect(seen).toEqual(["pending", "cancelling", "cancelled"])
        expect(reasonOf(yield* Effect.flip(h!.join))).toBe("cancelled explicitly by task 'main': enough")
      })
  )

  it.autojump("cancelled from outside: the reason says so, not the interruption's", () =>
    Effect.gen(function* () {
      let h: TaskHandle<void, never> | undefined
      yield* moveOnAfter(
        1,
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            h = yield* tg.createTask(sleepForever())
            yield* sleepForever()
          })
        )
      )
      expect(h!.status).toBe("cancelled")
      expect(reasonOf(yield* Effect.flip(h!.join))).toBe(
        "cancelled from outside (an enclosing scope or fiber interruption)"
      )
    })
  )
})

describe("a task's name and parent", () => {
  const named = Effect.fn("namedJob")(function* () {
    yield* sleepForever()
  })
  const failsAtOnce = Effect.fn("failsAtOnce")(function* () {
    return yield* Effect.fail(failure("at once"))
  })

  it.autojump("an Effect.fn task is named after it; a given name wins; others are Task-<id>", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const a = yield* tg.startSoon(named)
        const b = yield* tg.startSoon({ name: "given" }, named)
        const c = yield* tg.startSoon(sleepForever())
        // Before its first run the name is the default one.
        expect(a.name).toBe(`Task-${a.id}`)
        yield* waitAllTasksBlocked()
        expect([a.name, b.name, c.name]).toEqual(["namedJob", "given", `Task-${c.id}`])
        yield* tg.cancel()
      })
    )
  )

  it.autojump("a task that fails in its first run is named after its Effect.fn", () =>
    Effect.gen(function* () {
      let h: TaskHandle<never, unknown> | undefined
      yield* Effect.exit(
        createTaskGroup((tg) =>
          Effect.gen(function* () {
            h = yield* tg.createTask(failsAtOnce())
          })
        )
      )
      expect(h!.name).toBe("failsAtOnce")
    })
  )

  it.autojump("a task that succeeds in its first run keeps its default name", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(
          Effect.fn("quick")(function* () {
            return yield* Effect.succeed(1)
          })()
        )
        yield* h.wait
        expect(h.name).toBe(`Task-${h.id}`)
      })
    )
  )

  it.autojump("dumpTaskTree: a running task is pending (a task not run yet is not listed)", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const a = yield* tg.startSoon(sleepForever(), { name: "first" })
        yield* waitAllTasksBlocked()
        yield* tg.startSoon(sleepForever(), { name: "second" })
        const tree = yield* dumpTaskTree()
        expect(tree).toContain(`task #${a.id} 'first' (pending)`)
        expect(tree).not.toContain("'second'")
        yield* tg.cancel()
      })
    )
  )

  it.autojump("a start() task's parent is its caller until started(), then the group's host", () =>
    Effect.gen(function* () {
      const host = yield* getCurrentTask()
      const seen: Array<number | undefined> = []
      let callerId: number | undefined
      yield* createTaskGroup((tg) =>
        tg.startSoon(
          Effect.gen(function* () {
            callerId = (yield* getCurrentTask()).id
            yield* tg.start((status: TaskStatus) =>
              Effect.gen(function* () {
                seen.push((yield* getCurrentTask()).parentId)
                yield* status.started()
                seen.push((yield* getCurrentTask()).parentId)
              })
            )
          })
        )
      )
      expect(seen).toEqual([callerId, host.id])
      expect(callerId).not.toBe(host.id)
    })
  )
})

describe("the TaskStatus of tg.start()", () => {
  it.autojump("started() wakes the caller after the task's step, with the value", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const value = yield* tg.start((status: TaskStatus<number>) =>
            Effect.gen(function* () {
              yield* status.started(5)
              events.push("task goes on")
              yield* sleep(1)
              events.push("task done")
            })
          )
          events.push(`start returned ${value}`)
        })
      )
      expect(events).toEqual(["task goes on", "start returned 5", "task done"])
    })
  )

  it.autojump("with returnHandle: the handle, whose startValue is the value", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const handle = yield* tg.start({ returnHandle: true }, (status: TaskStatus<string>) =>
          Effect.andThen(status.started("ready"), Effect.as(sleep(1), 9))
        )
        expect(handle.startValue).toBe("ready")
        expect(handle.status).toBe("pending")
        expect(yield* handle.join).toBe(9)
        expect(handle.startValue).toBe("ready")
      })
    )
  )

  it.autojump("started() before the task's effect was made (a synchronous wrapper) answers at once", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const value = yield* tg.start((status: TaskStatus<number>) => {
          Effect.runSync(status.started(4))
          return sleep(1)
        })
        expect(value).toBe(4)
        const handle = yield* tg.start({ returnHandle: true }, (status: TaskStatus<number>) => {
          Effect.runSync(status.started(6))
          return Effect.as(sleep(1), "end")
        })
        expect(handle.startValue).toBe(6)
        expect(yield* handle.join).toBe("end")
      })
    )
  )

  it.autojump("started() twice dies with RuntimeError in the task, the first value stays", () =>
    Effect.gen(function* () {
      let second: Exit.Exit<void> | undefined
      const value = yield* createTaskGroup((tg) =>
        tg.start((status: TaskStatus<number>) =>
          Effect.gen(function* () {
            yield* status.started(1)
            second = yield* Effect.exit(status.started(2))
          })
        )
      )
      expect(value).toEqual(Option.some(1))
      const defect = defectOf(second!)
      expect(defect).toBeInstanceOf(RuntimeError)
      expect((defect as RuntimeError).message).toBe("called 'started' twice on the same task status")
    })
  )

  it.autojump("a task that returns without started(): start() dies with its message", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        createTaskGroup((tg) => tg.start((_status: TaskStatus) => Effect.andThen(sleep(1), Effect.void)))
      )
      const text = String(exit)
      expect(text).toContain(
        "the task ended without calling started() on the TaskStatus that start() passed it"
      )
    })
  )

  it.autojump("a task that fails before started(): start() fails with that error, the group carries on", () =>
    Effect.gen(function* () {
      const r = yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const e = yield* Effect.flip(
            tg.start((_status: TaskStatus) => Effect.andThen(sleep(1), Effect.fail(failure("early"))))
          )
          yield* checkpoint()
          return e.text
        })
      )
      expect(r).toEqual(Option.some("early"))
    })
  )
})

describe("handle.cancel()", () => {
  it.autojump("cancels that task alone, with the caller's name and message as its reason", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const h = yield* tg.createTask(sleepForever())
          const sibling = yield* tg.createTask(Effect.as(sleep(2), "sibling"))
          yield* tg.startSoon(
            Effect.gen(function* () {
              yield* sleep(1)
              yield* h.cancel("not needed")
              // A second cancel changes nothing (its message is not taken).
              yield* h.cancel("other")
            }),
            { name: "canceller" }
          )
          const e = yield* Effect.flip(h.join)
          events.push(reasonOf(e) ?? "")
          events.push(h.status)
          events.push(String(yield* sibling.join))
        })
      )
      expect(events).toEqual(["cancelled explicitly by task 'canceller': not needed", "cancelled", "sibling"])
    })
  )

  it.autojump("a cancel without a message: the reason names the caller only", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(sleepForever())
        yield* waitAllTasksBlocked()
        yield* h.cancel()
        expect(reasonOf(yield* Effect.flip(h.join))).toBe("cancelled explicitly by task 'main'")
      })
    )
  )

  it.autojump("of a parked task: cancelling until the next step, though its fiber ended at once", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(sleepForever())
        yield* waitAllTasksBlocked()
        yield* h.cancel()
        // The fiber has ended within cancel(), but AnyIO's task ends when the loop next runs it.
        expect(h.exit).toBeDefined()
        expect(h.status).toBe("cancelling")
        expect(String(h)).toBe(`<TaskHandle cancelling name='${h.name}'>`)
        expect((yield* Effect.flip(h.returnValue))._tag).toBe("TaskCancelled")
        const order: Array<string> = []
        yield* tg.startSoon(Effect.sync(() => order.push("scheduled after the cancel")))
        yield* h.wait
        order.push("wait returned")
        expect(order).toEqual(["scheduled after the cancel", "wait returned"])
        expect(h.status).toBe("cancelled")
        // Done now: wait returns at once.
        yield* h.wait
      })
    )
  )

  it.autojump("of a task that is still cleaning up: cancelling until its cleanup ends", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(Effect.ensuring(sleepForever(), sleep(3)))
        yield* waitAllTasksBlocked()
        yield* h.cancel("stop")
        yield* sleep(1)
        expect(h.status).toBe("cancelling")
        expect(h.exit).toBeUndefined()
        expect(reasonOf(yield* Effect.flip(h.returnValue))).toBe("cancelled explicitly by task 'main': stop")
        yield* h.wait
        expect(h.status).toBe("cancelled")
        expect(reasonOf(yield* Effect.flip(h.join))).toBe("cancelled explicitly by task 'main': stop")
      })
    )
  )

  it.autojump("of a task not begun yet: it is cancelled at its first checkpoint", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const h = yield* tg.createTask(
            Effect.gen(function* () {
              events.push("ran")
              yield* checkpoint()
              events.push("after checkpoint")
            })
          )
          yield* h.cancel()
          expect(h.status).toBe("cancelling")
          yield* h.wait
          expect(h.status).toBe("cancelled")
        })
      )
      expect(events).toEqual(["ran"])
    })
  )
})

describe("handle.wait", () => {
  it.autojump("given up (its waiter cancelled): the task's end does not wake it", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(sleep(5))
        const r = yield* moveOnAfter(1, h.wait)
        expect(Option.isNone(r)).toBe(true)
        yield* sleep(10)
        expect(h.status).toBe("finished")
      })
    )
  )

  it.autojump("several waiters are woken in the order they came", () =>
    Effect.gen(function* () {
      const order: Array<string> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const h = yield* tg.createTask(sleep(2))
          for (const name of ["a", "b", "c"]) {
            yield* tg.startSoon(
              Effect.andThen(
                h.wait,
                Effect.sync(() => order.push(name))
              )
            )
          }
        })
      )
      expect(order).toEqual(["a", "b", "c"])
    })
  )
})

describe("more on waiting and cancelling", () => {
  it.autojump("a task waiting on a handle when the group is cancelled is woken when the task ends", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const h = yield* tg.createTask(Effect.ensuring(sleepForever(), sleep(1)))
          yield* tg.startSoon(
            cancelScope(
              { shield: true },
              Effect.andThen(
                h.wait,
                Effect.sync(() => events.push(`woken, ${h.status}`))
              )
            )
          )
          yield* waitAllTasksBlocked()
          yield* tg.cancel("stop")
        })
      )
      expect(events).toEqual(["woken, cancelled"])
    })
  )

  it.autojump("a waiter that came before handle.cancel() is woken only when the cleanup ended", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const h = yield* tg.createTask(
            Effect.ensuring(
              sleepForever(),
              Effect.andThen(
                sleep(2),
                Effect.sync(() => events.push("cleanup done"))
              )
            )
          )
          yield* tg.startSoon(
            Effect.andThen(
              h.wait,
              Effect.sync(() => events.push(`waiter woken, ${h.status}`))
            )
          )
          yield* waitAllTasksBlocked()
          yield* h.cancel()
          yield* sleep(1)
          events.push("1s later")
        })
      )
      expect(events).toEqual(["1s later", "cleanup done", "waiter woken, cancelled"])
    })
  )

  it.autojump("a joiner is woken after the tasks already due in the step the task ended", () =>
    Effect.gen(function* () {
      const events: Array<string> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          const h = yield* tg.createTask(
            Effect.andThen(
              sleep(1),
              Effect.sync(() => events.push("h ends"))
            )
          )
          yield* tg.startSoon(
            Effect.andThen(
              h.wait,
              Effect.sync(() => events.push("joiner woken"))
            )
          )
          yield* tg.startSoon(
            Effect.andThen(
              sleep(1),
              Effect.sync(() => events.push("other task at 1s"))
            )
          )
        })
      )
      expect(events).toEqual(["h ends", "other task at 1s", "joiner woken"])
    })
  )

  it.autojump("a task that interrupts itself: TaskCancelled, from outside", () =>
    createTaskGroup((tg) =>
      Effect.gen(function* () {
        const h = yield* tg.createTask(Effect.andThen(sleep(1), Effect.interrupt))
        const e = yield* Effect.flip(h.join)
        expect(reasonOf(e)).toBe("cancelled from outside (an enclosing scope or fiber interruption)")
        expect(h.status).toBe("cancelled")
        expect((yield* Effect.flip(h.exception))._tag).toBe("TaskCancelled")
      })
    )
  )

  it.autojump("a task not begun when its group is cancelled: cancelling, then cancelled", () =>
    Effect.gen(function* () {
      let h: TaskHandle<void, never> | undefined
      const seen: Array<string> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          h = yield* tg.createTask(sleepForever())
          yield* tg.cancel("early")
          seen.push(h.status)
          const e = yield* Effect.flip(h.returnValue)
          seen.push(e._tag)
        })
      )
      expect(seen).toEqual(["cancelling", "TaskCancelled"])
      expect(h!.status).toBe("cancelled")
    })
  )
})
