// Rebuilds the README's Performance table from bench/RESULTS.md: every row with a target, on the
// default scheduler (rows marked "· Effect's scheduler" are counted, not listed). `--write` edits
// README.md in place; without it the table is printed.
import { readFileSync, writeFileSync } from "node:fs"

const results = readFileSync(new URL("../bench/RESULTS.md", import.meta.url), "utf8")
const cells = (line) =>
  line
    .split("|")
    .slice(1, -1)
    .map((c) => c.trim())
const rows = results
  .split("\n")
  .filter((l) => l.startsWith("| ") && !l.startsWith("| #") && !l.startsWith("| ---"))
  .map(cells)
  .filter((c) => c.length >= 7 && c[6] !== "" && !c[1].startsWith("**"))
const isDefault = (c) => !c[1].includes("· Effect's scheduler")
const met = (c) => c[6].includes("✅")
const shown = rows.filter(isDefault)
const fmt = (v) => {
  if (/B$/.test(v)) return v
  const n = Number(v)
  if (!Number.isFinite(n)) return v
  return `${n >= 1000 ? Math.round(n).toLocaleString("en-US") : v} ns`
}
const table = [
  "| # | workload | effect-anyio | reference (same run) | ratio | target | AnyIO asyncio ÷ ours |",
  "| --- | --- | ---: | --- | ---: | --- | ---: |",
  ...shown.map((c) => `| ${c[0]} | ${c[1]} | ${fmt(c[2])} | ${c[4]} | ${c[5]} | ${c[6]} | ${c[8] ?? ""} |`)
]
const header = results.match(/on (\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC)/)?.[1] ?? "?"
const cpu = results.match(/- CPU: ([^,\n]+)/)?.[1] ?? "?"
const summary = `${shown.filter(met).length} of these ${shown.length} ratio targets are met (${rows.filter(met).length} of ${rows.length} counting the rows on Effect's\nscheduler).`
if (!process.argv.includes("--write")) {
  console.log(`${header}; ${cpu}\n${summary}\n${table.join("\n")}`)
} else {
  const readmeUrl = new URL("../README.md", import.meta.url)
  let readme = readFileSync(readmeUrl, "utf8")
  const start = readme.indexOf("| # | workload | effect-anyio |")
  const end = readme.indexOf("\n\n", start)
  if (start < 0 || end < 0) throw new Error("README: performance table not found")
  readme = `${readme.slice(0, start)}${table.join("\n")}${readme.slice(end)}`
  readme = readme.replace(
    /\d+ of these \d+ ratio targets are met \(\d+ of \d+ counting the rows on Effect's\nscheduler\)\./,
    summary
  )
  readme = readme.replace(
    /The table below is the run in `bench\/RESULTS.md` \(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC; [^,]+,/,
    `The table below is the run in \`bench/RESULTS.md\` (${header}; ${cpu},`
  )
  writeFileSync(readmeUrl, readme)
  console.log(summary)
}
