// The retransmission timeout (RFC 6298): smoothed round-trip time and its
// variation from samples the connection takes (never from retransmitted
// segments: Karn's rule is the caller's), doubled per timeout until the next
// sample. The 1 s floor suits a 115200-baud line where one full frame
// already takes 130 ms.

export const MIN_RTO_MS = 1000
export const MAX_RTO_MS = 60_000
const CLOCK_GRANULARITY_MS = 10

export class RetransmissionTimeout {
  private smoothed: number | undefined
  private variation = 0
  private base = MIN_RTO_MS // RFC 6298 §2.1: 1 s before the first sample
  private backoffs = 0

  /** Milliseconds to wait for an ACK now. */
  get ms(): number {
    return Math.min(MAX_RTO_MS, this.base * 2 ** this.backoffs)
  }

  /** A measured round trip: updates the estimate and ends any backoff. */
  sample(rttMs: number): void {
    if (this.smoothed === undefined) {
      this.smoothed = rttMs
      this.variation = rttMs / 2
    } else {
      this.variation = 0.75 * this.variation + 0.25 * Math.abs(this.smoothed - rttMs)
      this.smoothed = 0.875 * this.smoothed + 0.125 * rttMs
    }
    this.base = Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, this.smoothed + Math.max(CLOCK_GRANULARITY_MS, 4 * this.variation)))
    this.backoffs = 0
  }

  /** A timeout: the next wait is twice as long (up to the maximum). */
  backOff(): void {
    if (this.ms < MAX_RTO_MS) this.backoffs++
  }
}
