// What IPv4 and IPv6 share for the layers above them: protocol numbers, the pseudo-header, ports.
import { onesSum, u16, verifyChecksum, type ChecksumStatus } from './bytes'
import type { Ipv4Header } from './ipv4'
import type { Ipv6Header } from './ipv6'
import { field, type FieldNode } from './tree'

export type IpHeader = Ipv4Header | Ipv6Header

export const IPPROTO_ICMP = 1
export const IPPROTO_TCP = 6
export const IPPROTO_UDP = 17
export const IPPROTO_ICMPV6 = 58

const PROTOCOLS: Record<number, string> = {
  0: 'IPv6 Hop-by-Hop Option', 1: 'ICMP', 2: 'IGMP', 4: 'IPIP', 6: 'TCP', 17: 'UDP', 41: 'IPv6',
  43: 'Routing Header for IPv6', 44: 'Fragment Header for IPv6', 47: 'GRE', 50: 'ESP', 51: 'AH',
  58: 'ICMPv6', 59: 'No Next Header for IPv6', 60: 'Destination Options for IPv6', 132: 'SCTP'
}

export function ipProtocolName(protocol: number): string {
  return PROTOCOLS[protocol] ?? 'Unknown'
}

export const ECN_NAMES = ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE']

/** Checksum of an upper-layer message at [offset, offset + length); undefined when the IP packet is cut short. */
export function upperChecksum(
  bytes: Uint8Array, ip: IpHeader, offset: number, length: number, checksumAt: number, pseudoHeader: boolean
): ChecksumStatus | undefined {
  if (ip.truncated) return undefined
  let initial = 0
  if (pseudoHeader && ip.version === 4) initial = onesSum(bytes, ip.offset + 12, ip.offset + 20, ip.protocol + length)
  if (pseudoHeader && ip.version === 6) initial = onesSum(bytes, ip.offset + 8, ip.offset + 40, ip.protocol + length)
  return verifyChecksum(bytes, offset, offset + length, checksumAt, initial)
}

/** TCP and UDP both open with the two ports. */
export function portFields(bytes: Uint8Array, offset: number): FieldNode[] {
  return [field(`Source Port: ${u16(bytes, offset)}`, offset, 2), field(`Destination Port: ${u16(bytes, offset + 2)}`, offset + 2, 2)]
}
