// A device refusing a TCP connection (RST and ACK, sequence 0, in answer to a SYN): what counts as
// a refusal, what does not, and hostile bytes.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { refusedPort } from '../../src/engine/services/tcpRefusal'

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'))

// Linux's answer to a SYN for its closed port 99 (from 192.168.100.1:40000): RST+ACK, seq 0.
const REFUSAL = hex(`
  020000000001 020000000002 0800
  4500 0028 0000 4000 4006 0000 c0a86402 c0a86401
  0063 9c40 00000000 12345679 5014 0000 0000 0000`)

const withTcp = (edit: (tcp: Uint8Array) => void): Uint8Array => {
  const frame = REFUSAL.slice()
  edit(frame.subarray(34))
  return frame
}

describe('refusedPort', () => {
  it("names the device's port in its answer to a SYN for a closed port", () => {
    expect(refusedPort(REFUSAL, 0, REFUSAL.length)).toBe(99)
  })

  it('finds the frame where it starts, padding after it or not', () => {
    const buffer = new Uint8Array(REFUSAL.length + 20)
    buffer.set(REFUSAL, 7)
    expect(refusedPort(buffer, 7, REFUSAL.length + 6)).toBe(99)
  })

  it('reads IPv6 too', () => {
    const v6 = hex(`020000000001 020000000002 86dd 6000 0000 0014 0640 ${'00'.repeat(15)}02 ${'00'.repeat(15)}01`)
    const frame = new Uint8Array(v6.length + 20)
    frame.set(v6)
    frame.set(REFUSAL.subarray(34), v6.length)
    expect(refusedPort(frame, 0, frame.length)).toBe(99)
  })

  it('does not take an abort (RST+ACK with a sequence number), a bare RST, a SYN+ACK or data for a refusal', () => {
    expect(refusedPort(withTcp((t) => (t[7] = 1)), 0, REFUSAL.length)).toBe(-1)
    expect(refusedPort(withTcp((t) => (t[13] = 0x04)), 0, REFUSAL.length)).toBe(-1)
    expect(refusedPort(withTcp((t) => (t[13] = 0x12)), 0, REFUSAL.length)).toBe(-1)
    expect(refusedPort(withTcp((t) => (t[13] = 0x18)), 0, REFUSAL.length)).toBe(-1)
  })

  it('leaves alone UDP, later fragments, VLAN tags, a bad header length and frames cut short', () => {
    // [offset, byte]: IP protocol UDP, a fragment offset, a VLAN tag's EtherType, a 16-byte IPv4 header.
    for (const [at, value] of [[23, 17], [21, 0x10], [12, 0x81], [14, 0x44]] as const) {
      const frame = REFUSAL.slice()
      frame[at] = value
      expect(refusedPort(frame, 0, frame.length), `byte ${at} = ${value}`).toBe(-1)
    }
    expect(refusedPort(REFUSAL, 0, REFUSAL.length - 1)).toBe(-1)
    expect(refusedPort(REFUSAL, 10, REFUSAL.length)).toBe(-1)
  })

  it('never throws on hostile bytes, and answers -1 or a port', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: -5, max: 130 }), fc.nat(130), (bytes, start, length) => {
        const port = refusedPort(bytes, start, length)
        expect(port >= -1 && port <= 65535).toBe(true)
      }),
      { numRuns: 5000 }
    )
  })
})
