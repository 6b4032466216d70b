// The firmware's UART framing: a 2-byte big-endian length N, then N bytes of
// Ethernet frame. No checksum and no sync byte, so after a bad record the
// decoder hunts byte by byte for the next record that is plausible, counting
// every byte it skips. Records are parsed in place in one reusable buffer.
import { FramingError } from '../counters.js'
import { checkFrame, NEED_MORE, PLAUSIBLE } from './plausibility.js'

export const LENGTH_PREFIX_BYTES = 2
const MIN_FRAME = 14
/** Skipped bytes kept for the capture of one desync episode; the rest are only counted. */
const JUNK_KEPT = 2048

export interface LengthPrefixSink {
  /** `n` bytes came off the UART (records, prefixes and junk alike), before any of them is parsed. */
  onReceived(n: number): void
  /** A plausible record: its 2-byte prefix starts at `start`, the frame follows. */
  onRecord(buffer: Uint8Array, start: number, frameLength: number): void
  /**
   * One desync episode is over (a plausible record followed it, or the stream was reset).
   * `kind` is why the first bad record was refused; `kept` holds up to JUNK_KEPT of the `skipped` bytes.
   */
  onFramingError(kind: number, kept: Uint8Array, skipped: number): void
  /** Every record passed to onRecord since the last call stays valid until this returns. */
  onBatchEnd(buffer: Uint8Array): void
}

export class LengthPrefixDecoder {
  /**
   * Set by the owner once the device's MAC is proven. While hunting after a bad
   * record, only frames from it end the hunt (random bytes rarely fake a MAC);
   * in step, a frame from another source is a frame like any other.
   */
  deviceMac: Uint8Array | null = null
  private readonly buffer: Uint8Array
  private start = 0
  private fill = 0
  private huntKind = 0
  private skipped = 0
  private readonly junk = new Uint8Array(JUNK_KEPT)

  constructor(
    private readonly sink: LengthPrefixSink,
    private readonly maxFrame: number,
    bufferSize = 256 * 1024
  ) {
    this.buffer = new Uint8Array(Math.max(bufferSize, 4 * (maxFrame + LENGTH_PREFIX_BYTES)))
  }

  /** Bytes skipped by the hunt under way, which onFramingError reports only once it ends. */
  get skippedInHunt(): number {
    return this.skipped
  }

  /** Where the next read may land (zero-copy reads); follow with commit(n). */
  space(): Uint8Array {
    return this.buffer.subarray(this.fill)
  }

  commit(n: number): void {
    this.sink.onReceived(n)
    this.fill += n
    this.parse()
  }

  /** Copies a chunk in (for transports that hand out their own buffers). */
  push(chunk: Uint8Array): void {
    for (let offset = 0; offset < chunk.length; ) {
      const n = Math.min(chunk.length - offset, this.buffer.length - this.fill)
      this.buffer.set(chunk.subarray(offset, offset + n), this.fill)
      offset += n
      this.commit(n)
    }
  }

  /** The stream ended (disconnect): report what was left half-read and start fresh. */
  reset(): void {
    const left = this.fill - this.start
    if (this.huntKind !== 0) {
      for (let i = this.start; i < this.fill; i++) this.skip(this.buffer[i]!)
      this.endHunt()
    } else if (left > 0) {
      this.sink.onFramingError(FramingError.cutByDisconnect, this.buffer.subarray(this.start, this.start + Math.min(left, JUNK_KEPT)), left)
    }
    this.start = this.fill = 0
  }

  private parse(): void {
    const b = this.buffer
    const end = this.fill
    let pos = this.start
    while (end - pos >= LENGTH_PREFIX_BYTES) {
      const length = (b[pos]! << 8) | b[pos + 1]!
      let verdict: number
      if (length === 0) verdict = FramingError.zeroLength
      else if (length > this.maxFrame) verdict = FramingError.tooLong
      else if (length < MIN_FRAME) verdict = FramingError.tooShort
      else verdict = checkFrame(b, pos + 2, Math.min(end - pos - 2, length), length, this.huntKind === 0 ? null : this.deviceMac)
      if (verdict === NEED_MORE) break
      if (verdict === PLAUSIBLE) {
        if (this.huntKind !== 0) this.endHunt()
        this.sink.onRecord(b, pos, length)
        pos += LENGTH_PREFIX_BYTES + length
      } else {
        if (this.huntKind === 0) this.huntKind = verdict
        this.skip(b[pos]!)
        pos++
      }
    }
    this.sink.onBatchEnd(b)
    if (pos > 0) b.copyWithin(0, pos, end)
    this.fill = end - pos
    this.start = 0
  }

  private skip(byte: number): void {
    if (this.skipped < JUNK_KEPT) this.junk[this.skipped] = byte
    this.skipped++
  }

  private endHunt(): void {
    this.sink.onFramingError(this.huntKind, this.junk.subarray(0, Math.min(this.skipped, JUNK_KEPT)), this.skipped)
    this.huntKind = 0
    this.skipped = 0
  }
}

/** Writes the 2-byte big-endian length prefix for a frame of `frameLength` bytes at `offset`. */
export function writeLengthPrefix(buffer: Uint8Array, offset: number, frameLength: number): void {
  buffer[offset] = frameLength >> 8
  buffer[offset + 1] = frameLength & 0xff
}
