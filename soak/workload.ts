/**
 * What a soak workload is (issue 20). A workload is one activity of a long-running service: it
 * opens what it keeps across rounds (a listening server) in a scope that lives as long as the soak,
 * then runs rounds, each a burst of work that ends with nothing of its own left running. Each round
 * reports counts (added up over the soak) and the invariants it found broken (any: the soak fails).
 *
 * A new area adds a workload by writing one (see core.ts, io.ts) and one line in registry.ts.
 */
import type { Effect, Scope } from "effect"

export interface RoundReport {
  /** Counts of this round, added up over the soak ("items moved", "connections reset", ...). */
  readonly counts: Readonly<Record<string, number>>
  /** Invariants broken in this round ("items lost: got 3, want 0"); empty when all held. */
  readonly violations: ReadonlyArray<string>
}

export type Round = (round: number) => Effect.Effect<RoundReport, unknown>

export interface Workload {
  readonly name: string
  /** One line: what it exercises. */
  readonly description: string
  /**
   * Opens what the workload keeps across rounds (closed when the scope closes, at the end of the
   * soak) and returns its round. `size` scales the work of one round (1: the full soak's size).
   */
  readonly start: (size: number) => Effect.Effect<Round, unknown, Scope.Scope>
}

/** Collects counts and violations of one round. */
export class Tally {
  readonly counts: Record<string, number> = {}
  readonly violations: Array<string> = []
  add(what: string, n = 1): void {
    this.counts[what] = (this.counts[what] ?? 0) + n
  }
  expect(what: string, got: unknown, want: unknown): void {
    if (got !== want) this.violations.push(`${what}: got ${String(got)}, want ${String(want)}`)
  }
  report(): RoundReport {
    return { counts: this.counts, violations: this.violations }
  }
}

/** A small reproducible generator (xorshift32), one per workload: rounds vary, runs repeat. */
export const prng = (seed: number): (() => number) => {
  let x = seed | 0 || 0x9e3779b9
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
}
