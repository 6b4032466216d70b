import { describe, expect, it } from 'vitest'
import { checkEthernet, dissectFrame, etherTypeName, parseEthernet, summarizeFrame } from '../../src/engine/decode'
import { arpRequest, hexFrame, icmpEchoRequest, unknownEtherType, udpEcho } from './fixtures'
import { findNode } from './wellformed'

describe('Ethernet II', () => {
  it('parses destination, source and EtherType', () => {
    expect(parseEthernet(arpRequest, 0, arpRequest.length)).toEqual({
      dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:02', etherType: 0x0806
    })
  })

  it('refuses fewer than 14 bytes, and says why', () => {
    expect(parseEthernet(arpRequest, 0, 13)).toBeUndefined()
    expect(checkEthernet(arpRequest, 0, 13)).toBe('Frame too short: 13 of 14 header bytes')
    expect(parseEthernet(arpRequest, 50, 14)).toBeUndefined() // only 10 bytes left in the array
  })

  it('names the EtherTypes it decodes and shows others in hex', () => {
    expect([0x0800, 0x0806, 0x86dd, 0x88cc].map(etherTypeName)).toEqual(['IPv4', 'ARP', 'IPv6', '0x88cc'])
    expect(findNode(dissectFrame(icmpEchoRequest), 'Type:').label).toBe('Type: IPv4 (0x0800)')
    expect(findNode(dissectFrame(unknownEtherType), 'Type:').label).toBe('Type: Unknown (0x88b5)')
  })

  it('shows padding after the IPv4 packet as padding, not payload', () => {
    const tree = dissectFrame(udpEcho)
    expect(findNode(tree, 'Padding')).toEqual({ label: 'Padding: 000000000000', start: 54, length: 6 })
    expect(findNode(tree, 'Data (')).toMatchObject({ start: 42, length: 12 })
    expect(findNode(dissectFrame(arpRequest), 'Padding')).toMatchObject({ start: 42, length: 18 })
  })

  it('calls non-zero bytes after the packet a trailer', () => {
    const frame = udpEcho.slice()
    frame[59] = 0xaa
    expect(findNode(dissectFrame(frame), 'Trailer')).toEqual({ label: 'Trailer: 0000000000aa', start: 54, length: 6 })
  })

  it('treats everything after an unknown EtherType as data', () => {
    const frame = hexFrame('ffffffffffff 020000000002 88cc', '0102030405')
    expect(summarizeFrame(frame)).toEqual({
      protocol: '0x88cc', source: '02:00:00:00:00:02', destination: 'ff:ff:ff:ff:ff:ff', info: 'Data (5 bytes)'
    })
    expect(dissectFrame(frame)[1]).toMatchObject({ label: 'Data (5 bytes)', start: 14, length: 5 })
  })
})
