// Device → host writes to the TUN, off the main thread. The kernel's work per
// packet (one write each: a TUN takes no batches) then overlaps with parsing
// the next read. One batch is in flight at a time so packets keep their
// order. While one more waits, the queue is congested and the bridge stops
// reading the UART (the device side then waits, as a UART with flow control
// would); past a hard bound a batch is dropped and counted.
import type { TunDevice } from '../native/index.js'
import { BufferPool } from './bufferPool.js'
import type { Counters } from './counters.js'

const MAX_QUEUED_BYTES = 8 * 1024 * 1024

interface Batch {
  chunk: Uint8Array
  spans: Uint32Array
  count: number
  bytes: number
}

export class TunWriteQueue {
  private inFlight = false
  private closed = false
  private readonly pending: Batch[] = []
  private pendingBytes = 0
  private readonly pool = new BufferPool(256 * 1024, 8)

  constructor(
    private readonly tun: TunDevice,
    private readonly counters: Counters,
    /** Called when the queue stops being congested. */
    private readonly onDrained: () => void
  ) {}

  /** A batch is waiting behind the one in flight: stop producing more. */
  get congested(): boolean {
    return this.pending.length > 0
  }

  /**
   * Queues `count` packets given as increasing [start, length] spans into
   * `source`, which the caller may reuse as soon as this returns.
   */
  write(source: Uint8Array, spans: Uint32Array, count: number): void {
    if (this.closed || count === 0) return
    // The packets sit close together in the decoder's buffer: one copy of the
    // whole region beats one per packet.
    const regionStart = spans[0]!
    const regionEnd = spans[2 * count - 2]! + spans[2 * count - 1]!
    const bytes = regionEnd - regionStart
    if (this.pendingBytes + bytes > MAX_QUEUED_BYTES) {
      this.counters.drops.backPressure += count
      return
    }
    const chunk = this.pool.take(bytes)
    chunk.set(source.subarray(regionStart, regionEnd))
    const own = spans.slice(0, 2 * count)
    for (let i = 0; i < 2 * count; i += 2) own[i]! -= regionStart
    const batch = { chunk, spans: own, count, bytes }
    if (this.inFlight) {
      this.pending.push(batch)
      this.pendingBytes += bytes
    } else {
      this.start(batch)
    }
  }

  /** Drops what is queued; a batch already in flight finishes. */
  close(): void {
    this.closed = true
    this.pending.length = 0
    this.pendingBytes = 0
  }

  private start(batch: Batch): void {
    this.inFlight = true
    this.tun.writePacketsAsync(batch.chunk, batch.spans, batch.count, (written) => {
      this.counters.drops.tunWriteError += batch.count - written
      this.pool.give(batch.chunk)
      const next = this.pending.shift()
      if (next && !this.closed) {
        this.pendingBytes -= next.bytes
        this.start(next)
        if (this.pending.length === 0) this.onDrained()
      } else {
        this.inFlight = false
      }
    })
  }
}
