// `tunscope bridge --framing qemu|slip` end to end: the firmware-like fixture
// (test/fixtures/uart_device.py) frames its Ethernet frames with a 4-byte
// length, as QEMU's -netdev stream does, or with SLIP (RFC 1055), as Zephyr's
// SLIP driver with SLIP_TAP does, and a device namespace's Linux kernel answers
// behind it. The same traffic as the ESP32 tunnel's test, with each peer's
// default frame size (1514: MTU 1500).
import { spawnSync } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { FramingErrorKind } from '../../src/engine/counters.js'
import { startBridgedDevice, type BridgedDevice } from '../helpers/bridgedDevice.js'
import { destroyAll, requireNetns, skipNetns, type UartDeviceCounters } from '../helpers/netns.js'

const DEVICE_IP = '192.168.100.2'
const HOST_IP = '192.168.100.1'
const HOST_MAC = '02:00:00:00:00:01'

interface FramingCase {
  framing: 'qemu' | 'slip'
  /** Namespace prefix. */
  prefix: string
  /** The peer's usual MAC, which the bridge sends to until the device's frames show one. */
  mac: string
  /** The capture's interface description. */
  title: RegExp
  /** What one injection of the fixture's junk counts. */
  junkErrors: Partial<Record<FramingErrorKind, number>>
  /** Wire bytes beyond the frames themselves, in one direction, from the fixture's counters. */
  overhead(records: number, escapes: number): number
  /** The device refused nothing the bridge sent. */
  refusedNothing(c: UartDeviceCounters): void
}

const CASES: FramingCase[] = [
  {
    framing: 'qemu',
    prefix: 'tsq',
    mac: '52:54:00:12:34:56', // QEMU's default NIC MAC
    title: /^QEMU stream via /,
    junkErrors: { tooLong: 1 },
    overhead: (records) => 4 * records,
    refusedNothing: (c) => expect(c.bad_length_flushes).toBe(0)
  },
  {
    framing: 'slip',
    prefix: 'tss',
    mac: '00:00:5e:00:53:01', // Zephyr's SLIP_TAP default
    title: /^SLIP \(Ethernet\) via /,
    junkErrors: { slipEscape: 1, tooLong: 1 },
    // END before and after each frame, one more byte per END or ESC inside it
    overhead: (records, escapes) => 2 * records + escapes,
    refusedNothing: (c) => expect({ escapes: c.slip_bad_escapes, tooLong: c.slip_too_long, runts: c.slip_runts, bytes: c.slip_bad_bytes }).toEqual({ escapes: 0, tooLong: 0, runts: 0, bytes: 0 })
  }
]

describe.skipIf(skipNetns).each(CASES)('tunscope bridge --framing $framing against a device speaking it', (c) => {
  let bridged: BridgedDevice

  beforeAll(async () => {
    requireNetns()
    bridged = await startBridgedDevice({
      prefix: c.prefix,
      device: { framing: c.framing, maxFrame: 1514, mtu: 1500, mac: c.mac },
      bridgeArgs: ['--framing', c.framing],
      servers: [['tcp-echo-server', '7'], ['http-server', '80']]
    })
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    bridged?.removeFiles()
  })

  it('names its framing and sizes the TUN for 1514-byte frames (MTU 1500)', async () => {
    const stats = await bridged.bridge.waitFor((s) => s.tun !== null)
    expect(stats.framing).toBe(c.framing)
    expect(stats.tun).toMatchObject({ name: 'tun0', address: HOST_IP, mtu: 1500, up: true })
  })

  it('answers ping, and the device learns the gateway by proxy ARP', async () => {
    await bridged.traffic.expectPingsAnswered()
    const stats = await bridged.bridge.waitFor((s) => s.counters.proxyArpReplies > 0 && s.device.ipv4 === DEVICE_IP)
    expect(stats.device.mac).toBe(c.mac)
  })

  it.each([1486, 1500])('carries %i-byte IP packets whole', async (size) => {
    await bridged.traffic.expectPingsAnswered(['-s', String(size - 28), '-M', 'do'])
  })

  it('moves 4 MB of TCP each way at once, intact (echo)', async () => {
    await bridged.traffic.expectTcpEcho(4 * 1024 * 1024)
  })

  it('serves HTTP from the device', async () => {
    await bridged.traffic.expectHttp()
  })

  it('counts on the wire exactly the bytes the device sent and took: the frames plus the framing', async () => {
    // Compare once nothing is in flight (a late ARP refresh only means another try).
    let device: UartDeviceCounters | undefined
    let stats
    for (let attempt = 0; attempt < 5 && stats === undefined; attempt++) {
      await new Promise((r) => setTimeout(r, 1_000))
      const d = await bridged.device.counters()
      device = d
      const toDevice = d.bytes_to_device + d.startup_discarded_bytes + d.flushed_bytes + d.slip_separator_bytes + d.slip_bad_bytes
      stats = await bridged.bridge
        .waitFor((s) => s.counters.fromDevice.bytes === d.bytes_to_host && s.counters.toDevice.bytes === toDevice, 3_000, 'counts equal to the device\'s')
        .catch(() => undefined)
    }
    expect(stats, `the bridge's counts never matched the device's ${JSON.stringify(device)}`).toBeDefined()
    const d = device!
    expect(stats!.counters.fromDevice.frames).toBe(d.records_to_host)
    expect(d.bytes_to_host).toBe(d.frame_bytes_to_host + c.overhead(d.records_to_host, d.slip_escapes_to_host))
    expect(d.bytes_to_device).toBe(d.frame_bytes_to_device + c.overhead(d.records_to_device, d.slip_escapes_to_device))
    // the wire is always longer than the frames it carries: at least 2 bytes a frame
    expect(stats!.counters.toDevice.bytes).toBeGreaterThanOrEqual(d.frame_bytes_to_device + 2 * d.records_to_device)
    expect(stats!.counters.fromDevice.bytes).toBeGreaterThanOrEqual(d.frame_bytes_to_host + 2 * d.records_to_host)
    if (c.framing === 'slip') {
      // 4 MB of pattern data holds plenty of 0xC0 and 0xDB: escaping really happened, both ways
      expect(d.slip_escapes_to_host).toBeGreaterThan(1000)
      expect(d.slip_escapes_to_device).toBeGreaterThan(1000)
    }
  })

  it('resynchronises after junk on the wire, counting every skipped byte', async () => {
    await bridged.traffic.expectJunkResync(bridged.bridge, bridged.device, c.junkErrors)
  })

  it('drops and counts host packets too big for --max-frame 1514', async () => {
    await bridged.traffic.expectTooBigDropped(bridged.bridge, 1500, 1600)
  })

  it(`sent the device only well-formed ${c.framing} records`, async () => {
    const counters = await bridged.device.counters()
    expect(counters.records_to_device).toBeGreaterThan(1000)
    c.refusedNothing(counters)
  })

  it('stops with final counters and leaves a capture that names the framing and that tshark reads whole', async () => {
    const { code, counters } = await bridged.bridge.stop('SIGINT')
    expect(code).toBe(0)
    expect(counters?.fromDevice.frames).toBeGreaterThan(1000)
    const fields = spawnSync('tshark', ['-r', bridged.pcapPath, '-T', 'fields', '-e', 'frame.interface_description', '-e', '_ws.malformed', '-e', 'eth.src', '-e', 'frame.protocols'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    expect(fields.status, fields.stderr).toBe(0)
    const rows = fields.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'))
    const junkRecords = Object.values(c.junkErrors).reduce((a, b) => a + b, 0)
    expect(rows.length).toBe(counters!.fromDevice.frames + counters!.toDevice.frames + junkRecords)
    expect(rows[0]![0]).toMatch(c.title)
    expect(rows.filter((r) => r[1] !== '')).toEqual([])
    // Every frame starts where it should: no length or SLIP byte was taken for a MAC.
    expect(rows.filter((r) => r[2] !== '' && r[2] !== c.mac && r[2] !== HOST_MAC)).toEqual([])
    // The frames decode as Ethernet carrying IP (or ARP); only the junk records are something else.
    const other = rows.filter((r) => !/^eth:ethertype:(ip|ipv6|arp)(:|$)/.test(r[3] ?? ''))
    expect(other.length, JSON.stringify(other)).toBe(junkRecords)
  })
})
