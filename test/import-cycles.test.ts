/**
 * Issue 13, "Done when": no import cycles in `src/`. Reads every module's relative imports (type-only
 * imports left out: they vanish at runtime, and a public type is defined in its public module, which
 * internal modules import) and asserts that the graph has no cycle.
 */
import { readdirSync, readFileSync } from "node:fs"
import { dirname, join, normalize } from "node:path"
import { describe, expect, it } from "vitest"

const src = join(import.meta.dirname, "..", "src")

const modules = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

const importsOf = (file: string): Array<string> => {
  const text = readFileSync(file, "utf8")
  const out: Array<string> = []
  for (const m of text.matchAll(
    /^(import|export)\b((?:(?!^(?:import|export)\b)[\s\S])*?)from\s+"(\.[^"]+)"/gm
  )) {
    if (m[2]!.trimStart().startsWith("type ")) continue
    out.push(normalize(join(dirname(file), m[3]!)))
  }
  return out
}

describe("module graph", () => {
  it("has no runtime import cycle in src/", () => {
    const graph = new Map(modules(src).map((f) => [f, importsOf(f)]))
    const cycles: Array<string> = []
    const state = new Map<string, "open" | "done">()
    const path: Array<string> = []
    const visit = (f: string): void => {
      state.set(f, "open")
      path.push(f)
      for (const d of graph.get(f) ?? []) {
        if (!graph.has(d)) continue
        const s = state.get(d)
        if (s === "open")
          cycles.push(
            path
              .slice(path.indexOf(d))
              .map((p) => p.slice(src.length + 1))
              .join(" -> ")
          )
        else if (s === undefined) visit(d)
      }
      path.pop()
      state.set(f, "done")
    }
    for (const f of graph.keys()) if (!state.has(f)) visit(f)
    expect(graph.size).toBeGreaterThan(50)
    expect(cycles).toEqual([])
  })
})
