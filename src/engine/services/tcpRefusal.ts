// A device refusing a TCP connection: nothing listens on the port, so its stack answers the SYN
// with a reset (RFC 9293 §3.10.7.1: RST with ACK, acknowledging the SYN). Seen on the way from the
// device to the user-mode network, it marks a forward to a port the device does not serve (issue
// 12: "visible in the list"). Such a reset has sequence number 0 (the SYN it answers carried no
// ACK), which is what tells it from a stack aborting a connection with RST and ACK.
//
// Read in smoltcp's wire style: every length checked before a field is read, bounds from the IP
// header's own lengths and the given `length`, hostile bytes never throw, nothing allocated. Only an
// untagged IPv4 or IPv6 (no extension headers) TCP segment whose flags are exactly RST and ACK and
// whose sequence number is 0 counts.
import { IPPROTO_TCP } from '../decode/ip.js'
import { ETHERNET_HEADER, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPV4_HEADER, IPV6_HEADER, TCP_HEADER } from '../ethernet.js'

const RST_ACK = 0x14
/** FIN SYN RST PSH ACK URG: the flags that decide; ECE and CWR may ride along. */
const FLAG_MASK = 0x3f

/** The device's port whose connection it refused, if the frame at `start` is such a reset; else -1. */
export function refusedPort(frame: Uint8Array, start: number, length: number): number {
  if (start < 0 || length < ETHERNET_HEADER + IPV4_HEADER + TCP_HEADER || start + length > frame.length) return -1
  const etherType = (frame[start + 12]! << 8) | frame[start + 13]!
  const ip = start + ETHERNET_HEADER
  let tcp: number
  if (etherType === ETHERTYPE_IPV4 && frame[ip]! >> 4 === 4) {
    const headerLength = (frame[ip]! & 0x0f) << 2
    const fragment = ((frame[ip + 6]! & 0x1f) << 8) | frame[ip + 7]!
    if (headerLength < IPV4_HEADER || frame[ip + 9] !== IPPROTO_TCP || fragment !== 0) return -1
    tcp = ip + headerLength
  } else if (etherType === ETHERTYPE_IPV6 && frame[ip]! >> 4 === 6) {
    if (frame[ip + 6] !== IPPROTO_TCP) return -1
    tcp = ip + IPV6_HEADER
  } else {
    return -1
  }
  if (tcp + TCP_HEADER > start + length) return -1
  if ((frame[tcp + 13]! & FLAG_MASK) !== RST_ACK) return -1
  if ((frame[tcp + 4]! | frame[tcp + 5]! | frame[tcp + 6]! | frame[tcp + 7]!) !== 0) return -1
  return (frame[tcp]! << 8) | frame[tcp + 1]!
}
