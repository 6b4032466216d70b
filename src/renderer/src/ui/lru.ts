// A small least-recently-used cache: the frame list decodes only the rows on screen and keeps
// the last few thousand summaries, so scrolling back and forth does not decode again.

export class LruCache<K, V> {
  // A Map iterates in insertion order: re-inserting on use keeps the oldest entry first.
  private readonly entries = new Map<K, V>()

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key)
    if (value === undefined) return undefined
    this.entries.delete(key)
    this.entries.set(key, value)
    return value
  }

  set(key: K, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K)
  }

  /** The cached value, or computes and caches it. */
  getOrAdd(key: K, make: (key: K) => V): V {
    const hit = this.get(key)
    if (hit !== undefined) return hit
    const value = make(key)
    this.set(key, value)
    return value
  }

  clear(): void {
    this.entries.clear()
  }
}
