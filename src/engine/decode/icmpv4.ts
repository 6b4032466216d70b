// ICMP for IPv4 (RFC 792): echo and the error messages, with the checksum over the whole message.
import { available, formatIpv4, hex, u16 } from './bytes'
import { upperChecksum, type IpHeader } from './ip'
import { dissectQuoted } from './quoted'
import { checksumField, dataLayer, field, type FieldNode } from './tree'

const HEADER_LEN = 8 // type, code, checksum and the 4-byte rest-of-header every type has

export interface IcmpMessage {
  offset: number
  length: number // bytes present
  type: number
  code: number
  checksum: number
  identifier?: number // echo, timestamp, information and address mask messages
  sequence?: number
}

const TYPES: Record<number, string> = {
  0: 'Echo (ping) reply', 3: 'Destination unreachable', 4: 'Source quench (flow control)', 5: 'Redirect',
  8: 'Echo (ping) request', 9: 'Router advertisement', 10: 'Router solicitation', 11: 'Time-to-live exceeded',
  12: 'Parameter problem', 13: 'Timestamp request', 14: 'Timestamp reply', 15: 'Information request',
  16: 'Information reply', 17: 'Address mask request', 18: 'Address mask reply'
}

const CODES: Record<number, string[]> = {
  3: [
    'Network unreachable', 'Host unreachable', 'Protocol unreachable', 'Port unreachable',
    'Fragmentation needed', 'Source route failed', 'Destination network unknown', 'Destination host unknown',
    'Source host isolated', 'Network administratively prohibited', 'Host administratively prohibited',
    'Network unreachable for TOS', 'Host unreachable for TOS', 'Communication administratively filtered',
    'Host precedence violation', 'Precedence cutoff in effect'
  ],
  5: ['Redirect for network', 'Redirect for host', 'Redirect for TOS and network', 'Redirect for TOS and host'],
  11: ['Time to live exceeded in transit', 'Fragment reassembly time exceeded'],
  12: ['Pointer indicates the error', 'Required option missing', 'Bad length']
}

const WITH_ID = new Set([0, 8, 13, 14, 15, 16, 17, 18])
const ERRORS = new Set([3, 4, 5, 11, 12])

export function checkIcmp(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  return n < HEADER_LEN ? `Header truncated: ${n} of ${HEADER_LEN} bytes` : undefined
}

export function parseIcmp(bytes: Uint8Array, offset: number, length: number): IcmpMessage | undefined {
  if (checkIcmp(bytes, offset, length)) return undefined
  const type = bytes[offset]
  const m: IcmpMessage = { offset, length: available(bytes, offset, length), type, code: bytes[offset + 1], checksum: u16(bytes, offset + 2) }
  if (WITH_ID.has(type)) {
    m.identifier = u16(bytes, offset + 4)
    m.sequence = u16(bytes, offset + 6)
  }
  return m
}

/** The product's echo line, shared with ICMPv6: 'Echo (ping) request id=0x0001 seq=3'. */
export function idSeqInfo(name: string, identifier: number, sequence: number): string {
  return `${name} id=${hex(identifier, 4)} seq=${sequence}`
}

export function icmpTypeName(type: number): string {
  return TYPES[type] ?? 'Unknown ICMP (obsolete or malformed?)'
}

export function icmpInfo(m: IcmpMessage): string {
  const name = icmpTypeName(m.type)
  if (m.identifier !== undefined && m.sequence !== undefined) return idSeqInfo(name, m.identifier, m.sequence)
  const code = CODES[m.type]?.[m.code]
  return code ? `${name} (${code})` : name
}

/** The second word's meaning depends on the type. */
function restOfHeader(bytes: Uint8Array, m: IcmpMessage): FieldNode[] {
  const o = m.offset + 4
  if (m.identifier !== undefined && m.sequence !== undefined) {
    return [
      field(`Identifier (BE): ${m.identifier} (${hex(m.identifier, 4)})`, o, 2),
      field(`Sequence Number (BE): ${m.sequence} (${hex(m.sequence, 4)})`, o + 2, 2)
    ]
  }
  if (m.type === 5) return [field(`Gateway Address: ${formatIpv4(bytes, o)}`, o, 4)]
  if (m.type === 12) return [field(`Pointer: ${bytes[o]}`, o, 1)]
  if (m.type === 3 && m.code === 4) return [field(`MTU of next hop: ${u16(bytes, o + 2)}`, o + 2, 2)]
  return [field(`Unused: ${hex(u16(bytes, o) * 0x10000 + u16(bytes, o + 2), 8)}`, o, 4)]
}

export function dissectIcmp(bytes: Uint8Array, m: IcmpMessage, ip: IpHeader): FieldNode {
  const o = m.offset
  const code = CODES[m.type]?.[m.code]
  const children = [
    field(`Type: ${m.type} (${icmpTypeName(m.type)})`, o, 1),
    field(`Code: ${m.code}${code ? ` (${code})` : ''}`, o + 1, 1),
    checksumField('Checksum', o + 2, m.checksum, upperChecksum(bytes, ip, o, m.length, o + 2, false)),
    ...restOfHeader(bytes, m)
  ]
  const rest = m.length - HEADER_LEN
  if (rest > 0) {
    children.push(ERRORS.has(m.type) ? dissectQuoted(bytes, o + HEADER_LEN, rest) : dataLayer(bytes, o + HEADER_LEN, rest))
  }
  return field('Internet Control Message Protocol', o, m.length, children)
}
