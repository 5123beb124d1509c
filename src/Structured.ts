/**
 * Structured helpers on task groups: the patterns people keep rewriting on top of
 * `createTaskGroup` (AnyIO 4.15's `gather`, `amap` and `as_completed`; Java's StructuredTaskScope
 * joiners; trio's happy eyeballs), as small functions.
 *
 * Every helper runs its effects as tasks of one task group created for the call, so AnyIO's rules
 * hold: nothing outlives the call, a cancellation of the caller cancels every task and waits for
 * them, and failures come out as one {@link ExceptionGroup}. The error type of each helper is
 * `ExceptionGroup<Leaves<E>>` ({@link StructuredError}), where `E` is the union of the effects'
 * error types; defects are members too (as `Defect`). Bad arguments die with
 * `InvalidArgumentError`.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Option, Queue, Stream } from "effect"
import { moveOnAfter } from "./CancelScope.ts"
import { CapacityLimiter } from "./CapacityLimiter.ts"
import { InvalidArgumentError } from "./Errors.ts"
import { Event } from "./Event.ts"
import { type CancelledTask, type ExceptionGroup, fromCause, type GroupOfLeaves } from "./ExceptionGroup.ts"
import { raiseGroup } from "./internal/group.ts"
import { hasFailures } from "./internal/scope.ts"
import { toSeconds } from "./internal/time.ts"
import { createTaskGroup, type TaskGroup } from "./TaskGroup.ts"
import { currentTime, type Seconds } from "./Time.ts"

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** Any effect (the effects of a call are checked by the type parameters). */
type AnyEffect = Effect.Effect<unknown, unknown, unknown>

/** The element type of an iterable. */
type Elem<T> = T extends Iterable<infer X> ? X : never

/**
 * The error of every helper of this module, given the union `E` of the error types of its effects:
 * an {@link ExceptionGroup} whose leaves are the leaves of `E` (a failure that is itself a group,
 * e.g. from a nested task group, becomes a nested member).
 *
 * @example
 * ```ts
 * import type { StructuredError } from "effect-anyio"
 * type E = StructuredError<"NotFound" | "Timeout"> // ExceptionGroup<"NotFound" | "Timeout">
 * ```
 * @category type-level
 */
export type StructuredError<E> = GroupOfLeaves<E>

/** The error of a helper called with the effects `T` (an iterable of effects). */
type ErrorOf<T> = StructuredError<Effect.Error<Elem<T>>>

/**
 * What {@link gather} accepts: an iterable of effects (an array or tuple keeps its shape) or a
 * record of effects.
 *
 * @category models
 */
export type GatherInput = Iterable<AnyEffect> | { readonly [key: string]: AnyEffect }

/** The effects of a {@link GatherInput}, as a union. */
type GatherEffects<T> = T extends Iterable<infer X> ? X : T[keyof T]

/**
 * The result of {@link gather}: a tuple for a tuple, an array for any other iterable, a record for
 * a record.
 *
 * @category type-level
 */
export type GatherResult<T> =
  T extends ReadonlyArray<unknown>
    ? { -readonly [K in keyof T]: Effect.Success<T[K]> }
    : T extends Iterable<infer X>
      ? Array<Effect.Success<X>>
      : { -readonly [K in keyof T]: Effect.Success<T[K]> }

/**
 * Options of {@link amap}.
 *
 * @category models
 */
export interface AmapOptions {
  /**
   * At most this many calls of the function run at once: a positive integer or `Infinity`.
   * Default: no limit.
   */
  readonly limit?: number | undefined
}

/**
 * Options of {@link firstSuccess}.
 *
 * @category models
 */
export interface FirstSuccessOptions {
  /**
   * How long to give an attempt before starting the next one in parallel (RFC 8305's "Connection
   * Attempt Delay"), in seconds or as an Effect `Duration`; `Infinity` starts the next attempt
   * only when the previous one failed. Default: 0.25 (250 ms, as RFC 8305 recommends and trio
   * uses).
   */
  readonly staggerDelay?: Seconds | undefined
}

/**
 * The result of {@link collectUntil}/{@link collectFor}: `R` is `results`' type.
 *
 * @category models
 */
export interface Collected<R> {
  /** In input order: `Some(value)` for an effect that finished in time, `None` for one cancelled. */
  readonly results: R
  /** Indices of the effects that finished in time, in completion order. */
  readonly completed: ReadonlyArray<number>
  /** Indices of the effects that were cancelled (unfinished at the deadline), ascending. */
  readonly cancelled: ReadonlyArray<number>
}

/**
 * `results` of {@link collectUntil}: an `Option` per input position (a tuple for a tuple).
 *
 * @category type-level
 */
export type CollectedResults<T> =
  T extends ReadonlyArray<unknown>
    ? { -readonly [K in keyof T]: Option.Option<Effect.Success<T[K]>> }
    : Array<Option.Option<Effect.Success<Elem<T>>>>

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

const invalid = (message: string): never => {
  throw new InvalidArgumentError({ message })
}

const isIterable = (u: unknown): u is Iterable<unknown> =>
  typeof u === "object" &&
  u !== null &&
  typeof (u as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function"

/** The effects of an iterable, as an array; anything that is not an Effect is an InvalidArgumentError. */
const effectsOf = (effects: unknown, fn: string): Array<AnyEffect> => {
  if (!isIterable(effects)) return invalid(`${fn}() expects an iterable of effects, got ${describe(effects)}`)
  const out: Array<AnyEffect> = []
  for (const e of effects) {
    if (!Effect.isEffect(e)) {
      return invalid(`${fn}() expects an iterable of effects; item ${out.length} is ${describe(e)}`)
    }
    out.push(e as AnyEffect)
  }
  return out
}

const describe = (u: unknown): string =>
  u === null ? "null" : typeof u === "object" ? "an object" : `${typeof u} ${String(u)}`

/** Seconds that must not be NaN or negative (InvalidArgumentError otherwise). */
const nonNegativeSeconds = (value: unknown, what: string): number => {
  const s = toSeconds(value, what)
  return s < 0 ? invalid(`${what} must be >= 0, got ${s}`) : s
}

/** An absolute deadline: a number, not NaN (InvalidArgumentError otherwise). */
const checkDeadline = (value: unknown): number =>
  typeof value === "number" && !Number.isNaN(value)
    ? value
    : invalid(`deadline must be a number of seconds (as from currentTime()), got ${describe(value)}`)

/**
 * Runs `body` in a new task group, forgetting the group's value (the helpers keep their results on
 * the side). The group's error type is recomputed by each public signature.
 */
const inGroup = (
  body: (tg: TaskGroup) => Effect.Effect<void, unknown, unknown>
): Effect.Effect<void, ExceptionGroup<unknown>, unknown> =>
  Effect.asVoid(createTaskGroup(body)) as Effect.Effect<void, ExceptionGroup<unknown>, unknown>

/** Starts one task per effect, named `fn[i]`; `wrap` turns the effect into the task. */
const spawnAll = (
  tg: TaskGroup,
  fn: string,
  effects: ReadonlyArray<AnyEffect>,
  wrap: (effect: AnyEffect, index: number) => AnyEffect
): Effect.Effect<void, never, unknown> =>
  Effect.suspend(() => {
    let step: Effect.Effect<void, never, unknown> = Effect.void
    // startSoon does not yield, so starting in a loop is one synchronous step of the body.
    for (let i = 0; i < effects.length; i++) {
      step = Effect.andThen(step, tg.startSoon(wrap(effects[i]!, i), { name: `${fn}[${i}]` }))
    }
    return step
  })

/** A task's own outcome, told apart the way a task group does. */
type Outcome =
  | { readonly _tag: "Success"; readonly value: unknown }
  /** Typed failures only: the helper records them and goes on. */
  | { readonly _tag: "Failure"; readonly cause: Cause.Cause<unknown> }
  /** A defect or an interruption: propagate to the group as it is. */
  | { readonly _tag: "Propagate"; readonly cause: Cause.Cause<unknown> }

const outcome = (effect: AnyEffect): Effect.Effect<Outcome, never, unknown> =>
  Effect.map(Effect.exit(effect), (exit): Outcome => {
    if (exit._tag === "Success") return { _tag: "Success", value: exit.value }
    const cause = exit.cause
    let fails = false
    for (const r of cause.reasons) {
      if (r._tag === "Die") return { _tag: "Propagate", cause }
      if (r._tag === "Fail") fails = true
    }
    return fails
      ? { _tag: "Failure", cause: Cause.fromReasons(cause.reasons.filter((r) => r._tag === "Fail")) }
      : { _tag: "Propagate", cause }
  })

/** Sets `event` unless `cause` is only interruptions. */
const whenFailed = (cause: Cause.Cause<unknown>, event: Event): Effect.Effect<void> =>
  hasFailures(cause) ? event.set() : Effect.void

/** An ExceptionGroup of the recorded failures, in input order. */
const groupOfFailures = (
  message: string,
  failures: ReadonlyArray<Cause.Cause<unknown> | undefined>,
  cancelled: ReadonlyArray<CancelledTask>
): ExceptionGroup<unknown> => {
  const reasons: Array<Cause.Reason<unknown>> = []
  for (const cause of failures) if (cause !== undefined) reasons.push(...cause.reasons)
  return fromCause(message, Cause.fromReasons(reasons), { cancelled })!
}

/**
 * Successes wanted, failures tolerated: the bookkeeping shared by {@link firstSuccess} and
 * {@link quorum}. `run(i)` runs effect `i` and records its outcome; the group is cancelled when
 * `need` successes arrived or when they no longer can.
 */
class Tally {
  readonly successes: Array<unknown> = []
  readonly failures: Array<Cause.Cause<unknown> | undefined>
  readonly finished: Array<boolean>
  failed = 0
  readonly tg: TaskGroup
  readonly effects: ReadonlyArray<AnyEffect>
  readonly need: number
  constructor(tg: TaskGroup, effects: ReadonlyArray<AnyEffect>, need: number) {
    this.tg = tg
    this.effects = effects
    this.need = need
    this.failures = new Array<Cause.Cause<unknown> | undefined>(effects.length).fill(undefined)
    this.finished = new Array<boolean>(effects.length).fill(false)
  }
  /** Runs effect `i`; returns true when it failed with typed failures only. */
  run(i: number): Effect.Effect<boolean, unknown, unknown> {
    return Effect.flatMap(outcome(this.effects[i]!), (o) => {
      switch (o._tag) {
        case "Success":
          this.finished[i] = true
          if (this.successes.length < this.need) {
            this.successes.push(o.value)
            if (this.successes.length === this.need)
              return Effect.as(this.tg.cancel("enough successes"), false)
          }
          return Effect.succeed(false)
        case "Failure":
          this.finished[i] = true
          this.failures[i] = o.cause
          this.failed++
          if (this.effects.length - this.failed < this.need) {
            return Effect.as(this.tg.cancel("too many failures"), true)
          }
          return Effect.succeed(true)
        case "Propagate":
          return Effect.failCause(o.cause)
      }
    })
  }
  /** After the group: the successes, or an ExceptionGroup of the failures. */
  result(fn: string, message: string): Effect.Effect<Array<unknown>, ExceptionGroup<unknown>> {
    if (this.successes.length >= this.need) return Effect.succeed(this.successes)
    // No success cancelled the group: either too many failed, or a task was interrupted on its own
    // (not by the group); the latter propagates as an interruption, as in `Effect.all`.
    if (this.failed === 0) return Effect.interrupt as Effect.Effect<never>
    const cancelled: Array<CancelledTask> = []
    for (let i = 0; i < this.effects.length; i++) {
      if (!this.finished[i]) cancelled.push({ name: `${fn}[${i}]`, reason: message })
    }
    return raiseGroup(groupOfFailures(message, this.failures, cancelled))
  }
}

// ---------------------------------------------------------------------------------------------
// gather / amap
// ---------------------------------------------------------------------------------------------

/**
 * Runs effects concurrently as tasks of one task group and succeeds with all their results, in
 * input order (AnyIO 4.15's `gather`).
 *
 * **When to use**: to run a known set of independent effects at once and use every result; the
 * structured counterpart of `Effect.all(effects, { concurrency: "unbounded" })`.
 *
 * **Details**
 *
 * - A tuple gives a tuple (`gather([a, b])` is `[A, B]`), any other iterable an array, a record
 *   of effects a record with the same keys.
 * - Every effect starts as its own task (named `gather[i]`, or `gather[key]`) once the caller
 *   yields, in input order.
 * - The first failure cancels every other task; once all of them finished, it fails with one
 *   `ExceptionGroup` of every failure (`ExceptionGroup<Leaves<E>>`, defects as `Defect`), even if
 *   there is only one.
 * - Cancelling the caller cancels every task and waits for them. An empty input gives `[]` (or
 *   `{}`). A task that interrupts itself (`Effect.interrupt`, not a cancellation by the group)
 *   leaves no result: `gather` then propagates the interruption, like `Effect.all`.
 * - Anything that is not an effect dies with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { gather, sleep } from "effect-anyio"
 * const program = Effect.gen(function* () {
 *   const [n, s] = yield* gather([Effect.as(sleep(1), 42), Effect.as(sleep(2), "hi")])
 *   console.log(n, s) // 42 hi, after 2 seconds
 * })
 * ```
 * @see {@link amap} to map a function over items
 * @category structured
 */
export const gather = <const T extends GatherInput>(
  effects: T
): Effect.Effect<
  GatherResult<T>,
  StructuredError<Effect.Error<GatherEffects<T>>>,
  Effect.Services<GatherEffects<T>>
> =>
  Effect.suspend(() => {
    const iterable = isIterable(effects)
    const keys: Array<string | number> = []
    let list: Array<AnyEffect>
    if (iterable) {
      list = effectsOf(effects, "gather")
      for (let i = 0; i < list.length; i++) keys.push(i)
    } else {
      if (typeof effects !== "object" || effects === null) {
        return invalid(`gather() expects an iterable or a record of effects, got ${describe(effects)}`)
      }
      list = []
      for (const [key, e] of Object.entries(effects)) {
        if (!Effect.isEffect(e))
          return invalid(`gather() expects a record of effects; '${key}' is ${describe(e)}`)
        keys.push(key)
        list.push(e as AnyEffect)
      }
    }
    const out: Record<string | number, unknown> = iterable
      ? (new Array<unknown>(list.length) as unknown as Record<number, unknown>)
      : {}
    let done = 0
    return Effect.flatMap(
      inGroup((tg) =>
        Effect.suspend(() => {
          let step: Effect.Effect<void, never, unknown> = Effect.void
          for (let i = 0; i < list.length; i++) {
            const key = keys[i]!
            const task = Effect.map(list[i]!, (a) => {
              out[key] = a
              done++
            })
            step = Effect.andThen(step, tg.startSoon(task, { name: `gather[${key}]` }))
          }
          return step
        })
      ),
      () => (done === list.length ? Effect.succeed(out) : (Effect.interrupt as Effect.Effect<never>))
    )
  }) as unknown as Effect.Effect<
    GatherResult<T>,
    StructuredError<Effect.Error<GatherEffects<T>>>,
    Effect.Services<GatherEffects<T>>
  >

/**
 * Calls `fn` on every item concurrently, as tasks of one task group, at most `limit` at a time, and
 * succeeds with the results in input order (AnyIO 4.15's `amap`, with a limit).
 *
 * **When to use**: to process a batch of items (URLs, files, ids) concurrently while bounding the
 * load; the structured counterpart of `Effect.forEach(items, fn, { concurrency: limit })`.
 *
 * **Details**
 *
 * - `fn(item, index)` is called in the task, when it starts (named `amap[i]`); tasks start in
 *   input order. With a `limit`, the items are read one by one as tokens of a private
 *   `CapacityLimiter` become free (FIFO), so at most `limit` tasks exist at once and a lazy
 *   iterable is consumed only as fast as the work proceeds; each task returns its token when it
 *   ends (a failed one keeps it: the group is being cancelled anyway).
 * - The first failure cancels the running tasks and stops starting new ones; the call then fails
 *   with one `ExceptionGroup` of every failure (`ExceptionGroup<Leaves<E>>`). An exception thrown
 *   by `fn` or by the iterable is a defect member.
 * - `limit` must be a positive integer or `Infinity` (default); anything else dies with
 *   `InvalidArgumentError`. Cancelling the caller cancels every task and waits for them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { amap, sleep } from "effect-anyio"
 * const fetchUser = (id: number) => Effect.as(sleep(0.1), { id })
 * const program = amap(fetchUser, [1, 2, 3, 4, 5], { limit: 2 }) // 3 rounds: 0.3 s
 * ```
 * @see {@link gather}
 * @category structured
 */
export const amap = <T, A, E = never, R = never>(
  fn: (item: T, index: number) => Effect.Effect<A, E, R>,
  items: Iterable<T>,
  options?: AmapOptions
): Effect.Effect<Array<A>, StructuredError<E>, R> =>
  Effect.suspend(() => {
    if (typeof fn !== "function") return invalid(`amap() expects a function, got ${describe(fn)}`)
    if (!isIterable(items)) return invalid(`amap() expects an iterable of items, got ${describe(items)}`)
    const limit = options?.limit ?? Number.POSITIVE_INFINITY
    if (typeof limit !== "number" || !(limit >= 1 && (Number.isSafeInteger(limit) || limit === Infinity))) {
      return invalid(`limit must be a positive integer or Infinity, got ${describe(limit)}`)
    }
    const limiter = limit === Infinity ? undefined : new CapacityLimiter(limit)
    const results: Array<A> = []
    return Effect.as(
      inGroup((tg) =>
        Effect.gen(function* () {
          const iterator = items[Symbol.iterator]()
          for (let i = 0; ; i++) {
            if (limiter !== undefined) {
              // The body borrows the token on behalf of the task before it reads the next item,
              // and the task returns it when it ends, the trio way.
              yield* limiter.acquireOnBehalfOf(i)
              // A failure may have cancelled the group while we waited: start nothing more.
              if (tg.cancelScope.cancelCalled) return yield* limiter.releaseOnBehalfOf(i)
            }
            const next = iterator.next()
            if (next.done === true) {
              if (limiter !== undefined) yield* limiter.releaseOnBehalfOf(i)
              return
            }
            const item = next.value
            let task: AnyEffect = Effect.map(
              Effect.suspend(() => fn(item, i)),
              (a) => {
                results[i] = a
              }
            )
            if (limiter !== undefined) {
              // A failed task keeps its token: the group is about to cancel everything, and
              // handing the token to the body (which resumes at once) would start one more task
              // in the instant before the failure reaches the group.
              const release = limiter.releaseOnBehalfOf(i)
              task = Effect.onExit(task, (exit) =>
                exit._tag === "Success" || !hasFailures(exit.cause) ? release : Effect.void
              )
            }
            yield* tg.startSoon(task, { name: `amap[${i}]` })
          }
        })
      ),
      results
    )
  }) as Effect.Effect<Array<A>, StructuredError<E>, R>

// ---------------------------------------------------------------------------------------------
// asCompleted
// ---------------------------------------------------------------------------------------------

/**
 * Runs effects concurrently as tasks of one task group and emits their results as a `Stream`, in
 * the order they complete (AnyIO 4.15's `as_completed`).
 *
 * **When to use**: to handle each result as soon as it is ready (show the fastest answers first,
 * stop once you have seen enough) without waiting for the slowest.
 *
 * **Details**
 *
 * - Nothing starts until the stream is run; then every effect starts as a task (`asCompleted[i]`).
 *   Each result is emitted when its task completes; results that complete in the same instant come
 *   in scheduling order. To know which effect a value came from, map it first:
 *   `effects.map((e, i) => Effect.map(e, (a) => [i, a] as const))`.
 * - The consumer stopping early (`Stream.take`, `Stream.runHead`, an error downstream, the
 *   consumer's cancellation) cancels the tasks still running, and the stream's run finishes only
 *   after they have finished.
 * - A failure cancels the other tasks; after the results that completed before it, the stream
 *   fails with one `ExceptionGroup` of every failure (`ExceptionGroup<Leaves<E>>`).
 * - An empty input dies with `InvalidArgumentError` when the stream runs, as AnyIO's
 *   `as_completed()` raises `ValueError` ("takes at least one awaitable"); so does anything that
 *   is not an effect.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { asCompleted, sleep } from "effect-anyio"
 * const ask = (name: string, delay: number) => Effect.as(sleep(delay), name)
 * const firstTwo = asCompleted([ask("a", 3), ask("b", 1), ask("c", 2)]).pipe(
 *   Stream.take(2),
 *   Stream.runCollect
 * ) // ["b", "c"] after 2 seconds; "a" is cancelled
 * ```
 * @category structured
 */
export const asCompleted = <const T extends Iterable<AnyEffect>>(
  effects: T
): Stream.Stream<Effect.Success<Elem<T>>, ErrorOf<T>, Effect.Services<Elem<T>>> =>
  Stream.callback<unknown, ExceptionGroup<unknown>, unknown>((queue) =>
    Effect.suspend(() => {
      const list = effectsOf(effects, "asCompleted")
      if (list.length === 0) return invalid("asCompleted() takes at least one effect")
      return Effect.andThen(
        inGroup((tg) =>
          spawnAll(tg, "asCompleted", list, (effect) =>
            Effect.map(effect, (a) => {
              Queue.offerUnsafe(queue, a)
            })
          )
        ),
        Queue.end(queue)
      )
    })
  ) as Stream.Stream<Effect.Success<Elem<T>>, ErrorOf<T>, Effect.Services<Elem<T>>>

// ---------------------------------------------------------------------------------------------
// firstSuccess / quorum
// ---------------------------------------------------------------------------------------------

/**
 * Happy eyeballs (RFC 8305): tries the effects one after another with a stagger, in parallel once
 * started, and succeeds with the first success; the other attempts are cancelled.
 *
 * **When to use**: to connect to the fastest of several equivalent endpoints (the addresses of a
 * host, mirrors, replicas) without waiting for a slow or dead one to time out, and without
 * hammering all of them at once.
 *
 * **Details**
 *
 * - The attempts are tasks of one task group (`firstSuccess[i]`), started in input order: the
 *   first at once, each next one `staggerDelay` seconds after the previous one started, or as
 *   soon as the previous one failed, whichever comes first (trio's `open_tcp_stream` algorithm).
 * - The first success cancels every other attempt, including those not started yet. Two attempts
 *   that succeed in the same instant: the first to report wins and the other value is dropped (if
 *   an attempt acquires a resource, release it in the attempt when it is cancelled).
 * - A typed failure (`Effect.fail`) only ends its attempt. When every attempt failed, it fails
 *   with one `ExceptionGroup` of every failure in input order. A defect is a bug, not a failed
 *   attempt: it cancels everything and comes out as a `Defect` member, as in a task group. The
 *   error type is `ExceptionGroup<Leaves<E>>`.
 * - An empty input, a NaN or negative `staggerDelay` die with `InvalidArgumentError`. Cancelling
 *   the caller cancels every attempt and waits for them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { firstSuccess, sleep } from "effect-anyio"
 * const connect = (host: string, latency: number) => Effect.as(sleep(latency), `connected to ${host}`)
 * const program = firstSuccess([connect("10.0.0.1", 5), connect("10.0.0.2", 0.1)], {
 *   staggerDelay: 0.25
 * }) // "connected to 10.0.0.2" at 0.35 s; the first attempt is cancelled
 * ```
 * @see {@link quorum} for the first `n` successes, all started at once
 * @category structured
 */
export const firstSuccess = <const T extends Iterable<AnyEffect>>(
  effects: T,
  options?: FirstSuccessOptions
): Effect.Effect<Effect.Success<Elem<T>>, ErrorOf<T>, Effect.Services<Elem<T>>> =>
  Effect.suspend(() => {
    const list = effectsOf(effects, "firstSuccess")
    if (list.length === 0) return invalid("firstSuccess() takes at least one effect")
    const stagger = nonNegativeSeconds(options?.staggerDelay ?? 0.25, "staggerDelay")
    let tally: Tally | undefined
    const attempt = (tg: TaskGroup, i: number, previousFailed: Event | undefined): AnyEffect =>
      Effect.gen(function* () {
        if (previousFailed !== undefined) {
          yield* stagger === Infinity ? previousFailed.wait() : moveOnAfter(stagger, previousFailed.wait())
          // A success (or a defect) may have cancelled the group while we waited: start nothing.
          if (tg.cancelScope.cancelCalled) return
        }
        const failed = new Event()
        if (i + 1 < list.length) {
          yield* tg.startSoon(attempt(tg, i + 1, failed), { name: `firstSuccess[${i + 1}]` })
        }
        // The next attempt starts at once when this one failed (a typed failure: `run` gives
        // true; or a defect), not when it was cancelled (trio sets the event in `except OSError`).
        yield* Effect.onExit(tally!.run(i), (exit) =>
          exit._tag === "Success" ? (exit.value ? failed.set() : Effect.void) : whenFailed(exit.cause, failed)
        )
      })
    return Effect.flatMap(
      inGroup((tg) =>
        Effect.suspend(() => {
          tally = new Tally(tg, list, 1)
          return tg.startSoon(attempt(tg, 0, undefined), { name: "firstSuccess[0]" })
        })
      ),
      () =>
        Effect.map(
          tally!.result("firstSuccess", `all ${list.length} attempts failed`),
          (successes) => successes[0]
        )
    )
  }) as Effect.Effect<Effect.Success<Elem<T>>, ErrorOf<T>, Effect.Services<Elem<T>>>

/**
 * Runs effects concurrently as tasks of one task group and succeeds with the first `n` successes
 * in completion order; the other tasks are cancelled (a StructuredTaskScope joiner for "n of m").
 *
 * **When to use**: for quorum reads and writes (succeed once 2 of 3 replicas answered), hedged
 * requests, or "any `n` of these" in general. `quorum(1, effects)` is `firstSuccess` without a
 * stagger.
 *
 * **Details**
 *
 * - Every effect starts at once as a task (`quorum[i]`), in input order. The `n`-th success
 *   cancels the rest; extra successes that land in the same instant are dropped.
 * - A typed failure only ends its task, until so many failed that `n` successes are no longer
 *   possible: then the rest are cancelled (listed in the group's `cancelled`) and it fails with one
 *   `ExceptionGroup` of the failures so far, in input order. A defect cancels everything and comes
 *   out as a `Defect` member, as in a task group. The error type is `ExceptionGroup<Leaves<E>>`.
 * - `n` must be an integer from 0 to the number of effects (InvalidArgumentError otherwise);
 *   `n = 0` starts nothing and gives `[]`. Cancelling the caller cancels every task.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { quorum, sleep } from "effect-anyio"
 * const replica = (name: string, latency: number) => Effect.as(sleep(latency), name)
 * const program = quorum(2, [replica("a", 0.3), replica("b", 0.1), replica("c", 0.2)])
 * // ["b", "c"] at 0.2 s; "a" is cancelled
 * ```
 * @see {@link firstSuccess}
 * @category structured
 */
export const quorum = <const T extends Iterable<AnyEffect>>(
  n: number,
  effects: T
): Effect.Effect<Array<Effect.Success<Elem<T>>>, ErrorOf<T>, Effect.Services<Elem<T>>> =>
  Effect.suspend(() => {
    const list = effectsOf(effects, "quorum")
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      return invalid(`quorum() needs an integer n >= 0, got ${describe(n)}`)
    }
    if (n > list.length)
      return invalid(`quorum() needs n <= the number of effects (${list.length}), got ${n}`)
    if (n === 0) return Effect.succeed([])
    let tally: Tally | undefined
    return Effect.flatMap(
      inGroup((tg) =>
        Effect.suspend(() => {
          const t = (tally = new Tally(tg, list, n))
          return spawnAll(tg, "quorum", list, (_, i) => t.run(i))
        })
      ),
      () =>
        Effect.suspend(() =>
          tally!.result(
            "quorum",
            `quorum of ${n} can no longer be reached: ${tally!.failed} of ${list.length} failed`
          )
        )
    )
  }) as Effect.Effect<Array<Effect.Success<Elem<T>>>, ErrorOf<T>, Effect.Services<Elem<T>>>

// ---------------------------------------------------------------------------------------------
// collectUntil / collectFor
// ---------------------------------------------------------------------------------------------

/**
 * Runs effects concurrently as tasks of one task group until an absolute `deadline` (seconds, as
 * from `currentTime()`), then cancels the unfinished ones and succeeds with what finished and
 * which were cancelled.
 *
 * **When to use**: to gather "whatever is ready in time" (search shards, price quotes, health
 * checks) under a latency budget, keeping partial results instead of failing on the slow ones.
 *
 * **Details**
 *
 * - Every effect starts at once as a task (`collectUntil[i]`); the deadline is the group's own
 *   deadline (`tg.cancelScope.deadline`), set once they are started: a deadline already passed
 *   cancels every task at its first suspension, so only effects that complete without suspending
 *   are kept (AnyIO's rule for a cancelled scope).
 * - `results` is in input order (a tuple for a tuple), `Some(value)` or `None` for a cancelled
 *   task; `completed` lists indices in completion order; `cancelled` the unfinished indices.
 * - It returns as soon as every task finished, even long before the deadline.
 * - A failure before the deadline cancels every task, as in a task group: it fails with one
 *   `ExceptionGroup` of every failure (`ExceptionGroup<Leaves<E>>`). Catch failures inside the
 *   effects (`Effect.option`, `Effect.result`) to keep the others running.
 * - A NaN (or non-number) deadline dies with `InvalidArgumentError`; `Infinity` waits for all.
 *   A cancellation of the caller passes through as a cancellation.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { collectUntil, currentTime, sleep } from "effect-anyio"
 * const quote = (shop: string, latency: number) => Effect.as(sleep(latency), `${shop}: 10 EUR`)
 * const program = Effect.gen(function* () {
 *   const now = yield* currentTime()
 *   const { results, cancelled } = yield* collectUntil(now + 1, [quote("a", 0.5), quote("b", 3)])
 *   // results: [Some("a: 10 EUR"), None]; cancelled: [1]
 * })
 * ```
 * @see {@link collectFor} with a relative delay
 * @category structured
 */
export const collectUntil = <const T extends Iterable<AnyEffect>>(
  deadline: number,
  effects: T
): Effect.Effect<Collected<CollectedResults<T>>, ErrorOf<T>, Effect.Services<Elem<T>>> =>
  Effect.suspend(() => {
    const at = checkDeadline(deadline)
    const list = effectsOf(effects, "collectUntil")
    const results: Array<Option.Option<unknown>> = new Array<Option.Option<unknown>>(list.length).fill(
      Option.none()
    )
    const completed: Array<number> = []
    return Effect.map(
      inGroup((tg) =>
        Effect.andThen(
          spawnAll(tg, "collectUntil", list, (effect, i) =>
            Effect.map(effect, (a) => {
              results[i] = Option.some(a)
              completed.push(i)
            })
          ),
          Effect.sync(() => {
            tg.cancelScope.deadline = at
          })
        )
      ),
      (): Collected<Array<Option.Option<unknown>>> => {
        const cancelled: Array<number> = []
        for (let i = 0; i < results.length; i++) if (Option.isNone(results[i]!)) cancelled.push(i)
        return { results, completed, cancelled }
      }
    )
  }) as unknown as Effect.Effect<Collected<CollectedResults<T>>, ErrorOf<T>, Effect.Services<Elem<T>>>

/**
 * {@link collectUntil} with a deadline `delay` seconds from now (or an Effect `Duration`).
 *
 * **When to use**: same as {@link collectUntil}, when the budget is a duration ("what is ready
 * within 200 ms").
 *
 * **Details**: the deadline is `currentTime() + delay`, taken when the effect runs. Negative
 * delays count as already passed; NaN dies with `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { collectFor, sleep } from "effect-anyio"
 * const program = collectFor(0.2, [Effect.as(sleep(0.1), "fast"), Effect.as(sleep(1), "slow")])
 * // { results: [Some("fast"), None], completed: [0], cancelled: [1] }
 * ```
 * @category structured
 */
export const collectFor = <const T extends Iterable<AnyEffect>>(
  delay: Seconds,
  effects: T
): Effect.Effect<Collected<CollectedResults<T>>, ErrorOf<T>, Effect.Services<Elem<T>>> =>
  Effect.flatMap(
    Effect.suspend(() => Effect.succeed(toSeconds(delay, "delay"))),
    (seconds) => Effect.flatMap(currentTime(), (now) => collectUntil(now + seconds, effects))
  )
