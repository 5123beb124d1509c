/**
 * Property test (issue 14, "Done when"): tasks that cancel their own scopes and their group at
 * random points, with plain synchronous steps logged around each cancel. A step runs if and only
 * if no suspension came between the cancel and it (AnyIO: `Cancelled` is raised at the next
 * checkpoint; the code up to there runs).
 *
 * A program is a task group whose host and 1-3 child tasks each run a block of operations:
 * - `step`: logs its id (a plain statement in the generator, or `Effect.sync`);
 * - `point`: a cancellation point: `sleep(0)`, `sleep(d)`, `checkpoint()`, `Effect.yieldNow`,
 *   `Effect.sleep`, a memory stream `send` with buffer space, `Event.wait` on a set event (all
 *   suspend), or `checkpointIfCancelled()` (raises a pending cancellation, does not suspend);
 * - `cancel`: cancels one of the task's enclosing scopes or the group (`cancel()`,
 *   `tg.cancelScope.cancel()`, or a deadline set into the past);
 * - `unshield`: turns off the shield of an enclosing scope;
 * - `scope`: a nested cancel scope (shielded or not) around a block.
 *
 * The model interprets each task alone: a cancelled scope is visible from the innermost scope out
 * to the first shielded one (inclusive); at a cancellation point with a visible cancelled scope,
 * the outermost such scope catches (AnyIO's rule: a scope does not catch while an enclosing
 * cancellation is visible to it); its body is left there, and the task goes on after it. The
 * group's own cancellation, when another task made it, reaches a task at the point it was
 * suspended in at that moment (read from the trace), or before its first operation when it had not
 * started (a task begun in a cancelled group runs up to its first cancellation point).
 *
 * Checked: every task's log of steps is the model's; every scope's `cancelledCaught` and its
 * `Option` result; the group's result (`Some` iff the host's block ran to its end); no failure.
 * Each task sleeps for lengths of its own, so that no two tasks wake at the same instant (that case
 * differs: see the last test). The model is AnyIO's: "the model agrees with AnyIO" runs 400 programs
 * under AnyIO 4.14 on a virtual-time asyncio loop (test/reference/checkpoint_property.py):
 *   source /work/anyio-env.sh && ANYIO_CROSSCHECK=1 npx vitest run test/checkpoint.property.test.ts
 */
import { spawnSync } from "node:child_process"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import fc from "fast-check"
import {
  type CancelScope,
  cancelScope,
  checkpoint,
  checkpointIfCancelled,
  createMemoryObjectStream,
  createTaskGroup,
  Event,
  makeCancelScope,
  sleep,
  type TaskGroup
} from "../src/index.ts"
import { autojump } from "../src/Testing.ts"

// ---------------------------------------------------------------------------------------------
// Programs
// ---------------------------------------------------------------------------------------------

type PointKind =
  | "sleep0"
  | "sleepHalf"
  | "sleepOne"
  | "checkpoint"
  | "yieldNow"
  | "effectSleep"
  | "send"
  | "eventWait"
  | "ifCancelled"

type CancelVia = "cancel" | "groupScope" | "deadline"

type Op =
  | { readonly t: "step"; readonly plain: boolean }
  | { readonly t: "point"; readonly kind: PointKind }
  /** `level` picks the scope: level mod (own scopes + 1); 0 is the group, 1.. the own scopes outward-in. */
  | { readonly t: "cancel"; readonly level: number; readonly via: CancelVia }
  | { readonly t: "unshield"; readonly level: number }
  | {
      readonly t: "scope"
      readonly shield: boolean
      readonly make: boolean
      readonly body: ReadonlyArray<Op>
    }

/** The same, with ids given to steps and scopes. */
type IOp =
  | { readonly t: "step"; readonly plain: boolean; readonly id: string }
  | { readonly t: "point"; readonly kind: PointKind }
  | { readonly t: "cancel"; readonly level: number; readonly via: CancelVia }
  | { readonly t: "unshield"; readonly level: number }
  | {
      readonly t: "scope"
      readonly shield: boolean
      readonly make: boolean
      readonly id: string
      readonly body: ReadonlyArray<IOp>
    }

interface Program {
  readonly host: ReadonlyArray<IOp>
  readonly children: ReadonlyArray<ReadonlyArray<IOp>>
}

const pointKind = fc.constantFrom<PointKind>(
  "sleep0",
  "sleepHalf",
  "sleepOne",
  "checkpoint",
  "yieldNow",
  "effectSleep",
  "send",
  "eventWait",
  "ifCancelled"
)

const leafOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("step" as const), plain: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("point" as const), kind: pointKind }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant("cancel" as const),
      level: fc.nat(6),
      via: fc.constantFrom<CancelVia>("cancel", "cancel", "groupScope", "deadline")
    })
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("unshield" as const), level: fc.nat(6) }) }
)

const { block } = fc.letrec<{ block: ReadonlyArray<Op>; op: Op }>((tie) => ({
  block: fc.array(tie("op"), { maxLength: 7 }),
  op: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafOp,
    fc.record({
      t: fc.constant("scope" as const),
      shield: fc.boolean(),
      make: fc.boolean(),
      body: tie("block")
    })
  )
}))

const rawProgram = fc.record({ host: block, children: fc.array(block, { minLength: 1, maxLength: 3 }) })

const label = (raw: { host: ReadonlyArray<Op>; children: ReadonlyArray<ReadonlyArray<Op>> }): Program => {
  const ids = (task: string, ops: ReadonlyArray<Op>): ReadonlyArray<IOp> => {
    let steps = 0
    let scopes = 0
    const go = (ops: ReadonlyArray<Op>): ReadonlyArray<IOp> =>
      ops.map((op) => {
        if (op.t === "step") return { ...op, id: `${task}.${++steps}` }
        if (op.t === "scope") {
          const id = `${task}.s${++scopes}`
          return { ...op, id, body: go(op.body) }
        }
        return op
      })
    return go(ops)
  }
  return { host: ids("h", raw.host), children: raw.children.map((ops, i) => ids(`c${i}`, ops)) }
}

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

interface Frame {
  cancelled: boolean
  shield: boolean
}

interface Expected {
  readonly steps: ReadonlyArray<string>
  /** Scope id -> cancelledCaught, for the scopes that were entered. */
  readonly caught: ReadonlyMap<string, boolean>
  /** The block ran to its end (not left by the group's cancellation). */
  readonly completed: boolean
}

class Unwind {
  readonly frame: number
  constructor(frame: number) {
    this.frame = frame
  }
}

/**
 * Interprets one task's block. `groupCancelledAt`: the group was cancelled by another task while
 * this one was in its n-th cancellation point (1-based), or before it started (0), or never.
 */
const model = (ops: ReadonlyArray<IOp>, groupCancelledAt: number | undefined): Expected => {
  const steps: Array<string> = []
  const caught = new Map<string, boolean>()
  const frames: Array<Frame> = [{ cancelled: groupCancelledAt === 0, shield: false }]
  let points = 0
  const run = (ops: ReadonlyArray<IOp>): void => {
    for (const op of ops) {
      switch (op.t) {
        case "step":
          steps.push(op.id)
          break
        case "cancel":
          frames[op.level % frames.length]!.cancelled = true
          break
        case "unshield": {
          const i = op.level % frames.length
          if (i > 0) frames[i]!.shield = false
          break
        }
        case "point": {
          points++
          if (points === groupCancelledAt) frames[0]!.cancelled = true
          let outermost: number | undefined
          for (let i = frames.length - 1; i >= 0; i--) {
            if (frames[i]!.cancelled) outermost = i
            if (frames[i]!.shield) break
          }
          if (outermost !== undefined) throw new Unwind(outermost)
          break
        }
        case "scope": {
          const index = frames.length
          frames.push({ cancelled: false, shield: op.shield })
          let scopeCaught = false
          try {
            run(op.body)
          } catch (e) {
            if (!(e instanceof Unwind) || e.frame !== index) throw e
            scopeCaught = true
          } finally {
            frames.pop()
            caught.set(op.id, scopeCaught)
          }
          break
        }
      }
    }
  }
  try {
    run(ops)
    return { steps, caught, completed: true }
  } catch (e) {
    if (!(e instanceof Unwind) || e.frame !== 0) throw e
    return { steps, caught, completed: false }
  }
}

// ---------------------------------------------------------------------------------------------
// Running a program
// ---------------------------------------------------------------------------------------------

type TraceEvent =
  | { readonly task: string; readonly e: "start" | "done" | "groupCancel" }
  | { readonly task: string; readonly e: "step"; readonly id: string }
  | { readonly task: string; readonly e: "begin" | "end"; readonly n: number }

interface Observed {
  readonly trace: ReadonlyArray<TraceEvent>
  readonly caught: ReadonlyMap<string, boolean>
  readonly optionNone: ReadonlyMap<string, boolean>
  readonly result: Exit.Exit<Option.Option<string>, unknown>
}

/**
 * How long task number `task` (0: the host, 1..: the children) sleeps: a length of its own, so that
 * no two tasks wake at the same instant (see "wake-ups that fall due together" below).
 */
const sleepLength = (kind: "sleepHalf" | "sleepOne" | "effectSleep", task: number): number =>
  kind === "sleepHalf" ? 0.5 + 0.05 * task : kind === "sleepOne" ? 1 + 0.13 * task : 0.3 + 0.07 * task

const pointEffect = (kind: PointKind, task: number): Effect.Effect<void, unknown> => {
  switch (kind) {
    case "sleep0":
      return sleep(0)
    case "sleepHalf":
    case "sleepOne":
      return sleep(sleepLength(kind, task))
    case "effectSleep":
      return Effect.sleep(Math.round(sleepLength(kind, task) * 1000))
    case "checkpoint":
      return checkpoint()
    case "yieldNow":
      return Effect.yieldNow
    case "send":
      return Effect.suspend(() => createMemoryObjectStream<number>(Number.POSITIVE_INFINITY)[0].send(1))
    case "eventWait":
      return Effect.suspend(() => {
        const event = new Event()
        return Effect.andThen(event.set(), event.wait())
      })
    case "ifCancelled":
      return checkpointIfCancelled()
  }
}

const execute = (program: Program): Effect.Effect<Observed> =>
  Effect.gen(function* () {
    const trace: Array<TraceEvent> = []
    const caught = new Map<string, boolean>()
    const optionNone = new Map<string, boolean>()

    const runTask = (
      name: string,
      index: number,
      ops: ReadonlyArray<IOp>,
      tg: TaskGroup
    ): Effect.Effect<void, unknown> => {
      let points = 0
      const runBlock = (
        ops: ReadonlyArray<IOp>,
        scopes: ReadonlyArray<CancelScope>
      ): Effect.Effect<void, unknown> =>
        Effect.gen(function* () {
          for (const op of ops) {
            switch (op.t) {
              case "step":
                if (op.plain) trace.push({ task: name, e: "step", id: op.id })
                else yield* Effect.sync(() => trace.push({ task: name, e: "step", id: op.id }))
                break
              case "cancel": {
                const i = op.level % (scopes.length + 1)
                if (i === 0) {
                  trace.push({ task: name, e: "groupCancel" })
                  if (op.via === "cancel") yield* tg.cancel()
                  else if (op.via === "groupScope") yield* tg.cancelScope.cancel()
                  else tg.cancelScope.deadline = Number.NEGATIVE_INFINITY
                } else {
                  const scope = scopes[i - 1]!
                  if (op.via === "deadline") scope.deadline = Number.NEGATIVE_INFINITY
                  else yield* scope.cancel()
                }
                break
              }
              case "unshield": {
                const i = op.level % (scopes.length + 1)
                if (i > 0) scopes[i - 1]!.shield = false
                break
              }
              case "point": {
                const n = ++points
                trace.push({ task: name, e: "begin", n })
                yield* pointEffect(op.kind, index)
                trace.push({ task: name, e: "end", n })
                break
              }
              case "scope": {
                let entered: CancelScope | undefined
                const made = op.make ? makeCancelScope({ shield: op.shield }) : undefined
                const r = yield* cancelScope(made ?? { shield: op.shield }, (scope) => {
                  entered = scope
                  return runBlock(op.body, [...scopes, scope])
                }).pipe(
                  Effect.onExit(() =>
                    Effect.sync(() => {
                      if (made !== undefined) expect(entered).toBe(made)
                      caught.set(op.id, entered?.cancelledCaught ?? false)
                    })
                  )
                )
                optionNone.set(op.id, Option.isNone(r))
                break
              }
            }
          }
        })
      return Effect.gen(function* () {
        trace.push({ task: name, e: "start" })
        yield* runBlock(ops, [])
        trace.push({ task: name, e: "done" })
      })
    }

    const result = yield* Effect.exit(
      createTaskGroup((tg) =>
        Effect.gen(function* () {
          for (const [i, ops] of program.children.entries())
            yield* tg.startSoon(runTask(`c${i}`, i + 1, ops, tg))
          yield* runTask("h", 0, program.host, tg)
          return "host value"
        })
      )
    )
    return { trace, caught, optionNone, result }
  })

// ---------------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------------

/** Where the group's cancellation (made by another task) reached `task`: see {@link model}. */
const groupCancelledAt = (trace: ReadonlyArray<TraceEvent>, task: string): number | undefined => {
  const c = trace.findIndex((ev) => ev.e === "groupCancel")
  if (c < 0 || trace[c]!.task === task) return undefined
  const before = trace.slice(0, c).filter((ev) => ev.task === task)
  const last = before.at(-1)
  if (last === undefined) return 0
  if (last.e === "done") return undefined
  if (last.e === "begin") return last.n
  throw new Error(
    `${task} was neither suspended nor done when ${trace[c]!.task} cancelled the group: ${JSON.stringify(last)}`
  )
}

const check = (program: Program, observed: Observed): void => {
  const { trace } = observed
  expect(Exit.isSuccess(observed.result), `group exit: ${JSON.stringify(observed.result)}`).toBe(true)
  const tasks: Array<[string, ReadonlyArray<IOp>]> = [
    ["h", program.host],
    ...program.children.map((ops, i): [string, ReadonlyArray<IOp>] => [`c${i}`, ops])
  ]
  for (const [name, ops] of tasks) {
    const expected = model(ops, groupCancelledAt(trace, name))
    const steps = trace.flatMap((ev) => (ev.task === name && ev.e === "step" ? [ev.id] : []))
    expect(steps, `steps of ${name}`).toEqual(expected.steps)
    for (const [id, c] of expected.caught) {
      expect(observed.caught.get(id), `cancelledCaught of ${id}`).toBe(c)
      if (observed.optionNone.has(id)) expect(observed.optionNone.get(id), `None from ${id}`).toBe(c)
    }
    expect([...observed.caught.keys()].filter((id) => id.startsWith(`${name}.`)).sort()).toEqual(
      [...expected.caught.keys()].sort()
    )
    if (name === "h" && Exit.isSuccess(observed.result)) {
      expect(observed.result.value, "the group's result").toEqual(
        expected.completed ? Option.some("host value") : Option.none()
      )
    }
  }
}

describe("a step runs iff no suspension came between the cancel and it", () => {
  it.effect("random tasks cancelling their own scopes and their group", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(rawProgram, async (raw) => {
          const program = label(raw)
          const observed = await Effect.runPromise(autojump(execute(program)))
          check(program, observed)
        }),
        { numRuns: 300 }
      )
    )
  )

  // the model is AnyIO's: run generated programs under AnyIO 4.14 (test/reference/checkpoint_property.py)
  it.skipIf(process.env.ANYIO_CROSSCHECK !== "1")("the model agrees with AnyIO", () => {
    const programs = fc.sample(rawProgram, { numRuns: 400, seed: 14 }).map(label)
    const out = spawnSync(
      "python3",
      [new URL("reference/checkpoint_property.py", import.meta.url).pathname],
      {
        input: JSON.stringify(programs),
        encoding: "utf8",
        maxBuffer: 1 << 28
      }
    )
    expect(out.stderr).toBe("")
    const results = JSON.parse(out.stdout) as Array<{
      trace: Array<TraceEvent>
      caught: Record<string, boolean>
      completed: boolean
    }>
    const mismatches: Array<string> = []
    for (const [k, program] of programs.entries()) {
      const anyio = results[k]!
      const tasks: Array<[string, ReadonlyArray<IOp>]> = [
        ["h", program.host],
        ...program.children.map((ops, i): [string, ReadonlyArray<IOp>] => [`c${i}`, ops])
      ]
      const wrong: Array<string> = []
      for (const [name, ops] of tasks) {
        const expected = model(ops, groupCancelledAt(anyio.trace, name))
        const steps = anyio.trace.flatMap((ev) => (ev.task === name && ev.e === "step" ? [ev.id] : []))
        if (JSON.stringify(steps) !== JSON.stringify(expected.steps)) {
          wrong.push(`${name}: AnyIO ${steps}, model ${expected.steps}`)
        }
        for (const [id, c] of expected.caught) {
          if (anyio.caught[id] !== c) wrong.push(`${id}: AnyIO caught ${anyio.caught[id]}, model ${c}`)
        }
        if (name === "h" && anyio.completed !== expected.completed) wrong.push("host completion")
      }
      if (wrong.length > 0) {
        mismatches.push(`${wrong.join("; ")}\n${JSON.stringify(program)}\n${JSON.stringify(anyio.trace)}`)
      }
    }
    mismatches.sort((x, y) => x.length - y.length)
    expect(mismatches.length, mismatches.slice(0, 3).join("\n\n")).toBe(0)
  })

  it("the model: examples from AnyIO (test/reference/checkpoint_delivery.py)", () => {
    const step = (id: string): IOp => ({ t: "step", plain: true, id })
    const point: IOp = { t: "point", kind: "checkpoint" }
    // scope.cancel(); step; checkpoint; step: the first step runs, the scope catches
    const s = model(
      [
        {
          t: "scope",
          shield: false,
          make: false,
          id: "s",
          body: [{ t: "cancel", level: 1, via: "cancel" }, step("a"), point, step("b")]
        }
      ],
      undefined
    )
    expect(s.steps).toEqual(["a"])
    expect(s.caught.get("s")).toBe(true)
    // a scope that cancels itself as its last step does not catch
    expect(
      model(
        [
          {
            t: "scope",
            shield: false,
            make: false,
            id: "s",
            body: [{ t: "cancel", level: 1, via: "cancel" }]
          }
        ],
        undefined
      ).caught.get("s")
    ).toBe(false)
    // an enclosing visible cancellation: the outer scope catches; the code after the inner one does not run
    const nested = model(
      [
        {
          t: "scope",
          shield: false,
          make: false,
          id: "outer",
          body: [
            {
              t: "scope",
              shield: false,
              make: false,
              id: "inner",
              body: [
                { t: "cancel", level: 1, via: "cancel" },
                { t: "cancel", level: 2, via: "cancel" },
                point
              ]
            },
            step("after inner")
          ]
        },
        step("after outer")
      ],
      undefined
    )
    expect(nested.steps).toEqual(["after outer"])
    expect([nested.caught.get("inner"), nested.caught.get("outer")]).toEqual([false, true])
  })

  // AnyIO: test/reference/woken_same_instant.py. Timers that fall due at the same instant fire
  // together: the sleeper was woken before the canceller ran, so its sleep returns and it runs to
  // its next checkpoint (src/internal/sleep.ts; autojump's world schedules its sleepers the same way).
  it("wake-ups that fall due together: a sleeper woken with the canceller resumes", () =>
    autojump(
      Effect.gen(function* () {
        const log: Array<string> = []
        yield* createTaskGroup((tg) =>
          Effect.gen(function* () {
            yield* tg.startSoon(
              Effect.gen(function* () {
                yield* sleep(0.05)
                yield* tg.cancel()
                log.push("C cancelled")
              })
            )
            yield* tg.startSoon(
              Effect.gen(function* () {
                yield* sleep(0.05)
                log.push("S woke")
                yield* checkpoint()
                log.push("S after checkpoint")
              })
            )
          })
        )
        expect(log).toEqual(["C cancelled", "S woke"])
      })
    ).pipe(Effect.runPromise))
})
