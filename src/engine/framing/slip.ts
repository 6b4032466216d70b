// SLIP (RFC 1055), as Zephyr's SLIP driver (drivers/net/slip.c), Linux's N_SLIP
// line discipline and net-tools' tunslip6 speak it: a frame ends at END (0xC0);
// END and ESC (0xDB) inside it are sent as ESC ESC_END (0xDC) and ESC ESC_ESC
// (0xDD). Zephyr and Linux also send an END before each frame to flush line
// noise; tunslip6 sends only the closing one. The payload is an Ethernet frame
// (Zephyr with CONFIG_SLIP_TAP, its default) or a bare IP packet (Linux
// slattach, Zephyr without TAP, tunslip6's TUN mode).
//
// Unlike a length prefix, END resyncs the stream by itself: every slot between
// two ENDs is judged on its own, so a bad slot is one framing error (its bytes
// up to and including the END that closes it) and the next slot starts clean.
// There is no hunt across slots, so deviceMac is not consulted. Errors: ESC
// followed by anything but ESC_END or ESC_ESC (slipEscape; Linux and tunslip6
// keep the byte as it is, Zephyr drops the slot and, since it then waits for
// another END, the next one too; here the slot is dropped and the END right
// after it, even ESC END, ends it), a slot over maxFrame once unescaped
// (tooLong, skipped to its END without being stored), under the payload's
// minimum (tooShort: 14 for Ethernet, 20 for IP) or implausible (Ethernet: the
// same rules as the length-prefix framings; IP: the IPv4 header with its
// checksum or the IPv6 length, as inside an Ethernet frame), and a slot cut by
// reset() (cutByDisconnect).
//
// Frames are unescaped in place in one reusable buffer: the unescaped bytes
// are never more than the escaped ones, so the write index trails the read
// index. Nothing is allocated per frame.
//
// Byte accounting (every byte given to the decoder is in exactly one of):
//  - a record's or a text frame's wireLength: its escaped bytes, the END that
//    closes it and the END right before it when that END closed nothing (the
//    flush END of Zephyr and Linux), so END + frame + END, as encodeSlip writes
//    it, is the frame's wireLength;
//  - a framing error's skipped count, counted the same way (kept holds the
//    first of those bytes exactly as they came on the wire);
//  - separatorBytes: the other ENDs that closed an empty slot (a flood of ENDs,
//    or the one END left before a disconnect). An empty slot is how senders
//    flush the line, not an error.
//
// tunslip6 conventions: a slot starting with '!' or '?' is a control message
// ('?P' asks for the IPv6 prefix, '!P' + 8 bytes answers it, '!M' gives a MAC)
// and one starting with '\r' is a line of debug text. Those go to onText,
// never to onRecord and never counted as errors. A plausible frame always wins:
// an Ethernet frame may start with any destination MAC (0x21, 0x3F and 0x0D are
// group addresses, rare but legal), so a slot is text only when it is not a
// plausible frame. With IP payload the two never overlap (a first byte of 0x21,
// 0x3F or 0x0D is IP version 2, 3 or 0).
import { FramingError, type FramingErrorKind } from '../counters.js'
import { ETHERNET_HEADER } from '../ethernet.js'
import { pushThroughSpace, type FrameDecoder, type FramePayload, type Framing, type FramingLimits, type FramingSink, type TextKind } from './framing.js'
import { checkFrame, checkIpv4, checkIpv6, PLAUSIBLE } from './plausibility.js'

export const SLIP_END = 0xc0
export const SLIP_ESC = 0xdb
export const SLIP_ESC_END = 0xdc
export const SLIP_ESC_ESC = 0xdd

/** Skipped bytes kept for the capture of one bad slot; the rest are only counted. */
const JUNK_KEPT = 2048
const IP_MIN = 20

export type SlipPayload = FramePayload

/**
 * A tunslip6 text frame: buffer[start, start + length) unescaped, which `wireLength`
 * bytes of the stream carried. Valid until the call returns.
 */
export type SlipTextHandler = (kind: TextKind, buffer: Uint8Array, start: number, length: number, wireLength: number) => void

export interface SlipDecoderOptions {
  payload: SlipPayload
  /** Where tunslip6 control messages and debug lines go; dropped when not given (still counted). */
  onText?: SlipTextHandler
  /** At least 4 × maxFrame is used whatever is asked. */
  bufferSize?: number
}

export const SLIP_ERROR_KINDS: readonly FramingErrorKind[] = ['slipEscape', 'tooLong', 'tooShort', 'implausible', 'cutByDisconnect']

/**
 * Ethernet payload: Zephyr's SLIP_TAP takes up to its MTU (1500) plus the Ethernet header.
 * IP payload: Linux SLIP's default MTU is 296, Zephyr's 1500; 1500 fits both.
 * There is no length field, so nothing caps a frame but the receiver's buffer.
 */
export function slipLimits(payload: SlipPayload): FramingLimits {
  return payload === 'ethernet' ? { defaultMaxFrame: 1514, largestFrame: 65_535 } : { defaultMaxFrame: 1500, largestFrame: 65_535 }
}

/**
 * Framing.createDecoder for SLIP carrying `payload`: tunslip6 text goes to the sink's
 * onText when it has one (and is only counted otherwise).
 */
export function slipDecoderFactory(payload: SlipPayload): (sink: FramingSink, maxFrame: number, bufferSize?: number) => SlipDecoder {
  return (sink, maxFrame, bufferSize) => {
    const onText = sink.onText?.bind(sink)
    return new SlipDecoder(sink, maxFrame, { payload, ...(onText ? { onText } : {}), ...(bufferSize !== undefined ? { bufferSize } : {}) })
  }
}

function slipFraming(payload: SlipPayload): Framing {
  return {
    name: 'slip',
    payload,
    title: payload === 'ethernet' ? 'SLIP (Ethernet)' : 'SLIP (IP)',
    recordName: 'SLIP record',
    errorKinds: SLIP_ERROR_KINDS,
    limits: slipLimits(payload),
    // Zephyr's SLIP_TAP default (drivers/net/slip.c: 00:00:5E:00:53:xx, the documentation range).
    defaultDeviceMac: '00:00:5e:00:53:01',
    header: { bytes: 0, write: () => {} },
    encoder: { maxBytes: slipEncodedMax, encode: encodeSlip },
    createDecoder: slipDecoderFactory(payload)
  }
}

/** Zephyr with CONFIG_SLIP_TAP (its default): Ethernet frames. */
export const slipEthernetFraming = slipFraming('ethernet')
/** Linux slattach, Zephyr without SLIP_TAP, tunslip6: bare IP packets. */
export const slipIpFraming = slipFraming('ip')

/** The most bytes encodeSlip writes for a frame of `length` bytes: every byte escaped, plus two ENDs. */
export function slipEncodedMax(length: number): number {
  return 2 * length + 2
}

/**
 * Writes END, frame[start, start + length) escaped, END into `out` at `at` (as Zephyr's
 * and Linux's SLIP do; the leading END flushes any line noise the device holds).
 * `out` needs slipEncodedMax(length) bytes from `at`. Returns the bytes written.
 */
export function encodeSlip(frame: Uint8Array, start: number, length: number, out: Uint8Array, at: number): number {
  out[at] = SLIP_END
  const end = escapeInto(frame, start, start + length, out, at + 1, out.length)
  out[end] = SLIP_END
  return end + 1 - at
}

/**
 * Escapes src[from, to) into out from `at`, stopping before `limit` (an escape pair is
 * never split); returns where it stopped.
 */
function escapeInto(src: Uint8Array, from: number, to: number, out: Uint8Array, at: number, limit: number): number {
  let o = at
  for (let i = from; i < to; i++) {
    const c = src[i]!
    if (c === SLIP_END || c === SLIP_ESC) {
      if (o + 2 > limit) break
      out[o++] = SLIP_ESC
      out[o++] = c === SLIP_END ? SLIP_ESC_END : SLIP_ESC_ESC
    } else {
      if (o >= limit) break
      out[o++] = c
    }
  }
  return o
}


const TEXT_NONE = 0
const TEXT_CONTROL = 1
const TEXT_DEBUG = 2

/** tunslip6's reading of a slot's first byte. */
function textKindOf(first: number): number {
  if (first === 0x21 || first === 0x3f) return TEXT_CONTROL // '!' '?'
  return first === 0x0d ? TEXT_DEBUG : TEXT_NONE // '\r'
}

export class SlipDecoder implements FrameDecoder {
  /** Not consulted: END resyncs, so there is no hunt for a frame from the device (see the file comment). */
  deviceMac: Uint8Array | null = null
  private readonly buffer: Uint8Array
  private readonly payload: SlipPayload
  private readonly onText: SlipTextHandler | undefined
  /** Bytes [0, fill) are the current slot's unescaped bytes; reads land after them. */
  private fill = 0
  /** Escaped bytes of the current slot so far (ENDs excluded). */
  private slotWire = 0
  /** The last byte of the current slot was an ESC (possibly at the end of the previous chunk). */
  private escaped = false
  /** 1 when the END before the current slot closed an empty slot and belongs to the next frame. */
  private pendingEnd = 0
  /** Non-zero: the current slot is bad for this reason and is skipped up to its END. */
  private discardKind = 0
  private junkKept = 0
  private readonly junk = new Uint8Array(JUNK_KEPT)
  private separators = 0

  constructor(
    private readonly sink: FramingSink,
    private readonly maxFrame: number,
    options: SlipDecoderOptions
  ) {
    this.payload = options.payload
    this.onText = options.onText
    this.buffer = new Uint8Array(Math.max(options.bufferSize ?? 256 * 1024, 4 * (maxFrame + 2)))
  }

  get skippedInHunt(): number {
    return this.discardKind === 0 ? 0 : this.pendingEnd + this.slotWire
  }

  /** ENDs that closed an empty slot and went to no frame (see the file comment); only ever grows. */
  get separatorBytes(): number {
    return this.separators
  }

  space(): Uint8Array {
    return this.buffer.subarray(this.fill)
  }

  commit(n: number): void {
    this.sink.onReceived(n)
    this.parse(this.fill, this.fill + n)
  }

  push(chunk: Uint8Array): void {
    pushThroughSpace(this, chunk)
  }

  reset(): void {
    if (this.slotWire > 0) {
      const wire = this.pendingEnd + this.slotWire
      if (this.discardKind !== 0) {
        this.sink.onFramingError(this.discardKind, this.junk.subarray(0, this.junkKept), wire)
      } else {
        this.keepSlot(0, this.fill)
        if (this.escaped) this.keepRaw(SLIP_ESC)
        this.sink.onFramingError(FramingError.cutByDisconnect, this.junk.subarray(0, this.junkKept), wire)
      }
    } else {
      this.separators += this.pendingEnd
    }
    this.fill = this.slotWire = this.pendingEnd = this.discardKind = this.junkKept = 0
    this.escaped = false
  }

  /**
   * Unescapes b[from, to) in place. The slot under way occupies b[frameStart, w); on
   * return it is moved to the front of the buffer.
   */
  private parse(from: number, to: number): void {
    const b = this.buffer
    const maxFrame = this.maxFrame
    let frameStart = 0
    let w = from
    let slotWire = this.slotWire
    let escaped = this.escaped
    // The batch's bytes, for the engine's own search (indexOf) where a whole bad slot is skipped.
    const batch = b.subarray(0, to)
    for (let r = from; r < to; ) {
      if (this.discardKind !== 0) {
        // A bad slot: skip to its END, keeping the first bytes for the capture.
        const end = batch.indexOf(SLIP_END, r)
        const e = end < 0 ? to : end
        const keep = Math.min(e - r, JUNK_KEPT - this.junkKept)
        if (keep > 0) this.junk.set(b.subarray(r, r + keep), this.junkKept)
        this.junkKept += keep
        slotWire += e - r
        r = e
        if (r === to) break
      }
      let c = b[r]!
      if (c === SLIP_END) {
        r++
        if (slotWire === 0) {
          this.separators += this.pendingEnd
          this.pendingEnd = 1
          continue
        }
        this.slotWire = slotWire
        this.escaped = escaped
        const keep = this.endSlot(frameStart, w)
        if (!keep) w = frameStart
        frameStart = w
        slotWire = 0
        escaped = false
        continue
      }
      if (escaped || c === SLIP_ESC) {
        r++
        slotWire++
        if (!escaped) {
          escaped = true
          continue
        }
        escaped = false
        if (c === SLIP_ESC_END) c = SLIP_END
        else if (c === SLIP_ESC_ESC) c = SLIP_ESC
        else {
          this.startDiscard(FramingError.slipEscape, frameStart, w, SLIP_ESC, c)
          w = frameStart
          continue
        }
        if (w - frameStart >= maxFrame) {
          this.startDiscard(FramingError.tooLong, frameStart, w, -1, c)
          w = frameStart
          continue
        }
        b[w++] = c
        continue
      }
      // A run of ordinary bytes, moved down as it is read (the write index trails by the
      // escapes and ENDs so far): one pass, no call per run.
      const room = maxFrame - (w - frameStart)
      const stop = Math.min(to, r + room)
      let i = r
      if (w === r) {
        while (i < stop && b[i] !== SLIP_END && b[i] !== SLIP_ESC) i++
        w = i
      } else {
        for (; i < stop; i++) {
          const x = b[i]!
          if (x === SLIP_END || x === SLIP_ESC) break
          b[w++] = x
        }
      }
      slotWire += i - r
      r = i
      if (i === stop && i < to && w - frameStart === maxFrame) {
        const x = b[r]!
        if (x !== SLIP_END && x !== SLIP_ESC) {
          // One byte more than the frame may hold.
          slotWire++
          r++
          this.startDiscard(FramingError.tooLong, frameStart, w, -1, x)
          w = frameStart
        }
      }
    }
    this.slotWire = slotWire
    this.escaped = escaped
    this.sink.onBatchEnd(b)
    if (frameStart > 0 && w > frameStart) b.copyWithin(0, frameStart, w)
    this.fill = w - frameStart
  }

  /** An END closed a non-empty slot b[frameStart, w); returns whether its bytes stay (a record or text). */
  private endSlot(frameStart: number, w: number): boolean {
    const b = this.buffer
    const wire = this.pendingEnd + this.slotWire + 1
    const discardKind = this.discardKind
    let kept = false
    if (discardKind !== 0) {
      if (this.junkKept < JUNK_KEPT) this.junk[this.junkKept++] = SLIP_END
      this.sink.onFramingError(discardKind, this.junk.subarray(0, this.junkKept), wire)
    } else if (this.escaped) {
      // ESC END: a broken escape; the END still ends the slot.
      this.keepSlot(frameStart, w)
      this.keepRaw(SLIP_ESC)
      this.keepRaw(SLIP_END)
      this.sink.onFramingError(FramingError.slipEscape, this.junk.subarray(0, this.junkKept), wire)
    } else {
      const length = w - frameStart
      const verdict = this.check(frameStart, length)
      const text = verdict === PLAUSIBLE || length === 0 ? TEXT_NONE : textKindOf(b[frameStart]!)
      if (verdict === PLAUSIBLE) {
        this.sink.onRecord(b, frameStart, length, wire)
        kept = true
      } else if (text !== TEXT_NONE) {
        this.onText?.(text === TEXT_CONTROL ? 'control' : 'debug', b, frameStart, length, wire)
      } else {
        this.keepSlot(frameStart, w)
        this.keepRaw(SLIP_END)
        this.sink.onFramingError(verdict, this.junk.subarray(0, this.junkKept), wire)
      }
    }
    this.pendingEnd = 0
    this.discardKind = 0
    this.junkKept = 0
    return kept
  }

  /** PLAUSIBLE or the FramingError code of a whole unescaped frame. */
  private check(start: number, length: number): number {
    const b = this.buffer
    if (this.payload === 'ethernet') return length < ETHERNET_HEADER ? FramingError.tooShort : checkFrame(b, start, length, length, null)
    if (length < IP_MIN) return FramingError.tooShort
    const version = b[start]! >> 4
    if (version === 4) return checkIpv4(b, start, length, length)
    if (version === 6) return checkIpv6(b, start, length, length)
    return FramingError.implausible
  }

  /**
   * The slot turned bad at its latest byte: `raw1` (or nothing, -1) and `raw2` are how
   * that byte came. Keeps what came so far for the capture; the rest is skipped to END.
   */
  private startDiscard(kind: number, frameStart: number, w: number, raw1: number, raw2: number): void {
    this.discardKind = kind
    this.keepSlot(frameStart, w)
    if (raw1 >= 0) {
      this.keepRaw(raw1)
      this.keepRaw(raw2)
    } else if (raw2 === SLIP_END || raw2 === SLIP_ESC) {
      this.keepRaw(SLIP_ESC)
      this.keepRaw(raw2 === SLIP_END ? SLIP_ESC_END : SLIP_ESC_ESC)
    } else {
      this.keepRaw(raw2)
    }
  }

  /** Starts the junk kept for the current slot: its flush END, then b[from, to) escaped again, i.e. as it came. */
  private keepSlot(from: number, to: number): void {
    this.junkKept = 0
    if (this.pendingEnd) this.junk[this.junkKept++] = SLIP_END
    this.junkKept = escapeInto(this.buffer, from, to, this.junk, this.junkKept, JUNK_KEPT)
  }

  private keepRaw(byte: number): void {
    if (this.junkKept < JUNK_KEPT) this.junk[this.junkKept++] = byte
  }
}
