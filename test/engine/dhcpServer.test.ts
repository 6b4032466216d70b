// The DHCP server on the device's link: real clients' captured requests answered field by field,
// the answers checked by tshark, hostile input refused by reason, the lease policy on a manual clock,
// and real clients (busybox udhcpc, ISC dhclient) getting their address from it through a veth pair.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { fold, onesSum } from '../../src/engine/decode/bytes'
import { dissectFrame, summarizeFrame } from '../../src/engine/decode'
import { DHCP_ANSWER_MAX, DhcpServer, isDhcpRequest, newDhcpServerCounters, OFFER_HOLD_MS, type DhcpServerConfig } from '../../src/engine/services/dhcpServer'
import { LeasePool } from '../../src/engine/services/leasePool'
import { ManualClock } from '../helpers/manualClock'
import { problems } from '../decode/wellformed'
import * as real from '../fixtures/dhcp/requests'
import { buildRequest, DEVICE_IP, fixIpChecksum, GATEWAY_MAC, HOST_IP, ip4, mac, optionsOf, refreshLengths } from './dhcpServerFrames'

const config: DhcpServerConfig = {
  hostIp: HOST_IP,
  prefixLength: 24,
  deviceIp: DEVICE_IP,
  gatewayMac: GATEWAY_MAC,
  leaseSeconds: 3600,
  dnsServers: [ip4('9.9.9.9'), ip4('1.1.1.1')]
}

function server(overrides: Partial<DhcpServerConfig> = {}): { s: DhcpServer; clock: ManualClock } {
  const clock = new ManualClock()
  return { s: new DhcpServer({ ...config, ...overrides }, clock), clock }
}

/** The answer to `frame` as its own array (empty for none). */
function answer(s: DhcpServer, frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(DHCP_ANSWER_MAX + 10).fill(0xee)
  const n = s.answer(frame, 0, frame.length, out, 5)
  expect(out[4]).toBe(0xee) // nothing before `at`
  expect(out[5 + n]).toBe(0xee) // nothing after the answer
  return out.slice(5, 5 + n)
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const ipText = (b: Uint8Array, at: number): string => Array.from(b.subarray(at, at + 4)).join('.')
const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!

/** The fields of an answer frame, read independently of the server's code. */
function read(frame: Uint8Array) {
  const d = 42
  return {
    ethDst: hexOf(frame.subarray(0, 6)),
    ethSrc: hexOf(frame.subarray(6, 12)),
    ipSrc: ipText(frame, 26),
    ipDst: ipText(frame, 30),
    ipChecksumOk: fold(onesSum(frame, 14, 34)) === 0xffff,
    udpChecksumOk: fold(onesSum(frame, 34, frame.length, onesSum(frame, 26, 34, 17 + u16(frame, 38)))) === 0xffff,
    ipLength: u16(frame, 16),
    udpLength: u16(frame, 38),
    ports: [u16(frame, 34), u16(frame, 36)],
    op: frame[d],
    xid: hexOf(frame.subarray(d + 4, d + 8)),
    flags: u16(frame, d + 10),
    ciaddr: ipText(frame, d + 12),
    yiaddr: ipText(frame, d + 16),
    siaddr: ipText(frame, d + 20),
    chaddr: hexOf(frame.subarray(d + 28, d + 44)),
    options: optionsOf(frame, d)
  }
}

describe('isDhcpRequest', () => {
  it('accepts IPv4/UDP to port 67 and nothing else, reading within the given length', () => {
    for (const frame of Object.values(real)) expect(isDhcpRequest(frame, 0, frame.length)).toBe(true)
    const f = real.udhcpcDiscover
    expect(isDhcpRequest(f, 0, 41)).toBe(false) // no room for the UDP header
    const padded = new Uint8Array(f.length + 7)
    padded.set(f, 7)
    expect(isDhcpRequest(padded, 7, f.length)).toBe(true)
    expect(isDhcpRequest(padded, 7, f.length + 1)).toBe(false) // past the buffer
    const reply = f.slice()
    reply[37] = 68
    expect(isDhcpRequest(reply, 0, reply.length)).toBe(false)
    const tcp = f.slice()
    tcp[23] = 6
    expect(isDhcpRequest(tcp, 0, tcp.length)).toBe(false)
    const fragment = f.slice()
    fragment[21] = 1
    expect(isDhcpRequest(fragment, 0, fragment.length)).toBe(false)
    const v6 = f.slice()
    v6[12] = 0x86
    v6[13] = 0xdd
    expect(isDhcpRequest(v6, 0, v6.length)).toBe(false)
    expect(isDhcpRequest(f, -1, 100)).toBe(false)
    expect(isDhcpRequest(f, 0.5, 100)).toBe(false)
    expect(isDhcpRequest(f, NaN, 100)).toBe(false)
  })
})

describe('DHCP server answers real clients', () => {
  it('offers the device address to busybox udhcpc, with router, mask, lease, T1/T2 and DNS', () => {
    const { s } = server()
    const offer = read(answer(s, real.udhcpcDiscover))
    expect(offer).toMatchObject({
      ethDst: '020000000002', // no broadcast flag, no ciaddr: unicast to chaddr/yiaddr
      ethSrc: '6a8a9e9d25dd',
      ipSrc: '192.168.100.1',
      ipDst: '192.168.100.2',
      ipChecksumOk: true,
      udpChecksumOk: true,
      ipLength: 328,
      udpLength: 308,
      ports: [67, 68],
      op: 2,
      xid: '46e38011',
      flags: 0,
      ciaddr: '0.0.0.0',
      yiaddr: '192.168.100.2',
      siaddr: '0.0.0.0',
      chaddr: '02000000000200000000000000000000'
    })
    // udhcpc's parameter request list is 1, 3, 6, 12, 15, 28, 42: mask, router, DNS in that order.
    expect(offer.options).toEqual([
      [53, '02'], [54, 'c0a86401'], [51, '00000e10'], [58, '00000708'], [59, '00000c4e'],
      [1, 'ffffff00'], [3, 'c0a86401'], [6, '0909090901010101'], [61, '01020000000002']
    ])
    expect(s.counters.offers).toBe(1)
    expect(s.lease).toMatchObject({ bound: false })
  })

  it('ACKs udhcpc in SELECTING state and binds the lease to its MAC', () => {
    const { s, clock } = server()
    answer(s, real.udhcpcDiscover)
    clock.advance(2_000)
    const ack = read(answer(s, real.udhcpcRequestSelecting))
    expect(ack).toMatchObject({ ethDst: '020000000002', ipDst: '192.168.100.2', yiaddr: '192.168.100.2', ciaddr: '0.0.0.0', xid: '46e38011', udpChecksumOk: true })
    expect(ack.options[0]).toEqual([53, '05'])
    expect(ack.options.map(([c]) => c)).toEqual([53, 54, 51, 58, 59, 1, 3, 6, 61])
    expect(s.lease).toEqual({ mac: mac('02:00:00:00:00:02'), bound: true, expiresAt: 2_000 + 3_600_000 })
    expect(s.counters).toMatchObject({ offers: 1, acks: 1, naks: 0 })
  })

  it('ACKs a renewal unicast to ciaddr, keeping ciaddr, and extends the lease', () => {
    const { s, clock } = server()
    answer(s, real.udhcpcRequestSelecting)
    clock.advance(1_800_000)
    const ack = read(answer(s, real.udhcpcRequestRenewing))
    expect(ack).toMatchObject({ ethDst: '020000000002', ipDst: '192.168.100.2', ciaddr: '192.168.100.2', yiaddr: '192.168.100.2' })
    expect(ack.options[0]).toEqual([53, '05'])
    expect(s.lease?.expiresAt).toBe(1_800_000 + 3_600_000)
  })

  it('forgets the lease on udhcpc’s RELEASE, without an answer', () => {
    const { s } = server()
    answer(s, real.udhcpcRequestSelecting)
    expect(answer(s, real.udhcpcRelease)).toHaveLength(0)
    expect(s.lease).toBeNull()
    expect(s.counters.releases).toBe(1)
    // Released: another client may now have the address.
    expect(answer(s, real.dhclientDiscover)).not.toHaveLength(0)
  })

  it('answers ISC dhclient in the order of its parameter request list', () => {
    const { s } = server()
    const offer = read(answer(s, real.dhclientDiscover))
    expect(offer).toMatchObject({ ethDst: '020000000003', ipDst: '192.168.100.2', yiaddr: '192.168.100.2', xid: '2e32a625', udpChecksumOk: true })
    // dhclient asks for 1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42; it sends no client identifier.
    expect(offer.options.map(([c]) => c)).toEqual([53, 54, 51, 58, 59, 1, 3, 6])
    const ack = read(answer(s, real.dhclientRequestSelecting))
    expect(ack.options[0]).toEqual([53, '05'])
    expect(s.lease?.mac).toEqual(mac('02:00:00:00:00:03'))
  })

  it('offers to dhcpcd, ignoring rapid commit and the bytes after END, echoing its RFC 4361 client identifier', () => {
    const { s } = server({ dnsServers: [] })
    const offer = read(answer(s, real.dhcpcdDiscover))
    expect(offer.options.map(([c]) => c)).toEqual([53, 54, 51, 58, 59, 1, 3, 61])
    expect(offer.options.at(-1)).toEqual([61, 'ff0000000400010001329f94e8020000000004'])
  })
})

describe('DHCP server requests by state', () => {
  it('NAKs a request for another address, broadcast, with only type and server identifier', () => {
    const { s } = server()
    const nak = read(answer(s, buildRequest({ type: 3, options: [50, 4, 192, 168, 100, 7] })))
    expect(nak).toMatchObject({ ethDst: 'ffffffffffff', ipDst: '255.255.255.255', yiaddr: '0.0.0.0', ciaddr: '0.0.0.0', udpChecksumOk: true })
    expect(nak.options).toEqual([[53, '06'], [54, 'c0a86401']])
    expect(s.counters.naks).toBe(1)
    expect(s.lease).toBeNull()
  })

  it('ACKs INIT-REBOOT for the device address and NAKs a renewal of another', () => {
    const { s } = server()
    expect(read(answer(s, buildRequest({ type: 3, options: [50, 4, 192, 168, 100, 2] }))).options[0]).toEqual([53, '05'])
    expect(read(answer(s, buildRequest({ type: 3, ciaddr: '192.168.100.9' }))).options[0]).toEqual([53, '06'])
  })

  it('broadcasts when the client sets the broadcast flag, and echoes the flag', () => {
    const { s } = server()
    const offer = read(answer(s, buildRequest({ type: 1, flags: 0x8000 })))
    expect(offer).toMatchObject({ ethDst: 'ffffffffffff', ipDst: '255.255.255.255', flags: 0x8000, yiaddr: '192.168.100.2' })
  })

  it('ACKs INFORM to ciaddr without yiaddr or lease time, and takes no lease', () => {
    const { s } = server()
    const ack = read(answer(s, buildRequest({ type: 8, ciaddr: '192.168.100.2', ipSrc: '192.168.100.2', ipDst: '192.168.100.1', ethDst: GATEWAY_MAC, options: [55, 3, 6, 3, 1] })))
    expect(ack).toMatchObject({ ethDst: '020000000002', ipDst: '192.168.100.2', ciaddr: '192.168.100.2', yiaddr: '0.0.0.0' })
    expect(ack.options).toEqual([[53, '05'], [54, 'c0a86401'], [6, '0909090901010101'], [3, 'c0a86401'], [1, 'ffffff00']])
    expect(s.lease).toBeNull()
  })

  it('ignores a request that chose another server, freeing an offer it held', () => {
    const { s } = server()
    answer(s, buildRequest({ type: 1 }))
    expect(s.lease).not.toBeNull()
    expect(answer(s, buildRequest({ type: 3, options: [54, 4, 192, 168, 100, 254, 50, 4, 192, 168, 100, 2] }))).toHaveLength(0)
    expect(s.counters.ignored.notForUs).toBe(1)
    expect(s.lease).toBeNull()
  })

  it('forgets the lease on DECLINE from its holder only', () => {
    const { s } = server()
    answer(s, buildRequest({ type: 3, options: [50, 4, 192, 168, 100, 2] }))
    expect(answer(s, buildRequest({ type: 4, mac: '02:00:00:00:00:99', options: [50, 4, 192, 168, 100, 2, 54, 4, 192, 168, 100, 1] }))).toHaveLength(0)
    expect(s.lease).not.toBeNull()
    expect(answer(s, buildRequest({ type: 4, options: [50, 4, 192, 168, 100, 2, 54, 4, 192, 168, 100, 1] }))).toHaveLength(0)
    expect(s.lease).toBeNull()
    expect(s.counters).toMatchObject({ declines: 1, ignored: { notForUs: 1 } })
  })
})

describe('DHCP server lease: one client at a time', () => {
  it('ignores another client’s DISCOVER and NAKs its REQUEST while the lease is live', () => {
    const { s } = server()
    answer(s, real.udhcpcRequestSelecting)
    expect(answer(s, real.dhclientDiscover)).toHaveLength(0)
    expect(read(answer(s, real.dhclientRequestSelecting)).options[0]).toEqual([53, '06'])
    expect(s.counters).toMatchObject({ naks: 1, ignored: { otherClient: 1 } })
    expect(s.lease?.mac).toEqual(mac('02:00:00:00:00:02'))
    // The holder itself still renews.
    expect(read(answer(s, real.udhcpcRequestRenewing)).options[0]).toEqual([53, '05'])
  })

  it('reserves an offer for OFFER_HOLD_MS, then lets another client have it', () => {
    const { s, clock } = server()
    answer(s, real.udhcpcDiscover)
    clock.advance(OFFER_HOLD_MS - 1)
    expect(answer(s, real.dhclientDiscover)).toHaveLength(0)
    clock.advance(1)
    expect(read(answer(s, real.dhclientDiscover)).yiaddr).toBe('192.168.100.2')
  })

  it('expires the lease after leaseSeconds on the injected clock', () => {
    const { s, clock } = server({ leaseSeconds: 120 })
    answer(s, real.udhcpcRequestSelecting)
    const offer = read(answer(s, real.udhcpcDiscover)) // the holder rebooting gets the same offer; the lease stays bound
    expect(offer.options.slice(2, 5)).toEqual([[51, '00000078'], [58, '0000003c'], [59, '00000069']])
    expect(s.lease).toMatchObject({ bound: true, expiresAt: 120_000 })
    clock.advance(119_999)
    expect(answer(s, real.dhclientDiscover)).toHaveLength(0)
    clock.advance(1)
    expect(s.lease).toBeNull()
    expect(answer(s, real.dhclientDiscover)).not.toHaveLength(0)
  })

  it('frees the address on forgetLease (a new device connected)', () => {
    const { s } = server()
    answer(s, real.udhcpcRequestSelecting)
    s.forgetLease()
    expect(read(answer(s, real.dhclientRequestSelecting)).options[0]).toEqual([53, '05'])
  })

  it('gives an infinite lease for 0xffffffff seconds', () => {
    const { s, clock } = server({ leaseSeconds: 0xffffffff })
    const ack = read(answer(s, real.udhcpcRequestSelecting))
    expect(ack.options[2]).toEqual([51, 'ffffffff'])
    clock.advance(1e12)
    expect(s.lease?.bound).toBe(true)
  })

  it('refuses a bad configuration when built, not when answering', () => {
    expect(() => server({ prefixLength: 31 })).toThrow(/prefixLength/)
    expect(() => server({ deviceIp: HOST_IP })).toThrow(/differ/)
    expect(() => server({ gatewayMac: mac('01:00:5e:00:00:01') })).toThrow(/unicast/)
    expect(() => server({ dnsServers: Array.from({ length: 9 }, () => ip4('9.9.9.9')) })).toThrow(/dnsServers/)
    expect(() => server({ leaseSeconds: 0 })).toThrow(/leaseSeconds/)
  })
})

describe('DHCP servers of several ports sharing a lease pool (addressFor)', () => {
  const A = '02:00:00:00:00:0a'
  const B = '02:00:00:00:00:0b'
  const sharedPool = (): LeasePool => new LeasePool({ hostIp: HOST_IP, prefixLength: 24, firstIp: DEVICE_IP, file: null })
  const pooled = (p: { addressFor(mac: Uint8Array, macAt: number): Uint8Array | null }) => server({ addressFor: (m, at) => p.addressFor(m, at) })
  const selecting = (m: string, ip: number[]) => buildRequest({ type: 3, mac: m, options: [50, 4, ...ip, 54, 4, 192, 168, 100, 1] })

  it('gives two clients on two ports different addresses, each stable, and NAKs one asking for the other’s', () => {
    const p = sharedPool()
    const one = pooled(p).s
    const two = pooled(p).s
    expect(read(answer(one, buildRequest({ type: 1, mac: A }))).yiaddr).toBe('192.168.100.2')
    const offer = read(answer(two, buildRequest({ type: 1, mac: B })))
    expect(offer).toMatchObject({ ethDst: '02000000000b', ipDst: '192.168.100.3', yiaddr: '192.168.100.3', udpChecksumOk: true })
    expect(read(answer(two, selecting(B, [192, 168, 100, 3]))).options[0]).toEqual([53, '05'])
    expect(read(answer(one, selecting(A, [192, 168, 100, 3]))).options[0]).toEqual([53, '06'])
    const ack = read(answer(one, selecting(A, [192, 168, 100, 2])))
    expect(ack).toMatchObject({ yiaddr: '192.168.100.2', ipDst: '192.168.100.2' })
    expect(ack.options[0]).toEqual([53, '05'])
    // Renewal to ciaddr, and the device moved to the other port: the same address.
    expect(read(answer(one, buildRequest({ type: 3, mac: A, ciaddr: '192.168.100.2' }))).yiaddr).toBe('192.168.100.2')
    two.forgetLease()
    expect(read(answer(two, buildRequest({ type: 1, mac: A }))).yiaddr).toBe('192.168.100.2')
    expect(p.leases()).toEqual([
      { mac: A, ip: '192.168.100.2' },
      { mac: B, ip: '192.168.100.3' }
    ])
    expect(one.counters).toEqual({ ...newDhcpServerCounters(), offers: 1, acks: 2, naks: 1 })
  })

  it('ignores a request the pool has no address for (poolFull), DISCOVER and REQUEST alike', () => {
    const { s } = pooled({ addressFor: () => null })
    expect(answer(s, buildRequest({ type: 1, mac: A }))).toHaveLength(0)
    expect(answer(s, selecting(A, [192, 168, 100, 2]))).toHaveLength(0)
    expect(s.counters.ignored).toEqual({ ...newDhcpServerCounters().ignored, poolFull: 2 })
    expect(s.counters).toMatchObject({ offers: 0, acks: 0, naks: 0 })
    expect(s.lease).toBeNull()
  })

  it('a full /30 pool: the first client gets the address, the next on another port is ignored with poolFull = 1', () => {
    const p = new LeasePool({ hostIp: HOST_IP, prefixLength: 30, firstIp: DEVICE_IP, file: null })
    const one = pooled(p).s
    const two = pooled(p).s
    expect(read(answer(one, buildRequest({ type: 1, mac: A }))).yiaddr).toBe('192.168.100.2')
    expect(answer(two, buildRequest({ type: 1, mac: B }))).toHaveLength(0)
    expect(two.counters.ignored.poolFull).toBe(1)
    expect(p.full).toBe(1)
  })

  it('does not ask the pool for a client it ignores or NAKs as another client', () => {
    const asked: string[] = []
    const p = sharedPool()
    const { s } = pooled({ addressFor: (m, at) => (asked.push(hexOf(m.subarray(at, at + 6))), p.addressFor(m, at)) })
    answer(s, selecting(A, [192, 168, 100, 2]))
    expect(answer(s, buildRequest({ type: 1, mac: B }))).toHaveLength(0)
    expect(read(answer(s, selecting(B, [192, 168, 100, 3]))).options[0]).toEqual([53, '06'])
    expect(asked).toEqual(['02000000000a'])
    expect(p.leases()).toHaveLength(1)
  })

  it('takes RELEASE and DECLINE of the pool’s address from its holder', () => {
    const { s } = pooled(sharedPool())
    answer(s, buildRequest({ type: 1, mac: A }))
    answer(s, selecting(A, [192, 168, 100, 2]))
    expect(answer(s, buildRequest({ type: 7, mac: A, ciaddr: '192.168.100.3' }))).toHaveLength(0)
    expect(s.lease).not.toBeNull()
    expect(answer(s, buildRequest({ type: 7, mac: A, ciaddr: '192.168.100.2' }))).toHaveLength(0)
    expect(s.lease).toBeNull()
    expect(s.counters).toMatchObject({ releases: 1, ignored: { notForUs: 1 } })
  })

  it('counts a pool that throws or answers nonsense as poolFull, without throwing', () => {
    const bad: ((m: Uint8Array, at: number) => Uint8Array | null)[] = [
      () => {
        throw new Error('pool broken')
      },
      () => new Uint8Array(3),
      () => HOST_IP
    ]
    for (const addressFor of bad) {
      const { s } = server({ addressFor })
      expect(answer(s, buildRequest({ type: 1, mac: A }))).toHaveLength(0)
      expect(s.counters.ignored.poolFull).toBe(1)
    }
  })

  it('copies the pool’s answer: a later change to the pool’s array does not reach an answer', () => {
    const ip = ip4('192.168.100.9')
    const { s } = server({ addressFor: () => ip })
    answer(s, buildRequest({ type: 1, mac: A }))
    ip[3] = 77
    expect(answer(s, buildRequest({ type: 7, mac: A, ciaddr: '192.168.100.9' }))).toHaveLength(0)
    expect(s.counters.releases).toBe(1)
  })

  it('never throws on mutated requests from many MACs, and never hands out the host’s address', () => {
    const p = sharedPool()
    const { s, clock } = pooled(p)
    fc.assert(
      fc.property(fc.constantFrom(...Object.values(real)), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (base, flips) => {
        const frame = base.slice()
        for (const [at, value] of flips) frame[42 + (at % (frame.length - 42))] = value
        clock.advance(OFFER_HOLD_MS)
        s.forgetLease()
        const out = new Uint8Array(DHCP_ANSWER_MAX)
        const n = s.answer(fixIpChecksum(frame), 0, frame.length, out, 0)
        if (n > 0) expect(read(out.slice(0, n)).yiaddr).not.toBe('192.168.100.1')
      }),
      { numRuns: 1000 }
    )
    expect(p.leases().every((l) => l.ip !== '192.168.100.1')).toBe(true)
    expect(s.counters.offers + s.counters.acks).toBeGreaterThan(0)
  })
})

describe('DHCP server refuses hostile input by reason, without throwing', () => {
  const valid = real.udhcpcDiscover
  const cases: [string, () => Uint8Array, string][] = [
    ['truncated below the fixed part', () => refreshLengths(valid.slice(0, 42 + 200)), 'malformed'],
    ['UDP length past the IP packet', () => { const f = valid.slice(); f[38] = 0x02; return f }, 'malformed'],
    ['IP total length past the frame', () => { const f = valid.slice(); f[16] = 0x02; return fixIpChecksum(f) }, 'malformed'],
    ['bad IPv4 header checksum', () => { const f = valid.slice(); f[24] ^= 1; return f }, 'malformed'],
    ['bad magic cookie', () => { const f = valid.slice(); f[42 + 236] = 0x64; return f }, 'malformed'],
    ['op BOOTREPLY', () => { const f = valid.slice(); f[42] = 2; return f }, 'malformed'],
    ['hlen 16', () => { const f = valid.slice(); f[44] = 16; return f }, 'unsupported'],
    ['htype IEEE 802', () => { const f = valid.slice(); f[43] = 6; return f }, 'unsupported'],
    ['multicast chaddr', () => { const f = valid.slice(); f[42 + 28] = 0x01; return f }, 'malformed'],
    ['zero chaddr', () => { const f = valid.slice(); f.fill(0, 42 + 28, 42 + 34); return f }, 'malformed'],
    ['missing END', () => buildRequest({ type: 1, end: false }), 'malformed'],
    ['option length past the end', () => buildRequest({ type: 1, options: [12, 200, 0x41], end: false }), 'malformed'],
    ['oversized option at the end of the message', () => buildRequest({ type: 1, options: [60, 255, ...new Array<number>(100).fill(0x41)], end: false }), 'malformed'],
    ['no message type', () => buildRequest({ type: -1 }), 'malformed'],
    ['message type of length 2', () => buildRequest({ type: -1, options: [53, 2, 1, 1] }), 'malformed'],
    ['option overload', () => buildRequest({ type: 1, options: [52, 1, 3] }), 'unsupported'],
    ['message type OFFER from a client', () => buildRequest({ type: 2 }), 'unsupported'],
    ['message type 200', () => buildRequest({ type: 200 }), 'unsupported'],
    ['relayed (giaddr set)', () => buildRequest({ type: 1, giaddr: '10.0.0.1' }), 'notForUs'],
    ['Ethernet destination another host', () => buildRequest({ type: 1, ethDst: mac('02:00:00:00:00:77') }), 'notForUs'],
    ['IP destination another host', () => buildRequest({ type: 1, ipDst: '192.168.100.77' }), 'notForUs'],
    ['REQUEST without address', () => buildRequest({ type: 3 }), 'malformed'],
    ['SELECTING without requested address', () => buildRequest({ type: 3, options: [54, 4, 192, 168, 100, 1] }), 'malformed'],
    ['requested address of length 3', () => buildRequest({ type: 3, options: [50, 3, 192, 168, 100] }), 'malformed'],
    ['INFORM without ciaddr', () => buildRequest({ type: 8 }), 'malformed'],
    ['RELEASE of no lease', () => buildRequest({ type: 7, ciaddr: '192.168.100.2' }), 'notForUs'],
    ['a 255-option flood without END', () => buildRequest({ type: 1, options: Array.from({ length: 255 }, (_, i) => [i === 0 ? 1 : 250, 0]).flat(), end: false }), 'malformed'],
    ['a 64 KB frame', () => { const f = new Uint8Array(65_535); f.set(valid); return refreshLengths(f) }, 'malformed']
  ]

  for (const [name, make, reason] of cases) {
    it(`${name} → ignored.${reason}`, () => {
      const { s } = server()
      const frame = make()
      expect(isDhcpRequest(frame, 0, frame.length)).toBe(true)
      expect(answer(s, frame)).toHaveLength(0)
      expect(s.counters.ignored).toMatchObject({ [reason]: 1 })
      expect(Object.values(s.counters.ignored).reduce((a, b) => a + b, 0)).toBe(1)
      expect(s.counters).toMatchObject({ offers: 0, acks: 0, naks: 0 })
    })
  }

  it('answers the 255-option flood when it does end, since every option fits', () => {
    const { s } = server()
    const frame = buildRequest({ type: 1, options: Array.from({ length: 250 }, () => [0]).flat().concat([12, 1, 0x41]) })
    expect(read(answer(s, frame)).options[0]).toEqual([53, '02'])
  })

  it('writes nothing into a buffer too small for the answer', () => {
    const { s } = server()
    const out = new Uint8Array(300).fill(0xee)
    expect(s.answer(real.udhcpcDiscover, 0, real.udhcpcDiscover.length, out, 0)).toBe(0)
    expect(out.every((b) => b === 0xee)).toBe(true)
    expect(s.answer(real.udhcpcDiscover, 0, real.udhcpcDiscover.length, new Uint8Array(DHCP_ANSWER_MAX), -1)).toBe(0)
    expect(s.counters.ignored.noRoom).toBe(2)
  })
})

describe('DHCP server property: never throws, never writes past its answer', () => {
  const mutated = fc
    .tuple(
      fc.constantFrom(...Object.values(real)),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.boolean()
    )
    .map(([base, flips, cut, fix]) => {
      const frame = base.slice(0, cut === undefined ? base.length : cut % (base.length + 1))
      // Most flips land in the DHCP message, past the headers.
      for (const [at, value] of flips) if (frame.length > 42) frame[42 + (at % (frame.length - 42))] = value
      return fix && frame.length >= 34 ? fixIpChecksum(frame) : frame
    })
  const arbitrary = fc.uint8Array({ maxLength: 1600 }).map((rest) => {
    const frame = real.udhcpcDiscover.slice(0, 42)
    const all = new Uint8Array(42 + rest.length)
    all.set(frame)
    all.set(rest, 42)
    return refreshLengths(all)
  })

  it('holds for mutated real requests, arbitrary DHCP payloads and arbitrary bytes, with any room', () => {
    const { s, clock } = server()
    fc.assert(
      fc.property(fc.oneof(mutated, arbitrary, fc.uint8Array({ maxLength: 2000 })), fc.integer({ min: 0, max: DHCP_ANSWER_MAX + 20 }), fc.nat(600_000), (frame, room, step) => {
        clock.advance(step)
        const out = new Uint8Array(room + 8).fill(0xee)
        const n = s.answer(frame, 0, frame.length, out, 4)
        expect(n).toBeGreaterThanOrEqual(0)
        expect(n).toBeLessThanOrEqual(room + 4)
        expect(out.subarray(0, 4).every((b) => b === 0xee)).toBe(true)
        expect(out.subarray(4 + n).every((b) => b === 0xee)).toBe(true)
        if (n > 0) {
          const answer = out.slice(4, 4 + n)
          expect(summarizeFrame(answer).protocol).toBe('DHCP')
          expect(problems(dissectFrame(answer))).toEqual([])
        }
      }),
      { numRuns: 3000 }
    )
    const { offers, acks, naks } = s.counters
    expect(offers + acks + naks).toBeGreaterThan(0) // the mutations still reach the answering code
  })
})
