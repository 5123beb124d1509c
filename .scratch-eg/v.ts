import { Data, Effect } from "effect"
import { type Defect, type ExceptionGroup, type GroupLeaves, type MatchTag, type RemainingError } from "../src/ExceptionGroup.ts"
class NotFound extends Data.TaggedError("NotFound")<{ id: number }> {}
class Timeout extends Data.TaggedError("Timeout")<{}> {}
declare const eff: Effect.Effect<number, ExceptionGroup<NotFound | Timeout> | "other">
type TagOf<K> = K extends ReadonlyArray<infer T> ? T : K
declare const v1: <const K extends MatchTag<GroupLeaves<EE>> | ReadonlyArray<MatchTag<GroupLeaves<EE>>>, EE, A2, E2, R2>(
  tags: K,
  f: (group: ExceptionGroup<Extract<GroupLeaves<EE>, { readonly _tag: TagOf<K> }>>) => Effect.Effect<A2, E2, R2>
) => <A, R>(self: Effect.Effect<A, EE, R>) => Effect.Effect<A | A2, RemainingError<EE, { readonly _tag: TagOf<K> }> | E2, R | R2>
declare const v2: <EE, B extends GroupLeaves<EE> | Defect, A2, E2, R2>(
    refinement: (leaf: GroupLeaves<EE> | Defect) => leaf is B,
    f: (group: ExceptionGroup<Exclude<B, Defect>>) => Effect.Effect<A2, E2, R2>
  ) => <A, R>(self: Effect.Effect<A, EE, R>) => Effect.Effect<A | A2, RemainingError<EE, B> | E2, R | R2>
declare const v3: <EE, L extends GroupLeaves<EE>, A2, E2, R2>(
    predicate: (leaf: L | Defect) => boolean,
    f: (group: ExceptionGroup<L>) => Effect.Effect<A2, E2, R2>
  ) => <A, R>(self: Effect.Effect<A, EE, R>) => Effect.Effect<A | A2, RemainingError<EE, never> | E2, R | R2>
export const r1 = eff.pipe(v1("NotFound", (eg) => Effect.succeed(eg)))
export const r1b = eff.pipe(v1("NotFound", (eg: ExceptionGroup<NotFound>) => Effect.succeed(eg)))
export const r2 = eff.pipe(v1(["NotFound", "Timeout"], (eg) => Effect.succeed(eg)))
export const r3 = eff.pipe(v2((e): e is NotFound => e._tag === "NotFound", (eg) => Effect.succeed(eg)))
export const r4 = eff.pipe(v2((e) => e._tag === "NotFound", (eg) => Effect.succeed(eg)))
export const r5 = eff.pipe(v3((e) => e._tag === "NotFound", (eg) => Effect.succeed(eg)))
export const t1 = eff.pipe(Effect.catchTag("other" as never, (eg) => Effect.succeed(eg)))
