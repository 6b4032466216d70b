// ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861); the checksum covers the IPv6 pseudo-header.
import { available, formatIpv6, formatMac, hex, u16, u32 } from './bytes'
import { idSeqInfo } from './icmpv4'
import { upperChecksum, type IpHeader } from './ip'
import { dissectQuoted } from './quoted'
import { checksumField, dataLayer, field, type FieldNode } from './tree'

const ECHO_REQUEST = 128
const ECHO_REPLY = 129
const ROUTER_SOLICITATION = 133
const ROUTER_ADVERTISEMENT = 134
const NEIGHBOR_SOLICITATION = 135
const NEIGHBOR_ADVERTISEMENT = 136
const REDIRECT = 137

const TYPES: Record<number, string> = {
  1: 'Destination Unreachable', 2: 'Packet Too Big', 3: 'Time Exceeded', 4: 'Parameter Problem',
  128: 'Echo (ping) request', 129: 'Echo (ping) reply', 130: 'Multicast Listener Query',
  131: 'Multicast Listener Report', 132: 'Multicast Listener Done', 133: 'Router Solicitation',
  134: 'Router Advertisement', 135: 'Neighbor Solicitation', 136: 'Neighbor Advertisement', 137: 'Redirect',
  143: 'Multicast Listener Report Message v2'
}

const CODES: Record<number, string[]> = {
  1: [
    'No route to destination', 'Administratively prohibited', 'Beyond scope of source address',
    'Address unreachable', 'Port unreachable', 'Source address failed ingress/egress policy', 'Reject route to destination'
  ],
  3: ['Hop limit exceeded in transit', 'Fragment reassembly time exceeded'],
  4: ['Erroneous header field encountered', 'Unrecognized Next Header type encountered', 'Unrecognized IPv6 option encountered']
}

/** Where each type's fixed part ends (and its NDP options, the quoted packet or echo data begin). */
const BODY_START: Record<number, number> = {
  [ROUTER_SOLICITATION]: 8, [ROUTER_ADVERTISEMENT]: 16, [NEIGHBOR_SOLICITATION]: 24,
  [NEIGHBOR_ADVERTISEMENT]: 24, [REDIRECT]: 40
}
const NDP = new Set([ROUTER_SOLICITATION, ROUTER_ADVERTISEMENT, NEIGHBOR_SOLICITATION, NEIGHBOR_ADVERTISEMENT, REDIRECT])
const ERRORS = new Set([1, 2, 3, 4])

const OPTION_NAMES: Record<number, string> = {
  1: 'Source link-layer address', 2: 'Target link-layer address', 3: 'Prefix information',
  4: 'Redirected header', 5: 'MTU', 25: 'Recursive DNS Server', 31: 'DNS Search List'
}

export interface NdpOption {
  type: number
  offset: number
  length: number
  linkLayerAddress?: string // types 1 and 2 over Ethernet
}

export interface Icmpv6Message {
  offset: number
  length: number // bytes present
  type: number
  code: number
  checksum: number
  identifier?: number  // echo
  sequence?: number
  target?: string      // neighbor solicitation/advertisement, redirect
  naFlags?: number     // neighbor advertisement: R, S, O in the top three bits
  options: NdpOption[] // Neighbor Discovery messages
  problem?: string     // an option with a bad length: the rest is not decoded
}

function bodyStart(type: number): number {
  return BODY_START[type] ?? 8
}

export function checkIcmpv6(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  const need = n > 0 ? bodyStart(bytes[offset]) : 8
  return n < need ? `Message truncated: ${n} of ${need} bytes` : undefined
}

function parseOptions(bytes: Uint8Array, m: Icmpv6Message, start: number, end: number): void {
  for (let pos = start; pos < end; ) {
    const size = end - pos >= 2 ? bytes[pos + 1] * 8 : 0
    if (size === 0 || pos + size > end) {
      m.problem = `Bad length for option at offset ${pos - m.offset}`
      return
    }
    const option: NdpOption = { type: bytes[pos], offset: pos, length: size }
    if ((option.type === 1 || option.type === 2) && size === 8) option.linkLayerAddress = formatMac(bytes, pos + 2)
    m.options.push(option)
    pos += size
  }
}

export function parseIcmpv6(bytes: Uint8Array, offset: number, length: number): Icmpv6Message | undefined {
  if (checkIcmpv6(bytes, offset, length)) return undefined
  const type = bytes[offset]
  const m: Icmpv6Message = {
    offset, length: available(bytes, offset, length), type, code: bytes[offset + 1], checksum: u16(bytes, offset + 2), options: []
  }
  if (type === ECHO_REQUEST || type === ECHO_REPLY) {
    m.identifier = u16(bytes, offset + 4)
    m.sequence = u16(bytes, offset + 6)
  }
  if (type === NEIGHBOR_SOLICITATION || type === NEIGHBOR_ADVERTISEMENT || type === REDIRECT) m.target = formatIpv6(bytes, offset + 8)
  if (type === NEIGHBOR_ADVERTISEMENT) m.naFlags = bytes[offset + 4] >> 5
  if (NDP.has(type)) parseOptions(bytes, m, offset + bodyStart(type), offset + m.length)
  return m
}

function linkLayer(m: Icmpv6Message, type: number): string | undefined {
  return m.options.find((o) => o.type === type)?.linkLayerAddress
}

function naFlagNames(flags: number): string {
  return [flags & 4 && 'rtr', flags & 2 && 'sol', flags & 1 && 'ovr'].filter((f) => f).join(', ')
}

export function icmpv6TypeName(type: number): string {
  return TYPES[type] ?? `Unknown ICMPv6 type (${type})`
}

export function icmpv6Info(m: Icmpv6Message): string {
  const name = icmpv6TypeName(m.type)
  if (m.identifier !== undefined && m.sequence !== undefined) return idSeqInfo(name, m.identifier, m.sequence)
  const source = linkLayer(m, 1)
  const from = source ? ` from ${source}` : ''
  switch (m.type) {
    case NEIGHBOR_SOLICITATION: return `${name} for ${m.target}${from}`
    case NEIGHBOR_ADVERTISEMENT: {
      const flags = naFlagNames(m.naFlags ?? 0)
      const at = linkLayer(m, 2)
      return `${name} ${m.target}${flags ? ` (${flags})` : ''}${at ? ` is at ${at}` : ''}`
    }
    case ROUTER_SOLICITATION:
    case ROUTER_ADVERTISEMENT:
      return name + from
  }
  const code = CODES[m.type]?.[m.code]
  return code ? `${name} (${code})` : name
}

function dissectOption(bytes: Uint8Array, o: NdpOption): FieldNode {
  const name = OPTION_NAMES[o.type] ?? `Unknown (${o.type})`
  const children = [field(`Type: ${name} (${o.type})`, o.offset, 1), field(`Length: ${o.length / 8} (${o.length} bytes)`, o.offset + 1, 1)]
  let value = ''
  if (o.linkLayerAddress) {
    value = `: ${o.linkLayerAddress}`
    children.push(field(`Link-layer address: ${o.linkLayerAddress}`, o.offset + 2, 6))
  } else if (o.type === 3 && o.length === 32) {
    value = `: ${formatIpv6(bytes, o.offset + 16)}/${bytes[o.offset + 2]}`
    children.push(field(`Prefix: ${formatIpv6(bytes, o.offset + 16)}`, o.offset + 16, 16))
  } else if (o.type === 5 && o.length === 8) {
    value = `: ${u32(bytes, o.offset + 4)}`
  }
  return field(`ICMPv6 Option (${name}${value})`, o.offset, o.length, children)
}

/** The fixed fields between the checksum and the body, by type. */
function fixedFields(bytes: Uint8Array, m: Icmpv6Message): FieldNode[] {
  const o = m.offset
  if (m.identifier !== undefined && m.sequence !== undefined) {
    return [field(`Identifier: ${hex(m.identifier, 4)}`, o + 4, 2), field(`Sequence: ${m.sequence}`, o + 6, 2)]
  }
  const nodes: FieldNode[] = []
  if (m.type === 2) nodes.push(field(`MTU: ${u32(bytes, o + 4)}`, o + 4, 4))
  if (m.type === 4) nodes.push(field(`Pointer: ${u32(bytes, o + 4)}`, o + 4, 4))
  if (m.naFlags !== undefined) {
    const flags = naFlagNames(m.naFlags)
    nodes.push(field(`Flags: ${hex(u32(bytes, o + 4), 8)}${flags ? `, ${flags}` : ''}`, o + 4, 4))
  }
  if (m.type === ROUTER_ADVERTISEMENT) {
    nodes.push(
      field(`Cur hop limit: ${bytes[o + 4]}`, o + 4, 1),
      field(`Flags: ${hex(bytes[o + 5], 2)}`, o + 5, 1),
      field(`Router lifetime (s): ${u16(bytes, o + 6)}`, o + 6, 2),
      field(`Reachable time (ms): ${u32(bytes, o + 8)}`, o + 8, 4),
      field(`Retrans timer (ms): ${u32(bytes, o + 12)}`, o + 12, 4)
    )
  }
  if (m.target !== undefined) nodes.push(field(`Target Address: ${m.target}`, o + 8, 16))
  if (m.type === REDIRECT) nodes.push(field(`Destination Address: ${formatIpv6(bytes, o + 24)}`, o + 24, 16))
  return nodes
}

export function dissectIcmpv6(bytes: Uint8Array, m: Icmpv6Message, ip: IpHeader): FieldNode {
  const o = m.offset
  const code = CODES[m.type]?.[m.code]
  const children = [
    field(`Type: ${icmpv6TypeName(m.type)} (${m.type})`, o, 1),
    field(`Code: ${m.code}${code ? ` (${code})` : ''}`, o + 1, 1),
    checksumField('Checksum', o + 2, m.checksum, upperChecksum(bytes, ip, o, m.length, o + 2, true)),
    ...fixedFields(bytes, m),
    ...m.options.map((opt) => dissectOption(bytes, opt))
  ]
  const body = bodyStart(m.type)
  const rest = m.length - body
  if (rest > 0 && ERRORS.has(m.type)) children.push(dissectQuoted(bytes, o + body, rest))
  else if (rest > 0 && !NDP.has(m.type)) children.push(dataLayer(bytes, o + body, rest))
  return field('Internet Control Message Protocol v6', o, m.length, children, m.problem)
}
