// DNS (RFC 1035) basics: header, questions and resource records, names with compression.
import { available, formatIpv4, formatIpv6, hex, printable, u16, u32 } from './bytes'
import { field, type FieldNode } from './tree'

const HEADER_LEN = 12
const MAX_NAME_LEN = 255
// Compression pointers may chain; a loop must end. Real names need far fewer jumps than this.
const MAX_JUMPS = 64

export const DNS_PORT = 53

export interface DnsQuestion {
  offset: number
  length: number // bytes in place (a compressed name counts only its pointer)
  name: string
  type: number
  class: number
}

export interface DnsRecord extends DnsQuestion {
  ttl: number
  dataOffset: number
  dataLength: number
  data: string // rdata in presentation form, '' when the type is not decoded
}

export type DnsSection = 'Queries' | 'Answers' | 'Authoritative nameservers' | 'Additional records'

export interface DnsMessage {
  offset: number
  length: number
  id: number
  flags: number
  response: boolean
  opcode: number
  rcode: number
  counts: [number, number, number, number] // questions, answers, authority, additional, as the header says
  questions: DnsQuestion[]
  records: Array<DnsRecord & { section: DnsSection }>
  problem?: string // parsing stopped here; what was read before is kept
}

const TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA',
  33: 'SRV', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY'
}
const CLASSES: Record<number, string> = { 1: 'IN', 3: 'CH', 4: 'HS', 255: 'ANY' }
const OPCODES: Record<number, string> = {
  0: 'Standard query', 1: 'Inverse query', 2: 'Server status request', 4: 'Zone change notification', 5: 'Dynamic update'
}
const RCODES = [
  'No error', 'Format error', 'Server failure', 'No such name', 'Not implemented', 'Refused',
  'Name exists for non-existent domain', 'RR/RRSet exists', 'RR/RRSet does not exist', 'Server not authoritative for zone', 'Name not contained in zone'
]
const SECTIONS: DnsSection[] = ['Answers', 'Authoritative nameservers', 'Additional records']

export function dnsTypeName(type: number): string {
  return TYPES[type] ?? `TYPE${type}`
}

interface Name {
  name: string
  end: number // just past the name's bytes in place
  problem?: string
}

function truncatedName(msgEnd: number): Name {
  return { name: '<Name truncated>', end: msgEnd, problem: 'Name runs past the end of the message' }
}

/** Reads a possibly compressed name at `pos`; pointers are relative to the message at `msg`. */
function readName(bytes: Uint8Array, msg: number, msgEnd: number, pos: number): Name {
  const labels: string[] = []
  let end = -1
  let size = 0
  for (let jumps = 0; ; ) {
    if (pos >= msgEnd) return truncatedName(msgEnd)
    const len = bytes[pos]
    if (len === 0) break
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msgEnd) return truncatedName(msgEnd)
      if (end < 0) end = pos + 2
      if (++jumps > MAX_JUMPS) return { name: '<Name contains a pointer that loops>', end, problem: 'Name contains a pointer that loops' }
      pos = msg + (((len & 0x3f) << 8) | bytes[pos + 1])
      continue
    }
    if (len & 0xc0) return { name: '<Unknown label type>', end: msgEnd, problem: `Unknown label type ${hex(len >> 6, 1)}` }
    if (pos + 1 + len > msgEnd) return truncatedName(msgEnd)
    size += len + 1
    if (size > MAX_NAME_LEN) return { name: '<Name too long>', end: msgEnd, problem: `Name is longer than ${MAX_NAME_LEN} bytes` }
    labels.push(printable(bytes, pos + 1, pos + 1 + len))
    pos += 1 + len
  }
  return { name: labels.length > 0 ? labels.join('.') : '<Root>', end: end < 0 ? pos + 1 : end }
}

/** Record data in the form Wireshark's Info column uses. */
function recordData(bytes: Uint8Array, msg: number, msgEnd: number, type: number, at: number, length: number): string {
  const name = (pos: number): string => readName(bytes, msg, msgEnd, pos).name
  switch (type) {
    case 1: return length === 4 ? formatIpv4(bytes, at) : ''
    case 28: return length === 16 ? formatIpv6(bytes, at) : ''
    case 2: case 5: case 12: case 6: return length > 0 ? name(at) : ''
    case 15: return length > 2 ? `${u16(bytes, at)} ${name(at + 2)}` : ''
    case 16: return length > 0 ? `"${printable(bytes, at + 1, at + 1 + Math.min(bytes[at], length - 1))}"` : ''
    case 33: return length > 6 ? `${u16(bytes, at)} ${u16(bytes, at + 2)} ${u16(bytes, at + 4)} ${name(at + 6)}` : ''
    default: return ''
  }
}

export function checkDns(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  return n < HEADER_LEN ? `Header truncated: ${n} of ${HEADER_LEN} bytes` : undefined
}

export function parseDns(bytes: Uint8Array, offset: number, length: number): DnsMessage | undefined {
  if (checkDns(bytes, offset, length)) return undefined
  const end = offset + available(bytes, offset, length)
  const flags = u16(bytes, offset + 2)
  const m: DnsMessage = {
    offset,
    length: end - offset,
    id: u16(bytes, offset),
    flags,
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    counts: [u16(bytes, offset + 4), u16(bytes, offset + 6), u16(bytes, offset + 8), u16(bytes, offset + 10)],
    questions: [],
    records: []
  }
  let pos = offset + HEADER_LEN
  // Each entry takes at least 5 bytes, so the byte count bounds these loops whatever the counts claim.
  for (let i = 0; i < m.counts[0]; i++) {
    const q = readName(bytes, offset, end, pos)
    // A looping name still has a known end, so its type is shown as Wireshark does.
    if (q.end + 4 <= end) {
      m.questions.push({ offset: pos, length: q.end + 4 - pos, name: q.name, type: u16(bytes, q.end), class: u16(bytes, q.end + 2) })
    }
    if (q.problem || q.end + 4 > end) {
      m.problem = q.problem ?? 'Question runs past the end of the message'
      return m
    }
    pos = q.end + 4
  }
  for (let s = 0; s < SECTIONS.length; s++) {
    for (let i = 0; i < m.counts[s + 1]; i++) {
      const r = readName(bytes, offset, end, pos)
      const dataOffset = r.end + 10
      if (r.problem || dataOffset > end || dataOffset + u16(bytes, r.end + 8) > end) {
        m.problem = r.problem ?? 'Resource record runs past the end of the message'
        return m
      }
      const type = u16(bytes, r.end)
      const dataLength = u16(bytes, r.end + 8)
      m.records.push({
        section: SECTIONS[s], offset: pos, length: dataOffset + dataLength - pos, name: r.name, type,
        class: u16(bytes, r.end + 2), ttl: u32(bytes, r.end + 4), dataOffset, dataLength,
        data: recordData(bytes, offset, end, type, dataOffset, dataLength)
      })
      pos = dataOffset + dataLength
    }
  }
  return m
}

function opcodeName(opcode: number): string {
  return OPCODES[opcode] ?? `Unknown operation (${opcode})`
}

function rcodeName(rcode: number): string {
  return RCODES[rcode] ?? `Unknown error (${rcode})`
}

/** 'Standard query response 0x1a2b A example.com A 93.184.216.34': questions then every record, as Wireshark does. */
export function dnsInfo(m: DnsMessage): string {
  let info = `${opcodeName(m.opcode)}${m.response ? ' response' : ''} ${hex(m.id, 4)}`
  if (m.response && m.rcode !== 0) info += ` ${rcodeName(m.rcode)}`
  for (const q of m.questions) info += ` ${dnsTypeName(q.type)} ${q.name}`
  for (const r of m.records) info += ` ${dnsTypeName(r.type)}${r.data ? ' ' + r.data : ''}`
  return info
}

function className(c: number): string {
  return `${CLASSES[c] ?? 'Unknown'} (${hex(c, 4)})`
}

function dissectQuestion(q: DnsQuestion, children: FieldNode[], extra = ''): FieldNode {
  const summary = `${q.name}: type ${dnsTypeName(q.type)}, class ${CLASSES[q.class] ?? hex(q.class, 4)}${extra}`
  return field(summary, q.offset, q.length, children)
}

function questionFields(q: DnsQuestion, typeAt: number): FieldNode[] {
  return [
    field(`Name: ${q.name}`, q.offset, typeAt - q.offset),
    field(`Type: ${dnsTypeName(q.type)} (${q.type})`, typeAt, 2),
    field(`Class: ${className(q.class)}`, typeAt + 2, 2)
  ]
}

function dissectRecord(r: DnsRecord): FieldNode {
  const typeAt = r.dataOffset - 10
  return dissectQuestion(r, [
    ...questionFields(r, typeAt),
    field(`Time to live: ${r.ttl}`, typeAt + 4, 4),
    field(`Data length: ${r.dataLength}`, typeAt + 8, 2),
    field(r.data ? `Data: ${r.data}` : `Data (${r.dataLength} bytes)`, r.dataOffset, r.dataLength)
  ], r.data ? `, ${r.data}` : '')
}

function flagsLabel(m: DnsMessage): string {
  const rcode = m.response ? `, ${rcodeName(m.rcode)}` : ''
  return `Flags: ${hex(m.flags, 4)} ${opcodeName(m.opcode)}${m.response ? ' response' : ''}${rcode}`
}

export function dissectDns(m: DnsMessage): FieldNode {
  const o = m.offset
  const bit = (mask: number): string => (m.flags & mask ? 'Yes' : 'No')
  const flagChildren = [
    field(`Response: Message is a ${m.response ? 'response' : 'query'}`, o + 2, 2),
    field(`Opcode: ${opcodeName(m.opcode)} (${m.opcode})`, o + 2, 2),
    field(`Authoritative: ${bit(0x0400)}`, o + 2, 2),
    field(`Truncated: ${bit(0x0200)}`, o + 2, 2),
    field(`Recursion desired: ${bit(0x0100)}`, o + 2, 2),
    field(`Recursion available: ${bit(0x0080)}`, o + 2, 2),
    field(`Reply code: ${rcodeName(m.rcode)} (${m.rcode})`, o + 2, 2)
  ]
  const children = [
    field(`Transaction ID: ${hex(m.id, 4)}`, o, 2),
    field(flagsLabel(m), o + 2, 2, flagChildren),
    field(`Questions: ${m.counts[0]}`, o + 4, 2),
    field(`Answer RRs: ${m.counts[1]}`, o + 6, 2),
    field(`Authority RRs: ${m.counts[2]}`, o + 8, 2),
    field(`Additional RRs: ${m.counts[3]}`, o + 10, 2)
  ]
  const group = (title: string, nodes: FieldNode[]): void => {
    const last = nodes[nodes.length - 1]
    if (last) children.push(field(title, nodes[0].start, last.start + last.length - nodes[0].start, nodes))
  }
  group('Queries', m.questions.map((q) => dissectQuestion(q, questionFields(q, q.offset + q.length - 4))))
  for (const section of SECTIONS) group(section, m.records.filter((r) => r.section === section).map(dissectRecord))
  return field(`Domain Name System (${m.response ? 'response' : 'query'})`, o, m.length, children, m.problem)
}
