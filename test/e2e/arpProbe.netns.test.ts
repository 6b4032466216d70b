// A device whose MAC is not the framing's default (a QEMU NIC given macaddr=, a board with
// its own) and that has not spoken yet: the host's packets go to the default MAC, which the
// device drops, until the bridge learns the real one. The bridge asks for the device's
// address (ARP) while it has packets for it, so the device is reached without --device-mac.
// Against the firmware-like fixture (a Linux TAP behind the 4-byte QEMU framing), quiet
// until spoken to: IPv6 off, nothing sent first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridgedDevice, type BridgedDevice } from '../helpers/bridgedDevice.js'
import { destroyAll, requireNetns, skipNetns } from '../helpers/netns.js'

const OWN_MAC = '52:54:00:ab:cd:ef' // not QEMU's default 52:54:00:12:34:56

describe.skipIf(skipNetns)('a quiet device with its own MAC, reached without --device-mac', () => {
  let bridged: BridgedDevice

  beforeAll(async () => {
    requireNetns()
    bridged = await startBridgedDevice({ prefix: 'tsarp', device: { framing: 'qemu', mac: OWN_MAC }, bridgeArgs: ['--framing', 'qemu'], servers: [] })
  }, 60_000)

  afterAll(async () => {
    await bridged?.bridge.stop()
    await destroyAll()
    bridged?.removeFiles()
  })

  it('is unknown until the host sends: the bridge has not probed an idle link', async () => {
    const stats = await bridged.bridge.waitFor(() => true)
    expect(stats.device.mac).toBeNull()
    expect(stats.counters.arpProbes).toBe(0)
  })

  it("answers the host's pings once the bridge's ARP probe has learned its MAC, one probe and no more", async () => {
    const r = await bridged.traffic.ping(['-c', '4', '-i', '0.5', '-W', '2'])
    const received = Number(/(\d+) received/.exec(r.stdout)?.[1])
    expect(received).toBeGreaterThanOrEqual(3) // the first may have gone to the default MAC
    const { device, counters } = await bridged.bridge.waitFor((s) => s.device.mac !== null)
    expect(device.mac).toBe(OWN_MAC)
    expect(counters.arpProbes).toBe(1)
    expect(counters.proxyArpReplies).toBe(0)
  }, 30_000)
})
