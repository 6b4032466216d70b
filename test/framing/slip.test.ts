import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { FramingError } from '../../src/engine/counters.js'
import type { FramingSink } from '../../src/engine/framing/framing.js'
import { encodeSlip, SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC, SlipDecoder, slipDecoderFactory, slipEncodedMax, type SlipPayload } from '../../src/engine/framing/slip.js'
import {
  LINUX_SLIP_PING,
  LINUX_SLIP_PING_PACKET,
  TUNSLIP_DEBUG_LINE,
  TUNSLIP_PREFIX_ANSWER,
  TUNSLIP_PREFIX_REQUEST,
  ZEPHYR_SLIP_TAP_ARP,
  ZEPHYR_SLIP_TAP_ARP_FRAME
} from '../fixtures/slip/wire.js'
import { concat, deviceArpRequest, deviceIpv6Frame, deviceUdpFrame, HOST_IP } from '../helpers/frames.js'

type Event =
  | { record: number[]; wire: number }
  | { error: number; skipped: number; kept: number[] }
  | { text: 'control' | 'debug'; bytes: number[]; wire: number }

interface Decoded {
  events: Event[]
  /** decoder.separatorBytes at the end. */
  separators: number
  /** Bytes onReceived reported. */
  received: number
  /** The largest the decoder's buffer ever was. */
  bufferBytes: number
}

const MAX_FRAME = 1500
const BUFFER = 8192

const END = Uint8Array.of(SLIP_END)
const framesOf = (events: Event[]): number[][] => events.flatMap((e) => ('record' in e ? [e.record] : []))
const errorsOf = (events: Event[]) => events.flatMap((e) => ('error' in e ? [{ kind: e.error, skipped: e.skipped }] : []))
const textsOf = (events: Event[]) => events.flatMap((e) => ('text' in e ? [{ kind: e.text, text: String.fromCharCode(...e.bytes) }] : []))

/** Bytes the events and the separators stand for: must be every byte given to the decoder. */
const accounted = (d: Decoded): number => d.events.reduce((n, e) => n + ('error' in e ? e.skipped : e.wire), 0) + d.separators

/** Zephyr and Linux: END, escaped frame, END. */
const slip = (frame: Uint8Array): Uint8Array => {
  const out = new Uint8Array(slipEncodedMax(frame.length))
  return out.slice(0, encodeSlip(frame, 0, frame.length, out, 0))
}
/** tunslip6: escaped frame, END (no flushing END before it). */
const slipNoLeadingEnd = (frame: Uint8Array): Uint8Array => slip(frame).subarray(1)

const ipOf = (frame: Uint8Array): Uint8Array => frame.slice(14)

function decode(
  bytes: Uint8Array,
  chunks: number[] = [bytes.length],
  options: { payload?: SlipPayload; zeroCopy?: boolean; reset?: boolean; maxFrame?: number } = {}
): Decoded {
  const events: Event[] = []
  let received = 0
  let batchOpen = false
  const sink: FramingSink = {
    onReceived: (n) => {
      received += n
    },
    onRecord: (b, start, n, wire) => {
      batchOpen = true
      events.push({ record: Array.from(b.subarray(start, start + n)), wire })
    },
    onFramingError: (kind, kept, skipped) => {
      expect(kept.length).toBeLessThanOrEqual(skipped)
      events.push({ error: kind, skipped, kept: Array.from(kept) })
    },
    onBatchEnd: () => {
      batchOpen = false
    }
  }
  const decoder = new SlipDecoder(sink, options.maxFrame ?? MAX_FRAME, {
    payload: options.payload ?? 'ethernet',
    bufferSize: BUFFER,
    onText: (kind, b, start, n, wire) => events.push({ text: kind, bytes: Array.from(b.subarray(start, start + n)), wire })
  })
  let bufferBytes = 0
  let at = 0
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, Math.min(chunks[i % chunks.length]!, bytes.length - at))
    const space = decoder.space()
    bufferBytes = Math.max(bufferBytes, space.buffer.byteLength)
    if (options.zeroCopy) {
      const n = Math.min(size, space.length)
      space.set(bytes.subarray(at, at + n))
      decoder.commit(n)
      at += n
    } else {
      decoder.push(bytes.subarray(at, at + size))
      at += size
    }
  }
  expect(batchOpen).toBe(false)
  if (options.reset) decoder.reset()
  return { events, separators: decoder.separatorBytes, received, bufferBytes }
}

const udp = deviceUdpFrame(new TextEncoder().encode('hello'))
/** Data made of the special bytes only, so that every byte of it is escaped. */
const specials = deviceUdpFrame(Uint8Array.of(SLIP_END, SLIP_ESC, SLIP_ESC, SLIP_END, SLIP_ESC_END, SLIP_ESC_ESC, SLIP_END))

describe('SLIP encoder', () => {
  it('writes END, the frame with END and ESC escaped, END, and nothing else', () => {
    const out = new Uint8Array(16).fill(0xee)
    const n = encodeSlip(Uint8Array.of(9, 1, SLIP_END, 2, SLIP_ESC, 3, 9), 1, 5, out, 2)
    expect(n).toBe(9)
    expect(Array.from(out)).toEqual([0xee, 0xee, SLIP_END, 1, SLIP_ESC, SLIP_ESC_END, 2, SLIP_ESC, SLIP_ESC_ESC, 3, SLIP_END, 0xee, 0xee, 0xee, 0xee, 0xee])
  })

  it('needs at most slipEncodedMax bytes', () => {
    const worst = new Uint8Array(100).fill(SLIP_END)
    const out = new Uint8Array(slipEncodedMax(100))
    expect(encodeSlip(worst, 0, worst.length, out, 0)).toBe(slipEncodedMax(100))
    expect(encodeSlip(new Uint8Array(0), 0, 0, out, 0)).toBe(2)
  })

  it("writes a frame exactly as Zephyr's slip_send() does", () => {
    expect(Array.from(slip(ZEPHYR_SLIP_TAP_ARP_FRAME))).toEqual(Array.from(ZEPHYR_SLIP_TAP_ARP))
  })

  it("writes a packet exactly as Linux's N_SLIP does", () => {
    expect(Array.from(slip(LINUX_SLIP_PING_PACKET))).toEqual(Array.from(LINUX_SLIP_PING))
  })
})

describe('SLIP decoder', () => {
  describe('real senders', () => {
    it("reads a Linux kernel's SLIP frame (raw IPv4, escapes in the addresses) whatever the chunking", () => {
      for (const size of [1, 2, 3, 13, 14, 50]) {
        const d = decode(LINUX_SLIP_PING, [size], { payload: 'ip' })
        expect(d.events).toEqual([{ record: Array.from(LINUX_SLIP_PING_PACKET), wire: LINUX_SLIP_PING.length }])
        expect(d.separators).toBe(0)
        expect(d.received).toBe(LINUX_SLIP_PING.length)
      }
    })

    it("reads Zephyr's SLIP_TAP Ethernet frame (escaped MAC and IPs)", () => {
      const d = decode(concat([ZEPHYR_SLIP_TAP_ARP, ZEPHYR_SLIP_TAP_ARP]), [7])
      expect(d.events).toEqual([
        { record: Array.from(ZEPHYR_SLIP_TAP_ARP_FRAME), wire: ZEPHYR_SLIP_TAP_ARP.length },
        { record: Array.from(ZEPHYR_SLIP_TAP_ARP_FRAME), wire: ZEPHYR_SLIP_TAP_ARP.length }
      ])
    })

    it('reads frames from tunslip6-style senders, which send no leading END', () => {
      const d = decode(concat([slipNoLeadingEnd(ipOf(udp)), slipNoLeadingEnd(ipOf(specials))]), undefined, { payload: 'ip' })
      expect(d.events).toEqual([
        { record: Array.from(ipOf(udp)), wire: slipNoLeadingEnd(ipOf(udp)).length },
        { record: Array.from(ipOf(specials)), wire: slip(ipOf(specials)).length - 1 }
      ])
    })

    it("passes Ethernet's IPv4, ARP and IPv6 frames through whole and in order", () => {
      const frames = [udp, deviceArpRequest(HOST_IP), deviceIpv6Frame(8), specials]
      const d = decode(concat(frames.map(slip)))
      expect(framesOf(d.events)).toEqual(frames.map((f) => Array.from(f)))
      expect(errorsOf(d.events)).toEqual([])
    })
  })

  describe('escapes', () => {
    it('unescapes END and ESC at every position of a frame, split between chunks at every byte', () => {
      // Raw IP: any byte of the UDP payload may be END or ESC; also the IPv4 checksum moves.
      const base = ipOf(deviceUdpFrame(new Uint8Array(24)))
      for (let at = 28; at < base.length; at++) {
        for (const special of [SLIP_END, SLIP_ESC]) {
          const packet = ipOf(deviceUdpFrame(base.slice(28).map((_, i) => (i === at - 28 ? special : 0x41))))
          const wire = slip(packet)
          for (let cut = 1; cut < wire.length; cut++) {
            const d = decode(wire, [cut, wire.length], { payload: 'ip' })
            expect(d.events).toEqual([{ record: Array.from(packet), wire: wire.length }])
          }
        }
      }
    })

    it("unescapes END and ESC as an Ethernet frame's first bytes (destination MAC) and last byte", () => {
      for (let at = 0; at < 6; at++) {
        for (const special of [SLIP_END, SLIP_ESC]) {
          const frame = udp.slice()
          frame[at] = special
          frame[frame.length - 1] = special === SLIP_END ? SLIP_ESC : SLIP_END // the UDP data's last byte
          const fixed = deviceUdpFrame(frame.slice(14 + 28))
          fixed.set(frame.subarray(0, 6))
          const wire = slip(fixed)
          for (let cut = 1; cut < wire.length; cut++) expect(decode(wire, [cut, wire.length]).events).toEqual([{ record: Array.from(fixed), wire: wire.length }])
        }
      }
    })

    it('takes an ESC that is the last byte of a chunk, in both transports', () => {
      const wire = slip(specials)
      for (let cut = 1; cut < wire.length; cut++) {
        if (wire[cut - 1] !== SLIP_ESC) continue
        for (const zeroCopy of [false, true]) {
          expect(framesOf(decode(wire, [cut, 1, 1000], { zeroCopy }).events)).toEqual([Array.from(specials)])
        }
      }
    })

    it.each([
      ['an ordinary byte', 0x41],
      ['ESC', SLIP_ESC],
      ['NUL', 0x00]
    ])('refuses ESC followed by %s (also split between chunks), skips the slot to its END and keeps the next frame', (_name, after) => {
      const wire = slip(udp)
      const bad = concat([END, wire.subarray(1, 20), Uint8Array.of(SLIP_ESC, after), wire.subarray(20)]) // END … ESC x … END
      for (const chunks of [[bad.length], [21, 1000], [1]]) {
        const d = decode(concat([bad, slip(udp)]), chunks)
        expect(framesOf(d.events)).toEqual([Array.from(udp)])
        expect(errorsOf(d.events)).toEqual([{ kind: FramingError.slipEscape, skipped: bad.length }])
        expect(accounted(d)).toBe(bad.length + wire.length)
      }
    })

    it('refuses ESC right before END (the END still ends the slot) and keeps the next frame', () => {
      const wire = slip(udp)
      const bad = concat([wire.subarray(0, 30), Uint8Array.of(SLIP_ESC, SLIP_END)])
      const d = decode(concat([bad, slip(udp)]), [31, 1000])
      expect(framesOf(d.events)).toEqual([Array.from(udp)])
      expect(d.events[0]).toEqual({ error: FramingError.slipEscape, skipped: bad.length, kept: Array.from(bad) })
    })

    it('keeps the bad slot for the capture exactly as it came, escapes included', () => {
      const wire = slip(specials)
      const bad = concat([wire.subarray(0, wire.length - 1), Uint8Array.of(SLIP_ESC, 0x01, 0x02, SLIP_END)])
      const d = decode(concat([bad, slip(udp)]), [5])
      expect(d.events[0]).toEqual({ error: FramingError.slipEscape, skipped: bad.length, kept: Array.from(bad) })
    })
  })

  describe('errors and junk', () => {
    it.each([
      ['ethernet', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), FramingError.tooShort],
      ['ip', ipOf(udp).subarray(0, 19), FramingError.tooShort],
      ['ethernet', deviceUdpFrame(new Uint8Array(4)).map((b, i) => (i === 14 + 10 ? b ^ 0xff : b)), FramingError.implausible],
      ['ip', ipOf(udp).map((b, i) => (i === 10 ? b ^ 0xff : b)), FramingError.implausible],
      ['ip', udp, FramingError.implausible] // an Ethernet frame where IP is expected
    ] as const)('refuses a %s frame: error %d, and keeps the frames around it', (payload, bad, kind) => {
      const good = payload === 'ip' ? ipOf(udp) : udp
      const d = decode(concat([slip(good), slip(bad), slip(good)]), [9], { payload })
      expect(framesOf(d.events)).toEqual([Array.from(good), Array.from(good)])
      expect(d.events[1]).toEqual({ error: kind, skipped: slip(bad).length, kept: Array.from(slip(bad)) })
    })

    it('skips junk before and after frames, each junk slot one error ending at its END', () => {
      const junk = new TextEncoder().encode('line noise')
      const d = decode(concat([junk, slip(udp), junk, slip(udp), junk]), [4], { reset: true })
      expect(framesOf(d.events)).toEqual([Array.from(udp), Array.from(udp)])
      expect(errorsOf(d.events)).toEqual([
        { kind: FramingError.tooShort, skipped: junk.length + 1 }, // closed by the frame's flushing END
        { kind: FramingError.tooShort, skipped: junk.length + 1 },
        { kind: FramingError.cutByDisconnect, skipped: junk.length }
      ])
      // Each frame lost its flushing END to the junk before it.
      expect(d.events.flatMap((e) => ('record' in e ? [e.wire] : []))).toEqual([slip(udp).length - 1, slip(udp).length - 1])
      expect(accounted(d)).toBe(d.received)
    })

    it('without a flushing END, junk before a frame spoils that frame (why senders send one)', () => {
      const d = decode(concat([Uint8Array.of(0x55), slipNoLeadingEnd(udp)]))
      expect(d.events).toEqual([{ error: FramingError.implausible, skipped: slipNoLeadingEnd(udp).length + 1, kept: [0x55, ...slipNoLeadingEnd(udp)] }])
    })

    it('takes a flood of ENDs as empty frames: no error, every END counted', () => {
      const flood = new Uint8Array(1000).fill(SLIP_END)
      const d = decode(concat([flood, slip(udp), flood]), [64], { reset: true })
      // The frame's own flushing END is in its wireLength; every other END is a separator.
      expect(d.events).toEqual([{ record: Array.from(udp), wire: slip(udp).length }])
      expect(d.separators).toBe(2000)
      expect(accounted(d)).toBe(2000 + slip(udp).length)
      expect(decode(flood, [7]).events).toEqual([])
    })

    it(`takes a frame of exactly ${MAX_FRAME} bytes and refuses one a byte longer, skipping it whole`, () => {
      const largest = deviceUdpFrame(new Uint8Array(MAX_FRAME - 14 - 28).fill(SLIP_END))
      const over = deviceUdpFrame(new Uint8Array(MAX_FRAME + 1 - 14 - 28).fill(SLIP_ESC))
      const d = decode(concat([slip(largest), slip(over), slip(udp)]), [100])
      expect(framesOf(d.events)).toEqual([Array.from(largest), Array.from(udp)])
      expect(errorsOf(d.events)).toEqual([{ kind: FramingError.tooLong, skipped: slip(over).length }])
      const kept = (d.events[1] as { kept: number[] }).kept
      expect(kept).toEqual(Array.from(slip(over).subarray(0, kept.length)))
      // Over the limit in a run of ordinary bytes rather than at an escaped one.
      const plain = deviceUdpFrame(new Uint8Array(MAX_FRAME + 1 - 14 - 28).fill(0x41))
      const p = decode(concat([slip(plain), slip(udp)]), [100])
      expect(p.events[0]).toEqual({ error: FramingError.tooLong, skipped: slip(plain).length, kept: Array.from(slip(plain)) })
      expect(framesOf(p.events)).toEqual([Array.from(udp)])
    })

    it('stays bounded over 64 KB without an END, counting every byte of it', () => {
      const run = new Uint8Array(64 * 1024).map((_, i) => (i * 7919) % 0xc0) // never END or ESC
      for (const zeroCopy of [false, true]) {
        const d = decode(concat([slip(udp), run, slip(udp)]), [1000], { zeroCopy })
        expect(d.bufferBytes).toBe(BUFFER)
        expect(framesOf(d.events)).toEqual([Array.from(udp), Array.from(udp)])
        expect(errorsOf(d.events)).toEqual([{ kind: FramingError.tooLong, skipped: run.length + 1 }])
        expect(accounted(d)).toBe(d.received)
      }
    })

    it('reports how much of a too-long slot it has skipped so far', () => {
      const decoder = new SlipDecoder({ onReceived: () => {}, onRecord: () => {}, onFramingError: () => {}, onBatchEnd: () => {} }, 100, { payload: 'ip' })
      decoder.push(concat([END, new Uint8Array(150).fill(1)]))
      expect(decoder.skippedInHunt).toBe(151)
    })

    it('reports a frame cut by a disconnect, as it came, and starts fresh', () => {
      const wire = slip(specials)
      const cut = wire.subarray(0, 40)
      const d = decode(concat([cut]), [3], { reset: true })
      expect(d.events).toEqual([{ error: FramingError.cutByDisconnect, skipped: cut.length, kept: Array.from(cut) }])
      const esc = wire.indexOf(SLIP_ESC)
      const atEscape = decode(wire.subarray(0, esc + 1), undefined, { reset: true })
      expect(atEscape.events).toEqual([{ error: FramingError.cutByDisconnect, skipped: esc + 1, kept: Array.from(wire.subarray(0, esc + 1)) }])
    })

    it('starts clean after reset', () => {
      const events: number[][] = []
      const sink: FramingSink = { onReceived: () => {}, onRecord: (b, s, n) => events.push(Array.from(b.subarray(s, s + n))), onFramingError: () => {}, onBatchEnd: () => {} }
      const decoder = new SlipDecoder(sink, MAX_FRAME, { payload: 'ethernet' })
      decoder.push(concat([END, udp.subarray(0, 20), Uint8Array.of(SLIP_ESC)]))
      decoder.reset()
      decoder.push(slipNoLeadingEnd(udp))
      expect(events).toEqual([Array.from(udp)])
    })
  })

  describe('tunslip6 text', () => {
    it("reports '?P', '!P' + prefix and '\\r' debug lines as text, never as frames or errors", () => {
      const d = decode(concat([TUNSLIP_PREFIX_REQUEST, slip(ipOf(udp)), TUNSLIP_PREFIX_ANSWER, TUNSLIP_DEBUG_LINE]), [3], { payload: 'ip' })
      expect(framesOf(d.events)).toEqual([Array.from(ipOf(udp))])
      expect(errorsOf(d.events)).toEqual([])
      expect(textsOf(d.events)).toEqual([
        { kind: 'control', text: '?P' },
        { kind: 'control', text: '!P\x20\x01\x0d\xb8\xc0\xdb\x00\x00' },
        { kind: 'debug', text: '\rslip: up\n' }
      ])
      expect(accounted(d)).toBe(d.received)
    })

    it("reaches a sink's onText through the Framing-shaped factory, and counts text without one", () => {
      const texts: string[] = []
      const frames: number[] = []
      const base: FramingSink = { onReceived: () => {}, onRecord: (_b, _s, n) => frames.push(n), onFramingError: () => expect.unreachable(), onBatchEnd: () => {} }
      const bytes = concat([TUNSLIP_PREFIX_REQUEST, slip(ipOf(udp)), TUNSLIP_DEBUG_LINE])
      slipDecoderFactory('ip')({ ...base, onText: (kind, b, s, n) => texts.push(`${kind}:${String.fromCharCode(...b.subarray(s, s + n))}`) }, MAX_FRAME).push(bytes)
      expect(texts).toEqual(['control:?P', 'debug:\rslip: up\n'])
      const plain = slipDecoderFactory('ip')(base, MAX_FRAME, 4096)
      plain.push(bytes)
      expect(frames).toEqual([ipOf(udp).length, ipOf(udp).length])
      expect(plain.space().buffer.byteLength).toBe(4 * (MAX_FRAME + 2))
    })

    it('lets a plausible Ethernet frame win over text: a frame to a group MAC starting 0x21 is a frame', () => {
      const toGroup = udp.slice()
      toGroup[0] = 0x21 // '!'
      const d = decode(concat([slip(toGroup), TUNSLIP_PREFIX_REQUEST]))
      expect(framesOf(d.events)).toEqual([Array.from(toGroup)])
      expect(textsOf(d.events)).toEqual([{ kind: 'control', text: '?P' }])
    })

    it('still refuses a text slot with a broken escape or over the limit', () => {
      const d = decode(concat([Uint8Array.of(0x21, SLIP_ESC, 0x41, SLIP_END), Uint8Array.of(0x0d), new Uint8Array(200).fill(0x41), END]), undefined, { payload: 'ip', maxFrame: 100 })
      expect(errorsOf(d.events)).toEqual([
        { kind: FramingError.slipEscape, skipped: 4 },
        { kind: FramingError.tooLong, skipped: 202 }
      ])
    })
  })

  describe('properties', () => {
    const ipInEthernetArb = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: MAX_FRAME - 14 - 28 }).chain((data) => fc.integer({ min: 0, max: 0xffff }).map((id) => deviceUdpFrame(data, id))),
      fc.integer({ min: 0, max: MAX_FRAME - 14 - 40 }).map((n) => deviceIpv6Frame(n))
    )
    /** Data rich in END and ESC. */
    const stuffedArb = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(SLIP_END, SLIP_ESC, SLIP_ESC_END, SLIP_ESC_ESC)), { maxLength: 300 }).map((a) => Uint8Array.from(a))
    const frameArb = (payload: SlipPayload) =>
      payload === 'ip'
        ? fc.oneof(ipInEthernetArb, stuffedArb.map((d) => deviceUdpFrame(d))).map(ipOf)
        : fc.oneof(ipInEthernetArb, fc.constant(deviceArpRequest(HOST_IP)), stuffedArb.map((d) => deviceUdpFrame(d)))
    const chunksArb = fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 20 })
    const payloadArb = fc.constantFrom<SlipPayload>('ethernet', 'ip')
    /** Junk that is no frame and no text by itself (random bytes rarely are; those few are not junk). */
    const junkFor = (payload: SlipPayload) =>
      fc
        .array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(SLIP_END, SLIP_ESC)), { minLength: 1, maxLength: 64 })
        .map((a) => Uint8Array.from(a))
        .filter((junk) => decode(concat([END, junk, END]), undefined, { payload }).events.every((e) => 'error' in e))

    it('encode → any chunking → decode gives back every frame, with or without flushing ENDs', () => {
      fc.assert(
        fc.property(
          payloadArb.chain((payload) => fc.tuple(fc.constant(payload), fc.array(fc.tuple(frameArb(payload), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 20 }))),
          chunksArb,
          fc.boolean(),
          ([payload, items], chunks, zeroCopy) => {
            // 0: tunslip6 style (no leading END); 1: Zephyr/Linux style; 2, 3: extra empty frames before.
            const parts = items.map(([frame, ends]) => concat([new Uint8Array(Math.max(0, ends - 1)).fill(SLIP_END), ends === 0 ? slipNoLeadingEnd(frame) : slip(frame)]))
            const bytes = concat(parts)
            const d = decode(bytes, chunks, { payload, zeroCopy, reset: true })
            expect(d.events).toEqual(items.map(([frame, ends]) => ({ record: Array.from(frame), wire: slip(frame).length - (ends === 0 ? 1 : 0) })))
            expect(d.separators).toBe(items.reduce((n, [, ends]) => n + Math.max(0, ends - 1), 0))
            expect(accounted(d)).toBe(bytes.length)
          }
        ),
        { numRuns: 300 }
      )
    })

    it('delivers every frame whatever junk comes between them and accounts for every byte', () => {
      fc.assert(
        fc.property(
          payloadArb.chain((payload) =>
            fc.tuple(fc.constant(payload), fc.array(fc.record({ frame: frameArb(payload), junkBefore: fc.option(junkFor(payload), { freq: 2 }) }), { minLength: 1, maxLength: 15 }))
          ),
          chunksArb,
          fc.boolean(),
          ([payload, items], chunks, zeroCopy) => {
            const bytes = concat(items.flatMap(({ frame, junkBefore }) => (junkBefore ? [junkBefore, slip(frame)] : [slip(frame)])))
            const d = decode(bytes, chunks, { payload, zeroCopy, reset: true })
            expect(framesOf(d.events)).toEqual(items.map((i) => Array.from(i.frame)))
            expect(textsOf(d.events)).toEqual([])
            expect(accounted(d)).toBe(bytes.length)
            expect(d.received).toBe(bytes.length)
          }
        ),
        { numRuns: 200 }
      )
    })

    it('gives identical results for any two chunkings of any bytes, never throws, and accounts for every byte', () => {
      fc.assert(
        fc.property(
          payloadArb,
          fc.array(fc.oneof(stuffedArb, frameArb('ethernet').map(slip), frameArb('ip').map(slip), fc.uint8Array({ maxLength: 200 })), { maxLength: 12 }).map(concat),
          chunksArb,
          chunksArb,
          (payload, bytes, a, b) => {
            const first = decode(bytes, a, { payload, reset: true })
            const second = decode(bytes, b, { payload, reset: true, zeroCopy: true })
            expect(second.events).toEqual(first.events)
            expect(second.separators).toBe(first.separators)
            expect(accounted(first)).toBe(bytes.length)
          }
        ),
        { numRuns: 300 }
      )
    })

    it('refuses every frame over the limit, counting all its bytes, and keeps the frames around it', () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ frame: frameArb('ethernet'), oversize: fc.option(fc.integer({ min: MAX_FRAME + 1, max: 4 * MAX_FRAME }), { freq: 3 }) }), { minLength: 1, maxLength: 8 }),
          chunksArb,
          (items, chunks) => {
            const oversized = items.map((i) => (i.oversize ? deviceUdpFrame(new Uint8Array(i.oversize - 14 - 28).fill(i.oversize % 2 ? SLIP_END : 0x41)) : null))
            const parts = items.flatMap((i, k) => (oversized[k] ? [slip(oversized[k]), slip(i.frame)] : [slip(i.frame)]))
            const d = decode(concat(parts), chunks)
            expect(framesOf(d.events)).toEqual(items.map((i) => Array.from(i.frame)))
            expect(errorsOf(d.events)).toEqual(oversized.flatMap((o) => (o ? [{ kind: FramingError.tooLong, skipped: slip(o).length }] : [])))
          }
        ),
        { numRuns: 100 }
      )
    })

    it('never throws on arbitrary bytes', () => {
      fc.assert(
        fc.property(payloadArb, fc.uint8Array({ maxLength: 5000 }), chunksArb, (payload, bytes, chunks) => {
          const d = decode(bytes, chunks, { payload, reset: true })
          expect(accounted(d)).toBe(bytes.length)
        })
      )
    })
  })
})
