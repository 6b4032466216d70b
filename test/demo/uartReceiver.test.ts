// The demo device's UART receive side keeps the firmware's rules: records in
// any chunking, a flush and 100 ms of deafness on a bad length, and a quiet
// first second after start.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { FLUSH_WAIT_MS, STARTUP_QUIET_MS, UartReceiver } from '../../src/demo/uart/uartReceiver.js'
import { concat, deviceUdpFrame, record } from '../helpers/frames.js'
import { ManualClock } from '../helpers/manualClock.js'

function receiver(clock = new ManualClock()) {
  const frames: Uint8Array[] = []
  const rx = new UartReceiver(1500, clock, (f) => frames.push(Uint8Array.from(f)))
  clock.advance(STARTUP_QUIET_MS)
  return { rx, frames, clock }
}

describe('UartReceiver', () => {
  it('ignores everything in its first second, as the firmware does after start', () => {
    const clock = new ManualClock()
    const frames: Uint8Array[] = []
    const rx = new UartReceiver(1500, clock, (f) => frames.push(f))
    const r = record(deviceUdpFrame(new Uint8Array(10)))
    rx.receive(r)
    clock.advance(STARTUP_QUIET_MS - 1)
    rx.receive(r)
    expect(frames).toHaveLength(0)
    expect(rx.counters.discardedBytes).toBe(2 * r.length)
    clock.advance(1)
    rx.receive(r)
    expect(frames).toHaveLength(1)
  })

  it('takes records in any chunking, one byte at a time included', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ minLength: 0, maxLength: 1400 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 20 }),
      (payloads, cuts) => {
        const { rx, frames } = receiver()
        const sent = payloads.map((p) => deviceUdpFrame(p))
        const stream = concat(sent.map(record))
        let at = 0
        for (let i = 0; at < stream.length; i++) {
          const size = cuts[i % cuts.length]!
          rx.receive(stream.subarray(at, at + size))
          at += size
        }
        expect(frames).toEqual(sent)
        expect(rx.counters).toMatchObject({ frames: sent.length, bytes: stream.length, badLengths: 0 })
      }
    ))
  })

  it.each([
    ['zero', 0],
    ['over 1500', 1501]
  ])('on a %s length flushes what is buffered and hears nothing for 100 ms', (_, length) => {
    const { rx, frames, clock } = receiver()
    const good = record(deviceUdpFrame(new Uint8Array(20)))
    rx.receive(concat([Uint8Array.of(length >> 8, length & 0xff), good]))
    expect(frames).toHaveLength(0)
    expect(rx.counters.badLengths).toBe(1)
    clock.advance(FLUSH_WAIT_MS - 1)
    rx.receive(good)
    expect(frames).toHaveLength(0)
    expect(rx.counters.discardedBytes).toBe(2 + 2 * good.length)
    clock.advance(1)
    rx.receive(good)
    expect(frames).toHaveLength(1)
  })

  it('completes a record cut between two deliveries (the UART, not the socket, holds the parser)', () => {
    const { rx, frames } = receiver()
    const r = record(deviceUdpFrame(new Uint8Array(100)))
    rx.receive(r.subarray(0, 1))
    rx.receive(r.subarray(1, 50))
    rx.receive(r.subarray(50))
    expect(frames).toHaveLength(1)
  })
})
