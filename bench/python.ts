/**
 * Finding a Python that can import AnyIO, for the AnyIO columns of the benchmark
 * (`bench/anyio_bench.py`, `bench/anyio_workers.py`).
 *
 * AnyIO 4.x is often run from its source tree: `PYTHONPATH` is passed on as it is, and
 * `ANYIO_SRC_DIR` (AnyIO's `src` directory) is put in front of it. `ANYIO_PYTHON` picks the
 * interpreter (default: `python3`, then `/usr/bin/python3`). No Python with AnyIO: the caller skips
 * the AnyIO columns.
 */
import { spawnSync } from "node:child_process"
import * as nodePath from "node:path"

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
