// Length-prefix framings: a big-endian length N (2 bytes for the ESP32
// firmware's UART tunnel, 4 for QEMU's stream netdev), then N bytes of
// Ethernet frame. No checksum and no sync byte, so after a bad record the
// decoder hunts byte by byte for the next record that is plausible, counting
// every byte it skips. Records are parsed in place in one reusable buffer.
import { FramingError, type FramingErrorKind } from '../counters.js'
import { ETHERNET_HEADER } from '../ethernet.js'
import { pushThroughSpace, type FrameDecoder, type Framing, type FramingSink } from './framing.js'
import { checkFrame, NEED_MORE, PLAUSIBLE } from './plausibility.js'

/** Skipped bytes kept for the capture of one desync episode; the rest are only counted. */
const JUNK_KEPT = 2048

const ERROR_KINDS: readonly FramingErrorKind[] = ['zeroLength', 'tooLong', 'tooShort', 'implausible', 'cutByDisconnect']

/** What tells one length-prefix framing from another. */
export interface LengthPrefixSpec extends Pick<Framing, 'name' | 'title' | 'recordName' | 'limits' | 'defaultDeviceMac'> {
  /** Width of the big-endian length before each frame. */
  prefixBytes: number
}

export function lengthPrefixFraming(spec: LengthPrefixSpec): Framing {
  const { prefixBytes, ...described } = spec
  return {
    ...described,
    payload: 'ethernet',
    encoder: null,
    errorKinds: ERROR_KINDS,
    header: { bytes: prefixBytes, write: (buffer, at, frameLength) => writeLengthPrefix(buffer, at, prefixBytes, frameLength) },
    createDecoder: (sink, maxFrame, bufferSize) => new LengthPrefixDecoder(sink, maxFrame, prefixBytes, bufferSize)
  }
}

class LengthPrefixDecoder implements FrameDecoder {
  /**
   * While hunting after a bad record, only frames from it end the hunt (random
   * bytes rarely fake a MAC); in step, a frame from another source is a frame
   * like any other.
   */
  deviceMac: Uint8Array | null = null
  private readonly buffer: Uint8Array
  private start = 0
  private fill = 0
  private huntKind = 0
  private skipped = 0
  private readonly junk = new Uint8Array(JUNK_KEPT)

  constructor(
    private readonly sink: FramingSink,
    private readonly maxFrame: number,
    private readonly prefixBytes: number,
    bufferSize = 256 * 1024
  ) {
    this.buffer = new Uint8Array(Math.max(bufferSize, 4 * (maxFrame + prefixBytes)))
  }

  get skippedInHunt(): number {
    return this.skipped
  }

  space(): Uint8Array {
    return this.buffer.subarray(this.fill)
  }

  commit(n: number): void {
    this.sink.onReceived(n)
    this.fill += n
    this.parse()
  }

  push(chunk: Uint8Array): void {
    pushThroughSpace(this, chunk)
  }

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
    const prefixBytes = this.prefixBytes
    let pos = this.start
    while (end - pos >= prefixBytes) {
      let length = 0
      for (let i = 0; i < prefixBytes; i++) length = length * 256 + b[pos + i]! // no sign bit at 4 bytes
      let verdict: number
      if (length === 0) verdict = FramingError.zeroLength
      else if (length > this.maxFrame) verdict = FramingError.tooLong
      else if (length < ETHERNET_HEADER) verdict = FramingError.tooShort
      else verdict = checkFrame(b, pos + prefixBytes, Math.min(end - pos - prefixBytes, length), length, this.huntKind === 0 ? null : this.deviceMac)
      if (verdict === NEED_MORE) break
      if (verdict === PLAUSIBLE) {
        if (this.huntKind !== 0) this.endHunt()
        this.sink.onRecord(b, pos + prefixBytes, length, prefixBytes + length)
        pos += prefixBytes + length
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

/** Writes `frameLength` as a big-endian `prefixBytes`-wide length at `offset`. */
function writeLengthPrefix(buffer: Uint8Array, offset: number, prefixBytes: number, frameLength: number): void {
  for (let i = prefixBytes - 1, rest = frameLength; i >= 0; i--, rest >>>= 8) buffer[offset + i] = rest & 0xff
}
