import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CaptureRing, Direction, type CaptureRecordView, type DirectionCode } from '../../src/engine/capture/ring'
import { FramingError } from '../../src/engine/counters'
import { BLOCK_EPB, parseEnhancedPacket, splitBlockRun } from './pcapngFile'

/** A record as a reader saw it, bytes copied out of the callback. */
interface Seen {
  seq: number
  time: number
  direction: DirectionCode
  error: number
  wireLength: number
  bytes: number[]
  /** The view's length (its bytes view was checked to be exactly this long while valid). */
  viewLength: number
}

function readAll(ring: CaptureRing, from: number, to = Number.MAX_SAFE_INTEGER): { seen: Seen[]; next: number } {
  const seen: Seen[] = []
  const next = ring.read(from, to, (r: CaptureRecordView) => {
    // The view's bytes are data[offset, offset + length): inside the data area, and exactly that long.
    expect(r.offset).toBeGreaterThanOrEqual(0)
    expect(r.offset + r.length).toBeLessThanOrEqual(r.data.length)
    const bytes = r.bytes
    expect(bytes.byteLength).toBe(r.length)
    expect(bytes.buffer).toBe(r.data.buffer)
    expect(bytes.byteOffset).toBe(r.data.byteOffset + r.offset)
    seen.push({
      seq: r.seq, time: r.time, direction: r.direction, error: r.error, wireLength: r.wireLength,
      bytes: Array.from(bytes), viewLength: r.length
    })
  })
  return { seen, next }
}

/** Distinct content for record `seq`: every byte says which record it belongs to. */
function recordBytes(seq: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = (seq * 31 + i * 7 + (i >> 8)) & 0xff
  return bytes
}

describe('CaptureRing: append and read', () => {
  it('round-trips time, direction, error code, bytes and wireLength', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 16 })
    // The source is a larger buffer; only [start, start + length) is the record.
    const source = recordBytes(99, 200)
    const records = [
      { time: 0, direction: Direction.fromDevice, error: FramingError.none, start: 10, length: 62, wireLength: 62 },
      { time: 1234.5678, direction: Direction.toDevice, error: FramingError.none, start: 0, length: 200, wireLength: 200 },
      { time: 86_400_000.001, direction: Direction.fromDevice, error: FramingError.tooLong, start: 5, length: 40, wireLength: 1600 },
      { time: 5e9, direction: Direction.toDevice, error: FramingError.slipEscape, start: 199, length: 1, wireLength: 1 },
      { time: 7.25, direction: Direction.fromDevice, error: FramingError.zeroLength, start: 0, length: 0, wireLength: 2 }
    ]
    for (const r of records) ring.append(r.time, r.direction, r.error, source, r.start, r.length, r.wireLength)
    const { seen } = readAll(ring, 0)
    expect(seen).toEqual(records.map((r, seq) => ({
      seq, time: r.time, direction: r.direction, error: r.error, wireLength: r.wireLength,
      bytes: Array.from(source.subarray(r.start, r.start + r.length)), viewLength: r.length
    })))
  })

  it('keeps every framing error code', () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 16 })
    const codes = Object.values(FramingError)
    // Two bytes: with code 0 (none) the record is a wire record, which starts with its length prefix.
    for (const code of codes) ring.append(1, Direction.fromDevice, code, Uint8Array.of(0, code), 0, 2)
    expect(readAll(ring, 0).seen.map((r) => r.error)).toEqual(codes)
  })

  it('wireLength defaults to the length appended', () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 16 })
    ring.append(1, Direction.toDevice, 0, recordBytes(0, 64), 0, 64)
    expect(readAll(ring, 0).seen[0]!.wireLength).toBe(64)
  })

  it('copies the bytes on append (later changes to the source do not show)', () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 16 })
    const source = recordBytes(1, 32)
    ring.append(1, Direction.toDevice, 0, source, 0, 32)
    source.fill(0xee)
    expect(readAll(ring, 0).seen[0]!.bytes).toEqual(Array.from(recordBytes(1, 32)))
  })
})

describe('CaptureRing: sequence numbers', () => {
  it('append returns 0, 1, 2, … and head counts every record ever appended', () => {
    const ring = new CaptureRing({ dataBytes: 256, maxRecords: 4 })
    expect(ring.head).toBe(0)
    expect(ring.tail).toBe(0)
    for (let i = 0; i < 50; i++) {
      expect(ring.append(i, Direction.fromDevice, 0, recordBytes(i, 20), 0, 20)).toBe(i)
      expect(ring.head).toBe(i + 1)
    }
  })

  it('read visits records in sequence order, each with its own seq', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 64 })
    for (let i = 0; i < 20; i++) ring.append(i, Direction.toDevice, 0, recordBytes(i, 10 + i), 0, 10 + i)
    const { seen, next } = readAll(ring, 5, 12)
    expect(seen.map((r) => r.seq)).toEqual([5, 6, 7, 8, 9, 10, 11])
    expect(seen.map((r) => r.time)).toEqual([5, 6, 7, 8, 9, 10, 11])
    for (const r of seen) expect(r.bytes).toEqual(Array.from(recordBytes(r.seq, 10 + r.seq)))
    expect(next).toBe(12)
  })

  it('reading at or past head visits nothing and keeps the cursor', () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 8 })
    for (let i = 0; i < 3; i++) ring.append(i, Direction.toDevice, 0, recordBytes(i, 8), 0, 8)
    expect(readAll(ring, 3)).toEqual({ seen: [], next: 3 })
    // `to` beyond head is clamped to head
    expect(readAll(ring, 1, 100).next).toBe(3)
  })
})

describe('CaptureRing: a reader that fell behind', () => {
  it('gets only the records still complete after the data area wrapped, and its cursor continues', () => {
    // 100 data bytes, 30-byte records: records are never split, so the fourth
    // skips the last 10 bytes and starts over at 0, overwriting record 0 only.
    const ring = new CaptureRing({ dataBytes: 100, maxRecords: 1000 })
    for (let i = 0; i < 4; i++) ring.append(i, Direction.fromDevice, 0, recordBytes(i, 30), 0, 30)
    let { seen, next } = readAll(ring, 0)
    expect(seen.map((r) => r.seq)).toEqual([1, 2, 3])
    for (const r of seen) expect(r.bytes).toEqual(Array.from(recordBytes(r.seq, 30)))
    expect(next).toBe(4)

    // Many laps later, the old cursor 4 is long gone.
    for (let i = 4; i < 40; i++) ring.append(i, Direction.fromDevice, 0, recordBytes(i, 30), 0, 30)
    ;({ seen, next } = readAll(ring, 4))
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.at(-1)!.seq).toBe(39)
    expect(seen[0]!.seq).toBe(ring.tail)
    expect(seen.length * 30).toBeLessThanOrEqual(100)
    for (const r of seen) expect(r.bytes).toEqual(Array.from(recordBytes(r.seq, 30)))
    expect(next).toBe(40)

    // Continuing from the returned cursor gives exactly the new records, no gap, no repeat.
    ring.append(40, Direction.toDevice, 0, recordBytes(40, 30), 0, 30)
    ring.append(41, Direction.toDevice, 0, recordBytes(41, 30), 0, 30)
    ;({ seen, next } = readAll(ring, next))
    expect(seen.map((r) => r.seq)).toEqual([40, 41])
    expect(next).toBe(42)
  })

  it('loses the oldest records when the record slots run out', () => {
    const ring = new CaptureRing({ dataBytes: 1 << 16, maxRecords: 4 })
    for (let i = 0; i < 10; i++) ring.append(i, Direction.fromDevice, 0, recordBytes(i, 16), 0, 16)
    expect(ring.tail).toBe(6)
    const { seen, next } = readAll(ring, 0)
    expect(seen.map((r) => r.seq)).toEqual([6, 7, 8, 9])
    for (const r of seen) expect(r.bytes).toEqual(Array.from(recordBytes(r.seq, 16)))
    expect(next).toBe(10)
  })

  it('a reader whose range is entirely gone is moved to the tail', () => {
    const ring = new CaptureRing({ dataBytes: 1 << 16, maxRecords: 4 })
    for (let i = 0; i < 10; i++) ring.append(i, Direction.fromDevice, 0, recordBytes(i, 16), 0, 16)
    expect(readAll(ring, 0, 3)).toEqual({ seen: [], next: 6 })
  })
})

describe('CaptureRing: records longer than the data area', () => {
  it('are cut to the data area; wireLength still says how long they were', () => {
    const ring = new CaptureRing({ dataBytes: 64, maxRecords: 8 })
    ring.append(1, Direction.fromDevice, 0, recordBytes(0, 10), 0, 10)
    const long = recordBytes(1, 150)
    ring.append(2, Direction.toDevice, 0, long, 0, 150)
    const { seen } = readAll(ring, 0)
    // The long record fills the whole area: the one before it is gone.
    expect(seen.map((r) => r.seq)).toEqual([1])
    expect(seen[0]!.viewLength).toBe(64)
    expect(seen[0]!.bytes).toEqual(Array.from(long.subarray(0, 64)))
    expect(seen[0]!.wireLength).toBe(150)
  })

  it('with an explicit wireLength keep that wireLength', () => {
    const ring = new CaptureRing({ dataBytes: 32, maxRecords: 8 })
    ring.append(1, Direction.fromDevice, FramingError.tooLong, recordBytes(5, 100), 0, 100, 5000)
    const { seen } = readAll(ring, 0)
    expect(seen[0]!.bytes).toEqual(Array.from(recordBytes(5, 100).subarray(0, 32)))
    expect(seen[0]!.wireLength).toBe(5000)
  })

  it('the next record after a full-area record replaces it', () => {
    const ring = new CaptureRing({ dataBytes: 32, maxRecords: 8 })
    ring.append(1, Direction.fromDevice, 0, recordBytes(0, 100), 0, 100)
    ring.append(2, Direction.fromDevice, 0, recordBytes(1, 4), 0, 4)
    const { seen } = readAll(ring, 0)
    expect(seen.map((r) => r.seq)).toEqual([1])
    expect(seen[0]!.bytes).toEqual(Array.from(recordBytes(1, 4)))
  })
})

// ---------------------------------------------------------------- properties

type Op =
  | { kind: 'append'; length: number; direction: DirectionCode; error: number; extraWire: number; time: number }
  | { kind: 'read'; fromBack: number; span: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      // Up to 400 bytes: often larger than the ring's data area (16..256).
      length: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 400 })),
      direction: fc.constantFrom(Direction.fromDevice, Direction.toDevice),
      error: fc.integer({ min: 0, max: 6 }),
      extraWire: fc.integer({ min: 0, max: 3000 }),
      time: fc.double({ min: 0, max: 1e10, noNaN: true })
    })
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      // Cursor relative to head: 0 = head, large = long gone (also beyond seq 0).
      fromBack: fc.integer({ min: -2, max: 80 }),
      span: fc.integer({ min: 0, max: 100 })
    })
  }
)

describe('CaptureRing: properties', () => {
  it('never returns torn bytes: every record read equals what was appended under that seq', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 256 }),
        fc.integer({ min: 1, max: 32 }),
        fc.array(opArb, { minLength: 1, maxLength: 300, size: 'max' }),
        (dataBytes, maxRecords, ops) => {
          const ring = new CaptureRing({ dataBytes, maxRecords })
          const appended: { time: number; direction: DirectionCode; error: number; wireLength: number; bytes: Uint8Array }[] = []
          let lastTail = 0
          let reader = 0 // a reader that always continues from the returned cursor
          const checkRecord = (r: Seen): void => {
            const want = appended[r.seq]
            expect(want, `seq ${r.seq} was never appended`).toBeDefined()
            const kept = want!.bytes.subarray(0, Math.min(want!.bytes.length, dataBytes))
            expect(r.viewLength).toBe(kept.length)
            expect(r.bytes).toEqual(Array.from(kept))
            expect(r.time).toBe(want!.time)
            expect(r.direction).toBe(want!.direction)
            expect(r.error).toBe(want!.error)
            expect(r.wireLength).toBe(want!.wireLength)
          }
          const checkRead = (from: number, to: number): number => {
            const { seen, next } = readAll(ring, from, to)
            const tail = ring.tail
            const first = Math.max(from, tail)
            const end = Math.min(to, ring.head)
            // Exactly the records [max(from, tail), min(to, head)) in order.
            const expected: number[] = []
            for (let s = first; s < end; s++) expected.push(s)
            expect(seen.map((r) => r.seq)).toEqual(expected)
            for (const r of seen) checkRecord(r)
            expect(next).toBe(Math.max(first, end))
            return next
          }
          for (const op of ops) {
            if (op.kind === 'append') {
              // A wire record (error 0) has at least its 2-byte length prefix.
              const length = op.error === 0 ? Math.max(2, op.length) : op.length
              const bytes = recordBytes(appended.length, length)
              // A source buffer with unrelated bytes around the record.
              const source = new Uint8Array(length + 7).fill(0xa5)
              source.set(bytes, 3)
              const wireLength = length + op.extraWire
              const seq = ring.append(op.time, op.direction, op.error, source, 3, length, wireLength)
              expect(seq).toBe(appended.length)
              appended.push({ time: op.time, direction: op.direction, error: op.error, wireLength, bytes })
            } else {
              const from = Math.max(0, ring.head - op.fromBack)
              checkRead(from, from + op.span)
              reader = checkRead(reader, ring.head)
            }
            const tail = ring.tail
            expect(tail).toBeGreaterThanOrEqual(lastTail) // monotonic
            expect(tail).toBeLessThanOrEqual(ring.head)
            expect(ring.head - tail).toBeLessThanOrEqual(maxRecords)
            lastTail = tail
            // The newest record is always there.
            if (ring.head > 0) expect(tail).toBeLessThan(ring.head)
            // The newest records whose bytes fit in half the data area are all still there
            // (records never wrap, so at most one record-sized gap is lost per lap).
            let newestFitting = ring.head
            let bytes = 0
            while (newestFitting > 0 && ring.head - newestFitting < maxRecords) {
              const b = Math.min(appended[newestFitting - 1]!.bytes.length, dataBytes)
              if (2 * (bytes + b) > dataBytes) break
              bytes += b
              newestFitting--
            }
            expect(tail).toBeLessThanOrEqual(newestFitting)
          }
          // A final full read from the oldest possible cursor.
          checkRead(0, ring.head)
        }
      ),
      { numRuns: 400 }
    )
  })

  it('bytes read are never torn even when the reader is slow and the ring laps it many times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 16, max: 128 }),
        fc.array(fc.tuple(fc.integer({ min: 2, max: 200 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 120, size: 'max' }),
        (dataBytes, batches) => {
          const ring = new CaptureRing({ dataBytes, maxRecords: 64 })
          const lengths: number[] = []
          let cursor = 0
          let lastTail = 0
          for (const [length, readEvery] of batches) {
            ring.append(lengths.length, Direction.toDevice, 0, recordBytes(lengths.length, length), 0, length)
            lengths.push(length)
            if (readEvery === 0) {
              const { seen, next } = readAll(ring, cursor)
              for (const r of seen) {
                const want = recordBytes(r.seq, Math.min(lengths[r.seq]!, dataBytes))
                expect(r.bytes).toEqual(Array.from(want))
                expect(r.viewLength).toBe(want.length)
                expect(r.time).toBe(r.seq)
              }
              // Whatever was skipped is gone for good: the cursor never goes back.
              expect(next).toBeGreaterThanOrEqual(cursor)
              expect(next).toBe(ring.head)
              cursor = next
            }
            expect(ring.tail).toBeGreaterThanOrEqual(lastTail)
            lastTail = ring.tail
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe('CaptureRing batch notifications', () => {
  it('tells subscribers once per published batch that appended records, and stops after unsubscribe', () => {
    const ring = new CaptureRing({ dataBytes: 1024, maxRecords: 16 })
    let calls = 0
    const unsubscribe = ring.subscribe(() => calls++)
    ring.publish()
    expect(calls).toBe(0) // nothing new
    ring.append(1, Direction.fromDevice, 0, new Uint8Array(10), 0, 10)
    ring.append(2, Direction.toDevice, 0, new Uint8Array(10), 0, 10)
    ring.publish()
    ring.publish()
    expect(calls).toBe(1)
    unsubscribe()
    ring.append(3, Direction.fromDevice, 0, new Uint8Array(10), 0, 10)
    ring.publish()
    expect(calls).toBe(1)
  })
})

describe('CaptureRing: frame records as pcapng packet blocks (readBlocks)', () => {
  /** A wire record: 2-byte big-endian frame length, then `frameLength` bytes that name the record. */
  function wireRecord(seq: number, frameLength: number): Uint8Array {
    const record = recordBytes(seq, 2 + frameLength)
    record[0] = frameLength >> 8
    record[1] = frameLength & 0xff
    return record
  }

  /** Every stretch readBlocks hands out, as the packets in it (and where each stretch sat). */
  function stretches(ring: CaptureRing, from: number): { packets: number[][][]; junk: number[]; next: number } {
    const packets: number[][][] = []
    const junk: number[] = []
    const next = ring.readBlocks(from, ring.head, (data, start, end) => {
      const stretch = data.slice(start, end)
      packets.push(splitBlockRun(stretch).map((b) => {
        expect(b.type).toBe(BLOCK_EPB)
        return Array.from(parseEnhancedPacket(b).data)
      }))
    }, (r) => junk.push(r.seq))
    return { packets, junk, next }
  }

  it('hands consecutive frame records out as one stretch of whole blocks, each holding the frame', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 64 })
    const lengths = [60, 61, 62, 63, 64]
    lengths.forEach((n, seq) => ring.append(seq, Direction.fromDevice, 0, wireRecord(seq, n), 0, n + 2))
    const { packets, junk, next } = stretches(ring, 0)
    expect(junk).toEqual([])
    expect(next).toBe(5)
    expect(packets).toEqual([lengths.map((n, seq) => Array.from(wireRecord(seq, n).subarray(2)))])
  })

  it('a framing-error record splits the stretches and goes to the junk callback in its place', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 64 })
    ring.append(0, Direction.fromDevice, 0, wireRecord(0, 20), 0, 22)
    ring.append(1, Direction.fromDevice, 0, wireRecord(1, 20), 0, 22)
    ring.append(2, Direction.fromDevice, FramingError.tooLong, recordBytes(2, 9), 0, 9, 900)
    ring.append(3, Direction.toDevice, 0, wireRecord(3, 20), 0, 22)
    const order: string[] = []
    ring.readBlocks(0, ring.head, (data, start, end) => order.push(`blocks ${splitBlockRun(data.slice(start, end)).length}`), (r) => order.push(`junk ${r.seq} ${r.wireLength} ${r.bytes.length}`))
    expect(order).toEqual(['blocks 2', 'junk 2 900 9', 'blocks 1'])
  })

  it('where the stored bytes wrap, a stretch ends and the next one starts at the front', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 16 })
    const frame = (seq: number): number[] => Array.from(wireRecord(seq, 14 + (seq % 50)).subarray(2))
    const got: number[][] = []
    let cursor = 0
    let splitReads = 0
    for (let seq = 0; seq < 300; seq++) {
      ring.append(seq, Direction.fromDevice, 0, wireRecord(seq, 14 + (seq % 50)), 0, 16 + (seq % 50))
      if (seq % 5 !== 4) continue
      const read = stretches(ring, cursor)
      if (read.packets.length > 1) splitReads++
      got.push(...read.packets.flat())
      cursor = read.next
    }
    expect(splitReads).toBeGreaterThan(0)
    expect(got).toEqual(Array.from({ length: 300 }, (_, seq) => frame(seq)))
  })

  it('read() shows a frame record with its length prefix and leaves the packet block as it was', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 64 })
    const record = wireRecord(7, 100)
    ring.append(1, Direction.toDevice, 0, record, 0, record.length)
    const before = stretches(ring, 0).packets
    expect(readAll(ring, 0).seen[0]!.bytes).toEqual(Array.from(record))
    expect(stretches(ring, 0).packets).toEqual(before)
  })

  it('refuses a frame record shorter than its length prefix', () => {
    const ring = new CaptureRing({ dataBytes: 4096, maxRecords: 64 })
    expect(() => ring.append(1, Direction.fromDevice, 0, Uint8Array.of(0), 0, 1)).toThrow(RangeError)
  })
})
