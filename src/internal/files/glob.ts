/**
 * pathlib's pattern language: `fnmatch` for one path segment (`*`, `?`, `[seq]`, `[!seq]`; `*`
 * matches names starting with a dot too, unlike a shell), `PurePath.match` (from the right),
 * `PurePath.full_match` and `glob` segments (`**` is any number of directories).
 *
 * @internal
 */

const regexCache = new Map<string, RegExp>()

/** The body of a regular expression for one glob segment (no anchors). */
const segmentSource = (pattern: string): string => {
  let out = ""
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (c === "*") {
      out += "[^/]*"
    } else if (c === "?") {
      out += "[^/]"
    } else if (c === "[") {
      const close = pattern.indexOf("]", i + 2)
      if (close < 0) {
        out += "\\["
        continue
      }
      let body = pattern.slice(i + 1, close)
      let negate = false
      if (body.startsWith("!")) {
        negate = true
        body = body.slice(1)
      }
      body = body.replace(/\\/g, "\\\\").replace(/\^/g, "\\^").replace(/\[/g, "\\[")
      out += `[${negate ? "^" : ""}${body}]`
      i = close
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
    }
  }
  return out
}

/** A matcher of one name against one glob segment. */
export const segmentMatcher = (pattern: string, caseSensitive: boolean): RegExp => {
  const key = `${caseSensitive ? "s" : "i"}:${pattern}`
  let re = regexCache.get(key)
  if (re === undefined) {
    re = new RegExp(`^${segmentSource(pattern)}$`, caseSensitive ? "s" : "si")
    regexCache.set(key, re)
  }
  return re
}

export const hasMagic = (segment: string): boolean => /[*?[]/.test(segment)

/**
 * `PurePath.match`: a relative pattern matches from the right (as many trailing parts as the pattern
 * has), an absolute one the whole path. `**` acts as `*` here (pathlib before full_match).
 */
export const matchFromRight = (
  parts: ReadonlyArray<string>,
  anchored: boolean,
  patternParts: ReadonlyArray<string>,
  patternAnchored: boolean,
  caseSensitive: boolean
): boolean => {
  if (patternAnchored && (!anchored || parts.length !== patternParts.length)) return false
  if (patternParts.length > parts.length) return false
  for (let i = 1; i <= patternParts.length; i++) {
    const p = patternParts[patternParts.length - i]!
    const name = parts[parts.length - i]!
    if (!segmentMatcher(p === "**" ? "*" : p, caseSensitive).test(name)) return false
  }
  return true
}

/** `PurePath.full_match`: the whole path against the pattern, `**` spanning any number of parts. */
export const fullMatch = (
  parts: ReadonlyArray<string>,
  patternParts: ReadonlyArray<string>,
  caseSensitive: boolean
): boolean => {
  const go = (i: number, j: number): boolean => {
    if (j === patternParts.length) return i === parts.length
    const p = patternParts[j]!
    if (p === "**") {
      for (let k = i; k <= parts.length; k++) if (go(k, j + 1)) return true
      return false
    }
    if (i === parts.length) return false
    return segmentMatcher(p, caseSensitive).test(parts[i]!) && go(i + 1, j + 1)
  }
  return go(0, 0)
}
