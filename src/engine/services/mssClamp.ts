// TCP MSS clamping for the device's link. A user-mode stack such as passt offers MSS 61 440 in its
// SYNs (its own link to the guest has a 65 520 MTU); a device whose link takes at most `maxFrame`
// bytes per Ethernet frame then builds segments it can never send: the firmware drops them on the
// way out, so its ACKs and data never leave (issue 12). Rewriting the MSS option of SYN and SYN-ACK
// segments, both ways, to what fits `maxFrame` makes both ends build segments that fit.
//
// The MSS is per IP version, from the largest frame, header included (the bridge's `maxFrame`):
//   IPv4: maxFrame − 14 (Ethernet) − 20 (IPv4) − 20 (TCP) = maxFrame − 54, 1446 for 1500;
//   IPv6: maxFrame − 14 (Ethernet) − 40 (IPv6) − 20 (TCP) = maxFrame − 74, 1426 for 1500.
// Like the MSS a host derives from its MTU (RFC 9293 §3.7.1), it leaves out IP and TCP options.
//
// Written in smoltcp's wire style: every length is checked before a field is read, bounds come from
// both the IP header's own lengths and the given `length` (never past frame.length either), hostile
// bytes never throw, and nothing is allocated. Anything not plainly a whole, unfragmented-at-its-start
// Ethernet II / IPv4-or-IPv6 / TCP SYN with a well-formed option list is left alone: VLAN-tagged
// frames (their EtherType is 0x8100/0x88a8), IPv6 with extension headers, later IPv4 fragments, frames
// shorter than the IP length, options whose length is under 2 or runs past the data offset, an MSS
// option whose length is not 4. Every MSS option in the list above the limit is rewritten (stacks let
// the last one win; there is normally one). The TCP checksum is updated incrementally (RFC 1624,
// eqn. 3), so a segment whose checksum was right stays right and one that was wrong stays wrong.
import { IPPROTO_TCP } from '../decode/ip.js'
import { TcpFlag } from '../decode/tcp.js'
import { ETHERNET_HEADER, ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPV4_HEADER, IPV6_HEADER, TCP_HEADER } from '../ethernet.js'

const TCP_FLAGS = 13
const TCP_CHECKSUM = 16
const OPTION_EOL = 0
const OPTION_NOP = 1
const OPTION_MSS = 2
const OPTION_MSS_LENGTH = 4

/** The largest MSS whose segments fit a `maxFrame`-byte Ethernet frame (header included, no FCS). */
export const mssForMaxFrame = (maxFrame: number, ipVersion: 4 | 6 = 4): number =>
  maxFrame - ETHERNET_HEADER - (ipVersion === 4 ? IPV4_HEADER : IPV6_HEADER) - TCP_HEADER

/** The smallest `maxFrame` clampMss takes: an IPv6 MSS of at least 1. */
export const MIN_CLAMP_FRAME = ETHERNET_HEADER + IPV6_HEADER + TCP_HEADER + 1

const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!

/** One's-complement 16-bit sum of a and b (end-around carry). */
const add = (a: number, b: number): number => {
  const s = a + b
  return (s & 0xffff) + (s >>> 16)
}

/** A 16-bit word as it enters the checksum when it starts at an odd offset of the summed data. */
const swap = (w: number): number => ((w & 0xff) << 8) | (w >>> 8)

/**
 * Walks the TCP options in [from, to). Returns -1 for a malformed list, else how many MSS options
 * are above `maxMss`. With `tcp` ≥ 0 (the TCP header's offset) it rewrites those to `maxMss` and
 * updates the checksum at tcp + 16; only called so after a dry run (tcp = -1) found the list sound.
 */
function mssOptions(frame: Uint8Array, from: number, to: number, maxMss: number, tcp: number): number {
  let above = 0
  let at = from
  while (at < to) {
    const kind = frame[at]!
    if (kind === OPTION_EOL) break // the rest of the header is padding
    if (kind === OPTION_NOP) {
      at++
      continue
    }
    if (at + 1 >= to) return -1
    const length = frame[at + 1]!
    if (length < 2 || at + length > to) return -1
    if (kind === OPTION_MSS) {
      if (length !== OPTION_MSS_LENGTH) return -1
      const old = u16(frame, at + 2)
      if (old > maxMss) {
        above++
        if (tcp >= 0) {
          frame[at + 2] = maxMss >>> 8
          frame[at + 3] = maxMss & 0xff
          // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m and m' as the checksum sees them (odd offset: swapped).
          const odd = ((at + 2 - tcp) & 1) === 1
          const m = odd ? swap(old) : old
          const m2 = odd ? swap(maxMss) : maxMss
          const hc = u16(frame, tcp + TCP_CHECKSUM)
          const sum = add(add(~hc & 0xffff, ~m & 0xffff), m2)
          const hc2 = ~sum & 0xffff
          frame[tcp + TCP_CHECKSUM] = hc2 >>> 8
          frame[tcp + TCP_CHECKSUM + 1] = hc2 & 0xff
        }
      }
    }
    at += length
  }
  return above
}

/**
 * Clamps the MSS option of a TCP SYN (or SYN-ACK) in the Ethernet II frame at frame[start, start + length)
 * to what fits `maxFrame` bytes (mssForMaxFrame: maxFrame − 54 over IPv4, maxFrame − 74 over IPv6),
 * in place, with the TCP checksum updated. True when it changed the frame; false, with no byte changed,
 * for anything else (see the file's head). Never throws for any bytes, start or length; throws
 * RangeError only for a `maxFrame` that is not an integer ≥ MIN_CLAMP_FRAME (a programming error).
 */
export function clampMss(frame: Uint8Array, start: number, length: number, maxFrame: number): boolean {
  if (!Number.isInteger(maxFrame) || maxFrame < MIN_CLAMP_FRAME) throw new RangeError(`maxFrame ${maxFrame}: must be an integer ≥ ${MIN_CLAMP_FRAME}`)
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0) return false
  const end = Math.min(start + length, frame.length)
  if (end - start < ETHERNET_HEADER) return false
  const etherType = u16(frame, start + 12)
  const ip = start + ETHERNET_HEADER
  let tcp: number   // the TCP header
  let tcpEnd: number // the end of the IP payload
  let maxMss: number
  if (etherType === ETHERTYPE_IPV4) {
    if (end - ip < IPV4_HEADER || frame[ip]! >> 4 !== 4) return false
    const headerLength = (frame[ip]! & 0x0f) * 4
    const totalLength = u16(frame, ip + 2)
    if (headerLength < IPV4_HEADER || totalLength < headerLength || ip + totalLength > end) return false
    if ((u16(frame, ip + 6) & 0x1fff) !== 0 || frame[ip + 9] !== IPPROTO_TCP) return false
    tcp = ip + headerLength
    tcpEnd = ip + totalLength
    maxMss = mssForMaxFrame(maxFrame, 4)
  } else if (etherType === ETHERTYPE_IPV6) {
    if (end - ip < IPV6_HEADER || frame[ip]! >> 4 !== 6 || frame[ip + 6] !== IPPROTO_TCP) return false
    tcp = ip + IPV6_HEADER
    tcpEnd = tcp + u16(frame, ip + 4)
    if (tcpEnd > end) return false
    maxMss = mssForMaxFrame(maxFrame, 6)
  } else {
    return false
  }
  if (tcpEnd - tcp < TCP_HEADER || (frame[tcp + TCP_FLAGS]! & TcpFlag.SYN) === 0) return false
  const dataOffset = (frame[tcp + 12]! >> 4) * 4
  if (dataOffset < TCP_HEADER || tcp + dataOffset > tcpEnd) return false
  const from = tcp + TCP_HEADER
  const to = tcp + dataOffset
  if (mssOptions(frame, from, to, maxMss, -1) <= 0) return false
  mssOptions(frame, from, to, maxMss, tcp)
  return true
}
