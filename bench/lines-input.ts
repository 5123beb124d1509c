/**
 * The input of the receiveUntil workload (bench/streams.ts and its probes): 1,000 distinct lines of
 * 20–180 bytes, cycled, cut at `mib` MiB (bench/anyio_streams.py builds the same), in 64 KiB chunks.
 */
export const CHUNK = 65536

export const makeData = (size: number): Uint8Array => {
  const lines: Array<Uint8Array> = []
  for (let k = 0; k < 1000; k++) {
    const len = 20 + ((k * 7919) % 161)
    const line = new Uint8Array(len + 1)
    for (let j = 0; j < len; j++) line[j] = 97 + ((k + j) % 26)
    line[len] = 10
    lines.push(line)
  }
  const data = new Uint8Array(size)
  let at = 0
  for (let i = 0; at < size; i++) {
    const line = lines[i % 1000]!
    data.set(line.subarray(0, Math.min(line.length, size - at)), at)
    at += line.length
  }
  return data
}

/** The input of `mib` MiB, its chunks (views), and its number of lines. */
export const linesInput = (mib: number) => {
  const data = makeData(mib * 1024 * 1024)
  const chunks: Array<Uint8Array> = []
  for (let at = 0; at < data.length; at += CHUNK) chunks.push(data.subarray(at, at + CHUNK))
  let lines = 0
  for (let i = 0; i < data.length; i++) if (data[i] === 10) lines++
  return { data, chunks, lines }
}
