// What one row of the frame list says about a stored record, and its colour.
import { summarizeFrame, type FrameSummary } from '../../../engine/decode'
import { DEFAULT_FRAMING, framingFor } from '../../../engine/framing'
import { topProtocol } from '../lib/frameFacts'
import { framingErrorInfo } from './format'

/**
 * Source, destination, protocol and Info of a wire record (`bytes`: the framing's record header, `headerBytes`
 * long, then the Ethernet frame).
 * A framing-error record is junk skipped on the wire, not a frame: it is described, never decoded.
 */
export function summarizeRecord(bytes: Uint8Array, error: number, wireLength: number, headerBytes = framingFor(DEFAULT_FRAMING).header.bytes): FrameSummary {
  if (error !== 0) return { protocol: 'UART', source: '', destination: '', info: framingErrorInfo(error, wireLength) }
  return summarizeFrame(bytes.subarray(Math.min(headerBytes, bytes.length)))
}

/** Row colours: one per protocol colour variable in frames.css (--proto-*), plus error. */
export type RowTone = 'error' | 'arp' | 'icmp' | 'tcp' | 'udp' | 'dns' | 'dhcp' | 'http' | 'ipv6' | 'other'

/** The colour of a row from its Proto bits (lib/frameFacts): the highest layer decides. */
export function rowTone(protocols: number, error: number): RowTone {
  if (error !== 0) return 'error'
  switch (topProtocol(protocols)) {
    case 'arp': return 'arp'
    case 'icmp': case 'icmpv6': return 'icmp' // as Wireshark: one colour for both ICMPs
    case 'tcp': return 'tcp'
    case 'udp': return 'udp'
    case 'dns': return 'dns'
    case 'dhcp': return 'dhcp'
    case 'http': return 'http'
    case 'ipv6': return 'ipv6'
    default: return 'other' // bare Ethernet or IPv4 without a known transport
  }
}
