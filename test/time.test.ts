/**
 * Checkpoints, sleeping and the clock, ported from AnyIO's tests/test_lowlevel.py (checkpoints) and
 * the time rules of tests/test_taskgroups.py. Programs run under `autojump` (virtual time from 0).
 * `// anyio: name` marks a port of the AnyIO test `name`.
 */

import { Effect, Exit, Option } from "effect"
import {
  cancelShieldedCheckpoint,
  checkpoint,
  checkpointIfCancelled,
  createTaskGroup,
  currentTime,
  moveOnAfter,
  type Seconds,
  sleep,
  sleepForever,
  sleepUntil
} from "../src/index.ts"
import { describe, expect, it } from "./helpers.ts"

const defectTags = (exit: Exit.Exit<unknown, unknown>): Array<string | undefined> =>
  Exit.isFailure(exit)
    ? exit.cause.reasons.flatMap((r) =>
        r._tag === "Die"
          ? [
              typeof r.defect === "object" && r.defect !== null && "_tag" in r.defect
                ? String(r.defect._tag)
                : undefined
            ]
          : []
      )
    : []

describe("checkpoints", () => {
  for (const cancel of [false, true]) {
    // anyio: test_checkpoint_if_cancelled
    it.autojump(
      `checkpointIfCancelled does not yield, and raises a pending cancellation (cancel=${cancel})`,
      () =>
        Effect.gen(function* () {
          let finished = false
          let secondSawFinished: boolean | undefined
          let secondFinished = false
          yield* createTaskGroup((tg) =>
            tg.startSoon(
              Effect.gen(function* () {
                yield* tg.startSoon(
                  Effect.sync(() => {
                    secondSawFinished = finished
                    secondFinished = true
                  })
                )
                if (cancel) yield* tg.cancelScope.cancel()
                yield* checkpointIfCancelled()
                finished = true
              })
            )
          )
          expect(finished).toBe(!cancel)
          // without a cancellation the first task ran on without letting the second one in
          expect(secondSawFinished).toBe(!cancel)
          expect(secondFinished).toBe(true)
        })
    )

    // anyio: test_checkpoint
    it.autojump(`checkpoint yields to other tasks and raises a pending cancellation (cancel=${cancel})`, () =>
      Effect.gen(function* () {
        let finished = false
        let secondSawFinished: boolean | undefined
        let secondFinished = false
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.gen(function* () {
                yield* checkpoint()
                finished = true
              })
            )
            yield* tg.startSoon(
              Effect.sync(() => {
                secondSawFinished = finished
                secondFinished = true
              })
            )
            if (cancel) yield* tg.cancelScope.cancel()
          })
        )
        expect(finished).toBe(!cancel)
        expect(secondSawFinished).toBe(false)
        expect(secondFinished).toBe(true)
      })
    )

    // anyio: test_cancel_shielded_checkpoint
    it.autojump(
      `cancelShieldedCheckpoint yields to other tasks without raising the cancellation itself (cancel=${cancel})`,
      () =>
        Effect.gen(function* () {
          let checkpointDone = false
          let finished = false
          let secondSawCheckpointDone: boolean | undefined
          let secondFinished = false
          yield* createTaskGroup((tg) =>
            Effect.gen(function* () {
              yield* tg.startSoon(
                Effect.gen(function* () {
                  // the flag is set inside the same uninterruptible step, so it shows the checkpoint
                  // itself returned normally
                  yield* Effect.uninterruptible(
                    Effect.andThen(
                      cancelShieldedCheckpoint(),
                      Effect.sync(() => (checkpointDone = true))
                    )
                  )
                  finished = true
                })
              )
              yield* tg.startSoon(
                Effect.sync(() => {
                  secondSawCheckpointDone = checkpointDone
                  secondFinished = true
                })
              )
              if (cancel) yield* tg.cancelScope.cancel()
            })
          )
          expect(checkpointDone).toBe(true)
          expect(secondSawCheckpointDone).toBe(false)
          expect(secondFinished).toBe(true)
          // AnyIO: finished is True in both cases (nothing checkpoints after it); here the next
          // operation after the checkpoint observes the cancellation (difference 1)
          expect(finished).toBe(!cancel)
        })
    )
  }

  it.autojump("cancelShieldedCheckpoint does not raise inside a scope cancelled before it", () =>
    Effect.gen(function* () {
      const steps: Array<string> = []
      const r = yield* moveOnAfter(1, (scope) =>
        Effect.uninterruptible(
          Effect.gen(function* () {
            yield* scope.cancel()
            yield* cancelShieldedCheckpoint()
            steps.push("after shielded checkpoint")
            yield* Effect.interruptible(checkpoint())
            steps.push("after checkpoint")
          })
        )
      )
      expect(steps).toEqual(["after shielded checkpoint"])
      expect(Option.isNone(r)).toBe(true)
    })
  )
})

describe("sleeping", () => {
  it.autojump("sleep advances the clock by its delay; currentTime starts at 0 under autojump", () =>
    Effect.gen(function* () {
      expect(yield* currentTime()).toBe(0)
      yield* sleep(1.5)
      expect(yield* currentTime()).toBe(1.5)
      yield* sleep("500 millis")
      expect(yield* currentTime()).toBe(2)
    })
  )

  it.autojump("sleep(0) and negative sleeps return at once but still let other tasks run", () =>
    Effect.gen(function* () {
      const order: Array<string> = []
      yield* createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(Effect.sync(() => order.push("other")))
          yield* sleep(-1)
          order.push("after sleep(-1)")
          yield* tg.startSoon(Effect.sync(() => order.push("other 2")))
          yield* sleep(0)
          order.push("after sleep(0)")
        })
      )
      expect(order).toEqual(["other", "after sleep(-1)", "other 2", "after sleep(0)"])
      expect(yield* currentTime()).toBe(0)
    })
  )

  it.autojump("sleepUntil waits for an absolute time and returns at once for a past one", () =>
    Effect.gen(function* () {
      yield* sleepUntil(3)
      expect(yield* currentTime()).toBe(3)
      yield* sleepUntil(1)
      expect(yield* currentTime()).toBe(3)
    })
  )

  it.autojump("sleepForever ends only when cancelled", () =>
    Effect.gen(function* () {
      const r = yield* moveOnAfter(7, sleepForever())
      expect(Option.isNone(r)).toBe(true)
      expect(yield* currentTime()).toBe(7)
    })
  )

  it.autojump("NaN and non-numeric delays die with InvalidArgumentError", () =>
    Effect.gen(function* () {
      expect(defectTags(yield* Effect.exit(sleep(Number.NaN)))).toEqual(["InvalidArgumentError"])
      expect(defectTags(yield* Effect.exit(sleep("later" as unknown as Seconds)))).toEqual([
        "InvalidArgumentError"
      ])
      expect(defectTags(yield* Effect.exit(sleep(null as unknown as Seconds)))).toEqual([
        "InvalidArgumentError"
      ])
      expect(defectTags(yield* Effect.exit(sleepUntil(Number.NaN)))).toEqual(["InvalidArgumentError"])
      expect(defectTags(yield* Effect.exit(sleepUntil("1" as unknown as number)))).toEqual([
        "InvalidArgumentError"
      ])
      expect(yield* currentTime()).toBe(0)
    })
  )
})
