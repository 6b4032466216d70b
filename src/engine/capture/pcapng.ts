// pcapng encoding (draft-ietf-opsawg-pcapng): one section header, one
// Ethernet interface, and an Enhanced Packet Block per frame with the
// direction in epb_flags and framing errors as packet comments.
import { BufferPool } from '../bufferPool.js'

const SHB = 0x0a0d0d0a
const IDB = 0x00000001
const EPB = 0x00000006
const BYTE_ORDER_MAGIC = 0x1a2b3c4d
const LINKTYPE_ETHERNET = 1
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

const encoder = new TextEncoder()
const INITIAL_BYTES = 64 * 1024
const pad4 = (n: number): number => (n + 3) & ~3

/** Growable little-endian block builder; reused across batches. */
class BlockBuffer {
  bytes: Uint8Array = Buffer.allocUnsafeSlow(INITIAL_BYTES)
  view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
  length = 0

  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return
    const grown = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.length + n))
    grown.set(this.bytes.subarray(0, this.length))
    this.reset(grown, this.length)
  }
  reset(bytes: Uint8Array, length = 0): void {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.length = length
  }
  u16(v: number): void {
    this.view.setUint16(this.length, v, true)
    this.length += 2
  }
  u32(v: number): void {
    this.view.setUint32(this.length, v, true)
    this.length += 4
  }
  raw(b: Uint8Array, start = 0, length = b.length): void {
    this.bytes.set(start === 0 && length === b.length ? b : b.subarray(start, start + length), this.length)
    this.length += length
    for (let pad = pad4(length) - length; pad > 0; pad--) this.bytes[this.length++] = 0
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
}

export interface PcapngInterface {
  name: string
  description: string
}

/** The section header and the interface description that start every file. */
export function pcapngHeader(application: string, iface: PcapngInterface): Uint8Array {
  const b = new BlockBuffer()
  b.reserve(512)
  let at = b.open(SHB)
  b.u32(BYTE_ORDER_MAGIC)
  b.u16(1)
  b.u16(0)
  b.u32(0xffffffff) // section length unknown (-1 as 64 bits)
  b.u32(0xffffffff)
  b.option(SHB_USERAPPL, encoder.encode(application))
  b.u32(OPT_END)
  b.close(at)
  at = b.open(IDB)
  b.u16(LINKTYPE_ETHERNET)
  b.u16(0)
  b.u32(0) // no snap length limit
  b.option(IF_NAME, encoder.encode(iface.name))
  b.option(IF_DESCRIPTION, encoder.encode(iface.description))
  b.option(IF_TSRESOL, Uint8Array.of(6)) // microseconds
  b.u32(OPT_END)
  b.close(at)
  return b.bytes.subarray(0, b.length)
}

/** Collects Enhanced Packet Blocks for one write. */
export class PcapngPacketEncoder {
  private readonly b = new BlockBuffer()
  private readonly pool = new BufferPool(INITIAL_BYTES)

  /**
   * Adds data[start, start + length) as one packet.
   * @param microseconds timestamp since the Unix epoch
   * @param originalLength bytes the packet had on the wire (≥ length)
   */
  add(microseconds: number, epbFlags: number, data: Uint8Array, start: number, length: number, originalLength: number, comment?: string): void {
    const commentBytes = comment === undefined ? undefined : encoder.encode(comment)
    this.b.reserve(48 + pad4(length) + (commentBytes ? 4 + pad4(commentBytes.length) : 0))
    const at = this.b.open(EPB)
    this.b.u32(0) // interface 0
    this.b.u32(Math.floor(microseconds / 0x100000000))
    this.b.u32(microseconds % 0x100000000)
    this.b.u32(length)
    this.b.u32(originalLength)
    this.b.raw(data, start, length)
    this.b.u16(EPB_FLAGS)
    this.b.u16(4)
    this.b.u32(epbFlags)
    if (commentBytes) this.b.option(OPT_COMMENT, commentBytes)
    this.b.u32(OPT_END)
    this.b.close(at)
  }

  get length(): number {
    return this.b.length
  }

  /**
   * The blocks added since the last take, without a copy; the encoder goes on
   * in other memory. Hand the chunk back with recycle() once it is written.
   */
  take(): Uint8Array {
    const out = this.b.bytes.subarray(0, this.b.length)
    this.b.reset(this.pool.take(this.b.bytes.length))
    return out
  }

  /** Reuses a taken chunk's memory once it is written. */
  recycle(chunk: Uint8Array): void {
    this.pool.give(chunk)
  }
}
