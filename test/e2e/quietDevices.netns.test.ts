// Several devices that have not spoken yet (a firmware stays quiet until spoken to): the bridge does
// not know their addresses, so it holds the first packets for them (from the host or from another
// device) while it asks the devices that have not shown theirs, and delivers them once one answers.
// What nobody claims is dropped after a while and counted, within a bound.
import { rmSync } from 'node:fs'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { BridgeProcess } from '../helpers/bridgeProcess.js'
import { destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { deviceIn, freshStats, pingCount, uartDevicesOnBridge } from '../helpers/severalDevices.js'

const A = { name: 'a', mac: '02:00:00:00:00:0a', ip: '192.168.100.5' }
const B = { name: 'b', mac: '02:00:00:00:00:0b', ip: '192.168.100.6' }
const C = { name: 'c', mac: '02:00:00:00:00:0c', ip: '192.168.100.7' }
/** Stays quiet throughout: it is asked for every address nobody has shown. */
const D = { name: 'd', mac: '02:00:00:00:00:0d', ip: '192.168.100.8' }

describe.skipIf(skipNetns)('devices that have not spoken yet, behind one bridge', () => {
  let work: string
  let host: Netns
  let devices: Map<string, Netns>
  let bridge: BridgeProcess

  beforeAll(async () => {
    requireNetns()
    ;({ work, host, devices, bridge } = await uartDevicesOnBridge('tsquiet', [A, B, C, D], ['--tun', 'tun0']))
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it("delivers a device's first ping to another that has not spoken, and the host's first ping to a third", async () => {
    const before = await freshStats(bridge)
    expect(before.devices.map((d) => d.device.ipv4)).toEqual([null, null, null, null])
    // A speaks first (its ping proves it), B has not: its address is found by asking, and the ping waits meanwhile.
    expect((await pingCount(devices.get('a')!, B.ip, 1)).received).toBe(1)
    expect((await pingCount(host, C.ip, 1)).received).toBe(1)
    const after = await freshStats(bridge)
    expect(after.devices.map((d) => d.device.ipv4)).toEqual([A.ip, B.ip, C.ip, null])
    expect(after.counters.drops.noDevice).toBe(0)
    expect(deviceIn(after, B.name).counters.arpProbes).toBeGreaterThan(0)
  })

  it('drops what no device claims after a few seconds, counted, however much of it comes', async () => {
    const before = await freshStats(bridge)
    const started = performance.now()
    const flood = await host.exec('ping', ['-q', '-c', '1000', '-i', '0.002', '-W', '1', '192.168.100.99'], { timeoutMs: 30_000 })
    expect(flood.stdout).toMatch(/1000 packets transmitted, 0 received/)
    const after = await bridge.waitFor((s) => s.counters.drops.noDevice - before.counters.drops.noDevice === 1000, 10_000, 'every unclaimed packet counted')
    // Only the device that has not shown its address is asked, at most once a second for one address:
    // 1000 packets make a handful of probes, not 1000.
    const seconds = Math.ceil((performance.now() - started) / 1000)
    const probes = deviceIn(after, D.name).counters.arpProbes - deviceIn(before, D.name).counters.arpProbes
    expect(probes).toBeGreaterThan(0)
    expect(probes).toBeLessThanOrEqual(seconds + 1)
    for (const d of [A, B, C]) expect(deviceIn(after, d.name).counters.arpProbes).toBe(deviceIn(before, d.name).counters.arpProbes)
    // The others are unharmed.
    for (const d of [A, B, C]) expect(deviceIn(after, d.name).link.status).toBe('connected')
    expect((await pingCount(host, A.ip, 3)).received).toBe(3)
  })
})
