// Property tests draw a new seed each run locally (to keep finding new cases); CI uses a fixed
// seed so that a submission's result does not depend on luck. Set FC_SEED to replay a failure.
import fc from "fast-check"
import { afterAll, afterEach } from "vitest"
import { installUncaughtCollector, settle, takeUncaught, type Uncaught } from "./uncaught.ts"

const seed = process.env.FC_SEED ?? (process.env.CI ? "20261125" : undefined)
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) })

// An error reported as uncaught during a test fails that test (vitest itself would only print
// "Unhandled error" beside a passing test). A test that expects one takes it with `takeUncaught`.
installUncaughtCollector()

const failOn = (errors: ReadonlyArray<Uncaught>, when: string): void => {
  if (errors.length === 0) return
  const lines = errors.map(
    ({ kind, error }) => `${kind}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
  )
  throw new Error(`${errors.length} error(s) reported as uncaught ${when}:\n${lines.join("\n")}`, {
    cause: errors[0]!.error
  })
}

afterEach(async () => {
  await settle()
  failOn(takeUncaught(), "during this test")
})

afterAll(async () => {
  await settle()
  failOn(takeUncaught(), "after the last test of this file")
})
