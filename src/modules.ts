/**
 * Every module of effect-anyio as a namespace, Effect's style (`import { Queue } from "effect"`):
 *
 * ```ts
 * import { Effect } from "effect"
 * import { CancelScope, TaskGroup } from "effect-anyio/modules"
 *
 * const program = TaskGroup.createTaskGroup((tg) =>
 *   Effect.andThen(tg.startSoon(Effect.log("hi")), CancelScope.moveOnAfter(1, Effect.never))
 * )
 * ```
 *
 * A separate entry, not the package root: the root keeps AnyIO's names (`Lock`, `Event`,
 * `CancelScope`, `TaskGroup`, ...) as classes and types, and a namespace of the same name would
 * clash with them. Each module is also importable on its own (`effect-anyio/TaskGroup`).
 *
 * @module
 */
export * as BufferedStream from "./BufferedStream.ts"
export * as CancelScope from "./CancelScope.ts"
export * as CapacityLimiter from "./CapacityLimiter.ts"
export * as Condition from "./Condition.ts"
export * as Connectable from "./Connectable.ts"
export * as Debugging from "./Debugging.ts"
export * as Dns from "./Dns.ts"
export * as Errors from "./Errors.ts"
export * as Event from "./Event.ts"
export * as ExceptionGroup from "./ExceptionGroup.ts"
export * as FileIO from "./FileIO.ts"
export * as FileStream from "./FileStream.ts"
export * as FromThread from "./FromThread.ts"
export * as Lock from "./Lock.ts"
export * as MemoryObjectStream from "./MemoryObjectStream.ts"
export * as MultiListener from "./MultiListener.ts"
export * as Path from "./Path.ts"
export * as Process from "./Process.ts"
export * as ResourceGuard from "./ResourceGuard.ts"
export * as Run from "./Run.ts"
export * as Scheduler from "./Scheduler.ts"
export * as Semaphore from "./Semaphore.ts"
export * as Signals from "./Signals.ts"
export * as Sockets from "./Sockets.ts"
export * as StapledStream from "./StapledStream.ts"
export * as Streams from "./Streams.ts"
export * as Structured from "./Structured.ts"
export * as TaskGroup from "./TaskGroup.ts"
export * as TaskGroupService from "./TaskGroupService.ts"
export * as Tcp from "./Tcp.ts"
export * as TextStream from "./TextStream.ts"
export * as Time from "./Time.ts"
export * as Tls from "./Tls.ts"
export * as ToProcess from "./ToProcess.ts"
export * as ToThread from "./ToThread.ts"
export * as TypedAttribute from "./TypedAttribute.ts"
export * as Udp from "./Udp.ts"
export * as Unix from "./Unix.ts"
export * as WorkerFunction from "./WorkerFunction.ts"
