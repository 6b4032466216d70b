// pcapng encoding (draft-ietf-opsawg-pcapng): a section header, one
// interface per interface of the capture (a device port as it was set:
// Ethernet, or raw IP for links that carry bare packets, such as SLIP without
// TAP), and an Enhanced Packet Block per frame, naming its interface, with the
// direction in epb_flags and framing errors as packet comments.
import type { FramePayload } from '../framing/framing.js'

const SHB = 0x0a0d0d0a
const IDB = 0x00000001
const EPB = 0x00000006
const BYTE_ORDER_MAGIC = 0x1a2b3c4d
const LINKTYPE_ETHERNET = 1
/** LINKTYPE_RAW: each packet is an IPv4 or IPv6 packet, told apart by its version. */
const LINKTYPE_RAW = 101
const OPT_END = 0
const OPT_COMMENT = 1
const SHB_USERAPPL = 4
const IF_NAME = 2
const IF_DESCRIPTION = 3
const IF_TSRESOL = 9
const EPB_FLAGS = 2
/** epb_flags bits 0-1: 01 inbound (from the device), 10 outbound (to the device). */
export const EPB_INBOUND = 1
export const EPB_OUTBOUND = 2
/** Block type, total length, interface, timestamp (2), captured and original length. */
export const EPB_HEADER_BYTES = 28
/** epb_flags option (8), end of options (4), trailing total length (4). */
const EPB_TRAILER_BYTES = 16

const encoder = new TextEncoder()
const pad4 = (n: number): number => (n + 3) & ~3

/** An option's value is at most this long (its length is 16 bits); longer texts are cut. */
const MAX_OPTION_BYTES = 0xffff
/** An interface's link type, by what its packets are. */
const LINK_TYPE: Record<FramePayload, number> = { ethernet: LINKTYPE_ETHERNET, ip: LINKTYPE_RAW }

/** performance.timeOrigin is a getter into the runtime: read it once. */
const EPOCH_MS = performance.timeOrigin

/** A performance.now() time as the whole microseconds since the Unix epoch that EPB timestamps hold. */
export const epochMicroseconds = (time: number): number => Math.round((EPOCH_MS + time) * 1000)

/** Bytes of an Enhanced Packet Block with `capturedLength` bytes of packet and no comment. */
export const epbLength = (capturedLength: number): number => EPB_HEADER_BYTES + pad4(capturedLength) + EPB_TRAILER_BYTES

/** The first EPB_HEADER_BYTES of an Enhanced Packet Block. */
function writeEpbHeader(view: DataView, at: number, totalLength: number, microseconds: number, capturedLength: number, originalLength: number, interfaceId = 0): void {
  const high = Math.floor(microseconds / 0x100000000)
  view.setUint32(at, EPB, true)
  view.setUint32(at + 4, totalLength, true)
  view.setUint32(at + 8, interfaceId, true)
  view.setUint32(at + 12, high, true)
  view.setUint32(at + 16, microseconds - high * 0x100000000, true)
  view.setUint32(at + 20, capturedLength, true)
  view.setUint32(at + 24, originalLength, true)
}

/**
 * Completes an Enhanced Packet Block (no comment) around `capturedLength`
 * packet bytes already at at + EPB_HEADER_BYTES: header, zero padding,
 * epb_flags and the trailing length. The capture ring lays out every frame
 * record this way, so the writer can write the ring's bytes as they are.
 */
export function writeEpbAround(view: DataView, at: number, microseconds: number, epbFlags: number, capturedLength: number, originalLength: number, interfaceId = 0): void {
  const total = epbLength(capturedLength)
  writeEpbHeader(view, at, total, microseconds, capturedLength, originalLength, interfaceId)
  let end = at + EPB_HEADER_BYTES + capturedLength
  while ((end - at) & 3) view.setUint8(end++, 0)
  view.setUint16(end, EPB_FLAGS, true)
  view.setUint16(end + 2, 4, true)
  view.setUint32(end + 4, epbFlags, true)
  view.setUint32(end + 8, OPT_END, true)
  view.setUint32(end + 12, total, true)
}

/** Little-endian block builder for the blocks written once, or rarely; `capacity` is enough for them. */
class BlockBuffer {
  readonly bytes: Uint8Array
  readonly view: DataView
  length = 0

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity)
    this.view = new DataView(this.bytes.buffer)
  }

  u16(v: number): void {
    this.view.setUint16(this.length, v, true)
    this.length += 2
  }
  u32(v: number): void {
    this.view.setUint32(this.length, v, true)
    this.length += 4
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.length)
    this.length += b.length
    for (let pad = pad4(b.length) - b.length; pad > 0; pad--) this.bytes[this.length++] = 0
  }
  option(code: number, value: Uint8Array): void {
    this.u16(code)
    this.u16(value.length)
    this.raw(value)
  }
  /** Opens a block; returns where its total length goes. */
  open(type: number): number {
    this.u32(type)
    const at = this.length
    this.u32(0)
    return at
  }
  close(lengthAt: number): void {
    const total = this.length - lengthAt + 4 + 4
    this.view.setUint32(lengthAt, total, true)
    this.u32(total)
  }
  take(): Uint8Array {
    return this.bytes.subarray(0, this.length)
  }
}

export interface PcapngInterface {
  /** if_name */
  name: string
  /** if_description */
  description: string
  /** What its packets are: Ethernet frames (link type 1) or bare IP packets (101). */
  payload: FramePayload
}

/** UTF-8 text cut (at a character boundary) to what an option can hold. */
function optionText(text: string): Uint8Array {
  const bytes = encoder.encode(text)
  if (bytes.length <= MAX_OPTION_BYTES) return bytes
  let end = MAX_OPTION_BYTES
  while ((bytes[end]! & 0xc0) === 0x80) end-- // not inside a character
  return bytes.subarray(0, end)
}

/**
 * The section header and one interface description per entry of `interfaces`
 * (interface id = its index) that start every file, and every further section.
 */
export function pcapngHeader(application: string, interfaces: readonly PcapngInterface[]): Uint8Array {
  const appl = optionText(application)
  const b = new BlockBuffer(36 + pad4(appl.length))
  const at = b.open(SHB)
  b.u32(BYTE_ORDER_MAGIC)
  b.u16(1)
  b.u16(0)
  b.u32(0xffffffff) // section length unknown (-1 as 64 bits)
  b.u32(0xffffffff)
  b.option(SHB_USERAPPL, appl)
  b.u32(OPT_END)
  b.close(at)
  const shb = b.take()
  const idbs = pcapngInterfaces(interfaces)
  const header = new Uint8Array(shb.length + idbs.length)
  header.set(shb, 0)
  header.set(idbs, shb.length)
  return header
}

/**
 * Interface descriptions, one per entry of `interfaces`: they take the next
 * interface ids of the section (a section may describe more interfaces after
 * packets, before the first packet that names them).
 */
export function pcapngInterfaces(interfaces: readonly PcapngInterface[]): Uint8Array {
  const texts = interfaces.map((iface) => [optionText(iface.name), optionText(iface.description)] as const)
  const textBytes = texts.reduce((sum, [name, description]) => sum + pad4(name.length) + pad4(description.length), 0)
  const b = new BlockBuffer(48 * interfaces.length + textBytes)
  interfaces.forEach((iface, i) => {
    const at = b.open(IDB)
    b.u16(LINK_TYPE[iface.payload])
    b.u16(0)
    b.u32(0) // no snap length limit
    b.option(IF_NAME, texts[i]![0])
    b.option(IF_DESCRIPTION, texts[i]![1])
    b.option(IF_TSRESOL, Uint8Array.of(6)) // microseconds
    b.u32(OPT_END)
    b.close(at)
  })
  return b.take()
}

/**
 * An Enhanced Packet Block with no packet bytes and a comment: how a framing
 * error is recorded (original length = the bytes lost).
 */
export function commentedEmptyPacket(microseconds: number, epbFlags: number, originalLength: number, comment: string, interfaceId = 0): Uint8Array {
  const text = optionText(comment)
  const b = new BlockBuffer(EPB_HEADER_BYTES + EPB_TRAILER_BYTES + 4 + pad4(text.length))
  b.length = EPB_HEADER_BYTES // the header goes in last, when the length is known
  b.u16(EPB_FLAGS)
  b.u16(4)
  b.u32(epbFlags)
  b.option(OPT_COMMENT, text)
  b.u32(OPT_END)
  b.u32(b.length + 4)
  writeEpbHeader(b.view, 0, b.length, microseconds, 0, originalLength, interfaceId)
  return b.take()
}
