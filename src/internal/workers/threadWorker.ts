/**
 * Entry point of a `toThread` worker thread. Deliberately tiny and free of effect: a plain function
 * runs without loading any library (first call in a few milliseconds instead of over a second).
 *
 * @internal
 */
import { parentPort, workerData } from "node:worker_threads"
import { type ThreadWorkerContext, WORKER_CONTEXT } from "./protocol.ts"
import { makeRunner } from "./runner.ts"

const data = workerData as ThreadWorkerContext
;(globalThis as Record<symbol, unknown>)[WORKER_CONTEXT] = { port: data.port, flags: data.flags }

const port = parentPort!
port.on(
  "message",
  makeRunner((reply) => port.postMessage(reply))
)
