// The demo device's TCP against an independent host model over a simulated
// link that loses, duplicates, delays and reorders segments both ways, on a
// manual clock: whatever the link does, each side gets exactly the bytes the
// other sent and the connection ends cleanly. Also: hostile bytes never throw,
// and bulk transfers stay linear.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildTcpSegment } from '../../src/demo/stack/tcp/tcpSegment.js'
import { TcpStack } from '../../src/demo/stack/tcp/tcpStack.js'
import { concat } from '../helpers/frames.js'
import { ManualClock } from '../helpers/manualClock.js'
import { ACK, DEVICE_IP, FIN, HOST_IP, HOST_PORT, HostTcp, pattern, PORT, PSH, RST, ScriptedPeer, seededRandom, SYN } from './tcpTestPeer.js'

interface Conditions {
  seed: number
  up: Uint8Array // host → device
  down: Uint8Array // device → host
  /** The line's speed each way: 11.5 is 115200 baud. Segments queue behind each other, in order. */
  bytesPerMs: number
  loss: number
  duplicate: number
  /** Chance that a segment is held back for holdMs, behind later ones. */
  reorder: number
  holdMs: number
  /** Device segments waiting for the line before canSend() says no. */
  linkSlots: number
  /** 0: the device app reads in onReadable; else that much later (its window closes meanwhile). */
  readDelayMs: number
  receiveBuffer: number
  sendBuffer: number
  hostIss: number
  hostMss: number
  hostWindow: number
}

const BASE_DELAY_MS = 5
const HOST_RTO_MS = 250
/** Simulated time after which a transfer counts as stuck. */
const TIME_LIMIT_MS = 3_600_000

interface Outcome {
  toDevice: Uint8Array
  toHost: Uint8Array
  deviceClosed: string | undefined
  hostDone: boolean
  hostSawResets: number
  activeAfterwards: number
}

function transfer(c: Conditions): Outcome {
  const clock = new ManualClock()
  const random = seededRandom(c.seed)
  const deviceReceived: Uint8Array[] = []
  let deviceClosed: string | undefined
  let deviceSegmentsOnLink = 0

  /** One direction of the link: a serial line (segments leave in order, each after the one before) that then loses, duplicates or holds some back. */
  const line = (deliver: (bytes: Uint8Array) => void, sent: () => void) => {
    let busyUntil = 0
    return (segment: Uint8Array): void => {
      const bytes = segment.slice()
      busyUntil = Math.max(busyUntil, clock.now()) + bytes.length / c.bytesPerMs
      const onLine = busyUntil - clock.now()
      clock.after(onLine, sent)
      if (random() < c.loss) return
      const arrival = (): number => onLine + BASE_DELAY_MS + (random() < c.reorder ? c.holdMs : 0)
      clock.after(arrival(), () => deliver(bytes))
      if (random() < c.duplicate) clock.after(arrival(), () => deliver(bytes))
    }
  }

  const stack: TcpStack = new TcpStack({
    localIp: DEVICE_IP, clock, random, receiveBuffer: c.receiveBuffer, sendBuffer: c.sendBuffer,
    output: {
      send: (_ip, segment) => {
        deviceSegmentsOnLink++
        toHost(segment)
      },
      canSend: () => deviceSegmentsOnLink < c.linkSlots
    }
  })
  const toHost = line((bytes) => host.receive(bytes), () => {
    deviceSegmentsOnLink--
    stack.linkReady()
  })
  const host: HostTcp = new HostTcp({
    clock, data: c.up, iss: c.hostIss, mss: c.hostMss, window: c.hostWindow, rtoMs: HOST_RTO_MS,
    transmit: line((bytes) => stack.receive(HOST_IP, bytes), () => {})
  })

  stack.listen(PORT, (conn) => {
    let written = 0
    let readPending = false
    const pump = (): void => {
      written += conn.write(c.down.subarray(written))
      if (written === c.down.length) conn.close()
    }
    pump()
    return {
      onReadable() {
        if (c.readDelayMs === 0) deviceReceived.push(conn.read())
        else if (!readPending) {
          readPending = true
          clock.after(c.readDelayMs, () => {
            readPending = false
            deviceReceived.push(conn.read())
          })
        }
      },
      onWritable: pump,
      onClosed: (_conn, reason) => {
        deviceClosed = reason
      }
    }
  })

  host.connect()
  while (clock.now() < TIME_LIMIT_MS && !(host.done && deviceClosed !== undefined)) {
    if (!clock.runNext()) break
  }
  const hostSawResets = host.resets
  for (let i = 0; i < 10_000 && clock.runNext(); i++); // late duplicates and timers run out
  return {
    toDevice: concat(deviceReceived),
    toHost: concat(host.received),
    deviceClosed,
    hostDone: host.done,
    hostSawResets,
    activeAfterwards: stack.stats.active
  }
}

/** Uniform in [0, max] percent: fast-check's default bias would make most runs nearly lossless. */
const percent = (max: number): fc.Arbitrary<number> => fc.noBias(fc.integer({ min: 0, max })).map((p) => p / 100)
/** Random bytes of a uniform length up to `max` (most runs then carry many segments). */
const payload = (max: number): fc.Arbitrary<Uint8Array> =>
  fc.tuple(fc.noBias(fc.nat({ max })), fc.integer()).map(([length, seed]) => {
    const random = seededRandom(seed)
    return Uint8Array.from({ length }, () => Math.floor(random() * 256))
  })

const conditions: fc.Arbitrary<Conditions> = fc.record({
  seed: fc.integer(),
  up: payload(20_000),
  down: payload(20_000),
  bytesPerMs: fc.constantFrom(11.5, 100, 10_000),
  loss: percent(10),
  duplicate: percent(10),
  reorder: percent(20),
  holdMs: fc.noBias(fc.integer({ min: 1, max: 300 })),
  linkSlots: fc.integer({ min: 1, max: 8 }),
  readDelayMs: fc.constantFrom(0, 0, 30, 400),
  receiveBuffer: fc.noBias(fc.integer({ min: 500, max: 12_000 })),
  sendBuffer: fc.noBias(fc.integer({ min: 500, max: 12_000 })),
  hostIss: fc.oneof(fc.constant(0xffff_fc00), fc.nat({ max: 0xffff_ffff })), // also across the 2^32 wrap
  hostMss: fc.noBias(fc.integer({ min: 100, max: 1460 })),
  hostWindow: fc.noBias(fc.integer({ min: 1000, max: 65535 }))
})

describe('TCP over a lossy, duplicating, reordering link', () => {
  it('delivers exactly the bytes sent each way and closes cleanly', () => {
    fc.assert(fc.property(conditions, (c) => {
      const outcome = transfer(c)
      expect(outcome.toDevice).toEqual(c.up)
      expect(outcome.toHost).toEqual(c.down)
      expect(outcome).toMatchObject({ deviceClosed: 'closed', hostDone: true, hostSawResets: 0, activeAfterwards: 0 })
    }), { numRuns: Number(process.env.TCP_RUNS ?? 100) }) // TCP_RUNS=5000 for a soak
  })

  it('survives 10 % loss both ways with a slow reader and a one-segment link', () => {
    const up = pattern(40_000)
    const down = pattern(40_000, 7)
    const outcome = transfer({
      seed: 1, up, down, bytesPerMs: 11.5, loss: 0.1, duplicate: 0.05, reorder: 0.1, holdMs: 100, linkSlots: 1, readDelayMs: 400,
      receiveBuffer: 4 * 1446, sendBuffer: 4 * 1446, hostIss: 0xffff_ff00, hostMss: 1460, hostWindow: 8000
    })
    expect(outcome.toDevice).toEqual(up)
    expect(outcome.toHost).toEqual(down)
    expect(outcome.deviceClosed).toBe('closed')
  })
})

describe('TCP against hostile input', () => {
  it('never throws on random bytes, and drops them', () => {
    const peer = new ScriptedPeer()
    peer.handshake(1000)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat({ max: 0xffff_ffff }), (bytes, from) => {
      peer.stack.receive(from, bytes)
    }))
    expect(peer.conn.state).toBe('ESTABLISHED')
  })

  it('never throws on well-formed segments with random fields, and keeps its invariants', () => {
    const segment = fc.record({
      port: fc.constantFrom(HOST_PORT, HOST_PORT + 1, 1),
      dstPort: fc.constantFrom(PORT, PORT, 80),
      seqDelta: fc.oneof(fc.integer({ min: -3000, max: 70_000 }), fc.nat({ max: 0xffff_ffff })),
      ackDelta: fc.oneof(fc.integer({ min: -3000, max: 10_000 }), fc.nat({ max: 0xffff_ffff })),
      flags: fc.oneof(fc.constantFrom(ACK, ACK | PSH, ACK | FIN, SYN, RST, RST | ACK, SYN | ACK, FIN), fc.nat({ max: 0xff })),
      window: fc.nat({ max: 0xffff }),
      mss: fc.option(fc.nat({ max: 0xffff }), { nil: undefined }),
      payload: fc.uint8Array({ maxLength: 3000 }),
      advanceMs: fc.nat({ max: 5000 }),
      app: fc.constantFrom('read', 'write', 'close', 'abort', 'none')
    })
    fc.assert(fc.property(fc.array(segment, { maxLength: 60 }), (segments) => {
      const peer = new ScriptedPeer({ maxConnections: 3 })
      peer.handshake(1000)
      const base = { seq: peer.seq, ack: peer.ack }
      for (const s of segments) {
        peer.stack.receive(HOST_IP, buildTcpSegment(HOST_IP, DEVICE_IP, {
          srcPort: s.port, dstPort: s.dstPort, seq: (base.seq + s.seqDelta) >>> 0, ack: (base.ack + s.ackDelta) >>> 0,
          flags: s.flags, window: s.window, ...(s.mss === undefined ? {} : { mss: s.mss })
        }, s.payload))
        for (const app of peer.apps) {
          if (s.app === 'read') app.conn.read()
          else if (s.app === 'write') app.conn.write(pattern(2000))
          else if (s.app === 'close') app.conn.close()
          else if (s.app === 'abort' && app.conn.state === 'CLOSE_WAIT') app.conn.abort()
        }
        peer.clock.advance(s.advanceMs)
        expect(peer.stack.stats.active).toBeLessThanOrEqual(3)
        for (const sent of peer.take()) {
          expect(sent.payload.length).toBeLessThanOrEqual(1000)
          if (!(sent.flags & RST)) expect(sent.window).toBeLessThanOrEqual(4 * 1446)
        }
      }
      peer.stack.close()
      expect(peer.stack.stats.active).toBe(0)
      expect(peer.clock.pendingTimers).toBe(0)
    }), { numRuns: 300 })
  })
})

describe('TCP bulk transfer', () => {
  it('moves 4 MB each way through an echo over a clean, unpaced link in linear time', () => {
    const clock = new ManualClock()
    const size = 4 * 1024 * 1024
    const up = pattern(size)
    const echoed: Uint8Array[] = []
    const stack: TcpStack = new TcpStack({
      localIp: DEVICE_IP, clock,
      output: { send: (_ip, segment) => host.receive(segment), canSend: () => true }
    })
    const host: HostTcp = new HostTcp({
      clock, data: up, iss: 1, mss: 1460, window: 65535, rtoMs: HOST_RTO_MS,
      transmit: (segment) => clock.after(0, () => stack.receive(HOST_IP, segment))
    })
    stack.listen(PORT, (conn) => {
      let peerClosed = false
      const pump = (): void => {
        while (conn.readable > 0 && conn.writable > 0) {
          const chunk = conn.read(conn.writable)
          echoed.push(chunk)
          conn.write(chunk)
        }
        if (peerClosed && conn.readable === 0) conn.close()
      }
      return { onReadable: pump, onWritable: pump, onPeerClosed: () => { peerClosed = true; pump() } }
    })
    const started = performance.now()
    host.connect()
    while (!host.done && clock.runNext());
    const elapsed = performance.now() - started
    expect(Buffer.from(concat(host.received)).equals(up)).toBe(true) // toEqual walks 4 MB element by element
    expect(Buffer.from(concat(echoed)).equals(up)).toBe(true)
    expect(elapsed).toBeLessThan(10_000)
    expect(stack.stats.retransmissions).toBe(0)
  })
})
