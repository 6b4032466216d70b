// UDP datagrams: read with the checksum checked (when the sender set one) and built with it filled in.
import { parseUdp } from '../../engine/decode/udp.js'
import { checksumOk, internetChecksum, pseudoHeaderSum } from './checksum.js'
import { IPPROTO_UDP } from './ipv4Packet.js'

const UDP_HEADER = 8

export interface UdpView {
  srcPort: number
  dstPort: number
  payload: Uint8Array
}

/** The datagram in `segment` (read with the inspector's parser), or null when it is short, inconsistent or its checksum is wrong. */
export function readUdp(segment: Uint8Array, src: number, dst: number): UdpView | null {
  const header = parseUdp(segment, 0, segment.length)
  if (!header || header.truncated) return null
  if (header.checksum !== 0 && !checksumOk(segment, 0, header.length, pseudoHeaderSum(src, dst, IPPROTO_UDP, header.length))) return null
  return { srcPort: header.srcPort, dstPort: header.dstPort, payload: segment.subarray(header.payloadOffset, header.length) }
}

export function buildUdp(src: number, dst: number, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const length = UDP_HEADER + payload.length
  const segment = new Uint8Array(length)
  segment[0] = srcPort >> 8
  segment[1] = srcPort & 0xff
  segment[2] = dstPort >> 8
  segment[3] = dstPort & 0xff
  segment[4] = length >> 8
  segment[5] = length & 0xff
  segment.set(payload, UDP_HEADER)
  const sum = internetChecksum(segment, 0, length, pseudoHeaderSum(src, dst, IPPROTO_UDP, length)) || 0xffff
  segment[6] = sum >> 8
  segment[7] = sum & 0xff
  return segment
}
