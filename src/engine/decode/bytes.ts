// Byte-level helpers shared by the decoders: bounds, big-endian reads, text, addresses, Internet checksum.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Bytes readable from `offset`: `length` clipped to the array; 0 for nonsense arguments. */
export function available(bytes: Uint8Array, offset: number, length: number): number {
  if (!(offset >= 0 && offset <= bytes.length)) return 0
  return Math.max(0, Math.min(length, bytes.length - offset)) || 0
}

export function u16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1]
}

export function u32(bytes: Uint8Array, offset: number): number {
  return bytes[offset] * 0x1000000 + ((bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3])
}

/** Whether b[at, at + bytes.length) holds `bytes`. */
export function equalAt(b: Uint8Array, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (b[at + i] !== bytes[i]) return false
  return true
}

/** `0x` and at least `digits` lowercase hex digits. */
export function hex(value: number, digits: number): string {
  return '0x' + value.toString(16).padStart(digits, '0')
}

/** Bytes as contiguous hex, cut after `max` bytes with an ellipsis (tree labels stay short). */
export function hexBytes(bytes: Uint8Array, offset: number, length: number, max = 32): string {
  let s = ''
  for (let i = 0; i < Math.min(length, max); i++) s += HEX[bytes[offset + i]]
  return length > max ? s + '…' : s
}

/** Bytes as text, non-printable ones shown as '.'. */
export function printable(bytes: Uint8Array, start: number, end: number): string {
  let s = ''
  for (let i = start; i < end; i++) {
    const c = bytes[i]
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.'
  }
  return s
}

export function formatMac(bytes: Uint8Array, offset: number): string {
  const h = (i: number): string => HEX[bytes[offset + i]]
  return `${h(0)}:${h(1)}:${h(2)}:${h(3)}:${h(4)}:${h(5)}`
}

export function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`
}

/** RFC 5952: lowercase, no leading zeros, the first longest run (≥ 2) of zero groups as '::'. */
export function formatIpv6(bytes: Uint8Array, offset: number): string {
  const groups: number[] = []
  for (let i = 0; i < 8; i++) groups.push(u16(bytes, offset + 2 * i))
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return '::ffff:' + formatIpv4(bytes, offset + 12) // IPv4-mapped, RFC 5952 §5
  }
  let best = -1
  let bestLen = 1
  for (let i = 0, run = 0; i < 8; i++) {
    run = groups[i] === 0 ? run + 1 : 0
    if (run > bestLen) {
      bestLen = run
      best = i - run + 1
    }
  }
  const text = (g: number[]): string => g.map((v) => v.toString(16)).join(':')
  if (best < 0) return text(groups)
  return text(groups.slice(0, best)) + '::' + text(groups.slice(best + bestLen))
}

/** Hardware or protocol address of any size: MAC, IPv4 and IPv6 in their usual form, else colon-separated hex. */
export function formatAddress(bytes: Uint8Array, offset: number, size: number): string {
  if (size === 6) return formatMac(bytes, offset)
  if (size === 4) return formatIpv4(bytes, offset)
  if (size === 16) return formatIpv6(bytes, offset)
  const parts: string[] = []
  for (let i = 0; i < size; i++) parts.push(HEX[bytes[offset + i]])
  return parts.join(':')
}

/** Unfolded one's-complement sum of big-endian 16-bit words in [start, end), odd byte padded with zero. */
export function onesSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial
  let i = start
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1]
  if (i < end) sum += bytes[i] << 8
  return sum
}

/** An unfolded one's-complement sum folded to 16 bits. */
export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000)
  return sum
}

export interface ChecksumStatus {
  value: number    // as found in the packet
  expected: number // what the sender should have written
  ok: boolean
}

/** Internet checksum (RFC 1071) of [start, end) whose 16-bit field sits at `field`; `initial` carries a pseudo-header sum. */
export function verifyChecksum(bytes: Uint8Array, start: number, end: number, field: number, initial = 0): ChecksumStatus {
  const value = u16(bytes, field)
  const without = onesSum(bytes, start, field, onesSum(bytes, field + 2, end, initial))
  return { value, expected: ~fold(without) & 0xffff, ok: fold(without + value) === 0xffff }
}
