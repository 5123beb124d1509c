/**
 * Finding a Python that can import AnyIO, for the AnyIO columns of the benchmark
 * (`bench/anyio_*.py`), running those scripts and making their rows.
 *
 * AnyIO 4.x is often run from its source tree: `PYTHONPATH` is passed on as it is, and
 * `ANYIO_SRC_DIR` (AnyIO's `src` directory) is put in front of it. `ANYIO_PYTHON` picks the
 * interpreter (default: `python3`, then `/usr/bin/python3`). No Python with AnyIO: the caller skips
 * the AnyIO columns.
 */
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import * as nodePath from "node:path"
import { fileURLToPath } from "node:url"
import type { Result } from "./harness.ts"

export interface AnyioPython {
  readonly python: string
  readonly env: NodeJS.ProcessEnv
}

/** The environment in which AnyIO is looked for: `ANYIO_SRC_DIR` prepended to `PYTHONPATH`. */
export const anyioEnv = (): NodeJS.ProcessEnv => {
  const src = process.env.ANYIO_SRC_DIR
  const current = process.env.PYTHONPATH ?? ""
  if (src === undefined || src === "" || current.split(nodePath.delimiter).includes(src)) return process.env
  return { ...process.env, PYTHONPATH: current === "" ? src : `${src}${nodePath.delimiter}${current}` }
}

let found: AnyioPython | null | undefined

/** The first interpreter that can `import anyio` (cached), or undefined. */
export const findAnyioPython = (): AnyioPython | undefined => {
  if (found !== undefined) return found ?? undefined
  const env = anyioEnv()
  const candidates = [process.env.ANYIO_PYTHON, "python3", "/usr/bin/python3"].filter(
    (p): p is string => p !== undefined && p !== ""
  )
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import anyio"], { stdio: "ignore", env, timeout: 30_000 })
    if (r.status === 0) {
      found = { python, env }
      return found
    }
  }
  found = null
  return undefined
}

/** How to make AnyIO importable, for the message of a skipped AnyIO column. */
export const anyioHint =
  "no python3 here can `import anyio`: put AnyIO 4.x's src on PYTHONPATH or set ANYIO_SRC_DIR (here: `. /work/anyio-env.sh`), or install anyio>=4 and trio>=0.32"

/** What a `bench/anyio_*.py` script prints: AnyIO's version, the interpreter, the figures (ns per op). */
export interface AnyioFigures {
  readonly anyio: string
  readonly python: string
  readonly figures: Record<string, number>
}

/**
 * Runs `bench/<script>` with `args` under a Python that can import AnyIO ({@link findAnyioPython}'s,
 * else `python3` after this machine's `/work/anyio-env.sh`) and parses the JSON it prints; or says
 * why there are no AnyIO figures (a script exits with status 3 when AnyIO is not importable).
 */
export const runAnyioScript = <F = AnyioFigures>(script: string, args: ReadonlyArray<string>): F | string => {
  const path = fileURLToPath(new URL(`./${script}`, import.meta.url))
  const options = { encoding: "utf8", timeout: 300_000 } as const
  const found = findAnyioPython()
  const envScript = "/work/anyio-env.sh"
  const r =
    found !== undefined
      ? spawnSync(found.python, [path, ...args], { ...options, env: found.env })
      : existsSync(envScript)
        ? spawnSync("sh", ["-c", `. ${envScript} && exec python3 "$@"`, "sh", path, ...args], options)
        : undefined
  if (r === undefined) return anyioHint
  if (r.error !== undefined) return `python3 not runnable (${r.error.message})`
  if (r.status !== 0) return r.status === 3 ? anyioHint : `failed: ${r.stderr}`
  return JSON.parse(r.stdout) as F
}

/** A row for AnyIO's figure `key` beside our result `ours`, with the ratio ours ÷ AnyIO. */
export const anyioRow = (anyio: AnyioFigures, label: string, key: string, ours: Result): Result => ({
  name: `AnyIO ${anyio.anyio} asyncio: ${label} (ratio: ours ÷ AnyIO)`,
  nsPerOp: anyio.figures[key]!,
  reference: ours.name,
  ratio: ours.nsPerOp / anyio.figures[key]!
})

/**
 * `results` followed by a row per `[label, AnyIO's key, the name of our result]` (see
 * {@link anyioRow}), with AnyIO's figures from `script`; `results` alone, said on stderr, when
 * there are none.
 */
export const withAnyioRows = (
  results: Array<Result>,
  script: string,
  args: ReadonlyArray<string>,
  rows: ReadonlyArray<readonly [label: string, key: string, ours: string]>
): Array<Result> => {
  const anyio = runAnyioScript(script, args)
  if (typeof anyio === "string") {
    console.error(`AnyIO rows skipped: ${anyio}`)
    return results
  }
  const find = (name: string) => results.find((r) => r.name === name)!
  return [...results, ...rows.map(([label, key, ours]) => anyioRow(anyio, label, key, find(ours)))]
}
