// ARP for Ethernet/IPv4: the device answers requests for its own address. It
// never asks: its only peer is the gateway, which it knows by a static entry
// (as the firmware does).
import { u32 } from '../../engine/decode/bytes.js'
import { ETHERNET_HEADER_LEN as ETHERNET_HEADER, ETHERTYPE_ARP } from '../../engine/decode/ethernet.js'
import { writeIpv4 } from './ipv4Address.js'

const ARP_PACKET = 28
const OP_REQUEST = 1
const OP_REPLY = 2

/** The reply frame to an ARP request in `frame` asking for `ip`, or null. */
export function arpReplyFor(frame: Uint8Array, mac: Uint8Array, ip: number): Uint8Array | null {
  const a = ETHERNET_HEADER
  if (frame.length < a + ARP_PACKET) return null
  const ethernetIpv4 = frame[a] === 0 && frame[a + 1] === 1 && frame[a + 2] === 0x08 && frame[a + 3] === 0 && frame[a + 4] === 6 && frame[a + 5] === 4
  if (!ethernetIpv4 || frame[a + 6] !== 0 || frame[a + 7] !== OP_REQUEST || u32(frame, a + 24) !== ip) return null
  const reply = new Uint8Array(ETHERNET_HEADER + ARP_PACKET)
  const asker = frame.subarray(a + 8, a + 14)
  reply.set(asker, 0)
  reply.set(mac, 6)
  reply[12] = ETHERTYPE_ARP >> 8
  reply[13] = ETHERTYPE_ARP & 0xff
  reply.set(frame.subarray(a, a + 6), a) // hardware and protocol types and sizes
  reply[a + 7] = OP_REPLY
  reply.set(mac, a + 8)
  writeIpv4(reply, a + 14, ip)
  reply.set(asker, a + 18)
  reply.set(frame.subarray(a + 14, a + 18), a + 24) // the asker's IP
  return reply
}
