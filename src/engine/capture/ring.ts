// A bounded in-memory capture: the newest frame records, each with a
// monotonic timestamp, direction, framing error kind and its raw wire bytes
// (the framing's record header, then the frame).
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
//
// Every record belongs to one of the capture's device ports (each with its
// own framing) and is stored with its port's pcapng interface id: the ring
// keeps an interface table that only grows while records that use it are kept
// (the ports change when the bridge restarts with other settings, the ring
// stays), so each device shows as an interface of its own and an older record
// still names the interface, and link type, it came in on.
import type { Framing } from '../framing/framing.js'
import { DEFAULT_FRAMING, framingCode, framingFor, framingOfCode } from '../framing/index.js'
import { EPB_HEADER_BYTES, EPB_INBOUND, EPB_OUTBOUND, epbLength, epochMicroseconds, writeEpbAround } from './pcapng.js'

export const Direction = { fromDevice: 0, toDevice: 1 } as const
export type DirectionCode = (typeof Direction)[keyof typeof Direction]

/** The direction as pcapng's epb_flags say it. */
export const epbDirection = (direction: DirectionCode): number => (direction === Direction.fromDevice ? EPB_INBOUND : EPB_OUTBOUND)

/** A device port of the capture: its pcapng interface's name and description, and the framing its records come in. */
export interface CapturePort {
  name: string
  description: string
  framing: Framing
}

/** Ports a capture has at most (a record's interface id is one byte). */
export const MAX_CAPTURE_PORTS = 255
/** Interfaces the ring's table holds at most (a record's interface id is one byte). */
export const MAX_CAPTURE_INTERFACES = 255

/** A pcapng interface of the capture: a port as it was when setPorts gave it (same shape as CapturePort). */
export type CaptureInterface = Readonly<CapturePort>

/** Same interface: same name, description and framing (by its code). */
const sameInterface = (a: CapturePort, b: CapturePort): boolean =>
  a.name === b.name && a.description === b.description && framingCode(a.framing) === framingCode(b.framing)

/** The port table of a capture of one device in `framing`. */
const onePort = (framing: Framing): CapturePort[] => [{ name: 'uart1', description: framing.title, framing }]

export interface CaptureRingOptions {
  /** Bytes of record data (wire bytes) kept (default 64 MiB). */
  dataBytes?: number
  /** Records kept (default 262 144). */
  maxRecords?: number
}

/**
 * The widest record header a frame record may start with: it is lent the last
 * bytes of the packet block's header (the original length) while a reader looks.
 */
const MAX_RECORD_HEADER = 4
/** A record of k wire bytes takes at most k + BLOCK_OVERHEAD bytes stored (its header is not stored). */
const BLOCK_OVERHEAD = epbLength(0) + 3
/** The longest record the data path makes: a frame of at most 65 535 bytes after its header. */
const LONGEST_WIRE_RECORD = MAX_RECORD_HEADER + 0xffff

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
  /** The record's framing (engine/framing framingOfCode). */
  framing = 0
  /**
   * The pcapng interface it came in on: an index into the ring's `interfaces`
   * (name, description, framing of the device port it came from, as that port
   * was when the record was appended), and the interface id its packet block names.
   */
  interface = 0
  /** A frame record's record header width: its frame starts this far into its bytes. */
  headerBytes = 0
  offset = 0
  length = 0
  constructor(readonly data: Uint8Array) {}

  /**
   * The same as `interface` (the interface id, not the index into the ring's
   * current `ports`): the name is from when the two were the same; the frame
   * batch carries it as its record's port byte.
   */
  get port(): number {
    return this.interface
  }

  /** The record's bytes as their own view (allocates; the hot readers use data/offset/length). */
  get bytes(): Uint8Array {
    return this.data.subarray(this.offset, this.offset + this.length)
  }
}

export class CaptureRing {
  private portTable: readonly CapturePort[] = []
  /** Every interface set since the table last started afresh, in id order (a new array on each change). */
  private interfaceTable: readonly CaptureInterface[] = []
  private tableGeneration = 0
  // Per port, its interface id and what append needs of its framing, looked up once rather than for every record.
  private portCount = 0
  private portInterfaceIds = new Uint8Array(0)
  private portFramingCodes = new Uint8Array(0)
  private portHeaderBytes = new Uint8Array(0)
  /** 1 where the framing encodes (escapes) the frame, so the wire bytes are not the frame's length. */
  private portEncodes = new Uint8Array(0)
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
  /** A frame record's record header (big-endian, as wide as its framing's), which its packet block does not hold. */
  private readonly headers: Uint32Array
  private readonly framingCodes: Uint8Array
  /** Each record's interface id. */
  private readonly recordInterfaces: Uint8Array
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
    this.headers = new Uint32Array(this.capacity)
    this.framingCodes = new Uint8Array(this.capacity)
    this.recordInterfaces = new Uint8Array(this.capacity)
    this.setPorts(onePort(framingFor(DEFAULT_FRAMING)))
  }

  /**
   * The device ports the records appended from now on belong to (append's
   * `port` indexes them): the bridge sets them each time it starts, before it
   * appends. Each record keeps the framing and the interface (`interfaces`)
   * of the port it came from.
   */
  get ports(): readonly CapturePort[] {
    return this.portTable
  }

  /**
   * Every interface the records still kept, and those appended from now on,
   * may name: a record's interface id indexes this (CaptureRecordView.interface).
   * It only grows (a new array each time) until the table starts afresh (see
   * setPorts and `interfaceGeneration`); the pcapng writer describes all of it.
   */
  get interfaces(): readonly CaptureInterface[] {
    return this.interfaceTable
  }

  /**
   * Counts the times the interface table started afresh (ids reused for
   * other interfaces); while it stays the same, `interfaces` only grows.
   */
  get interfaceGeneration(): number {
    return this.tableGeneration
  }

  /** The interface id of current port `port` (an index into `ports`). */
  portInterface(port: number): number {
    if (port >>> 0 !== port || port >= this.portCount) throw new RangeError(`the capture has ports 0 to ${this.portCount - 1}, not ${port}`)
    return this.portInterfaceIds[port]!
  }

  /**
   * Replaces the port table (1 to MAX_CAPTURE_PORTS ports); throws a
   * RangeError, changing nothing, if it cannot be one.
   *
   * Each port gets an interface id: that of an interface with the same name,
   * description and framing if the table has one (not already taken by an
   * earlier port of this call), else a new one appended to the table. Ids the
   * kept records name are never renumbered, so the table starts afresh only
   * when no kept record names it:
   * - when the ring holds no records (nothing was appended since it last
   *   started afresh), the table becomes the new ports' alone;
   * - when the new interfaces would take the table past
   *   MAX_CAPTURE_INTERFACES, the ring lets go of every record it holds (the
   *   tail moves to the head, as if they had all aged out) and starts a fresh
   *   table of the new ports. Readers behind see them as skipped. This takes
   *   255 distinct port settings in one ring's life, so it is rare, and simpler
   *   and safer than freeing only the ids no kept record names.
   */
  setPorts(ports: readonly CapturePort[]): void {
    if (ports.length < 1 || ports.length > MAX_CAPTURE_PORTS) throw new RangeError(`a capture has 1 to ${MAX_CAPTURE_PORTS} ports, not ${ports.length}`)
    for (const { framing } of ports) {
      if (framing.header.bytes > MAX_RECORD_HEADER) throw new RangeError(`a record header is at most ${MAX_RECORD_HEADER} bytes, not ${framing.header.bytes} (${framing.title})`)
    }
    this.portTable = Object.freeze(ports.map((port) => Object.freeze({ name: port.name, description: port.description, framing: port.framing })))
    let ids = this.tail === this.nextSeq ? null : this.interfaceIds(this.portTable)
    if (ids === null) {
      // Nothing kept names the old table (or it would overflow): start afresh.
      this.oldest = this.nextSeq
      this.tableGeneration++
      this.interfaceTable = []
      ids = this.interfaceIds(this.portTable)!
    }
    this.portInterfaceIds = ids
    this.portCount = ports.length
    this.portFramingCodes = Uint8Array.from(ports, (port) => framingCode(port.framing))
    this.portHeaderBytes = Uint8Array.from(ports, (port) => port.framing.header.bytes)
    this.portEncodes = Uint8Array.from(ports, (port) => (port.framing.encoder ? 1 : 0))
  }

  /**
   * Maps each port to an interface id, appending to the table the interfaces
   * it lacks; null (the table unchanged) if they would not fit.
   */
  private interfaceIds(ports: readonly CapturePort[]): Uint8Array<ArrayBuffer> | null {
    const table = this.interfaceTable
    const ids = new Uint8Array(ports.length)
    const taken = new Uint8Array(table.length)
    const added: CaptureInterface[] = []
    ports.forEach((port, i) => {
      const found = table.findIndex((iface, id) => taken[id] === 0 && sameInterface(iface, port))
      if (found >= 0) {
        taken[found] = 1
        ids[i] = found
      } else {
        ids[i] = table.length + added.length // may wrap when it does not fit: then unused
        added.push(port)
      }
    })
    if (table.length + added.length > MAX_CAPTURE_INTERFACES) return null
    if (added.length > 0) this.interfaceTable = Object.freeze([...table, ...added])
    return ids
  }

  /**
   * The framing of the first port. Setting it makes the capture one of a
   * single device in that framing (port 'uart1', described by its title).
   */
  get framing(): Framing {
    return this.portTable[0]!.framing
  }

  set framing(framing: Framing) {
    this.setPorts(onePort(framing))
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
   * Adds a record from device port `port` (an index into `ports`; a RangeError,
   * and nothing appended, if there is no such port). With `error` 0 it is a
   * wire record: the record header of the port's framing, then the frame;
   * otherwise it is the junk of a framing error, or text the framing carries
   * (counters.ts TextRecord). A record longer than dataBytes is cut to it
   * (`wireLength` still says how long it was).
   */
  append(time: number, direction: DirectionCode, error: number, source: Uint8Array, start: number, length: number, wireLength = length, port = 0): number {
    if (port >>> 0 !== port || port >= this.portCount) throw new RangeError(`the capture has ports 0 to ${this.portCount - 1}, not ${port}`)
    const kept = Math.min(length, this.dataBytes)
    if (error !== 0) return this.appendJunk(time, direction, error, source, start, kept, wireLength, port)
    const headerBytes = this.portHeaderBytes[port]!
    const frameLength = kept - headerBytes
    if (frameLength < 0) throw new RangeError(`a frame record starts with its ${headerBytes}-byte record header`)
    const blockLength = epbLength(frameLength)
    const at = this.place(blockLength)
    this.data.set(source.subarray(start + headerBytes, start + headerBytes + frameLength), at + EPB_HEADER_BYTES)
    // The frame's own length: an encoded (escaped) record's wire bytes are more than the frame had.
    const originalLength = this.portEncodes[port] ? length - headerBytes : wireLength - headerBytes
    writeEpbAround(this.dataView, at, epochMicroseconds(time), epbDirection(direction), frameLength, originalLength, this.portInterfaceIds[port]!)
    const slot = this.nextSeq % this.capacity
    let header = 0
    for (let i = 0; i < headerBytes; i++) header = header * 256 + source[start + i]!
    this.headers[slot] = header
    return this.commit(slot, time, direction, error, kept, wireLength, blockLength, port)
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
      // The bytes before the frame are the end of the block's original
      // length: they hold the record's header while the reader looks, so it
      // sees the wire record whole. (So ring memory is never handed to
      // asynchronous writes: the pcapng writer writes it synchronously or
      // copies it.)
      const at = view.offset
      const width = view.headerBytes
      const lent = this.dataView.getUint32(at + width - MAX_RECORD_HEADER)
      for (let i = width - 1, header = this.headers[slot]!; i >= 0; i--, header >>>= 8) data[at + i] = header & 0xff
      try {
        visit(view)
      } finally {
        this.dataView.setUint32(at + width - MAX_RECORD_HEADER, lent)
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

  private appendJunk(time: number, direction: DirectionCode, error: number, source: Uint8Array, start: number, kept: number, wireLength: number, port: number): number {
    const at = this.place(kept)
    this.data.set(source.subarray(start, start + kept), at)
    return this.commit(this.nextSeq % this.capacity, time, direction, error, kept, wireLength, 0, port)
  }

  /** Where the next record's `bytes` go: records never wrap, so this may skip the area's tail end. */
  private place(bytes: number): number {
    const size = this.data.length
    const offset = this.written % size
    if (offset + bytes <= size) return offset
    this.written += size - offset
    return 0
  }

  private commit(slot: number, time: number, direction: DirectionCode, error: number, length: number, wireLength: number, blockLength: number, port: number): number {
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
    this.framingCodes[slot] = this.portFramingCodes[port]!
    this.recordInterfaces[slot] = this.portInterfaceIds[port]!
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
    const frameRecord = this.blockLengths[slot] !== 0
    view.framing = this.framingCodes[slot]!
    view.interface = this.recordInterfaces[slot]!
    view.headerBytes = frameRecord ? framingOfCode(view.framing).header.bytes : 0
    view.offset = frameRecord ? at + EPB_HEADER_BYTES - view.headerBytes : at
    view.length = this.lengths[slot]!
    return slot
  }
}
