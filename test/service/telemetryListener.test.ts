// The host's end of the demo's telemetry, on real UDP sockets on loopback: a
// reading is kept with its time, and everything else that reaches the port —
// oversized, junk, nested, from a stranger, a flood — is counted, never thrown,
// and never kept. A taken port is one sentence in the status.
import dgram from 'node:dgram'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { MAX_TELEMETRY_BYTES, MAX_TELEMETRY_PER_SECOND, TelemetryListener } from '../../src/service/telemetryListener'
import type { TelemetryCounts, TelemetryStatus } from '../../src/shared/protocol'

const DEVICE = '127.0.0.1'
/** Also this host (all of 127/8 is loopback), but not the device. */
const STRANGER = '127.0.0.2'

let listener: TelemetryListener
let port: number
const senders = new Map<string, dgram.Socket>()

beforeEach(async () => {
  listener = new TelemetryListener({ address: '127.0.0.1', port: 0, deviceIp: DEVICE })
  await listener.listen()
  port = Number(listener.snapshot().listening!.split(':')[1])
})

afterEach(() => {
  listener.close()
  for (const socket of senders.values()) socket.close()
  senders.clear()
})

/** Sends one datagram from `from` (a socket of its own per address) and waits until it has left. */
async function send(payload: string | Uint8Array, from = DEVICE): Promise<void> {
  let socket = senders.get(from)
  if (!socket) {
    socket = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => socket!.bind(0, from, resolve))
    senders.set(from, socket)
  }
  await new Promise<void>((resolve, reject) => socket!.send(payload, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())))
}

/** The status once `n` datagrams have arrived. */
async function afterDatagrams(n: number): Promise<TelemetryStatus> {
  await expect.poll(() => listener.snapshot().counts.datagrams, { timeout: 5_000, interval: 10 }).toBe(n)
  return listener.snapshot()
}

/** The status once no datagram has arrived for 300 ms. */
async function settled(): Promise<TelemetryStatus> {
  for (let seen = -1; ;) {
    await sleep(300)
    const { datagrams } = listener.snapshot().counts
    if (datagrams === seen) return listener.snapshot()
    seen = datagrams
  }
}

const none: TelemetryCounts = { datagrams: 0, readings: 0, notFromDevice: 0, overRate: 0, oversized: 0, notJson: 0, notReading: 0 }

function expectEachCountedOnce(counts: TelemetryCounts): void {
  const { datagrams, ...fates } = counts
  expect(Object.values(fates).reduce((a, b) => a + b, 0)).toBe(datagrams)
}

describe('the telemetry listener', () => {
  it('listens on the address it was given only, and keeps the last reading with its time and fields in order', async () => {
    expect(listener.snapshot()).toEqual({ listening: `127.0.0.1:${port}`, problem: null, last: null, counts: none })
    const before = Date.now()
    await send(JSON.stringify({ seq: 0, uptime_s: 2, temp_c: 24.1, heap_free: 180000 }))
    await send(JSON.stringify({ seq: 1, uptime_s: 4, temp_c: 24.2, heap_free: 174200, name: 'esp32', ok: true, spare: null }))
    const status = await afterDatagrams(2)
    expect(status.counts).toEqual({ ...none, datagrams: 2, readings: 2 })
    expect(status.last!.fields).toEqual([['seq', 1], ['uptime_s', 4], ['temp_c', 24.2], ['heap_free', 174200], ['name', 'esp32'], ['ok', true], ['spare', null]])
    expect(status.last!.at).toBeGreaterThanOrEqual(before)
    expect(status.last!.at).toBeLessThanOrEqual(Date.now())
  })

  it('counts oversized datagrams and junk without parsing or keeping them', async () => {
    await send(JSON.stringify({ seq: 8, pad: 'z'.repeat(60) }))
    await send(JSON.stringify({ seq: 9, pad: 'z'.repeat(MAX_TELEMETRY_BYTES) }))
    for (const junk of ['not json', '{"seq": 10,', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), new Uint8Array(0)]) await send(junk)
    const status = await afterDatagrams(6)
    expect(status.counts).toEqual({ ...none, datagrams: 6, readings: 1, oversized: 1, notJson: 4 })
    expect(status.last!.fields).toEqual([['seq', 8], ['pad', 'z'.repeat(60)]])
  })

  it('counts nested JSON, and JSON of another shape, as no reading without keeping it', async () => {
    await send(JSON.stringify({ seq: 7 }))
    const deepest = `${'['.repeat(MAX_TELEMETRY_BYTES / 2)}${']'.repeat(MAX_TELEMETRY_BYTES / 2)}`
    for (const text of [deepest, '{"a":{"b":{"c":1}}}', '[1,2,3]', '"text"', '{}', '{"__proto__":{"polluted":1}}']) await send(text)
    const status = await afterDatagrams(7)
    expect(status.counts).toEqual({ ...none, datagrams: 7, readings: 1, notReading: 6 })
    expect(status.last!.fields).toEqual([['seq', 7]])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('counts a reading with too many fields, a long name or text, or an infinite number as no reading', async () => {
    await send(JSON.stringify({ seq: 7 }))
    const tooMany = JSON.stringify(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`f${i}`, i])))
    for (const text of [tooMany, JSON.stringify({ [`n${'x'.repeat(40)}`]: 1 }), JSON.stringify({ text: 'y'.repeat(65) }), '{"big":1e999}']) await send(text)
    const status = await afterDatagrams(5)
    expect(status.counts).toEqual({ ...none, datagrams: 5, readings: 1, notReading: 4 })
    expect(status.last!.fields).toEqual([['seq', 7]])
  })

  it('counts datagrams from anyone but the device and ignores them', async () => {
    await send(JSON.stringify({ seq: 1 }))
    await send(JSON.stringify({ seq: 666 }), STRANGER)
    const status = await afterDatagrams(2)
    expect(status.counts).toEqual({ ...none, datagrams: 2, readings: 1, notFromDevice: 1 })
    expect(status.last!.fields).toEqual([['seq', 1]])
  })

  it('looks at no more than a few datagrams a second in a flood, counts the rest, and takes readings again after it', async () => {
    const flood = 500
    const started = performance.now()
    for (let seq = 0; seq < flood; seq++) await send(JSON.stringify({ seq }))
    const seconds = Math.ceil((performance.now() - started) / 1000)
    // The kernel drops what overflows the socket's receive buffer before the listener sees it.
    const status = await settled()
    expect(status.counts.datagrams).toBeGreaterThan(10 * MAX_TELEMETRY_PER_SECOND)
    expect(status.counts.datagrams).toBeLessThanOrEqual(flood)
    expectEachCountedOnce(status.counts)
    expect(status.counts.readings).toBeGreaterThanOrEqual(MAX_TELEMETRY_PER_SECOND)
    expect(status.counts.readings).toBeLessThanOrEqual(MAX_TELEMETRY_PER_SECOND * (seconds + 1))
    expect(status.counts.overRate).toBe(status.counts.datagrams - status.counts.readings)
    // Only the last reading is kept: the status stays as small as after one datagram.
    expect(JSON.stringify(status).length).toBeLessThan(400)

    await sleep(1_100)
    await send(JSON.stringify({ seq: 'after' }))
    expect((await afterDatagrams(status.counts.datagrams + 1)).last!.fields).toEqual([['seq', 'after']])
  })

  it('says in one sentence that the port is taken, without throwing, and listens nowhere', async () => {
    const taken = new TelemetryListener({ address: '127.0.0.1', port, deviceIp: DEVICE })
    await taken.listen()
    expect(taken.snapshot()).toEqual({ listening: null, problem: `The demo's telemetry is not shown: UDP port ${port} on 127.0.0.1 is taken by another program.`, last: null, counts: none })
    taken.close()
  })

  it('says so when the address is not this host\'s', async () => {
    const elsewhere = new TelemetryListener({ address: '192.0.2.1', port: 0, deviceIp: DEVICE })
    await elsewhere.listen()
    expect(elsewhere.snapshot()).toMatchObject({ listening: null, problem: "The demo's telemetry is not shown: 192.0.2.1 is not an address of this host." })
    elsewhere.close()
  })

  it('frees the port on close and counts nothing more', async () => {
    await send(JSON.stringify({ seq: 1 }))
    await afterDatagrams(1)
    listener.close()
    expect(listener.snapshot().listening).toBeNull()
    await send(JSON.stringify({ seq: 2 }))
    await sleep(100)
    expect(listener.snapshot().counts).toEqual({ ...none, datagrams: 1, readings: 1 })
    const again = new TelemetryListener({ address: '127.0.0.1', port, deviceIp: DEVICE })
    await again.listen()
    expect(again.snapshot().listening).toBe(`127.0.0.1:${port}`)
    again.close()
  })
})
