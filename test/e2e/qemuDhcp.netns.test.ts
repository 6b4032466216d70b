// `tunscope bridge --framing qemu --dhcp` against a real QEMU guest's e1000 on
// -netdev stream: the guest has no address until busybox udhcpc takes the
// bridge's --device-ip, the host as router and the --dns resolvers from the
// bridge's DHCP server; the host then pings the guest there, and the guest
// reaches the host through its new default route. One guest for the file
// (a boot takes ~6 s on an idle machine, 15-35 s on a loaded one).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { BridgeProcess } from '../helpers/bridgeProcess.js'
import { deviceTraffic } from '../helpers/bridgedDevice.js'
import { startGuestBehindBridge } from '../helpers/guestBehindBridge.js'
import { createNamespace, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { GUEST_NIC, requireGuest, skipGuest, takeLease, type Guest } from '../helpers/qemuGuest.js'

/** Not the bridge's default: only DHCP can have given the guest this one. */
const LEASED_IP = '192.168.100.9'
const HOST_IP = '192.168.100.1'
const GUEST_MAC = '52:54:00:12:34:56' // QEMU's default, the qemu framing's default --device-mac
const BOOT_MS = 180_000
describe.skipIf(skipNetns || skipGuest)('tunscope bridge --framing qemu --dhcp: a real guest takes its address with udhcpc over -netdev stream', () => {
  let ns: Netns
  let work: string
  let bridge: BridgeProcess
  let guest: Guest | undefined

  beforeAll(async () => {
    requireNetns()
    requireGuest()
    work = mkdtempSync(join(tmpdir(), 'tunscope-qdhcp-'))
    ns = await createNamespace('tsqdhcp')
    ;({ bridge, guest } = await startGuestBehindBridge({
      name: 'tsqdhcp', ns, work, mac: GUEST_MAC, bootTimeoutMs: BOOT_MS - 30_000,
      bridgeArgs: ['--framing', 'qemu', '--tun', 'tun0', '--device-ip', LEASED_IP, '--dhcp', '--dhcp-lease', '600', '--dns', HOST_IP, '--dns', '9.9.9.9'],
      ready: (s) => s.link.status === 'connected' && s.tun !== null, readyWhat: 'the link to QEMU'
    }))
  }, BOOT_MS)

  afterAll(async () => {
    await guest?.kill()
    await ns?.destroy()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('udhcpc takes --device-ip/24, the host as router, the resolvers and the lease; the host then pings the guest', async () => {
    const g = guest!
    await g.runOk(`ip link set ${GUEST_NIC} up && for i in $(seq 100); do grep -q 1 /sys/class/net/${GUEST_NIC}/carrier && break; sleep 0.1; done`)
    expect(await g.runOk(`ip -4 addr show dev ${GUEST_NIC}`)).not.toContain('inet ')
    const said = await takeLease(g)
    expect(said).toContain(`lease of ${LEASED_IP} obtained from ${HOST_IP}, lease time 600`)
    expect(said).toContain(`lease ip=${LEASED_IP} mask=24 router=${HOST_IP} dns=${HOST_IP} 9.9.9.9 lease=600 serverid=${HOST_IP}`)
    expect(await g.runOk(`ip -4 addr show dev ${GUEST_NIC}`)).toContain(`inet ${LEASED_IP}/24`)
    expect(await g.runOk('ip route show default')).toContain(`default via ${HOST_IP} dev ${GUEST_NIC}`)

    await deviceTraffic(ns, LEASED_IP).expectPingsAnswered()
    expect(await g.runOk(`ping -c 2 -W 2 ${HOST_IP}`, { timeoutMs: 20_000 })).toMatch(/2 packets transmitted, 2 packets received/)
    const stats = await bridge.waitFor((s) => (s.dhcp?.acks ?? 0) >= 1 && s.device.ipv4 === LEASED_IP, 5_000, 'the DHCP ACK and the guest learned')
    expect(stats.dhcp).toMatchObject({ offers: 1, acks: 1, naks: 0 })
    expect(Object.values(stats.dhcp!.ignored).every((n) => n === 0)).toBe(true)
    expect(stats.device).toEqual({ mac: GUEST_MAC, ipv4: LEASED_IP, conflict: null })
    expect(stats.counters.framingErrors).toMatchObject({ tooLong: 0, implausible: 0 })
  })
})
