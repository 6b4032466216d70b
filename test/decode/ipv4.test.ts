import { describe, expect, it } from 'vitest'
import { checkIpv4, dissectFrame, parseIpv4, summarizeFrame } from '../../src/engine/decode'
import { icmpEchoRequest, ipv4BadChecksum, ipv4Fragment, hexFrame, udpEcho } from './fixtures'
import { findNode, problems } from './wellformed'

const ETH = '020000000002 020000000001 0800'

describe('IPv4', () => {
  it('parses every header field', () => {
    expect(parseIpv4(icmpEchoRequest, 14, icmpEchoRequest.length - 14)).toEqual({
      version: 4, offset: 14, headerLength: 20, dscp: 0, ecn: 0, totalLength: 76, identification: 0x3a7f,
      reservedFlag: false, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: 1,
      checksum: { value: 0xb6dd, expected: 0xb6dd, ok: true },
      src: '192.168.100.1', dst: '192.168.100.2', upperOffset: 34, upperLength: 56, truncated: false
    })
  })

  it('bounds the payload by total length, so padding is not payload', () => {
    expect(parseIpv4(udpEcho, 14, udpEcho.length - 14)).toMatchObject({ totalLength: 40, upperLength: 20, truncated: false })
  })

  it('shows the header in the tree with byte ranges', () => {
    const ip = dissectFrame(icmpEchoRequest)[1]
    expect(ip).toMatchObject({ label: 'Internet Protocol Version 4, Src: 192.168.100.1, Dst: 192.168.100.2', start: 14, length: 20 })
    expect(ip.children?.map((n) => [n.label, n.start, n.length])).toEqual([
      ['Version: 4', 14, 1],
      ['Header Length: 20 bytes (5)', 14, 1],
      ['Differentiated Services Field: 0x00 (DSCP: 0, ECN: Not-ECT)', 15, 1],
      ['Total Length: 76', 16, 2],
      ['Identification: 0x3a7f (14975)', 18, 2],
      ["Flags: 0x2, Don't fragment", 20, 1],
      ['Fragment Offset: 0', 20, 2],
      ['Time to Live: 64', 22, 1],
      ['Protocol: ICMP (1)', 23, 1],
      ['Header Checksum: 0xb6dd [correct]', 24, 2],
      ['Source Address: 192.168.100.1', 26, 4],
      ['Destination Address: 192.168.100.2', 30, 4]
    ])
  })

  it('flags a bad header checksum with what it should be, and still decodes the rest', () => {
    const tree = dissectFrame(ipv4BadChecksum)
    expect(findNode(tree, 'Header Checksum')).toEqual({
      label: 'Header Checksum: 0x1234 [incorrect, should be 0x634f]', start: 24, length: 2, problem: 'Bad checksum, should be 0x634f'
    })
    expect(parseIpv4(ipv4BadChecksum, 14, 46)?.checksum.ok).toBe(false)
    expect(summarizeFrame(ipv4BadChecksum).protocol).toBe('UDP')
  })

  it('reads DSCP/ECN and options length', () => {
    // DSCP EF (46), ECN CE, one 4-byte Router Alert option; UDP payload behind it.
    const frame = hexFrame(ETH, '46 bb 0020 0001 0000 40 11 0000 c0a86401 c0a86402', '94040000', '9c40 9c41 0008 0000')
    const h = parseIpv4(frame, 14, frame.length - 14)
    expect(h).toMatchObject({ headerLength: 24, dscp: 46, ecn: 3, upperOffset: 38, upperLength: 8 })
    const tree = dissectFrame(frame)
    expect(findNode(tree, 'Differentiated').label).toBe('Differentiated Services Field: 0xbb (DSCP: 46, ECN: CE)')
    expect(findNode(tree, 'Options')).toEqual({ label: 'Options: (4 bytes)', start: 34, length: 4 })
    expect(summarizeFrame(frame).info).toBe('40000 → 40001 Len=0')
  })

  it('describes later fragments instead of decoding them', () => {
    expect(summarizeFrame(ipv4Fragment).info).toBe('Fragmented IP protocol (proto=UDP 17, off=1480, ID=abcd)')
    expect(dissectFrame(ipv4Fragment).map((n) => n.label)).toEqual([
      'Ethernet II, Src: 02:00:00:00:00:01, Dst: 02:00:00:00:00:02',
      'Internet Protocol Version 4, Src: 192.168.100.1, Dst: 192.168.100.2',
      'Data (48 bytes)'
    ])
  })

  it('decodes a first fragment as far as it goes', () => {
    const frame = hexFrame(ETH, '45 00 0030 1c46 2000 40 11 0000 c0a86401 c0a86402', '9c40 0007 0bb8 0000', '00'.repeat(20))
    expect(parseIpv4(frame, 14, 48)).toMatchObject({ moreFragments: true, fragmentOffset: 0 })
    expect(summarizeFrame(frame)).toMatchObject({ protocol: 'UDP', info: '40000 → 7 Len=2992' })
    expect(findNode(dissectFrame(frame), 'Flags').label).toBe('Flags: 0x1, More fragments')
  })

  it('shows an unknown protocol as data', () => {
    const frame = hexFrame(ETH, '45 00 001c 0001 0000 40 fd 0000 c0a86401 c0a86402', '0102030405060708')
    expect(summarizeFrame(frame)).toEqual({ protocol: 'IPv4', source: '192.168.100.1', destination: '192.168.100.2', info: 'Data (8 bytes)' })
    expect(findNode(dissectFrame(frame), 'Protocol:').label).toBe('Protocol: Unknown (253)')
  })

  it.each([
    ['a bogus version', '65 00 0014 0000 0000 40 11 0000 c0a86401 c0a86402', 'Bogus IPv4 version (6, must be 4)'],
    ['a header length under 20', '43 00 0014 0000 0000 40 11 0000 c0a86401 c0a86402', 'Bogus IP header length (12, must be at least 20)'],
    ['options past the end', '4f 00 0014 0000 0000 40 11 0000 c0a86401 c0a86402', 'Header truncated: 20 of 60 bytes'],
    ['a total length under the header', '45 00 0010 0000 0000 40 11 0000 c0a86401 c0a86402', 'Bogus IP length (16, less than header length 20)']
  ])('refuses %s', (_, header, problem) => {
    const frame = hexFrame(ETH, header)
    expect(parseIpv4(frame, 14, 20)).toBeUndefined()
    expect(checkIpv4(frame, 14, 20)).toBe(problem)
    expect(summarizeFrame(frame)).toEqual({
      protocol: 'IPv4', source: '02:00:00:00:00:01', destination: '02:00:00:00:00:02', info: `[Malformed Packet: ${problem}]`
    })
    expect(problems(dissectFrame(frame))).toEqual([problem])
  })
})
