// `tunscope bridge --dhcp` end to end: the firmware-like device's kernel,
// its static address removed, runs busybox udhcpc over the UART link and
// takes --device-ip, the host as router and the --dns resolvers from the
// bridge's DHCP server; the host then reaches it. The requests never reach
// the TUN, and the bridge's --json stats count what the server answered.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridgedDevice, type BridgedDevice } from '../helpers/bridgedDevice.js'
import { destroyAll, requireNetns, skipNetns } from '../helpers/netns.js'

describe.skipIf(skipNetns)('tunscope bridge --dhcp: a real DHCP client gets the device address over the UART link', () => {
  let setup: BridgedDevice

  beforeAll(async () => {
    requireNetns()
    setup = await startBridgedDevice({ prefix: 'tsdhcp', bridgeArgs: ['--dhcp', '--dhcp-lease', '600', '--dns', '192.168.100.1', '--dns', '9.9.9.9'], servers: [] })
  }, 60_000)

  afterAll(async () => {
    await setup?.bridge.stop()
    await destroyAll()
    setup?.removeFiles()
  })

  it('udhcpc takes 192.168.100.2/24, the host as router, the resolvers and the lease; the host then pings it', async () => {
    const { dev, bridge, traffic, pcapPath } = setup
    await dev.exec('ip', ['addr', 'flush', 'dev', 'tap0'], { check: true })
    // udhcpc's script: note what it was given and configure the interface, as a firmware's DHCP client would.
    const log = join(pcapPath, '..', 'udhcpc.log')
    const script = join(pcapPath, '..', 'udhcpc.sh')
    writeFileSync(script, [
      '#!/bin/sh',
      `[ "$1" = bound ] || exit 0`,
      `echo "ip=$ip mask=$mask router=$router dns=$dns lease=$lease serverid=$serverid" >> ${log}`,
      'ip addr add "$ip/$mask" dev "$interface"',
      ''
    ].join('\n'), { mode: 0o755 })
    const r = await dev.exec('busybox', ['udhcpc', '-i', 'tap0', '-n', '-q', '-t', '5', '-T', '2', '-s', script], { timeoutMs: 30_000 })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('lease of 192.168.100.2 obtained from 192.168.100.1, lease time 600')
    expect(readFileSync(log, 'utf8')).toContain('ip=192.168.100.2 mask=24 router=192.168.100.1 dns=192.168.100.1 9.9.9.9 lease=600 serverid=192.168.100.1')
    await traffic.expectPingsAnswered()
    const stats = await bridge.waitFor((s) => (s.dhcp?.acks ?? 0) >= 1, 5000, 'the DHCP ACK in the stats')
    expect(stats.dhcp).toMatchObject({ offers: 1, acks: 1, naks: 0 })
    expect(Object.values(stats.dhcp!.ignored).every((n) => n === 0)).toBe(true)
    expect(stats.counters.framingErrors).toMatchObject({ tooLong: 0, implausible: 0 })
  })
})
