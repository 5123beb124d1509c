// StrykerJS over one core module at a time: `npm run mutation -- --module scope` (test/mutation/run.ts
// sets MUTATION_MODULE). Which source files are mutated and which test files judge them is in
// test/mutation/modules.json: after a refactor, edit that file only.
import { readFileSync } from "node:fs"

const modules = JSON.parse(readFileSync(new URL("./test/mutation/modules.json", import.meta.url), "utf8"))
const name = process.env.MUTATION_MODULE
const module = modules[name]
if (module === undefined) {
  throw new Error(`MUTATION_MODULE must be one of ${Object.keys(modules).join(", ")} (got ${name})`)
}
process.env.MUTATION_TESTS = module.tests.join(",")
// A long module can be run in parts (`--part a --mutate src/internal/scope.ts:1-300`, run.ts): each
// part mutates its line ranges only and writes its own report, `<module>.<part>.json`.
const part = process.env.MUTATION_PART
const report = part === undefined || part === "" ? name : `${name}.${part}`
const mutate =
  process.env.MUTATION_MUTATE === undefined || process.env.MUTATION_MUTATE === ""
    ? module.mutate
    : process.env.MUTATION_MUTATE.split(",")
// Property tests replay the same cases in every run (a mutant is judged by the same tests).
process.env.FC_SEED ??= "20261125"

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: false },
  checkers: ["typescript"],
  // TypeScript 7 (the native compiler) has no JavaScript compiler API: the checker's native mode.
  typescriptChecker: { experimentalNativePreview: true },
  tsconfigFile: "tsconfig.json",
  mutate,
  coverageAnalysis: "perTest",
  // The machine is shared: one test process, one checker.
  concurrency: 1,
  timeoutMS: 15_000,
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: `reports/mutation/${report}.json` },
  htmlReporter: { fileName: `reports/mutation/${report}.html` },
  incrementalFile: `reports/mutation/${report}.incremental.json`,
  // One temp dir per module, so that two modules can run side by side.
  tempDirName: `.stryker-tmp/${report}`,
  cleanTempDir: true,
  ignorePatterns: ["dist", "reports", "scratch", ".vitest", "*.cpuprofile", "*.heapsnapshot"],
  thresholds: { high: 90, low: 85, break: null }
}
