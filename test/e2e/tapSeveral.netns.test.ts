// Several devices behind one TAP (`--tap`): frames pass as they are, switched by MAC. The host's
// kernel resolves each device by ARP (flooded to every device, answered by the one it names), and
// the devices reach each other without the host.
import { rmSync } from 'node:fs'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { BridgeProcess } from '../helpers/bridgeProcess.js'
import { destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { deviceIn, freshStats, linkPackets, pingCount, uartDevicesOnBridge } from '../helpers/severalDevices.js'

const A = { name: 'a', mac: '02:00:00:00:00:1a', ip: '192.168.100.12' }
const B = { name: 'b', mac: '02:00:00:00:00:1b', ip: '192.168.100.13' }

describe.skipIf(skipNetns)('several devices behind tunscope bridge --tap', () => {
  let work: string
  let host: Netns
  let devices: Map<string, Netns>
  let bridge: BridgeProcess

  beforeAll(async () => {
    requireNetns()
    ;({ work, host, devices, bridge } = await uartDevicesOnBridge('tstapm', [A, B], ['--tap', '--tun', 'tap0', '--mtu', '1486'], { mtu: 1486 }))
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it("reaches each device from the host, which learns each one's own MAC", async () => {
    for (const d of [A, B]) expect((await pingCount(host, d.ip, 3)).received, d.name).toBe(3)
    for (const d of [A, B]) expect((await host.exec('ip', ['neigh', 'show', d.ip])).stdout).toMatch(new RegExp(`lladdr ${d.mac}`))
    const stats = await freshStats(bridge)
    for (const d of [A, B]) expect(deviceIn(stats, d.name).device).toMatchObject({ mac: d.mac, ipv4: d.ip })
  })

  it('switches frames between the devices without the host', async () => {
    const tapBefore = await linkPackets(host, 'tap0')
    expect((await pingCount(devices.get('a')!, B.ip, 5)).received).toBe(5)
    const tapAfter = await linkPackets(host, 'tap0')
    // At most the ARP broadcasts reach the host; the 10 echoes do not.
    expect(tapAfter.rx - tapBefore.rx).toBeLessThan(5)
  })
})
