// Time for the demo device's protocols, injected so the TCP state machine and
// the UART pacing run on a manual clock in unit tests and on real timers here.

export interface Timer {
  cancel(): void
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number
  /** Calls `run` once after `ms` milliseconds unless cancelled. */
  after(ms: number, run: () => void): Timer
}

export const systemClock: Clock = {
  now: () => performance.now(),
  after(ms, run) {
    const handle = setTimeout(run, ms)
    return { cancel: () => clearTimeout(handle) }
  }
}
