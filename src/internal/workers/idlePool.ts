/**
 * What the thread and process pools share: workers reused most-recently-used first (a stack of
 * idle ones), stopped once idle for `maxIdleTime` (one unreferenced timer per pool, for the oldest),
 * unreferenced while idle so that they never keep the process alive, and all stopped on `close()`.
 *
 * @internal
 */
import { CapacityLimiter } from "../../CapacityLimiter.ts"

export interface PoolMember {
  /** The worker has exited (it is then forgotten by its pool). */
  readonly dead: boolean
  idleSince: number
  /** Resolves when the worker has exited. */
  readonly exited: Promise<void>
  /** Lets the worker keep the process alive (busy) or not (idle). */
  setRef(ref: boolean): void
  /** Stops the worker (terminate, kill). */
  stop(): void
}

export abstract class IdlePool<W extends PoolMember> {
  readonly limiter: CapacityLimiter
  readonly maxIdleTime: number
  protected readonly idle: Array<W> = []
  protected readonly all = new Set<W>()
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  closed = false

  constructor(tokens: number, maxIdleTime: number) {
    this.limiter = new CapacityLimiter(tokens)
    this.maxIdleTime = maxIdleTime
  }

  /** Starts a new worker. */
  protected abstract spawn(): W

  checkout(): W {
    for (;;) {
      const w = this.idle.pop()
      if (w === undefined) break
      if (!w.dead) {
        w.setRef(true)
        return w
      }
    }
    const w = this.spawn()
    this.all.add(w)
    return w
  }

  checkin(w: W): void {
    if (w.dead) return
    if (this.closed) {
      w.stop()
      return
    }
    w.setRef(false)
    w.idleSince = performance.now()
    this.idle.push(w)
    if (this.timer === undefined) this.arm(this.maxIdleTime * 1000)
  }

  forget(w: W): void {
    this.all.delete(w)
    const i = this.idle.indexOf(w)
    if (i >= 0) this.idle.splice(i, 1)
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.prune(), Math.max(1, ms))
    this.timer.unref()
  }

  /** Stops the workers idle for `maxIdleTime` or longer (oldest first), as AnyIO prunes. */
  private prune(): void {
    this.timer = undefined
    const now = performance.now()
    const limit = this.maxIdleTime * 1000
    while (this.idle.length > 0 && now - this.idle[0]!.idleSince >= limit) this.idle.shift()!.stop()
    if (this.idle.length > 0) this.arm(this.idle[0]!.idleSince + limit - now)
  }

  statistics(): { readonly workers: number; readonly idle: number; readonly busy: number } {
    return { workers: this.all.size, idle: this.idle.length, busy: this.all.size - this.idle.length }
  }

  /** Stops every worker, busy ones included, and waits until they are gone. */
  close(): Promise<void> {
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    const exits: Array<Promise<void>> = []
    for (const w of this.all) {
      exits.push(w.exited)
      // Referenced until gone: an idle (unreferenced) worker's exit would not keep the event loop
      // alive, and a program awaiting close() would end before it (exit code 13, "unsettled
      // top-level await").
      w.setRef(true)
      w.stop()
    }
    this.idle.length = 0
    return Promise.all(exits).then(() => undefined)
  }
}
