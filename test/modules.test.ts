/**
 * The namespace entry (`effect-anyio/modules`, issue 15): each module as a namespace, Effect's style,
 * with the same values and types as the module itself and as the root.
 */
import { Effect } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import * as Root from "../src/index.ts"
import * as Modules from "../src/modules.ts"
import { CancelScope, Lock, MemoryObjectStream, TaskGroup } from "../src/modules.ts"
import * as TaskGroupModule from "../src/TaskGroup.ts"

describe("effect-anyio/modules", () => {
  it("each namespace is its module", () => {
    expect(TaskGroup.createTaskGroup).toBe(TaskGroupModule.createTaskGroup)
    expect(Object.keys(TaskGroup).sort()).toEqual(Object.keys(TaskGroupModule).sort())
  })

  it("every value of the root is in some namespace", () => {
    const inNamespaces = new Set<unknown>()
    for (const ns of Object.values(Modules)) for (const v of Object.values(ns)) inNamespaces.add(v)
    // The root's own namespaces (AnyIO's `to_thread`, `from_thread`, `to_process`) are modules here.
    const modules = new Set<unknown>(Object.values(Modules))
    const missing = Object.entries(Root)
      .filter(([, v]) => !inNamespaces.has(v) && !modules.has(v))
      .map(([k]) => k)
    expect(missing).toEqual([])
  })

  it("types come through the namespaces", () => {
    expectTypeOf<Lock.Lock>().toEqualTypeOf<Root.Lock>()
    expectTypeOf<TaskGroup.TaskGroup>().toEqualTypeOf<Root.TaskGroup>()
    expectTypeOf(CancelScope.moveOnAfter).toEqualTypeOf(Root.moveOnAfter)
    expectTypeOf(MemoryObjectStream.createMemoryObjectStream<number>).returns.toEqualTypeOf<
      ReturnType<typeof Root.createMemoryObjectStream<number>>
    >()
  })

  it("runs a program written with namespaces", async () => {
    const lock = new Lock.Lock()
    const out = await Effect.runPromise(
      TaskGroup.createTaskGroup((tg) =>
        Effect.gen(function* () {
          yield* tg.startSoon(lock.withLock(Effect.void))
          return yield* CancelScope.moveOnAfter(1, Effect.succeed(1))
        })
      )
    )
    expect(out).toBeDefined()
  })
})
