// Property tests draw a new seed each run locally (to keep finding new cases); CI uses a fixed
// seed so that a submission's result does not depend on luck. Set FC_SEED to replay a failure.
import fc from "fast-check"

const seed = process.env.FC_SEED ?? (process.env.CI ? "20261125" : undefined)
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) })
