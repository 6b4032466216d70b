import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as decode from '../../src/engine/decode'
import { dissectFrame, summarizeFrame } from '../../src/engine/decode'
import { fixtures } from './fixtures'
import { expectSummaryShape, expectWellFormed } from './wellformed'

function decodesSafely(frame: Uint8Array): void {
  expectSummaryShape(summarizeFrame(frame))
  expectWellFormed(frame, dissectFrame(frame))
}

const fixtureList = Object.values(fixtures)

/** A valid fixture, cut at a random length, with random bytes overwritten. */
const mutatedFixture = fc
  .tuple(
    fc.constantFrom(...fixtureList),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    fc.option(fc.nat(), { nil: undefined })
  )
  .map(([base, flips, cut]) => {
    const frame = base.slice(0, cut === undefined ? base.length : cut % (base.length + 1))
    for (const [at, value] of flips) if (frame.length > 0) frame[at % frame.length] = value
    return frame
  })

/** Ethernet + a plausible IPv4 or IPv6 header for a chosen upper protocol, then random bytes: reaches the deep layers. */
const plausibleIpFrame = fc
  .tuple(
    fc.boolean(),
    fc.constantFrom(0, 1, 6, 17, 43, 44, 58, 59, 60),
    fc.constantFrom(53, 67, 68, 80, 7, 40000),
    fc.uint8Array({ maxLength: 600 }),
    fc.integer({ min: 5, max: 15 })
  )
  .map(([v6, protocol, port, rest, ihl]) => {
    const header = v6 ? new Uint8Array(40) : new Uint8Array(ihl * 4)
    const total = header.length + rest.length
    if (v6) {
      header.set([0x60, 0, 0, 0, rest.length >> 8, rest.length & 0xff, protocol, 64])
    } else {
      header.set([0x40 | ihl, 0, total >> 8, total & 0xff, 0, 1, 0, 0, 64, protocol])
    }
    // Aim the transport ports at the application decoders.
    if (rest.length >= 4) rest.set([port >> 8, port & 0xff], 2)
    const frame = new Uint8Array(14 + total)
    frame.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00])
    frame.set(header, 14)
    frame.set(rest, 14 + header.length)
    return frame
  })

describe('hostile bytes', () => {
  it('never throws on arbitrary bytes and always returns well-formed results', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1600 }), decodesSafely), { numRuns: 500 })
  })

  it('never throws on truncated and corrupted fixtures', () => {
    fc.assert(fc.property(mutatedFixture, decodesSafely), { numRuns: 2000 })
  })

  it('never throws on random transport and application bytes behind plausible IP headers', () => {
    fc.assert(fc.property(plausibleIpFrame, decodesSafely), { numRuns: 2000 })
  })

  it('parse functions accept any offset and length without throwing', () => {
    const parsers = [
      decode.parseEthernet, decode.parseArp, decode.parseIpv4, decode.parseIpv6, decode.parseIcmp, decode.parseIcmpv6,
      decode.parseUdp, decode.parseTcp, decode.parseDhcp, decode.parseDns, decode.parseHttp
    ]
    const anyNumber = fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.constantFrom(NaN, Infinity, -Infinity))
    fc.assert(
      fc.property(fc.constantFrom(...fixtureList), anyNumber, anyNumber, (frame, offset, length) => {
        for (const parse of parsers) expect(() => parse(frame, offset, length)).not.toThrow()
      }),
      { numRuns: 500 }
    )
  })
})
