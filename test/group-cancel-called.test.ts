/**
 * After a cancellation reaches a task group (in its body, in its exit wait, by a deadline of an
 * enclosing scope) or a task fails, AnyIO's `tg.cancel_scope.cancel_called` reads true:
 * `TaskGroup.__aexit__` cancels its own scope. The enclosing scope still catches the cancellation.
 * AnyIO 4.14's printout: test/reference/group_cancel_called.py.
 */
import { Data, Effect, Option } from "effect"
import { type CancelScope, createTaskGroup, moveOnAfter, sleep, type TaskGroup } from "../src/index.ts"
import { describe, expect, it } from "./helpers.ts"

class Boom extends Data.TaggedError("Boom")<{}> {}

const read = (tg: TaskGroup | undefined) => ({
  cancelCalled: tg!.cancelScope.cancelCalled,
  cancelledCaught: tg!.cancelScope.cancelledCaught
})

describe("tg.cancelScope after the group exits", () => {
  it.autojump("an outer cancellation during the body: cancelCalled true, not caught", () =>
    Effect.gen(function* () {
      let inner: TaskGroup | undefined
      yield* createTaskGroup((outer) =>
        Effect.gen(function* () {
          yield* outer.startSoon(() =>
            createTaskGroup((tg) => {
              inner = tg
              return sleep(10)
            })
          )
          yield* sleep(0.01)
          yield* outer.cancelScope.cancel()
        })
      )
      expect(read(inner)).toEqual({ cancelCalled: true, cancelledCaught: false })
    })
  )

  it.autojump("an outer cancellation during the exit wait: cancelCalled true, not caught", () =>
    Effect.gen(function* () {
      let inner: TaskGroup | undefined
      yield* createTaskGroup((outer) =>
        Effect.gen(function* () {
          yield* outer.startSoon(() =>
            createTaskGroup((tg) => {
              inner = tg
              return tg.startSoon(() => sleep(10))
            })
          )
          yield* sleep(0.01)
          yield* outer.cancelScope.cancel()
        })
      )
      expect(read(inner)).toEqual({ cancelCalled: true, cancelledCaught: false })
    })
  )

  it.autojump("a failing task: cancelCalled true, not caught", () =>
    Effect.gen(function* () {
      let inner: TaskGroup | undefined
      const exit = yield* Effect.exit(
        createTaskGroup((tg) => {
          inner = tg
          return Effect.andThen(
            tg.startSoon(() => Effect.fail(new Boom())),
            sleep(10)
          )
        })
      )
      expect(exit._tag).toBe("Failure")
      expect(read(inner)).toEqual({ cancelCalled: true, cancelledCaught: false })
    })
  )

  it.autojump("an enclosing deadline: cancelCalled true, the enclosing scope catches", () =>
    Effect.gen(function* () {
      let inner: TaskGroup | undefined
      let outer: CancelScope | undefined
      const result = yield* moveOnAfter(0.01, (scope) => {
        outer = scope
        return createTaskGroup((tg) => {
          inner = tg
          return tg.startSoon(() => sleep(10))
        })
      })
      expect(Option.isNone(result)).toBe(true)
      expect(read(inner)).toEqual({ cancelCalled: true, cancelledCaught: false })
      expect(outer!.cancelledCaught).toBe(true)
    })
  )

  it.autojump("a group that ends normally: cancelCalled false", () =>
    Effect.gen(function* () {
      let inner: TaskGroup | undefined
      yield* createTaskGroup((tg) => {
        inner = tg
        return tg.startSoon(() => sleep(0))
      })
      expect(inner!.cancelScope.cancelCalled).toBe(false)
    })
  )
})
