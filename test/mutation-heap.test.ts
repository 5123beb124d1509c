/**
 * Tests written to kill the mutants of the indexed binary heap (internal/heap.ts; see
 * test/MUTATION.md): the heap is driven directly against a sorted-array model, with the position
 * invariant (`heapIndex` is the item's index, -1 once out) checked after every operation.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Heap, type HeapItem } from "../src/internal/heap.ts"

interface Item extends HeapItem {
  readonly key: number
  readonly id: number
}

const before = (a: Item, b: Item) => a.key < b.key || (a.key === b.key && a.id < b.id)

/** The heap's items, read for the invariant checks. */
const itemsOf = (heap: Heap<Item>) => (heap as unknown as { items: Array<Item> }).items

const checkInvariant = (heap: Heap<Item>) => {
  const items = itemsOf(heap)
  expect(heap.size).toBe(items.length)
  for (let i = 0; i < items.length; i++) {
    expect(items[i]!.heapIndex).toBe(i)
    if (i > 0) expect(before(items[i]!, items[(i - 1) >> 1]!)).toBe(false)
  }
}

describe("Heap", () => {
  it("empty: size 0, peek and pop give undefined", () => {
    const heap = new Heap<Item>(before)
    expect(heap.size).toBe(0)
    expect(heap.peek()).toBeUndefined()
    expect(heap.pop()).toBeUndefined()
    expect(heap.size).toBe(0)
  })

  it("pushes then pops in order; each popped item is marked out (-1)", () => {
    const heap = new Heap<Item>(before)
    const keys = [5, 3, 8, 1, 9, 2, 7, 4, 6, 0]
    const items = keys.map((key, id) => ({ key, id, heapIndex: -1 }))
    for (const item of items) {
      heap.push(item)
      checkInvariant(heap)
    }
    expect(heap.size).toBe(10)
    expect(heap.peek()?.key).toBe(0)
    const out: Array<number> = []
    for (;;) {
      const item = heap.pop()
      if (item === undefined) break
      expect(item.heapIndex).toBe(-1)
      out.push(item.key)
      checkInvariant(heap)
    }
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it("equal keys: the ordering's tie-break decides (stable by id here)", () => {
    const heap = new Heap<Item>(before)
    const items = Array.from({ length: 9 }, (_, id) => ({ key: id % 3, id, heapIndex: -1 }))
    for (const item of [...items].reverse()) heap.push(item)
    const out: Array<number> = []
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item.id)
    expect(out).toEqual([0, 3, 6, 1, 4, 7, 2, 5, 8])
  })

  it("removing an item not in the heap (or removed twice) changes nothing", () => {
    const heap = new Heap<Item>(before)
    const a = { key: 1, id: 0, heapIndex: -1 }
    const b = { key: 2, id: 1, heapIndex: -1 }
    heap.push(a)
    heap.push(b)
    heap.remove({ key: 0, id: 2, heapIndex: -1 })
    heap.remove(a)
    heap.remove(a)
    checkInvariant(heap)
    expect(heap.size).toBe(1)
    expect(heap.peek()).toBe(b)
  })

  it("removing the last item leaves the others in place", () => {
    const heap = new Heap<Item>(before)
    const items = [1, 2, 3].map((key, id) => ({ key, id, heapIndex: -1 }))
    for (const item of items) heap.push(item)
    heap.remove(items[2]!)
    checkInvariant(heap)
    expect(items[2]!.heapIndex).toBe(-1)
    expect(itemsOf(heap)).toEqual([items[0], items[1]])
  })

  it("removing from the middle moves the last item up when it belongs above (sift up after down)", () => {
    // [0, 10, 1, 11, 12, 2, 3]: removing 11 puts 3 at index 3, under 10: it must go up.
    const heap = new Heap<Item>(before)
    const keys = [0, 10, 1, 11, 12, 2, 3]
    const items = keys.map((key, id) => ({ key, id, heapIndex: -1 }))
    for (const item of items) heap.push(item)
    expect(itemsOf(heap).map((i) => i.key)).toEqual(keys)
    heap.remove(items[3]!)
    checkInvariant(heap)
    expect(itemsOf(heap).map((i) => i.key)).toEqual([0, 3, 1, 10, 12, 2])
    const out: Array<number> = []
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item.key)
    expect(out).toEqual([0, 1, 2, 3, 10, 12])
  })

  it("sift down picks the smaller child (right when it is smaller, left on a tie or when alone)", () => {
    const heap = new Heap<Item>(before)
    const items = [0, 5, 2, 6, 7, 3].map((key, id) => ({ key, id, heapIndex: -1 }))
    for (const item of items) heap.push(item)
    heap.pop()
    checkInvariant(heap)
    expect(itemsOf(heap).map((i) => i.key)).toEqual([2, 5, 3, 6, 7])
    heap.pop()
    checkInvariant(heap)
    expect(itemsOf(heap).map((i) => i.key)).toEqual([3, 5, 7, 6])
    heap.pop()
    checkInvariant(heap)
    expect(itemsOf(heap).map((i) => i.key)).toEqual([5, 6, 7])
  })

  it("an item equal to its parent does not move (the heap only moves items that come first)", () => {
    const heap = new Heap<Item>((a, b) => a.key < b.key)
    const a = { key: 1, id: 0, heapIndex: -1 }
    const b = { key: 1, id: 1, heapIndex: -1 }
    const c = { key: 1, id: 2, heapIndex: -1 }
    heap.push(a)
    heap.push(b)
    heap.push(c)
    expect(itemsOf(heap)).toEqual([a, b, c])
    heap.pop()
    expect(itemsOf(heap)).toEqual([c, b])
  })

  it("property: any mix of push, pop and remove matches a sorted model", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("push" as const), key: fc.integer({ min: 0, max: 20 }) }),
            fc.record({ op: fc.constant("pop" as const) }),
            fc.record({ op: fc.constant("remove" as const), pick: fc.nat() })
          ),
          { maxLength: 80 }
        ),
        (ops) => {
          const heap = new Heap<Item>(before)
          let model: Array<Item> = []
          const all: Array<Item> = []
          let id = 0
          for (const o of ops) {
            if (o.op === "push") {
              const item = { key: o.key, id: id++, heapIndex: -1 }
              all.push(item)
              heap.push(item)
              model.push(item)
              model.sort((a, b) => (before(a, b) ? -1 : 1))
            } else if (o.op === "pop") {
              expect(heap.pop()).toBe(model.shift())
            } else if (all.length > 0) {
              const item = all[o.pick % all.length]!
              heap.remove(item)
              model = model.filter((m) => m !== item)
            }
            checkInvariant(heap)
            expect(heap.peek()).toBe(model[0])
            for (const item of all) expect(item.heapIndex >= 0).toBe(model.includes(item))
          }
        }
      ),
      { numRuns: 200 }
    )
  })
})
