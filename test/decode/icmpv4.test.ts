import { describe, expect, it } from 'vitest'
import { checkIcmp, dissectFrame, parseIcmp, summarizeFrame } from '../../src/engine/decode'
import { hexFrame, icmpEchoReply, icmpEchoRequest, icmpPortUnreachable } from './fixtures'
import { findNode, problems } from './wellformed'

const IP = '020000000002 020000000001 0800'

/** An ICMP message in an IPv4 packet (IP checksum left zero: not what these tests look at). */
function icmp(message: string): Uint8Array {
  const length = (20 + message.replace(/\s/g, '').length / 2).toString(16).padStart(4, '0')
  return hexFrame(IP, `45 00 ${length} 0001 0000 40 01 0000 c0a86401 c0a86402`, message)
}

describe('ICMP', () => {
  it('parses an echo request', () => {
    expect(parseIcmp(icmpEchoRequest, 34, 56)).toEqual({ offset: 34, length: 56, type: 8, code: 0, checksum: 0x4da8, identifier: 1, sequence: 3 })
  })

  it('writes the product\'s echo Info: big-endian sequence, no TTL', () => {
    expect(summarizeFrame(icmpEchoRequest).info).toBe('Echo (ping) request id=0x0001 seq=3')
    expect(summarizeFrame(icmpEchoReply).info).toBe('Echo (ping) reply id=0x0001 seq=3')
    expect(summarizeFrame(icmp('08 00 0000 abcd 0300')).info).toBe('Echo (ping) request id=0xabcd seq=768')
  })

  it('verifies the checksum over the whole message', () => {
    expect(findNode(dissectFrame(icmpEchoRequest), 'Checksum:').label).toBe('Checksum: 0x4da8 [correct]')
    const bad = icmpEchoRequest.slice()
    bad[89] ^= 0xff
    expect(findNode(dissectFrame(bad), 'Checksum:')).toMatchObject({
      label: 'Checksum: 0x4da8 [incorrect, should be 0x4d17]', problem: 'Bad checksum, should be 0x4d17'
    })
    expect(findNode(dissectFrame(icmpEchoRequest.slice(0, 80)), 'Checksum:').label).toBe('Checksum: 0x4da8 [unverified]')
  })

  it('shows identifier, sequence and data in the tree', () => {
    const layer = dissectFrame(icmpEchoRequest)[2]
    expect(layer).toMatchObject({ label: 'Internet Control Message Protocol', start: 34, length: 56 })
    expect(layer.children?.map((n) => n.label)).toEqual([
      'Type: 8 (Echo (ping) request)', 'Code: 0', 'Checksum: 0x4da8 [correct]',
      'Identifier (BE): 1 (0x0001)', 'Sequence Number (BE): 3 (0x0003)', 'Data (48 bytes)'
    ])
  })

  it('names errors by type and code, and decodes the quoted datagram', () => {
    expect(summarizeFrame(icmpPortUnreachable).info).toBe('Destination unreachable (Port unreachable)')
    const quoted = findNode(dissectFrame(icmpPortUnreachable), 'Original datagram')
    expect(quoted).toMatchObject({ label: 'Original datagram (28 bytes)', start: 42, length: 28 })
    expect(quoted.children?.map((n) => [n.label, n.start, n.length])).toEqual([
      ['Internet Protocol Version 4, Src: 192.168.100.1, Dst: 192.168.100.2', 42, 20],
      ['UDP 54321 → 9', 62, 4]
    ])
    // The quote is short by design: not a problem.
    expect(problems(dissectFrame(icmpPortUnreachable))).toEqual([])
  })

  it.each([
    ['0b00 0000 00000000', 'Time-to-live exceeded (Time to live exceeded in transit)'],
    ['0301 0000 00000000', 'Destination unreachable (Host unreachable)'],
    ['0304 0000 000005dc', 'Destination unreachable (Fragmentation needed)'],
    ['0501 0000 c0a864fe', 'Redirect (Redirect for host)'],
    ['0c00 0000 14000000', 'Parameter problem (Pointer indicates the error)'],
    ['0d00 0000 0001 0002', 'Timestamp request id=0x0001 seq=2'],
    ['0363 0000 00000000', 'Destination unreachable'],
    ['2a00 0000 00000000', 'Unknown ICMP (obsolete or malformed?)']
  ])('summarizes %s as %s', (message, info) => {
    expect(summarizeFrame(icmp(message)).info).toBe(info)
  })

  it('shows type-specific words', () => {
    expect(findNode(dissectFrame(icmp('0304 0000 000005dc')), 'MTU').label).toBe('MTU of next hop: 1500')
    expect(findNode(dissectFrame(icmp('0501 0000 c0a864fe')), 'Gateway').label).toBe('Gateway Address: 192.168.100.254')
  })

  it('refuses fewer than 8 bytes', () => {
    expect(checkIcmp(icmpEchoRequest, 34, 7)).toBe('Header truncated: 7 of 8 bytes')
    expect(summarizeFrame(icmp('0800 0000 0001'))).toMatchObject({ protocol: 'ICMP', info: '[Malformed Packet: Header truncated: 6 of 8 bytes]' })
  })
})
