import { Cause, Data, Effect, Exit } from "effect"
import { ExceptionGroup } from "../src/ExceptionGroup.ts"
class NotFound extends Data.TaggedError("NotFound")<{ id: number }> {}
const eg = new ExceptionGroup("msg", [new NotFound({ id: 1 })])
console.log(JSON.stringify(Object.getOwnPropertyDescriptor(eg, "stack")), Object.keys(eg))
console.log(eg.stack!.split("\n").slice(0, 3))
const f = Effect.fn("myFn")(function* () { return yield* Effect.fail(new NotFound({ id: 2 })) })
const ex = await Effect.runPromiseExit(f().pipe(Effect.withSpan("outer")))
if (Exit.isFailure(ex)) { console.log("---pretty\n" + Cause.pretty(ex.cause)); console.log([...ex.cause.reasons[0].annotations.keys()]) }
const ex2 = await Effect.runPromiseExit(Effect.die(new TypeError("boom")).pipe(Effect.withSpan("outer2")))
if (Exit.isFailure(ex2)) console.log("---pretty\n" + Cause.pretty(ex2.cause))
console.log("---str\n" + Cause.pretty(Cause.fail("boom")))
console.log("---eg\n" + Cause.pretty(Cause.fail(eg)))
const p = Effect.fail(eg).pipe(Effect.catchTag("ExceptionGroup", (e) => Effect.succeed(e.exceptions.length)))
console.log(await Effect.runPromise(p))
