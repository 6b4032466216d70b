// What a framing is: how the device's byte stream is cut into Ethernet frames
// and how frames are put on it. One file per framing implements this; the
// bridge, its two paths and the capture know framings only through it.
import type { FramingErrorKind } from '../counters.js'

export type FramingName = 'esp32' | 'qemu'

/** Where a decoder reports what it found; every byte it was given ends up in exactly one record or error. */
export interface FramingSink {
  /** `n` bytes came off the stream (records, headers and junk alike), before any of them is parsed. */
  onReceived(n: number): void
  /**
   * A plausible frame: buffer[frameStart, frameStart + frameLength), which `wireLength`
   * bytes of the stream carried. The framing's record header (header.bytes of it) is
   * right before frameStart, as it came.
   */
  onRecord(buffer: Uint8Array, frameStart: number, frameLength: number, wireLength: number): void
  /**
   * One desync episode is over (a plausible record followed it, or the stream was reset).
   * `kind` (a FramingError code) is why the first bad record was refused; `kept` holds
   * the first of the `skipped` bytes, for the capture.
   */
  onFramingError(kind: number, kept: Uint8Array, skipped: number): void
  /** Every frame passed to onRecord since the last call stays valid until this returns. */
  onBatchEnd(buffer: Uint8Array): void
}

/** Cuts one connection's byte stream into frames, resyncing after junk; parses in place in its own buffer. */
export interface FrameDecoder {
  /**
   * Set by the owner once the device's MAC is proven: while hunting after a bad
   * record, only frames from it end the hunt.
   */
  deviceMac: Uint8Array | null
  /** Bytes skipped by the hunt under way, which onFramingError reports only once it ends. */
  readonly skippedInHunt: number
  /** Where the next read may land (zero-copy reads); follow with commit(n). */
  space(): Uint8Array
  commit(n: number): void
  /** Copies a chunk in (for transports that hand out their own buffers). */
  push(chunk: Uint8Array): void
  /** The stream ended (disconnect): report what was left half-read and start fresh. */
  reset(): void
}

/**
 * The bytes a framing puts before each frame, written in place into room left
 * before the frame (the TUN read's headroom), so sending copies nothing.
 */
export interface RecordHeader {
  readonly bytes: number
  write(buffer: Uint8Array, at: number, frameLength: number): void
}

export interface FramingLimits {
  /** --max-frame when none is given: the largest frame the usual peer takes, Ethernet header included. */
  defaultMaxFrame: number
  /** The largest frame the framing may ever carry (its peer drops the link beyond it). */
  largestFrame: number
}

export interface Framing {
  readonly name: FramingName
  /** What people call the link, in the status line, the final report and the capture's interface description. */
  readonly title: string
  /** The details tree's name for one record on this link. */
  readonly recordName: string
  /** The framing errors this framing can report. */
  readonly errorKinds: readonly FramingErrorKind[]
  readonly limits: FramingLimits
  /** --device-mac when none is given: the usual peer's MAC, where the host's frames go until the device's own frames show it. */
  readonly defaultDeviceMac: string
  readonly header: RecordHeader
  createDecoder(sink: FramingSink, maxFrame: number, bufferSize?: number): FrameDecoder
}

/**
 * FrameDecoder.push() for any decoder in terms of its zero-copy space()/commit(): copies
 * `chunk` in as many pieces as the decoder's free space takes.
 */
export function pushThroughSpace(decoder: Pick<FrameDecoder, 'space' | 'commit'>, chunk: Uint8Array): void {
  for (let offset = 0; offset < chunk.length; ) {
    const space = decoder.space()
    const n = Math.min(chunk.length - offset, space.length)
    space.set(chunk.subarray(offset, offset + n))
    offset += n
    decoder.commit(n)
  }
}
