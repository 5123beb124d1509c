/** What the process tests (process, to-process) share. */
import { readFileSync } from "node:fs"

/** Whether a process runs; a zombie counts as dead (PID 1 of some containers never reaps orphans). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return true
  }
}
