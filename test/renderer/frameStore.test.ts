import { describe, expect, it } from 'vitest'
import { FramingError } from '../../src/engine/counters'
import { classifyRecord, FrameFacts, Proto } from '../../src/renderer/src/lib/frameFacts'
import { FrameStore } from '../../src/renderer/src/store/frameStore'
import type { FrameRecord } from '../../src/shared/frameBatch'
import * as fx from '../decode/fixtures'
import { record } from '../helpers/frames'

/** What a record carries besides its bytes. */
interface Meta {
  seq: number
  time: number
  direction: number
  error: number
  wireLength: number
}

/**
 * A record as readFrameBatch hands it over: the wire bytes sit inside a larger
 * buffer (junk on both sides), so the store must honour offset and length.
 */
function batchRecord(wire: Uint8Array, meta: Meta): FrameRecord {
  const data = new Uint8Array(5 + wire.length + 9).fill(0xee)
  data.set(wire, 5)
  return { ...meta, data, offset: 5, length: wire.length }
}

/** `length` bytes that say which record they belong to (not a frame: for byte-layout tests). */
function tagged(tag: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (tag * 37 + i * 11) & 0xff)
}

function appendTagged(store: FrameStore, tag: number, length: number): number {
  return store.append(batchRecord(tagged(tag, length), { seq: tag, time: tag, direction: 0, error: 0, wireLength: length }))
}

function heldIndices(store: FrameStore): number[] {
  const out: number[] = []
  for (let i = store.firstIndex; i < store.nextIndex; i++) out.push(i)
  return out
}

function protocolsOf(wire: Uint8Array, direction = 0, error = 0): number {
  const facts = new FrameFacts()
  classifyRecord(wire, 0, wire.length, direction, error, wire.length, facts)
  return facts.protocols
}

describe('FrameStore: append and read back', () => {
  it('keeps records in order with their bytes, seq, time, direction, error and wire length', () => {
    const store = new FrameStore(16, 64 * 1024)
    const inputs = [
      { wire: record(fx.arpRequest), meta: { seq: 0, time: 0, direction: 0, error: FramingError.none, wireLength: 62 } },
      { wire: record(fx.tcpHttpGet), meta: { seq: 1, time: 12.345, direction: 1, error: FramingError.none, wireLength: record(fx.tcpHttpGet).length } },
      // A junk run: fewer bytes kept than it stood for on the wire.
      { wire: Uint8Array.of(0x41, 0x42, 0x43), meta: { seq: 7, time: 86_400_000.5, direction: 0, error: FramingError.tooLong, wireLength: 1600 } },
      { wire: record(fx.dhcpOffer), meta: { seq: 2 ** 40, time: 5e9, direction: 1, error: FramingError.none, wireLength: record(fx.dhcpOffer).length } }
    ]
    expect(inputs.map(({ wire, meta }) => store.append(batchRecord(wire, meta)))).toEqual([0, 1, 2, 3])
    expect([store.firstIndex, store.nextIndex, store.size]).toEqual([0, 4, 4])
    inputs.forEach(({ wire, meta }, i) => {
      expect(store.has(i)).toBe(true)
      expect({ seq: store.seq(i), time: store.time(i), direction: store.direction(i), error: store.error(i), wireLength: store.wireLength(i) }).toEqual(meta)
      expect(Array.from(store.bytes(i))).toEqual(Array.from(wire))
    })
    expect(store.has(-1)).toBe(false)
    expect(store.has(4)).toBe(false)
  })

  it('copies the bytes: the batch buffer can be reused after append', () => {
    const store = new FrameStore(4, 1024)
    const wire = record(fx.udpEcho)
    const r = batchRecord(wire, { seq: 0, time: 0, direction: 0, error: 0, wireLength: wire.length })
    store.append(r)
    r.data.fill(0)
    expect(Array.from(store.bytes(0))).toEqual(Array.from(wire))
  })

  it('keeps an empty record as an empty one', () => {
    const store = new FrameStore(4, 1024)
    store.append(batchRecord(new Uint8Array(0), { seq: 3, time: 1, direction: 0, error: FramingError.zeroLength, wireLength: 2 }))
    expect(store.bytes(0).length).toBe(0)
    expect([store.error(0), store.wireLength(0), store.protocols(0)]).toEqual([FramingError.zeroLength, 2, 0])
  })
})

describe('FrameStore: dropping the oldest', () => {
  it('drops the oldest frames beyond capacity; the newest keep their own fields and bytes', () => {
    const store = new FrameStore(4, 64 * 1024)
    for (let i = 0; i < 10; i++) expect(appendTagged(store, i, 20 + i)).toBe(i)
    expect([store.firstIndex, store.nextIndex, store.size]).toEqual([6, 10, 4])
    expect(store.has(5)).toBe(false)
    expect(store.has(6)).toBe(true)
    for (let i = 6; i < 10; i++) {
      expect([store.seq(i), store.time(i), store.wireLength(i)]).toEqual([i, i, 20 + i])
      expect(Array.from(store.bytes(i))).toEqual(Array.from(tagged(i, 20 + i)))
    }
  })

  it('drops the frames whose bytes the arena wrapped over, and only those', () => {
    // A 100-byte arena; a frame that does not fit in the tail end starts the next lap.
    const store = new FrameStore(100, 100)
    appendTagged(store, 0, 40) // [0, 40)
    appendTagged(store, 1, 40) // [40, 80)
    expect(heldIndices(store)).toEqual([0, 1])
    appendTagged(store, 2, 40) // does not fit at 80: [0, 40) again, over frame 0
    expect(heldIndices(store)).toEqual([1, 2])
    appendTagged(store, 3, 40) // [40, 80), over frame 1
    expect(heldIndices(store)).toEqual([2, 3])
    appendTagged(store, 4, 20) // [80, 100): fits exactly, over nothing held
    expect(heldIndices(store)).toEqual([2, 3, 4])
    appendTagged(store, 5, 1) // [0, 1), over the first byte of frame 2
    expect(heldIndices(store)).toEqual([3, 4, 5])
    for (const i of heldIndices(store)) expect(Array.from(store.bytes(i))).toEqual(Array.from(tagged(i, [40, 40, 40, 40, 20, 1][i]!)))
  })

  it('drops an older frame together with a newer one that was overwritten, though its own bytes survived', () => {
    const store = new FrameStore(100, 100)
    appendTagged(store, 0, 80) // [0, 80)
    appendTagged(store, 1, 15) // [80, 95)
    appendTagged(store, 2, 10) // no room at 95: [0, 10), over frame 0
    expect(heldIndices(store)).toEqual([1, 2])
    appendTagged(store, 3, 60) // [10, 70)
    expect(heldIndices(store)).toEqual([1, 2, 3])
    appendTagged(store, 4, 35) // no room at 70: [0, 35), over frames 2 and 3; frame 1 is older
    expect(heldIndices(store)).toEqual([4])
    expect(Array.from(store.bytes(4))).toEqual(Array.from(tagged(4, 35)))
  })

  it('keeps only the first arena-size bytes of a record larger than the arena, and nothing older', () => {
    const store = new FrameStore(8, 64)
    appendTagged(store, 0, 30)
    appendTagged(store, 1, 30)
    const big = tagged(2, 100)
    store.append(batchRecord(big, { seq: 2, time: 2, direction: 1, error: 0, wireLength: 100 }))
    expect(heldIndices(store)).toEqual([2])
    expect(Array.from(store.bytes(2))).toEqual(Array.from(big.subarray(0, 64)))
    expect(store.wireLength(2)).toBe(100)
    appendTagged(store, 3, 10)
    expect(heldIndices(store)).toEqual([3])
  })
})

describe('FrameStore: clear', () => {
  it('drops everything held; indices go on growing from where they were', () => {
    const store = new FrameStore(8, 4096)
    for (let i = 0; i < 5; i++) appendTagged(store, i, 30)
    store.clear()
    expect([store.firstIndex, store.nextIndex, store.size]).toEqual([5, 5, 0])
    for (let i = 0; i < 5; i++) expect(store.has(i)).toBe(false)
    expect(appendTagged(store, 5, 30)).toBe(5)
    expect([store.firstIndex, store.size]).toEqual([5, 1])
    expect(Array.from(store.bytes(5))).toEqual(Array.from(tagged(5, 30)))
  })

  it('evicts by capacity and arena as before after a clear', () => {
    const store = new FrameStore(3, 100)
    for (let i = 0; i < 4; i++) appendTagged(store, i, 10)
    store.clear()
    for (let i = 4; i < 9; i++) appendTagged(store, i, 10)
    expect(heldIndices(store)).toEqual([6, 7, 8])
    appendTagged(store, 9, 90) // [90, 100) is too short: [0, 90), over 6, 7 and 8 at [60, 90)
    expect(heldIndices(store)).toEqual([9])
  })
})

describe('FrameStore: protocols', () => {
  const names = Object.keys(fx.fixtures) as (keyof typeof fx.fixtures)[]

  it('gives the same bits as classifyRecord for every fixture, in either direction', () => {
    const store = new FrameStore(64, 64 * 1024)
    names.forEach((name, i) => {
      const wire = record(fx.fixtures[name])
      store.append(batchRecord(wire, { seq: i, time: i, direction: i % 2, error: 0, wireLength: wire.length }))
    })
    const got = names.map((name, i) => [name, store.protocols(i)])
    expect(got).toEqual(names.map((name, i) => [name, protocolsOf(record(fx.fixtures[name]), i % 2)]))
    // Not trivially equal: the fixtures span the protocols.
    expect(new Set(got.map(([, bits]) => bits)).size).toBeGreaterThan(8)
  })

  it('gives 0 for a junk record even when its bytes look like a frame', () => {
    const store = new FrameStore(4, 4096)
    const wire = record(fx.udpEcho)
    store.append(batchRecord(wire, { seq: 0, time: 0, direction: 0, error: FramingError.implausible, wireLength: wire.length }))
    expect(store.protocols(0)).toBe(0)
  })

  it('works the bits out for the frame now in a slot, not the one it held before', () => {
    const store = new FrameStore(2, 64 * 1024)
    const wires = [record(fx.arpRequest), record(fx.dnsQuery), record(fx.tcpHttpGet), record(fx.icmpv6EchoRequest), record(fx.dhcpDiscover)]
    wires.forEach((wire, i) => {
      store.append(batchRecord(wire, { seq: i, time: i, direction: 0, error: 0, wireLength: wire.length }))
      // Asked each time: the cached bits of the frame dropped from the slot must not leak.
      expect(store.protocols(i)).toBe(protocolsOf(wire))
      expect(store.protocols(i)).toBe(protocolsOf(wire)) // and the cached answer is the same
    })
    expect(store.protocols(4) & Proto.dhcp).toBe(Proto.dhcp)
  })

  it('fills factsOf with the frame’s facts, as classifyRecord does', () => {
    const store = new FrameStore(4, 4096)
    const wire = record(fx.tcpSyn)
    store.append(batchRecord(wire, { seq: 0, time: 0, direction: 1, error: 0, wireLength: 999 }))
    const got = new FrameFacts()
    store.factsOf(0, got)
    const want = new FrameFacts()
    classifyRecord(wire, 0, wire.length, 1, 0, 999, want)
    expect(got).toEqual(want)
    expect([got.srcPort, got.dstPort, got.wireLength, got.direction]).toEqual([0xd431, 80, 999, 1])
  })
})

describe('FrameStore: devices', () => {
  it('keeps each record\'s capture port (port 0 when the batch has none), in its facts too', () => {
    const store = new FrameStore(4, 4096)
    const wire = record(fx.icmpEchoRequest)
    store.append(batchRecord(wire, { seq: 0, time: 0, direction: 0, error: 0, wireLength: wire.length }))
    store.append({ ...batchRecord(wire, { seq: 1, time: 1, direction: 1, error: 0, wireLength: wire.length }), port: 3 })
    store.append({ ...batchRecord(wire, { seq: 2, time: 2, direction: 0, error: 0, wireLength: wire.length }), port: 255 })
    expect([store.port(0), store.port(1), store.port(2)]).toEqual([0, 3, 255])
    const facts = new FrameFacts()
    store.factsOf(1, facts)
    expect(facts.port).toBe(3)
    // A slot reused by a newer record has that record's port.
    for (let i = 3; i < 6; i++) store.append({ ...batchRecord(wire, { seq: i, time: i, direction: 0, error: 0, wireLength: wire.length }), port: 1 })
    expect(store.port(5)).toBe(1)
  })

  it('counts the devices its frames came from since the last clear', () => {
    const store = new FrameStore(8, 4096)
    const wire = record(fx.icmpEchoRequest)
    const add = (port: number): number => store.append({ ...batchRecord(wire, { seq: 0, time: 0, direction: 0, error: 0, wireLength: wire.length }), port })
    expect(store.devicesSeen).toBe(0)
    add(0)
    add(0)
    expect(store.devicesSeen).toBe(1)
    add(2)
    expect(store.devicesSeen).toBe(2)
    store.clear()
    expect(store.devicesSeen).toBe(0)
    add(2)
    expect(store.devicesSeen).toBe(1)
  })
})
