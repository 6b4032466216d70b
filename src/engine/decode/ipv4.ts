// IPv4 header (RFC 791). Total length bounds the payload, so Ethernet padding never counts as data.
import { available, formatIpv4, hex, u16, verifyChecksum, type ChecksumStatus } from './bytes'
import { ECN_NAMES, ipProtocolName } from './ip'
import { checksumField, field, flagField, type FieldNode } from './tree'

const MIN_HEADER_LEN = 20

export interface Ipv4Header {
  version: 4
  offset: number
  headerLength: number   // bytes (IHL × 4)
  dscp: number
  ecn: number
  totalLength: number
  identification: number
  reservedFlag: boolean
  dontFragment: boolean
  moreFragments: boolean
  fragmentOffset: number // bytes
  ttl: number
  protocol: number
  checksum: ChecksumStatus
  src: string
  dst: string
  upperOffset: number    // payload start
  upperLength: number    // payload bytes present: at most totalLength − headerLength
  truncated: boolean     // fewer bytes present than totalLength says
}

export function checkIpv4(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  if (n < MIN_HEADER_LEN) return `Header truncated: ${n} of ${MIN_HEADER_LEN} bytes`
  const version = bytes[offset] >> 4
  if (version !== 4) return `Bogus IPv4 version (${version}, must be 4)`
  const headerLength = (bytes[offset] & 0x0f) * 4
  if (headerLength < MIN_HEADER_LEN) return `Bogus IP header length (${headerLength}, must be at least ${MIN_HEADER_LEN})`
  if (headerLength > n) return `Header truncated: ${n} of ${headerLength} bytes`
  const total = u16(bytes, offset + 2)
  if (total < headerLength) return `Bogus IP length (${total}, less than header length ${headerLength})`
  return undefined
}

export function parseIpv4(bytes: Uint8Array, offset: number, length: number): Ipv4Header | undefined {
  if (checkIpv4(bytes, offset, length)) return undefined
  const n = available(bytes, offset, length)
  const headerLength = (bytes[offset] & 0x0f) * 4
  const totalLength = u16(bytes, offset + 2)
  const flags = u16(bytes, offset + 6)
  return {
    version: 4,
    offset,
    headerLength,
    dscp: bytes[offset + 1] >> 2,
    ecn: bytes[offset + 1] & 3,
    totalLength,
    identification: u16(bytes, offset + 4),
    reservedFlag: (flags & 0x8000) !== 0,
    dontFragment: (flags & 0x4000) !== 0,
    moreFragments: (flags & 0x2000) !== 0,
    fragmentOffset: (flags & 0x1fff) * 8,
    ttl: bytes[offset + 8],
    protocol: bytes[offset + 9],
    checksum: verifyChecksum(bytes, offset, offset + headerLength, offset + 10),
    src: formatIpv4(bytes, offset + 12),
    dst: formatIpv4(bytes, offset + 16),
    upperOffset: offset + headerLength,
    upperLength: Math.min(totalLength, n) - headerLength,
    truncated: totalLength > n
  }
}

/** Info when IPv4 is the highest layer: a later fragment (its payload cannot be decoded alone), or opaque data. */
export function ipv4Info(h: Ipv4Header): string {
  if (h.fragmentOffset > 0) {
    const id = h.identification.toString(16).padStart(4, '0')
    return `Fragmented IP protocol (proto=${ipProtocolName(h.protocol)} ${h.protocol}, off=${h.fragmentOffset}, ID=${id})`
  }
  return `Data (${h.upperLength} bytes)`
}

export function dissectIpv4(h: Ipv4Header): FieldNode {
  const o = h.offset
  const flags = [h.reservedFlag && 'Reserved', h.dontFragment && "Don't fragment", h.moreFragments && 'More fragments']
    .filter((f) => f !== false).join(', ')
  const flagBits = (h.reservedFlag ? 4 : 0) | (h.dontFragment ? 2 : 0) | (h.moreFragments ? 1 : 0)
  const tos = (h.dscp << 2) | h.ecn
  const children = [
    field('Version: 4', o, 1),
    field(`Header Length: ${h.headerLength} bytes (${h.headerLength / 4})`, o, 1),
    field(`Differentiated Services Field: ${hex(tos, 2)} (DSCP: ${h.dscp}, ECN: ${ECN_NAMES[h.ecn]})`, o + 1, 1),
    field(`Total Length: ${h.totalLength}`, o + 2, 2),
    field(`Identification: ${hex(h.identification, 4)} (${h.identification})`, o + 4, 2),
    field(`Flags: ${hex(flagBits, 1)}${flags ? ', ' + flags : ''}`, o + 6, 1, [
      flagField('Reserved bit', h.reservedFlag, o + 6, 1),
      flagField("Don't fragment", h.dontFragment, o + 6, 1),
      flagField('More fragments', h.moreFragments, o + 6, 1)
    ]),
    field(`Fragment Offset: ${h.fragmentOffset}`, o + 6, 2),
    field(`Time to Live: ${h.ttl}`, o + 8, 1),
    field(`Protocol: ${ipProtocolName(h.protocol)} (${h.protocol})`, o + 9, 1),
    checksumField('Header Checksum', o + 10, h.checksum.value, h.checksum),
    field(`Source Address: ${h.src}`, o + 12, 4),
    field(`Destination Address: ${h.dst}`, o + 16, 4)
  ]
  if (h.headerLength > MIN_HEADER_LEN) {
    children.push(field(`Options: (${h.headerLength - MIN_HEADER_LEN} bytes)`, o + MIN_HEADER_LEN, h.headerLength - MIN_HEADER_LEN))
  }
  const problem = h.truncated ? `Total length ${h.totalLength} exceeds the ${h.headerLength + h.upperLength} bytes present` : undefined
  return field(`Internet Protocol Version 4, Src: ${h.src}, Dst: ${h.dst}`, o, h.headerLength, children, problem)
}
