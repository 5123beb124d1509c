/**
 * Port table: for each AnyIO test file, how many of its tests we port (`// anyio: <name>` markers in
 * test/*.ts), how many of those pass, and how many make sense in TypeScript at all.
 *
 *   node_modules/.bin/node scripts/port-table.mjs              runs vitest on the files with markers
 *   node_modules/.bin/node scripts/port-table.mjs --no-run     counts only (no "passing" figures)
 *   node_modules/.bin/node scripts/port-table.mjs --report r.json   reuses a vitest JSON report
 *                                                  (one made with --reporter=json --includeTaskLocation)
 *   ... --markers                                  also lists each marker with the tests it labels
 *
 * AnyIO's source is read from $ANYIO_REF (default /work/anyio-ref, at tag 4.14.2); a test file that
 * tag lacks is read from its `master` branch and marked so. Counting rules:
 * - an AnyIO test is a `def test_*` at module level or in a `class Test*`; a parametrized one counts
 *   once (column "param." says how many of the count are parametrized);
 * - a marker labels the `it`/`describe` right after its comment block, else the `it` it sits in; an
 *   AnyIO test passes when every vitest test its markers label passed;
 * - a bare marker name (`test_x`) that several AnyIO files define goes to the file (and class) that
 *   most of the other markers of the same test file name.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "")
const ANYIO = process.env.ANYIO_REF ?? "/work/anyio-ref"
const MAIN_FILES = [
  "tests/test_taskgroups.py",
  "tests/test_synchronization.py",
  "tests/streams/test_memory.py",
  "tests/test_concurrency_utils.py",
  "tests/test_debugging.py"
]

/** AnyIO tests that make no sense in TypeScript, with the reason. Keys: "file::[Class.]test_name". */
const NOT_PORTABLE = {
  // tests/test_taskgroups.py
  "tests/test_taskgroups.py::test_run_natively": "runs a coroutine under the native asyncio/trio runner",
  "tests/test_taskgroups.py::test_no_spin_on_done_task_in_cancel_scope": "a scope entered and never exited",
  "tests/test_taskgroups.py::test_cancel_host_asyncgen": "Python async generator as host",
  "tests/test_taskgroups.py::test_cancel_generator_based_task": "Python generator-based coroutines",
  "tests/test_taskgroups.py::test_schedule_old_style_coroutine_func": "Python generator-based coroutines",
  "tests/test_taskgroups.py::test_cancel_native_future_tasks": "asyncio futures",
  "tests/test_taskgroups.py::test_cancel_native_future_tasks_cancel_scope": "asyncio futures",
  "tests/test_taskgroups.py::test_task_in_sync_spawn_callback": "asyncio loop.call_soon callback",
  "tests/test_taskgroups.py::test_cancelscope_wrong_exit_order":
    "scope body is a callback: misnesting impossible",
  "tests/test_taskgroups.py::test_cancelscope_exit_before_enter":
    "scope body is a callback: misnesting impossible",
  "tests/test_taskgroups.py::test_cancelscope_exit_in_wrong_task":
    "scope body is a callback: misnesting impossible",
  "tests/test_taskgroups.py::TestUncancel.test_uncancel_after_native_cancel": "asyncio Task.uncancel()",
  "tests/test_taskgroups.py::TestUncancel.test_uncancel_after_scope_cancel": "asyncio Task.uncancel()",
  "tests/test_taskgroups.py::TestUncancel.test_uncancel_after_scope_and_native_cancel":
    "asyncio Task.uncancel()",
  "tests/test_taskgroups.py::TestUncancel.test_cancel_message_replaced": "asyncio cancel message",
  "tests/test_taskgroups.py::TestUncancel.test_cancel_counter_nested_scopes": "asyncio Task.cancelling()",
  "tests/test_taskgroups.py::TestUncancel.test_uncancel_after_taskgroup_cancelled": "asyncio Task.uncancel()",
  "tests/test_taskgroups.py::TestUncancel.test_uncancel_after_group_aexit_native_cancel":
    "asyncio Task.uncancel()",
  "tests/test_taskgroups.py::TestUncancel.test_uncancel_after_child_task_failed": "asyncio Task.uncancel()",
  "tests/test_taskgroups.py::TestUncancel.test_uncancel_cancelled_scope_based_checkpoint":
    "asyncio Task.uncancel()",
  "tests/test_taskgroups.py::TestRefcycles.test_exception_refcycles_direct": "CPython reference cycles (gc)",
  "tests/test_taskgroups.py::TestRefcycles.test_exception_refcycles_errors": "CPython reference cycles (gc)",
  "tests/test_taskgroups.py::TestRefcycles.test_exception_refcycles_parent_task":
    "CPython reference cycles (gc)",
  "tests/test_taskgroups.py::TestRefcycles.test_exception_refcycles_propagate_cancellation_error":
    "CPython reference cycles (gc)",
  "tests/test_taskgroups.py::TestRefcycles.test_exception_refcycles_base_error":
    "CPython reference cycles (gc)",
  "tests/test_taskgroups.py::test_eager_task_factory": "asyncio eager task factory",
  "tests/test_taskgroups.py::test_patched_asyncio_task": "monkeypatched asyncio.Task",
  "tests/test_taskgroups.py::test_exception_groups_suppresses_exc_context": "Python __context__ chaining",
  "tests/test_taskgroups.py::test_asyncio_call_graph": "asyncio call graph introspection",
  "tests/test_taskgroups.py::TestCreateTask.test_coro_attr": "handle.coro: a Python coroutine object",
  "tests/test_taskgroups.py::TestCreateTask.test_custom_context": "contextvars.Context argument",
  "tests/test_taskgroups.py::test_task_from_asyncgen_asend": "Python async generator asend()",
  // tests/test_synchronization.py
  "tests/test_synchronization.py::TestCapacityLimiter.test_total_tokens_as_kwarg":
    "Python keyword argument (total_tokens=1); the constructor takes one positional number",
  // tests/streams/test_memory.py
  "tests/streams/test_memory.py::test_deprecated_item_type_parameter": "Python deprecation warning",
  "tests/streams/test_memory.py::test_not_closed_warning": "ResourceWarning from a Python finalizer",
  "tests/streams/test_memory.py::test_memory_object_item_receiver_repr": "Python repr()",
  // tests/test_concurrency_utils.py
  "tests/test_concurrency_utils.py::test_as_completed_naming":
    "asCompleted streams results, not TaskHandles: there is no task name to compare",
  // tests/test_debugging.py
  "tests/test_debugging.py::test_wait_generator_based_task_blocked": "Python generator-based coroutines",
  "tests/test_debugging.py::test_wait_all_tasks_blocked_asend": "Python async generator asend()",
  // tests/test_to_thread.py (issue 19: about 8 of 20)
  "tests/test_to_thread.py::test_deprecated_cancellable_param":
    "Python deprecation warning of a removed parameter",
  "tests/test_to_thread.py::test_contextvar_propagation":
    "a worker thread has its own heap: no context variable can be shared with it (only cloned arguments)",
  "tests/test_to_thread.py::test_asynclib_detection": "Python sniffio detection in the worker",
  "tests/test_to_thread.py::test_asyncio_no_root_task": "asyncio event loop internals",
  "tests/test_to_thread.py::test_asyncio_future_callback_partial": "asyncio future callbacks",
  "tests/test_to_thread.py::test_asyncio_run_sync_no_asyncio_run": "asyncio.run internals",
  "tests/test_to_thread.py::test_asyncio_run_sync_multiple": "asyncio event loops run one after the other",
  "tests/test_to_thread.py::test_asyncio_no_recycle_stopping_worker": "asyncio event loop stopping internals",
  "tests/test_to_thread.py::test_asyncio_run_does_not_leak_event_loop": "asyncio event loop internals",
  "tests/test_to_thread.py::TestBlockingPortalProvider.test_single_thread":
    "BlockingPortalProvider runs an event loop in a Python thread for synchronous callers; a worker thread here calls back with fromThread",
  "tests/test_to_thread.py::TestBlockingPortalProvider.test_single_thread_overlapping":
    "BlockingPortalProvider (see test_single_thread)",
  "tests/test_to_thread.py::TestBlockingPortalProvider.test_multiple_threads":
    "BlockingPortalProvider (see test_single_thread)"
}

const args = process.argv.slice(2)
const noRun = args.includes("--no-run")
const showMarkers = args.includes("--markers")
const reportArg = args.includes("--report") ? args[args.indexOf("--report") + 1] : undefined

// ---------------------------------------------------------------------------------------------
// AnyIO's tests

/** Reads an AnyIO file from the checkout, else from its master branch. */
const readAnyio = (file) => {
  const path = join(ANYIO, file)
  if (existsSync(path)) return { text: readFileSync(path, "utf8"), note: "" }
  const r = spawnSync("git", ["-C", ANYIO, "show", `master:${file}`], { encoding: "utf8" })
  if (r.status === 0) return { text: r.stdout, note: "AnyIO master, after 4.14.2" }
  return undefined
}

/** True when a decorator block parametrizes on something other than the backend (`anyio_backend`). */
const parametrizes = (decorators) =>
  [...decorators.matchAll(/@pytest\.mark\.parametrize\(\s*["']([^"']*)["']/g)].some(
    (m) => m[1] !== "anyio_backend"
  )

/** The tests of one Python file: [{ name: "[Class.]test_x", method: "test_x", parametrized }]. */
const parsePython = (text) => {
  const tests = []
  let cls // { name, indent, parametrized }
  let decorators = "" // the decorator lines above the next def/class
  for (const line of text.split("\n")) {
    const m = /^(\s*)(\S.*)$/.exec(line)
    if (!m) continue
    const indent = m[1].length
    const code = m[2]
    if (cls && indent <= cls.indent && !code.startsWith("#") && !code.startsWith(")")) cls = undefined
    const c = /^class (\w+)/.exec(code)
    const d = /^(?:async )?def (\w+)/.exec(code)
    if (!c && !d) {
      if (code.startsWith("@") || decorators) decorators += ` ${code}`
      continue
    }
    const parametrized = parametrizes(decorators)
    decorators = ""
    if (c) {
      if (indent === 0 && c[1].startsWith("Test")) cls = { name: c[1], indent, parametrized }
      continue
    }
    const inClass = cls && indent > cls.indent
    if (d[1].startsWith("test") && (indent === 0 || (inClass && indent === cls.indent + 4))) {
      tests.push({
        name: inClass ? `${cls.name}.${d[1]}` : d[1],
        method: d[1],
        parametrized: parametrized || (inClass && cls.parametrized)
      })
    }
  }
  return tests
}

const listPy = (dir) =>
  readdirSync(join(ANYIO, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listPy(join(dir, e.name)) : /^test_.*\.py$/.test(e.name) ? [join(dir, e.name)] : []
  )

const anyioFiles = new Map() // file -> { tests, note }
for (const file of [...new Set([...listPy("tests"), ...MAIN_FILES])]) {
  const src = readAnyio(file)
  anyioFiles.set(
    file,
    src ? { tests: parsePython(src.text), note: src.note } : { tests: [], note: "missing" }
  )
}

// ---------------------------------------------------------------------------------------------
// Our markers

const listTs = (dir) =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listTs(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []
  )

const isComment = (line) => /^\s*\/\//.test(line)
/** The names a marker text lists: those before its first prose ("(", ". ", ":"). */
const namesIn = (text) => {
  const head = text.split(/\(|\. |: | — /)[0]
  return [...head.matchAll(/\b(?:Test\w+\.)?test_\w+/g)].map((x) => x[0])
}

const markers = [] // { file, line (1-based), lines, names, note }
for (const file of listTs("test")) {
  const lines = readFileSync(join(ROOT, file), "utf8").split("\n")
  lines.forEach((line, i) => {
    const m = /^\s*\/\/\s*anyio:\s*(.*)$/.exec(line)
    if (!m) return
    let text = m[1]
    let j = i + 1
    while (/,\s*$/.test(text) && j < lines.length && isComment(lines[j])) {
      text += ` ${lines[j].replace(/^\s*\/\/\s*/, "")}`
      j++
    }
    const names = namesIn(text)
    if (names.length === 0) return
    // A "differs"/"variant" note in the comment block the marker is part of.
    let first = i
    while (first > 0 && isComment(lines[first - 1])) first--
    let note
    for (let k = first; k < lines.length && isComment(lines[k]) && !note; k++) {
      if (/\b(differs?|variant)\b/i.test(lines[k])) note = { line: k + 1 }
    }
    markers.push({ file, line: i + 1, lines, names, note })
  })
}

// Resolve each marker name to an AnyIO (file, test).
const byMethod = new Map() // method -> [{ file, test }]
const byQualified = new Map()
for (const [file, { tests }] of anyioFiles) {
  for (const test of tests) {
    byQualified.set(test.name, [...(byQualified.get(test.name) ?? []), { file, test }])
    byMethod.set(test.method, [...(byMethod.get(test.method) ?? []), { file, test }])
  }
}
let masterNames
/** Whether AnyIO's master branch (newer than the checkout) has a test of this name. */
const inMaster = (name) => {
  if (!masterNames) {
    const r = spawnSync("git", ["-C", ANYIO, "grep", "-h", "-E", "def test_", "master", "--", "tests"], {
      encoding: "utf8"
    })
    masterNames = new Set([...(r.stdout ?? "").matchAll(/def (test_\w+)/g)].map((m) => m[1]))
  }
  return masterNames.has(name.split(".").pop())
}
const candidatesOf = (name) => (name.includes(".") ? byQualified.get(name) : byMethod.get(name)) ?? []
const classOf = (test) => (test.name.includes(".") ? test.name.split(".")[0] : "")

// Votes: which AnyIO file and class each of our files ports, from its unambiguous names.
const votes = new Map() // our file -> Map(key -> count)
const vote = (file, key) => {
  const v = votes.get(file) ?? new Map()
  v.set(key, (v.get(key) ?? 0) + 1)
  votes.set(file, v)
}
for (const mk of markers) {
  for (const name of mk.names) {
    const cands = candidatesOf(name)
    if (new Set(cands.map((c) => c.file)).size === 1) vote(mk.file, cands[0].file)
    if (cands.length === 1) vote(mk.file, `${cands[0].file}::${classOf(cands[0].test)}`)
  }
}
const unresolved = []
const masterOnly = [] // markers naming tests newer than the checkout
const resolve = (mk, name) => {
  let cands = candidatesOf(name)
  if (cands.length <= 1) return cands[0]
  // The candidate class named nearest above the marker (a describe title, a comment) wins.
  const classes = new Set(cands.map((c) => classOf(c.test)).filter((x) => x))
  for (let k = mk.line - 1; k >= 0 && classes.size > 1; k--) {
    const named = [...classes].filter((cl) => new RegExp(`\\b${cl}\\b`).test(mk.lines[k]))
    if (named.length === 1) {
      cands = cands.filter((c) => classOf(c.test) === named[0])
      break
    }
  }
  if (cands.length === 1) return cands[0]
  const v = votes.get(mk.file) ?? new Map()
  const score = (c) => (v.get(c.file) ?? 0) * 1000 + (v.get(`${c.file}::${classOf(c.test)}`) ?? 0)
  const sorted = [...cands].sort((a, b) => score(b) - score(a))
  return score(sorted[0]) > score(sorted[1]) ? sorted[0] : undefined
}

const ports = new Map() // "file::name" -> [marker]
for (const mk of markers) {
  for (const name of mk.names) {
    const r = resolve(mk, name)
    if (!r) {
      if (!candidatesOf(name).length && inMaster(name)) masterOnly.push(`${mk.file}:${mk.line} ${name}`)
      else
        unresolved.push(
          `${mk.file}:${mk.line} ${name} (${candidatesOf(name).length ? "ambiguous" : "unknown"})`
        )
      continue
    }
    const key = `${r.file}::${r.test.name}`
    ports.set(key, [...(ports.get(key) ?? []), mk])
  }
}

// ---------------------------------------------------------------------------------------------
// Vitest results, mapped to markers by line

const markedFiles = [...new Set(markers.map((m) => m.file))].sort()
let report
if (reportArg) report = JSON.parse(readFileSync(reportArg, "utf8"))
else if (!noRun) {
  const out = join(mkdtempSync(join(tmpdir(), "port-table-")), "report.json")
  const vitest = join(ROOT, "node_modules/vitest/vitest.mjs")
  const cmd = ["run", ...markedFiles, "--reporter=json", "--includeTaskLocation", `--outputFile=${out}`]
  const r = spawnSync(process.execPath, [vitest, ...cmd], { cwd: ROOT, encoding: "utf8", stdio: "pipe" })
  if (!existsSync(out)) {
    console.error(r.stderr || r.stdout)
    process.exit(1)
  }
  report = JSON.parse(readFileSync(out, "utf8"))
}

/** Our file -> Map(line -> [status]) */
const results = new Map()
for (const tr of report?.testResults ?? []) {
  const file = relative(ROOT, tr.name)
  const byLine = new Map()
  for (const a of tr.assertionResults) {
    if (a.location) byLine.set(a.location.line, [...(byLine.get(a.location.line) ?? []), a.status])
  }
  results.set(file, byLine)
}

const indentOf = (line) => /^\s*/.exec(line)[0].length
const balanced = (line) => {
  let depth = 0
  for (const ch of line.replace(/(["'`])(?:\\.|(?!\1).)*\1/g, ""))
    depth += "([{".includes(ch) ? 1 : ")]}".includes(ch) ? -1 : 0
  return depth === 0 && !/(=|=>|[([{,])\s*$/.test(line)
}
/** The last line (1-based) of the statement starting at `start` (biome's indentation shows it). */
const endOf = (lines, start) => {
  const ind = indentOf(lines[start - 1])
  if (balanced(lines[start - 1])) return start
  for (let k = start; k < lines.length; k++) {
    if (!lines[k].trim()) continue
    const i = indentOf(lines[k])
    if (i > ind || lines[k].trim().startsWith("]")) continue
    if (i < ind || !/^[)}]/.test(lines[k].trim())) return k
    if (!/[{(]\s*$|=>\s*$/.test(lines[k])) return k + 1
  }
  return lines.length
}

/** The vitest tests a marker labels, as [line, status] pairs; undefined when it labels none. */
const labelledBy = (mk) => {
  const byLine = results.get(mk.file)
  if (!byLine) return undefined
  const { lines } = mk
  let n = mk.line // 0-based index of the line after the marker
  const skip = () => {
    while (n < lines.length && (isComment(lines[n]) || !lines[n].trim())) n++
  }
  skip()
  // Past the test's own data (`const cases = [...]`) to the loop or call that uses it.
  while (/^\s*(const|let)\b/.test(lines[n] ?? "")) {
    n = endOf(lines, n + 1)
    skip()
  }
  const next = n + 1
  const at = (l) => byLine.get(l).map((st) => [l, st])
  if (byLine.has(next)) return at(next)
  if (/^\s*(describe|it|test|for)\b/.test(lines[n] ?? "")) {
    const end = endOf(lines, next)
    const inside = [...byLine.keys()].filter((l) => l > next && l <= end).flatMap(at)
    if (inside.length) return inside
  }
  const enclosing = [...byLine.keys()].filter((l) => l < mk.line && endOf(lines, l) > mk.line)
  if (enclosing.length) return at(Math.max(...enclosing))
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Output

const rowFiles = [
  ...MAIN_FILES,
  ...[...new Set([...ports.keys()].map((k) => k.split("::")[0]))]
    .filter((f) => !MAIN_FILES.includes(f))
    .sort()
]
const unlabelled = []
const failing = []
const rows = rowFiles.map((file) => {
  const { tests, note } = anyioFiles.get(file)
  let ported = 0
  let passing = 0
  const missing = []
  let notPortable = 0
  for (const t of tests) {
    const key = `${file}::${t.name}`
    const np = NOT_PORTABLE[key]
    if (np) notPortable++
    const mks = ports.get(key)
    if (!mks) {
      if (!np) missing.push(t.name)
      continue
    }
    ported++
    const statuses = mks.map((mk) => labelledBy(mk)?.map(([, st]) => st))
    for (const [i, s] of statuses.entries())
      if (!s && report) unlabelled.push(`${mks[i].file}:${mks[i].line}`)
    if (statuses.every((s) => s?.every((x) => x === "passed"))) passing++
    else if (report) {
      const at = mks.map(
        (mk, i) => `${mk.file}:${mk.line} ${[...new Set(statuses[i] ?? ["no test"])].join("/")}`
      )
      failing.push(`${file} ${t.name}: ${at.join(", ")}`)
    }
  }
  return { file, note, tests, ported, passing, portable: tests.length - notPortable, missing }
})
for (const key of Object.keys(NOT_PORTABLE)) {
  const [file, name] = key.split("::")
  if (!anyioFiles.get(file)?.tests.some((t) => t.name === name))
    unresolved.push(`NOT_PORTABLE ${key}: no such test`)
  if (ports.has(key)) unresolved.push(`NOT_PORTABLE ${key}: is ported (drop it from the list)`)
}

const out = []
out.push("# AnyIO tests ported", "")
out.push(
  `AnyIO: ${ANYIO}. Vitest: ${report ? `${markedFiles.length} test files with markers` : "not run"}.`,
  ""
)
out.push("| AnyIO test file | tests | param. | portable | ported | passing | portable, not ported |")
out.push("|---|---:|---:|---:|---:|---:|---:|")
for (const r of rows) {
  const param = r.tests.filter((t) => t.parametrized).length
  const label = r.note ? `${r.file} (${r.note})` : r.file
  const pass = report ? r.passing : "-"
  out.push(
    `| ${label} | ${r.tests.length} | ${param} | ${r.portable} | ${r.ported} | ${pass} | ${r.missing.length} |`
  )
}
const total = (k) => rows.reduce((s, r) => s + (typeof r[k] === "number" ? r[k] : r[k].length), 0)
out.push(
  `| **total** | ${total("tests")} | | ${total("portable")} | ${total("ported")} | ${report ? total("passing") : "-"} | ${total("missing")} |`
)
out.push(
  "",
  "A parametrized test counts once. Portable = tests minus the NOT_PORTABLE list in this script, which",
  "covers the first five files only (for the others, portable = tests)."
)

out.push("", "## Portable, not ported (main files)", "")
for (const r of rows.filter((r) => MAIN_FILES.includes(r.file) && r.missing.length)) {
  out.push(`- ${r.file}: ${r.missing.join(", ")}`)
}

if (report) {
  out.push("", "## Ported, not passing", "")
  out.push(...(failing.length ? failing.map((f) => `- ${f}`) : ["- none"]))
}

out.push("", "## Ports with a 'differs' / 'variant' note", "")
const seen = new Set()
for (const mk of markers.filter((m) => m.note)) {
  const at = `${mk.file}:${mk.note.line}`
  if (seen.has(at)) continue
  seen.add(at)
  const block = []
  for (let k = mk.note.line - 1; k < mk.lines.length && isComment(mk.lines[k]); k++) {
    block.push(mk.lines[k].replace(/^\s*\/\/\s*/, ""))
  }
  const text = block.join(" ").replace(/^anyio: /, "")
  out.push(`- ${at} ${mk.names.join(", ")}: ${text.length > 200 ? `${text.slice(0, 200)}...` : text}`)
}
if (seen.size === 0) out.push("- none")

if (masterOnly.length) {
  out.push("", "## Ports of tests only in AnyIO master (newer than the checkout; not counted)", "")
  out.push(masterOnly.join("; "))
}

if (unresolved.length || unlabelled.length) {
  out.push("", "## Markers not counted", "")
  for (const u of unresolved) out.push(`- ${u}`)
  for (const u of [...new Set(unlabelled)]) out.push(`- ${u} labels no vitest test`)
}
if (showMarkers && report) {
  out.push("", "## Markers and the vitest tests they label (file:line of the marker -> lines)", "")
  for (const mk of markers) {
    const l = labelledBy(mk)
    out.push(
      `- ${mk.file}:${mk.line} ${mk.names.join(", ")} -> ${l ? l.map(([n, st]) => `${n} ${st}`).join(", ") : "none"}`
    )
  }
}
console.log(out.join("\n"))
