// Ethernet II header (no preamble, no FCS: the UART record carries exactly this).
import { available, formatMac, hex, hexBytes, u16 } from './bytes'
import { field, type FieldNode } from './tree'

export const ETHERNET_HEADER_LEN = 14
export const ETHERTYPE_IPV4 = 0x0800
export const ETHERTYPE_ARP = 0x0806
export const ETHERTYPE_IPV6 = 0x86dd

export interface EthernetHeader {
  dst: string
  src: string
  etherType: number
}

export function checkEthernet(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  return n < ETHERNET_HEADER_LEN ? `Frame too short: ${n} of ${ETHERNET_HEADER_LEN} header bytes` : undefined
}

export function parseEthernet(bytes: Uint8Array, offset: number, length: number): EthernetHeader | undefined {
  if (checkEthernet(bytes, offset, length)) return undefined
  return { dst: formatMac(bytes, offset), src: formatMac(bytes, offset + 6), etherType: u16(bytes, offset + 12) }
}

/** Wireshark's protocol column for an EtherType: a name, or the value in hex when we don't decode it. */
export function etherTypeName(etherType: number): string {
  switch (etherType) {
    case ETHERTYPE_IPV4: return 'IPv4'
    case ETHERTYPE_ARP: return 'ARP'
    case ETHERTYPE_IPV6: return 'IPv6'
    default: return hex(etherType, 4)
  }
}

/** `trailer`: bytes after the network-layer packet (padding to the 60-byte minimum, or junk). */
export function dissectEthernet(bytes: Uint8Array, h: EthernetHeader, trailer: { offset: number; length: number }): FieldNode {
  const children = [
    field(`Destination: ${h.dst}`, 0, 6),
    field(`Source: ${h.src}`, 6, 6),
    field(`Type: ${etherTypeName(h.etherType).replace(/^0x.*/, 'Unknown')} (${hex(h.etherType, 4)})`, 12, 2)
  ]
  if (trailer.length > 0) {
    const zero = bytes.subarray(trailer.offset, trailer.offset + trailer.length).every((b) => b === 0)
    children.push(field(`${zero ? 'Padding' : 'Trailer'}: ${hexBytes(bytes, trailer.offset, trailer.length)}`, trailer.offset, trailer.length))
  }
  return field(`Ethernet II, Src: ${h.src}, Dst: ${h.dst}`, 0, ETHERNET_HEADER_LEN, children)
}
