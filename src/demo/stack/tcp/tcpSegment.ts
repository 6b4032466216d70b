// TCP segments as the demo device reads and writes them: read with the
// inspector's own TCP parser, built with the fixed header, the MSS option
// (the only option it offers; window scaling, SACK and timestamps are
// ignored) and the checksum over the IPv4 pseudo-header.
import { parseTcp, TcpFlag } from '../../../engine/decode/tcp.js'
import { checksumOk, internetChecksum, pseudoHeaderSum } from '../checksum.js'
import { IPPROTO_TCP } from '../ipv4Packet.js'

export const TCP_HEADER = 20
const OPTION_MSS = 2
const MSS_OPTION_LENGTH = 4
const NO_PAYLOAD = new Uint8Array(0)

export { TcpFlag }

export interface TcpHeaderFields {
  srcPort: number
  dstPort: number
  seq: number
  ack: number
  /** TcpFlag bits. */
  flags: number
  window: number
  /** Our MSS, offered on SYN-ACKs only. */
  mss?: number
}

export interface TcpSegment extends TcpHeaderFields {
  payload: Uint8Array
}

/** The segment in `bytes` sent from `src` to `dst`; null when it is short, inconsistent or its checksum is wrong. The payload is a view into `bytes`. */
export function readTcpSegment(bytes: Uint8Array, src: number, dst: number): TcpSegment | null {
  const header = parseTcp(bytes, 0, bytes.length)
  if (!header || !checksumOk(bytes, 0, bytes.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, bytes.length))) return null
  const segment: TcpSegment = {
    srcPort: header.srcPort,
    dstPort: header.dstPort,
    seq: header.seq,
    ack: header.ack,
    flags: header.flags & 0xff, // FIN … CWR; the AE bit means nothing here
    window: header.window,
    payload: bytes.subarray(header.headerLength)
  }
  if (header.mss !== undefined) segment.mss = header.mss
  return segment
}

/** Sequence space the segment occupies: its payload, plus one each for SYN and FIN. */
export function sequenceLength(segment: TcpSegment): number {
  return segment.payload.length + (segment.flags & TcpFlag.SYN ? 1 : 0) + (segment.flags & TcpFlag.FIN ? 1 : 0)
}

/** A finished segment from `src` to `dst`: header (with the MSS option when `fields.mss` is set), a copy of `payload`, checksum filled in. */
export function buildTcpSegment(src: number, dst: number, fields: TcpHeaderFields, payload: Uint8Array = NO_PAYLOAD): Uint8Array {
  const headerLength = TCP_HEADER + (fields.mss === undefined ? 0 : MSS_OPTION_LENGTH)
  const segment = new Uint8Array(headerLength + payload.length)
  write16(segment, 0, fields.srcPort)
  write16(segment, 2, fields.dstPort)
  write32(segment, 4, fields.seq)
  write32(segment, 8, fields.ack)
  segment[12] = (headerLength / 4) << 4
  segment[13] = fields.flags
  write16(segment, 14, fields.window)
  if (fields.mss !== undefined) {
    segment[TCP_HEADER] = OPTION_MSS
    segment[TCP_HEADER + 1] = MSS_OPTION_LENGTH
    write16(segment, TCP_HEADER + 2, fields.mss)
  }
  segment.set(payload, headerLength)
  write16(segment, 16, internetChecksum(segment, 0, segment.length, pseudoHeaderSum(src, dst, IPPROTO_TCP, segment.length)))
  return segment
}

function write16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >> 8) & 0xff
  bytes[offset + 1] = value & 0xff
}

function write32(bytes: Uint8Array, offset: number, value: number): void {
  write16(bytes, offset, value >>> 16)
  write16(bytes, offset + 2, value & 0xffff)
}
