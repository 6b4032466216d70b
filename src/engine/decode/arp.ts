// ARP (RFC 826). Addresses are formatted by size, so non-Ethernet/IPv4 variants still show sensibly.
import { available, formatAddress, hex, u16 } from './bytes'
import { etherTypeName } from './ethernet'
import { field, type FieldNode } from './tree'

const FIXED_LEN = 8

export interface ArpPacket {
  offset: number
  length: number // fixed part plus the four addresses
  hardwareType: number
  protocolType: number
  hardwareSize: number
  protocolSize: number
  opcode: number
  senderMac: string
  senderIp: string
  targetMac: string
  targetIp: string
}

const OPCODES: Record<number, string> = {
  1: 'request', 2: 'reply', 3: 'reverse request', 4: 'reverse reply', 8: 'inverse request', 9: 'inverse reply'
}

function packetLength(bytes: Uint8Array, offset: number): number {
  return FIXED_LEN + 2 * (bytes[offset + 4] + bytes[offset + 5])
}

export function checkArp(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  if (n < FIXED_LEN) return `Header truncated: ${n} of ${FIXED_LEN} bytes`
  const need = packetLength(bytes, offset)
  return n < need ? `Packet truncated: ${n} of ${need} bytes` : undefined
}

export function parseArp(bytes: Uint8Array, offset: number, length: number): ArpPacket | undefined {
  if (checkArp(bytes, offset, length)) return undefined
  const hs = bytes[offset + 4]
  const ps = bytes[offset + 5]
  const at = (i: number): number => offset + FIXED_LEN + i
  return {
    offset,
    length: packetLength(bytes, offset),
    hardwareType: u16(bytes, offset),
    protocolType: u16(bytes, offset + 2),
    hardwareSize: hs,
    protocolSize: ps,
    opcode: u16(bytes, offset + 6),
    senderMac: formatAddress(bytes, at(0), hs),
    senderIp: formatAddress(bytes, at(hs), ps),
    targetMac: formatAddress(bytes, at(hs + ps), hs),
    targetIp: formatAddress(bytes, at(2 * hs + ps), ps)
  }
}

/** Wireshark's special requests: probes (RFC 5227, no sender address yet) and announcements (sender = target). */
function requestKind(p: ArpPacket): 'probe' | 'announcement' | undefined {
  if (p.senderIp === '0.0.0.0') return 'probe'
  return p.senderIp === p.targetIp ? 'announcement' : undefined
}

export function arpInfo(p: ArpPacket): string {
  if (p.opcode === 1) {
    const kind = requestKind(p)
    if (kind === 'probe') return `Who has ${p.targetIp}? (ARP Probe)`
    if (kind === 'announcement') return `ARP Announcement for ${p.senderIp}`
    return `Who has ${p.targetIp}? Tell ${p.senderIp}`
  }
  if (p.opcode === 2) {
    return p.senderIp === p.targetIp ? `Gratuitous ARP for ${p.senderIp} (Reply)` : `${p.senderIp} is at ${p.senderMac}`
  }
  return `ARP ${OPCODES[p.opcode] ?? 'opcode'} (${p.opcode})`
}

export function dissectArp(p: ArpPacket): FieldNode {
  const o = p.offset
  const hs = p.hardwareSize
  const ps = p.protocolSize
  const kind = p.opcode === 1 ? requestKind(p) : undefined
  const what = kind === 'probe' ? 'ARP Probe' : kind === 'announcement' ? 'ARP Announcement' : OPCODES[p.opcode] ?? `opcode ${p.opcode}`
  return field(`Address Resolution Protocol (${what})`, o, p.length, [
    field(`Hardware type: ${p.hardwareType === 1 ? 'Ethernet' : 'Unknown'} (${p.hardwareType})`, o, 2),
    field(`Protocol type: ${etherTypeName(p.protocolType)} (${hex(p.protocolType, 4)})`, o + 2, 2),
    field(`Hardware size: ${hs}`, o + 4, 1),
    field(`Protocol size: ${ps}`, o + 5, 1),
    field(`Opcode: ${OPCODES[p.opcode] ?? 'Unknown'} (${p.opcode})`, o + 6, 2),
    field(`Sender MAC address: ${p.senderMac}`, o + 8, hs),
    field(`Sender IP address: ${p.senderIp}`, o + 8 + hs, ps),
    field(`Target MAC address: ${p.targetMac}`, o + 8 + hs + ps, hs),
    field(`Target IP address: ${p.targetIp}`, o + 8 + 2 * hs + ps, ps)
  ])
}
