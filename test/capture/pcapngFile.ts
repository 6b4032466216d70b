// A small pcapng reader for the capture tests, written from the format's
// description (draft-ietf-opsawg-pcapng) and independent of the encoder in
// src/engine/capture/pcapng.ts. It checks the framing of every block as it goes
// and throws a descriptive Error on the first violation.

export const BLOCK_SHB = 0x0a0d0d0a
export const BLOCK_IDB = 0x00000001
export const BLOCK_EPB = 0x00000006

export interface PcapngOption {
  code: number
  value: Uint8Array
}

export interface PcapngBlock {
  type: number
  /** Byte offset of the block in the file. */
  offset: number
  totalLength: number
  /** The block body: after type and total length, before the trailing total length. */
  body: Uint8Array
}

export interface SectionHeader {
  byteOrderMagic: number[]
  major: number
  minor: number
  /** The 64-bit section length as two 32-bit halves (low, high); -1 is 0xffffffff/0xffffffff. */
  sectionLength: [number, number]
  options: PcapngOption[]
}

export interface InterfaceDescription {
  linkType: number
  reserved: number
  snapLength: number
  options: PcapngOption[]
}

export interface EnhancedPacket {
  interfaceId: number
  timestampHigh: number
  timestampLow: number
  capturedLength: number
  originalLength: number
  data: Uint8Array
  /** The padding bytes after the packet data (must be zero). */
  padding: Uint8Array
  options: PcapngOption[]
}

export interface PcapngFile {
  blocks: PcapngBlock[]
  shb: SectionHeader
  idb: InterfaceDescription
  /** Every interface description, idb first. */
  idbs: InterfaceDescription[]
  packets: EnhancedPacket[]
}

function u32(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true)
}

function u16(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(at, true)
}

/** Splits the file into blocks, checking total lengths front/back, 32-bit alignment and that nothing is left over. */
export function splitBlocks(file: Uint8Array): PcapngBlock[] {
  // Every file this project writes is little-endian; check before trusting any length.
  if (file.length < 12) throw new Error(`file too short for a section header: ${file.length} bytes`)
  const magic = Array.from(file.subarray(8, 12))
  if (magic.join(',') !== '77,60,43,26') throw new Error(`byte-order magic is ${magic.map((b) => b.toString(16)).join(' ')}, not 4d 3c 2b 1a (little-endian 0x1a2b3c4d)`)
  return splitBlockRun(file)
}

/** Splits little-endian blocks laid back to back (a file, or part of one that starts at a block), with the same checks. */
export function splitBlockRun(file: Uint8Array): PcapngBlock[] {
  if (file.length % 4 !== 0) throw new Error(`length ${file.length} is not a multiple of 4`)
  const blocks: PcapngBlock[] = []
  let at = 0
  while (at < file.length) {
    if (file.length - at < 12) throw new Error(`${file.length - at} stray bytes at offset ${at}`)
    const type = u32(file, at)
    const totalLength = u32(file, at + 4)
    if (totalLength < 12) throw new Error(`block at ${at}: total length ${totalLength} < 12`)
    if (totalLength % 4 !== 0) throw new Error(`block at ${at}: total length ${totalLength} not 32-bit aligned`)
    if (at + totalLength > file.length) throw new Error(`block at ${at}: total length ${totalLength} runs past the end of the file (${file.length})`)
    const trailing = u32(file, at + totalLength - 4)
    if (trailing !== totalLength) throw new Error(`block at ${at}: total length ${totalLength} in front, ${trailing} at the back`)
    blocks.push({ type, offset: at, totalLength, body: file.subarray(at + 8, at + totalLength - 4) })
    at += totalLength
  }
  return blocks
}

/** Reads an option list that must end with opt_endofopt exactly at the end of `bytes`. */
export function parseOptions(bytes: Uint8Array): PcapngOption[] {
  const options: PcapngOption[] = []
  let at = 0
  for (;;) {
    if (bytes.length - at < 4) throw new Error(`option list cut at ${at} of ${bytes.length} (no opt_endofopt)`)
    const code = u16(bytes, at)
    const length = u16(bytes, at + 2)
    if (code === 0) {
      if (length !== 0) throw new Error(`opt_endofopt with length ${length}`)
      if (at + 4 !== bytes.length) throw new Error(`${bytes.length - at - 4} bytes after opt_endofopt`)
      return options
    }
    const padded = (length + 3) & ~3
    if (at + 4 + padded > bytes.length) throw new Error(`option ${code} (length ${length}) runs past its block`)
    const padding = bytes.subarray(at + 4 + length, at + 4 + padded)
    if (padding.some((b) => b !== 0)) throw new Error(`option ${code}: non-zero padding`)
    options.push({ code, value: bytes.subarray(at + 4, at + 4 + length) })
    at += 4 + padded
  }
}

export function parseSectionHeader(block: PcapngBlock): SectionHeader {
  const b = block.body
  if (b.length < 16) throw new Error(`SHB body ${b.length} bytes`)
  return {
    byteOrderMagic: Array.from(b.subarray(0, 4)),
    major: u16(b, 4),
    minor: u16(b, 6),
    sectionLength: [u32(b, 8), u32(b, 12)],
    options: parseOptions(b.subarray(16))
  }
}

export function parseInterfaceDescription(block: PcapngBlock): InterfaceDescription {
  const b = block.body
  if (b.length < 8) throw new Error(`IDB body ${b.length} bytes`)
  return { linkType: u16(b, 0), reserved: u16(b, 2), snapLength: u32(b, 4), options: parseOptions(b.subarray(8)) }
}

export function parseEnhancedPacket(block: PcapngBlock): EnhancedPacket {
  const b = block.body
  if (b.length < 20) throw new Error(`EPB at ${block.offset}: body ${b.length} bytes`)
  const capturedLength = u32(b, 12)
  const padded = (capturedLength + 3) & ~3
  if (20 + padded > b.length) throw new Error(`EPB at ${block.offset}: captured length ${capturedLength} runs past the block`)
  return {
    interfaceId: u32(b, 0),
    timestampHigh: u32(b, 4),
    timestampLow: u32(b, 8),
    capturedLength,
    originalLength: u32(b, 16),
    data: b.subarray(20, 20 + capturedLength),
    padding: b.subarray(20 + capturedLength, 20 + padded),
    options: parseOptions(b.subarray(20 + padded))
  }
}

/** Parses a whole file: one SHB, the IDBs, then EPBs only (what the writer promises). */
export function parsePcapng(file: Uint8Array): PcapngFile {
  const blocks = splitBlocks(file)
  if (blocks.length < 2) throw new Error(`${blocks.length} blocks; a section header and an interface description are required`)
  if (blocks[0]!.type !== BLOCK_SHB) throw new Error(`first block type 0x${blocks[0]!.type.toString(16)}, not SHB`)
  if (blocks[1]!.type !== BLOCK_IDB) throw new Error(`second block type 0x${blocks[1]!.type.toString(16)}, not IDB`)
  let idbCount = 1
  while (blocks[1 + idbCount]?.type === BLOCK_IDB) idbCount++
  const rest = blocks.slice(1 + idbCount)
  const other = rest.find((b) => b.type !== BLOCK_EPB)
  if (other) throw new Error(`block at ${other.offset} has type 0x${other.type.toString(16)}, expected only EPBs after the IDBs`)
  const idbs = blocks.slice(1, 1 + idbCount).map(parseInterfaceDescription)
  return {
    blocks,
    shb: parseSectionHeader(blocks[0]!),
    idb: idbs[0]!,
    idbs,
    packets: rest.map(parseEnhancedPacket)
  }
}

export function option(options: PcapngOption[], code: number): Uint8Array | undefined {
  return options.find((o) => o.code === code)?.value
}

export function optionText(options: PcapngOption[], code: number): string | undefined {
  const value = option(options, code)
  return value === undefined ? undefined : new TextDecoder('utf-8', { fatal: true }).decode(value)
}

/** epb_flags (option 2) as a number, or undefined when absent. */
export function epbFlags(packet: EnhancedPacket): number | undefined {
  const value = option(packet.options, 2)
  if (value === undefined) return undefined
  if (value.length !== 4) throw new Error(`epb_flags has length ${value.length}, not 4`)
  return u32(value, 0)
}

/** The packet's timestamp in interface time units (microseconds with if_tsresol 6). */
export function timestampUnits(packet: EnhancedPacket): number {
  return packet.timestampHigh * 0x100000000 + packet.timestampLow
}
