// The fixed ring behind the UART transmit buffer and TCP's send and receive buffers.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { ByteRing } from '../../src/demo/byteRing.js'

const bytes = (length: number, from = 0) => Uint8Array.from({ length }, (_, i) => (from + i) & 0xff)

describe('ByteRing', () => {
  it('appends what fits, slices across the wrap and frees the oldest bytes', () => {
    const ring = new ByteRing(10)
    expect(ring.append(bytes(7))).toBe(7)
    ring.discard(5)
    expect(ring.append(bytes(20, 7))).toBe(8)
    expect(ring.free).toBe(0)
    expect(ring.slice(0, 10)).toEqual(bytes(10, 5))
    expect(ring.slice(3, 4)).toEqual(bytes(4, 8))
    ring.discard(10)
    expect(ring.length).toBe(0)
  })

  it('pushes all or nothing', () => {
    const ring = new ByteRing(4)
    expect(ring.push(bytes(3))).toBe(true)
    expect(ring.push(bytes(2))).toBe(false)
    expect(ring.length).toBe(3)
  })

  it('behaves as a FIFO whatever the sequence of pushes and takes', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 50 })), { maxLength: 60 }), (ops) => {
      const ring = new ByteRing(64)
      const model: number[] = []
      for (const op of ops) {
        if (typeof op === 'number') expect([...ring.take(op)]).toEqual(model.splice(0, op))
        else if (ring.push(op)) model.push(...op)
        expect(ring.length).toBe(model.length)
      }
    }))
  })
})
