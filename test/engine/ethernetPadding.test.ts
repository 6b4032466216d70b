// Ethernet padding taken off before frames go to passt (issue 12): what must be trimmed, what must
// be left alone, and hostile bytes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { unpaddedLength } from '../../src/engine/services/ethernetPadding'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))

// A bare TCP ACK as QEMU's e1000 puts it on the wire: a 40-byte IPv4 packet, padded to 60 bytes.
const PADDED_ACK = hex(`
  020000000001 52540001960c 0800
  4500 0028 1234 4000 4006 0000 c0a86402 c0a86401
  d8cc 2383 00000029 0000fb31 5010 0fa5 0000 0000
  000000000000`)

// An IPv6 packet of 40 bytes header + 8 bytes of UDP header, padded with 4 bytes.
const PADDED_IPV6 = hex(`
  020000000001 52540001960c 86dd
  6000 0000 0008 1140 ${'00'.repeat(15)}01 ${'00'.repeat(15)}02
  0035 0035 0008 0000
  00000000`)

// An ARP request: 42 bytes of ARP, padded to 60; nothing to go by, kept whole.
const PADDED_ARP = hex(`
  ffffffffffff 52540001960c 0806
  0001 0800 06 04 0001 52540001960c c0a86402 000000000000 c0a86401
  ${'00'.repeat(18)}`)

describe('unpaddedLength', () => {
  it("takes an e1000's padding off a bare TCP ACK: 60 bytes become 54", () => {
    expect(PADDED_ACK.length).toBe(60)
    expect(unpaddedLength(PADDED_ACK, 0, 60)).toBe(54)
  })

  it('finds the frame where it starts in a larger buffer', () => {
    const buffer = new Uint8Array(100).fill(0xee)
    buffer.set(PADDED_ACK, 17)
    expect(unpaddedLength(buffer, 17, 60)).toBe(54)
  })

  it('trims IPv6 by its payload length', () => {
    expect(unpaddedLength(PADDED_IPV6, 0, PADDED_IPV6.length)).toBe(14 + 48)
  })

  it('leaves a frame without padding as it is', () => {
    expect(unpaddedLength(PADDED_ACK, 0, 54)).toBe(54)
  })

  it('leaves alone what it cannot go by: ARP, a VLAN tag, a length past the frame or under the header, a jumbogram, a short frame', () => {
    expect(unpaddedLength(PADDED_ARP, 0, 60)).toBe(60)
    const vlan = new Uint8Array(64)
    vlan.set(PADDED_ACK.subarray(0, 12))
    vlan.set([0x81, 0x00, 0x00, 0x05], 12)
    vlan.set(PADDED_ACK.subarray(12), 16)
    expect(unpaddedLength(vlan, 0, 64)).toBe(64)
    const longer = PADDED_ACK.slice()
    longer[16] = 0x05 // total length 1320: past the frame
    expect(unpaddedLength(longer, 0, 60)).toBe(60)
    const underHeader = PADDED_ACK.slice()
    underHeader[17] = 12 // total length 12: shorter than an IPv4 header
    expect(unpaddedLength(underHeader, 0, 60)).toBe(60)
    const underIhl = PADDED_ACK.slice()
    underIhl[14] = 0x4f // a 60-byte header in a 40-byte packet
    expect(unpaddedLength(underIhl, 0, 60)).toBe(60)
    const jumbo = PADDED_IPV6.slice()
    jumbo[18] = 0
    jumbo[19] = 0
    expect(unpaddedLength(jumbo, 0, jumbo.length)).toBe(jumbo.length)
    expect(unpaddedLength(PADDED_ACK, 0, 20)).toBe(20)
  })

  it('never throws on hostile bytes, and never grows a frame or cuts into its headers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(210), fc.nat(210), (bytes, start, length) => {
        const out = unpaddedLength(bytes, start, length)
        expect(out).toBeLessThanOrEqual(length)
        if (out !== length) expect(out).toBeGreaterThanOrEqual(14 + 20)
      }),
      { numRuns: 5000 }
    )
  })
})
