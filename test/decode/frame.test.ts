import { describe, expect, it } from 'vitest'
import { decodeFrame, dissectFrame, summarizeFrame } from '../../src/engine/decode'
import * as fx from './fixtures'
import { expectSummaryShape, expectWellFormed, problems } from './wellformed'

// Protocol, source, destination and Info for every fixture. Where Wireshark's Info differs by design
// (ICMP echo, TCP raw sequence numbers, no ECHO dissector on port 7) the product's format wins.
const expected: Record<keyof typeof fx.fixtures, [string, string, string, string]> = {
  arpRequest: ['ARP', '02:00:00:00:00:02', 'ff:ff:ff:ff:ff:ff', 'Who has 192.168.100.1? Tell 192.168.100.2'],
  arpReply: ['ARP', '02:00:00:00:00:01', '02:00:00:00:00:02', '192.168.100.1 is at 02:00:00:00:00:01'],
  icmpEchoRequest: ['ICMP', '192.168.100.1', '192.168.100.2', 'Echo (ping) request id=0x0001 seq=3'],
  icmpEchoReply: ['ICMP', '192.168.100.2', '192.168.100.1', 'Echo (ping) reply id=0x0001 seq=3'],
  udpEcho: ['UDP', '192.168.100.1', '192.168.100.2', '54321 → 7 Len=12'],
  ipv4BadChecksum: ['UDP', '192.168.100.1', '192.168.100.2', '54321 → 7 Len=12'],
  icmpPortUnreachable: ['ICMP', '192.168.100.2', '192.168.100.1', 'Destination unreachable (Port unreachable)'],
  ipv4Fragment: ['IPv4', '192.168.100.1', '192.168.100.2', 'Fragmented IP protocol (proto=UDP 17, off=1480, ID=abcd)'],
  tcpSyn: ['TCP', '192.168.100.1', '192.168.100.2', '54321 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1446'],
  tcpSynAck: ['TCP', '192.168.100.2', '192.168.100.1', '80 → 54321 [SYN, ACK] Seq=6509 Ack=1 Win=5744 Len=0 MSS=1436'],
  tcpHttpGet: ['HTTP', '192.168.100.1', '192.168.100.2', 'GET / HTTP/1.0'],
  tcpHttpResponse: ['HTTP', '192.168.100.2', '192.168.100.1', 'HTTP/1.0 200 OK'],
  tcpFinAck: ['TCP', '192.168.100.2', '192.168.100.1', '80 → 54321 [FIN, ACK] Seq=6585 Ack=78 Win=5744 Len=0'],
  tcpRst: ['TCP', '192.168.100.2', '192.168.100.1', '5555 → 40000 [RST, ACK] Seq=0 Ack=12345 Win=0 Len=0'],
  tcpData: ['TCP', '192.168.100.1', '192.168.100.2', '40000 → 5555 [PSH, ACK] Seq=270544960 Ack=1348497536 Win=502 Len=13'],
  dhcpDiscover: ['DHCP', '0.0.0.0', '255.255.255.255', 'DHCP Discover - Transaction ID 0x1234abcd'],
  dhcpOffer: ['DHCP', '192.168.100.1', '192.168.100.2', 'DHCP Offer - Transaction ID 0x1234abcd'],
  dnsQuery: ['DNS', '192.168.100.2', '192.168.100.1', 'Standard query 0x1a2b A example.com'],
  dnsResponse: ['DNS', '192.168.100.1', '192.168.100.2', 'Standard query response 0x1a2b A example.com A 93.184.216.34'],
  icmpv6EchoRequest: ['ICMPv6', 'fd00::1', 'fd00::2', 'Echo (ping) request id=0x0001 seq=3'],
  icmpv6EchoReply: ['ICMPv6', 'fd00::2', 'fd00::1', 'Echo (ping) reply id=0x0001 seq=3'],
  icmpv6NeighborSolicitation: ['ICMPv6', 'fe80::2', 'ff02::1:ff00:1', 'Neighbor Solicitation for fe80::1 from 02:00:00:00:00:02'],
  icmpv6NeighborAdvertisement: ['ICMPv6', 'fe80::1', 'fe80::2', 'Neighbor Advertisement fe80::1 (sol, ovr) is at 02:00:00:00:00:01'],
  icmpv6RouterSolicitation: ['ICMPv6', 'fe80::2', 'ff02::2', 'Router Solicitation from 02:00:00:00:00:02'],
  ipv6HopByHopMld: ['ICMPv6', 'fe80::2', 'ff02::16', 'Multicast Listener Report Message v2'],
  udp6: ['UDP', 'fd00::1', 'fd00::2', '40000 → 7 Len=9'],
  icmpv6RouterAdvertisement: ['ICMPv6', 'fe80::1', 'ff02::1', 'Router Advertisement from 02:00:00:00:00:01'],
  icmpv6PortUnreachable: ['ICMPv6', 'fd00::2', 'fd00::1', 'Destination Unreachable (Port unreachable)'],
  dnsCnameResponse: ['DNS', '192.168.100.1', '192.168.100.2', 'Standard query response 0x2b3c A www.example.com CNAME example.com A 93.184.216.34'],
  dnsNxDomain: ['DNS', '192.168.100.1', '192.168.100.2', 'Standard query response 0x3c4d No such name AAAA nope.example SOA ns.example'],
  ipv6Fragment: ['IPv6', 'fd00::1', 'fd00::2', 'IPv6 fragment (off=1448 more=y ident=0xdeadbeef nxt=17)'],
  unknownEtherType: ['0x88b5', '02:00:00:00:00:02', 'ff:ff:ff:ff:ff:ff', 'Data (46 bytes)']
}

describe('summarizeFrame', () => {
  for (const [name, frame] of Object.entries(fx.fixtures)) {
    it(`summarizes ${name}`, () => {
      const [protocol, source, destination, info] = expected[name as keyof typeof fx.fixtures]
      expect(summarizeFrame(frame)).toEqual({ protocol, source, destination, info })
    })
  }

  it('reports a frame shorter than an Ethernet header', () => {
    expect(summarizeFrame(new Uint8Array(0))).toEqual({
      protocol: 'Ethernet', source: '', destination: '', info: '[Malformed Packet: Frame too short: 0 of 14 header bytes]'
    })
  })
})

describe('dissectFrame', () => {
  for (const [name, frame] of Object.entries(fx.fixtures)) {
    it(`gives ${name} a well-formed tree`, () => {
      const tree = dissectFrame(frame)
      expectWellFormed(frame, tree)
      expect(tree[0].label).toMatch(/^Ethernet II, Src: /)
    })
  }

  it('finds no problem in the valid fixtures', () => {
    const { ipv4BadChecksum: _bad, ...valid } = fx.fixtures
    for (const [name, frame] of Object.entries(valid)) expect(problems(dissectFrame(frame)), name).toEqual([])
  })

  it('orders the layers Ethernet, network, transport, application', () => {
    const titles = (frame: Uint8Array): string[] => dissectFrame(frame).map((n) => n.label.split(',')[0])
    expect(titles(fx.dnsResponse)).toEqual(['Ethernet II', 'Internet Protocol Version 4', 'User Datagram Protocol', 'Domain Name System (response)'])
    expect(titles(fx.tcpHttpGet)).toEqual(['Ethernet II', 'Internet Protocol Version 4', 'Transmission Control Protocol', 'Hypertext Transfer Protocol'])
    expect(titles(fx.udpEcho)).toEqual(['Ethernet II', 'Internet Protocol Version 4', 'User Datagram Protocol', 'Data (12 bytes)'])
    expect(titles(fx.arpRequest)).toEqual(['Ethernet II', 'Address Resolution Protocol (request)'])
    expect(titles(fx.unknownEtherType)).toEqual(['Ethernet II', 'Data (46 bytes)'])
  })
})

describe('truncation at every length', () => {
  for (const name of ['tcpSyn', 'dnsCnameResponse', 'icmpv6NeighborSolicitation', 'dhcpDiscover', 'ipv6HopByHopMld', 'arpRequest', 'icmpPortUnreachable'] as const) {
    it(`never throws and stays in bounds for every prefix of ${name}`, () => {
      const full = fx.fixtures[name]
      for (let n = 0; n <= full.length; n++) {
        const frame = full.slice(0, n)
        const summary = summarizeFrame(frame)
        expectSummaryShape(summary)
        const tree = dissectFrame(frame)
        expectWellFormed(frame, tree)
        if (n < 14) expect(summary.protocol).toBe('Ethernet')
        // Cut anywhere before the packet's end (padding aside), something in the tree says so.
        if (n < decodeFrame(full).networkEnd) expect(problems(tree).length, `cut at ${n}`).toBeGreaterThan(0)
        else expect(problems(tree), `cut at ${n}`).toEqual([])
      }
    })
  }

  it('marks a TCP SYN cut inside its options as malformed TCP', () => {
    const frame = fx.tcpSyn.slice(0, 60)
    expect(summarizeFrame(frame)).toMatchObject({ protocol: 'TCP', source: '192.168.100.1', info: '[Malformed Packet: Header truncated: 26 of 40 bytes]' })
    expect(problems(dissectFrame(frame))).toContain('Total length 60 exceeds the 46 bytes present')
  })

  it('keeps a cut IPv4 header from claiming addresses', () => {
    const frame = fx.udpEcho.slice(0, 24)
    expect(summarizeFrame(frame)).toEqual({
      protocol: 'IPv4', source: '02:00:00:00:00:01', destination: '02:00:00:00:00:02',
      info: '[Malformed Packet: Header truncated: 10 of 20 bytes]'
    })
    const tree = dissectFrame(frame)
    expect(tree[1]).toEqual({ label: 'IPv4 [Malformed]', start: 14, length: 10, problem: 'Header truncated: 10 of 20 bytes' })
  })

  it('decodes what is present of a payload cut short and leaves its checksum unverified', () => {
    const frame = fx.udpEcho.slice(0, 50)
    expect(summarizeFrame(frame).info).toBe('54321 → 7 Len=12')
    const tree = dissectFrame(frame)
    expect(problems(tree)).toEqual(['Total length 40 exceeds the 36 bytes present', 'Length 20 exceeds the 16 bytes present'])
    expect(tree[2].children?.find((n) => n.label.startsWith('Checksum'))?.label).toBe('Checksum: 0xa1ec [unverified]')
  })
})
