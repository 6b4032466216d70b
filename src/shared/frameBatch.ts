// Captured frames travel to the UI as one binary message per batch (at most
// ~30 a second): a small header, then per record its sequence number,
// timestamp, direction, framing error kind, framing, capture port and raw wire
// bytes (the framing's record header included). Little-endian throughout.

const MAGIC = 0x42465354 // 'TSFB'
const HEADER_BYTES = 8
const RECORD_HEADER_BYTES = 28

/** One record as the reader sees it; one object is reused for every record. */
export interface FrameRecord {
  seq: number
  /** ms after the engine host's time origin (HelloMessage.timeOrigin). */
  time: number
  /** 0: from the device, 1: to the device (engine/capture/ring Direction). */
  direction: number
  /** Framing error code (engine/counters FramingError), 0 for a frame. */
  error: number
  /** Bytes the record stands for on the wire (≥ bytes.length for long junk runs). */
  wireLength: number
  /** The framing it came in (engine/framing framingOfCode); absent: the default framing. */
  framing?: number
  /** The capture port (device) it came from (engine/capture/ring capture interface id (ring.interfaces)); absent: port 0. */
  port?: number
  /** The record's bytes: data[offset, offset + length). */
  data: Uint8Array
  offset: number
  length: number
}

export class FrameBatchWriter {
  private bytes = new Uint8Array(64 * 1024)
  private view = new DataView(this.bytes.buffer)
  private used = HEADER_BYTES
  private count = 0

  get records(): number {
    return this.count
  }

  get byteLength(): number {
    return this.used
  }

  add(seq: number, time: number, direction: number, error: number, wireLength: number, framing: number, port: number, data: Uint8Array, offset: number, length: number): void {
    this.reserve(RECORD_HEADER_BYTES + length)
    const v = this.view
    let at = this.used
    v.setFloat64(at, seq, true)
    v.setFloat64(at + 8, time, true)
    v.setUint32(at + 16, wireLength, true)
    v.setUint32(at + 20, length, true)
    v.setUint8(at + 24, direction)
    v.setUint8(at + 25, error)
    v.setUint8(at + 26, framing)
    v.setUint8(at + 27, port)
    at += RECORD_HEADER_BYTES
    this.bytes.set(data.subarray(offset, offset + length), at)
    this.used = at + length
    this.count++
  }

  /** The batch so far as its own bytes (a copy: it may be transferred); the writer starts over. */
  take(): Uint8Array {
    this.view.setUint32(0, MAGIC, true)
    this.view.setUint32(4, this.count, true)
    const out = this.bytes.slice(0, this.used)
    this.used = HEADER_BYTES
    this.count = 0
    return out
  }

  private reserve(n: number): void {
    if (this.used + n <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n))
    grown.set(this.bytes.subarray(0, this.used))
    this.bytes = grown
    this.view = new DataView(grown.buffer)
  }
}

/**
 * Calls `visit` for each record of a batch; returns the record count, or -1
 * if the bytes are not a well-formed batch (nothing is visited then).
 */
export function readFrameBatch(bytes: Uint8Array, visit: (record: FrameRecord) => void): number {
  if (bytes.length < HEADER_BYTES) return -1
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (v.getUint32(0, true) !== MAGIC) return -1
  const count = v.getUint32(4, true)
  // Check the whole batch before visiting any of it.
  let at = HEADER_BYTES
  for (let i = 0; i < count; i++) {
    if (at + RECORD_HEADER_BYTES > bytes.length) return -1
    at += RECORD_HEADER_BYTES + v.getUint32(at + 20, true)
  }
  if (at !== bytes.length) return -1
  const record: FrameRecord = { seq: 0, time: 0, direction: 0, error: 0, wireLength: 0, framing: 0, port: 0, data: bytes, offset: 0, length: 0 }
  at = HEADER_BYTES
  for (let i = 0; i < count; i++) {
    record.seq = v.getFloat64(at, true)
    record.time = v.getFloat64(at + 8, true)
    record.wireLength = v.getUint32(at + 16, true)
    record.length = v.getUint32(at + 20, true)
    record.direction = v.getUint8(at + 24)
    record.error = v.getUint8(at + 25)
    record.framing = v.getUint8(at + 26)
    record.port = v.getUint8(at + 27)
    record.offset = at + RECORD_HEADER_BYTES
    visit(record)
    at = record.offset + record.length
  }
  return count
}
