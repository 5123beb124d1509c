/** Functions the soak's worker threads and processes run (plain TypeScript, no effect import). */

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4))

/** Blocks the worker for `seconds`. */
export const sleepSync = (seconds: number): void => {
  Atomics.wait(sleepBuffer, 0, 0, seconds * 1000)
}

/** A checksum of `bytes` (what the soak checks the result against). */
export const checksum = (bytes: Uint8Array): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  return h >>> 0
}
