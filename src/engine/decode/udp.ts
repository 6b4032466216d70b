// UDP header (RFC 768). Its length field, not the IP payload, bounds the datagram.
import { available, u16 } from './bytes'
import { portFields, upperChecksum, type IpHeader } from './ip'
import { checksumField, field, type FieldNode } from './tree'

const HEADER_LEN = 8

export interface UdpHeader {
  offset: number
  srcPort: number
  dstPort: number
  length: number        // as the header says, header included
  checksum: number
  payloadOffset: number
  payloadLength: number // payload bytes present
  truncated: boolean    // fewer bytes present than the length field says
}

export function checkUdp(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  if (n < HEADER_LEN) return `Header truncated: ${n} of ${HEADER_LEN} bytes`
  const claimed = u16(bytes, offset + 4)
  return claimed < HEADER_LEN ? `Bogus UDP length (${claimed}, must be at least ${HEADER_LEN})` : undefined
}

export function parseUdp(bytes: Uint8Array, offset: number, length: number): UdpHeader | undefined {
  if (checkUdp(bytes, offset, length)) return undefined
  const n = available(bytes, offset, length)
  const claimed = u16(bytes, offset + 4)
  return {
    offset,
    srcPort: u16(bytes, offset),
    dstPort: u16(bytes, offset + 2),
    length: claimed,
    checksum: u16(bytes, offset + 6),
    payloadOffset: offset + HEADER_LEN,
    payloadLength: Math.min(claimed, n) - HEADER_LEN,
    truncated: claimed > n
  }
}

export function udpInfo(h: UdpHeader): string {
  return `${h.srcPort} → ${h.dstPort} Len=${h.length - HEADER_LEN}`
}

function udpChecksum(bytes: Uint8Array, h: UdpHeader, ip: IpHeader): FieldNode {
  const at = h.offset + 6
  // Zero means "no checksum": optional over IPv4, forbidden over IPv6 (RFC 8200 §8.1).
  if (h.checksum === 0 && ip.version === 4) return field('Checksum: 0x0000 [zero-value ignored]', at, 2)
  if (h.checksum === 0) return field('Checksum: 0x0000 [illegal]', at, 2, undefined, 'UDP checksum zero over IPv6')
  const status = h.truncated ? undefined : upperChecksum(bytes, ip, h.offset, h.length, at, true)
  // A computed zero is sent as 0xffff (RFC 768).
  return checksumField('Checksum', at, h.checksum, status && { ...status, expected: status.expected || 0xffff })
}

export function dissectUdp(bytes: Uint8Array, h: UdpHeader, ip: IpHeader): FieldNode {
  const present = h.payloadLength + HEADER_LEN
  return field(`User Datagram Protocol, Src Port: ${h.srcPort}, Dst Port: ${h.dstPort}`, h.offset, HEADER_LEN, [
    ...portFields(bytes, h.offset),
    field(`Length: ${h.length}`, h.offset + 4, 2),
    udpChecksum(bytes, h, ip),
    field(`UDP payload (${h.payloadLength} bytes)`, h.payloadOffset, h.payloadLength)
  ], h.truncated ? `Length ${h.length} exceeds the ${present} bytes present` : undefined)
}
