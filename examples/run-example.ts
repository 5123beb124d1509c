/**
 * `npm run example -- <name>` runs `examples/<name>.ts`; without a name, every example in turn.
 * Each example exports its program as `main` (an Effect with no requirements).
 */
import { readdirSync } from "node:fs"
import { Effect } from "effect"

const here = new URL(".", import.meta.url)
const names = process.argv.slice(2)
const all = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run-example.ts")
  .map((f) => f.slice(0, -3))
const chosen = names.length > 0 ? names : all

for (const name of chosen) {
  if (!all.includes(name)) {
    console.error(`no example '${name}'; examples: ${all.join(", ")}`)
    process.exit(2)
  }
  console.log(`--- ${name}`)
  const mod = (await import(new URL(`./${name}.ts`, here).href)) as { main: Effect.Effect<unknown, unknown> }
  await Effect.runPromise(mod.main)
}
