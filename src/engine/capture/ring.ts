// A bounded in-memory capture: the newest frame records, each with a
// monotonic timestamp, direction, framing error kind and its raw wire bytes.
// Appending copies the bytes once and allocates nothing; readers keep their
// own sequence cursor and read at their own pace, so a slow reader never
// holds up the data path (it loses the oldest records instead).

export const Direction = { fromDevice: 0, toDevice: 1 } as const
export type DirectionCode = (typeof Direction)[keyof typeof Direction]

export interface CaptureRingOptions {
  /** Bytes of record data kept (default 64 MiB). */
  dataBytes?: number
  /** Records kept (default 262 144). */
  maxRecords?: number
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
  private readonly capacity: number
  private readonly times: Float64Array
  /** Monotonic byte position of each record's data (may exceed 2^32, hence float). */
  private readonly positions: Float64Array
  private readonly lengths: Uint32Array
  private readonly wireLengths: Uint32Array
  private readonly directions: Uint8Array
  private readonly errors: Uint8Array
  private written = 0 // monotonic byte position of the next record
  private nextSeq = 0
  private oldest = 0
  private published = 0
  private readonly listeners = new Set<() => void>()

  constructor(options: CaptureRingOptions = {}) {
    // Touched once here so the first lap does not page-fault on the data path.
    this.data = new Uint8Array(options.dataBytes ?? 64 * 1024 * 1024).fill(0)
    this.capacity = options.maxRecords ?? 262_144
    this.times = new Float64Array(this.capacity)
    this.positions = new Float64Array(this.capacity)
    this.lengths = new Uint32Array(this.capacity)
    this.wireLengths = new Uint32Array(this.capacity)
    this.directions = new Uint8Array(this.capacity)
    this.errors = new Uint8Array(this.capacity)
  }

  /** Sequence number the next record will get (also the count ever appended). */
  get head(): number {
    return this.nextSeq
  }

  /** Oldest sequence number still complete in the ring. */
  get tail(): number {
    // Advanced lazily here rather than on every append.
    this.oldest = Math.max(this.oldest, this.nextSeq - this.capacity)
    while (this.oldest < this.nextSeq && this.positions[this.oldest % this.capacity]! < this.written - this.data.length) this.oldest++
    return this.oldest
  }

  append(time: number, direction: DirectionCode, error: number, source: Uint8Array, start: number, length: number, wireLength = length): number {
    const size = this.data.length
    const kept = Math.min(length, size)
    let offset = this.written % size
    if (offset + kept > size) {
      // Records never wrap: skip the ring's tail end.
      this.written += size - offset
      offset = 0
    }
    this.data.set(source.subarray(start, start + kept), offset)
    const slot = this.nextSeq % this.capacity
    this.times[slot] = time
    this.positions[slot] = this.written
    this.lengths[slot] = kept
    this.wireLengths[slot] = wireLength
    this.directions[slot] = direction
    this.errors[slot] = error
    this.written += kept
    return this.nextSeq++
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
    for (let seq = first; seq < end; seq++) {
      const slot = seq % this.capacity
      view.seq = seq
      view.time = this.times[slot]!
      view.direction = this.directions[slot] as DirectionCode
      view.error = this.errors[slot]!
      view.wireLength = this.wireLengths[slot]!
      view.offset = this.positions[slot]! % this.data.length
      view.length = this.lengths[slot]!
      visit(view)
    }
    return Math.max(end, first)
  }
}
