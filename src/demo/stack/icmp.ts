// ICMP as the device needs it: echo replies, and "port unreachable" for UDP
// nobody listens to (as lwIP sends).
import { internetChecksum } from './checksum.js'

const ECHO_REPLY = 0
const DESTINATION_UNREACHABLE = 3
const PORT_UNREACHABLE = 3
const ECHO_REQUEST = 8
/** RFC 792: the offending IP header and the first 8 bytes of its payload. */
const QUOTED_PAYLOAD = 8

/** The echo reply to an ICMP message, or null when it is not a valid echo request. */
export function echoReply(message: Uint8Array): Uint8Array | null {
  if (message.length < 8 || message[0] !== ECHO_REQUEST || internetChecksum(message, 0, message.length) !== 0) return null
  const reply = Uint8Array.from(message)
  reply[0] = ECHO_REPLY
  reply[2] = 0
  reply[3] = 0
  setChecksum(reply)
  return reply
}

/** "Port unreachable" quoting the IP packet [headerStart, payloadStart + 8). */
export function portUnreachable(packet: Uint8Array, headerStart: number, payloadStart: number, packetEnd: number): Uint8Array {
  const quoted = packet.subarray(headerStart, Math.min(packetEnd, payloadStart + QUOTED_PAYLOAD))
  const message = new Uint8Array(8 + quoted.length)
  message[0] = DESTINATION_UNREACHABLE
  message[1] = PORT_UNREACHABLE
  message.set(quoted, 8)
  setChecksum(message)
  return message
}

function setChecksum(message: Uint8Array): void {
  const sum = internetChecksum(message, 0, message.length)
  message[2] = sum >> 8
  message[3] = sum & 0xff
}
