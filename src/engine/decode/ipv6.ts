// IPv6 header (RFC 8200) and the extension headers that sit between it and the upper layer.
import { available, formatIpv6, hex, u16, u32 } from './bytes'
import { ECN_NAMES, ipProtocolName } from './ip'
import { field, type FieldNode } from './tree'

const HEADER_LEN = 40
const HOP_BY_HOP = 0
const ROUTING = 43
const FRAGMENT = 44
const NO_NEXT_HEADER = 59
const DESTINATION_OPTIONS = 60
// Hostile packets can chain extension headers; a real one has a handful at most.
const MAX_EXTENSIONS = 8

export interface Ipv6Extension {
  type: number
  offset: number
  length: number
  nextHeader: number
  fragment?: { offset: number; more: boolean; identification: number }
}

export interface Ipv6Header {
  version: 6
  offset: number
  trafficClass: number
  flowLabel: number
  payloadLength: number      // as the header says, extension headers included
  nextHeader: number
  hopLimit: number
  src: string
  dst: string
  extensions: Ipv6Extension[]
  extensionProblem?: string  // the chain is cut or bogus: the upper layer is not decoded
  protocol: number           // upper-layer protocol after the extension headers
  upperOffset: number
  upperLength: number        // upper-layer bytes present
  truncated: boolean         // fewer bytes present than payloadLength says
}

export function checkIpv6(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  if (n < HEADER_LEN) return `Header truncated: ${n} of ${HEADER_LEN} bytes`
  const version = bytes[offset] >> 4
  return version === 6 ? undefined : `Bogus IPv6 version (${version}, must be 6)`
}

function isExtension(type: number): boolean {
  return type === HOP_BY_HOP || type === ROUTING || type === FRAGMENT || type === DESTINATION_OPTIONS
}

export function parseIpv6(bytes: Uint8Array, offset: number, length: number): Ipv6Header | undefined {
  if (checkIpv6(bytes, offset, length)) return undefined
  const n = available(bytes, offset, length)
  const payloadLength = u16(bytes, offset + 4)
  const end = offset + Math.min(HEADER_LEN + payloadLength, n)
  const extensions: Ipv6Extension[] = []
  let extensionProblem: string | undefined
  let next = bytes[offset + 6]
  let pos = offset + HEADER_LEN
  while (isExtension(next)) {
    if (extensions.length === MAX_EXTENSIONS) {
      extensionProblem = `More than ${MAX_EXTENSIONS} extension headers`
      break
    }
    const len = next === FRAGMENT || end - pos < 2 ? 8 : (bytes[pos + 1] + 1) * 8
    if (pos + len > end) {
      extensionProblem = `${ipProtocolName(next)} truncated: ${end - pos} of ${len} bytes`
      break
    }
    const ext: Ipv6Extension = { type: next, offset: pos, length: len, nextHeader: bytes[pos] }
    if (next === FRAGMENT) {
      const word = u16(bytes, pos + 2)
      ext.fragment = { offset: word & 0xfff8, more: (word & 1) !== 0, identification: u32(bytes, pos + 4) }
    }
    extensions.push(ext)
    next = ext.nextHeader
    pos += len
  }
  const header: Ipv6Header = {
    version: 6,
    offset,
    trafficClass: (u16(bytes, offset) >> 4) & 0xff,
    flowLabel: u32(bytes, offset) & 0xfffff,
    payloadLength,
    nextHeader: bytes[offset + 6],
    hopLimit: bytes[offset + 7],
    src: formatIpv6(bytes, offset + 8),
    dst: formatIpv6(bytes, offset + 24),
    extensions,
    protocol: next,
    upperOffset: pos,
    upperLength: end - pos,
    truncated: HEADER_LEN + payloadLength > n
  }
  if (extensionProblem) header.extensionProblem = extensionProblem
  return header
}

/** The fragment header of a fragment other than the first, whose payload cannot be decoded alone. */
export function laterFragment(h: Ipv6Header): Ipv6Extension['fragment'] {
  const f = h.extensions.find((e) => e.fragment)?.fragment
  return f && f.offset > 0 ? f : undefined
}

/** Info when IPv6 is the highest layer. */
export function ipv6Info(h: Ipv6Header): string {
  const f = laterFragment(h)
  if (f) return `IPv6 fragment (off=${f.offset} more=${f.more ? 'y' : 'n'} ident=${hex(f.identification, 8)} nxt=${h.protocol})`
  if (h.protocol === NO_NEXT_HEADER) return 'IPv6 no next header'
  return `Data (${h.upperLength} bytes)`
}

function dissectExtension(bytes: Uint8Array, e: Ipv6Extension): FieldNode {
  const children = [field(`Next Header: ${ipProtocolName(e.nextHeader)} (${e.nextHeader})`, e.offset, 1)]
  if (e.fragment) {
    children.push(
      field(`Offset: ${e.fragment.offset}`, e.offset + 2, 2),
      field(`More Fragments: ${e.fragment.more ? 'Yes' : 'No'}`, e.offset + 3, 1),
      field(`Identification: ${hex(e.fragment.identification, 8)}`, e.offset + 4, 4)
    )
  } else {
    children.push(field(`Length: ${bytes[e.offset + 1]} (${e.length} bytes)`, e.offset + 1, 1))
  }
  return field(ipProtocolName(e.type), e.offset, e.length, children)
}

export function dissectIpv6(bytes: Uint8Array, h: Ipv6Header): FieldNode {
  const o = h.offset
  const children = [
    field('Version: 6', o, 1),
    field(`Traffic Class: ${hex(h.trafficClass, 2)} (DSCP: ${h.trafficClass >> 2}, ECN: ${ECN_NAMES[h.trafficClass & 3]})`, o, 2),
    field(`Flow Label: ${hex(h.flowLabel, 5)}`, o + 1, 3),
    field(`Payload Length: ${h.payloadLength}`, o + 4, 2),
    field(`Next Header: ${ipProtocolName(h.nextHeader)} (${h.nextHeader})`, o + 6, 1),
    field(`Hop Limit: ${h.hopLimit}`, o + 7, 1),
    field(`Source Address: ${h.src}`, o + 8, 16),
    field(`Destination Address: ${h.dst}`, o + 24, 16),
    ...h.extensions.map((e) => dissectExtension(bytes, e))
  ]
  const present = h.upperOffset + h.upperLength - o - HEADER_LEN
  const problem = h.truncated ? `Payload length ${h.payloadLength} exceeds the ${present} bytes present` : undefined
  return field(`Internet Protocol Version 6, Src: ${h.src}, Dst: ${h.dst}`, o, h.upperOffset - o, children, problem)
}
