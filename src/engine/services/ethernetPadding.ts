// Ethernet padding, taken off before a frame goes to passt. A frame is at least 60 bytes on the
// wire, so a NIC (QEMU's e1000, many MACs) pads a short one, a bare TCP ACK among them, with zero
// bytes after the IP packet. The IP header's own length says where the packet ends; a receiver
// must go by it. Debian 12's passt (2023-03) does not: it drops a padded TCP segment from the
// guest, so a guest that pads sees its ACKs ignored and every download it starts stalls after
// one window (issue 12; found with a real QEMU e1000 guest). Trimming here costs four byte reads
// per frame and changes nothing for a receiver that was right already.
//
// Only an untagged IPv4 or IPv6 frame whose IP length is sound and shorter than the frame is
// trimmed; anything else (VLAN tags, ARP, a length past the frame, IPv6 jumbograms) keeps its
// length. Never throws, allocates nothing.
import { ETHERNET_HEADER, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPV4_HEADER, IPV6_HEADER } from '../ethernet.js'


/** The length of the frame at `start` without padding after its IP packet (`length` when there is none, or it cannot tell). */
export function unpaddedLength(frame: Uint8Array, start: number, length: number): number {
  if (length < ETHERNET_HEADER + IPV4_HEADER || start + length > frame.length) return length
  const etherType = (frame[start + 12]! << 8) | frame[start + 13]!
  const ip = start + ETHERNET_HEADER
  let packet: number
  if (etherType === ETHERTYPE_IPV4 && frame[ip]! >> 4 === 4) {
    packet = (frame[ip + 2]! << 8) | frame[ip + 3]!
    if (packet < ((frame[ip]! & 0x0f) << 2) || packet < IPV4_HEADER) return length
  } else if (etherType === ETHERTYPE_IPV6 && frame[ip]! >> 4 === 6 && length >= ETHERNET_HEADER + IPV6_HEADER) {
    const payload = (frame[ip + 4]! << 8) | frame[ip + 5]!
    if (payload === 0) return length // a jumbogram, or nothing to trim by
    packet = IPV6_HEADER + payload
  } else {
    return length
  }
  return ETHERNET_HEADER + packet < length ? ETHERNET_HEADER + packet : length
}
