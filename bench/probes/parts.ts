/**
 * Pieces several networking probes share: the Effect floor of a receive and a send over a raw
 * Node stream (no effect-anyio stream code), and interleaved CPU rounds with their min and median.
 */
import { Effect } from "effect"

/**
 * One `Effect.callback` per receive over a stream in flowing mode (a 'data' listener). `cancel`:
 * the callback returns a canceler that drops the waiter (a cancelled receive must not take the
 * next chunk: without it the floor would lose bytes), as any correct receive needs.
 */
export const floorReceive = (
  source: { on(event: "data", listener: (d: Buffer) => void): unknown },
  cancel: boolean
): Effect.Effect<Buffer> => {
  let waiter: ((b: Buffer) => void) | undefined
  const queue: Array<Buffer> = []
  const unpark = Effect.sync(() => {
    waiter = undefined
  })
  source.on("data", (d: Buffer) => {
    if (waiter) {
      const w = waiter
      waiter = undefined
      w(d)
    } else queue.push(d)
  })
  return Effect.callback<Buffer>((resume) => {
    const q = queue.shift()
    if (q) return resume(Effect.succeed(q))
    waiter = (d) => resume(Effect.succeed(d))
    return cancel ? unpark : undefined
  })
}

/** A send that writes at once, after the effect `before` makes per send when given (a checkpoint, a yield). */
export const floorSend =
  (sink: { write(d: Uint8Array): unknown }, before: (() => Effect.Effect<void>) | undefined) =>
  (d: Uint8Array): Effect.Effect<void> => {
    const write = Effect.sync(() => {
      sink.write(d)
    })
    return before === undefined ? write : Effect.andThen(before(), write)
  }

export const median = (xs: ReadonlyArray<number>): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!

/**
 * Runs every case `rounds + 1` times, interleaved, and returns each case's CPU ns per operation
 * (`n` operations a run) for every round after the first (a warm-up).
 */
export const cpuRounds = async (
  cases: ReadonlyArray<readonly [string, (n: number) => Promise<unknown>]>,
  rounds: number,
  n: number
): Promise<Map<string, Array<number>>> => {
  const cpu = new Map<string, Array<number>>()
  for (let round = 0; round < rounds + 1; round++) {
    for (const [name, run] of cases) {
      const c0 = process.cpuUsage()
      await run(n)
      const c = process.cpuUsage(c0)
      if (round > 0) cpu.set(name, [...(cpu.get(name) ?? []), ((c.user + c.system) * 1000) / n])
    }
  }
  return cpu
}
