// The start of the offending packet that ICMP and ICMPv6 errors carry (RFC 792, RFC 4443).
import { u16 } from './bytes'
import { ipProtocolName, IPPROTO_TCP, IPPROTO_UDP, portFields } from './ip'
import { dissectIpv4, parseIpv4 } from './ipv4'
import { dissectIpv6, parseIpv6 } from './ipv6'
import { field, type FieldNode } from './tree'

export function dissectQuoted(bytes: Uint8Array, offset: number, length: number): FieldNode {
  const version = length > 0 ? bytes[offset] >> 4 : 0
  const ip = version === 4 ? parseIpv4(bytes, offset, length) : version === 6 ? parseIpv6(bytes, offset, length) : undefined
  const children: FieldNode[] = []
  if (ip) {
    // Errors quote only the header and a few payload bytes: being cut short is normal here, not a problem.
    const { problem: _cut, ...header } = ip.version === 4 ? dissectIpv4(ip) : dissectIpv6(bytes, ip)
    children.push(header)
    if ((ip.protocol === IPPROTO_TCP || ip.protocol === IPPROTO_UDP) && ip.upperLength >= 4) {
      const ports = `${u16(bytes, ip.upperOffset)} → ${u16(bytes, ip.upperOffset + 2)}`
      children.push(field(`${ipProtocolName(ip.protocol)} ${ports}`, ip.upperOffset, 4, portFields(bytes, ip.upperOffset)))
    }
  }
  return field(`Original datagram (${length} bytes)`, offset, length, children)
}
