import { describe, expect, it } from 'vitest'
import { checkIpv6, dissectFrame, parseIpv6, summarizeFrame } from '../../src/engine/decode'
import { hexFrame, icmpv6EchoRequest, ipv6Fragment, ipv6HopByHopMld, udp6 } from './fixtures'
import { findNode, problems } from './wellformed'

const ETH = '020000000002 020000000001 86dd'
const ADDRS = 'fd000000000000000000000000000001 fd000000000000000000000000000002'

function ipv6(nextHeader: string, payload: string): Uint8Array {
  const length = (payload.replace(/\s/g, '').length / 2).toString(16).padStart(4, '0')
  return hexFrame(ETH, `6 02 12345 ${length} ${nextHeader} 40`, ADDRS, payload)
}

describe('IPv6', () => {
  it('parses the fixed header', () => {
    expect(parseIpv6(icmpv6EchoRequest, 14, icmpv6EchoRequest.length - 14)).toEqual({
      version: 6, offset: 14, trafficClass: 0, flowLabel: 0, payloadLength: 56, nextHeader: 58, hopLimit: 64,
      src: 'fd00::1', dst: 'fd00::2', extensions: [], protocol: 58, upperOffset: 54, upperLength: 56, truncated: false
    })
  })

  it('reads traffic class and flow label across their nibble boundaries', () => {
    const frame = ipv6('3b', '')
    expect(parseIpv6(frame, 14, 40)).toMatchObject({ trafficClass: 0x02, flowLabel: 0x12345 })
    expect(findNode(dissectFrame(frame), 'Flow Label').label).toBe('Flow Label: 0x12345')
    expect(findNode(dissectFrame(frame), 'Traffic Class').label).toBe('Traffic Class: 0x02 (DSCP: 0, ECN: ECT(0))')
  })

  it('skips a Hop-by-Hop header to the upper layer', () => {
    const h = parseIpv6(ipv6HopByHopMld, 14, ipv6HopByHopMld.length - 14)
    expect(h).toMatchObject({ nextHeader: 0, protocol: 58, upperOffset: 62, upperLength: 28 })
    expect(h?.extensions).toEqual([{ type: 0, offset: 54, length: 8, nextHeader: 58 }])
    const layer = dissectFrame(ipv6HopByHopMld)[1]
    expect(layer.length).toBe(48)
    expect(findNode([layer], 'IPv6 Hop-by-Hop Option')).toMatchObject({ start: 54, length: 8 })
  })

  it('skips routing and destination options headers too', () => {
    // Routing (43, 8 bytes) → Destination options (60, 16 bytes) → UDP.
    const frame = ipv6('2b', '3c00 0000 00000000  11 01 0000 00000000 0000000000000000  9c40 0007 0008 0000')
    const h = parseIpv6(frame, 14, frame.length - 14)
    expect(h?.extensions.map((e) => [e.type, e.length])).toEqual([[43, 8], [60, 16]])
    expect(summarizeFrame(frame)).toMatchObject({ protocol: 'UDP', info: '40000 → 7 Len=0' })
  })

  it('describes later fragments instead of decoding them', () => {
    expect(parseIpv6(ipv6Fragment, 14, 64)?.extensions[0].fragment).toEqual({ offset: 1448, more: true, identification: 0xdeadbeef })
    expect(summarizeFrame(ipv6Fragment)).toEqual({
      protocol: 'IPv6', source: 'fd00::1', destination: 'fd00::2', info: 'IPv6 fragment (off=1448 more=y ident=0xdeadbeef nxt=17)'
    })
    expect(findNode(dissectFrame(ipv6Fragment), 'Fragment Header for IPv6').children?.map((n) => n.label)).toEqual([
      'Next Header: UDP (17)', 'Offset: 1448', 'More Fragments: Yes', 'Identification: 0xdeadbeef'
    ])
  })

  it('decodes the first fragment', () => {
    const frame = ipv6('2c', '11 00 0001 00000001  9c40 0007 0bb8 0000')
    expect(summarizeFrame(frame)).toMatchObject({ protocol: 'UDP', info: '40000 → 7 Len=2992' })
  })

  it('says "no next header"', () => {
    expect(summarizeFrame(ipv6('3b', '')).info).toBe('IPv6 no next header')
  })

  it('stops at a cut extension header and reports it', () => {
    const frame = ipv6('00', '11 05 0000 00000000')
    const h = parseIpv6(frame, 14, frame.length - 14)
    expect(h?.extensionProblem).toBe('IPv6 Hop-by-Hop Option truncated: 8 of 48 bytes')
    expect(summarizeFrame(frame)).toMatchObject({ protocol: 'IPv6', info: '[Malformed Packet: IPv6 Hop-by-Hop Option truncated: 8 of 48 bytes]' })
    expect(problems(dissectFrame(frame))).toEqual(['IPv6 Hop-by-Hop Option truncated: 8 of 48 bytes'])
  })

  it('gives up on an endless chain of extension headers', () => {
    const frame = ipv6('3c', '3c00000000000000'.repeat(12))
    expect(parseIpv6(frame, 14, frame.length - 14)).toMatchObject({ extensionProblem: 'More than 8 extension headers' })
    expect(summarizeFrame(frame).protocol).toBe('IPv6')
  })

  it('marks a payload shorter than the payload length', () => {
    const frame = udp6.slice(0, 66)
    expect(parseIpv6(frame, 14, 52)).toMatchObject({ truncated: true, upperLength: 12 })
    expect(problems(dissectFrame(frame))).toEqual(['Payload length 17 exceeds the 12 bytes present', 'Length 17 exceeds the 12 bytes present'])
  })

  it('refuses a bogus version or a cut header', () => {
    const frame = icmpv6EchoRequest.slice()
    frame[14] = 0x45
    expect(parseIpv6(frame, 14, 96)).toBeUndefined()
    expect(checkIpv6(frame, 14, 96)).toBe('Bogus IPv6 version (4, must be 6)')
    expect(checkIpv6(icmpv6EchoRequest, 14, 39)).toBe('Header truncated: 39 of 40 bytes')
  })
})
