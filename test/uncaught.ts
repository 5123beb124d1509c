/**
 * Errors reported as uncaught during a test (process 'uncaughtException' and 'unhandledRejection':
 * where the library reports a task that threw out of a scheduler, and where a lost wake-up or a
 * rejected promise nobody awaited ends up). test/setup.ts fails the test during which one arrived;
 * a test that produces one on purpose takes it with {@link takeUncaught} and asserts it.
 */

export interface Uncaught {
  readonly kind: "uncaughtException" | "unhandledRejection"
  readonly error: unknown
}

const reported: Array<Uncaught> = []
let installed = false

/** Starts collecting (once per test file; test/setup.ts calls it). */
export const installUncaughtCollector = (): void => {
  if (installed) return
  installed = true
  process.on("uncaughtException", (error) => reported.push({ kind: "uncaughtException", error }))
  process.on("unhandledRejection", (error) => reported.push({ kind: "unhandledRejection", error }))
}

/** The errors reported as uncaught since the last call, which no longer fail the test. */
export const takeUncaught = (): Array<Uncaught> => reported.splice(0)

/** Waits one turn of the event loop, so that reports already on their way arrive. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
