// What one row of the frame list says about a stored record, and its colour.
import { isTextRecord, TextRecord } from '../../../engine/counters'
import { summarizeFrame, type FrameSummary } from '../../../engine/decode'
import { DEFAULT_FRAMING, framingFor } from '../../../engine/framing'
import type { Framing } from '../../../engine/framing/framing'
import { topProtocol } from '../lib/frameFacts'
import { framingErrorInfo } from './format'

/** Longest text shown in a text record's Info; the details tree shows it whole. */
const TEXT_SHOWN = 120

/**
 * Source, destination, protocol and Info of a wire record (`bytes`: the framing's record header, then
 * the frame, or the packet where the framing carries bare IP).
 * A framing-error record is junk skipped on the wire, not a frame: it is described, never decoded;
 * a text record (tunslip6's) is shown as its text.
 */
export function summarizeRecord(bytes: Uint8Array, error: number, wireLength: number, framing: Framing = framingFor(DEFAULT_FRAMING)): FrameSummary {
  if (isTextRecord(error)) {
    const text = JSON.stringify(new TextDecoder().decode(bytes.subarray(0, TEXT_SHOWN)))
    const what = error === TextRecord.control ? 'Control message' : 'Debug text'
    return { protocol: 'SLIP', source: '', destination: '', info: `${what}: ${text}${bytes.length > TEXT_SHOWN ? ' …' : ''}` }
  }
  if (error !== 0) return { protocol: 'UART', source: '', destination: '', info: framingErrorInfo(error, wireLength) }
  const headerBytes = framing.header.bytes
  return summarizeFrame(bytes.subarray(Math.min(headerBytes, bytes.length)), framing.payload)
}

/** Row colours: one per protocol colour variable in frames.css (--proto-*), plus error. */
export type RowTone = 'error' | 'arp' | 'icmp' | 'tcp' | 'udp' | 'dns' | 'dhcp' | 'http' | 'ipv6' | 'other'

/** The colour of a row from its Proto bits (lib/frameFacts): the highest layer decides. */
export function rowTone(protocols: number, error: number): RowTone {
  if (isTextRecord(error)) return 'other'
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
