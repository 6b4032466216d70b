// The demo device's UART transmit side: paced at baud / 10 bytes per second,
// bounded, silent while no client listens, and telling TCP when room is back.
import { describe, expect, it } from 'vitest'

import { UartTransmitter } from '../../src/demo/uart/uartTransmitter.js'
import { ManualClock } from '../helpers/manualClock.js'

function transmitter(baud: number, accept = () => true) {
  const clock = new ManualClock()
  const written: Uint8Array[] = []
  let ready = 0
  const tx = new UartTransmitter({
    baud,
    clock,
    write: (bytes) => {
      written.push(bytes)
      return accept()
    },
    onReady: () => ready++
  })
  tx.setConnected(true)
  const bytesWritten = () => written.reduce((n, b) => n + b.length, 0)
  return { tx, clock, written, bytesWritten, ready: () => ready }
}

describe('UartTransmitter', () => {
  it('carries 11 520 bytes a second at 115 200 baud (8N1: 10 bits a byte)', () => {
    const { tx, clock, bytesWritten } = transmitter(115_200)
    for (let i = 0; i < 10; i++) tx.sendFrame(new Uint8Array(1498)) // 15 000 bytes on the wire
    clock.advance(1000)
    expect(Math.abs(bytesWritten() - 11_520)).toBeLessThanOrEqual(1)
    clock.advance(400)
    expect(bytesWritten()).toBe(15_000)
  })

  it('leaves the line idle while its host is stalled, and does not make up for it in a burst', () => {
    const { tx, clock, bytesWritten } = transmitter(115_200)
    for (let i = 0; i < 10; i++) tx.sendFrame(new Uint8Array(1498))
    clock.advance(100)
    const beforeStall = bytesWritten()
    clock.stall(2000) // a real UART's FIFO runs dry; the line cannot carry two seconds' bytes at once
    expect(bytesWritten() - beforeStall).toBeLessThanOrEqual(Math.ceil(0.04 * 11_520))
    const afterStall = bytesWritten()
    clock.advance(1000)
    expect(Math.abs(bytesWritten() - afterStall - 11_520)).toBeLessThanOrEqual(1)
  })

  it('frames every record with its 2-byte big-endian length', () => {
    const { tx, clock, written } = transmitter(0)
    tx.sendFrame(Uint8Array.of(1, 2, 3))
    tx.sendFrame(new Uint8Array(300))
    clock.advance(0)
    const stream = Buffer.concat(written)
    expect([...stream.subarray(0, 5)]).toEqual([0, 3, 1, 2, 3])
    expect([...stream.subarray(5, 7)]).toEqual([1, 44])
    expect(stream.length).toBe(5 + 302)
  })

  it('drops what arrives while no client is connected, as QEMU does, and forgets the queue on disconnect', () => {
    const { tx, clock, bytesWritten } = transmitter(115_200)
    tx.sendFrame(new Uint8Array(1000))
    tx.setConnected(false)
    tx.sendFrame(new Uint8Array(100))
    clock.advance(2000)
    expect(bytesWritten()).toBe(0)
    expect(tx.counters.unheard).toBe(1002 + 102)
    tx.setConnected(true)
    tx.sendFrame(new Uint8Array(10))
    clock.advance(100)
    expect(bytesWritten()).toBe(12)
  })

  it('drops and counts frames once its 16 KiB buffer is full', () => {
    const { tx } = transmitter(115_200)
    let accepted = 0
    for (let i = 0; i < 20; i++) if (tx.sendFrame(new Uint8Array(1498))) accepted++
    expect(accepted).toBe(10) // 10 × 1500 bytes fit in 16 384
    expect(tx.counters.dropped).toBe(10)
  })

  it('says no to TCP above 4 KiB queued and calls back when the line has drained below it', () => {
    const { tx, clock, ready } = transmitter(115_200)
    for (let i = 0; i < 3; i++) tx.sendFrame(new Uint8Array(1498))
    expect(tx.canSend()).toBe(false)
    clock.advance(30) // 4 500 − 345 bytes still queued
    expect(ready()).toBe(0)
    clock.advance(70)
    expect(ready()).toBe(1)
    expect(tx.canSend()).toBe(true)
  })

  it('waits for the socket to drain when it reports a full buffer', () => {
    let full = true
    const { tx, clock, written } = transmitter(0, () => !full)
    tx.sendFrame(new Uint8Array(10))
    clock.advance(0)
    tx.sendFrame(new Uint8Array(10))
    clock.advance(10)
    expect(written).toHaveLength(1)
    full = false
    tx.drained()
    clock.advance(0)
    expect(written).toHaveLength(2)
  })

  it('puts raw fault bytes between records', () => {
    const { tx, clock, written } = transmitter(0)
    tx.sendFrame(Uint8Array.of(9))
    tx.sendRaw(Uint8Array.of(0, 0))
    clock.advance(0)
    expect([...Buffer.concat(written)]).toEqual([0, 1, 9, 0, 0])
  })
})
