// The Internet checksum (RFC 1071) for the packets the demo device builds and checks.
import { fold, onesSum } from '../../engine/decode/bytes.js'

/** The checksum field's value for [start, end) (the field itself must be zero), with `initial` carrying a pseudo-header sum. */
export function internetChecksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return ~fold(onesSum(bytes, start, end, initial)) & 0xffff
}

/** True when [start, end), checksum field included, sums to all ones. */
export function checksumOk(bytes: Uint8Array, start: number, end: number, initial = 0): boolean {
  return fold(onesSum(bytes, start, end, initial)) === 0xffff
}

/** The IPv4 pseudo-header's contribution to a TCP or UDP checksum. */
export function pseudoHeaderSum(src: number, dst: number, protocol: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length
}
