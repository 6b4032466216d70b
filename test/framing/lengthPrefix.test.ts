import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { FramingError } from '../../src/engine/counters.js'
import { esp32Framing } from '../../src/engine/framing/esp32.js'
import type { Framing, FramingSink } from '../../src/engine/framing/framing.js'
import { qemuFraming } from '../../src/engine/framing/qemu.js'
import { concat, DEVICE_MAC, deviceArpRequest, deviceIpv6Frame, deviceUdpFrame, ethernet, GATEWAY_MAC, HOST_IP } from '../helpers/frames.js'

type Event = { record: number[] } | { error: number; skipped: number; kept: number[] }

const MAX_FRAME = 1500

/** Both length-prefix framings: the ESP32 tunnel's 2-byte length and QEMU's 4-byte one. */
const FRAMINGS: Array<[string, Framing]> = [['ESP32 tunnel (2-byte length)', esp32Framing], ['QEMU stream (4-byte length)', qemuFraming]]

const framesOf = (events: Event[]): number[][] => events.flatMap((e) => ('record' in e ? [e.record] : []))
const errorsOf = (events: Event[]) => events.flatMap((e) => ('error' in e ? [{ kind: e.error, skipped: e.skipped }] : []))

const frameArb = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 1500 - 14 - 28 }).chain((data) => fc.integer({ min: 0, max: 0xffff }).map((id) => deviceUdpFrame(data, id))),
  fc.constant(deviceArpRequest(HOST_IP)),
  fc.integer({ min: 0, max: 1500 - 14 - 40 }).map((n) => deviceIpv6Frame(n))
)
const junkArb = fc.uint8Array({ minLength: 1, maxLength: 64 })
const chunksArb = fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 20 })

describe.each(FRAMINGS)('length-prefix decoder: %s', (_name, framing) => {
  const width = framing.header.bytes

  /** `n` as the framing's big-endian length field. */
  const lengthField = (n: number): Uint8Array => {
    const field = new Uint8Array(width)
    framing.header.write(field, 0, n)
    return field
  }
  const record = (frame: Uint8Array): Uint8Array => concat([lengthField(frame.length), frame])

  /** Runs bytes through this framing's decoder in the given chunk sizes and returns what it reported. */
  function decode(bytes: Uint8Array, chunks: number[] = [bytes.length], options: { knownMac?: boolean; zeroCopy?: boolean; reset?: boolean } = {}): Event[] {
    const events: Event[] = []
    const sink: FramingSink = {
      onReceived: () => {},
      onRecord: (b, start, n, wireLength) => {
        expect(wireLength).toBe(width + n)
        expect(Array.from(b.subarray(start - width, start))).toEqual(Array.from(lengthField(n)))
        events.push({ record: Array.from(b.subarray(start, start + n)) })
      },
      onFramingError: (kind, kept, skipped) => events.push({ error: kind, skipped, kept: Array.from(kept) }),
      onBatchEnd: () => {}
    }
    const decoder = framing.createDecoder(sink, MAX_FRAME, 4096)
    if (options.knownMac) decoder.deviceMac = DEVICE_MAC
    let at = 0
    for (let i = 0; at < bytes.length; i++) {
      const size = Math.max(1, Math.min(chunks[i % chunks.length]!, bytes.length - at))
      if (options.zeroCopy) {
        // The socket transport's path: reads land in the decoder's own buffer.
        const n = Math.min(size, decoder.space().length)
        decoder.space().set(bytes.subarray(at, at + n))
        decoder.commit(n)
        at += n
      } else {
        decoder.push(bytes.subarray(at, at + size))
        at += size
      }
    }
    if (options.reset) decoder.reset()
    return events
  }

  describe('records', () => {
    const udp = deviceUdpFrame(new TextEncoder().encode('hello'))
    const arpRequest = deviceArpRequest(HOST_IP)
    const ipv6 = deviceIpv6Frame(8)

    it('passes IPv4, ARP and IPv6 records through whole and in order', () => {
      const events = decode(concat([record(udp), record(arpRequest), record(ipv6)]))
      expect(framesOf(events)).toEqual([Array.from(udp), Array.from(arpRequest), Array.from(ipv6)])
      expect(errorsOf(events)).toEqual([])
    })

    it.each([
      ['zero length', lengthField(0), FramingError.zeroLength],
      ['length over 1500', concat([lengthField(1600), Uint8Array.of(1, 2, 3)]), FramingError.tooLong],
      ['length under an Ethernet header', concat([lengthField(10), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)]), FramingError.tooShort],
      ['length of the widest field', new Uint8Array(width).fill(0xff), FramingError.tooLong],
    ])('refuses a %s and finds the next record', (_name, junk, kind) => {
      const events = decode(concat([record(udp), junk, record(udp)]))
      expect(framesOf(events)).toHaveLength(2)
      expect(errorsOf(events)).toEqual([{ kind, skipped: junk.length }])
    })

    it('refuses an IPv4 frame whose header checksum is wrong', () => {
      const bad = udp.slice()
      bad[14 + 10]! ^= 0xff
      const events = decode(concat([record(bad), record(udp)]))
      expect(framesOf(events)).toEqual([Array.from(udp)])
      expect(errorsOf(events)).toEqual([{ kind: FramingError.implausible, skipped: bad.length + width }])
    })

    it('takes a frame from another MAC while in step, even once the device MAC is known', () => {
      const stranger = ethernet(GATEWAY_MAC, Uint8Array.of(2, 0, 0, 0, 0, 9), 0x0800, udp.subarray(14))
      const events = decode(concat([record(stranger), record(udp)]), undefined, { knownMac: true })
      expect(framesOf(events)).toEqual([Array.from(stranger), Array.from(udp)])
      expect(errorsOf(events)).toEqual([])
    })

    it('ends a hunt only at a frame from the known device MAC', () => {
      const stranger = ethernet(GATEWAY_MAC, Uint8Array.of(2, 0, 0, 0, 0, 9), 0x0800, udp.subarray(14))
      const junk = Uint8Array.of(0xff, 0xff)
      const events = decode(concat([junk, record(stranger), record(udp)]), undefined, { knownMac: true })
      expect(framesOf(events)).toEqual([Array.from(udp)])
      expect(errorsOf(events)).toEqual([{ kind: FramingError.tooLong, skipped: junk.length + stranger.length + width }])
      // Without a known MAC the stranger's frame ends the hunt like any plausible one.
      expect(framesOf(decode(concat([junk, record(stranger), record(udp)])))).toEqual([Array.from(stranger), Array.from(udp)])
    })

    it('refuses unknown EtherTypes but accepts known non-IP ones', () => {
      const unknown = ethernet(GATEWAY_MAC, DEVICE_MAC, 0x1234, new Uint8Array(46))
      const lldp = ethernet(GATEWAY_MAC, DEVICE_MAC, 0x88cc, new Uint8Array(46))
      const events = decode(concat([record(unknown), record(lldp)]))
      expect(framesOf(events)).toEqual([Array.from(lldp)])
      expect(errorsOf(events)).toEqual([{ kind: FramingError.implausible, skipped: unknown.length + width }])
    })

    it('accepts a minimum-size frame padded after its IP packet', () => {
      const short = deviceUdpFrame(new Uint8Array(2))
      const padded = concat([short, new Uint8Array(60 - short.length)])
      expect(framesOf(decode(record(padded)))).toEqual([Array.from(padded)])
    })

    // libslirp pads its ARP replies to 64 bytes, Ethernet's minimum with the FCS: refused as
    // implausible, they never reached a QEMU guest, which then never learned its gateway.
    it('accepts ARP and IP frames padded to 64 bytes, and refuses longer padding', () => {
      const arp64 = concat([arpRequest, new Uint8Array(64 - arpRequest.length)])
      const udp64 = concat([deviceUdpFrame(new Uint8Array(2)), new Uint8Array(64 - deviceUdpFrame(new Uint8Array(2)).length)])
      expect(framesOf(decode(concat([record(arp64), record(udp64)])))).toEqual([Array.from(arp64), Array.from(udp64)])
      const arp65 = concat([arpRequest, new Uint8Array(65 - arpRequest.length)])
      const events = decode(concat([record(arp65), record(udp)]))
      expect(framesOf(events)).toEqual([Array.from(udp)])
      expect(errorsOf(events)).toEqual([{ kind: FramingError.implausible, skipped: arp65.length + width }])
    })

    it('reports a record cut by a disconnect and starts fresh', () => {
      const whole = record(udp)
      const events = decode(whole.subarray(0, 20), undefined, { reset: true })
      expect(errorsOf(events)).toEqual([{ kind: FramingError.cutByDisconnect, skipped: 20 }])
    })

    it('keeps the skipped bytes for the capture', () => {
      const junk = concat([lengthField(0), Uint8Array.of(0xde, 0xad)])
      const events = decode(concat([junk, record(udp)]))
      expect(events[0]).toEqual({ error: FramingError.zeroLength, skipped: junk.length, kept: Array.from(junk) })
    })

    it(`takes a frame of exactly ${MAX_FRAME} bytes and refuses one a byte longer`, () => {
      const largest = deviceUdpFrame(new Uint8Array(MAX_FRAME - 14 - 28))
      const over = deviceUdpFrame(new Uint8Array(MAX_FRAME + 1 - 14 - 28))
      const events = decode(concat([record(largest), record(over), record(udp)]), undefined, { knownMac: true })
      expect(framesOf(events)).toEqual([Array.from(largest), Array.from(udp)])
      expect(errorsOf(events)).toEqual([{ kind: FramingError.tooLong, skipped: width + over.length }])
    })

    it('waits for a whole record before accepting it, however it is chunked', () => {
      const bytes = concat([record(udp), record(ipv6)])
      const reference = decode(bytes)
      for (const size of [1, 2, 3, 7, 13, 64]) {
        expect(decode(bytes, [size])).toEqual(reference)
        expect(decode(bytes, [size], { zeroCopy: true })).toEqual(reference)
      }
    })
  })

  describe('properties', () => {
    it('delivers every frame not touched by junk and counts every junk byte, whatever the chunking', () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ frame: frameArb, junkBefore: fc.option(junkArb, { freq: 3 }) }), { minLength: 1, maxLength: 30 }),
          chunksArb,
          fc.boolean(),
          (items, chunks, zeroCopy) => {
            // End with a clean frame so the last junk episode is closed.
            const parts = items.flatMap(({ frame, junkBefore }) => (junkBefore ? [junkBefore, record(frame)] : [record(frame)]))
            parts.push(record(deviceUdpFrame(Uint8Array.of(1))))
            const events = decode(concat(parts), chunks, { knownMac: true, zeroCopy })
            const expected = [...items.map((i) => Array.from(i.frame)), Array.from(deviceUdpFrame(Uint8Array.of(1)))]
            expect(framesOf(events)).toEqual(expected)
            const junkBytes = items.reduce((n, i) => n + (i.junkBefore?.length ?? 0), 0)
            expect(errorsOf(events).reduce((n, e) => n + e.skipped, 0)).toBe(junkBytes)
          }
        ),
        { numRuns: 300 }
      )
    })

    it('refuses every frame over the limit, counting all its bytes, and keeps the frames around it', () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ frame: frameArb, oversize: fc.option(fc.integer({ min: MAX_FRAME + 1, max: 4 * MAX_FRAME }), { freq: 3 }) }), { minLength: 1, maxLength: 10 }),
          chunksArb,
          (items, chunks) => {
            // Zero payload: nothing inside an oversize frame looks like a record from the device.
            const oversized = items.map((i) => (i.oversize ? deviceUdpFrame(new Uint8Array(i.oversize - 14 - 28)) : null))
            const parts = items.flatMap((i, k) => (oversized[k] ? [record(oversized[k]), record(i.frame)] : [record(i.frame)]))
            const events = decode(concat(parts), chunks, { knownMac: true })
            expect(framesOf(events)).toEqual(items.map((i) => Array.from(i.frame)))
            expect(errorsOf(events)).toEqual(oversized.flatMap((o) => (o ? [{ kind: FramingError.tooLong, skipped: width + o.length }] : [])))
          }
        ),
        { numRuns: 200 }
      )
    })

    it('gives identical results for any two chunkings of any bytes, and accounts for every byte', () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof(frameArb.map(record), fc.uint8Array({ maxLength: 200 })), { maxLength: 20 }).map(concat),
          chunksArb,
          chunksArb,
          (bytes, a, b) => {
            const first = decode(bytes, a, { reset: true })
            expect(decode(bytes, b, { reset: true, zeroCopy: true })).toEqual(first)
            const accounted = first.reduce((n, e) => n + ('record' in e ? e.record.length + width : e.skipped), 0)
            expect(accounted).toBe(bytes.length)
          }
        ),
        { numRuns: 300 }
      )
    })

    it('never throws on arbitrary bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 5000 }), chunksArb, (bytes, chunks) => {
        decode(bytes, chunks, { reset: true })
      }))
    })
  })
})
