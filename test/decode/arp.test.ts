import { describe, expect, it } from 'vitest'
import { arpInfo, checkArp, dissectFrame, parseArp, summarizeFrame } from '../../src/engine/decode'
import { arpReply, arpRequest, hexFrame } from './fixtures'

function arp(opcode: string, sender: string, target: string, hardware = '020000000002', targetHardware = '000000000000'): Uint8Array {
  return hexFrame('ffffffffffff 020000000002 0806', `0001 0800 06 04 ${opcode}`, hardware, sender, targetHardware, target)
}

describe('ARP', () => {
  it('parses an Ethernet/IPv4 request', () => {
    expect(parseArp(arpRequest, 14, arpRequest.length - 14)).toEqual({
      offset: 14, length: 28, hardwareType: 1, protocolType: 0x0800, hardwareSize: 6, protocolSize: 4, opcode: 1,
      senderMac: '02:00:00:00:00:02', senderIp: '192.168.100.2', targetMac: '00:00:00:00:00:00', targetIp: '192.168.100.1'
    })
  })

  it('writes Info like Wireshark', () => {
    const info = (f: Uint8Array): string => summarizeFrame(f).info
    expect(info(arpRequest)).toBe('Who has 192.168.100.1? Tell 192.168.100.2')
    expect(info(arpReply)).toBe('192.168.100.1 is at 02:00:00:00:00:01')
    expect(info(arp('0001', '00000000', 'c0a86402'))).toBe('Who has 192.168.100.2? (ARP Probe)')
    expect(info(arp('0001', 'c0a86402', 'c0a86402'))).toBe('ARP Announcement for 192.168.100.2')
    expect(info(arp('0002', 'c0a86402', 'c0a86402'))).toBe('Gratuitous ARP for 192.168.100.2 (Reply)')
    expect(info(arp('0003', 'c0a86402', 'c0a86401'))).toBe('ARP reverse request (3)')
    expect(info(arp('0077', 'c0a86402', 'c0a86401'))).toBe('ARP opcode (119)')
  })

  it('lays out every field of the request', () => {
    const layer = dissectFrame(arpRequest)[1]
    expect(layer.label).toBe('Address Resolution Protocol (request)')
    expect(layer.children?.map((n) => [n.label, n.start, n.length])).toEqual([
      ['Hardware type: Ethernet (1)', 14, 2],
      ['Protocol type: IPv4 (0x0800)', 16, 2],
      ['Hardware size: 6', 18, 1],
      ['Protocol size: 4', 19, 1],
      ['Opcode: request (1)', 20, 2],
      ['Sender MAC address: 02:00:00:00:00:02', 22, 6],
      ['Sender IP address: 192.168.100.2', 28, 4],
      ['Target MAC address: 00:00:00:00:00:00', 32, 6],
      ['Target IP address: 192.168.100.1', 38, 4]
    ])
  })

  it('formats addresses of other sizes without reading past them', () => {
    // Hardware size 2, protocol size 16 (IPv6): 8 + 2 × 18 bytes.
    const frame = hexFrame('ffffffffffff 020000000002 0806', '0001 86dd 02 10 0001',
      'abcd', 'fe800000000000000000000000000002', '0000', 'fe800000000000000000000000000001')
    const p = parseArp(frame, 14, frame.length - 14)
    expect(p).toMatchObject({ length: 44, senderMac: 'ab:cd', senderIp: 'fe80::2', targetIp: 'fe80::1' })
    expect(p && arpInfo(p)).toBe('Who has fe80::1? Tell fe80::2')
  })

  it('refuses a packet shorter than its sizes say', () => {
    expect(parseArp(arpRequest, 14, 27)).toBeUndefined()
    expect(checkArp(arpRequest, 14, 27)).toBe('Packet truncated: 27 of 28 bytes')
    expect(checkArp(arpRequest, 14, 5)).toBe('Header truncated: 5 of 8 bytes')
    expect(summarizeFrame(arpRequest.slice(0, 30))).toMatchObject({ protocol: 'ARP', info: '[Malformed Packet: Packet truncated: 16 of 28 bytes]' })
  })
})
