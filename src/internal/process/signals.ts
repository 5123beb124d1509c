/**
 * The process-wide record of signal receivers: one `process.on(signal)` listener per signal while
 * at least one receiver holds it, fanning out to every receiver in the order they opened. `run()`
 * reads it to leave SIGINT/SIGTERM to a receiver instead of interrupting `main`.
 *
 * Why not Effect: effect 4.1 has no signal module, and `NodeRuntime.runMain` interrupts `main` on
 * SIGINT/SIGTERM even while someone listens for them (see the I/O facts doc).
 *
 * The registry lives on `globalThis` under a registered symbol so that two copies of this module
 * (source and build, two versions in one tree) agree on who holds a signal.
 *
 * @internal
 */
import { constants } from "node:os"
import { InvalidArgumentError } from "../../Errors.ts"
import { textOf } from "../text.ts"

/** What a receiver gets told. */
export interface SignalSink {
  deliver(signal: NodeJS.Signals): void
}

interface Entry {
  readonly sinks: Set<SignalSink>
  readonly listener: (signal: NodeJS.Signals) => void
}

const key = Symbol.for("effect-anyio/signal-receivers")
const registry: Map<NodeJS.Signals, Entry> =
  ((globalThis as Record<symbol, unknown>)[key] as Map<NodeJS.Signals, Entry> | undefined) ??
  (((globalThis as Record<symbol, unknown>)[key] = new Map<NodeJS.Signals, Entry>()) as Map<
    NodeJS.Signals,
    Entry
  >)

/** Signals no process can catch: Node throws EINVAL on `process.on` for them. */
const uncatchable = new Set(["SIGKILL", "SIGSTOP"])

/** The signal name, or the message saying why `value` is not a signal we can receive. */
export const checkReceivable = (value: unknown): NodeJS.Signals | InvalidArgumentError => {
  if (typeof value !== "string" || !Object.hasOwn(constants.signals, value)) {
    return new InvalidArgumentError({
      message: `not a signal name: ${typeof value === "string" ? JSON.stringify(value) : textOf(value)} (expected e.g. "SIGINT", "SIGUSR1")`
    })
  }
  if (uncatchable.has(value)) {
    return new InvalidArgumentError({ message: `${value} cannot be caught, so it cannot be received` })
  }
  return value as NodeJS.Signals
}

/** Whether any receiver holds `signal` now. */
export const isHeld = (signal: NodeJS.Signals): boolean => registry.has(signal)

/** Starts delivering `signals` to `sink`. */
export const hold = (sink: SignalSink, signals: ReadonlyArray<NodeJS.Signals>): void => {
  for (const signal of signals) {
    let entry = registry.get(signal)
    if (entry === undefined) {
      const sinks = new Set<SignalSink>()
      const listener = (s: NodeJS.Signals) => {
        for (const each of sinks) each.deliver(s)
      }
      entry = { sinks, listener }
      registry.set(signal, entry)
      process.on(signal, listener)
    }
    entry.sinks.add(sink)
  }
}

/** Stops delivering `signals` to `sink`; the last one out removes the listener. */
export const release = (sink: SignalSink, signals: ReadonlyArray<NodeJS.Signals>): void => {
  for (const signal of signals) {
    const entry = registry.get(signal)
    if (entry === undefined || !entry.sinks.delete(sink)) continue
    if (entry.sinks.size === 0) {
      registry.delete(signal)
      process.removeListener(signal, entry.listener)
    }
  }
}
