/**
 * ResourceGuard (AnyIO's tests/test_synchronization.py, TestResourceGuard). `// anyio: name` marks a
 * port.
 */
import { Cause, Effect, Exit, Fiber } from "effect"
import { BusyResourceError } from "../src/Errors.ts"
import { ResourceGuard } from "../src/ResourceGuard.ts"
import { describe, expect, expectFailure, it } from "./helpers.ts"

describe("ResourceGuard", () => {
  it.effect("use fails with BusyResourceError while the resource is in use", () =>
    Effect.gen(function* () {
      const guard = new ResourceGuard("reading from")
      const inner = yield* guard.use(Effect.exit(guard.use(Effect.void)))
      expectFailure(inner, BusyResourceError)
      if (Exit.isFailure(inner)) {
        const error = inner.cause.reasons.find(Cause.isFailReason)?.error as BusyResourceError
        expect(error.message).toBe("Another task is already reading from this resource")
      }
      expect(guard.inUse()).toBe(false)
      // free again after a failure, and for another task
      yield* Effect.exit(guard.use(Effect.fail("boom")))
      expect(yield* guard.use(Effect.succeed(1))).toBe(1)
    })
  )

  it.effect("concurrent use by another task fails", () =>
    Effect.gen(function* () {
      const guard = new ResourceGuard()
      const holder = yield* Effect.forkChild(guard.use(Effect.never), { startImmediately: true })
      const exit = yield* Effect.exit(guard.use(Effect.void))
      expectFailure(exit, BusyResourceError)
      yield* Fiber.interrupt(holder)
      expect(guard.inUse()).toBe(false)
    })
  )

  it.effect("useScoped holds the guard until the scope closes", () =>
    Effect.gen(function* () {
      const guard = new ResourceGuard()
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* guard.useScoped()
          expect(guard.inUse()).toBe(true)
          expectFailure(yield* Effect.exit(Effect.scoped(guard.useScoped())), BusyResourceError)
        })
      )
      expect(guard.inUse()).toBe(false)
    })
  )
})
