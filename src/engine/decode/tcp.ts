// TCP header (RFC 9293) and its options. Option parsing is bounded by the data offset and always advances.
import { available, hex, u16, u32 } from './bytes'
import { portFields, upperChecksum, type IpHeader } from './ip'
import { checksumField, field, flagField, type FieldNode } from './tree'

const MIN_HEADER_LEN = 20

/** Bits of TcpHeader.flags. */
export const TcpFlag = { FIN: 0x001, SYN: 0x002, RST: 0x004, PSH: 0x008, ACK: 0x010, URG: 0x020, ECE: 0x040, CWR: 0x080, AE: 0x100 } as const
// Wireshark's order and spelling, lowest bit first.
const FLAG_NAMES = Object.keys(TcpFlag)
const FLAG_LONG_NAMES = ['Fin', 'Syn', 'Reset', 'Push', 'Acknowledgment', 'Urgent', 'ECN-Echo', 'Congestion Window Reduced', 'Accurate ECN']

const OPTION_EOL = 0
const OPTION_NOP = 1
const OPTION_MSS = 2
const OPTION_WINDOW_SCALE = 3
const OPTION_SACK_PERMITTED = 4
const OPTION_SACK = 5
const OPTION_TIMESTAMPS = 8

export interface TcpOption {
  kind: number
  offset: number
  length: number  // bytes covered
  value?: number  // MSS, window scale shift
  tsVal?: number
  tsEcr?: number
  sack?: number[] // left/right edges, pairwise
  problem?: string
}

export interface TcpHeader {
  offset: number
  srcPort: number
  dstPort: number
  seq: number
  ack: number
  headerLength: number // data offset in bytes
  flags: number        // 9 bits: FIN … AE
  window: number
  checksum: number
  urgentPointer: number
  options: TcpOption[]
  mss?: number
  payloadOffset: number
  payloadLength: number // bytes present
}

/** Expected total length per option kind; SACK is 2 + 8n. */
const OPTION_LENGTHS: Record<number, number> = {
  [OPTION_MSS]: 4, [OPTION_WINDOW_SCALE]: 3, [OPTION_SACK_PERMITTED]: 2, [OPTION_TIMESTAMPS]: 10
}

function optionLengthOk(kind: number, length: number): boolean {
  if (kind === OPTION_SACK) return length >= 10 && (length - 2) % 8 === 0
  const expected = OPTION_LENGTHS[kind]
  return expected === undefined || expected === length
}

function parseOptions(bytes: Uint8Array, start: number, end: number): TcpOption[] {
  const options: TcpOption[] = []
  let pos = start
  while (pos < end) {
    const kind = bytes[pos]
    if (kind === OPTION_EOL || kind === OPTION_NOP) {
      // After EOL the rest of the header is padding.
      const length = kind === OPTION_EOL ? end - pos : 1
      options.push({ kind, offset: pos, length })
      pos += length
      continue
    }
    const length = end - pos >= 2 ? bytes[pos + 1] : 0
    if (length < 2 || pos + length > end) {
      options.push({ kind, offset: pos, length: end - pos, problem: `Option length ${length} does not fit the header` })
      break
    }
    const option: TcpOption = { kind, offset: pos, length }
    if (!optionLengthOk(kind, length)) option.problem = `Bad option length ${length}`
    else if (kind === OPTION_MSS) option.value = u16(bytes, pos + 2)
    else if (kind === OPTION_WINDOW_SCALE) option.value = bytes[pos + 2]
    else if (kind === OPTION_TIMESTAMPS) {
      option.tsVal = u32(bytes, pos + 2)
      option.tsEcr = u32(bytes, pos + 6)
    } else if (kind === OPTION_SACK) {
      option.sack = []
      for (let i = pos + 2; i < pos + length; i += 4) option.sack.push(u32(bytes, i))
    }
    options.push(option)
    pos += length
  }
  return options
}

export function checkTcp(bytes: Uint8Array, offset: number, length: number): string | undefined {
  const n = available(bytes, offset, length)
  if (n < MIN_HEADER_LEN) return `Header truncated: ${n} of ${MIN_HEADER_LEN} bytes`
  const headerLength = (bytes[offset + 12] >> 4) * 4
  if (headerLength < MIN_HEADER_LEN) return `Bogus TCP header length (${headerLength}, must be at least ${MIN_HEADER_LEN})`
  return headerLength > n ? `Header truncated: ${n} of ${headerLength} bytes` : undefined
}

export function parseTcp(bytes: Uint8Array, offset: number, length: number): TcpHeader | undefined {
  if (checkTcp(bytes, offset, length)) return undefined
  const headerLength = (bytes[offset + 12] >> 4) * 4
  const options = parseOptions(bytes, offset + MIN_HEADER_LEN, offset + headerLength)
  const h: TcpHeader = {
    offset,
    srcPort: u16(bytes, offset),
    dstPort: u16(bytes, offset + 2),
    seq: u32(bytes, offset + 4),
    ack: u32(bytes, offset + 8),
    headerLength,
    flags: u16(bytes, offset + 12) & 0x1ff,
    window: u16(bytes, offset + 14),
    checksum: u16(bytes, offset + 16),
    urgentPointer: u16(bytes, offset + 18),
    options,
    payloadOffset: offset + headerLength,
    payloadLength: available(bytes, offset, length) - headerLength
  }
  const mss = options.find((o) => o.kind === OPTION_MSS)?.value
  if (mss !== undefined) h.mss = mss
  return h
}

/** 'SYN, ACK'; Wireshark writes '<None>' when no flag is set. */
export function tcpFlagNames(flags: number): string {
  const names = FLAG_NAMES.filter((_, bit) => flags & (1 << bit))
  return names.length > 0 ? names.join(', ') : '<None>'
}

/** `54321 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1446`: raw sequence numbers (no stream tracking here). */
export function tcpInfo(h: TcpHeader): string {
  const ack = h.flags & TcpFlag.ACK ? ` Ack=${h.ack}` : ''
  const mss = h.mss !== undefined ? ` MSS=${h.mss}` : ''
  return `${h.srcPort} → ${h.dstPort} [${tcpFlagNames(h.flags)}] Seq=${h.seq}${ack} Win=${h.window} Len=${h.payloadLength}${mss}`
}

function optionLabel(o: TcpOption): string {
  switch (o.kind) {
    case OPTION_EOL: return 'End of Option List (EOL)'
    case OPTION_NOP: return 'No-Operation (NOP)'
  }
  if (o.problem) return `Kind ${o.kind}, length ${o.length}`
  switch (o.kind) {
    case OPTION_MSS: return `Maximum segment size: ${o.value} bytes`
    case OPTION_WINDOW_SCALE: return `Window scale: ${o.value} (multiply by ${2 ** Math.min(o.value ?? 0, 14)})`
    case OPTION_SACK_PERMITTED: return 'SACK permitted'
    case OPTION_TIMESTAMPS: return `Timestamps: TSval ${o.tsVal}, TSecr ${o.tsEcr}`
    case OPTION_SACK: {
      const edges = o.sack ?? []
      const blocks: string[] = []
      for (let i = 0; i + 1 < edges.length; i += 2) blocks.push(`${edges[i]}-${edges[i + 1]}`)
      return `SACK ${blocks.join(' ')}`
    }
    default: return `Unknown (kind ${o.kind}, length ${o.length})`
  }
}

export function dissectTcp(bytes: Uint8Array, h: TcpHeader, ip: IpHeader): FieldNode {
  const o = h.offset
  const flagBits = FLAG_LONG_NAMES.map((name, bit) => flagField(name, (h.flags & (1 << bit)) !== 0, o + 12, 2)).reverse()
  const children = [
    ...portFields(bytes, o),
    field(`Sequence Number: ${h.seq}`, o + 4, 4),
    field(`Acknowledgment Number: ${h.ack}`, o + 8, 4),
    field(`Header Length: ${h.headerLength} bytes (${h.headerLength / 4})`, o + 12, 1),
    field(`Flags: ${hex(h.flags, 3)} (${tcpFlagNames(h.flags)})`, o + 12, 2, flagBits),
    field(`Window: ${h.window}`, o + 14, 2),
    checksumField('Checksum', o + 16, h.checksum, upperChecksum(bytes, ip, o, h.headerLength + h.payloadLength, o + 16, true)),
    field(`Urgent Pointer: ${h.urgentPointer}`, o + 18, 2)
  ]
  if (h.options.length > 0) {
    const optionNodes = h.options.map((opt) => field(`TCP Option - ${optionLabel(opt)}`, opt.offset, opt.length, undefined, opt.problem))
    children.push(field(`Options: (${h.headerLength - MIN_HEADER_LEN} bytes)`, o + MIN_HEADER_LEN, h.headerLength - MIN_HEADER_LEN, optionNodes))
  }
  const ack = h.flags & TcpFlag.ACK ? `, Ack: ${h.ack}` : ''
  const title = `Transmission Control Protocol, Src Port: ${h.srcPort}, Dst Port: ${h.dstPort}, Seq: ${h.seq}${ack}, Len: ${h.payloadLength}`
  return field(title, o, h.headerLength, children)
}
