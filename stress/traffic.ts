/**
 * Stream traffic, shared by the stress scenario `streamFanInOut` and the soak workload `streams`:
 * producers and consumers on clones of one memory object stream, some of them cancelled anywhere,
 * and the check that no item was lost or duplicated.
 */
import { Effect, Exit } from "effect"
import { createTaskGroup } from "../src/index.ts"
import type { MemoryObjectReceiveStream, MemoryObjectSendStream } from "../src/MemoryObjectStream.ts"

export interface TrafficOptions {
  readonly send: MemoryObjectSendStream<number>
  readonly receive: MemoryObjectReceiveStream<number>
  readonly producers: number
  readonly consumers: number
  /** The producers send the numbers 0 to `items - 1`, each an equal share. */
  readonly items: number
  /** Runs a producer's or consumer's work, for example under a cancel scope (default: as it is). */
  readonly wrap?: (
    side: "producer" | "consumer",
    i: number,
    work: Effect.Effect<void, unknown>
  ) => Effect.Effect<void, unknown>
  /** Called after every item received, with the number received so far. */
  readonly onReceived?: (received: number) => void
  /** Called once every worker is started, before the original ends are closed. */
  readonly onStarted?: () => void
}

/** How often each item was sent (a `send` that succeeded) and received. */
export interface Traffic {
  readonly sentCount: Uint8Array
  readonly receivedCount: Uint8Array
  readonly sent: number
  readonly received: number
}

/**
 * Runs the traffic in a task group of its own: each producer and consumer has its own clone of its
 * end and closes it when it ends, so the consumers left see `EndOfStream` once every producer ended.
 */
export const runTraffic = (options: TrafficOptions): Effect.Effect<Traffic, unknown> =>
  Effect.gen(function* () {
    const { send, receive, producers, consumers, items } = options
    const wrap = options.wrap ?? ((_side, _i, work) => work)
    const sentCount = new Uint8Array(items)
    const receivedCount = new Uint8Array(items)
    let sent = 0
    let received = 0
    const perProducer = Math.ceil(items / producers)
    yield* createTaskGroup((tg) =>
      Effect.gen(function* () {
        for (let p = 0; p < producers; p++) {
          const end = yield* send.clone()
          const from = p * perProducer
          const to = Math.min(items, from + perProducer)
          const work = end.use((s) =>
            Effect.gen(function* () {
              for (let x = from; x < to; x++) {
                yield* Effect.onExit(s.send(x), (exit) =>
                  Effect.sync(() => {
                    if (Exit.isSuccess(exit)) {
                      sentCount[x]!++
                      sent++
                    }
                  })
                )
              }
            })
          )
          yield* tg.startSoon(wrap("producer", p, work))
        }
        for (let c = 0; c < consumers; c++) {
          const end = yield* receive.clone()
          const work = end.use((r) =>
            Effect.gen(function* () {
              for (;;) {
                const exit = yield* Effect.exit(
                  Effect.onExit(r.receive(), (exit) =>
                    Effect.sync(() => {
                      if (Exit.isSuccess(exit)) {
                        receivedCount[exit.value]!++
                        received++
                        options.onReceived?.(received)
                      }
                    })
                  )
                )
                if (Exit.isSuccess(exit)) continue
                const reason = exit.cause.reasons[0]
                if (reason?._tag === "Fail" && reason.error._tag === "EndOfStream") return
                return yield* exit
              }
            })
          )
          yield* tg.startSoon(wrap("consumer", c, work))
        }
        options.onStarted?.()
        yield* send.close()
        yield* receive.close()
      })
    )
    return { sentCount, receivedCount, sent, received }
  })

/**
 * The invariants of a finished traffic, as `[what, got, want]`: every item whose `send` succeeded
 * was received exactly once and no other item was; nobody waits and every end is closed.
 */
export const trafficChecks = (
  traffic: Traffic,
  send: MemoryObjectSendStream<number>
): Array<readonly [string, number, number]> => {
  let lost = 0
  let duplicated = 0
  let phantom = 0
  for (let x = 0; x < traffic.sentCount.length; x++) {
    const s = traffic.sentCount[x]!
    const r = traffic.receivedCount[x]!
    if (s > 1 || r > 1) duplicated++
    else if (s === 1 && r === 0) lost++
    else if (s === 0 && r === 1) phantom++
  }
  const stats = send.statistics()
  return [
    ["items sent but never received", lost, 0],
    ["items received twice (or sent twice)", duplicated, 0],
    ["items received whose send did not succeed", phantom, 0],
    ["items received = items sent", traffic.received, traffic.sent],
    ["senders waiting", stats.tasksWaitingSend, 0],
    ["receivers waiting", stats.tasksWaitingReceive, 0],
    ["open send ends", stats.openSendStreams, 0],
    ["open receive ends", stats.openReceiveStreams, 0]
  ]
}
