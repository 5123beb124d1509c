import { Cause, Data, Effect, Exit } from "effect"
import * as EG from "../src/ExceptionGroup.ts"
import { ExceptionGroup } from "../src/ExceptionGroup.ts"
class NotFound extends Data.TaggedError("NotFound")<{ id: number }> {}
class Timeout extends Data.TaggedError("Timeout")<{}> {}
type L = EG.GroupLeaves<ExceptionGroup<NotFound | Timeout> | Error>
const l: L = null!
const _x: NotFound | Timeout = l
const eff = Effect.fail(new ExceptionGroup<NotFound | Timeout>("m", [new NotFound({ id: 1 }), new Timeout()])) as Effect.Effect<number, ExceptionGroup<NotFound | Timeout> | "other">
const a = eff.pipe(EG.catchMembers("NotFound", (eg) => Effect.succeed(eg.exceptions.length)))
type A = typeof a
const a2 = eff.pipe(EG.catchMembers(["NotFound", "Timeout"], (eg) => Effect.succeed(eg)))
const a3 = EG.catchMembers(eff, ["NotFound", "Timeout"], (eg) => Effect.succeed(eg))
const a4 = eff.pipe(EG.catchMembersIf((e): e is NotFound => e._tag === "NotFound", (eg) => Effect.succeed(eg)))
const a5 = eff.pipe(EG.catchMembersIf((e) => e._tag === "NotFound", (eg) => Effect.succeed(eg)))
const a6 = eff.pipe(EG.catchMembersByTag({ NotFound: (eg) => Effect.succeed(1), Timeout: (eg) => Effect.fail("x" as const) }))
const a7 = eff.pipe(EG.unwrapSingle)
const g = new ExceptionGroup<NotFound | Timeout>("m", [new NotFound({ id: 1 })])
const s1 = g.split("NotFound")
const s2 = g.split((e): e is Timeout => e instanceof Timeout)
const s3 = g.split((e) => true)
const up: ExceptionGroup<NotFound | Timeout | string> = g
export const all = { a, a2, a3, a4, a5, a6, a7, s1, s2, s3, up }
