/**
 * A binary min-heap whose items know their position, so that any item is removed in O(log n)
 * (a cancelled timer leaves at once instead of lingering until its time comes). The deadline
 * queue (deadlines.ts) keeps its own copy specialised on `armedFor`; this one takes an ordering.
 *
 * @internal
 */

export interface HeapItem {
  /** Position in the heap; -1 when not in it. */
  heapIndex: number
}

export class Heap<T extends HeapItem> {
  private readonly items: Array<T> = []
  private readonly before: (a: T, b: T) => boolean

  /** `before(a, b)`: `a` comes out first. */
  constructor(before: (a: T, b: T) => boolean) {
    this.before = before
  }

  get size(): number {
    return this.items.length
  }

  /** The first item, without removing it. */
  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const items = this.items
    item.heapIndex = items.length
    items.push(item)
    this.up(item.heapIndex)
  }

  /** Removes and returns the first item. */
  pop(): T | undefined {
    const first = this.items[0]
    if (first !== undefined) this.remove(first)
    return first
  }

  /** Removes `item` if it is in the heap. */
  remove(item: T): void {
    const i = item.heapIndex
    if (i < 0) return
    item.heapIndex = -1
    const items = this.items
    const last = items.pop()!
    if (i < items.length) {
      items[i] = last
      last.heapIndex = i
      this.down(i)
      this.up(last.heapIndex)
    }
  }

  private up(i: number): void {
    const items = this.items
    const item = items[i]!
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = items[p]!
      if (!this.before(item, parent)) break
      items[i] = parent
      parent.heapIndex = i
      i = p
    }
    items[i] = item
    item.heapIndex = i
  }

  private down(i: number): void {
    const items = this.items
    const n = items.length
    const item = items[i]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && this.before(items[r]!, items[l]!) ? r : l
      const child = items[c]!
      if (!this.before(child, item)) break
      items[i] = child
      child.heapIndex = i
      i = c
    }
    items[i] = item
    item.heapIndex = i
  }
}
