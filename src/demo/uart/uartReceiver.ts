// The firmware's UART receive side, rule for rule (PRODUCT.md, "The wire"):
// records are a 2-byte big-endian length N and N bytes of Ethernet frame; on
// N == 0 or N > the max frame the firmware flushes its UART buffer and waits
// 100 ms, throwing away what arrives meanwhile; for its first second after
// start it reads nothing. The parser state belongs to the UART, not to the
// socket: a record cut by a host disconnect is completed by the next bytes.
import type { Clock } from '../stack/clock.js'

export const STARTUP_QUIET_MS = 1000
export const FLUSH_WAIT_MS = 100
const LENGTH_PREFIX = 2

export interface UartReceiverCounters {
  frames: number
  bytes: number
  badLengths: number
  /** Bytes thrown away by flushes and the start-up quiet second. */
  discardedBytes: number
}

export class UartReceiver {
  readonly counters: UartReceiverCounters = { frames: 0, bytes: 0, badLengths: 0, discardedBytes: 0 }
  private readonly frame: Uint8Array
  /** Bytes of the current record collected so far, prefix included. */
  private filled = 0
  private frameLength = 0
  private readonly prefix = new Uint8Array(LENGTH_PREFIX)
  private deafUntil: number

  constructor(
    private readonly maxFrame: number,
    private readonly clock: Clock,
    private readonly onFrame: (frame: Uint8Array) => void
  ) {
    this.frame = new Uint8Array(maxFrame)
    this.deafUntil = clock.now() + STARTUP_QUIET_MS
  }

  /** Feeds bytes as the UART delivers them, in any chunking. */
  receive(bytes: Uint8Array): void {
    if (this.clock.now() < this.deafUntil) {
      this.counters.discardedBytes += bytes.length
      return
    }
    let i = 0
    while (i < bytes.length) {
      if (this.filled < LENGTH_PREFIX) {
        this.prefix[this.filled++] = bytes[i++]!
        if (this.filled < LENGTH_PREFIX) continue
        this.frameLength = (this.prefix[0]! << 8) | this.prefix[1]!
        if (this.frameLength === 0 || this.frameLength > this.maxFrame) {
          this.flush(bytes.length - i)
          return
        }
        continue
      }
      const take = Math.min(bytes.length - i, LENGTH_PREFIX + this.frameLength - this.filled)
      this.frame.set(bytes.subarray(i, i + take), this.filled - LENGTH_PREFIX)
      this.filled += take
      i += take
      if (this.filled === LENGTH_PREFIX + this.frameLength) {
        this.filled = 0
        this.counters.frames++
        this.counters.bytes += LENGTH_PREFIX + this.frameLength
        this.onFrame(this.frame.subarray(0, this.frameLength))
      }
    }
  }

  /** A bad length: the rest of the buffer goes, and the UART is ignored for 100 ms. */
  private flush(rest: number): void {
    this.counters.badLengths++
    this.counters.discardedBytes += rest + LENGTH_PREFIX
    this.filled = 0
    this.deafUntil = this.clock.now() + FLUSH_WAIT_MS
  }
}
