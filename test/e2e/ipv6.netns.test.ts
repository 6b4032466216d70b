// IPv6 through the bridge: EtherType 0x86DD towards the device, IPv6 packets
// from it written to the TUN. The firmware is IPv4-only and the bridge has no
// neighbour-discovery proxy, so the device gets a static neighbour entry for
// the host, as the firmware has a static ARP entry for its gateway.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'

describe.skipIf(skipNetns)('IPv6 through the bridge', () => {
  let host: Netns
  let dev: Netns
  let device: UartDevice
  let bridge: BridgeProcess
  let work: string

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-ipv6-'))
    host = await createNamespace('ts6host')
    dev = await createNamespace('ts6dev')
    const socket = join(work, 'uart.sock')
    device = await startUartDevice(dev, socket, { ipv6: true })
    await dev.exec('ip', ['-6', 'addr', 'add', 'fd00::2/64', 'dev', 'tap0', 'nodad'], { check: true })
    await dev.exec('ip', ['-6', 'neigh', 'replace', 'fd00::1', 'lladdr', '02:00:00:00:00:01', 'dev', 'tap0', 'nud', 'permanent'], { check: true })
    bridge = startBridge(host, ['--socket', socket, '--tun', 'tun0'])
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 15_000, 'the UART link')
    await host.exec('ip', ['-6', 'addr', 'add', 'fd00::1/64', 'dev', 'tun0', 'nodad'], { check: true })
    await new Promise((r) => setTimeout(r, Math.max(0, device.startupDiscardUntil - Date.now())))
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('answers ping6, full-size packets included', async () => {
    const small = await host.exec('ping', ['-6', '-n', '-q', '-c', '3', '-i', '0.2', '-W', '2', 'fd00::2'], { timeoutMs: 30_000 })
    expect(small.stdout).toMatch(/3 packets transmitted, 3 received/)
    // 1486-byte IPv6 packets: 40 header + 8 ICMPv6 + 1438 data.
    const large = await host.exec('ping', ['-6', '-n', '-q', '-c', '3', '-i', '0.2', '-W', '2', '-s', '1438', '-M', 'do', 'fd00::2'], { timeoutMs: 30_000 })
    expect(large.stdout).toMatch(/3 packets transmitted, 3 received/)
    const stats = await bridge.waitFor(() => true)
    expect(stats.counters.drops.notIp).toBe(0)
    expect(stats.counters.framingErrors.implausible).toBe(0)
  })
})
