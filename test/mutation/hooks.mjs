// Loaded into every StrykerJS process (NODE_OPTIONS=--import, set by run.ts): Stryker's
// `import "typescript"` gets typescript-shim.mjs (TypeScript 7 has no JavaScript compiler API), and
// its native checker's `@typescript/native/unstable/sync` gets TypeScript 7's own API (this project's
// `typescript` package, not installed twice under an alias).
import { registerHooks } from "node:module"

const shim = new URL("./typescript-shim.mjs", import.meta.url).href

registerHooks({
  resolve(specifier, context, next) {
    const fromStryker = context.parentURL?.includes("/node_modules/@stryker-mutator/") === true
    if (fromStryker && specifier === "typescript") return { url: shim, shortCircuit: true }
    if (fromStryker && specifier === "@typescript/native/unstable/sync")
      return next("typescript/unstable/sync", context)
    return next(specifier, context)
  }
})
