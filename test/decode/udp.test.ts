import { describe, expect, it } from 'vitest'
import { checkUdp, dissectFrame, parseUdp, summarizeFrame } from '../../src/engine/decode'
import { hexFrame, udp6, udpEcho } from './fixtures'
import { findNode, problems } from './wellformed'

describe('UDP', () => {
  it('parses the header', () => {
    expect(parseUdp(udpEcho, 34, 20)).toEqual({
      offset: 34, srcPort: 54321, dstPort: 7, length: 20, checksum: 0xa1ec, payloadOffset: 42, payloadLength: 12, truncated: false
    })
  })

  it('writes Info with the payload length', () => {
    expect(summarizeFrame(udpEcho).info).toBe('54321 → 7 Len=12')
  })

  it('shows the header fields and verifies the checksum over IPv4 and IPv6', () => {
    const layer = dissectFrame(udpEcho)[2]
    expect(layer).toMatchObject({ label: 'User Datagram Protocol, Src Port: 54321, Dst Port: 7', start: 34, length: 8 })
    expect(layer.children?.map((n) => [n.label, n.start, n.length])).toEqual([
      ['Source Port: 54321', 34, 2],
      ['Destination Port: 7', 36, 2],
      ['Length: 20', 38, 2],
      ['Checksum: 0xa1ec [correct]', 40, 2],
      ['UDP payload (12 bytes)', 42, 12]
    ])
    expect(findNode(dissectFrame(udp6), 'Checksum').label).toBe('Checksum: 0x6f2a [correct]')
  })

  it('reports a wrong checksum', () => {
    const bad = udpEcho.slice()
    bad[42] = 0x48 // 'H'
    expect(findNode(dissectFrame(bad), 'Checksum')).toMatchObject({
      label: 'Checksum: 0xa1ec [incorrect, should be 0xc1ec]', problem: 'Bad checksum, should be 0xc1ec'
    })
  })

  it('ignores a zero checksum over IPv4 and flags it over IPv6', () => {
    const v4 = udpEcho.slice()
    v4[40] = v4[41] = 0
    expect(findNode(dissectFrame(v4), 'Checksum')).toEqual({ label: 'Checksum: 0x0000 [zero-value ignored]', start: 40, length: 2 })
    const v6 = udp6.slice()
    v6[60] = v6[61] = 0
    expect(findNode(dissectFrame(v6), 'Checksum')).toMatchObject({ label: 'Checksum: 0x0000 [illegal]', problem: 'UDP checksum zero over IPv6' })
  })

  it('uses its own length, not the IP payload, for the datagram', () => {
    const frame = udpEcho.slice()
    frame[39] = 12 // UDP length 12: 4 payload bytes, the other 8 are left over
    expect(parseUdp(frame, 34, 20)).toMatchObject({ length: 12, payloadLength: 4, truncated: false })
    expect(summarizeFrame(frame).info).toBe('54321 → 7 Len=4')
  })

  it('marks a length beyond the bytes present', () => {
    const frame = udpEcho.slice()
    frame[39] = 40
    expect(parseUdp(frame, 34, 20)).toMatchObject({ payloadLength: 12, truncated: true })
    expect(findNode(dissectFrame(frame), 'Checksum').label).toBe('Checksum: 0xa1ec [unverified]')
    expect(problems(dissectFrame(frame))).toEqual(['Length 40 exceeds the 20 bytes present'])
  })

  it('refuses a length under 8 and a cut header', () => {
    const frame = udpEcho.slice()
    frame[39] = 7
    expect(parseUdp(frame, 34, 20)).toBeUndefined()
    expect(checkUdp(frame, 34, 20)).toBe('Bogus UDP length (7, must be at least 8)')
    expect(summarizeFrame(frame)).toMatchObject({ protocol: 'UDP', info: '[Malformed Packet: Bogus UDP length (7, must be at least 8)]' })
    expect(checkUdp(udpEcho, 34, 6)).toBe('Header truncated: 6 of 8 bytes')
  })

  it('shows unknown ports\' payload as data', () => {
    const frame = hexFrame('020000000002 020000000001 0800', '45 00 001f 0001 0000 40 11 0000 c0a86401 c0a86402', '9c40 9c41 000b 0000', '616263')
    expect(dissectFrame(frame).map((n) => n.label)).toContain('Data (3 bytes)')
    expect(summarizeFrame(frame)).toMatchObject({ protocol: 'UDP', info: '40000 → 40001 Len=3' })
  })
})
