// The rows the frame list shows: every frame the store holds, or only those a
// display filter matches (kept as a list of absolute indices, updated as
// frames arrive and as the store drops its oldest).
import { FrameFacts } from '../lib/frameFacts'
import type { FrameStore } from './frameStore'

export type FramePredicate = (facts: FrameFacts) => boolean

export class FrameView {
  private match: FramePredicate | null = null
  private indices = new Float64Array(1024)
  private start = 0
  private end = 0
  private readonly facts = new FrameFacts()

  constructor(private readonly store: FrameStore) {}

  get filtered(): boolean {
    return this.match !== null
  }

  /** Rows shown now. */
  get rows(): number {
    this.forgetDropped()
    return this.match ? this.end - this.start : this.store.size
  }

  /** The absolute store index shown at `row`. */
  indexAt(row: number): number {
    this.forgetDropped()
    return this.match ? this.indices[this.start + row]! : this.store.firstIndex + row
  }

  /** The row showing absolute index `index`, or -1 when it is not shown. */
  rowOf(index: number): number {
    if (!this.store.has(index)) return -1
    if (!this.match) return index - this.store.firstIndex
    this.forgetDropped()
    let lo = this.start
    let hi = this.end
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.indices[mid]! < index) lo = mid + 1
      else hi = mid
    }
    return lo < this.end && this.indices[lo] === index ? lo - this.start : -1
  }

  /** Applies a filter to everything held (null: show all). */
  setFilter(match: FramePredicate | null): void {
    this.match = match
    this.start = 0
    this.end = 0
    if (match) for (let i = this.store.firstIndex; i < this.store.nextIndex; i++) this.consider(i)
  }

  /** Frames [from, to) just arrived. */
  added(from: number, to: number): void {
    if (this.match) for (let i = from; i < to; i++) this.consider(i)
  }

  private consider(index: number): void {
    this.store.factsOf(index, this.facts)
    if (!this.match!(this.facts)) return
    if (this.end === this.indices.length) this.makeRoom()
    this.indices[this.end++] = index
  }

  private makeRoom(): void {
    this.forgetDropped()
    const live = this.end - this.start
    if (live * 2 > this.indices.length) {
      const grown = new Float64Array(this.indices.length * 2)
      grown.set(this.indices.subarray(this.start, this.end))
      this.indices = grown
    } else {
      this.indices.copyWithin(0, this.start, this.end)
    }
    this.start = 0
    this.end = live
  }

  private forgetDropped(): void {
    const first = this.store.firstIndex
    while (this.start < this.end && this.indices[this.start]! < first) this.start++
  }
}
