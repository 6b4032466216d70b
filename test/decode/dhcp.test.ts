import { describe, expect, it } from 'vitest'
import { dissectFrame, parseDhcp, summarizeFrame } from '../../src/engine/decode'
import { dhcpOptionsEnd, findDhcpOption, nextDhcpOption } from '../../src/engine/decode/dhcp'
import { dhcpDiscover, dhcpOffer } from './fixtures'
import { problems } from './wellformed'
import { dhclientDiscover, dhcpcdDiscover, udhcpcRequestSelecting } from '../fixtures/dhcp/requests'

const BOOTP = 42 // Ethernet + IPv4 + UDP

/** dhcpDiscover with its options area (after the magic cookie) replaced. */
function withOptions(options: number[], cookie = true): Uint8Array {
  const fixed = dhcpDiscover.slice(0, BOOTP + 236)
  const frame = new Uint8Array(fixed.length + 4 + options.length)
  frame.set(fixed)
  frame.set(cookie ? [0x63, 0x82, 0x53, 0x63] : [0, 0, 0, 0], fixed.length)
  frame.set(options, fixed.length + 4)
  // Keep IPv4 total length and UDP length in step with the new size.
  const ip = frame.length - 14
  frame[16] = ip >> 8
  frame[17] = ip & 0xff
  frame[38] = (ip - 20) >> 8
  frame[39] = (ip - 20) & 0xff
  return frame
}

describe('DHCP', () => {
  it('parses the discover', () => {
    const m = parseDhcp(dhcpDiscover, BOOTP, 266)
    expect(m).toMatchObject({
      op: 1, hardwareType: 1, hardwareLength: 6, transactionId: 0x1234abcd, flags: 0x8000,
      clientIp: '0.0.0.0', yourIp: '0.0.0.0', clientHardware: '02:00:00:00:00:02', magicCookie: true, messageType: 1
    })
    expect(m?.options.map((o) => [o.code, o.offset, o.length])).toEqual([[53, 282, 1], [61, 285, 7], [12, 294, 5], [55, 301, 4], [255, 307, 0]])
  })

  it('writes Info from the message type', () => {
    expect(summarizeFrame(dhcpDiscover)).toEqual({
      protocol: 'DHCP', source: '0.0.0.0', destination: '255.255.255.255', info: 'DHCP Discover - Transaction ID 0x1234abcd'
    })
    expect(summarizeFrame(dhcpOffer).info).toBe('DHCP Offer - Transaction ID 0x1234abcd')
  })

  it('shows the options with their values', () => {
    const layer = dissectFrame(dhcpOffer)[3]
    expect(layer.label).toBe('Dynamic Host Configuration Protocol (Offer)')
    expect(layer.children?.filter((n) => n.label.startsWith('Option')).map((n) => n.label)).toEqual([
      'Option: (53) DHCP Message Type (Offer)',
      'Option: (54) DHCP Server Identifier (192.168.100.1)',
      'Option: (51) IP Address Lease Time (86400 s)',
      'Option: (1) Subnet Mask (255.255.255.0)',
      'Option: (3) Router (192.168.100.1)',
      'Option: (255) End'
    ])
    const discover = dissectFrame(dhcpDiscover)[3].children?.map((n) => n.label) ?? []
    expect(discover).toContain('Option: (12) Host Name ("esp32")')
    expect(discover).toContain('Option: (55) Parameter Request List (Subnet Mask, Router, Domain Name Server, Domain Name)')
    expect(discover).toContain('Your (client) IP address: 0.0.0.0')
  })

  it('calls a message without a message type BOOTP', () => {
    expect(summarizeFrame(withOptions([255]))).toMatchObject({ protocol: 'BOOTP', info: 'Boot Request from 02:00:00:00:00:02' })
    expect(summarizeFrame(withOptions([53, 1, 1], false))).toMatchObject({ protocol: 'BOOTP' })
    expect(dissectFrame(withOptions([255]))[3].label).toBe('Bootstrap Protocol (Request)')
  })

  it('skips pad options and stops at an option running past the end', () => {
    const m = parseDhcp(withOptions([0, 0, 53, 1, 3, 12, 9, 0x65]), BOOTP, 248)
    expect(m).toMatchObject({ messageType: 3, problem: 'Option 12 runs past the end of the message' })
    expect(summarizeFrame(withOptions([0, 0, 53, 1, 3, 12, 9, 0x65])).info).toBe('DHCP Request - Transaction ID 0x1234abcd')
    expect(problems(dissectFrame(withOptions([53, 1, 3, 12, 9, 0x65])))).toContain('Option 12 runs past the end of the message')
  })

  it('refuses less than the fixed part', () => {
    const frame = withOptions([]).slice(0, BOOTP + 100)
    expect(parseDhcp(frame, BOOTP, 100)).toBeUndefined()
    expect(summarizeFrame(frame)).toMatchObject({ protocol: 'DHCP', info: '[Malformed Packet: Message truncated: 100 of 236 bytes]' })
  })
})

describe('DHCP option walking without allocation', () => {
  const at = BOOTP + 240
  it('finds END and options, and refuses options running past the end or a missing END', () => {
    const frame = withOptions([0, 53, 1, 3, 0, 50, 4, 192, 168, 100, 2, 255, 9, 9])
    const end = dhcpOptionsEnd(frame, at, frame.length)
    expect(end).toBe(at + 11)
    expect(findDhcpOption(frame, at, end, 53)).toBe(at + 1)
    expect(findDhcpOption(frame, at, end, 50)).toBe(at + 5)
    expect(findDhcpOption(frame, at, end, 9)).toBe(-1) // after END
    expect(dhcpOptionsEnd(withOptions([53, 1, 3]), at, at + 3)).toBe(-1)
    expect(dhcpOptionsEnd(withOptions([53, 1, 3, 12, 9, 0x65, 255]), at, at + 7)).toBe(-1)
    expect(dhcpOptionsEnd(withOptions([53]), at, at + 1)).toBe(-1)
    expect(nextDhcpOption(frame, at, frame.length)).toBe(at + 1)
  })
})

describe('DHCP options of real clients', () => {
  it('names what udhcpc, dhclient and dhcpcd send', () => {
    const labels = (frame: Uint8Array): string[] => dissectFrame(frame)[3]?.children?.map((n) => n.label).filter((l) => l.startsWith('Option')) ?? []
    expect(labels(udhcpcRequestSelecting)).toEqual([
      'Option: (53) DHCP Message Type (Request)',
      'Option: (50) Requested IP Address (192.168.100.2)',
      'Option: (54) DHCP Server Identifier (192.168.100.1)',
      'Option: (57) Maximum DHCP Message Size (0240)',
      'Option: (55) Parameter Request List (Subnet Mask, Router, Domain Name Server, Host Name, Domain Name, Broadcast Address, Network Time Protocol Servers)',
      'Option: (12) Host Name ("tsclient")',
      'Option: (60) Vendor class identifier ("udhcp 1.35.0")',
      'Option: (61) Client identifier (02:00:00:00:00:02)',
      'Option: (255) End'
    ])
    expect(labels(dhclientDiscover)).toContain(
      'Option: (55) Parameter Request List (Subnet Mask, Broadcast Address, Time Offset, Router, Domain Name, Domain Name Server, Domain Search, Host Name, 44, 47, Interface MTU, Classless Static Route, Network Time Protocol Servers)'
    )
    expect(labels(dhcpcdDiscover).slice(-4)).toEqual([
      'Option: (80) Rapid Commit',
      'Option: (116) DHCP Auto-Configuration (01)',
      'Option: (145) Forcerenew Nonce Capable (01)',
      'Option: (255) End'
    ])
    for (const frame of [udhcpcRequestSelecting, dhclientDiscover, dhcpcdDiscover]) expect(problems(dissectFrame(frame))).toEqual([])
  })
})
