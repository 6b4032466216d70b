// The demo device's IP stack, frame in, frame out, checked with the
// inspector's own decoders: ARP for its address, ICMP echo, UDP echo and
// "port unreachable", and silence for everything it should ignore.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { serveEcho } from '../../src/demo/apps/echo.js'
import { DeviceStack } from '../../src/demo/stack/deviceStack.js'
import { ipv4FromText } from '../../src/demo/stack/ipv4Address.js'
import { decodeFrame, summarizeFrame } from '../../src/engine/decode/index.js'
import { arp, DEVICE_IP, DEVICE_MAC, ethernet, GATEWAY_MAC, HOST_IP, icmpEcho, ipv4, udp } from '../helpers/frames.js'
import { ManualClock } from '../helpers/manualClock.js'

const BROADCAST = Uint8Array.of(255, 255, 255, 255, 255, 255)

function device(maxFrame = 1500) {
  const sent: Uint8Array[] = []
  const stack = new DeviceStack({
    mac: DEVICE_MAC,
    ip: ipv4FromText('192.168.100.2'),
    gatewayMac: GATEWAY_MAC,
    maxFrame,
    clock: new ManualClock(),
    link: { sendFrame: (f) => (sent.push(Uint8Array.from(f)), true), canSend: () => true }
  })
  serveEcho(stack)
  return { stack, sent }
}

const fromHost = (protocol: number, payload: Uint8Array) => ethernet(DEVICE_MAC, GATEWAY_MAC, 0x0800, ipv4(HOST_IP, DEVICE_IP, protocol, payload))

describe('DeviceStack', () => {
  it('answers an ARP request for its own address, and only that', () => {
    const { stack, sent } = device()
    stack.receive(ethernet(BROADCAST, GATEWAY_MAC, 0x0806, arp(1, GATEWAY_MAC, HOST_IP, new Uint8Array(6), DEVICE_IP)))
    stack.receive(ethernet(BROADCAST, GATEWAY_MAC, 0x0806, arp(1, GATEWAY_MAC, HOST_IP, new Uint8Array(6), Uint8Array.of(192, 168, 100, 9))))
    expect(sent).toHaveLength(1)
    expect(sent[0]).toEqual(ethernet(GATEWAY_MAC, DEVICE_MAC, 0x0806, arp(2, DEVICE_MAC, DEVICE_IP, GATEWAY_MAC, HOST_IP)))
    expect(stack.counters.arpReplies).toBe(1)
  })

  it('answers ping with the same id, sequence and data, checksums right', () => {
    const { stack, sent } = device()
    stack.receive(fromHost(1, icmpEcho(8, 0x1234, 7, Uint8Array.from({ length: 56 }, (_, i) => i))))
    expect(sent).toHaveLength(1)
    expect(summarizeFrame(sent[0]!).info).toBe('Echo (ping) reply id=0x1234 seq=7')
    const layers = decodeFrame(sent[0]!).layers
    expect(layers.map((l) => l.kind)).toEqual(['ethernet', 'ip', 'icmp', 'data'].slice(0, layers.length))
    expect(layers.some((l) => l.kind === 'malformed')).toBe(false)
    expect([...sent[0]!.subarray(0, 6)]).toEqual([...GATEWAY_MAC])
  })

  it('echoes UDP on port 7 back to the sender, with a valid checksum', () => {
    const { stack, sent } = device()
    stack.receive(fromHost(17, udp(40000, 7, new TextEncoder().encode('hello'))))
    expect(sent).toHaveLength(1)
    const s = summarizeFrame(sent[0]!)
    expect(s).toMatchObject({ source: '192.168.100.2', destination: '192.168.100.1' })
    expect(s.info).toMatch(/^7 → 40000 Len=5/)
    const udpLayer = decodeFrame(sent[0]!).layers.find((l) => l.kind === 'udp')
    expect(udpLayer).toBeDefined()
    expect(new TextDecoder().decode(sent[0]!.subarray(42))).toBe('hello')
  })

  it('answers UDP to a closed port with ICMP port unreachable quoting the datagram', () => {
    const { stack, sent } = device()
    const datagram = fromHost(17, udp(40000, 9999, new Uint8Array(30)))
    stack.receive(datagram)
    expect(sent).toHaveLength(1)
    expect(summarizeFrame(sent[0]!).info).toMatch(/Destination unreachable \(Port unreachable\)/)
    expect([...sent[0]!.subarray(42, 42 + 28)]).toEqual([...datagram.subarray(14, 14 + 28)])
  })

  it('takes frames whatever their destination MAC, as lwIP on a UART does (no hardware filter)', () => {
    const { stack, sent } = device()
    stack.receive(ethernet(Uint8Array.of(2, 0, 0, 0, 0, 9), GATEWAY_MAC, 0x0800, ipv4(HOST_IP, DEVICE_IP, 1, icmpEcho(8, 1, 1, new Uint8Array(8)))))
    expect(sent).toHaveLength(1)
  })

  it.each([
    ['another IP', () => ethernet(DEVICE_MAC, GATEWAY_MAC, 0x0800, ipv4(HOST_IP, Uint8Array.of(192, 168, 100, 3), 1, icmpEcho(8, 1, 1, new Uint8Array(8))))],
    ['a bad IP header checksum', () => { const f = fromHost(1, icmpEcho(8, 1, 1, new Uint8Array(8))); f[14 + 10]! ^= 1; return f }],
    ['a fragment', () => { const f = fromHost(1, icmpEcho(8, 1, 1, new Uint8Array(8))); f[14 + 6] = 0x20; return f }],
    ['a bad ICMP checksum', () => { const f = fromHost(1, icmpEcho(8, 1, 1, new Uint8Array(8))); f[14 + 20 + 2]! ^= 1; return f }],
    ['an IPv6 frame', () => ethernet(DEVICE_MAC, GATEWAY_MAC, 0x86dd, new Uint8Array(40))],
    ['a runt', () => Uint8Array.of(2, 0, 0)]
  ])('ignores %s', (_, frame) => {
    const { stack, sent } = device()
    stack.receive(frame())
    expect(sent).toHaveLength(0)
    expect(stack.counters.ignored).toBe(1)
  })

  it('never sends a frame over its max frame: a ping that would need one goes unanswered', () => {
    const { stack, sent } = device(100)
    stack.receive(fromHost(1, icmpEcho(8, 1, 1, new Uint8Array(80))))
    expect(sent).toHaveLength(0)
    expect(stack.counters.tooBig).toBe(1)
  })

  it('never throws on hostile frames', () => {
    const { stack } = device()
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1600 }), fc.constantFrom(0x0800, 0x0806), fc.integer({ min: 0, max: 255 }), (bytes, etherType, protocol) => {
      stack.receive(bytes)
      stack.receive(ethernet(DEVICE_MAC, GATEWAY_MAC, etherType, bytes))
      stack.receive(fromHost(protocol, bytes))
    }))
  })
})
