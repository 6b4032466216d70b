// The TCP building blocks of the demo device: sequence arithmetic across the
// wrap, segments read and built (checked against captured bytes and the
// inspector's own decoder), the send ring and the RFC 6298 estimator.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pseudoHeaderSum } from '../../src/demo/stack/checksum.js'
import { MAX_RTO_MS, MIN_RTO_MS, RetransmissionTimeout } from '../../src/demo/stack/tcp/retransmissionTimeout.js'
import { seqAdd, seqDiff, seqGeq, seqGt, seqLeq, seqLt } from '../../src/demo/stack/tcp/sequence.js'
import { buildTcpSegment, readTcpSegment, sequenceLength, TcpFlag } from '../../src/demo/stack/tcp/tcpSegment.js'
import { TcpStack } from '../../src/demo/stack/tcp/tcpStack.js'
import { parseTcp } from '../../src/engine/decode/tcp.js'
import { hexFrame, tcpRst, tcpSyn, tcpSynAck } from '../decode/fixtures.js'
import { ManualClock } from '../helpers/manualClock.js'
import { DEVICE_IP, HOST_IP } from './tcpTestPeer.js'

const IPV4_PACKET_START = 14
const TCP_START = 34

/** The TCP part of a fixture frame (whose IPv4 total length says where it ends). */
function tcpOf(frame: Uint8Array): Uint8Array {
  const total = (frame[IPV4_PACKET_START + 2]! << 8) | frame[IPV4_PACKET_START + 3]!
  return frame.slice(TCP_START, IPV4_PACKET_START + total)
}

describe('TCP sequence numbers', () => {
  it('compare across the 2^32 wrap', () => {
    expect(seqAdd(0xffff_fff0, 0x20)).toBe(0x10)
    expect(seqAdd(5, -6)).toBe(0xffff_ffff)
    expect(seqDiff(0x10, 0xffff_fff0)).toBe(0x20)
    expect(seqLt(0xffff_fff0, 0x10)).toBe(true)
    expect(seqGt(0x10, 0xffff_fff0)).toBe(true)
    expect(seqLeq(7, 7) && seqGeq(7, 7)).toBe(true)
    expect(seqLt(7, 7) || seqGt(7, 7)).toBe(false)
  })

  it('order a + n after a for any a and 0 < n < 2^31', () => {
    fc.assert(fc.property(fc.nat({ max: 0xffff_ffff }), fc.integer({ min: 1, max: 0x7fff_ffff }), (a, n) => {
      const b = seqAdd(a, n)
      return seqLt(a, b) && seqGt(b, a) && seqDiff(b, a) === n && !seqGeq(a, b)
    }))
  })
})

describe('TCP segments', () => {
  it('reads a Linux SYN: the MSS among SACK-permitted, timestamps and window scale', () => {
    const segment = readTcpSegment(tcpOf(tcpSyn), HOST_IP, DEVICE_IP)
    expect(segment).toMatchObject({ srcPort: 54321, dstPort: 80, seq: 0, ack: 0, flags: TcpFlag.SYN, window: 64240, mss: 1446 })
    expect(segment?.payload.length).toBe(0)
    expect(sequenceLength(segment!)).toBe(1)
  })

  it('refuses a wrong checksum, wrong addresses, a short header and a data offset past the end', () => {
    const good = tcpOf(tcpSyn)
    const flipped = good.slice()
    flipped[30] ^= 0x01
    expect(readTcpSegment(flipped, HOST_IP, DEVICE_IP)).toBeNull()
    expect(readTcpSegment(good, HOST_IP, DEVICE_IP + 1)).toBeNull()
    expect(readTcpSegment(good.subarray(0, 19), HOST_IP, DEVICE_IP)).toBeNull()
    const tooLong = buildTcpSegment(HOST_IP, DEVICE_IP, { srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: TcpFlag.ACK, window: 5 })
    tooLong[12] = 0xf0 // 60-byte header in a 20-byte segment
    expect(readTcpSegment(tooLong, HOST_IP, DEVICE_IP)).toBeNull()
    tooLong[12] = 0x40 // 16 bytes: below the minimum
    expect(readTcpSegment(tooLong, HOST_IP, DEVICE_IP)).toBeNull()
  })

  it('ignores options after a malformed one, and an MSS option of the wrong length', () => {
    const withOptions = (options: string): Uint8Array => {
      const header = hexFrame(`0001 0002 00000003 00000004 ${(5 + options.replace(/ /g, '').length / 8).toString(16)}0 10 0100 0000 0000`, options)
      const sum = ~foldedSum(header, pseudoHeaderSum(HOST_IP, DEVICE_IP, 6, header.length)) & 0xffff
      header[16] = sum >> 8
      header[17] = sum & 0xff
      return header
    }
    expect(readTcpSegment(withOptions('01010204 05b40000'), HOST_IP, DEVICE_IP)?.mss).toBe(1460)
    expect(readTcpSegment(withOptions('0800020405b40000'), HOST_IP, DEVICE_IP)?.mss).toBeUndefined() // length 0: stop
    expect(readTcpSegment(withOptions('02050405b4000000'), HOST_IP, DEVICE_IP)?.mss).toBeUndefined() // MSS of length 5
    expect(readTcpSegment(withOptions('00000000 020405b4'), HOST_IP, DEVICE_IP)?.mss).toBeUndefined() // after the end of options
  })

  it('builds a SYN-ACK byte for byte as lwIP sent it (MSS 1436, window 5744)', () => {
    const sent: Uint8Array[] = []
    const stack = new TcpStack({
      localIp: DEVICE_IP, clock: new ManualClock(), mss: 1436, receiveBuffer: 5744,
      random: () => 0x196d / 2 ** 32,
      output: { send: (_ip, segment) => sent.push(segment.slice()), canSend: () => true }
    })
    stack.listen(80, () => ({}))
    stack.receive(HOST_IP, tcpOf(tcpSyn))
    expect(sent).toEqual([tcpOf(tcpSynAck)])
  })

  it('answers a SYN to a closed port with the RST captured from lwIP (seq 0, ack = seq + 1)', () => {
    const sent: Uint8Array[] = []
    const stack = new TcpStack({ localIp: DEVICE_IP, clock: new ManualClock(), output: { send: (_ip, s) => sent.push(s.slice()), canSend: () => true } })
    stack.receive(HOST_IP, buildTcpSegment(HOST_IP, DEVICE_IP, { srcPort: 40000, dstPort: 5555, seq: 12344, ack: 0, flags: TcpFlag.SYN, window: 1024 }))
    expect(sent).toEqual([tcpOf(tcpRst)])
  })

  it('builds what the inspector\'s decoder reads back, checksum included', () => {
    const fields = fc.record({
      srcPort: fc.integer({ min: 1, max: 0xffff }), dstPort: fc.integer({ min: 1, max: 0xffff }),
      seq: fc.nat({ max: 0xffff_ffff }), ack: fc.nat({ max: 0xffff_ffff }), flags: fc.nat({ max: 0xff }),
      window: fc.nat({ max: 0xffff }), mss: fc.option(fc.nat({ max: 0xffff }), { nil: undefined })
    })
    fc.assert(fc.property(fields, fc.uint8Array({ maxLength: 64 }), (f, payload) => {
      const bytes = buildTcpSegment(HOST_IP, DEVICE_IP, f, payload)
      const decoded = parseTcp(bytes, 0, bytes.length)
      expect(decoded).toMatchObject({ srcPort: f.srcPort, dstPort: f.dstPort, seq: f.seq, ack: f.ack, flags: f.flags, window: f.window, payloadLength: payload.length })
      expect(decoded?.mss).toBe(f.mss)
      const read = readTcpSegment(bytes, HOST_IP, DEVICE_IP)
      expect(read).toEqual({ ...f, ...(f.mss === undefined ? {} : { mss: f.mss }), payload })
    }))
  })
})

/** One's-complement sum folded to 16 bits (an independent check of the builder's checksum). */
function foldedSum(bytes: Uint8Array, initial: number): number {
  let sum = initial
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0)
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000)
  return sum
}

describe('TCP retransmission timeout', () => {
  it('starts at 1 s, follows RFC 6298 from samples, doubles per timeout and stays within 1 s … 60 s', () => {
    const rto = new RetransmissionTimeout()
    expect(rto.ms).toBe(MIN_RTO_MS)
    rto.sample(800) // SRTT 800, RTTVAR 400: 800 + 1600
    expect(rto.ms).toBe(2400)
    rto.sample(400) // RTTVAR 0.75·400 + 0.25·400 = 400, SRTT 750: 750 + 1600
    expect(rto.ms).toBe(2350)
    rto.backOff()
    expect(rto.ms).toBe(4700)
    for (let i = 0; i < 10; i++) rto.backOff()
    expect(rto.ms).toBe(MAX_RTO_MS)
    rto.sample(10) // a new sample ends the backoff; the floor holds
    expect(rto.ms).toBeGreaterThanOrEqual(MIN_RTO_MS)
    expect(rto.ms).toBeLessThan(4700)
  })
})
