import { Cause, Data, Effect, Exit } from "effect"
import { ExceptionGroup, fromCause, Defect } from "../src/ExceptionGroup.ts"
class NotFound extends Data.TaggedError("NotFound")<{ id: number }> { override get message() { return `not found: ${this.id}` } }
const f = Effect.fn("lookup")(function* (id: number) { return yield* Effect.fail(new NotFound({ id })) })
const ex = await Effect.runPromiseExit(Effect.all([f(1), f(1), Effect.die(new TypeError("boom"))], { concurrency: "unbounded", mode: "default" }))
const ex2 = Exit.isFailure(ex) ? ex.cause : Cause.empty
console.log(ex2.reasons.map(r => r._tag))
const c = Cause.fromReasons([...((await Effect.runPromiseExit(f(1))) as any).cause.reasons, ...((await Effect.runPromiseExit(f(2))) as any).cause.reasons])
const inner = fromCause("inner group", c)!
const eg = new ExceptionGroup("task group failed", ["plain string", inner, new Defect({ defect: new RangeError("bad") })], { cancelled: [{ name: "b", reason: "because task 'a' failed" }, { name: "c", reason: "because task 'a' failed" }] })
console.log(eg.pretty())
console.log("=====stack")
console.log(eg.stack)
console.log("=====Cause.pretty")
console.log(Cause.pretty(Cause.fail(eg)))
console.log("=====split")
console.log(eg.split("NotFound")[0]!.pretty())
