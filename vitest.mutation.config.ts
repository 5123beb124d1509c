// The vitest config of mutation runs (`npm run mutation`, stryker.config.mjs): only the test files of
// the module under test (test/mutation/modules.json, passed in MUTATION_TESTS), one worker.
import { defineConfig } from "vitest/config"

const tests = (process.env.MUTATION_TESTS ?? "").split(",").filter((t) => t !== "")

export default defineConfig({
  test: {
    include: tests.length > 0 ? tests : ["test/**/*.test.ts"],
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    typecheck: { enabled: false }
  }
})
