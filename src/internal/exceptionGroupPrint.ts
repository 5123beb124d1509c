/**
 * The printout of an `ExceptionGroup`: a tree like Python's traceback for groups (`pretty()`,
 * `toString()`, Node's `inspect`), and the `stack` property that shows it, so that an uncaught
 * group reads like Python's. The model and combinators are in ExceptionGroup.ts.
 *
 * @internal
 */
import { fileURLToPath } from "node:url"
import { Cause } from "effect"
import type { CancelledTask, ExceptionGroup } from "../ExceptionGroup.ts"
import { textOf } from "./text.ts"

type AnyGroup = ExceptionGroup<unknown>

/** Like Python: at most this many members per group and levels are printed. */
const MAX_WIDTH = 15
const MAX_DEPTH = 10
/**
 * This library's own files: the directory above this module's (`src/` here, `dist/` once installed),
 * as a `file:` URL and as a path, the two forms a stack frame names a file by. Only when this module
 * is where the package puts it: bundled into someone's file, the directory above would be theirs.
 */
const libraryDirs = (here: string): ReadonlyArray<string> => {
  if (!/^file:.*\/internal\/exceptionGroupPrint\.[cm]?[jt]s$/.test(here)) return []
  const dir = new URL("../", here)
  return [dir.href, fileURLToPath(dir)]
}
const LIBRARY = libraryDirs(import.meta.url)
/** Frames of effect and of Node itself. */
const PLATFORM_FRAME = /[\\/]node_modules[\\/]effect[\\/]|\(node:|^\s+at node:/
/** A frame of this library's machinery, of effect or of Node: noise to the reader of an uncaught group. */
const isInternalFrame = (line: string): boolean =>
  /^\s+at /.test(line) && (PLATFORM_FRAME.test(line) || LIBRARY.some((dir) => line.includes(dir)))

/** A nested group (by shape: this module does not load the class, which loads this module). */
const isGroup = (u: unknown): u is AnyGroup =>
  u instanceof AggregateError && (u as { readonly _tag?: unknown })._tag === "ExceptionGroup"

/** The tree of `eg`, as `ExceptionGroup.pretty()` returns it. */
export const render = (eg: AnyGroup): string => {
  const out: Array<string> = []
  renderGroup(eg, out, "", "", 1)
  return out.join("\n")
}

const SEPARATOR_WIDTH = 16

/**
 * `(2 sub-exceptions)`, with the group's name when it has one: what the constructor appends to the
 * message (Python's `str(eg)`), so that every printer shows the header on one line.
 */
export const countNote = (n: number, groupName: string | undefined): string => {
  const name = groupName === undefined ? "" : ` in task group '${groupName}'`
  return `(${n} sub-exception${n === 1 ? "" : "s"}${name})`
}

const header = (eg: AnyGroup): string => `${eg.name}: ${eg.message}`

const numbered = (label: string): string => {
  const dashes = "-".repeat(SEPARATOR_WIDTH)
  return `${dashes} ${label} ${dashes}`
}

const CLOSE = "-".repeat(SEPARATOR_WIDTH * 2 + 4)

const leafText = (member: unknown, cause: Cause.Cause<unknown> | undefined): string => {
  const text = cause === undefined ? "" : Cause.pretty(cause)
  if (text !== "") {
    const lines = text.split("\n").filter((line) => !isInternalFrame(line))
    // An error without a message is `Name`, as Python prints it, not `Name: `.
    if (lines[0]!.endsWith(": ")) lines[0] = lines[0]!.slice(0, -2)
    return lines.join("\n")
  }
  return member instanceof Error ? `${member.name}: ${member.message}` : textOf(member)
}

const cancelledNotes = (cancelled: ReadonlyArray<CancelledTask>): Array<string> => {
  const byReason = new Map<string, Array<string>>()
  for (const { name, reason } of cancelled) {
    const names = byReason.get(reason)
    if (names === undefined) byReason.set(reason, [name])
    else names.push(name)
  }
  const out: Array<string> = []
  for (const [reason, names] of byReason) {
    const shown = names.slice(0, 10).map((name) => `'${name}'`)
    if (names.length > 10) shown.push(`and ${names.length - 10} more`)
    const tasks = `${names.length === 1 ? "task" : "tasks"} ${shown.join(", ")}`
    out.push(reason === "" ? `(cancelled: ${tasks})` : `(cancelled: ${tasks} — ${reason})`)
  }
  return out
}

/**
 * Renders `eg` whose header goes after `headPrefix` and whose frame starts at column `indent`.
 * Returns true when the last line is a closing rule (so the parent need not close again).
 */
const renderGroup = (eg: AnyGroup, out: Array<string>, indent: string, headPrefix: string, depth: number) => {
  out.push(headPrefix + header(eg))
  const inner = `${indent}  `
  const bar = `${inner}| `
  const shown = Math.min(eg.exceptions.length, MAX_WIDTH)
  let closed = false
  for (let i = 0; i < shown; i++) {
    out.push(`${i === 0 ? `${indent}+-+` : `${inner}+`}${numbered(String(i + 1))}`)
    const member = eg.exceptions[i]
    const origin = eg.origins[i]
    if (origin !== undefined) out.push(`${bar}in task '${origin.name}' (#${origin.id})`)
    if (isGroup(member)) {
      if (depth >= MAX_DEPTH) {
        out.push(`${bar}... (max_group_depth is ${MAX_DEPTH})`)
        closed = false
      } else {
        closed = renderGroup(member, out, inner, bar, depth + 1)
      }
    } else {
      for (const line of leafText(member, eg.causes[i]).split("\n")) out.push(bar + line)
      closed = false
    }
  }
  if (eg.exceptions.length > shown) {
    out.push(`${inner}+${numbered("...")}`)
    const more = eg.exceptions.length - shown
    out.push(`${bar}and ${more} more exception${more === 1 ? "" : "s"}`)
    closed = false
  }
  if (!closed) out.push(`${inner}+${CLOSE}`)
  const notes = cancelledNotes(eg.cancelled)
  for (const note of notes) out.push(headPrefix + note)
  return notes.length === 0
}

const EFFECT_INTERNALS = /Generator\.next|~effect\/(?:Effect|Utils)/

/**
 * Makes `stack` the printout followed by the group's own frames (lazily: printing costs more than
 * building). `Cause.pretty` of a cause holding the group, hence an uncaught group, shows the tree.
 */
export const installStack = (eg: AnyGroup): void => {
  const own = Object.getOwnPropertyDescriptor(eg, "stack")
  let cached: string | undefined
  Object.defineProperty(eg, "stack", {
    configurable: true,
    enumerable: false,
    get(): string {
      if (cached !== undefined) return cached
      const original = own?.get !== undefined ? own.get.call(eg) : own?.value
      const frames: Array<string> = []
      for (const line of typeof original === "string" ? original.split("\n") : []) {
        if (!/^\s+at /.test(line)) continue
        if (EFFECT_INTERNALS.test(line)) break
        if (!isInternalFrame(line)) frames.push(line)
      }
      // Effect's Cause.pretty rebuilds the first line as `name: message`: the message holds the
      // count, so the header reads the same there as in `pretty()`.
      cached = [eg.pretty(), ...frames].join("\n")
      return cached
    },
    set(value: unknown) {
      Object.defineProperty(eg, "stack", { configurable: true, enumerable: false, writable: true, value })
    }
  })
}
