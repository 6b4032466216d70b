import { describe, expect, it } from 'vitest'
import { formatIpv4, formatIpv6, formatMac } from '../../src/engine/decode'
import { verifyChecksum } from '../../src/engine/decode/bytes'
import { hexFrame, udpEcho } from './fixtures'

describe('address formatting', () => {
  it('formats MAC and IPv4 addresses at an offset', () => {
    const b = hexFrame('ff 02000000000a c0a86401')
    expect(formatMac(b, 1)).toBe('02:00:00:00:00:0a')
    expect(formatIpv4(b, 7)).toBe('192.168.100.1')
  })

  // RFC 5952 §4: lowercase, no leading zeros, '::' for the first longest run of two or more zero groups.
  it.each([
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00010000000000000000000000000000', '1::'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    ['20010000000000010000000000000001', '2001:0:0:1::1'],
    ['20010DB8000000000000000000000010', '2001:db8::10'],
    ['ff0200000000000000000001ff000001', 'ff02::1:ff00:1'],
    ['00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
    ['20010db8aaaabbbbccccddddeeeeffff', '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff']
  ])('formats %s as %s', (hex, text) => {
    expect(formatIpv6(hexFrame('99', hex), 1)).toBe(text)
  })
})

describe('verifyChecksum', () => {
  it('accepts a correct IPv4 header checksum and says what a wrong one should be', () => {
    expect(verifyChecksum(udpEcho, 14, 34, 24)).toEqual({ value: 0x634f, expected: 0x634f, ok: true })
    const bad = udpEcho.slice()
    bad[24] = 0x12
    bad[25] = 0x34
    expect(verifyChecksum(bad, 14, 34, 24)).toEqual({ value: 0x1234, expected: 0x634f, ok: false })
  })

  it('pads an odd trailing byte with zero (RFC 1071)', () => {
    // Words 0x0001 + 0xf203 + 0xf4f5 + 0xf6f7, the zero checksum field, then 0xff padded to 0xff00.
    const b = hexFrame('0001f203f4f5f6f70000ff')
    const sum = 0x0001 + 0xf203 + 0xf4f5 + 0xf6f7 + 0xff00
    let folded = sum
    while (folded > 0xffff) folded = (folded & 0xffff) + (folded >>> 16)
    expect(verifyChecksum(b, 0, b.length, 8).expected).toBe(~folded & 0xffff)
  })
})
