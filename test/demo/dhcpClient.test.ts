// The demo device's DHCP client against the bridge's real DhcpServer, in
// process on a manual clock: the device's stack sends its frames to the server
// and takes the server's answers back. Hostile answers (another transaction,
// truncated, a NAK, none at all) are counted and survived.
import { describe, expect, it } from 'vitest'

import { summarizeFrame } from '../../src/engine/decode'
import { DHCP_ANSWER_MAX, DhcpServer } from '../../src/engine/services/dhcpServer'
import { DHCP_FIRST_RETRY_MS, DHCP_LAST_RETRY_MS, DHCP_RESTART_MS, DhcpClient, type DhcpLease } from '../../src/demo/stack/dhcpClient'
import { DeviceStack } from '../../src/demo/stack/deviceStack'
import { ipv4FromText, ipv4ToText } from '../../src/demo/stack/ipv4Address'
import { ManualClock } from '../helpers/manualClock'

const DEVICE_MAC = Uint8Array.from([2, 0, 0, 0, 0, 2])
const GATEWAY_MAC = Uint8Array.from([2, 0, 0, 0, 0, 1])
const ip4 = (text: string): Uint8Array => Uint8Array.from(text.split('.').map(Number))

/** The demo device's stack and DHCP client on a link whose other end is `peer` (the server, or a test's own answers). */
function device(options: { lease?: number; answer?: (frame: Uint8Array) => Uint8Array[] } = {}) {
  const clock = new ManualClock()
  const server = new DhcpServer({
    hostIp: ip4('192.168.100.1'),
    prefixLength: 24,
    deviceIp: ip4('192.168.100.2'),
    gatewayMac: GATEWAY_MAC,
    leaseSeconds: options.lease ?? 3600,
    dnsServers: [ip4('9.9.9.9')]
  }, clock)
  const sent: Uint8Array[] = []
  const events: string[] = []
  let answering = true
  const toServer = (frame: Uint8Array): Uint8Array[] => {
    const out = new Uint8Array(DHCP_ANSWER_MAX)
    const n = server.answer(frame, 0, frame.length, out, 0)
    return n > 0 ? [out.slice(0, n)] : []
  }
  const stack: DeviceStack = new DeviceStack({
    mac: DEVICE_MAC,
    ip: 0,
    gatewayMac: GATEWAY_MAC,
    maxFrame: 1500,
    clock,
    link: {
      sendFrame(frame) {
        sent.push(frame.slice())
        if (answering) for (const reply of (options.answer ?? toServer)(frame)) stack.receive(reply)
        return true
      },
      canSend: () => true
    }
  })
  const client = new DhcpClient({
    mac: DEVICE_MAC,
    clock,
    send: (to, message) => stack.sendUdp({ ip: to, port: 67 }, 68, message),
    onBound: (lease: DhcpLease) => {
      stack.setIp(lease.ip)
      events.push(`bound ${ipv4ToText(lease.ip)}`)
    },
    onLost: () => {
      stack.setIp(0)
      events.push('lost')
    },
    random: () => 0.25
  })
  stack.bindUdp(68, (datagram) => client.receive(datagram.payload))
  return { clock, server, stack, client, sent, events, silence: (quiet: boolean) => (answering = !quiet), toServer }
}

const infos = (frames: Uint8Array[]): string[] => frames.map((f) => summarizeFrame(f).info.replace(/ - Transaction ID .*/, ''))

describe('the demo DHCP client against the bridge DHCP server', () => {
  it('takes the address in four messages, with the router, mask, resolvers and lease, and uses it', () => {
    const d = device()
    d.client.start()
    expect(infos(d.sent)).toEqual(['DHCP Discover', 'DHCP Request'])
    expect(d.events).toEqual(['bound 192.168.100.2'])
    expect(d.client.state).toBe('bound')
    expect(d.client.lease).toEqual({ ip: ipv4FromText('192.168.100.2'), serverId: ipv4FromText('192.168.100.1'), subnetMask: ipv4FromText('255.255.255.0'), router: ipv4FromText('192.168.100.1'), dns: [ipv4FromText('9.9.9.9')], leaseSeconds: 3600 })
    expect(d.client.counters).toMatchObject({ discovers: 1, requests: 1, offers: 1, acks: 1, naks: 0, ignored: 0, timeouts: 0 })
    expect(d.server.counters).toMatchObject({ offers: 1, acks: 1, naks: 0 })
    // DISCOVER and the selecting REQUEST: broadcast from 0.0.0.0.
    for (const frame of d.sent) {
      expect(Array.from(frame.subarray(0, 6))).toEqual([255, 255, 255, 255, 255, 255])
      expect(ipv4ToText(new DataView(frame.buffer).getUint32(26))).toBe('0.0.0.0')
    }
    expect(d.stack.ip).toBe(ipv4FromText('192.168.100.2'))
    expect(d.clock.pendingTimers).toBe(1) // T1 only
  })

  it('renews at T1 (half the lease) by unicast to the server, and keeps renewing', () => {
    const d = device({ lease: 600 })
    d.client.start()
    d.sent.length = 0
    d.clock.advance(299_999)
    expect(infos(d.sent)).toEqual([])
    d.clock.advance(1)
    expect(infos(d.sent)).toEqual(['DHCP Request'])
    const renewal = d.sent[0]!
    expect(Array.from(renewal.subarray(0, 6))).toEqual(Array.from(GATEWAY_MAC)) // the firmware sends everything to the gateway
    expect(ipv4ToText(new DataView(renewal.buffer).getUint32(26))).toBe('192.168.100.2')
    expect(ipv4ToText(new DataView(renewal.buffer).getUint32(30))).toBe('192.168.100.1')
    expect(d.client.state).toBe('bound')
    expect(d.client.counters.acks).toBe(2)
    d.clock.advance(300_000)
    expect(d.client.counters.acks).toBe(3)
    expect(d.events).toEqual(['bound 192.168.100.2', 'bound 192.168.100.2', 'bound 192.168.100.2'])
  })

  it('retries the DISCOVER with backoff, 4 s doubling to 64 s, while nobody answers, then takes a late offer', () => {
    const d = device()
    d.silence(true)
    d.client.start()
    const times: number[] = []
    let t = 0
    for (let i = 0; i < 7; i++) {
      d.clock.runNext()
      times.push(d.clock.now() - t)
      t = d.clock.now()
    }
    expect(times).toEqual([4000, 8000, 16000, 32000, 64000, 64000, 64000])
    expect(d.client.counters).toMatchObject({ discovers: 8, timeouts: 7, offers: 0 })
    expect(d.clock.pendingTimers).toBe(1)
    d.silence(false)
    d.clock.advance(DHCP_LAST_RETRY_MS)
    expect(d.events).toEqual(['bound 192.168.100.2'])
  })

  it('a REQUEST nobody answers is retried, then the client starts over with a DISCOVER', () => {
    let offers = 0
    const d = device({
      answer: (frame) => {
        const replies = d.toServer(frame)
        return infos(replies)[0] === 'DHCP Offer' && offers++ === 0 ? replies : []
      }
    })
    d.client.start()
    expect(d.client.state).toBe('requesting')
    d.clock.advance(DHCP_FIRST_RETRY_MS * (1 + 2 + 4 + 8))
    expect(infos(d.sent)).toEqual(['DHCP Discover', 'DHCP Request', 'DHCP Request', 'DHCP Request', 'DHCP Request', 'DHCP Discover'])
    expect(d.client.state).toBe('selecting')
  })

  it('loses the lease when renewals go unanswered until it ends, then discovers again', () => {
    const d = device({ lease: 120 })
    d.client.start()
    d.silence(true)
    d.clock.advance(120_000)
    expect(d.events).toEqual(['bound 192.168.100.2', 'lost'])
    expect(d.stack.ip).toBe(0)
    expect(d.client.counters.timeouts).toBeGreaterThan(0)
    d.silence(false)
    d.clock.advance(DHCP_RESTART_MS)
    expect(d.events).toEqual(['bound 192.168.100.2', 'lost', 'bound 192.168.100.2'])
  })

  it('starts over after a NAK, without a tight loop', () => {
    let nak = true
    const d = device({
      answer: (frame) => {
        const replies = d.toServer(frame)
        if (infos(replies)[0] !== 'DHCP ACK' || !nak) return replies
        nak = false
        const reply = replies[0]!
        const at = 42 + 240
        expect(reply[at]).toBe(53)
        reply[at + 2] = 6 // ACK → NAK (UDP checksum fixed below)
        return [fixUdpChecksum(reply)]
      }
    })
    d.client.start()
    expect(d.client.counters.naks).toBe(1)
    expect(d.client.state).toBe('selecting')
    expect(d.events).toEqual([])
    expect(d.clock.pendingTimers).toBe(1)
    d.clock.advance(DHCP_RESTART_MS)
    expect(d.events).toEqual(['bound 192.168.100.2'])
  })

  it('ignores answers of another transaction, another MAC, truncated or with options past the end, and garbage', () => {
    const hostile: ((reply: Uint8Array) => Uint8Array)[] = [
      (r) => { r[42 + 4]! ^= 0xff; return r }, // another xid
      (r) => { r[42 + 28 + 5]! ^= 1; return r }, // another chaddr
      (r) => shorten(r, 42 + 200), // truncated inside the fixed part
      (r) => shorten(r, 42 + 241), // cut in the middle of an option
      (r) => { r[42]! = 1; return r }, // a BOOTREQUEST
      (r) => { r.fill(0xff, 42); return r } // garbage after the UDP header
    ]
    let round = 0
    const d = device({
      answer: (frame) => {
        const replies = d.toServer(frame)
        if (round >= hostile.length) return replies
        return replies.map((reply) => fixUdpChecksum(hostile[round++]!(reply)))
      }
    })
    d.client.start()
    for (let i = 0; i < hostile.length; i++) d.clock.runNext()
    expect(d.client.counters.ignored).toBe(hostile.length)
    expect(d.events).toEqual(['bound 192.168.100.2'])
  })

  it('never throws on random answers to its DISCOVER, and still takes a good offer after them', () => {
    let seed = 7
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff)
    const d = device()
    d.silence(true)
    d.client.start()
    const discover = d.sent[0]!
    const good = d.toServer(discover)[0]!
    for (let i = 0; i < 2000; i++) {
      const bad = good.slice(0, 42 + Math.floor(random() * (good.length - 42)))
      for (let j = 0; j < 5; j++) bad[42 + Math.floor(random() * (bad.length - 42))] = Math.floor(random() * 256)
      if (i % 2 && bad.length >= 42 + 8) bad.set(good.subarray(42 + 4, 42 + 8), 42 + 4) // keep the xid: deeper into the checks
      expect(() => d.client.receive(bad.subarray(42))).not.toThrow()
    }
    expect(d.events.length).toBeLessThanOrEqual(1)
    d.silence(false)
    d.clock.runNext()
    expect(d.client.state).toBe('bound')
  })
})

function shorten(frame: Uint8Array, length: number): Uint8Array {
  const out = frame.slice(0, length)
  const view = new DataView(out.buffer)
  view.setUint16(16, length - 14)
  view.setUint16(38, length - 34)
  view.setUint16(24, 0)
  let sum = 0
  for (let i = 14; i < 34; i += 2) sum += view.getUint16(i)
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  view.setUint16(24, ~sum & 0xffff)
  return out
}

/** Zeroes the UDP checksum (allowed over IPv4), so an edited answer still passes the stack's check. */
function fixUdpChecksum(frame: Uint8Array): Uint8Array {
  frame[40] = 0
  frame[41] = 0
  return frame
}
