// What StrykerJS reads from the `typescript` package besides the native checker: TypeScript 7 (this
// project's compiler, Go-native) has no JavaScript compiler API, so Stryker's tsconfig handling
// gets these few functions from here (hooks.mjs routes Stryker's `import "typescript"` here).
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"

const { version } = createRequire(import.meta.url)("typescript/package.json")

/** JSON with comments and trailing commas (tsconfig's format) to a value. */
const parseJsonc = (text) => {
  let out = ""
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      out += c
      if (c === "\\") out += text[++i] ?? ""
      else if (c === '"') inString = false
    } else if (c === '"') {
      inString = true
      out += c
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++
      out += "\n"
    } else if (c === "/" && text[i + 1] === "*") {
      i += 2
      while (i < text.length && !(text[i] === "*" && text[i + 1] === "/")) i++
      i++
    } else {
      out += c
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, "$1"))
}

const ts = {
  version,
  sys: { readFile: (file) => readFileSync(file, "utf8") },
  parseConfigFileTextToJson: (fileName, text) => {
    try {
      return { config: parseJsonc(text) }
    } catch (error) {
      return { config: {}, error: { messageText: `${fileName}: ${error.message}` } }
    }
  },
  resolveProjectReferencePath: (reference) =>
    reference.path.endsWith(".json") ? reference.path : path.join(reference.path, "tsconfig.json"),
  formatDiagnostics: (diagnostics) =>
    diagnostics.map((d) => (typeof d.messageText === "string" ? d.messageText : JSON.stringify(d))).join("\n")
}

export default ts
export const { sys, parseConfigFileTextToJson, resolveProjectReferencePath, formatDiagnostics } = ts
export { version }
