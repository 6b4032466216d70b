import { describe, expect, it } from 'vitest'
import { CaptureRing, Direction, type DirectionCode } from '../../src/engine/capture/ring'
import { FramingError } from '../../src/engine/counters'
import { FrameFeed, type FrameSink } from '../../src/service/frameFeed'
import { readFrameBatch } from '../../src/shared/frameBatch'
import * as fx from '../decode/fixtures'
import { record } from '../helpers/frames'

// frameFeed.ts keeps these to itself; the tests pin them.
const MAX_FRAMES_PER_BATCH = 2048
const MAX_LAG = 65_536
const MAX_BYTES_PER_BATCH = 1024 * 1024
const MAX_BACKLOG = 4 * 1024 * 1024
const BATCH_HEADER_BYTES = 8
const RECORD_HEADER_BYTES = 28

interface Got {
  seq: number
  time: number
  direction: number
  error: number
  wireLength: number
  bytes: number[]
}

/** Records every batch sent; its backlog is whatever the test sets. */
class FakeSink implements FrameSink {
  readonly batches: Uint8Array[] = []
  queued = 0

  sendFrames(batch: Uint8Array): void {
    this.batches.push(batch)
  }

  backlog(): number {
    return this.queued
  }

  /** The records of batch `n`, decoded. */
  batch(n: number): Got[] {
    const out: Got[] = []
    const count = readFrameBatch(this.batches[n]!, (r) => {
      out.push({ seq: r.seq, time: r.time, direction: r.direction, error: r.error, wireLength: r.wireLength, bytes: Array.from(r.data.subarray(r.offset, r.offset + r.length)) })
    })
    expect(count).toBe(out.length) // a well-formed batch (never -1)
    expect(count).toBeGreaterThan(0) // and never an empty one
    return out
  }

  /** Every record sent so far, in order. */
  all(): Got[] {
    return this.batches.flatMap((_, n) => this.batch(n))
  }

  seqs(): number[] {
    return this.all().map((r) => r.seq)
  }
}

/** `length` bytes that name the record they belong to. */
function tagged(seq: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seq * 13 + i) & 0xff)
}

/** Appends `n` records of `length` tagged bytes; returns the first one's seq. */
function fill(ring: CaptureRing, n: number, length: number): number {
  const first = ring.head
  for (let i = 0; i < n; i++) {
    const seq = ring.head
    ring.append(seq, Direction.fromDevice, 0, tagged(seq, length), 0, length)
  }
  return first
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

/** Ticks until nothing more is sent; returns how many batches that took. */
function drain(feed: FrameFeed, ring: CaptureRing, sink: FakeSink): number {
  let ticks = 0
  for (let sent = -1; sent !== sink.batches.length; ticks++) {
    sent = sink.batches.length
    feed.tick(ring)
  }
  return ticks - 1
}

describe('FrameFeed: a client that keeps up', () => {
  it('gets every record exactly once, in order, with its fields and bytes', () => {
    const ring = new CaptureRing({ dataBytes: 16 * 1024, maxRecords: 64 })
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    const names = Object.keys(fx.fixtures) as (keyof typeof fx.fixtures)[]
    const want: Got[] = []
    let time = 1000
    names.forEach((name, i) => {
      const wire = i % 5 === 4 ? Uint8Array.of(0x41, 0x42) : record(fx.fixtures[name])
      const error = i % 5 === 4 ? FramingError.tooShort : FramingError.none
      const wireLength = i % 5 === 4 ? 7 : wire.length
      const direction = (i % 2) as DirectionCode
      time += 0.125 * i
      const seq = ring.append(time, direction, error, wire, 0, wire.length, wireLength)
      want.push({ seq, time, direction, error, wireLength, bytes: Array.from(wire) })
      if (i % 3 === 2) feed.tick(ring) // a tick now and then, with 1..3 new records
    })
    feed.tick(ring)
    expect(sink.all()).toEqual(want)
    expect(sink.batches.length).toBe(Math.ceil(names.length / 3))
    expect(feed.notShown).toBe(0)
  })

  it('sends nothing when nothing arrived', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 16 })
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    feed.tick(ring)
    expect(sink.batches).toEqual([])
    fill(ring, 3, 10)
    feed.tick(ring)
    feed.tick(ring)
    expect(sink.batches.length).toBe(1)
    expect(sink.seqs()).toEqual([0, 1, 2])
  })

  it('feeds each client at its own pace from the one ring', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 64 })
    const fast = new FakeSink()
    const slow = new FakeSink()
    const fastFeed = new FrameFeed(fast, ring)
    const slowFeed = new FrameFeed(slow, ring)
    for (let round = 0; round < 5; round++) {
      fill(ring, 4, 8)
      fastFeed.tick(ring)
      if (round % 2 === 1) slowFeed.tick(ring)
    }
    slowFeed.tick(ring)
    expect(fast.seqs()).toEqual(range(0, 20))
    expect(slow.seqs()).toEqual(range(0, 20))
    expect([fast.batches.length, slow.batches.length]).toEqual([5, 3])
  })
})

describe('FrameFeed: batch size caps', () => {
  it(`sends at most ${MAX_FRAMES_PER_BATCH} records a batch and the rest on the next ticks`, () => {
    const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 8192 })
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    fill(ring, 5000, 4)
    expect(drain(feed, ring, sink)).toBe(3)
    expect(sink.batches.map((_, n) => sink.batch(n).length)).toEqual([2048, 2048, 904])
    expect(sink.seqs()).toEqual(range(0, 5000))
    expect(feed.notShown).toBe(0)
  })

  it('stops a batch once it holds a megabyte and carries on from the first record left', () => {
    const length = 1500
    const ring = new CaptureRing({ dataBytes: 4 * 1024 * 1024, maxRecords: 4096 })
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    fill(ring, 2000, length)
    drain(feed, ring, sink)
    // A record is added while the batch is still under the cap, so a full batch
    // is the shortest run of records that reaches it.
    const perRecord = RECORD_HEADER_BYTES + length
    const full = Math.ceil((MAX_BYTES_PER_BATCH - BATCH_HEADER_BYTES) / perRecord)
    expect(sink.batches.map((_, n) => sink.batch(n).length)).toEqual([full, full, 2000 - 2 * full])
    for (const batch of sink.batches.slice(0, 2)) {
      expect(batch.length).toBe(BATCH_HEADER_BYTES + full * perRecord)
      expect(batch.length - perRecord).toBeLessThan(MAX_BYTES_PER_BATCH)
    }
    const all = sink.all()
    expect(all.map((r) => r.seq)).toEqual(range(0, 2000))
    expect(all.every((r) => r.bytes.length === length && r.bytes[0] === tagged(r.seq, 1)[0])).toBe(true)
    expect(feed.notShown).toBe(0)
  })

  it('sends a record bigger than the byte cap on its own', () => {
    const ring = new CaptureRing({ dataBytes: 4 * 1024 * 1024, maxRecords: 16 })
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    fill(ring, 1, MAX_BYTES_PER_BATCH + 10)
    fill(ring, 2, 10)
    expect(drain(feed, ring, sink)).toBe(2)
    expect(sink.batch(0).map((r) => [r.seq, r.bytes.length])).toEqual([[0, MAX_BYTES_PER_BATCH + 10]])
    expect(sink.batch(1).map((r) => r.seq)).toEqual([1, 2])
  })
})

describe('FrameFeed: a client that falls behind', () => {
  // Big enough to hold more than MAX_LAG small records.
  const bigRing = (): CaptureRing => new CaptureRing({ dataBytes: 1024 * 1024, maxRecords: 131_072 })

  it(`skips to the newest ${MAX_LAG} when more than that are waiting, counting the skipped ones`, () => {
    const ring = bigRing()
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    fill(ring, 3, 4)
    feed.tick(ring) // keeping up so far
    fill(ring, MAX_LAG + 1000, 4) // head is now MAX_LAG + 1003
    feed.tick(ring)
    expect(feed.notShown).toBe(1000)
    expect(sink.batch(1)[0]!.seq).toBe(1003)
    drain(feed, ring, sink)
    expect(sink.seqs()).toEqual([0, 1, 2, ...range(1003, MAX_LAG + 1003)])
    expect(feed.notShown).toBe(1000) // nothing else skipped while catching up
  })

  it(`does not skip at exactly ${MAX_LAG} behind, and skips one at one more`, () => {
    for (const behind of [MAX_LAG, MAX_LAG + 1]) {
      const ring = bigRing()
      const sink = new FakeSink()
      const feed = new FrameFeed(sink, ring)
      fill(ring, behind, 4)
      drain(feed, ring, sink)
      expect(feed.notShown).toBe(behind - MAX_LAG)
      expect(sink.seqs()).toEqual(range(behind - MAX_LAG, behind))
    }
  })

  it('counts the records the ring dropped before the client read them (record limit)', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 8 })
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    fill(ring, 5, 10)
    feed.tick(ring)
    fill(ring, 20, 10) // head 25: the ring keeps 17..24
    feed.tick(ring)
    expect(feed.notShown).toBe(12)
    expect(sink.seqs()).toEqual([...range(0, 5), ...range(17, 25)])
    expect(sink.batch(1).every((r) => r.bytes.join() === Array.from(tagged(r.seq, 10)).join())).toBe(true)
  })

  it('counts the records the ring dropped before the client read them (data wrapped over)', () => {
    const ring = new CaptureRing({ dataBytes: 100, maxRecords: 1000 })
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    fill(ring, 10, 30) // three records fit in 100 bytes: 7, 8, 9 are left
    feed.tick(ring)
    expect(feed.notShown).toBe(7)
    expect(sink.seqs()).toEqual([7, 8, 9])
    expect(sink.all().map((r) => r.bytes)).toEqual([7, 8, 9].map((seq) => Array.from(tagged(seq, 30))))
  })
})

describe('FrameFeed: backlog', () => {
  it(`skips a tick while more than ${MAX_BACKLOG} bytes are queued, then carries on where it was`, () => {
    const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 1024 })
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    fill(ring, 10, 16)
    sink.queued = MAX_BACKLOG + 1
    feed.tick(ring)
    fill(ring, 10, 16)
    feed.tick(ring)
    expect(sink.batches).toEqual([])
    sink.queued = MAX_BACKLOG // at the limit, not over it
    feed.tick(ring)
    expect(sink.seqs()).toEqual(range(0, 20))
    expect(feed.notShown).toBe(0)
  })

  it('counts what the ring dropped while the client was held back', () => {
    const ring = new CaptureRing({ dataBytes: 64 * 1024, maxRecords: 16 })
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    sink.queued = MAX_BACKLOG + 1
    fill(ring, 40, 16)
    feed.tick(ring)
    expect([sink.batches.length, feed.notShown]).toEqual([0, 0])
    sink.queued = 0
    feed.tick(ring)
    expect(feed.notShown).toBe(24)
    expect(sink.seqs()).toEqual(range(24, 40))
  })
})

describe('FrameFeed: a new client', () => {
  it(`starts at most ${MAX_LAG} records back, without counting the older ones as not shown`, () => {
    const ring = new CaptureRing({ dataBytes: 1024 * 1024, maxRecords: 131_072 })
    fill(ring, MAX_LAG + 500, 4)
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    drain(feed, ring, sink)
    expect(sink.seqs()).toEqual(range(500, MAX_LAG + 500))
    expect(feed.notShown).toBe(0)
  })

  it('starts at the oldest record the ring still holds', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 8 })
    fill(ring, 30, 10)
    const sink = new FakeSink()
    const feed = new FrameFeed(sink, ring)
    fill(ring, 2, 10)
    feed.tick(ring)
    // Records 22..29 were held when it joined; 22 and 23 fell out before the first tick.
    expect(sink.seqs()).toEqual(range(24, 32))
    expect(feed.notShown).toBe(2)
  })
})
