import { describe, expect, it } from 'vitest'
import { dissectFrame, parseIcmpv6, summarizeFrame } from '../../src/engine/decode'
import * as fx from './fixtures'
import { findNode, problems } from './wellformed'

/** An ICMPv6 message from fe80::2 to fe80::1 (checksum left zero). */
function icmpv6(message: string): Uint8Array {
  const length = (message.replace(/\s/g, '').length / 2).toString(16).padStart(4, '0')
  return fx.hexFrame('020000000001 020000000002 86dd', `60000000 ${length} 3a ff`,
    'fe800000000000000000000000000002 fe800000000000000000000000000001', message)
}

describe('ICMPv6', () => {
  it('parses echo and verifies the pseudo-header checksum', () => {
    expect(parseIcmpv6(fx.icmpv6EchoRequest, 54, 56)).toEqual({
      offset: 54, length: 56, type: 128, code: 0, checksum: 0xdb30, identifier: 1, sequence: 3, options: []
    })
    expect(findNode(dissectFrame(fx.icmpv6EchoRequest), 'Checksum').label).toBe('Checksum: 0xdb30 [correct]')
    const moved = fx.icmpv6EchoRequest.slice()
    moved[53] = 3 // destination fd00::3: same message, wrong pseudo-header
    expect(findNode(dissectFrame(moved), 'Checksum').label).toBe('Checksum: 0xdb30 [incorrect, should be 0xdb2f]')
  })

  it('parses neighbor solicitation with its source link-layer option', () => {
    const m = parseIcmpv6(fx.icmpv6NeighborSolicitation, 54, 32)
    expect(m).toMatchObject({ type: 135, target: 'fe80::1', options: [{ type: 1, offset: 78, length: 8, linkLayerAddress: '02:00:00:00:00:02' }] })
    expect(findNode(dissectFrame(fx.icmpv6NeighborSolicitation), 'Target Address')).toMatchObject({ start: 62, length: 16 })
  })

  it('parses neighbor advertisement flags and target link-layer address', () => {
    expect(parseIcmpv6(fx.icmpv6NeighborAdvertisement, 54, 32)).toMatchObject({ naFlags: 3, target: 'fe80::1' })
    expect(findNode(dissectFrame(fx.icmpv6NeighborAdvertisement), 'Flags').label).toBe('Flags: 0x60000000, sol, ovr')
  })

  it('parses a router advertisement and its prefix', () => {
    const tree = dissectFrame(fx.icmpv6RouterAdvertisement)
    expect(findNode(tree, 'Router lifetime').label).toBe('Router lifetime (s): 1800')
    expect(findNode(tree, 'ICMPv6 Option (Prefix').label).toBe('ICMPv6 Option (Prefix information: fd00::/64)')
    expect(problems(tree)).toEqual([])
  })

  it.each([
    ['88 00 0000 e0000000 fe800000000000000000000000000001', 'Neighbor Advertisement fe80::1 (rtr, sol, ovr)'],
    ['87 00 0000 00000000 fe800000000000000000000000000001', 'Neighbor Solicitation for fe80::1'],
    ['85 00 0000 00000000', 'Router Solicitation'],
    ['86 00 0000 40 00 0708 00000000 00000000', 'Router Advertisement'],
    ['02 00 0000 000005d6', 'Packet Too Big'],
    ['03 00 0000 00000000', 'Time Exceeded (Hop limit exceeded in transit)'],
    ['82 00 0000 0000 0000 00000000000000000000000000000000', 'Multicast Listener Query'],
    ['c8 00 0000 00000000', 'Unknown ICMPv6 type (200)']
  ])('summarizes %s as %s', (message, info) => {
    expect(summarizeFrame(icmpv6(message)).info).toBe(info)
  })

  it('decodes the packet quoted by an error', () => {
    const quoted = findNode(dissectFrame(fx.icmpv6PortUnreachable), 'Original datagram')
    expect(quoted.children?.map((n) => n.label)).toEqual(['Internet Protocol Version 6, Src: fd00::1, Dst: fd00::2', 'UDP 40000 → 9'])
  })

  it('stops at an NDP option of length zero', () => {
    const frame = icmpv6('87 00 0000 00000000 fe800000000000000000000000000001 0100 020000000002')
    const m = parseIcmpv6(frame, 54, 32)
    expect(m).toMatchObject({ options: [], problem: 'Bad length for option at offset 24' })
    expect(summarizeFrame(frame).info).toBe('Neighbor Solicitation for fe80::1')
    expect(problems(dissectFrame(frame))).toContain('Bad length for option at offset 24')
  })

  it('refuses a message shorter than its fixed part', () => {
    expect(summarizeFrame(icmpv6('87 00 0000 00000000 fe80'))).toMatchObject({
      protocol: 'ICMPv6', info: '[Malformed Packet: Message truncated: 10 of 24 bytes]'
    })
  })
})
