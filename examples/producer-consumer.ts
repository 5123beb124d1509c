/**
 * A pipeline of stages connected by memory object streams inside one task group:
 *
 *   source ──▶ parse (×2) ──▶ enrich (×4, at most 2 at a time: a CapacityLimiter) ──▶ sink
 *
 * Each stage owns a clone of the ends it uses and closes them when done, so end-of-stream flows
 * down the pipeline and the group finishes once the sink has seen every item. Run it with
 * `npm run example -- producer-consumer` (or `node examples/producer-consumer.ts`).
 */
import { Effect } from "effect"
import {
  CapacityLimiter,
  createMemoryObjectStream,
  createTaskGroup,
  currentTime,
  type MemoryObjectReceiveStream,
  type MemoryObjectSendStream,
  run,
  sleep
} from "../src/index.ts"

interface Parsed {
  readonly id: number
  readonly text: string
}

/** Runs the pipeline over `lines`; `log` receives one line per event. Returns the sink's results. */
export const pipeline = (lines: ReadonlyArray<string>, log: (line: string) => void) =>
  Effect.gen(function* () {
    const [rawSend, rawReceive] = createMemoryObjectStream<string>(4)
    const [parsedSend, parsedReceive] = createMemoryObjectStream<Parsed>(0)
    const [doneSend, doneReceive] = createMemoryObjectStream<string>(Number.POSITIVE_INFINITY)
    const backend = new CapacityLimiter(2) // the "remote service" takes 2 calls at a time
    const results: Array<string> = []

    const source = (out: MemoryObjectSendStream<string>) =>
      out.use((s) => Effect.forEach(lines, (line) => s.send(line), { discard: true }))

    const parse = (
      n: number,
      input: MemoryObjectReceiveStream<string>,
      out: MemoryObjectSendStream<Parsed>
    ) =>
      Effect.gen(function* () {
        yield* input.runForEach((line) => {
          const [id, text] = line.split(":")
          return out.send({ id: Number(id), text: (text ?? "").trim() })
        })
        log(`parse-${n} done`)
      }).pipe(Effect.ensuring(Effect.andThen(input.close(), out.close())))

    const enrich = (
      n: number,
      input: MemoryObjectReceiveStream<Parsed>,
      out: MemoryObjectSendStream<string>
    ) =>
      Effect.gen(function* () {
        yield* input.runForEach((item) =>
          backend.withToken(
            Effect.gen(function* () {
              yield* sleep(0.01 * (1 + (item.id % 3))) // the remote call
              yield* out.send(`#${item.id} ${item.text.toUpperCase()} (enricher ${n})`)
            })
          )
        )
      }).pipe(Effect.ensuring(Effect.andThen(input.close(), out.close())))

    const start = yield* currentTime()
    yield* createTaskGroup((tg) =>
      Effect.gen(function* () {
        yield* tg.startSoon(source(rawSend), { name: "source" })
        for (let n = 1; n <= 2; n++) {
          yield* tg.startSoon(parse(n, yield* rawReceive.clone(), yield* parsedSend.clone()), {
            name: `parse-${n}`
          })
        }
        for (let n = 1; n <= 4; n++) {
          yield* tg.startSoon(enrich(n, yield* parsedReceive.clone(), yield* doneSend.clone()), {
            name: `enrich-${n}`
          })
        }
        // The originals are not used by any stage: close them so that only the clones count.
        yield* rawReceive.close()
        yield* parsedSend.close()
        yield* parsedReceive.close()
        yield* doneSend.close()
        yield* tg.startSoon(
          doneReceive.runForEach((line) =>
            Effect.map(currentTime(), (t) => {
              results.push(line)
              log(`${(t - start).toFixed(2)}s sink got ${line}`)
            })
          ),
          { name: "sink" }
        )
      })
    )
    log(`all ${results.length} items through in ${((yield* currentTime()) - start).toFixed(2)}s`)
    return results
  })

export const main = Effect.asVoid(
  pipeline(
    Array.from({ length: 8 }, (_, i) => `${i}: item number ${i}`),
    (line) => console.log(line)
  )
)

if (import.meta.main) run(main)
