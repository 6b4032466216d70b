// What a framing is: how the device's byte stream is cut into Ethernet frames
// and how frames are put on it. One file per framing implements this; the
// bridge, its two paths and the capture know framings only through it.
import type { FramingErrorKind } from '../counters.js'

export type FramingName = 'esp32' | 'qemu' | 'slip'

/** What one record carries: an Ethernet frame, or a bare IPv4/IPv6 packet (SLIP without TAP, as Linux slattach). */
export type FramePayload = 'ethernet' | 'ip'

/** Text a framing carries beside frames (tunslip6's control messages and debug lines): shown, never forwarded. */
export type TextKind = 'control' | 'debug'

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
  /**
   * A text record: buffer[start, start + length), which `wireLength` bytes of the stream
   * carried; valid until the call returns. Only framings that carry text call it.
   */
  onText?(kind: TextKind, buffer: Uint8Array, start: number, length: number, wireLength: number): void
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

/**
 * How a framing that transforms the frame itself (SLIP escapes it) puts it on the
 * wire; such framings have a zero-byte RecordHeader.
 */
export interface FrameEncoder {
  /** The most bytes encode() writes for a frame of `length` bytes. */
  maxBytes(length: number): number
  /** Writes frame[start, start + length) as it goes on the wire into out at `at`; returns the bytes written. */
  encode(frame: Uint8Array, start: number, length: number, out: Uint8Array, at: number): number
}

export interface FramingLimits {
  /** --max-frame when none is given: the largest frame the usual peer takes, Ethernet header included. */
  defaultMaxFrame: number
  /** The largest frame the framing may ever carry (its peer drops the link beyond it). */
  largestFrame: number
}

export interface Framing {
  readonly name: FramingName
  readonly payload: FramePayload
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
  /** null: a record is the header, then the frame as it is. */
  readonly encoder: FrameEncoder | null
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
