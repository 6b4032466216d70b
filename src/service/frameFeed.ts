// Feeds one UI client the captured frames: at most ~30 binary batches a
// second, read from the capture ring (never from the data path). A client that
// cannot keep up gets the newest frames and a count of those it never saw;
// the engine's counters stay exact either way.
import type { CaptureRecordView, CaptureRing } from '../engine/capture/ring.js'
import { FrameBatchWriter } from '../shared/frameBatch.js'

/**
 * Frames per batch at most: 30 batches/s list up to ~60 000 frames/s, far
 * beyond any UART (115 200 baud carries at most ~180 frames/s); a faster flood
 * is sampled so the page stays responsive, and the counters stay exact.
 */
const MAX_FRAMES_PER_BATCH = 2048
/** A client further behind than this skips ahead (and a new client starts this far back). */
const MAX_LAG = 65_536
/** Bytes per batch at most (what a WebSocket or MessagePort carries without stalling the UI). */
const MAX_BYTES_PER_BATCH = 1024 * 1024
/** Skip a tick while this much is still queued towards the client. */
const MAX_BACKLOG = 4 * 1024 * 1024

export interface FrameSink {
  sendFrames(batch: Uint8Array): void
  backlog(): number
}

export class FrameFeed {
  /** Frames captured but skipped for this client. */
  notShown = 0
  private readonly writer = new FrameBatchWriter()
  /** First record left for the next tick because the batch was full. */
  private leftFrom = -1
  private readonly visit = (r: CaptureRecordView): void => {
    if (this.leftFrom >= 0) return
    if (this.writer.byteLength >= MAX_BYTES_PER_BATCH) this.leftFrom = r.seq
    else this.writer.add(r.seq, r.time, r.direction, r.error, r.wireLength, r.framing, r.port, r.data, r.offset, r.length)
  }

  private cursor: number

  constructor(
    private readonly sink: FrameSink,
    ring: CaptureRing
  ) {
    this.cursor = Math.max(ring.tail, ring.head - MAX_LAG)
  }

  /** Sends what arrived since the last tick (or part of it, see MAX_*). */
  tick(ring: CaptureRing): void {
    const head = ring.head
    if (this.cursor >= head || this.sink.backlog() > MAX_BACKLOG) return
    const from = Math.max(this.cursor, ring.tail, head - MAX_LAG)
    this.notShown += from - this.cursor
    this.leftFrom = -1
    const end = ring.read(from, Math.min(head, from + MAX_FRAMES_PER_BATCH), this.visit)
    this.cursor = this.leftFrom >= 0 ? this.leftFrom : end
    if (this.writer.records > 0) this.sink.sendFrames(this.writer.take())
  }
}
