// `tunscope bridge --dhcp` with several devices: each device (a Linux namespace behind a TAP, played
// by test/fixtures/uart_device.py with no address of its own) takes its address with busybox udhcpc
// over its own UART link. Each MAC gets the next free address from --device-ip up, kept in
// $XDG_CONFIG_HOME/tunscope/leases.json (a temporary folder here): after the bridge is stopped and
// started again, each device asking again gets the same address whatever the order they ask in, and
// a device with a MAC not seen before gets the next one.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'
import { deviceIn, expectAllPingsAnswered, pingUntilAnswered, sleep } from '../helpers/severalDevices.js'

const HOST_IP = '192.168.100.1'
/** Not the bridge's default: only the lease pool can have handed out these. */
const FIRST_IP = '192.168.100.10'
const A = { name: 'alpha', mac: '02:00:00:00:00:a1', ip: '192.168.100.10' }
const B = { name: 'beta', mac: '02:00:00:00:00:b2', ip: '192.168.100.11' }
const C = { name: 'gamma', mac: '02:00:00:00:00:c3', ip: '192.168.100.12' }
type Spec = typeof A

describe.skipIf(skipNetns)('tunscope bridge --dhcp with several devices: an address per MAC, kept across bridge restarts', () => {
  let work: string
  let host: Netns
  let bridge: BridgeProcess | undefined
  const devices = new Map<string, { ns: Netns; device: UartDevice }>()
  const savedXdg = process.env.XDG_CONFIG_HOME
  const socketOf = (d: Spec): string => join(work, `${d.name}.sock`)
  const leaseFile = (): string => join(work, 'config', 'tunscope', 'leases.json')

  const startDevice = async (d: Spec): Promise<void> => {
    const ns = await createNamespace(`tsmd${d.name.slice(0, 2)}`)
    const device = await startUartDevice(ns, socketOf(d), { ip: '', mac: d.mac })
    devices.set(d.name, { ns, device })
  }

  /** The bridge with these devices, --dhcp from FIRST_IP; resolves once every link is up. */
  const startDhcpBridge = async (specs: Spec[]): Promise<BridgeProcess> => {
    const b = startBridge(host, ['--tun', 'tun0', '--dhcp', '--dhcp-lease', '600', '--device-ip', FIRST_IP, ...specs.flatMap((d) => ['--socket', `${d.name}=${socketOf(d)}`])])
    await b.waitFor((s) => s.devices.length === specs.length && s.devices.every((d) => d.link.status === 'connected'), 15_000, 'the links to the devices')
    return b
  }

  /** The device forgets any address and runs udhcpc on its TAP; resolves with the address it was given and applied. */
  const takeLease = async (d: Spec): Promise<string> => {
    const { ns, device } = devices.get(d.name)!
    await sleep(Math.max(0, device.startupDiscardUntil - Date.now())) // the firmware ignores its UART for its first second
    await ns.exec('ip', ['addr', 'flush', 'dev', 'tap0'], { check: true })
    const r = await ns.exec('busybox', ['udhcpc', '-i', 'tap0', '-f', '-n', '-q', '-t', '5', '-T', '2', '-s', join(work, 'udhcpc.sh')], { timeoutMs: 30_000 })
    expect(r.code, `${d.name}: udhcpc ${r.stderr}`).toBe(0)
    const m = /lease of (\S+) obtained from (\S+), lease time 600/.exec(r.stderr)
    expect(m, r.stderr).not.toBeNull()
    expect(m![2]).toBe(HOST_IP)
    const shown = await ns.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'tap0'], { check: true })
    expect(shown.stdout).toContain(`inet ${m![1]}/24`)
    return m![1]!
  }

  const leasesOnFile = (): { mac: string; ip: string }[] => (JSON.parse(readFileSync(leaseFile(), 'utf8')) as { leases: { mac: string; ip: string }[] }).leases

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-several-dhcp-'))
    process.env.XDG_CONFIG_HOME = join(work, 'config') // the bridge inherits it: leases.json goes there, not to ~/.config
    writeFileSync(join(work, 'udhcpc.sh'), [
      '#!/bin/sh',
      '[ "$1" = bound ] || [ "$1" = renew ] || exit 0',
      'ip addr flush dev "$interface"',
      'ip addr add "$ip/$mask" dev "$interface"',
      ''
    ].join('\n'), { mode: 0o755 })
    host = await createNamespace('tsmdhost')
    await Promise.all([startDevice(A), startDevice(B), startDevice(C)])
  }, 60_000)

  afterAll(async () => {
    await bridge?.stop().catch(() => undefined)
    await destroyAll()
    if (savedXdg === undefined) delete process.env.XDG_CONFIG_HOME
    else process.env.XDG_CONFIG_HOME = savedXdg
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('two devices get distinct addresses from --device-ip up, are pinged there, and leases.json holds both MACs', async () => {
    expect(existsSync(leaseFile())).toBe(false)
    bridge = await startDhcpBridge([A, B])
    expect(await takeLease(A)).toBe(A.ip)
    expect(await takeLease(B)).toBe(B.ip)
    for (const d of [A, B]) {
      await pingUntilAnswered(host, d.ip)
      await expectAllPingsAnswered(host, d.ip)
    }
    const stats = await bridge.waitFor((s) => [A, B].every((d) => deviceIn(s, d.name).device.ipv4 === d.ip), 5_000, 'both devices at their leased address')
    for (const d of [A, B]) {
      expect(deviceIn(stats, d.name).device).toEqual({ mac: d.mac, ipv4: d.ip, conflict: null })
      expect(deviceIn(stats, d.name).dhcp, d.name).toMatchObject({ offers: 1, acks: 1, naks: 0 })
    }
    expect(stats.leases).toMatchObject({ file: leaseFile(), count: 2, problem: null })
    expect(leasesOnFile()).toEqual(expect.arrayContaining([{ mac: A.mac, ip: A.ip }, { mac: B.mac, ip: B.ip }]))
    expect(leasesOnFile()).toHaveLength(2)
  })

  it('after the bridge restarts, each asks again (in the other order) and gets its address back; a new MAC gets the next one', async () => {
    const { code } = await bridge!.stop('SIGINT')
    expect(code).toBe(0)
    bridge = await startDhcpBridge([A, B, C])
    // The newcomer first and the others in reverse: a pool that forgot would hand out FIRST_IP again.
    expect(await takeLease(C)).toBe(C.ip)
    expect(await takeLease(B)).toBe(B.ip)
    expect(await takeLease(A)).toBe(A.ip)
    for (const d of [A, B, C]) {
      await pingUntilAnswered(host, d.ip)
      await expectAllPingsAnswered(host, d.ip)
    }
    const stats = await bridge.waitFor((s) => [A, B, C].every((d) => deviceIn(s, d.name).device.ipv4 === d.ip), 5_000, 'the three devices at their leased address')
    for (const d of [A, B, C]) expect(deviceIn(stats, d.name).device).toEqual({ mac: d.mac, ipv4: d.ip, conflict: null })
    expect(stats.leases).toMatchObject({ count: 3, problem: null })
    expect(leasesOnFile()).toEqual(expect.arrayContaining([{ mac: A.mac, ip: A.ip }, { mac: B.mac, ip: B.ip }, { mac: C.mac, ip: C.ip }]))
    expect(leasesOnFile()).toHaveLength(3)
  })
})
