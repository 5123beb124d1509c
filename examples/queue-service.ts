/**
 * A queue-worker service built from Layers, with its workers in a task group that lives as long as
 * the Layer (`createTaskGroupScoped`):
 *
 *   JobQueue (a memory object stream) ──▶ Workers (N tasks in the Layer's group) ──▶ results
 *
 * - Each worker signals readiness with `status.started()`: the Layer is built once all are up.
 * - Closing the Layer (the program ends, or SIGINT through `run`) cancels the workers; each one's
 *   finalizer runs once (graceful shutdown).
 * - A worker that crashes cancels the others and fails the whole program with the
 *   `ExceptionGroup` (through `run`: printed, exit code 1). Try `npm run example -- queue-service`
 *   and `node examples/queue-service.ts --crash 7`.
 */
import { Context, Data, Effect, Layer } from "effect"
import {
  createMemoryObjectStream,
  createTaskGroupScoped,
  type MemoryObjectReceiveStream,
  type MemoryObjectSendStream,
  run,
  sleep,
  type TaskStatus
} from "../src/index.ts"

/** A job that fails when its number is `crashOn`. */
export class JobCrashed extends Data.TaggedError("JobCrashed")<{ readonly job: number }> {
  override get message(): string {
    return `job ${this.job} crashed its worker`
  }
}

/** The queue: producers send job numbers, workers receive them. */
export class JobQueue extends Context.Service<
  JobQueue,
  { readonly send: MemoryObjectSendStream<number>; readonly receive: MemoryObjectReceiveStream<number> }
>()("examples/JobQueue") {}

/** Where workers report what they did. */
export class Results extends Context.Service<Results, { readonly done: Array<string> }>()(
  "examples/Results"
) {}

const JobQueueLive = Layer.effect(JobQueue)(
  Effect.acquireRelease(
    Effect.sync(() => {
      const [send, receive] = createMemoryObjectStream<number>(16)
      return { send, receive }
    }),
    ({ send, receive }) => Effect.andThen(send.close(), receive.close())
  )
)

const worker = (
  id: number,
  crashOn: number | undefined,
  log: (line: string) => void,
  status: TaskStatus<number>
) =>
  Effect.gen(function* () {
    const { receive } = yield* JobQueue
    const { done } = yield* Results
    yield* status.started(id)
    yield* receive.runForEach((job) =>
      Effect.gen(function* () {
        yield* sleep(0.01 * (1 + (job % 3))) // the work
        if (job === crashOn) return yield* Effect.fail(new JobCrashed({ job }))
        done.push(`worker ${id}: job ${job}`)
      })
    )
  }).pipe(Effect.ensuring(Effect.sync(() => log(`worker ${id} stopped`))))

/** N workers in the Layer's own task group; the Layer is ready once every worker is. */
export const WorkersLive = (n: number, crashOn: number | undefined, log: (line: string) => void) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const tg = yield* createTaskGroupScoped({ name: "workers" })
      for (let id = 1; id <= n; id++) yield* tg.start({ name: `worker-${id}` }, worker, id, crashOn, log)
      log(`${n} workers ready`)
    })
  )

/**
 * The service: enqueue `jobs` jobs, wait until all are done, then shut down. Returns what was done.
 * With `crashOn`, that job crashes its worker and the program fails with the ExceptionGroup.
 */
export const service = (options: {
  readonly jobs: number
  readonly workers?: number
  readonly crashOn?: number | undefined
  readonly log?: (line: string) => void
}) => {
  const log = options.log ?? ((line: string) => console.log(line))
  const done: Array<string> = []
  const program = Effect.gen(function* () {
    const { send } = yield* JobQueue
    for (let job = 1; job <= options.jobs; job++) yield* send.send(job)
    while (done.length < options.jobs) yield* sleep(0.01)
    log(`all ${options.jobs} jobs done`)
    return done
  })
  const layer = WorkersLive(options.workers ?? 3, options.crashOn, log).pipe(
    Layer.provideMerge(Layer.mergeAll(JobQueueLive, Layer.succeed(Results)({ done })))
  )
  return Effect.provide(program, layer)
}

export const main = service({ jobs: 10 })

if (import.meta.main) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name)
    return i > 0 ? Number(process.argv[i + 1]) : undefined
  }
  run(service({ jobs: arg("--jobs") ?? 20, crashOn: arg("--crash") }))
}
