// `tunscope bridge --framing qemu` end to end: the firmware-like fixture frames
// its records with a 4-byte length, as QEMU's -netdev stream does, and a device
// namespace's Linux kernel answers behind it. The same traffic as the ESP32
// tunnel's test, with QEMU's default frame size (1514: MTU 1500).
import { spawnSync } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridgedDevice, type BridgedDevice } from '../helpers/bridgedDevice.js'
import { destroyAll, requireNetns, skipNetns } from '../helpers/netns.js'

const DEVICE_IP = '192.168.100.2'
const QEMU_MAC = '52:54:00:12:34:56'
const HOST_IP = '192.168.100.1'

describe.skipIf(skipNetns)('tunscope bridge --framing qemu against a device speaking the 4-byte stream framing', () => {
  let bridged: BridgedDevice

  beforeAll(async () => {
    requireNetns()
    bridged = await startBridgedDevice({
      prefix: 'tsq',
      // QEMU's default NIC MAC, which the bridge sends to until the device's frames show one.
      device: { prefixBytes: 4, maxFrame: 1514, mtu: 1500, mac: QEMU_MAC },
      bridgeArgs: ['--framing', 'qemu'],
      servers: [['tcp-echo-server', '7'], ['http-server', '80']]
    })
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    bridged?.removeFiles()
  })

  it('names its framing and sizes the TUN for 1514-byte frames (MTU 1500)', async () => {
    const stats = await bridged.bridge.waitFor((s) => s.tun !== null)
    expect(stats.framing).toBe('qemu')
    expect(stats.tun).toMatchObject({ name: 'tun0', address: HOST_IP, mtu: 1500, up: true })
  })

  it('answers ping, and the device learns the gateway by proxy ARP', async () => {
    await bridged.traffic.expectPingsAnswered()
    const stats = await bridged.bridge.waitFor((s) => s.counters.proxyArpReplies > 0 && s.device.ipv4 === DEVICE_IP)
    expect(stats.device.mac).toBe(QEMU_MAC)
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

  it('resynchronises after junk on the wire, counting every skipped byte', async () => {
    await bridged.traffic.expectJunkResync(bridged.bridge, bridged.device)
  })

  it('drops and counts host packets too big for --max-frame 1514', async () => {
    await bridged.traffic.expectTooBigDropped(bridged.bridge, 1500, 1600)
  })

  it('sent the device only well-formed 4-byte-length records', async () => {
    const counters = await bridged.device.counters()
    expect(counters.records_to_device).toBeGreaterThan(1000)
    expect(counters.bad_length_flushes).toBe(0)
  })

  it('stops with final counters and leaves a capture that names the framing and that tshark reads whole', async () => {
    const { code, counters } = await bridged.bridge.stop('SIGINT')
    expect(code).toBe(0)
    expect(counters?.fromDevice.frames).toBeGreaterThan(1000)
    const fields = spawnSync('tshark', ['-r', bridged.pcapPath, '-T', 'fields', '-e', 'frame.interface_description', '-e', '_ws.malformed', '-e', 'eth.src'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    expect(fields.status, fields.stderr).toBe(0)
    const rows = fields.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'))
    expect(rows.length).toBe(counters!.fromDevice.frames + counters!.toDevice.frames + 1 /* the junk episode */)
    expect(rows[0]![0]).toMatch(/^QEMU stream via /)
    expect(rows.filter((r) => r[1] !== '')).toEqual([])
    // Every frame starts where it should: no length byte was taken for a MAC.
    expect(rows.filter((r) => r[2] !== '' && r[2] !== QEMU_MAC && r[2] !== '02:00:00:00:00:01')).toEqual([])
  })
})
