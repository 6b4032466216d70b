// The frames the window holds: a bounded, columnar store (typed arrays and one
// byte arena, nothing allocated per frame) fed from the engine's batches.
// Frames are addressed by an absolute index that only grows; the oldest are
// dropped when the store is full.
import type { Framing } from '../../../engine/framing/framing'
import { framingOfCode } from '../../../engine/framing'
import type { FrameRecord } from '../../../shared/frameBatch'
import { classifyRecord, FrameFacts } from '../lib/frameFacts'

const NOT_CLASSIFIED = 0xffff

export class FrameStore {
  private readonly seqs: Float64Array
  private readonly times: Float64Array
  private readonly wireLengths: Uint32Array
  private readonly lengths: Uint32Array
  private readonly positions: Float64Array
  private readonly directions: Uint8Array
  private readonly errors: Uint8Array
  private readonly framings: Uint8Array
  /** The capture port (device) of each record: StatusMessage.interfaces names it. */
  private readonly ports: Uint8Array
  private readonly protocolBits: Uint16Array
  private readonly arena: Uint8Array
  private next = 0
  private first = 0
  private written = 0 // monotonic arena position of the next frame's bytes
  private readonly facts = new FrameFacts()
  /** Records held per port since the last clear (ports are bytes): how many devices the list shows. */
  private readonly portSeen = new Uint8Array(256)
  private portsSeen = 0

  constructor(readonly capacity = 200_000, arenaBytes = 64 * 1024 * 1024) {
    this.seqs = new Float64Array(capacity)
    this.times = new Float64Array(capacity)
    this.wireLengths = new Uint32Array(capacity)
    this.lengths = new Uint32Array(capacity)
    this.positions = new Float64Array(capacity)
    this.directions = new Uint8Array(capacity)
    this.errors = new Uint8Array(capacity)
    this.framings = new Uint8Array(capacity)
    this.ports = new Uint8Array(capacity)
    this.protocolBits = new Uint16Array(capacity)
    this.arena = new Uint8Array(arenaBytes)
  }

  /** Absolute index of the oldest frame held. */
  get firstIndex(): number {
    return this.first
  }

  /** Absolute index the next frame will get. */
  get nextIndex(): number {
    return this.next
  }

  get size(): number {
    return this.next - this.first
  }

  /** Adds one record (copying its bytes); returns its absolute index. */
  append(r: FrameRecord): number {
    const size = this.arena.length
    const kept = Math.min(r.length, size)
    let at = this.written % size
    if (at + kept > size) {
      this.written += size - at // bytes never wrap: skip the arena's tail end
      at = 0
    }
    this.arena.set(r.data.subarray(r.offset, r.offset + kept), at)
    const slot = this.next % this.capacity
    this.seqs[slot] = r.seq
    this.times[slot] = r.time
    this.wireLengths[slot] = r.wireLength
    this.lengths[slot] = kept
    this.positions[slot] = this.written
    this.directions[slot] = r.direction
    this.errors[slot] = r.error
    this.framings[slot] = r.framing ?? 0
    const port = r.port ?? 0
    this.ports[slot] = port
    if (this.portSeen[port] === 0) {
      this.portSeen[port] = 1
      this.portsSeen++
    }
    this.protocolBits[slot] = NOT_CLASSIFIED
    this.written += kept
    this.next++
    // Drop what the new frame pushed out: over capacity, or bytes overwritten.
    this.first = Math.max(this.first, this.next - this.capacity)
    while (this.first < this.next && this.positions[this.first % this.capacity]! < this.written - size) this.first++
    return this.next - 1
  }

  clear(): void {
    this.first = this.next
    this.portSeen.fill(0)
    this.portsSeen = 0
  }

  /** How many capture ports (devices) the frames since the last clear came from or went to. */
  get devicesSeen(): number {
    return this.portsSeen
  }

  has(index: number): boolean {
    return index >= this.first && index < this.next
  }

  seq(index: number): number {
    return this.seqs[index % this.capacity]!
  }

  /** ms after the engine's time origin. */
  time(index: number): number {
    return this.times[index % this.capacity]!
  }

  direction(index: number): number {
    return this.directions[index % this.capacity]!
  }

  /** The capture port (device) of the record: StatusMessage.interfaces[port] is its name. */
  port(index: number): number {
    return this.ports[index % this.capacity]!
  }

  error(index: number): number {
    return this.errors[index % this.capacity]!
  }

  wireLength(index: number): number {
    return this.wireLengths[index % this.capacity]!
  }

  /** The framing the record came in: its record header starts the record's bytes. */
  framing(index: number): Framing {
    return framingOfCode(this.framings[index % this.capacity]!)
  }

  /** Proto bits (lib/frameFacts) of the frame, worked out when first asked (only shown rows are). */
  protocols(index: number): number {
    const slot = index % this.capacity
    if (this.protocolBits[slot] === NOT_CLASSIFIED) {
      this.factsOf(index, this.facts)
      this.protocolBits[slot] = this.facts.protocols
    }
    return this.protocolBits[slot]!
  }

  /** The raw wire record (the framing's record header included); a view, valid until the frame is dropped. */
  bytes(index: number): Uint8Array {
    const slot = index % this.capacity
    const at = this.positions[slot]! % this.arena.length
    return this.arena.subarray(at, at + this.lengths[slot]!)
  }

  /** Fills `out` with the frame's facts for a filter. */
  factsOf(index: number, out: FrameFacts): void {
    const slot = index % this.capacity
    const at = this.positions[slot]! % this.arena.length
    classifyRecord(this.arena, at, this.lengths[slot]!, this.directions[slot]!, this.errors[slot]!, this.wireLengths[slot]!, out, framingOfCode(this.framings[slot]!))
    out.port = this.ports[slot]!
  }
}
