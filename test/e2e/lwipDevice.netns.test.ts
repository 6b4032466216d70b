// The bridge against lwIP, the firmware's own stack: `tunscope bridge --tun tun0` in a namespace,
// and test/fixtures/lwip/lwip_device.c (Debian's lwIP, the firmware's 1500-byte frame limit in
// both directions) on the UART socket. Through the firmware-safe TUN MTU 1486 everything fits;
// with the old 1500 MTU lwIP builds 1514-byte frames its own link refuses, and TCP stalls.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { deviceTraffic, type DeviceTraffic } from '../helpers/bridgedDevice.js'
import { requireLwipDevice, skipLwipDevice, startLwipDevice, type LwipDevice } from '../helpers/lwipDevice.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

const DEVICE_IP = '192.168.100.2'
const HTTP_BYTES = 1_000_000

describe.skipIf(skipNetns || skipLwipDevice)('tunscope bridge against the lwIP device', () => {
  let work: string
  let socket: string
  let host: Netns
  let device: LwipDevice
  let bridge: BridgeProcess
  let traffic: DeviceTraffic

  beforeAll(async () => {
    requireNetns()
    requireLwipDevice()
    work = mkdtempSync(join(tmpdir(), 'tunscope-lwip-e2e-'))
    socket = join(work, 'uart.sock')
    host = await createNamespace('tslwip')
    traffic = deviceTraffic(host, DEVICE_IP)
    device = await startLwipDevice(socket)
    bridge = startBridge(host, ['--socket', socket, '--tun', 'tun0'])
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tun?.mtu === 1486, 15_000, 'the link to the device')
  })

  afterAll(async () => {
    await device?.stop().catch(() => undefined)
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('answers ping, up to the full 1486-byte IP packet (a 1500-byte frame)', async () => {
    await traffic.expectPingsAnswered()
    await traffic.expectPingsAnswered(['-s', '1458', '-M', 'do'])
  })

  it('serves HTTP: 1 MB intact, and 404 for anything else', async () => {
    const get = (url: string, file: string) =>
      host.exec('curl', ['-sS', '--max-time', '30', '-o', join(work, file), '-w', '%{http_code} %{size_download}', url], { timeoutMs: 40_000 })
    expect((await get(`http://${DEVICE_IP}/bytes/${HTTP_BYTES}`, 'device')).stdout).toBe(`200 ${HTTP_BYTES}`)
    // The same contract as net_tool.mjs http-server: the very same bytes.
    await traffic.startServer(host, ['http-server', '8080'])
    expect((await get(`http://127.0.0.1:8080/bytes/${HTTP_BYTES}`, 'reference')).stdout).toBe(`200 ${HTTP_BYTES}`)
    expect(readFileSync(join(work, 'device')).equals(readFileSync(join(work, 'reference')))).toBe(true)
    const missing = await host.exec('curl', ['-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code}', `http://${DEVICE_IP}/nothing`])
    expect(missing.stdout).toBe('404')
  })

  it('echoes 256 KiB and 4 MiB of TCP intact', async () => {
    await traffic.expectTcpEcho(256 * 1024)
    await traffic.expectTcpEcho(4 * 1024 * 1024)
  })

  it('took all that without a framing error on either side or a refused frame', async () => {
    const stats = await bridge.waitFor(() => true)
    expect(Object.values(stats.counters.framingErrors).every((n) => n === 0), JSON.stringify(stats.counters.framingErrors)).toBe(true)
    expect(stats.counters.bytesSkipped).toBe(0)
    expect(stats.counters.drops.tooBigForDevice).toBe(0)
    // The device's own account, printed as it exits.
    const counters = await device.stop()
    expect(counters).toMatchObject({ refused_in: 0, refused_out: 0, dropped_stack: 0 })
    expect(counters.frames_in).toBeGreaterThan(3000)
    expect(counters.frames_out).toBeGreaterThan(3000)
  })

  it('serves the next bridge connection after a restart', async () => {
    const before = (await bridge.waitFor(() => true)).counters.reconnects
    device = await startLwipDevice(socket)
    await bridge.waitFor((s) => s.counters.reconnects > before && s.link.status === 'connected', 15_000, 'the reconnect')
    await traffic.expectPingsAnswered()
  })

  it("refuses its own 1514-byte frames when the host's 1500 MTU lets TCP build them (the old stall)", async () => {
    const before = await device.counters()
    // The host then offers MSS 1460 and lwIP fills its 1500-byte netif MTU: 1514-byte frames.
    await host.exec('ip', ['link', 'set', 'dev', 'tun0', 'mtu', '1500'], { check: true })
    try {
      const r = await host.exec('curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{size_download}', `http://${DEVICE_IP}/bytes/100000`], { timeoutMs: 15_000 })
      // lwIP never shrinks a segment it has built, so no full-size one ever leaves: the download cannot finish.
      expect(Number(r.stdout)).toBeLessThan(100_000)
    } finally {
      await host.exec('ip', ['link', 'set', 'dev', 'tun0', 'mtu', '1486'], { check: true })
    }
    const after = await device.counters()
    expect(after.refused_out).toBeGreaterThan(before.refused_out)
    expect(after.refused_in).toBe(0)
  })
})
