import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeFrame, type Layer } from '../../src/engine/decode'
import { classifyRecord, FrameFacts, Proto, topProtocol, type ProtoName } from '../../src/renderer/src/lib/frameFacts'
import * as fx from '../decode/fixtures'
import { arp, DEVICE_IP, DEVICE_MAC, ethernet, GATEWAY_MAC, HOST_IP, icmpEcho, ipv4, record, udp } from '../helpers/frames'

/** Classifies one frame as the capture would deliver it: a wire record inside a larger batch. */
function classify(frame: Uint8Array, direction = 0, error = 0): FrameFacts {
  const wire = record(frame)
  const batch = new Uint8Array(7 + wire.length + 5).fill(0xee)
  batch.set(wire, 7)
  const facts = new FrameFacts()
  classifyRecord(batch, 7, wire.length, direction, error, wire.length, facts)
  return facts
}

function names(protocols: number): ProtoName[] {
  return (Object.keys(Proto) as ProtoName[]).filter((name) => protocols & Proto[name])
}

/** The Proto bits of decodeFrame's layers: what classifyRecord must agree with. */
const LAYER_BITS: Record<Exclude<Layer['kind'], 'ip'>, number> = {
  ethernet: Proto.eth, arp: Proto.arp, icmp: Proto.icmp, icmpv6: Proto.icmpv6, udp: Proto.udp, tcp: Proto.tcp,
  dhcp: Proto.dhcp, dns: Proto.dns, http: Proto.http, malformed: 0, data: 0
}

function decodedBits(frame: Uint8Array): number {
  let bits = 0
  for (const layer of decodeFrame(frame).layers) {
    bits |= layer.kind === 'ip' ? (layer.header.version === 4 ? Proto.ip : Proto.ipv6) : LAYER_BITS[layer.kind]
  }
  return bits
}

function formatIpv4Number(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.')
}

/** classifyRecord agrees with decodeFrame: protocols, and the addresses and ports of the layers it reports. */
function expectAgreement(frame: Uint8Array): void {
  const facts = classify(frame)
  expect(names(facts.protocols)).toEqual(names(decodedBits(frame)))
  for (const layer of decodeFrame(frame).layers) {
    if (layer.kind === 'ip' && layer.header.version === 4) {
      expect(formatIpv4Number(facts.src4)).toBe(layer.header.src)
      expect(formatIpv4Number(facts.dst4)).toBe(layer.header.dst)
    }
    if (layer.kind === 'ip' && layer.header.version === 6) {
      expect(Array.from(facts.src6)).toEqual(Array.from(frame.subarray(22, 38)))
      expect(Array.from(facts.dst6)).toEqual(Array.from(frame.subarray(38, 54)))
    }
    if (layer.kind === 'udp' || layer.kind === 'tcp') {
      expect([facts.srcPort, facts.dstPort]).toEqual([layer.header.srcPort, layer.header.dstPort])
    }
    if (layer.kind === 'tcp') expect(facts.tcpFlags).toBe(layer.header.flags)
  }
  if (!(facts.protocols & (Proto.tcp | Proto.udp))) expect([facts.srcPort, facts.dstPort]).toEqual([-1, -1])
  if (!(facts.protocols & Proto.tcp)) expect(facts.tcpFlags).toBe(-1)
}

const { eth, arp: ARP, ip, ipv6, icmp, icmpv6, tcp, udp: UDP, dhcp, dns, http } = Proto

const expectedProtocols: Record<keyof typeof fx.fixtures, number> = {
  arpRequest: eth | ARP,
  arpReply: eth | ARP,
  icmpEchoRequest: eth | ip | icmp,
  icmpEchoReply: eth | ip | icmp,
  udpEcho: eth | ip | UDP,
  ipv4BadChecksum: eth | ip | UDP,
  icmpPortUnreachable: eth | ip | icmp,
  ipv4Fragment: eth | ip,
  tcpSyn: eth | ip | tcp,
  tcpSynAck: eth | ip | tcp,
  tcpHttpGet: eth | ip | tcp | http,
  tcpHttpResponse: eth | ip | tcp | http,
  tcpFinAck: eth | ip | tcp,
  tcpRst: eth | ip | tcp,
  tcpData: eth | ip | tcp,
  dhcpDiscover: eth | ip | UDP | dhcp,
  dhcpOffer: eth | ip | UDP | dhcp,
  dnsQuery: eth | ip | UDP | dns,
  dnsResponse: eth | ip | UDP | dns,
  icmpv6EchoRequest: eth | ipv6 | icmpv6,
  icmpv6EchoReply: eth | ipv6 | icmpv6,
  icmpv6NeighborSolicitation: eth | ipv6 | icmpv6,
  icmpv6NeighborAdvertisement: eth | ipv6 | icmpv6,
  icmpv6RouterSolicitation: eth | ipv6 | icmpv6,
  ipv6HopByHopMld: eth | ipv6 | icmpv6,
  udp6: eth | ipv6 | UDP,
  unknownEtherType: eth,
  icmpv6RouterAdvertisement: eth | ipv6 | icmpv6,
  icmpv6PortUnreachable: eth | ipv6 | icmpv6,
  dnsCnameResponse: eth | ip | UDP | dns,
  dnsNxDomain: eth | ip | UDP | dns,
  ipv6Fragment: eth | ipv6
}

describe('classifyRecord on real frames', () => {
  for (const [name, frame] of Object.entries(fx.fixtures)) {
    it(`classifies ${name} as decodeFrame does`, () => {
      expect(names(classify(frame).protocols)).toEqual(names(expectedProtocols[name as keyof typeof fx.fixtures]))
      expectAgreement(frame)
    })
  }

  it('reads IPv4 addresses as unsigned numbers, and ports and flags', () => {
    const f = classify(fx.tcpSynAck, 0)
    expect([f.src4, f.dst4]).toEqual([0xc0a86402, 0xc0a86401])
    expect([f.srcPort, f.dstPort, f.tcpFlags]).toEqual([80, 54321, 0x012])
    expect(f.src4).toBeGreaterThan(0x7fffffff)
  })

  it('copies IPv6 addresses into the reused arrays', () => {
    const f = classify(fx.udp6)
    expect(Array.from(f.src6)).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    expect(Array.from(f.dst6)).toEqual([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2])
    expect([f.srcPort, f.dstPort]).toEqual([40000, 7])
  })

  it('keeps direction, error and wire length as given', () => {
    const wire = record(fx.arpRequest)
    const f = new FrameFacts()
    classifyRecord(wire, 0, wire.length, 1, 0, 1234, f)
    expect([f.direction, f.error, f.wireLength]).toEqual([1, 0, 1234])
  })

  it('treats a framing-error record as junk, not a frame', () => {
    const wire = record(fx.tcpHttpGet) // bytes that would decode, marked as an error
    const f = new FrameFacts()
    classifyRecord(wire, 0, wire.length, 1, 3, 5000, f)
    expect(f).toMatchObject({ protocols: 0, direction: 1, error: 3, wireLength: 5000, srcPort: -1, dstPort: -1, tcpFlags: -1 })
  })

  it('resets every field when an object is reused for another record', () => {
    const f = new FrameFacts()
    const tcpRecord = record(fx.tcpHttpGet)
    const ip6Record = record(fx.icmpv6EchoRequest)
    const arpRecord = record(fx.arpReply)
    classifyRecord(tcpRecord, 0, tcpRecord.length, 0, 0, tcpRecord.length, f)
    classifyRecord(ip6Record, 0, ip6Record.length, 0, 0, ip6Record.length, f)
    classifyRecord(arpRecord, 0, arpRecord.length, 0, 0, arpRecord.length, f)
    const fresh = classify(fx.arpReply)
    expect(f).toEqual(fresh)
    expect([f.src4, f.srcPort, f.tcpFlags, f.src6.some((b) => b !== 0)]).toEqual([0, -1, -1, false])
  })

  it('reads only the record, not the bytes after it', () => {
    const wire = record(fx.tcpHttpGet)
    const f = new FrameFacts()
    // Cut inside the TCP header: what follows in the array must not complete it.
    const cut = 2 + 14 + 20 + 10
    classifyRecord(wire, 0, cut, 0, 0, cut, f)
    expect(names(f.protocols)).toEqual(['eth', 'ip'])
    expectAgreement(fx.tcpHttpGet.slice(0, cut - 2))
  })

  it('sees no Ethernet in records shorter than a header', () => {
    for (const length of [0, 1, 2, 15]) {
      const f = new FrameFacts()
      classifyRecord(record(fx.arpRequest), 0, length, 0, 0, length, f)
      expect(f.protocols).toBe(0)
    }
    expect(names(classify(fx.arpRequest.slice(0, 14)).protocols)).toEqual(['eth'])
  })

  it('recognises HTTP only on port 80 and only by its start line', () => {
    const other = fx.tcpHttpGet.slice()
    other[14 + 20 + 3] = 81 // destination port 81
    expect(names(classify(other).protocols)).toEqual(['eth', 'ip', 'tcp'])
    const notHttp = fx.tcpHttpGet.slice()
    notHttp[14 + 20 + 20] = 'g'.charCodeAt(0) // 'get / …'
    expect(names(classify(notHttp).protocols)).toEqual(['eth', 'ip', 'tcp'])
    expectAgreement(other)
    expectAgreement(notHttp)
  })

  it('gives a truncated DHCP or DNS message no bit, as decodeFrame gives it a malformed layer', () => {
    for (const frame of [fx.dhcpDiscover.slice(0, 14 + 20 + 8 + 100), fx.dnsQuery.slice(0, 14 + 20 + 8 + 11)]) {
      // Shorten the IPv4 total length too, so the cut is the datagram's end, not a truncation.
      const shorter = frame.slice()
      shorter[16] = (frame.length - 14) >> 8
      shorter[17] = (frame.length - 14) & 0xff
      expect(names(classify(shorter).protocols)).toEqual(['eth', 'ip', 'udp'])
      expectAgreement(shorter)
    }
  })
})

describe('topProtocol', () => {
  it('names the highest layer present', () => {
    expect(topProtocol(eth | ip | tcp | http)).toBe('http')
    expect(topProtocol(eth | ip | UDP | dns)).toBe('dns')
    expect(topProtocol(eth | ipv6 | icmpv6)).toBe('icmpv6')
    expect(topProtocol(eth | ip)).toBe('ip')
    expect(topProtocol(eth)).toBe('eth')
    expect(topProtocol(0)).toBeNull()
    expect(topProtocol(1 << 20)).toBeNull()
  })

  it('matches the protocol column of every fixture', () => {
    expect(topProtocol(classify(fx.tcpSyn).protocols)).toBe('tcp')
    expect(topProtocol(classify(fx.dhcpOffer).protocols)).toBe('dhcp')
    expect(topProtocol(classify(fx.ipv6Fragment).protocols)).toBe('ipv6')
    expect(topProtocol(classify(fx.arpReply).protocols)).toBe('arp')
  })
})

// ---- Properties

const fixtureList = Object.values(fx.fixtures)

/** fd00::1 → fd00::2; `body` is the extension headers and the upper layer. */
function ipv6Packet(nextHeader: number, body: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + body.length)
  p.set([0x60, 0, 0, 0, body.length >> 8, body.length & 0xff, nextHeader, 64])
  p.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 8)
  p.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 24)
  p.set(body, 40)
  return p
}

function tcpSegment(srcPort: number, dstPort: number, flags: number, optionWords: number, data: Uint8Array): Uint8Array {
  const headerLength = 20 + 4 * optionWords
  const s = new Uint8Array(headerLength + data.length)
  s.set([srcPort >> 8, srcPort & 0xff, dstPort >> 8, dstPort & 0xff])
  s[12] = ((headerLength / 4) << 4) | (flags >> 8)
  s[13] = flags & 0xff
  s.fill(1, 20, headerLength) // NOP options
  s.set(data, headerLength)
  return s
}

const port = fc.oneof(fc.constantFrom(53, 67, 68, 80), fc.integer({ min: 0, max: 65535 }))
const text = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))
/** Payloads that reach (or just miss) the application decoders. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom('GET / HTTP/1.1\r\n', 'HTTP/1.0 404 Not Found\r\n', 'POST /x', 'HEAD ', 'PATCH', 'HTTP/2').map(text),
  fc.constantFrom(235, 236, 300).map((n) => new Uint8Array(n)), // around DHCP's 236-byte fixed part
  fc.constantFrom(11, 12, 40).map((n) => new Uint8Array(n)) // around DNS's 12-byte header
)

const transport = fc.oneof(
  fc.tuple(port, port, payload).map(([s, d, data]) => ({ protocol: 17, bytes: udp(s, d, data) })),
  fc.tuple(port, port, fc.integer({ min: 0, max: 0x1ff }), fc.integer({ min: 0, max: 10 }), payload)
    .map(([s, d, flags, words, data]) => ({ protocol: 6, bytes: tcpSegment(s, d, flags, words, data) })),
  fc.tuple(fc.constantFrom<8 | 0>(0, 8), fc.uint8Array({ maxLength: 32 }))
    .map(([type, data]) => ({ protocol: 1, bytes: icmpEcho(type, 1, 2, data) })),
  fc.tuple(fc.constantFrom(128, 129, 133, 134, 135, 136, 137, 1), fc.uint8Array({ maxLength: 48 }))
    .map(([type, data]) => ({ protocol: 58, bytes: Uint8Array.of(type, 0, 0, 0, ...data) })),
  fc.uint8Array({ maxLength: 32 }).map((bytes) => ({ protocol: 59, bytes }))
)

/** Hop-by-hop (PadN) or fragment headers in front of the upper layer, chained to `next`. */
function extension(kind: 'hop' | 'fragment' | 'laterFragment', next: number): Uint8Array {
  if (kind === 'hop') return Uint8Array.of(next, 0, 1, 4, 0, 0, 0, 0)
  const offset = kind === 'laterFragment' ? 185 << 3 : 0
  return Uint8Array.of(next, 0, offset >> 8, (offset & 0xff) | 1, 0xde, 0xad, 0xbe, 0xef)
}

/** Well-formed frames: real headers with consistent lengths, over every decoded protocol. */
const wellFormedFrame = fc.oneof(
  fc.tuple(transport, fc.boolean(), fc.nat({ max: 20 })).map(([t, fragment, padding]) => {
    const packet = ipv4(HOST_IP, DEVICE_IP, t.protocol, t.bytes)
    if (fragment) packet.set([0x20, 0xb9], 6) // more fragments, offset 1480 (the checksum does not matter here)
    return ethernet(DEVICE_MAC, GATEWAY_MAC, 0x0800, Uint8Array.of(...packet, ...new Uint8Array(padding)))
  }),
  fc.tuple(transport, fc.array(fc.constantFrom<'hop' | 'fragment' | 'laterFragment'>('hop', 'fragment', 'laterFragment'), { maxLength: 3 }))
    .map(([t, kinds]) => {
      // Each header names the one after it; the IPv6 header names the first.
      const types = kinds.map((k) => (k === 'hop' ? 0 : 44))
      const headers = kinds.flatMap((k, i) => [...extension(k, i + 1 < kinds.length ? types[i + 1] : t.protocol)])
      const packet = ipv6Packet(types[0] ?? t.protocol, Uint8Array.of(...headers, ...t.bytes))
      return ethernet(DEVICE_MAC, GATEWAY_MAC, 0x86dd, packet)
    }),
  fc.constantFrom<1 | 2>(1, 2).map((op) => ethernet(GATEWAY_MAC, DEVICE_MAC, 0x0806, arp(op, DEVICE_MAC, DEVICE_IP, GATEWAY_MAC, HOST_IP))),
  fc.uint8Array({ maxLength: 60 }).map((data) => ethernet(GATEWAY_MAC, DEVICE_MAC, 0x88b5, data))
)

/** A fixture cut short and with a few bytes overwritten: hostile, but close to real. */
const mutatedFixture = fc
  .tuple(fc.constantFrom(...fixtureList), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 6 }))
  .map(([base, cut, writes]) => {
    const frame = base.slice(0, cut % (base.length + 1))
    for (const [at, value] of writes) if (frame.length > 0) frame[at % frame.length] = value
    return frame
  })

describe('classifyRecord properties', () => {
  it('never throws, whatever the bytes, offset and length inside the array', () => {
    const facts = new FrameFacts()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.nat({ max: 3 }), (data, a, b, error) => {
        const offset = a % (data.length + 1)
        const length = b % (data.length - offset + 1)
        classifyRecord(data, offset, length, 0, error, length, facts)
        expect(facts.protocols & ~0x7ff).toBe(0)
      }),
      { numRuns: 2000 }
    )
  })

  it('never throws on offsets and lengths outside the array either', () => {
    const facts = new FrameFacts()
    const anyNumber = fc.oneof(fc.integer({ min: -100, max: 400 }), fc.constantFrom(NaN, Infinity, -Infinity, 0.5))
    fc.assert(
      fc.property(fc.constantFrom(...fixtureList), anyNumber, anyNumber, (frame, offset, length) => {
        classifyRecord(record(frame), offset, length, 0, 0, 0, facts)
      }),
      { numRuns: 500 }
    )
  })

  it('agrees with decodeFrame on well-formed frames of every protocol', () => {
    fc.assert(fc.property(wellFormedFrame, expectAgreement), { numRuns: 3000 })
  })

  it('agrees with decodeFrame on truncated and corrupted frames', () => {
    fc.assert(fc.property(mutatedFixture, expectAgreement), { numRuns: 3000 })
  })

  it('agrees with decodeFrame on random bytes behind an Ethernet header', () => {
    const frame = fc
      .tuple(fc.constantFrom(0x0800, 0x86dd, 0x0806), fc.uint8Array({ maxLength: 120 }))
      .map(([etherType, rest]) => ethernet(GATEWAY_MAC, DEVICE_MAC, etherType, rest))
    fc.assert(fc.property(frame, expectAgreement), { numRuns: 2000 })
  })
})
