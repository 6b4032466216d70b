// `tunscope demo --dhcp` behind `tunscope bridge --dhcp`: the demo device has
// no address until its DHCP client takes the bridge's --device-ip over the
// UART link; the host then pings it and reads its status page there.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, startDemoDevice, type BridgeProcess, type DemoProcess } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

/** Not the demo's default --ip: only DHCP can have given it this one. */
const LEASED_IP = '192.168.100.7'

describe.skipIf(skipNetns)('tunscope demo --dhcp behind tunscope bridge --dhcp', () => {
  let host: Netns
  let bridge: BridgeProcess
  let work: string
  let demo: DemoProcess

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-demo-dhcp-'))
    const socket = join(work, 'uart.sock')
    host = await createNamespace('tsdemodhcp')
    demo = await startDemoDevice(host, socket, ['--dhcp'])
    bridge = startBridge(host, ['--socket', socket, '--tun', 'tun0', '--device-ip', LEASED_IP, '--dhcp', '--dhcp-lease', '120', '--dns', '192.168.100.1'])
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 15_000, 'the UART link')
  }, 60_000)

  afterAll(async () => {
    demo?.child.kill('SIGTERM')
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('takes the bridge\'s --device-ip by DHCP, and the host then pings it there', async () => {
    await waitUntil(() => demo.said().includes(`DHCP lease taken: ${LEASED_IP}`), 30_000, 'the demo device\'s lease')
    expect(demo.said()).toContain('demo device without an address until DHCP gives one')
    const stats = await bridge.waitFor((s) => (s.dhcp?.acks ?? 0) >= 1, 5000, 'the DHCP ACK in the stats')
    expect(stats.dhcp).toMatchObject({ offers: 1, acks: 1, naks: 0 })
    expect(Object.values(stats.dhcp!.ignored).every((n) => n === 0)).toBe(true)
    const r = await host.exec('ping', ['-n', '-q', '-c', '3', '-i', '0.2', '-W', '2', LEASED_IP], { timeoutMs: 30_000 })
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
    const page = await host.exec('curl', ['-sS', '--max-time', '20', `http://${LEASED_IP}/`], { timeoutMs: 30_000 })
    expect(page.stdout).toContain(`<title>ESP32 demo device ${LEASED_IP}</title>`)
    expect((await bridge.waitFor((s) => s.device.ipv4 === LEASED_IP)).device.mac).toBe('02:00:00:00:00:02')
  })
})

async function waitUntil(done: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
