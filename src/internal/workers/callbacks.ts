/**
 * The event-loop side of `fromThread.run` / `fromThread.runSync`: finding the callback a worker
 * names and turning what it returns into an answer.
 *
 * @internal
 */
import { Cause, type Context, Effect, Exit } from "effect"
import { UncloneableValue, WorkerFunctionNotFound } from "../../Errors.ts"
import type { Callbacks } from "../../ToThread.ts"
import {
  CANCELLED,
  decodeError,
  describeTarget,
  type EncodedError,
  encodeError,
  NOT_FOUND,
  OK,
  THREW,
  UNCLONEABLE
} from "./protocol.ts"

export type { Callbacks }

type Fn = (...args: Array<unknown>) => unknown

const moduleFunctions = new Map<string, Promise<Fn>>()

const notFound = (moduleUrl: string, exportName: string, what: string) =>
  new WorkerFunctionNotFound({
    message: `${describeTarget(moduleUrl, exportName)}: ${what}`,
    moduleUrl,
    exportName
  })

/** The function a callback request names: a registered callback, or a module export (imported). */
export const resolveCallback = (
  callbacks: Callbacks | undefined,
  target: unknown
): Fn | Promise<Fn> | WorkerFunctionNotFound => {
  if (typeof target === "string") {
    const fn = callbacks !== undefined && Object.hasOwn(callbacks, target) ? callbacks[target] : undefined
    if (typeof fn === "function") return fn as unknown as Fn
    return new WorkerFunctionNotFound({
      message: `no callback named ${JSON.stringify(target)} was registered for this call (the callbacks option)`,
      moduleUrl: "",
      exportName: target
    })
  }
  const [moduleUrl, exportName] = target as [string, string]
  const key = `${moduleUrl}\0${exportName}`
  let fn = moduleFunctions.get(key)
  if (fn === undefined) {
    fn = import(moduleUrl).then(
      (module: Record<string, unknown>) => {
        const f = module[exportName]
        if (typeof f !== "function") {
          moduleFunctions.delete(key)
          throw notFound(moduleUrl, exportName, `${exportName} is not an exported function`)
        }
        return f as Fn
      },
      (error: unknown) => {
        moduleFunctions.delete(key)
        throw notFound(moduleUrl, exportName, `cannot load the module: ${(error as Error)?.message}`)
      }
    )
    moduleFunctions.set(key, fn)
  }
  return fn
}

/** What a callback returned, as an effect: an `Effect` as is, a promise awaited, a value. */
export const toEffect = (value: unknown): Effect.Effect<unknown, unknown> => {
  if (Effect.isEffect(value)) return value as Effect.Effect<unknown, unknown>
  if (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  ) {
    const promise = value as PromiseLike<unknown>
    return Effect.callback<unknown, unknown>((resume) => {
      promise.then(
        (v) => resume(Effect.succeed(v)),
        (e) => resume(Effect.fail(e))
      )
    })
  }
  return Effect.succeed(value)
}

export type Answer = readonly [number, unknown]

/** An exit as an answer: a value, an error to re-raise, or a cancellation. */
export const answerOf = (exit: Exit.Exit<unknown, unknown>): Answer => {
  if (Exit.isSuccess(exit)) return [OK, exit.value]
  if (Cause.hasInterruptsOnly(exit.cause)) return [CANCELLED, undefined]
  return [THREW, encodeError(Cause.squash(exit.cause))]
}

export const thrownAnswer = (error: unknown): Answer => [THREW, encodeError(error)]

/**
 * Runs a `runSync` callback now: a plain result as is, an `Effect` synchronously in `context` (one
 * that would suspend fails), a promise awaited (the worker blocks meanwhile anyway).
 */
export const runSyncCallback = (
  callbacks: Callbacks | undefined,
  context: Context.Context<never>,
  target: unknown,
  args: ReadonlyArray<unknown>,
  answer: (a: Answer) => void
): void => {
  const apply = (fn: Fn): void => {
    let result: unknown
    try {
      result = fn(...args)
    } catch (error) {
      answer(thrownAnswer(error))
      return
    }
    if (Effect.isEffect(result)) {
      answer(answerOf(Effect.runSyncExitWith(context)(result as Effect.Effect<unknown, unknown>)))
      return
    }
    if (
      result !== null &&
      (typeof result === "object" || typeof result === "function") &&
      typeof (result as { then?: unknown }).then === "function"
    ) {
      ;(result as PromiseLike<unknown>).then(
        (v) => answer([OK, v]),
        (e) => answer(thrownAnswer(e))
      )
      return
    }
    answer([OK, result])
  }
  const fn = resolveCallback(callbacks, target)
  if (fn instanceof WorkerFunctionNotFound) answer(thrownAnswer(fn))
  else if (typeof fn === "function") apply(fn)
  else fn.then(apply, (error) => answer(thrownAnswer(error)))
}

/**
 * A worker's reply as the call's outcome. `cancelled`: the host was cancelled while it waited, so a
 * `Cancelled` raised in the worker (`fromThread.checkCancelled()`) ends the call as cancelled.
 */
export const settleReply = (
  moduleUrl: string,
  exportName: string,
  status: number,
  payload: unknown,
  cancelled: boolean
): Effect.Effect<unknown, unknown> => {
  switch (status) {
    case OK:
      return Effect.succeed(payload)
    case THREW: {
      const error = decodeError(payload as EncodedError)
      if (cancelled && (error as Error | undefined)?.name === "Cancelled") return Effect.interrupt
      return Effect.fail(error)
    }
    case NOT_FOUND:
      return Effect.fail(new WorkerFunctionNotFound({ message: payload as string, moduleUrl, exportName }))
    case UNCLONEABLE:
      return Effect.fail(
        new UncloneableValue({
          what: "result",
          message: `${describeTarget(moduleUrl, exportName)}: ${payload as string}`
        })
      )
    default:
      return Effect.die(new Error(`unexpected worker reply status ${status}`))
  }
}
