// A bounded in-memory capture: the newest frame records, each with a
// monotonic timestamp, direction, framing error kind and its raw wire bytes.
// Appending copies the bytes once and allocates nothing; readers keep their
// own sequence cursor and read at their own pace, so a slow reader never
// holds up the data path (it loses the oldest records instead).
//
// A frame record is stored already laid out as a pcapng Enhanced Packet Block
// (header, frame, padding, epb_flags, trailing length), so the pcapng writer
// writes stretches of the ring as they are rather than copying each frame
// again. Framing-error records (junk bytes, shown as packet comments) are
// stored as their bytes. What is kept is still counted in wire bytes
// (`dataBytes`); the area is larger by the blocks' overhead (see storeBytes).
import { LENGTH_PREFIX_BYTES } from '../framing/lengthPrefix.js'
import { EPB_HEADER_BYTES, EPB_INBOUND, EPB_OUTBOUND, epbLength, epochMicroseconds, writeEpbAround } from './pcapng.js'

export const Direction = { fromDevice: 0, toDevice: 1 } as const
export type DirectionCode = (typeof Direction)[keyof typeof Direction]

/** The direction as pcapng's epb_flags say it. */
export const epbDirection = (direction: DirectionCode): number => (direction === Direction.fromDevice ? EPB_INBOUND : EPB_OUTBOUND)

export interface CaptureRingOptions {
  /** Bytes of record data (wire bytes) kept (default 64 MiB). */
  dataBytes?: number
  /** Records kept (default 262 144). */
  maxRecords?: number
}

/** Where a frame record's wire bytes (length prefix, then frame) start in its packet block. */
const WIRE_RECORD_IN_BLOCK = EPB_HEADER_BYTES - LENGTH_PREFIX_BYTES
/** A record of k wire bytes takes at most k + BLOCK_OVERHEAD bytes stored (the prefix is not stored). */
const BLOCK_OVERHEAD = epbLength(0) - LENGTH_PREFIX_BYTES + 3
/** The longest record the data path makes: a wire record with a 16-bit length prefix. */
const LONGEST_WIRE_RECORD = LENGTH_PREFIX_BYTES + 0xffff

/**
 * Stored bytes enough that every record still kept by the wire-byte count is
 * whole: the kept records take at most dataBytes plus BLOCK_OVERHEAD each,
 * and records never wrap, which wastes less than one record's room. (Records
 * longer than the data path makes may be lost sooner than the count says.)
 */
function storeBytes(dataBytes: number, maxRecords: number): number {
  const longestRecord = Math.min(dataBytes, LONGEST_WIRE_RECORD) + BLOCK_OVERHEAD
  return dataBytes + BLOCK_OVERHEAD * maxRecords + longestRecord
}

/**
 * One record as seen by a reader, valid only during the callback: its bytes are
 * data[offset, offset + length). One object is reused for every record.
 */
export class CaptureRecordView {
  seq = 0
  time = 0
  direction: DirectionCode = 0
  error = 0
  /** Bytes the record stands for on the wire (can exceed `length` for long junk runs). */
  wireLength = 0
  offset = 0
  length = 0
  constructor(readonly data: Uint8Array) {}

  /** The record's bytes as their own view (allocates; the hot readers use data/offset/length). */
  get bytes(): Uint8Array {
    return this.data.subarray(this.offset, this.offset + this.length)
  }
}

export class CaptureRing {
  private readonly data: Uint8Array
  private readonly dataView: DataView
  /** Wire bytes kept (the retention budget). */
  private readonly dataBytes: number
  private readonly capacity: number
  private readonly times: Float64Array
  /** Monotonic position of each record in the wire-byte count that decides what is kept (may exceed 2^32, hence float). */
  private readonly wirePositions: Float64Array
  /** Monotonic byte position of each record's stored bytes. */
  private readonly positions: Float64Array
  private readonly lengths: Uint32Array
  private readonly wireLengths: Uint32Array
  private readonly directions: Uint8Array
  private readonly errors: Uint8Array
  /** A frame record's packet block length; 0 for a framing-error record (stored as its bytes). */
  private readonly blockLengths: Uint32Array
  /** A frame record's 2-byte length prefix, which its packet block does not hold. */
  private readonly prefixes: Uint16Array
  private wireWritten = 0 // wire-byte position of the next record
  private written = 0 // stored-byte position of the next record
  private nextSeq = 0
  private oldest = 0
  private published = 0
  private readonly listeners = new Set<() => void>()

  constructor(options: CaptureRingOptions = {}) {
    this.dataBytes = options.dataBytes ?? 64 * 1024 * 1024
    this.capacity = options.maxRecords ?? 262_144
    // Touched once here so the first lap does not page-fault on the data path.
    this.data = new Uint8Array(storeBytes(this.dataBytes, this.capacity)).fill(0)
    this.dataView = new DataView(this.data.buffer)
    this.times = new Float64Array(this.capacity)
    this.wirePositions = new Float64Array(this.capacity)
    this.positions = new Float64Array(this.capacity)
    this.lengths = new Uint32Array(this.capacity)
    this.wireLengths = new Uint32Array(this.capacity)
    this.directions = new Uint8Array(this.capacity)
    this.errors = new Uint8Array(this.capacity)
    this.blockLengths = new Uint32Array(this.capacity)
    this.prefixes = new Uint16Array(this.capacity)
  }

  /** Sequence number the next record will get (also the count ever appended). */
  get head(): number {
    return this.nextSeq
  }

  /** Oldest sequence number still complete in the ring. */
  get tail(): number {
    // Advanced lazily here rather than on every append.
    this.oldest = Math.max(this.oldest, this.nextSeq - this.capacity)
    const keptFrom = this.wireWritten - this.dataBytes
    const storedFrom = this.written - this.data.length
    while (this.oldest < this.nextSeq) {
      const slot = this.oldest % this.capacity
      if (this.wirePositions[slot]! >= keptFrom && this.positions[slot]! >= storedFrom) break
      this.oldest++
    }
    return this.oldest
  }

  /**
   * Adds a record. With `error` 0 it is a wire record: the 2-byte length
   * prefix, then the frame; otherwise it is the junk of a framing error. A
   * record longer than dataBytes is cut to it (`wireLength` still says how
   * long it was).
   */
  append(time: number, direction: DirectionCode, error: number, source: Uint8Array, start: number, length: number, wireLength = length): number {
    const kept = Math.min(length, this.dataBytes)
    if (error !== 0) return this.appendJunk(time, direction, error, source, start, kept, wireLength)
    const frameLength = kept - LENGTH_PREFIX_BYTES
    if (frameLength < 0) throw new RangeError('a frame record starts with its 2-byte length prefix')
    const blockLength = epbLength(frameLength)
    const at = this.place(blockLength)
    this.data.set(source.subarray(start + LENGTH_PREFIX_BYTES, start + LENGTH_PREFIX_BYTES + frameLength), at + EPB_HEADER_BYTES)
    writeEpbAround(this.dataView, at, epochMicroseconds(time), epbDirection(direction), frameLength, wireLength - LENGTH_PREFIX_BYTES)
    const slot = this.nextSeq % this.capacity
    this.prefixes[slot] = (source[start]! << 8) | source[start + 1]!
    return this.commit(slot, time, direction, error, kept, wireLength, blockLength)
  }

  /**
   * The data path calls this after each I/O batch; readers that subscribed
   * learn that records up to `head` are there (one call per batch, not per record).
   */
  publish(): void {
    if (this.published === this.nextSeq) return
    this.published = this.nextSeq
    for (const listener of this.listeners) listener()
  }

  /** Calls `listener` after each batch that appended records; returns the unsubscribe. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Calls `visit` for records [from, to) still held (older ones are gone; the
   * return value says where the reader should continue).
   */
  read(from: number, to: number, visit: (record: CaptureRecordView) => void): number {
    const first = Math.max(from, this.tail)
    const end = Math.min(to, this.nextSeq)
    const view = new CaptureRecordView(this.data)
    const data = this.data
    for (let seq = first; seq < end; seq++) {
      const slot = this.fill(view, seq)
      if (this.blockLengths[slot] === 0) {
        visit(view)
        continue
      }
      // The two bytes before the frame are the high half of the block's
      // original length: they hold the record's length prefix while the
      // reader looks, so it sees the wire record whole. (So ring memory is
      // never handed to asynchronous writes: the pcapng writer writes it
      // synchronously or copies it.)
      const at = view.offset
      const high = data[at]!
      const low = data[at + 1]!
      const prefix = this.prefixes[slot]!
      data[at] = prefix >> 8
      data[at + 1] = prefix & 0xff
      try {
        visit(view)
      } finally {
        data[at] = high
        data[at + 1] = low
      }
    }
    return Math.max(end, first)
  }

  /**
   * For the pcapng writer: calls `blocks(data, start, end)` for each stretch
   * of consecutive frame records (their packet blocks, back to back) and
   * `junk(record)` for each framing-error record, in sequence order; returns
   * where to continue, as read() does. Nothing is lent to the stretches: the
   * bytes are valid pcapng as they are.
   */
  readBlocks(from: number, to: number, blocks: (data: Uint8Array, start: number, end: number) => void, junk: (record: CaptureRecordView) => void): number {
    const first = Math.max(from, this.tail)
    const end = Math.min(to, this.nextSeq)
    const size = this.data.length
    let runStart = 0
    let runEnd = -1
    let view: CaptureRecordView | undefined
    for (let seq = first; seq < end; seq++) {
      const slot = seq % this.capacity
      const blockLength = this.blockLengths[slot]!
      const at = this.positions[slot]! % size
      if (blockLength > 0 && at === runEnd) {
        runEnd += blockLength
        continue
      }
      if (runEnd >= 0) blocks(this.data, runStart, runEnd)
      if (blockLength > 0) {
        runStart = at
        runEnd = at + blockLength
      } else {
        runEnd = -1
        view ??= new CaptureRecordView(this.data)
        this.fill(view, seq)
        junk(view)
      }
    }
    if (runEnd >= 0) blocks(this.data, runStart, runEnd)
    return Math.max(end, first)
  }

  private appendJunk(time: number, direction: DirectionCode, error: number, source: Uint8Array, start: number, kept: number, wireLength: number): number {
    const at = this.place(kept)
    this.data.set(source.subarray(start, start + kept), at)
    return this.commit(this.nextSeq % this.capacity, time, direction, error, kept, wireLength, 0)
  }

  /** Where the next record's `bytes` go: records never wrap, so this may skip the area's tail end. */
  private place(bytes: number): number {
    const size = this.data.length
    const offset = this.written % size
    if (offset + bytes <= size) return offset
    this.written += size - offset
    return 0
  }

  private commit(slot: number, time: number, direction: DirectionCode, error: number, length: number, wireLength: number, blockLength: number): number {
    // Records never wrap in the wire-byte count either: what is kept does not
    // depend on how records are stored.
    const wireOffset = this.wireWritten % this.dataBytes
    if (wireOffset + length > this.dataBytes) this.wireWritten += this.dataBytes - wireOffset
    this.wirePositions[slot] = this.wireWritten
    this.wireWritten += length
    this.times[slot] = time
    this.positions[slot] = this.written
    this.lengths[slot] = length
    this.wireLengths[slot] = wireLength
    this.directions[slot] = direction
    this.errors[slot] = error
    this.blockLengths[slot] = blockLength
    this.written += blockLength > 0 ? blockLength : length
    return this.nextSeq++
  }

  /** Describes record `seq` in `view`; returns its slot. */
  private fill(view: CaptureRecordView, seq: number): number {
    const slot = seq % this.capacity
    const at = this.positions[slot]! % this.data.length
    view.seq = seq
    view.time = this.times[slot]!
    view.direction = this.directions[slot] as DirectionCode
    view.error = this.errors[slot]!
    view.wireLength = this.wireLengths[slot]!
    view.offset = this.blockLengths[slot] === 0 ? at : at + WIRE_RECORD_IN_BLOCK
    view.length = this.lengths[slot]!
    return slot
  }
}
