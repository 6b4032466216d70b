// DHCP (RFC 2131/2132) over BOOTP (RFC 951): the fixed part, the magic cookie, then options.
import { available, formatAddress, formatIpv4, hex, hexBytes, printable, u16, u32 } from './bytes'
import { field, type FieldNode } from './tree'

const FIXED_LEN = 236
const COOKIE = 0x63825363
const OPTION_PAD = 0
const OPTION_END = 255
const OPTION_MESSAGE_TYPE = 53

/** The fixed BOOTP part and the magic cookie: options start this far into the message. */
export const DHCP_OPTIONS_OFFSET = FIXED_LEN + 4
export const DHCP_MAGIC_COOKIE = COOKIE

export const DHCP_SERVER_PORT = 67
export const DHCP_CLIENT_PORT = 68

export interface DhcpOption {
  code: number
  offset: number // of the code byte
  length: number // value bytes
}

export interface DhcpMessage {
  offset: number
  length: number
  op: number
  hardwareType: number
  hardwareLength: number
  hops: number
  transactionId: number
  seconds: number
  flags: number
  clientIp: string
  yourIp: string
  serverIp: string
  relayIp: string
  clientHardware: string
  magicCookie: boolean   // without it this is plain BOOTP and there are no options
  options: DhcpOption[]
  messageType?: number
  problem?: string       // an option runs past the end
}

const MESSAGE_TYPES = ['', 'Discover', 'Offer', 'Request', 'Decline', 'ACK', 'NAK', 'Release', 'Inform']

const OPTION_NAMES: Record<number, string> = {
  0: 'Padding', 1: 'Subnet Mask', 2: 'Time Offset', 3: 'Router', 6: 'Domain Name Server', 12: 'Host Name', 15: 'Domain Name',
  26: 'Interface MTU', 28: 'Broadcast Address', 42: 'Network Time Protocol Servers', 50: 'Requested IP Address',
  51: 'IP Address Lease Time', 52: 'Option Overload', 53: 'DHCP Message Type', 54: 'DHCP Server Identifier',
  55: 'Parameter Request List', 56: 'Message', 57: 'Maximum DHCP Message Size', 58: 'Renewal Time Value',
  59: 'Rebinding Time Value', 60: 'Vendor class identifier', 61: 'Client identifier', 80: 'Rapid Commit',
  81: 'Client Fully Qualified Domain Name', 116: 'DHCP Auto-Configuration', 119: 'Domain Search',
  121: 'Classless Static Route', 145: 'Forcerenew Nonce Capable', 255: 'End'
}
const ADDRESS_OPTIONS = new Set([1, 3, 6, 28, 42, 50, 54])
const SECONDS_OPTIONS = new Set([51, 58, 59])
const TEXT_OPTIONS = new Set([12, 15, 56, 60])

export function checkDhcp(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  return n < FIXED_LEN ? `Message truncated: ${n} of ${FIXED_LEN} bytes` : undefined
}

/** Where the option after the one at `pos` starts (`end` after the last), or -1 when the one at `pos` runs past `end`. */
export function nextDhcpOption(bytes: Uint8Array, pos: number, end: number): number {
  const code = bytes[pos]
  if (code === OPTION_PAD || code === OPTION_END) return pos + 1
  if (pos + 2 > end) return -1
  const next = pos + 2 + bytes[pos + 1]
  return next > end ? -1 : next
}

/**
 * Offset of the END option of the options in [start, end), or -1 when an option runs past `end` or
 * END is missing. Allocates nothing; every read is inside [start, end), which must lie inside `bytes`.
 */
export function dhcpOptionsEnd(bytes: Uint8Array, start: number, end: number): number {
  for (let pos = start; pos >= 0 && pos < end; pos = nextDhcpOption(bytes, pos, end)) {
    if (bytes[pos] === OPTION_END) return pos
  }
  return -1
}

/**
 * Offset of the code byte of the first option `code` in [start, end) (value at +2, length at +1), or -1.
 * Call it on a range dhcpOptionsEnd accepted (end = the END option), so every option fits.
 */
export function findDhcpOption(bytes: Uint8Array, start: number, end: number, code: number): number {
  for (let pos = start; pos >= 0 && pos < end; pos = nextDhcpOption(bytes, pos, end)) {
    if (bytes[pos] === code) return pos
  }
  return -1
}

function parseOptions(bytes: Uint8Array, m: DhcpMessage, start: number, end: number): void {
  for (let pos = start; pos < end; ) {
    const code = bytes[pos]
    const next = nextDhcpOption(bytes, pos, end)
    if (next < 0) {
      m.problem = `Option ${code} runs past the end of the message`
      return
    }
    if (code === OPTION_END) {
      m.options.push({ code, offset: pos, length: 0 })
      return
    }
    if (code !== OPTION_PAD) {
      const length = next - pos - 2
      m.options.push({ code, offset: pos, length })
      if (code === OPTION_MESSAGE_TYPE && length === 1) m.messageType = bytes[pos + 2]
    }
    pos = next
  }
}

export function parseDhcp(bytes: Uint8Array, offset: number, length: number): DhcpMessage | undefined {
  if (checkDhcp(bytes, offset, length)) return undefined
  const n = available(bytes, offset, length)
  const hlen = bytes[offset + 2]
  const m: DhcpMessage = {
    offset,
    length: n,
    op: bytes[offset],
    hardwareType: bytes[offset + 1],
    hardwareLength: hlen,
    hops: bytes[offset + 3],
    transactionId: u32(bytes, offset + 4),
    seconds: u16(bytes, offset + 8),
    flags: u16(bytes, offset + 10),
    clientIp: formatIpv4(bytes, offset + 12),
    yourIp: formatIpv4(bytes, offset + 16),
    serverIp: formatIpv4(bytes, offset + 20),
    relayIp: formatIpv4(bytes, offset + 24),
    clientHardware: formatAddress(bytes, offset + 28, Math.min(hlen, 16)),
    magicCookie: n >= FIXED_LEN + 4 && u32(bytes, offset + FIXED_LEN) === COOKIE,
    options: []
  }
  if (m.magicCookie) parseOptions(bytes, m, offset + FIXED_LEN + 4, offset + n)
  return m
}

/** 'DHCP' with a message type option, else plain 'BOOTP'. */
export function dhcpProtocol(m: DhcpMessage): string {
  return m.messageType !== undefined ? 'DHCP' : 'BOOTP'
}

function messageTypeName(type: number): string {
  return MESSAGE_TYPES[type] || `Unknown (${type})`
}

export function dhcpInfo(m: DhcpMessage): string {
  if (m.messageType !== undefined) return `DHCP ${messageTypeName(m.messageType)} - Transaction ID ${hex(m.transactionId, 8)}`
  return m.op === 1 ? `Boot Request from ${m.clientHardware}` : 'Boot Reply'
}

function optionValue(bytes: Uint8Array, o: DhcpOption): string {
  const at = o.offset + 2
  if (o.code === OPTION_MESSAGE_TYPE && o.length === 1) return messageTypeName(bytes[at])
  if (ADDRESS_OPTIONS.has(o.code) && o.length % 4 === 0) {
    const addresses: string[] = []
    for (let i = 0; i < o.length; i += 4) addresses.push(formatIpv4(bytes, at + i))
    return addresses.join(', ')
  }
  if (SECONDS_OPTIONS.has(o.code) && o.length === 4) return `${u32(bytes, at)} s`
  if (TEXT_OPTIONS.has(o.code)) return `"${printable(bytes, at, at + o.length)}"`
  if (o.code === 55) return Array.from(bytes.subarray(at, at + o.length), (c) => OPTION_NAMES[c] ?? c).join(', ')
  if (o.code === 61 && o.length === 7 && bytes[at] === 1) return formatAddress(bytes, at + 1, 6)
  return hexBytes(bytes, at, o.length)
}

function dissectOption(bytes: Uint8Array, o: DhcpOption): FieldNode {
  const name = OPTION_NAMES[o.code] ?? 'Unknown'
  const value = o.code === OPTION_END || o.length === 0 ? '' : ` (${optionValue(bytes, o)})`
  const size = o.code === OPTION_END ? 1 : 2 + o.length
  return field(`Option: (${o.code}) ${name}${value}`, o.offset, size)
}

/** A NUL-terminated string in a fixed-size field. */
function textField(bytes: Uint8Array, name: string, start: number, size: number): FieldNode {
  const nul = bytes.subarray(start, start + size).indexOf(0)
  const end = start + (nul < 0 ? size : nul)
  return field(end === start ? `${name} not given` : `${name}: "${printable(bytes, start, end)}"`, start, size)
}

export function dissectDhcp(bytes: Uint8Array, m: DhcpMessage): FieldNode {
  const o = m.offset
  const kind = m.op === 1 ? 'Request' : m.op === 2 ? 'Reply' : `op ${m.op}`
  const title = m.messageType !== undefined
    ? `Dynamic Host Configuration Protocol (${messageTypeName(m.messageType)})`
    : `Bootstrap Protocol (${kind})`
  const children = [
    field(`Message type: Boot ${kind} (${m.op})`, o, 1),
    field(`Hardware type: ${m.hardwareType === 1 ? 'Ethernet' : 'Unknown'} (${hex(m.hardwareType, 2)})`, o + 1, 1),
    field(`Hardware address length: ${m.hardwareLength}`, o + 2, 1),
    field(`Hops: ${m.hops}`, o + 3, 1),
    field(`Transaction ID: ${hex(m.transactionId, 8)}`, o + 4, 4),
    field(`Seconds elapsed: ${m.seconds}`, o + 8, 2),
    field(`Bootp flags: ${hex(m.flags, 4)} (${m.flags & 0x8000 ? 'Broadcast' : 'Unicast'})`, o + 10, 2),
    field(`Client IP address: ${m.clientIp}`, o + 12, 4),
    field(`Your (client) IP address: ${m.yourIp}`, o + 16, 4),
    field(`Next server IP address: ${m.serverIp}`, o + 20, 4),
    field(`Relay agent IP address: ${m.relayIp}`, o + 24, 4),
    field(`Client hardware address: ${m.clientHardware}`, o + 28, 16),
    textField(bytes, 'Server host name', o + 44, 64),
    textField(bytes, 'Boot file name', o + 108, 128)
  ]
  if (m.magicCookie) children.push(field('Magic cookie: DHCP', o + FIXED_LEN, 4), ...m.options.map((opt) => dissectOption(bytes, opt)))
  return field(title, o, m.length, children, m.problem)
}
