/**
 * Happy eyeballs (RFC 8305) with `firstSuccess`: connect to the fastest of several addresses of a
 * host, starting one attempt every 50 ms (or at once when the previous attempt failed), and cancel
 * the others as soon as one connects. Run it with `node examples/happy-eyeballs.ts`.
 *
 * The "connections" are simulated: each is a sleep, then a success or a failure. The timeline:
 *
 * - 0 ms: try 2001:db8::1, which refuses at 20 ms, so the next attempt starts at once;
 * - 20 ms: try 2001:db8::2, a black hole (it would time out after a second);
 * - 70 ms (50 ms later): try 192.0.2.1, which would connect at 150 ms;
 * - 120 ms: try 192.0.2.2, which connects at 130 ms and wins; the two pending attempts are cancelled.
 */
import { Data, Effect } from "effect"
import { currentTime, firstSuccess, run, sleep } from "../src/index.ts"

export class ConnectError extends Data.TaggedError("ConnectError")<{
  readonly address: string
  readonly reason: string
}> {}

/** A simulated endpoint: how long connecting takes, and whether it then fails. */
export interface Endpoint {
  readonly address: string
  readonly latency: number
  readonly failure?: string | undefined
}

export const endpoints: ReadonlyArray<Endpoint> = [
  { address: "2001:db8::1", latency: 0.02, failure: "connection refused" },
  { address: "2001:db8::2", latency: 1, failure: "timed out" },
  { address: "192.0.2.1", latency: 0.08 },
  { address: "192.0.2.2", latency: 0.01 }
]

/** Connects to every endpoint, happy-eyeballs style; `log` receives one line per event. */
export const happyEyeballs = (log: (line: string) => void, staggerDelay = 0.05) =>
  Effect.gen(function* () {
    const start = yield* currentTime()
    const say = (text: string) =>
      Effect.map(currentTime(), (now) =>
        log(`${String(Math.round((now - start) * 1000)).padStart(4)} ms  ${text}`)
      )

    const connect = (endpoint: Endpoint) =>
      Effect.gen(function* () {
        yield* say(`trying ${endpoint.address}`)
        yield* sleep(endpoint.latency)
        if (endpoint.failure !== undefined) {
          yield* say(`${endpoint.address} failed: ${endpoint.failure}`)
          return yield* new ConnectError({ address: endpoint.address, reason: endpoint.failure })
        }
        yield* say(`connected to ${endpoint.address}`)
        return endpoint.address
      }).pipe(Effect.onInterrupt(() => say(`gave up on ${endpoint.address}`)))

    const winner = yield* firstSuccess(endpoints.map(connect), { staggerDelay })
    const elapsed = (yield* currentTime()) - start
    log(`winner: ${winner} after ${Math.round(elapsed * 1000)} ms`)
    return { winner, elapsed }
  })

export const main = happyEyeballs(console.log)

if (import.meta.main) run(main)
