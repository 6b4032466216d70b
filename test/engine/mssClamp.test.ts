// The MSS clamp (issue 12): fixtures for what it must change and what it must leave alone, the TCP
// checksum checked from scratch here and by the project's decoder, property tests on hostile bytes,
// and tshark's reading of the clamped frames.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'

import { EPB_INBOUND, epbLength, pcapngHeader, writeEpbAround } from '../../src/engine/capture/pcapng'
import { decodeFrame, dissectFrame, type FieldNode } from '../../src/engine/decode'
import { upperChecksum } from '../../src/engine/decode/ip'
import { clampMss, mssForMaxFrame, MIN_CLAMP_FRAME } from '../../src/engine/services/mssClamp'
import { requireTshark, skipTshark, tsharkFields, tsharkTitleNote } from '../capture/tshark'

const MAX_FRAME = 1500
const PASST_MSS = 61_440

// --- Frames built here, checksums computed here (independent of the code under test and the decoder) ---

function sum16(bytes: ArrayLike<number>, from: number, to: number, initial = 0): number {
  let s = initial
  for (let i = from; i < to; i += 2) s += (bytes[i]! << 8) | (i + 1 < to ? bytes[i + 1]! : 0)
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000)
  return s
}

interface Located {
  version: 4 | 6
  ip: number
  tcp: number
  tcpEnd: number
}

/** Where IP and TCP sit in an Ethernet frame at frame[0], by the IP header's own lengths; undefined if not TCP. */
function locate(frame: Uint8Array): Located | undefined {
  if (frame.length < 14) return undefined
  const type = (frame[12]! << 8) | frame[13]!
  const ip = 14
  if (type === 0x0800 && frame.length >= ip + 20 && frame[ip + 9] === 6) {
    const ihl = (frame[ip]! & 15) * 4
    const total = (frame[ip + 2]! << 8) | frame[ip + 3]!
    if (ihl >= 20 && total >= ihl + 20 && ip + total <= frame.length) return { version: 4, ip, tcp: ip + ihl, tcpEnd: ip + total }
  }
  if (type === 0x86dd && frame.length >= ip + 40 && frame[ip + 6] === 6) {
    const payload = (frame[ip + 4]! << 8) | frame[ip + 5]!
    if (payload >= 20 && ip + 40 + payload <= frame.length) return { version: 6, ip, tcp: ip + 40, tcpEnd: ip + 40 + payload }
  }
  return undefined
}

/** One's-complement sum of the pseudo-header and the whole segment, checksum field included. */
function segmentSum(frame: Uint8Array, at: Located): number {
  const segment = at.tcpEnd - at.tcp
  const pseudo = at.version === 4 ? sum16(frame, at.ip + 12, at.ip + 20, 6 + segment) : sum16(frame, at.ip + 8, at.ip + 40, 6 + segment)
  return sum16(frame, at.tcp, at.tcpEnd, pseudo)
}

/** The TCP checksum verifies (computed here from scratch); undefined when the frame is not located TCP. */
function tcpChecksumOk(frame: Uint8Array): boolean | undefined {
  const at = locate(frame)
  return at && segmentSum(frame, at) === 0xffff
}

/** The checksum a sender computes from scratch (field zeroed first). */
function freshChecksum(frame: Uint8Array): number {
  const at = locate(frame)!
  const copy = frame.slice()
  copy[at.tcp + 16] = 0
  copy[at.tcp + 17] = 0
  return ~segmentSum(copy, at) & 0xffff
}

function setChecksum(frame: Uint8Array): Uint8Array {
  const at = locate(frame)!
  const c = freshChecksum(frame)
  frame[at.tcp + 16] = c >> 8
  frame[at.tcp + 17] = c & 0xff
  return frame
}

const SYN = 0x02
const ACK = 0x10
const SYN_ACK = SYN | ACK
const mssOption = (mss: number): number[] => [2, 4, mss >> 8, mss & 0xff]
/** Linux's (and passt's) SYN options: MSS, SACK permitted, timestamps, NOP, window scale 7. */
const linuxOptions = (mss: number): number[] => [...mssOption(mss), 4, 2, 8, 10, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 1, 3, 3, 7]

interface SegmentSpec {
  version?: 4 | 6
  flags?: number
  options?: number[]     // padded with EOL to a multiple of 4 unless dataOffset is given
  dataOffset?: number    // bytes; defaults to 20 + padded options
  payload?: number[]
  protocol?: number      // IPv4 protocol / IPv6 next header
  fragment?: number      // IPv4 flags + fragment offset word
  ipOptions?: number[]   // IPv4 options (multiple of 4)
  padding?: number       // Ethernet trailer bytes after the IP packet
}

/** An Ethernet II frame: 10.0.2.2:40000 (passt's side) → 10.0.2.15:80, or the IPv6 equivalents, checksums right. */
function segment(s: SegmentSpec = {}): Uint8Array {
  const version = s.version ?? 4
  const options = [...(s.options ?? linuxOptions(PASST_MSS))]
  if (s.dataOffset === undefined) while (options.length % 4) options.push(0)
  const dataOffset = s.dataOffset ?? 20 + options.length
  const payload = s.payload ?? []
  const ipOptions = s.ipOptions ?? []
  const ipHeader = version === 4 ? 20 + ipOptions.length : 40
  const tcpLength = Math.max(dataOffset, 20 + options.length) + payload.length
  const f = new Uint8Array(14 + ipHeader + tcpLength + (s.padding ?? 0))
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x9a, 0x55, 0xc3, 0x10, 0x27, 0x01], 0)
  const ip = 14
  if (version === 4) {
    f.set([0x08, 0x00], 12)
    const total = ipHeader + tcpLength
    const frag = s.fragment ?? 0x4000
    f.set([0x40 | (ipHeader / 4), 0, total >> 8, total & 0xff, 0x12, 0x34, frag >> 8, frag & 0xff, 64, s.protocol ?? 6, 0, 0, 10, 0, 2, 2, 10, 0, 2, 15], ip)
    f.set(ipOptions, ip + 20)
    const c = ~sum16(f, ip, ip + ipHeader) & 0xffff
    f[ip + 10] = c >> 8
    f[ip + 11] = c & 0xff
  } else {
    f.set([0x86, 0xdd], 12)
    f.set([0x60, 0, 0, 0, tcpLength >> 8, tcpLength & 0xff, s.protocol ?? 6, 64], ip)
    f.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], ip + 8)
    f.set([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x15], ip + 24)
  }
  const tcp = ip + ipHeader
  f.set([0x9c, 0x40, 0, 80, 0xa1, 0xb2, 0xc3, 0xd4, 0, 0, 0, 0, (dataOffset / 4) << 4, s.flags ?? SYN, 0xff, 0xff, 0, 0, 0, 0], tcp)
  if ((s.flags ?? SYN) & ACK) f.set([0, 0, 0x30, 0x39], tcp + 8)
  f.set(options, tcp + 20)
  f.set(payload, tcp + Math.max(dataOffset, 20 + options.length))
  if (s.protocol === undefined || s.protocol === 6) setChecksum(f)
  return f
}

/** The MSS value(s) in the frame's TCP options, as the decoder reads them. */
function decodedMss(frame: Uint8Array): number | undefined {
  const tcp = decodeFrame(frame).layers.find((l) => l.kind === 'tcp')
  return tcp?.kind === 'tcp' ? tcp.header.mss : undefined
}

/** The decoder's verdict on the TCP checksum (what the details tree shows). */
function decoderChecksumOk(frame: Uint8Array): boolean | undefined {
  const tcp = decodeFrame(frame).layers.find((l) => l.kind === 'tcp')
  if (tcp?.kind !== 'tcp') return undefined
  const h = tcp.header
  return upperChecksum(frame, tcp.ip, h.offset, h.headerLength + h.payloadLength, h.offset + 16, true)?.ok
}

function treeLabels(nodes: FieldNode[]): string[] {
  return nodes.flatMap((n) => [n.label, ...treeLabels(n.children ?? [])])
}

/** Clamps a copy inside a larger buffer (random-looking bytes around it); checks nothing moved outside. */
function clampCopy(frame: Uint8Array, maxFrame = MAX_FRAME, length = frame.length): { changed: boolean; after: Uint8Array } {
  const buffer = new Uint8Array(frame.length + 16).map((_, i) => (i * 37 + 11) & 0xff)
  buffer.set(frame, 7)
  const before = buffer.slice()
  const changed = clampMss(buffer, 7, length, maxFrame)
  for (let i = 0; i < buffer.length; i++) if (i < 7 || i >= 7 + length) expect(buffer[i], `byte ${i} outside the frame`).toBe(before[i])
  return { changed, after: buffer.slice(7, 7 + frame.length) }
}

function expectUntouched(frame: Uint8Array, maxFrame = MAX_FRAME, length = frame.length): void {
  const { changed, after } = clampCopy(frame, maxFrame, length)
  expect(changed).toBe(false)
  expect(after).toEqual(frame)
}

function expectClamped(frame: Uint8Array, mss: number): Uint8Array {
  expect(tcpChecksumOk(frame)).toBe(true)
  const { changed, after } = clampCopy(frame)
  expect(changed).toBe(true)
  expect(decodedMss(after)).toBe(mss)
  expect(tcpChecksumOk(after)).toBe(true)
  const at = locate(after)!
  expect((after[at.tcp + 16]! << 8) | after[at.tcp + 17]!).toBe(freshChecksum(after)) // the very value a sender computes
  expect(decoderChecksumOk(after)).toBe(true)
  const differing = [...after.keys()].filter((i) => after[i] !== frame[i])
  const mssAt = [...after.keys()].find((i) => i >= at.tcp + 20 && after[i] === 2 && after[i + 1] === 4 && ((after[i + 2]! << 8) | after[i + 3]!) === mss)!
  for (const i of differing) expect([at.tcp + 16, at.tcp + 17, mssAt + 2, mssAt + 3]).toContain(i)
  expect(clampCopy(after).changed).toBe(false) // idempotent
  return after
}

describe('mssForMaxFrame', () => {
  it('is maxFrame − 54 over IPv4 (1446 for the firmware\'s 1500) and maxFrame − 74 over IPv6', () => {
    expect(mssForMaxFrame(1500)).toBe(1446)
    expect(mssForMaxFrame(1500, 4)).toBe(1446)
    expect(mssForMaxFrame(1500, 6)).toBe(1426)
    expect(mssForMaxFrame(1514)).toBe(1460)
  })

  it('clampMss refuses a maxFrame that leaves no IPv6 MSS', () => {
    const f = segment()
    expect(() => clampMss(f, 0, f.length, MIN_CLAMP_FRAME - 1)).toThrow(RangeError)
    expect(() => clampMss(f, 0, f.length, 1500.5)).toThrow(RangeError)
    expect(() => clampMss(f, 0, f.length, MIN_CLAMP_FRAME)).not.toThrow()
  })
})

describe('clampMss: what it clamps', () => {
  it("passt's IPv4 SYN with MSS 61440 → 1446 for a 1500-byte frame, checksum valid (from scratch and by the decoder)", () => {
    const syn = segment()
    expect(decodedMss(syn)).toBe(PASST_MSS)
    const after = expectClamped(syn, 1446)
    const labels = treeLabels(dissectFrame(after))
    expect(labels.some((l) => /^TCP Option - Maximum segment size: 1446 bytes$/.test(l))).toBe(true)
    expect(labels.filter((l) => l.startsWith('Checksum:'))).toEqual([expect.stringMatching(/\[correct\]$/)])
    expect(labels.filter((l) => l.startsWith('Header Checksum:'))).toEqual([expect.stringMatching(/\[correct\]$/)])
  })

  it('a SYN-ACK (the device answering with MSS 1460)', () => {
    expectClamped(segment({ flags: SYN_ACK, options: [...mssOption(1460), 1, 1, 4, 2] }), 1446)
  })

  it('an IPv6 SYN → maxFrame − 74 = 1426', () => {
    const after = expectClamped(segment({ version: 6 }), 1426)
    expect(treeLabels(dissectFrame(after)).filter((l) => l.startsWith('Checksum:'))).toEqual([expect.stringMatching(/\[correct\]$/)])
  })

  it('NOPs before the MSS: the value at an odd offset (one NOP) and at an even one (two)', () => {
    expectClamped(segment({ options: [1, ...mssOption(PASST_MSS), 1, 1, 1] }), 1446)
    expectClamped(segment({ options: [1, 1, ...mssOption(PASST_MSS)] }), 1446)
    expectClamped(segment({ version: 6, options: [1, 1, 1, ...mssOption(9000)] }), 1426)
  })

  it('MSS after other options, with payload (odd length), IPv4 options and Ethernet padding', () => {
    expectClamped(segment({ options: [4, 2, 3, 3, 7, 1, ...mssOption(65_535)], payload: [1, 2, 3, 4, 5] }), 1446)
    expectClamped(segment({ options: mssOption(1447), ipOptions: [1, 1, 1, 0] }), 1446)
    expectClamped(segment({ options: mssOption(PASST_MSS), padding: 6 }), 1446) // a 60-byte minimum frame's padding
  })

  it('checksums that land on the edges: 0x0000 before or after, 0xffff before, an old MSS of 0xffff', () => {
    // A payload word equal to the checksum computed with a zero word makes the checksum 0x0000.
    const zeroing = (spec: SegmentSpec): number[] => {
      const f = segment({ ...spec, payload: [0, 0] })
      const tcp = locate(f)!.tcp
      return [f[tcp + 16]!, f[tcp + 17]!]
    }
    for (const version of [4, 6] as const) {
      for (const mss of [0xffff, PASST_MSS, 1447]) {
        const zeroBefore = segment({ version, options: mssOption(mss), payload: zeroing({ version, options: mssOption(mss) }) })
        expect(freshChecksum(zeroBefore)).toBe(0)
        expectClamped(zeroBefore, mssForMaxFrame(MAX_FRAME, version))
        const clampedMss = mssForMaxFrame(MAX_FRAME, version)
        const zeroAfter = segment({ version, options: mssOption(mss), payload: zeroing({ version, options: mssOption(clampedMss) }) })
        const after = expectClamped(zeroAfter, clampedMss)
        expect(freshChecksum(after)).toBe(0)
        // 0xffff is the other zero: it verifies, and the clamp keeps it verifying
        const ffff = zeroBefore.slice()
        const tcp = locate(ffff)!.tcp
        ffff[tcp + 16] = 0xff
        ffff[tcp + 17] = 0xff
        expect(tcpChecksumOk(ffff)).toBe(true)
        const { changed, after: clampedFfff } = clampCopy(ffff)
        expect(changed).toBe(true)
        expect(tcpChecksumOk(clampedFfff)).toBe(true)
        expect(decoderChecksumOk(clampedFfff)).toBe(true)
      }
    }
  })

  it('a wrong checksum stays wrong (by the same amount)', () => {
    const f = segment()
    const tcp = locate(f)!.tcp
    f[tcp + 17] ^= 0x01
    const { changed, after } = clampCopy(f)
    expect(changed).toBe(true)
    expect(tcpChecksumOk(after)).toBe(false)
    expect(segmentSum(after, locate(after)!)).toBe(segmentSum(f, locate(f)!)) // the same one's-complement error
  })

  it('the first fragment (MF set, offset 0) still carries the TCP header: clamped', () => {
    expectClamped(segment({ fragment: 0x2000 }), 1446)
  })

  it('every MSS option above the limit when a (hostile) list has two', () => {
    const { changed, after } = clampCopy(segment({ options: [...mssOption(PASST_MSS), ...mssOption(9000)] }))
    expect(changed).toBe(true)
    expect(tcpChecksumOk(after)).toBe(true)
    const tcp = locate(after)!.tcp
    expect([...after.subarray(tcp + 20, tcp + 28)]).toEqual([...mssOption(1446), ...mssOption(1446)])
  })

  it('a frame at an offset inside a larger buffer', () => {
    const syn = segment()
    const buffer = new Uint8Array(300).fill(0xee)
    buffer.set(syn, 100)
    expect(clampMss(buffer, 100, syn.length, MAX_FRAME)).toBe(true)
    expect(decodedMss(buffer.subarray(100, 100 + syn.length))).toBe(1446)
    expect(tcpChecksumOk(buffer.subarray(100, 100 + syn.length))).toBe(true)
    expect(buffer.subarray(0, 100).every((b) => b === 0xee) && buffer.subarray(100 + syn.length).every((b) => b === 0xee)).toBe(true)
  })
})

describe('clampMss: what it leaves alone', () => {
  it('an MSS already at or below the limit', () => {
    expectUntouched(segment({ options: linuxOptions(1446) }))
    expectUntouched(segment({ options: linuxOptions(1400) }))
    expectUntouched(segment({ version: 6, options: linuxOptions(1426) }))
    expectUntouched(segment({ options: linuxOptions(PASST_MSS) }), 61_494) // a larger maxFrame: 61440 fits
  })

  it('a SYN without an MSS option, and one with no options', () => {
    expectUntouched(segment({ options: [1, 1, 4, 2, 1, 3, 3, 7] }))
    expectUntouched(segment({ options: [] }))
  })

  it('a segment without SYN carrying an MSS-looking option (ACK, FIN, RST)', () => {
    for (const flags of [ACK, 0x11, 0x04, 0x18]) expectUntouched(segment({ flags, options: mssOption(PASST_MSS) }))
  })

  it('malformed option lists, wherever the fault lies', () => {
    const bad: number[][] = [
      [...mssOption(PASST_MSS), 5, 0, 1, 1], // length 0 after the MSS
      [...mssOption(PASST_MSS), 5, 1, 1, 1], // length 1
      [6, 0, ...mssOption(PASST_MSS), 1, 1], // length 0 before it
      [2, 6, 0xf0, 0, 0, 0, 1, 1], // an MSS whose length is not 4
      [2, 3, 0xf0, 1], // …shorter
      [...mssOption(PASST_MSS), 1, 1, 1, 8] // a kind with no room for its length byte
    ]
    for (const options of bad) expectUntouched(segment({ options }))
  })

  it('an option running past the data offset', () => {
    // data offset 28: MSS, then a timestamp option (length 10) with only 4 bytes left; the rest is payload
    expectUntouched(segment({ options: [...mssOption(PASST_MSS), 8, 10, 0, 0, 0, 0, 0, 0, 0, 0], dataOffset: 28 }))
    // the MSS itself cut by the data offset
    expectUntouched(segment({ options: [1, 1, 1, ...mssOption(PASST_MSS), 1, 1, 1], dataOffset: 24 }))
  })

  it('an MSS after the end-of-list option (padding, not an option)', () => {
    expectUntouched(segment({ options: [0, 0, 0, 0, ...mssOption(PASST_MSS)] }))
  })

  it('a truncated frame: shorter than the IP length, cut in the TCP or IP header', () => {
    const syn = segment()
    for (const length of [syn.length - 1, 14 + 20 + 20 + 8, 14 + 20 + 10, 14 + 10, 13, 0]) expectUntouched(syn, MAX_FRAME, length)
    const v6 = segment({ version: 6 })
    for (const length of [v6.length - 1, 14 + 40 + 24, 14 + 39]) expectUntouched(v6, MAX_FRAME, length)
    // …and the array itself shorter than start + length
    const copy = syn.slice(0, syn.length - 2)
    expect(clampMss(copy, 0, syn.length, MAX_FRAME)).toBe(false)
    expect(copy).toEqual(syn.slice(0, syn.length - 2))
  })

  it('IP lengths that lie: IPv4 total length below the header, IHL < 5, TCP data offset < 5 or past the segment', () => {
    const syn = segment()
    const edits: [number, number][] = [[16, 0xff], [17, 19], [14, 0x44], [14 + 20 + 12, 0x40], [14 + 20 + 12, 0xf0], [14, 0x55]]
    for (const [at, value] of edits) {
      const f = syn.slice()
      f[at] = value
      expectUntouched(f)
    }
    const v6 = segment({ version: 6 })
    v6[14 + 4] = 0
    v6[14 + 5] = 19
    expectUntouched(v6)
  })

  it('a later fragment (offset > 0)', () => {
    expectUntouched(segment({ fragment: 0x0001 }))
    expectUntouched(segment({ fragment: 0x2000 | 185 }))
  })

  it('UDP, and other IPv4 protocols', () => {
    expectUntouched(segment({ protocol: 17 }))
    expectUntouched(segment({ protocol: 1 }))
  })

  it('IPv6 with an extension header before TCP (not walked)', () => {
    expectUntouched(segment({ version: 6, protocol: 0 }))
    expectUntouched(segment({ version: 6, protocol: 44 }))
  })

  it('the wrong IP version under the EtherType', () => {
    const v4 = segment()
    v4[14] = 0x65
    expectUntouched(v4)
    const v6 = segment({ version: 6 })
    v6[14] = 0x40
    expectUntouched(v6)
  })

  it('a VLAN-tagged frame (802.1Q, 802.1ad): not misparsed', () => {
    for (const tpid of [0x8100, 0x88a8]) {
      const syn = segment()
      const tagged = new Uint8Array(syn.length + 4)
      tagged.set(syn.subarray(0, 12), 0)
      tagged.set([tpid >> 8, tpid & 0xff, 0, 5], 12)
      tagged.set(syn.subarray(12), 16)
      expectUntouched(tagged)
    }
  })

  it('nonsense start and length', () => {
    const syn = segment()
    for (const [start, length] of [[-1, syn.length], [0, -1], [0.5, syn.length], [NaN, 10], [0, NaN], [syn.length + 5, 100], [0, Infinity]]) {
      const copy = syn.slice()
      expect(clampMss(copy, start!, length!, MAX_FRAME)).toBe(false)
      expect(copy).toEqual(syn)
    }
  })
})

// --- Properties ---

const optionArb: fc.Arbitrary<number[]> = fc.oneof(
  fc.constant<number[]>([1]),
  fc.integer({ min: 0, max: 0xffff }).map(mssOption),
  fc.integer({ min: 0, max: 14 }).map((s) => [3, 3, s]),
  fc.constant<number[]>([4, 2]),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((ts) => [8, 10, ...ts]),
  fc.tuple(fc.integer({ min: 9, max: 253 }), fc.uint8Array({ maxLength: 6 })).map(([kind, data]) => [kind, 2 + data.length, ...data])
)

const segmentArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    version: fc.constantFrom(4 as const, 6 as const),
    flags: fc.oneof(fc.constantFrom(SYN, SYN_ACK), fc.integer({ min: 0, max: 0xff })),
    options: fc.array(optionArb, { maxLength: 8 }).map((list) => list.flat().slice(0, 40)),
    payload: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 9 }),
    padding: fc.integer({ min: 0, max: 8 })
  })
  .map(segment) // an option list cut at 40 bytes stays cut: a malformed list is an input too

interface Placed {
  buffer: Uint8Array
  start: number
  length: number
}

/** A frame inside a buffer with random bytes around it, `length` possibly short of the frame or past the buffer. */
const placedArb = (frames: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Placed> =>
  fc
    .record({
      frame: frames,
      before: fc.uint8Array({ maxLength: 8 }),
      after: fc.uint8Array({ maxLength: 8 }),
      mutations: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.oneof(fc.constant(0), fc.integer({ min: -4, max: 80 }))
    })
    .map(({ frame, before, after, mutations, cut }) => {
      const f = frame.slice()
      for (const [at, value] of mutations) if (f.length > 0) f[at % f.length] = value
      const buffer = new Uint8Array(before.length + f.length + after.length)
      buffer.set(before, 0)
      buffer.set(f, before.length)
      buffer.set(after, before.length + f.length)
      return { buffer, start: before.length, length: Math.max(0, f.length - cut) }
    })

/** Runs the clamp on one placed frame and checks what holds whatever the bytes. */
function checkPlaced({ buffer, start, length }: Placed, maxFrame: number): boolean {
  const before = buffer.slice()
  const changed = clampMss(buffer, start, length, maxFrame)
  const end = Math.min(start + length, buffer.length)
  for (let i = 0; i < buffer.length; i++) {
    if (i < start || i >= end || !changed) expect(buffer[i], `byte ${i} (frame ${start}..${end}, changed ${changed})`).toBe(before[i])
  }
  if (changed) {
    const frameBefore = before.subarray(start, end)
    const frameAfter = buffer.subarray(start, end)
    if (tcpChecksumOk(frameBefore)) {
      expect(tcpChecksumOk(frameAfter)).toBe(true)
      expect(decoderChecksumOk(frameAfter)).toBe(true)
    }
    const at = locate(frameAfter)!
    const limit = mssForMaxFrame(maxFrame, at.version)
    expect(decodedMss(frameAfter)).toBeLessThanOrEqual(limit)
    expect(clampMss(buffer, start, length, maxFrame)).toBe(false)
  }
  return changed
}

describe('clampMss: an option list found by the property test (CI, seed -2006293511)', () => {
  it('leaves alone a SYN whose last option kind has no room for its length byte, though an MSS before it is over the limit', () => {
    // Window scale, timestamps, kind 9, MSS 0, window scale, MSS 1447 (over 1446), kind 9, then a lone 3 at the header's end.
    const frame = Uint8Array.from([2, 0, 0, 0, 0, 2, 154, 85, 195, 16, 39, 1, 8, 0, 69, 0, 0, 80, 18, 52, 64, 0, 64, 6, 16, 100, 10, 0, 2, 2, 10, 0, 2, 15, 156, 64, 0, 80, 161, 178, 195, 212, 0, 0, 0, 0, 240, 2, 255, 255, 200, 195, 0, 0, 3, 3, 0, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 9, 8, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0, 3, 3, 0, 2, 4, 5, 167, 9, 7, 0, 0, 0, 0, 0, 3])
    const copy = frame.slice()
    expect(clampMss(copy, 0, copy.length, MAX_FRAME)).toBe(false)
    expect(copy).toEqual(frame)
  })
})

describe('clampMss: properties', () => {
  it('random bytes: never throws, never writes outside the frame, changes nothing when it returns false', () => {
    fc.assert(
      fc.property(placedArb(fc.uint8Array({ maxLength: 120 })), fc.integer({ min: MIN_CLAMP_FRAME, max: 70_000 }), (p, maxFrame) => {
        checkPlaced(p, maxFrame)
      }),
      { numRuns: 2000 }
    )
  })

  it('random bytes behind a valid Ethernet/IP/TCP-SYN start: the same, and the checksum stays valid', () => {
    const prefixArb = fc.tuple(fc.constantFrom(4 as const, 6 as const), fc.uint8Array({ minLength: 20, maxLength: 80 })).map(([version, rest]) => {
      const f = segment({ version, options: [] }).slice(0, version === 4 ? 34 : 54)
      const out = new Uint8Array(f.length + rest.length)
      out.set(f)
      out.set(rest, f.length)
      out[f.length + 13] |= SYN
      if (version === 4) {
        out[16] = (out.length - 14) >> 8
        out[17] = (out.length - 14) & 0xff
      } else {
        out[18] = (out.length - 54) >> 8
        out[19] = (out.length - 54) & 0xff
      }
      return out
    })
    fc.assert(
      fc.property(placedArb(prefixArb), (p) => {
        checkPlaced(p, MAX_FRAME)
      }),
      { numRuns: 2000 }
    )
  })

  it('random mutations of valid segments with random options: never throws, never writes outside, checksum stays valid', () => {
    let clamped = 0
    fc.assert(
      fc.property(placedArb(segmentArb), fc.constantFrom(MAX_FRAME, 1514, 576, MIN_CLAMP_FRAME, 9000), (p, maxFrame) => {
        if (checkPlaced(p, maxFrame)) clamped++
      }),
      { numRuns: 5000 }
    )
    expect(clamped).toBeGreaterThan(100)
  })

  it('an unmutated SYN with a sound option list: clamped exactly when an MSS exceeds the limit, to the checksum a sender computes', () => {
    fc.assert(
      fc.property(segmentArb, (frame) => {
        const at = locate(frame)!
        const mssValues: number[] = []
        let sound = true
        for (let i = at.tcp + 20; i < at.tcp + ((frame[at.tcp + 12]! >> 4) * 4); ) {
          const kind = frame[i]!
          if (kind === 0) break
          if (kind === 1) {
            i++
            continue
          }
          const end = at.tcp + ((frame[at.tcp + 12]! >> 4) * 4)
          if (i + 1 >= end) {
            sound = false // a kind with no room for its length byte
            break
          }
          const len = frame[i + 1]!
          if (len < 2 || i + len > end || (kind === 2 && len !== 4)) {
            sound = false
            break
          }
          if (kind === 2) mssValues.push((frame[i + 2]! << 8) | frame[i + 3]!)
          i += len
        }
        const limit = mssForMaxFrame(MAX_FRAME, at.version)
        const expected = sound && (frame[at.tcp + 13]! & SYN) !== 0 && mssValues.some((v) => v > limit)
        const copy = frame.slice()
        expect(clampMss(copy, 0, copy.length, MAX_FRAME)).toBe(expected)
        if (expected) {
          expect(tcpChecksumOk(copy)).toBe(true)
          expect((copy[at.tcp + 16]! << 8) | copy[at.tcp + 17]!).toBe(freshChecksum(copy))
        } else {
          expect(copy).toEqual(frame)
        }
      }),
      { numRuns: 3000 }
    )
  })
})

// --- tshark's reading ---

describe.skipIf(skipTshark)(`clampMss: tshark reads the clamped frames${tsharkTitleNote}`, () => {
  let dir: string | undefined
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('MSS 61440 before, 1446 (IPv4) and 1426 (IPv6) after, every TCP checksum good', () => {
    requireTshark()
    const before = [segment(), segment({ flags: SYN_ACK, options: [1, ...mssOption(PASST_MSS), 1, 1, 1] }), segment({ version: 6 })]
    const after = before.map((f) => {
      const copy = f.slice()
      expect(clampMss(copy, 0, copy.length, MAX_FRAME)).toBe(true)
      return copy
    })
    const frames = [...before, ...after]
    const header = pcapngHeader('tunscope mssClamp test', [{ name: 'test', description: 'MSS clamp before/after', payload: 'ethernet' }])
    const file = new Uint8Array(header.length + frames.reduce((n, f) => n + epbLength(f.length), 0))
    file.set(header)
    const view = new DataView(file.buffer)
    let at = header.length
    for (const f of frames) {
      file.set(f, at + 28)
      writeEpbAround(view, at, 1_700_000_000_000_000, EPB_INBOUND, f.length, f.length)
      at += epbLength(f.length)
    }
    dir = mkdtempSync(join(tmpdir(), 'tunscope-mss-'))
    const path = join(dir, 'mss.pcapng')
    writeFileSync(path, file)
    const t = tsharkFields(path, ['tcp.options.mss_val', 'tcp.checksum.status', '_ws.malformed'], ['-o', 'tcp.check_checksum:TRUE'])
    expect(t.status).toBe(0)
    expect(t.complaints).toEqual([])
    expect(t.rows).toEqual([
      ['61440', '1', ''],
      ['61440', '1', ''],
      ['61440', '1', ''],
      ['1446', '1', ''],
      ['1446', '1', ''],
      ['1426', '1', '']
    ])
  })
})
