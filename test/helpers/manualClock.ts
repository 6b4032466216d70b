// A Clock for tests: time moves only when the test says so, and the timers
// that fall due on the way run in order of due time (ties in the order they
// were set), each seeing now() at its own due time.
import type { Clock, Timer } from '../../src/demo/stack/clock.js'

interface Pending {
  at: number
  order: number
  run: () => void
}

export class ManualClock implements Clock {
  private time = 0
  private setCount = 0
  private pending: Pending[] = []

  now(): number {
    return this.time
  }

  after(ms: number, run: () => void): Timer {
    const entry: Pending = { at: this.time + Math.max(0, ms), order: this.setCount++, run }
    this.pending.push(entry)
    return { cancel: () => this.remove(entry) }
  }

  /** Timers set and neither run nor cancelled. */
  get pendingTimers(): number {
    return this.pending.length
  }

  /** Moves time forward by `ms`, running every timer due by then, including those set by the ones that run. */
  advance(ms: number): void {
    const end = this.time + ms
    for (let next = this.earliest(); next && next.at <= end; next = this.earliest()) this.fire(next)
    this.time = end
  }

  /**
   * Moves time forward by `ms` as a blocked event loop does: nothing runs on
   * the way, then every timer that fell due runs late, seeing the new now().
   */
  stall(ms: number): void {
    this.time += ms
    for (let next = this.earliest(); next && next.at <= this.time; next = this.earliest()) {
      this.remove(next)
      next.run()
    }
  }

  /** Jumps to the earliest timer and runs it; false when none is set. */
  runNext(): boolean {
    const next = this.earliest()
    if (next) this.fire(next)
    return next !== undefined
  }

  private fire(entry: Pending): void {
    this.remove(entry)
    this.time = entry.at
    entry.run()
  }

  private earliest(): Pending | undefined {
    let best: Pending | undefined
    for (const entry of this.pending) {
      if (!best || entry.at < best.at || (entry.at === best.at && entry.order < best.order)) best = entry
    }
    return best
  }

  private remove(entry: Pending): void {
    const index = this.pending.indexOf(entry)
    if (index >= 0) this.pending.splice(index, 1)
  }
}
