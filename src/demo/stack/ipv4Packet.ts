// IPv4 as the demo device speaks it: options accepted and skipped, fragments
// refused (the firmware's lwIP is built without reassembly), packets built
// with TTL 64 and a running identification.
import { u32 } from '../../engine/decode/bytes.js'
import { parseIpv4 } from '../../engine/decode/ipv4.js'
import { internetChecksum } from './checksum.js'
import { writeIpv4 } from './ipv4Address.js'

export { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP } from '../../engine/decode/ip.js'
export const IPV4_HEADER = 20

export interface Ipv4View {
  src: number
  dst: number
  protocol: number
  /** Where the header starts in the frame, and the payload's range. */
  headerStart: number
  payloadStart: number
  payloadEnd: number
}

export type Ipv4Refusal = 'malformed' | 'checksum' | 'fragment'

/** Reads the IPv4 packet at `start` with the inspector's parser; a refusal when it is not one this stack takes. */
export function readIpv4Packet(frame: Uint8Array, start: number): Ipv4View | Ipv4Refusal {
  const header = parseIpv4(frame, start, frame.length - start)
  if (!header || header.truncated) return 'malformed'
  if (!header.checksum.ok) return 'checksum'
  if (header.moreFragments || header.fragmentOffset) return 'fragment'
  return {
    src: u32(frame, start + 12),
    dst: u32(frame, start + 16),
    protocol: header.protocol,
    headerStart: start,
    payloadStart: header.upperOffset,
    payloadEnd: header.upperOffset + header.upperLength
  }
}

/** Writes a 20-byte IPv4 header at `start` for a payload of `payloadLength` bytes. */
export function writeIpv4Header(frame: Uint8Array, start: number, src: number, dst: number, protocol: number, id: number, payloadLength: number): void {
  const total = IPV4_HEADER + payloadLength
  frame[start] = 0x45
  frame[start + 1] = 0
  frame[start + 2] = total >> 8
  frame[start + 3] = total & 0xff
  frame[start + 4] = (id >> 8) & 0xff
  frame[start + 5] = id & 0xff
  frame[start + 6] = 0
  frame[start + 7] = 0
  frame[start + 8] = 64
  frame[start + 9] = protocol
  frame[start + 10] = 0
  frame[start + 11] = 0
  writeIpv4(frame, start + 12, src)
  writeIpv4(frame, start + 16, dst)
  const sum = internetChecksum(frame, start, start + IPV4_HEADER)
  frame[start + 10] = sum >> 8
  frame[start + 11] = sum & 0xff
}
