/**
 * Entry point of a `toProcess` worker process (forked with an IPC channel and `advanced`
 * serialization: structured clone). Free of effect, like the thread bootstrap. Its standard
 * streams go to /dev/null (AnyIO's worker does the same), so output never blocks it; it exits when
 * the parent goes away (the channel closes).
 *
 * @internal
 */
import { makeRunner } from "./runner.ts"

process.on(
  "message",
  makeRunner((reply) => {
    process.send!(reply)
  })
)
process.on("disconnect", () => process.exit(0))
