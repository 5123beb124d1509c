/**
 * `npm run mutation -- --module scope [--module waiters ...] [--incremental]` (issue 20): StrykerJS
 * over the core modules of test/mutation/modules.json, one after the other (default: all), at the
 * lowest CPU priority. Then the score of each module and its surviving mutants (file:line, mutator,
 * replacement) from reports/mutation/<module>.json.
 *
 * `--summary` only prints the scores of the reports already there.
 */
import { spawnSync } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
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

interface MutantResult {
  readonly id: string
  readonly mutatorName: string
  readonly replacement?: string
  readonly status: string
  readonly location: { readonly start: { readonly line: number; readonly column: number } }
}

const summary = (name: string): string => {
  const file = `${root}reports/mutation/${name}.json`
  if (!existsSync(file)) return `${name}: no report`
  const report = JSON.parse(readFileSync(file, "utf8")) as {
    files: Record<string, { source: string; mutants: Array<MutantResult> }>
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
      ["-n", "19", process.execPath, stryker, "run", "stryker.config.mjs", ...extra],
      {
        cwd: root,
        stdio: "inherit",
        env: {
          ...process.env,
          MUTATION_MODULE: name,
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import ${root}test/mutation/hooks.mjs`.trim()
        }
      }
    )
    if (run.status !== 0) console.error(`stryker failed on ${name} (exit ${run.status})`)
  }
}
for (const name of names) console.log(summary(name))
