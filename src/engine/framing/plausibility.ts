// Decides whether bytes that claim to be an Ethernet frame from the device
// really look like one. Each check runs as soon as the bytes it reads have
// arrived, in order of the bytes it needs, so a record is rejected at the
// same byte whatever the chunking, and accepted only once it is complete.
import { FramingError } from '../counters.js'
import { ETHERNET_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../ethernet.js'

export const PLAUSIBLE = 0
export const NEED_MORE = -1

/**
 * Frames up to this size may carry padding after their packet: 60 is Ethernet's minimum without
 * the FCS, 64 with it, and some stacks pad to that (libslirp's ARP replies are 64 bytes; taken for
 * line noise, the QEMU guest behind it never learned its gateway).
 */
const MIN_FRAME = 64

/** EtherTypes a device may send that the bridge does not forward but which are not line noise. */
const OTHER_KNOWN_ETHERTYPES = new Set([0x8100, 0x88a8, 0x88cc, 0x8035, 0x8863, 0x8864, 0x88f7, 0x9000, 0x888e, 0x893a])

/**
 * @param frame buffer holding the frame
 * @param start index of the frame's first byte (after the length prefix)
 * @param available how many of the frame's bytes are in the buffer (≤ length)
 * @param length the frame length the prefix announced (≥ 14)
 * @param deviceMac the device's MAC once learned: frames from another source are implausible
 * @returns PLAUSIBLE, NEED_MORE or the FramingError code of the first failed check
 */
export function checkFrame(frame: Uint8Array, start: number, available: number, length: number, deviceMac: Uint8Array | null): number {
  if (available >= 12) {
    if (frame[start + 6]! & 1) return FramingError.implausible // a multicast source never sends
    if (deviceMac !== null) {
      for (let i = 0; i < 6; i++) if (frame[start + 6 + i] !== deviceMac[i]) return FramingError.implausible
    }
  }
  if (available < ETHERNET_HEADER) return NEED_MORE
  const etherType = (frame[start + 12]! << 8) | frame[start + 13]!
  let verdict: number
  if (etherType === ETHERTYPE_IPV4) verdict = checkIpv4(frame, start + ETHERNET_HEADER, available - ETHERNET_HEADER, length - ETHERNET_HEADER)
  else if (etherType === ETHERTYPE_IPV6) verdict = checkIpv6(frame, start + ETHERNET_HEADER, available - ETHERNET_HEADER, length - ETHERNET_HEADER)
  else if (etherType === ETHERTYPE_ARP) verdict = checkArp(frame, start + ETHERNET_HEADER, available - ETHERNET_HEADER, length)
  else verdict = OTHER_KNOWN_ETHERTYPES.has(etherType) ? PLAUSIBLE : FramingError.implausible
  if (verdict !== PLAUSIBLE) return verdict
  return available < length ? NEED_MORE : PLAUSIBLE
}

export function checkIpv4(b: Uint8Array, ip: number, available: number, payload: number): number {
  if (payload < 20) return FramingError.tooShort
  if (available < 20) return NEED_MORE
  if (b[ip]! >> 4 !== 4) return FramingError.implausible
  const headerLength = (b[ip]! & 0x0f) * 4
  const totalLength = (b[ip + 2]! << 8) | b[ip + 3]!
  if (headerLength < 20 || headerLength > payload || totalLength < headerLength || !paddingFits(totalLength, payload)) return FramingError.implausible
  if (available < headerLength) return NEED_MORE
  let sum = 0
  for (let i = 0; i < headerLength; i += 2) sum += (b[ip + i]! << 8) | b[ip + i + 1]!
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return sum === 0xffff ? PLAUSIBLE : FramingError.implausible
}

export function checkIpv6(b: Uint8Array, ip: number, available: number, payload: number): number {
  if (payload < 40) return FramingError.tooShort
  if (available < 6) return NEED_MORE
  if (b[ip]! >> 4 !== 6) return FramingError.implausible
  const packetLength = 40 + ((b[ip + 4]! << 8) | b[ip + 5]!)
  return paddingFits(packetLength, payload) ? PLAUSIBLE : FramingError.implausible
}

function checkArp(b: Uint8Array, arp: number, available: number, frameLength: number): number {
  if (frameLength < ETHERNET_HEADER + 28) return FramingError.tooShort
  if (frameLength > MIN_FRAME) return FramingError.implausible
  if (available < 8) return NEED_MORE
  const fixed = b[arp] === 0 && b[arp + 1] === 1 && b[arp + 2] === 0x08 && b[arp + 3] === 0 && b[arp + 4] === 6 && b[arp + 5] === 4 && b[arp + 6] === 0
  return fixed && (b[arp + 7] === 1 || b[arp + 7] === 2) ? PLAUSIBLE : FramingError.implausible
}

/** The packet fills the frame, or the frame is minimum-size and padded. */
function paddingFits(packetLength: number, payload: number): boolean {
  return packetLength === payload || (packetLength < payload && payload + ETHERNET_HEADER <= MIN_FRAME)
}
