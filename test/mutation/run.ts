/**
 * `npm run mutation -- --module scope [--module waiters ...] [--incremental]` (issue 20): StrykerJS
 * over the core modules of test/mutation/modules.json, one after the other (default: all), at the
 * lowest CPU priority. Then the score of each module and its surviving mutants (file:line, mutator,
 * replacement) from reports/mutation/<module>.json.
 *
 * `--summary` only prints the scores of the reports already there.
 *
 * A module too long for one sitting runs in parts: `--module scope --part a --mutate
 * src/internal/scope.ts:1-340` mutates those lines only (Stryker's `file:start-end` ranges, comma
 * separated) and writes `reports/mutation/scope.a.json`; the summary of a module adds up its parts.
 */
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../..", import.meta.url))
const modules = JSON.parse(readFileSync(new URL("./modules.json", import.meta.url), "utf8")) as Record<
  string,
  { description: string; mutate: Array<string>; tests: Array<string> }
>
const args = process.argv.slice(2)
const chosen = args.flatMap((a, i) => (args[i - 1] === "--module" ? [a] : []))
for (const name of chosen) {
  if (!(name in modules)) {
    console.error(`unknown module ${name}: one of ${Object.keys(modules).join(", ")}`)
    process.exit(2)
  }
}
const names = chosen.length > 0 ? chosen : Object.keys(modules)
const option = (flag: string): string | undefined => {
  const i = args.indexOf(flag)
  return i < 0 ? undefined : args[i + 1]
}
const part = option("--part")
// CPU priority of the run (default 19, the lowest); `--nice 0` on a machine that other work keeps busy.
const nice = option("--nice") ?? "19"
const mutate = option("--mutate")
if ((part === undefined) !== (mutate === undefined) || (part !== undefined && names.length !== 1)) {
  console.error("--part and --mutate go together, with one --module")
  process.exit(2)
}

interface MutantResult {
  readonly id: string
  readonly mutatorName: string
  readonly replacement?: string
  readonly status: string
  readonly location: { readonly start: { readonly line: number; readonly column: number } }
}

const summary = (name: string): string => {
  const dir = `${root}reports/mutation/`
  // The whole module's report, else the reports of its parts (`<module>.<part>.json`).
  const whole = `${name}.json`
  const files = existsSync(dir + whole)
    ? [whole]
    : existsSync(dir)
      ? readdirSync(dir).filter(
          (f) => f.startsWith(`${name}.`) && f.endsWith(".json") && !f.endsWith(".incremental.json")
        )
      : []
  if (files.length === 0) return `${name}: no report`
  const report: { files: Record<string, { source: string; mutants: Array<MutantResult> }> } = { files: {} }
  for (const f of files) {
    const one = JSON.parse(readFileSync(dir + f, "utf8")) as typeof report
    for (const [path, r] of Object.entries(one.files)) {
      const seen = report.files[path]
      if (seen === undefined) report.files[path] = { source: r.source, mutants: [...r.mutants] }
      else seen.mutants.push(...r.mutants)
    }
  }
  const lines: Array<string> = []
  let killed = 0
  let survived = 0
  let noCoverage = 0
  let timeout = 0
  let invalid = 0
  for (const [path, f] of Object.entries(report.files)) {
    const source = f.source.split("\n")
    for (const m of f.mutants) {
      if (m.status === "Killed") killed++
      else if (m.status === "Timeout") timeout++
      else if (m.status === "CompileError" || m.status === "RuntimeError" || m.status === "Ignored") invalid++
      else {
        if (m.status === "NoCoverage") noCoverage++
        else survived++
        const line = m.location.start.line
        lines.push(
          `  ${m.status} ${path.replace(root, "")}:${line}:${m.location.start.column} ${m.mutatorName} → ${JSON.stringify(m.replacement ?? "")}\n      ${source[line - 1]?.trim()}`
        )
      }
    }
  }
  const detected = killed + timeout
  const valid = detected + survived + noCoverage
  const score = valid === 0 ? 100 : (detected / valid) * 100
  return `${name} (${modules[name]!.description}): ${score.toFixed(2)}% (${detected} of ${valid} killed: ${killed} failed a test, ${timeout} timed out; ${survived} survived, ${noCoverage} not covered; ${invalid} did not compile)\n${lines.join("\n")}`
}

if (!args.includes("--summary")) {
  const stryker = `${root}node_modules/@stryker-mutator/core/bin/stryker.js`
  for (const name of names) {
    const extra = args.includes("--incremental") ? ["--incremental"] : []
    const run = spawnSync(
      "nice",
      ["-n", nice, process.execPath, stryker, "run", "stryker.config.mjs", ...extra],
      {
        cwd: root,
        stdio: "inherit",
        env: {
          ...process.env,
          MUTATION_MODULE: name,
          MUTATION_PART: part ?? "",
          MUTATION_MUTATE: mutate ?? "",
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${root}test/mutation/hooks.mjs`.trim()
        }
      }
    )
    if (run.status !== 0) console.error(`stryker failed on ${name} (exit ${run.status})`)
  }
}
for (const name of names) console.log(summary(name))
