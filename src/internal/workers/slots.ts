/**
 * Numbers for worker functions. A call names its function by module URL and export name only the
 * first time a given worker sees it; after that by a small number (the worker keeps the function
 * in an array by that number). Fewer bytes to clone each way, and no string key to build and hash
 * in the worker per call.
 *
 * @internal
 */

const byModule = new Map<string, Map<string, number>>()
let nextSlot = 0

/** The slot of `moduleUrl#exportName` (process-wide, stable). */
export const slotOf = (moduleUrl: string, exportName: string): number => {
  let exports = byModule.get(moduleUrl)
  if (exports === undefined) {
    exports = new Map()
    byModule.set(moduleUrl, exports)
  }
  let slot = exports.get(exportName)
  if (slot === undefined) {
    slot = nextSlot++
    exports.set(exportName, slot)
  }
  return slot
}

/** The slots a worker has been told the names of. */
export type KnownSlots = Array<boolean | undefined>

/** The call message for a worker (see protocol.ts); `known` is updated once it has been sent. */
export const callMessage = (
  known: KnownSlots,
  id: number,
  slot: number,
  moduleUrl: string,
  exportName: string,
  args: ReadonlyArray<unknown>
): ReadonlyArray<unknown> =>
  known[slot] === true ? [id, slot, args] : [id, slot, args, moduleUrl, exportName]
