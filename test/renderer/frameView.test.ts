import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FramingError } from '../../src/engine/counters'
import { classifyRecord, FrameFacts, Proto } from '../../src/renderer/src/lib/frameFacts'
import { FrameStore } from '../../src/renderer/src/store/frameStore'
import { FrameView, type FramePredicate } from '../../src/renderer/src/store/frameView'
import * as fx from '../decode/fixtures'
import { record } from '../helpers/frames'

type FixtureName = keyof typeof fx.fixtures

/** One frame to feed the store: a fixture's wire record, or a junk record (framing error). */
interface Input {
  wire: Uint8Array
  direction: number
  error: number
}

function frame(name: FixtureName, direction = 0): Input {
  return { wire: record(fx.fixtures[name]), direction, error: 0 }
}

function junk(length: number, direction = 0): Input {
  return { wire: new Uint8Array(length).fill(0x55), direction, error: FramingError.implausible }
}

/** Appends the inputs as one batch and tells the view, as useEngine does. */
function feed(store: FrameStore, view: FrameView, inputs: Input[]): void {
  const from = store.nextIndex
  for (const { wire, direction, error } of inputs) {
    const seq = store.nextIndex
    store.append({ seq, time: seq, direction, error, wireLength: wire.length, data: wire, offset: 0, length: wire.length })
  }
  view.added(from, store.nextIndex)
}

/** The rows as (row → index) read through the view; `rows` first, as the list does. */
function shown(view: FrameView): number[] {
  const rows = view.rows
  return Array.from({ length: rows }, (_, row) => view.indexAt(row))
}

const has = (bit: number): FramePredicate => (f) => (f.protocols & bit) !== 0
const udp = has(Proto.udp)

describe('FrameView without a filter', () => {
  it('shows every frame held, oldest first, across capacity eviction and clear', () => {
    const store = new FrameStore(3, 64 * 1024)
    const view = new FrameView(store)
    expect(view.filtered).toBe(false)
    expect(view.rows).toBe(0)
    feed(store, view, [frame('arpRequest'), frame('udpEcho')])
    expect(shown(view)).toEqual([0, 1])
    feed(store, view, [frame('tcpSyn'), frame('dnsQuery'), frame('tcpRst')])
    expect(shown(view)).toEqual([2, 3, 4])
    expect([0, 1, 2, 3, 4, 5].map((i) => view.rowOf(i))).toEqual([-1, -1, 0, 1, 2, -1])
    store.clear()
    expect(view.rows).toBe(0)
    expect(view.rowOf(4)).toBe(-1)
    feed(store, view, [frame('dhcpOffer')])
    expect(shown(view)).toEqual([5])
    expect(view.rowOf(5)).toBe(0)
  })

  it('follows arena-wrap eviction', () => {
    const udpEcho = record(fx.udpEcho).length
    const store = new FrameStore(100, 3 * udpEcho + 10)
    const view = new FrameView(store)
    feed(store, view, [frame('udpEcho'), frame('udpEcho'), frame('udpEcho')])
    expect(shown(view)).toEqual([0, 1, 2])
    feed(store, view, [frame('udpEcho')]) // wraps over frame 0
    expect(shown(view)).toEqual([1, 2, 3])
    expect(view.rowOf(0)).toBe(-1)
    expect(view.rowOf(3)).toBe(2)
  })
})

describe('FrameView with a filter', () => {
  const mixed: Input[] = [
    frame('arpRequest'), frame('udpEcho'), frame('tcpSyn'), frame('dnsQuery'), junk(5),
    frame('udp6'), frame('icmpEchoRequest'), frame('dhcpDiscover')
  ]
  // udpEcho, dnsQuery, udp6 and dhcpDiscover carry UDP.
  const udpIndices = [1, 3, 5, 7]

  it('shows only the frames held that match, and -1 for the others', () => {
    const store = new FrameStore(100, 64 * 1024)
    const view = new FrameView(store)
    feed(store, view, mixed)
    view.setFilter(udp)
    expect(view.filtered).toBe(true)
    expect(shown(view)).toEqual(udpIndices)
    expect(mixed.map((_, i) => view.rowOf(i))).toEqual([-1, 0, -1, 1, -1, 2, -1, 3])
    expect(view.rowOf(mixed.length)).toBe(-1) // not appended yet
  })

  it('hands the predicate the frame’s facts, as classifyRecord works them out', () => {
    const store = new FrameStore(100, 64 * 1024)
    const view = new FrameView(store)
    const inputs = [frame('tcpHttpGet', 1), junk(7, 0), frame('icmpv6EchoReply', 0)]
    feed(store, view, inputs)
    const seen: FrameFacts[] = []
    view.setFilter((f) => {
      const copy = new FrameFacts()
      Object.assign(copy, f, { src6: f.src6.slice(), dst6: f.dst6.slice() })
      seen.push(copy)
      return true
    })
    expect(seen).toEqual(inputs.map(({ wire, direction, error }) => {
      const want = new FrameFacts()
      classifyRecord(wire, 0, wire.length, direction, error, wire.length, want)
      return want
    }))
  })

  it('adds the matching frames that arrive after the filter was set', () => {
    const store = new FrameStore(100, 64 * 1024)
    const view = new FrameView(store)
    feed(store, view, mixed.slice(0, 3))
    view.setFilter(udp)
    expect(shown(view)).toEqual([1])
    feed(store, view, mixed.slice(3))
    expect(shown(view)).toEqual(udpIndices)
    feed(store, view, [frame('tcpRst')])
    expect(shown(view)).toEqual(udpIndices)
  })

  it('forgets the frames the store dropped (capacity): rows shrink, rowOf says -1, indexAt stays on held frames', () => {
    const store = new FrameStore(4, 64 * 1024)
    const view = new FrameView(store)
    view.setFilter(udp)
    feed(store, view, mixed.slice(0, 4)) // 0..3: udp at 1, 3
    expect(shown(view)).toEqual([1, 3])
    feed(store, view, mixed.slice(4, 6)) // held 2..5: udp at 3, 5
    expect(shown(view)).toEqual([3, 5])
    expect(view.rowOf(1)).toBe(-1)
    expect(view.rowOf(5)).toBe(1)
    feed(store, view, [frame('tcpSyn'), frame('tcpRst'), frame('arpReply')]) // held 5..8: udp at 5
    expect(shown(view)).toEqual([5])
    feed(store, view, [frame('tcpSyn')]) // held 6..9: none match
    expect(shown(view)).toEqual([])
    expect(view.rowOf(5)).toBe(-1)
  })

  it('forgets the frames the arena wrapped over', () => {
    const dns = record(fx.dnsQuery).length
    const store = new FrameStore(100, 2 * dns + 29)
    const view = new FrameView(store)
    view.setFilter(has(Proto.dns))
    feed(store, view, [frame('dnsQuery'), junk(30)])
    expect(shown(view)).toEqual([0])
    feed(store, view, [frame('dnsQuery')]) // no room after the junk (one byte short): over frame 0
    expect(store.firstIndex).toBe(1)
    expect(shown(view)).toEqual([2])
    expect(view.rowOf(0)).toBe(-1)
    expect(view.rowOf(2)).toBe(0)
  })

  it('forgets everything on clear and shows what comes after', () => {
    const store = new FrameStore(100, 64 * 1024)
    const view = new FrameView(store)
    feed(store, view, mixed)
    view.setFilter(udp)
    store.clear()
    expect(view.rows).toBe(0)
    expect(view.rowOf(7)).toBe(-1)
    feed(store, view, mixed)
    expect(shown(view)).toEqual(udpIndices.map((i) => i + mixed.length))
  })

  it('re-filters everything held on a new filter, and shows all again on none', () => {
    const store = new FrameStore(6, 64 * 1024)
    const view = new FrameView(store)
    feed(store, view, mixed) // held 2..7
    view.setFilter(udp)
    expect(shown(view)).toEqual([3, 5, 7])
    view.setFilter(has(Proto.tcp))
    expect(shown(view)).toEqual([2])
    view.setFilter((f) => f.error !== 0)
    expect(shown(view)).toEqual([4])
    view.setFilter(() => false)
    expect(shown(view)).toEqual([])
    view.setFilter(null)
    expect(view.filtered).toBe(false)
    expect(shown(view)).toEqual([2, 3, 4, 5, 6, 7])
    expect(view.rowOf(4)).toBe(2)
  })

  it('keeps thousands of matching rows (its index list grows)', () => {
    const store = new FrameStore(5000, 1024 * 1024)
    const view = new FrameView(store)
    view.setFilter(udp)
    for (let i = 0; i < 3000; i++) feed(store, view, [frame(i % 3 === 0 ? 'tcpSyn' : 'udpEcho')])
    const want = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 !== 0)
    expect(shown(view)).toEqual(want)
    expect(want.every((i, row) => view.rowOf(i) === row)).toBe(true)
    view.setFilter(has(Proto.tcp)) // and re-filtering that many
    expect(shown(view)).toEqual(Array.from({ length: 1000 }, (_, i) => 3 * i))
    const late = new FrameView(store) // a filter set over that many at once
    late.setFilter(udp)
    expect(shown(late)).toEqual(want)
  })

  it('keeps a long run of matches right while the store drops the oldest (its index list is compacted)', () => {
    const store = new FrameStore(10, 64 * 1024)
    const view = new FrameView(store)
    view.setFilter(udp)
    const isUdp = (i: number): boolean => i % 4 !== 3
    for (let i = 0; i < 5000; i++) {
      feed(store, view, [frame(isUdp(i) ? 'udpEcho' : 'arpRequest')])
      // Every step: the list is compacted each time its end reaches its length, rows read or not.
      const want = Array.from({ length: 10 }, (_, k) => i - 9 + k).filter((j) => j >= 0 && isUdp(j))
      if (shown(view).join() !== want.join()) expect(shown(view)).toEqual(want)
    }
    expect(shown(view)).toEqual([4990, 4992, 4993, 4994, 4996, 4997, 4998])
    expect(view.rowOf(4989)).toBe(-1)
    expect(view.rowOf(4998)).toBe(6)
  })

  // indexAt and rowOf must not depend on `rows` having been read since an eviction.
  it('indexAt and rowOf forget dropped frames without `rows` being read first', () => {
    const store = new FrameStore(4, 64 * 1024)
    const view = new FrameView(store)
    view.setFilter(() => true)
    feed(store, view, [frame('udpEcho'), frame('udpEcho'), frame('udpEcho'), frame('udpEcho')])
    expect(view.rows).toBe(4)
    feed(store, view, [frame('udpEcho')]) // drops frame 0
    const row = view.rowOf(4)
    const first = view.indexAt(0)
    expect({ row, first, held: store.has(first) }).toEqual({ row: 3, first: 1, held: true })
  })
})

// --- Property: the view against a plain model -------------------------------

/** The filters the property switches between. */
const FILTERS: Record<string, FramePredicate | null> = {
  none: null,
  all: () => true,
  nothing: () => false,
  udp,
  tcpOrArp: has(Proto.tcp | Proto.arp),
  toDevice: (f) => f.direction === 1,
  junk: (f) => f.error !== 0,
  long: (f) => f.wireLength >= 70
}

const FIXTURE_NAMES = Object.keys(fx.fixtures) as FixtureName[]

type Op =
  | { kind: 'append'; inputs: Input[] }
  | { kind: 'clear' }
  | { kind: 'filter'; name: string }

const inputArb: fc.Arbitrary<Input> = fc.oneof(
  fc.record({ name: fc.constantFrom(...FIXTURE_NAMES), direction: fc.integer({ min: 0, max: 1 }) }).map(({ name, direction }) => frame(name, direction)),
  // A frame cut short (still a frame as far as the store knows) or a junk record; never empty.
  fc.record({ name: fc.constantFrom(...FIXTURE_NAMES), cut: fc.integer({ min: 1, max: 40 }), direction: fc.integer({ min: 0, max: 1 }) })
    .map(({ name, cut, direction }) => ({ wire: record(fx.fixtures[name]).subarray(0, cut), direction, error: 0 })),
  fc.record({ length: fc.integer({ min: 1, max: 120 }), direction: fc.integer({ min: 0, max: 1 }) }).map(({ length, direction }) => junk(length, direction))
)

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.array(inputArb, { minLength: 1, maxLength: 12 }).map((inputs): Op => ({ kind: 'append', inputs })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'clear' }) },
  { weight: 2, arbitrary: fc.constantFrom(...Object.keys(FILTERS)).map((name): Op => ({ kind: 'filter', name })) }
)

/**
 * What the store should hold, worked out from which bytes each frame still
 * owns: a frame is gone once any of its bytes (or of a newer frame's) was
 * written over, once `capacity` newer frames came, or on clear. Only where a
 * frame lands in the arena is copied from the store (no room at the tail end:
 * the next lap).
 */
class Model {
  readonly frames: Input[] = [] // by absolute index
  private readonly owner: Int32Array
  private at = 0
  private gone = 0 // frames below this index are dropped

  constructor(readonly capacity: number, arena: number) {
    this.owner = new Int32Array(arena).fill(-1)
  }

  append(input: Input): void {
    const index = this.frames.length
    this.frames.push(input)
    const size = Math.min(input.wire.length, this.owner.length)
    if (this.at + size > this.owner.length) this.at = 0
    for (let b = this.at; b < this.at + size; b++) {
      if (this.owner[b]! >= 0) this.gone = Math.max(this.gone, this.owner[b]! + 1)
      this.owner[b] = index
    }
    this.at += size
    this.gone = Math.max(this.gone, this.frames.length - this.capacity)
  }

  clear(): void {
    this.gone = this.frames.length
  }

  held(): number[] {
    const out: number[] = []
    for (let i = this.gone; i < this.frames.length; i++) out.push(i)
    return out
  }

  facts(index: number): FrameFacts {
    const { wire, direction, error } = this.frames[index]!
    const facts = new FrameFacts()
    classifyRecord(wire, 0, wire.length, direction, error, wire.length, facts)
    return facts
  }
}

describe('FrameView: property', () => {
  it('shows exactly the frames a plain model still holds, filtered, through appends, clears and filter changes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 340, max: 900 }), // room for one or a few frames (the largest fixture record is 334 bytes)
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        (capacity, arena, ops) => {
          const store = new FrameStore(capacity, arena)
          const view = new FrameView(store)
          const model = new Model(capacity, arena)
          let filter: FramePredicate | null = null
          for (const op of ops) {
            if (op.kind === 'append') {
              feed(store, view, op.inputs)
              for (const input of op.inputs) model.append(input)
            } else if (op.kind === 'clear') {
              store.clear()
              model.clear()
            } else {
              filter = FILTERS[op.name]!
              view.setFilter(filter)
            }
            const held = model.held()
            const want = filter ? held.filter((i) => filter!(model.facts(i))) : held
            expect(shown(view)).toEqual(want)
            expect([store.firstIndex, store.nextIndex]).toEqual([held[0] ?? model.frames.length, model.frames.length])
            for (let i = 0; i < model.frames.length; i++) expect(view.rowOf(i)).toBe(want.indexOf(i))
            for (const i of held) {
              expect(Array.from(store.bytes(i))).toEqual(Array.from(model.frames[i]!.wire))
              expect(store.protocols(i)).toBe(model.facts(i).protocols)
            }
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})
