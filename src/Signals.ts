/**
 * Operating-system signals as a stream of values (AnyIO's `open_signal_receiver`).
 *
 * `with open_signal_receiver(SIGINT, SIGTERM) as signals: async for signum in signals: ...`
 * becomes `openSignalReceiver("SIGINT", "SIGTERM", (signals) => signals.runForEach(...))`, or
 * `yield* openSignalReceiver("SIGHUP")` in a `Scope`.
 *
 * - While the receiver is open, every delivered signal it asked for is queued in arrival order
 *   and none of them has its default effect (Node keeps a listener installed). Closing it removes
 *   the listener again when no other receiver holds that signal.
 * - Several receivers may hold the same signal at once: each of them gets every delivery (Node's
 *   listeners are multicast; asyncio's `add_signal_handler` would keep only the newest).
 * - Under `run()`, a SIGINT or SIGTERM held by a receiver goes to the receiver only: `main` is not
 *   interrupted (AnyIO's behaviour on asyncio).
 * - Node delivers signals to the main thread only: a receiver opened in a worker thread gets none.
 *
 * @since 0.3.0
 */
import { Effect, Exit, type Scope, Stream } from "effect"
import { ClosedResourceError, InvalidArgumentError } from "./Errors.ts"
import { checkReceivable, hold, release, type SignalSink } from "./internal/process/signals.ts"
import { checkpoint } from "./Time.ts"

/**
 * A signal name as Node spells it (`"SIGINT"`, `"SIGTERM"`, `"SIGUSR1"`, ...).
 * @category models
 */
export type Signal = NodeJS.Signals

/**
 * The receiving end of {@link openSignalReceiver}: the signals delivered since it opened, in order.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { openSignalReceiver } from "effect-anyio"
 * const reloadOnHup = openSignalReceiver("SIGHUP", (signals) =>
 *   signals.runForEach((signal) => Effect.log(`got ${signal}, reloading`))
 * )
 * ```
 * @category models
 */
export interface SignalReceiver {
  /** The signals this receiver holds, without duplicates. */
  readonly signals: ReadonlyArray<Signal>
  /**
   * The next delivered signal, waiting for one (AnyIO's `await signals.__anext__()`). A
   * checkpoint; a cancelled wait consumes nothing. Used after the receiver closed, it dies with
   * `ClosedResourceError`.
   */
  receive(): Effect.Effect<Signal>
  /** Runs `f` on every signal in order, forever (AnyIO's `async for signum in signals`). */
  runForEach<E, R>(f: (signal: Signal) => Effect.Effect<unknown, E, R>): Effect.Effect<never, E, R>
  /** The signals as an endless Effect `Stream`; one pull is one `receive()`. */
  readonly stream: Stream.Stream<Signal>
}

const closedDefect = () =>
  Exit.die(new ClosedResourceError({ message: "this signal receiver was closed" })) as Exit.Exit<never>

class Receiver implements SignalReceiver, SignalSink {
  readonly signals: ReadonlyArray<Signal>
  readonly #queue: Array<Signal> = []
  #head = 0
  /** Parked `receive()`s, oldest first; each takes one signal. */
  readonly #waiters: Array<() => void> = []
  closed = false
  readonly stream: Stream.Stream<Signal>
  readonly #receiveEffect: Effect.Effect<Signal>

  constructor(signals: ReadonlyArray<Signal>) {
    this.signals = signals
    const park = Effect.callback<Signal>((resume) => {
      const waiter = () => {
        if (this.closed) return resume(closedDefect())
        const signal = this.#take()
        if (signal !== undefined) resume(Exit.succeed(signal))
      }
      this.#waiters.push(waiter)
      return Effect.sync(() => {
        const i = this.#waiters.indexOf(waiter)
        if (i >= 0) this.#waiters.splice(i, 1)
      })
    })
    // AnyIO checkpoints before looking at the queue.
    this.#receiveEffect = Effect.andThen(
      checkpoint(),
      Effect.suspend(() => {
        if (this.closed) return closedDefect()
        const signal = this.#take()
        return signal !== undefined ? Exit.succeed(signal) : park
      })
    )
    this.stream = Stream.fromEffectRepeat(this.#receiveEffect)
  }

  #take(): Signal | undefined {
    if (this.#head === this.#queue.length) return undefined
    const signal = this.#queue[this.#head++]
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0
      this.#head = 0
    }
    return signal
  }

  deliver(signal: Signal): void {
    if (this.closed) return
    this.#queue.push(signal)
    this.#waiters.shift()?.()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    release(this, this.signals)
    for (const waiter of this.#waiters.splice(0)) waiter()
  }

  receive(): Effect.Effect<Signal> {
    return this.#receiveEffect
  }

  runForEach<E, R>(f: (signal: Signal) => Effect.Effect<unknown, E, R>): Effect.Effect<never, E, R> {
    const loop: Effect.Effect<never, E, R> = Effect.flatMap(this.#receiveEffect, (signal) =>
      Effect.andThen(f(signal), loop)
    )
    return loop
  }
}

const acquire = (signals: ReadonlyArray<unknown>): Effect.Effect<Receiver> =>
  Effect.suspend(() => {
    const unique: Array<Signal> = []
    for (const value of signals) {
      const signal = checkReceivable(value)
      if (signal instanceof InvalidArgumentError) return Effect.die(signal)
      if (!unique.includes(signal)) unique.push(signal)
    }
    const receiver = new Receiver(unique)
    hold(receiver, unique)
    return Effect.succeed(receiver)
  })

const scoped = (signals: ReadonlyArray<unknown>): Effect.Effect<SignalReceiver, never, Scope.Scope> =>
  Effect.acquireRelease(acquire(signals), (receiver) => Effect.sync(() => receiver.close()))

/**
 * Starts receiving operating-system signals (AnyIO's `open_signal_receiver(*signals)`).
 *
 * **When to use**: to react to SIGHUP (reload), SIGTERM/SIGINT (graceful shutdown on your own
 * terms), SIGUSR2, ... inside a structured program.
 *
 * **Details**
 * - Block form: the last argument is the body, `(receiver) => effect`; the receiver closes when
 *   the body ends, however it ends. Without a body, the receiver closes with the current `Scope`.
 * - Every signal delivered while the receiver is open is queued, in order; none is lost while
 *   nobody is receiving. A held signal does not have its default effect (no exit on SIGTERM).
 * - Under `run()`, holding SIGINT or SIGTERM means the signal is yours: `main` is not interrupted.
 * - An unknown name, a non-string, or a signal that cannot be caught (SIGKILL, SIGSTOP) dies with
 *   `InvalidArgumentError`; nothing is installed then. On Windows, Node emulates only a few.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { openSignalReceiver } from "effect-anyio"
 * // Wait for the first SIGTERM or SIGINT, then shut down.
 * const waitForShutdown = openSignalReceiver("SIGTERM", "SIGINT", (signals) => signals.receive())
 * ```
 * @see SignalReceiver
 * @category constructors
 */
export const openSignalReceiver: {
  <A, E, R>(
    ...args: [...signals: ReadonlyArray<Signal>, body: (receiver: SignalReceiver) => Effect.Effect<A, E, R>]
  ): Effect.Effect<A, E, R>
  (...signals: ReadonlyArray<Signal>): Effect.Effect<SignalReceiver, never, Scope.Scope>
} = ((...args: ReadonlyArray<unknown>) => {
  const last = args[args.length - 1]
  if (typeof last !== "function") return scoped(args)
  const body = last as (receiver: SignalReceiver) => Effect.Effect<unknown, unknown, unknown>
  return Effect.acquireUseRelease(
    acquire(args.slice(0, -1)),
    (receiver) => body(receiver),
    (receiver) => Effect.sync(() => receiver.close())
  )
}) as never
