/**
 * Task groups that live as long as a `Scope` or a `Layer` (issue: task groups in Effect services).
 *
 * In AnyIO the body of `async with create_task_group() as tg:` runs in the host task, so a failing
 * background task cancels the host and the `ExceptionGroup` comes out of the `async with`. An Effect
 * service built from Layers has no such block: its background tasks outlive the code that started
 * them. {@link createTaskGroupScoped} gives such code a group that lives until its `Scope` closes,
 * with the same guarantee:
 *
 * - Every task is cancelled when the scope closes (AnyIO's rules: the close waits for each task's
 *   finalizers, shielded cleanup runs, every finalizer once).
 * - A failing task cancels its siblings at once and then **interrupts the owner**: the fiber that
 *   created the group (for a Layer: the fiber that builds it, i.e. the program using the Layer).
 *   An Effect cannot be failed from outside, only interrupted; so the owner is interrupted, its
 *   scopes close, and the group's close adds the `ExceptionGroup` to the owner's exit as a defect.
 *   The program's `Exit` is then `Failure` with an interruption and that `ExceptionGroup`:
 *   `Effect.runPromise` rejects with the `ExceptionGroup`, `run()` prints it and exits 1. Wrap the
 *   program in {@link surfaceTaskGroupFailures} to turn it into a typed failure instead
 *   (`catchTag("ExceptionGroup")` then works). Nothing is lost and nothing hangs.
 * - {@link surfaceTaskGroupFailures} also names the owner: the program it wraps, whatever fiber
 *   builds the Layer. Without it, the creating fiber may be gone when a task fails (a Layer built
 *   once by a `ManagedRuntime`; a Layer built in a fiber of its own, as `Layer.mergeAll` builds its
 *   layers concurrently): the failure is then logged at error level at once, with the creator's
 *   services (its logger), and raised again when the scope closes; the program is not stopped. Run
 *   programs that use such Layers with `run()` or wrapped in {@link surfaceTaskGroupFailures}.
 *
 * @since 0.1.0
 */
import { Cause, Context, Deferred, Effect, Exit, Fiber, Layer, type Scope } from "effect"
import type { ExceptionGroup } from "./ExceptionGroup.ts"
import { isExceptionGroup } from "./ExceptionGroup.ts"
import type { SpawnOptions, StartOptions, TaskGroup, TaskHandle, TaskStatus } from "./TaskGroup.ts"
import { createTaskGroup } from "./TaskGroup.ts"

/**
 * A task group owned by a `Scope` (see {@link createTaskGroupScoped}). Its tasks' failures are
 * reported to the owner (see the module docs), so they are not part of the types here: starting a
 * task adds nothing to the requirements.
 *
 * @category models
 */
export interface ScopedTaskGroup {
  /** Starts a task (AnyIO's `start_soon`); see {@link TaskGroup.startSoon}. */
  startSoon<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<TaskHandle<A, E>, never, R>
  startSoon<Args extends ReadonlyArray<unknown>, A, E, R>(
    fn: (...args: Args) => Effect.Effect<A, E, R>,
    ...args: Args
  ): Effect.Effect<TaskHandle<A, E>, never, R>
  startSoon<Args extends ReadonlyArray<unknown>, A, E, R>(
    options: SpawnOptions,
    fn: Effect.Effect<A, E, R> | ((...args: Args) => Effect.Effect<A, E, R>),
    ...args: Args
  ): Effect.Effect<TaskHandle<A, E>, never, R>
  /** Starts a task and waits for its `started(value)` (AnyIO's `start`); see {@link TaskGroup.start}. */
  start<Args extends ReadonlyArray<unknown>, V, A, E, R>(
    fn: (...args: [...Args, TaskStatus<V>]) => Effect.Effect<A, E, R>,
    ...args: Args
  ): Effect.Effect<V, E, R>
  start<Args extends ReadonlyArray<unknown>, V, A, E, R>(
    options: StartOptions & { readonly returnHandle: true },
    fn: (...args: [...Args, TaskStatus<V>]) => Effect.Effect<A, E, R>,
    ...args: Args
  ): Effect.Effect<TaskHandle<A, E, V>, E, R>
  start<Args extends ReadonlyArray<unknown>, V, A, E, R>(
    options: StartOptions & { readonly returnHandle?: false | undefined },
    fn: (...args: [...Args, TaskStatus<V>]) => Effect.Effect<A, E, R>,
    ...args: Args
  ): Effect.Effect<V, E, R>
  /** Starts a task and returns its handle (AnyIO 4.14's `create_task`). */
  createTask<A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: SpawnOptions
  ): Effect.Effect<TaskHandle<A, E>, never, R>
  /** Cancels every task of the group; the group stays open for new tasks until its scope closes. */
  cancel(reason?: string): Effect.Effect<void>
}

/**
 * The current scoped task group, as a service: provide it with {@link taskGroupLayer}, reach it
 * from deep code with `yield* CurrentTaskGroup`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CurrentTaskGroup, sleep } from "effect-anyio"
 * const background = Effect.gen(function* () {
 *   const tg = yield* CurrentTaskGroup
 *   yield* tg.startSoon(sleep(1))
 * })
 * ```
 * @category services
 */
export class CurrentTaskGroup extends Context.Service<CurrentTaskGroup, ScopedTaskGroup>()(
  "effect-anyio/CurrentTaskGroup"
) {}

// The fiber a failing scoped group interrupts: the region made by surfaceTaskGroupFailures, else
// the fiber that created the group. Interrupting a fiber cannot be undone inside it, so the region
// is a child fiber whose exit the parent reads (and turns into a failure).
const OwnerRegion = Context.Reference<Fiber.Fiber<unknown, unknown> | undefined>("effect-anyio/OwnerRegion", {
  defaultValue: () => undefined
})

// The ExceptionGroups a scoped group raised: surfaceTaskGroupFailures turns exactly these defects
// back into failures (a defect of the user's own stays a defect).
const raised = new WeakSet<object>()

/**
 * A task group that lives until the current `Scope` closes (the scoped form of
 * {@link createTaskGroup}, for Layers and other scoped code). See the module docs for how a task's
 * failure reaches the owner.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Context } from "effect"
 * import { createTaskGroupScoped, type TaskStatus, sleepForever } from "effect-anyio"
 *
 * class Worker extends Context.Service<Worker, { readonly ready: string }>()("Worker") {}
 * const worker = (status: TaskStatus<string>) =>
 *   Effect.andThen(status.started("up"), sleepForever())
 * const WorkerLive = Layer.effect(Worker)(
 *   Effect.gen(function* () {
 *     const tg = yield* createTaskGroupScoped()
 *     const ready = yield* tg.start(worker) // readiness during layer construction
 *     return { ready }
 *   })
 * )
 * ```
 * @category constructors
 */
export const createTaskGroupScoped = (options?: {
  readonly name?: string | undefined
}): Effect.Effect<ScopedTaskGroup, never, Scope.Scope> =>
  Effect.withFiber((fiber) =>
    Effect.gen(function* () {
      const owner = fiber.getRef(OwnerRegion) ?? fiber
      const context = fiber.context
      const ready = yield* Deferred.make<TaskGroup>()
      let closing = false
      const host = yield* Effect.forkDetach(
        createTaskGroup((tg) => Effect.andThen(Deferred.succeed(ready, tg), Effect.never), options),
        { startImmediately: true }
      )
      host.addObserver((exit) => {
        if (closing || Exit.isSuccess(exit)) return
        if (owner.pollUnsafe() === undefined) {
          owner.interruptUnsafe(host.id)
        } else {
          // With the creator's services, so the program's own logger reports it.
          Effect.runForkWith(context)(
            Effect.logError("a scoped task group failed after its owner finished", exit.cause)
          )
        }
      })
      yield* Effect.addFinalizer(() =>
        Effect.gen(function* () {
          closing = true
          if (host.pollUnsafe() === undefined) {
            const tg = yield* Deferred.await(ready)
            yield* tg.cancel("the scoped task group's scope closed")
          }
          const exit = yield* Fiber.await(host)
          if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) {
            const eg = Cause.squash(exit.cause)
            if (isExceptionGroup(eg)) raised.add(eg)
            return yield* Effect.die(eg)
          }
        })
      )
      const tg = yield* Deferred.await(ready)
      return scopedFace(tg)
    })
  )

// The group's own methods, minus the `Spawned` capability (failures reach the owner instead).
const scopedFace = (tg: TaskGroup): ScopedTaskGroup =>
  ({
    startSoon: tg.startSoon.bind(tg),
    start: tg.start.bind(tg),
    createTask: tg.createTask.bind(tg),
    cancel: (reason?: string) => tg.cancelScope.cancel(reason)
  }) as ScopedTaskGroup

/**
 * A Layer that provides {@link CurrentTaskGroup}: a scoped task group living as long as the Layer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CurrentTaskGroup, sleep, taskGroupLayer } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const tg = yield* CurrentTaskGroup
 *   yield* tg.startSoon(sleep(1))
 * }).pipe(Effect.provide(taskGroupLayer()))
 * ```
 * @category layers
 */
export const taskGroupLayer = (options?: {
  readonly name?: string | undefined
}): Layer.Layer<CurrentTaskGroup> => Layer.effect(CurrentTaskGroup)(createTaskGroupScoped(options))

/**
 * Turns the `ExceptionGroup` that a scoped task group raised while tearing down its owner (a defect
 * beside an interruption, see the module docs) into a typed failure of `program`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createTaskGroupScoped, surfaceTaskGroupFailures } from "effect-anyio"
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const tg = yield* createTaskGroupScoped()
 *     yield* tg.startSoon(Effect.fail("boom"))
 *     yield* Effect.never
 *   })
 * ).pipe(surfaceTaskGroupFailures, Effect.catchTag("ExceptionGroup", (eg) => Effect.succeed(eg.exceptions)))
 * ```
 * @category combinators
 */
export const surfaceTaskGroupFailures = <A, E, R>(
  program: Effect.Effect<A, E, R>
): Effect.Effect<A, E | ExceptionGroup<unknown>, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function* () {
      const region = yield* Effect.forkChild(
        restore(Effect.withFiber((self) => Effect.provideService(program, OwnerRegion, self))),
        { startImmediately: true }
      )
      const exit = yield* restore(Fiber.await(region)).pipe(Effect.onInterrupt(() => Fiber.interrupt(region)))
      if (Exit.isSuccess(exit)) return exit.value
      for (const reason of exit.cause.reasons) {
        if (reason._tag === "Die" && typeof reason.defect === "object" && reason.defect !== null) {
          if (raised.has(reason.defect)) return yield* Effect.fail(reason.defect as ExceptionGroup<unknown>)
        }
      }
      return yield* Effect.failCause(exit.cause)
    })
  )
