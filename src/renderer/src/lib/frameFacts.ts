// A cheap classifier of one captured record for the display filter and the row colours.
// It answers "which protocols, which addresses and ports" without building decodeFrame's layers,
// and allocates nothing per call: one FrameFacts is reused for every record.
// It must agree with decodeFrame (engine/decode/frame.ts): a protocol's bit is set exactly when
// decodeFrame would give that protocol a layer of its own (not a malformed one).
import { u16, u32 } from '../../../engine/decode/bytes'
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from '../../../engine/decode/dhcp'
import { DNS_PORT } from '../../../engine/decode/dns'
import { ETHERNET_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../../../engine/decode/ethernet'
import { HTTP_PORT } from '../../../engine/decode/http'
import { IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../../../engine/decode/ip'
import { DEFAULT_FRAMING, framingFor } from '../../../engine/framing'
import type { Framing } from '../../../engine/framing/framing'

/** One bit per protocol; a higher bit is a higher layer, so the highest bit set is the frame's top protocol. */
export const Proto = {
  eth: 1 << 0,
  arp: 1 << 1,
  ip: 1 << 2, // IPv4
  ipv6: 1 << 3,
  icmp: 1 << 4,
  icmpv6: 1 << 5,
  tcp: 1 << 6,
  udp: 1 << 7,
  dhcp: 1 << 8,
  dns: 1 << 9,
  http: 1 << 10
} as const

export type ProtoName = keyof typeof Proto


// Minimum sizes and numbers the decoders keep to themselves (engine/decode/*.ts); keep them in step.
const ARP_FIXED_LEN = 8
const IPV4_MIN_HEADER_LEN = 20
const IPV6_HEADER_LEN = 40
const IPV6_HOP_BY_HOP = 0
const IPV6_ROUTING = 43
const IPV6_FRAGMENT = 44
const IPV6_DESTINATION_OPTIONS = 60
const IPV6_MAX_EXTENSIONS = 8
const ICMP_HEADER_LEN = 8
const UDP_HEADER_LEN = 8
const TCP_MIN_HEADER_LEN = 20
const DHCP_FIXED_LEN = 236
const DNS_HEADER_LEN = 12
// What parseHttp accepts at the start of a port-80 payload: a request method and a space, or a status line.
const HTTP_STARTS = ['GET ', 'HEAD ', 'POST ', 'PUT ', 'DELETE ', 'CONNECT ', 'OPTIONS ', 'TRACE ', 'PATCH ', 'HTTP/1.']

/** What the filter and the colours need to know about one record; reused, so copy what you keep. */
export class FrameFacts {
  protocols = 0 // Proto bits
  direction = 0 // 0: from the device, 1: to the device
  error = 0 // framing error code; non-zero for a junk record (protocols is 0 then)
  wireLength = 0 // bytes the record stands for on the wire
  src4 = 0 // IPv4 addresses as unsigned 32-bit numbers: valid only if protocols & Proto.ip
  dst4 = 0
  src6 = new Uint8Array(16) // valid only if protocols & Proto.ipv6
  dst6 = new Uint8Array(16)
  srcPort = -1 // TCP or UDP ports (whichever bit is set), else -1
  dstPort = -1
  tcpFlags = -1 // the 9 TCP flag bits (TcpFlag in engine/decode/tcp.ts), else -1
  port = 0 // the capture port (device) the record came from or went to; set by the store, not by classifyRecord
}

function reset(out: FrameFacts, direction: number, error: number, wireLength: number): void {
  out.protocols = 0
  out.direction = direction
  out.error = error
  out.wireLength = wireLength
  out.src4 = 0
  out.dst4 = 0
  out.src6.fill(0)
  out.dst6.fill(0)
  out.srcPort = -1
  out.dstPort = -1
  out.tcpFlags = -1
}

/** End of the readable bytes of [offset, offset + length) clipped to the array; `offset` for nonsense arguments. */
function clippedEnd(data: Uint8Array, offset: number, length: number): number {
  if (!(offset >= 0 && offset <= data.length && length > 0)) return offset
  return Math.min(offset + length, data.length)
}

/**
 * Classifies one wire record: data[offset, offset + length) is the framing's record header
 * then the Ethernet frame (or the bare IP packet, for a framing that carries IP). A
 * framing-error or text record (`error !== 0`) is not a frame: only direction, error and
 * wireLength are set.
 */
export function classifyRecord(
  data: Uint8Array, offset: number, length: number, direction: number, error: number, wireLength: number, out: FrameFacts,
  framing: Framing = framingFor(DEFAULT_FRAMING)
): void {
  reset(out, direction, error, wireLength)
  if (error !== 0) return
  const end = clippedEnd(data, offset, length)
  const frame = offset + framing.header.bytes
  if (framing.payload === 'ip') {
    // As decodeFrame: the version nibble says which IP it is.
    const version = frame < end ? data[frame]! >> 4 : 0
    if (version === 4) classifyIpv4(data, frame, end, out)
    else if (version === 6) classifyIpv6(data, frame, end, out)
    return
  }
  if (!(end - frame >= ETHERNET_HEADER_LEN)) return
  out.protocols = Proto.eth
  const etherType = u16(data, frame + 12)
  const at = frame + ETHERNET_HEADER_LEN
  if (etherType === ETHERTYPE_IPV4) classifyIpv4(data, at, end, out)
  else if (etherType === ETHERTYPE_IPV6) classifyIpv6(data, at, end, out)
  else if (etherType === ETHERTYPE_ARP) classifyArp(data, at, end, out)
}

function classifyArp(data: Uint8Array, at: number, end: number, out: FrameFacts): void {
  const n = end - at
  if (n >= ARP_FIXED_LEN && n >= ARP_FIXED_LEN + 2 * (data[at + 4] + data[at + 5])) out.protocols |= Proto.arp
}

function classifyIpv4(data: Uint8Array, at: number, end: number, out: FrameFacts): void {
  const n = end - at
  if (n < IPV4_MIN_HEADER_LEN || data[at] >> 4 !== 4) return
  const headerLength = (data[at] & 0x0f) * 4
  const totalLength = u16(data, at + 2)
  if (headerLength < IPV4_MIN_HEADER_LEN || headerLength > n || totalLength < headerLength) return
  out.protocols |= Proto.ip
  out.src4 = u32(data, at + 12)
  out.dst4 = u32(data, at + 16)
  // A later fragment's payload starts mid-datagram: there is no transport header to read.
  if ((u16(data, at + 6) & 0x1fff) !== 0) return
  // Total length, not the frame, bounds the payload: Ethernet padding is not part of it.
  classifyTransport(data, data[at + 9], at + headerLength, at + Math.min(totalLength, n), out)
}

function isIpv6Extension(type: number): boolean {
  return type === IPV6_HOP_BY_HOP || type === IPV6_ROUTING || type === IPV6_FRAGMENT || type === IPV6_DESTINATION_OPTIONS
}

function copyAddress(data: Uint8Array, at: number, to: Uint8Array): void {
  for (let i = 0; i < 16; i++) to[i] = data[at + i]
}

function classifyIpv6(data: Uint8Array, at: number, end: number, out: FrameFacts): void {
  if (end - at < IPV6_HEADER_LEN || data[at] >> 4 !== 6) return
  out.protocols |= Proto.ipv6
  copyAddress(data, at + 8, out.src6)
  copyAddress(data, at + 24, out.dst6)
  const stop = at + Math.min(IPV6_HEADER_LEN + u16(data, at + 4), end - at)
  let next = data[at + 6]
  let pos = at + IPV6_HEADER_LEN
  let firstFragment = true
  // Walk the extension chain as parseIpv6 does; a cut, overlong or bogus chain hides the upper layer.
  for (let count = 0; isIpv6Extension(next); count++) {
    if (count === IPV6_MAX_EXTENSIONS) return
    const len = next === IPV6_FRAGMENT || stop - pos < 2 ? 8 : (data[pos + 1] + 1) * 8
    if (pos + len > stop) return
    if (next === IPV6_FRAGMENT && firstFragment) {
      // Only the first fragment header counts (laterFragment); a later fragment has no transport header.
      if ((u16(data, pos + 2) & 0xfff8) !== 0) return
      firstFragment = false
    }
    next = data[pos]
    pos += len
  }
  classifyTransport(data, next, pos, stop, out)
}

/** Bytes an ICMPv6 message of this type needs before decodeFrame accepts it (icmpv6.ts BODY_START). */
function icmpv6MinLength(type: number): number {
  switch (type) {
    case 134: return 16 // router advertisement
    case 135: case 136: return 24 // neighbor solicitation, advertisement
    case 137: return 40 // redirect
    default: return 8
  }
}

function classifyTransport(data: Uint8Array, protocol: number, at: number, stop: number, out: FrameFacts): void {
  const n = stop - at
  switch (protocol) {
    case IPPROTO_ICMP:
      if (n >= ICMP_HEADER_LEN) out.protocols |= Proto.icmp
      return
    case IPPROTO_ICMPV6:
      if (n > 0 && n >= icmpv6MinLength(data[at])) out.protocols |= Proto.icmpv6
      return
    case IPPROTO_UDP:
      return classifyUdp(data, at, n, out)
    case IPPROTO_TCP:
      return classifyTcp(data, at, n, out)
  }
}

function hasPort(out: FrameFacts, port: number): boolean {
  return out.srcPort === port || out.dstPort === port
}

function classifyUdp(data: Uint8Array, at: number, n: number, out: FrameFacts): void {
  if (n < UDP_HEADER_LEN) return
  const claimed = u16(data, at + 4)
  if (claimed < UDP_HEADER_LEN) return
  out.protocols |= Proto.udp
  out.srcPort = u16(data, at)
  out.dstPort = u16(data, at + 2)
  // The UDP length field bounds the payload. DHCP's ports win over DNS's, as in decodeUdpPayload.
  const payload = Math.min(claimed, n) - UDP_HEADER_LEN
  if (payload > 0 && (hasPort(out, DHCP_SERVER_PORT) || hasPort(out, DHCP_CLIENT_PORT))) {
    if (payload >= DHCP_FIXED_LEN) out.protocols |= Proto.dhcp
  } else if (payload > 0 && hasPort(out, DNS_PORT)) {
    if (payload >= DNS_HEADER_LEN) out.protocols |= Proto.dns
  }
}

function classifyTcp(data: Uint8Array, at: number, n: number, out: FrameFacts): void {
  if (n < TCP_MIN_HEADER_LEN) return
  const headerLength = (data[at + 12] >> 4) * 4
  if (headerLength < TCP_MIN_HEADER_LEN || headerLength > n) return
  out.protocols |= Proto.tcp
  out.srcPort = u16(data, at)
  out.dstPort = u16(data, at + 2)
  out.tcpFlags = u16(data, at + 12) & 0x1ff
  if (hasPort(out, HTTP_PORT) && startsHttp(data, at + headerLength, at + n)) out.protocols |= Proto.http
}

function startsHttp(data: Uint8Array, at: number, end: number): boolean {
  for (let k = 0; k < HTTP_STARTS.length; k++) {
    const start = HTTP_STARTS[k]
    if (end - at < start.length) continue
    let i = 0
    while (i < start.length && data[at + i] === start.charCodeAt(i)) i++
    if (i === start.length) return true
  }
  return false
}

// Protocol names by bit index, for topProtocol.
const NAME_BY_BIT: ProtoName[] = []
for (const name of Object.keys(Proto) as ProtoName[]) NAME_BY_BIT[31 - Math.clz32(Proto[name])] = name

/** The highest layer present (http over tcp over ip over eth), or null for none: the row's colour. */
export function topProtocol(protocols: number): ProtoName | null {
  return NAME_BY_BIT[31 - Math.clz32(protocols & ((1 << NAME_BY_BIT.length) - 1))] ?? null
}
