// Several devices on one bridge: `tunscope bridge --socket lwip=… --socket uart=… --socket guest=qemu:…`
// in a host namespace it shares with its TUN, and three devices of three kinds behind it, each on
// its own port:
//   lwip   the lwIP device (test/fixtures/lwip), esp32 framing, 192.168.100.2, 02:00:00:00:00:02
//   uart   a Linux namespace behind a TAP (test/fixtures/uart_device.py), esp32, .3, 02:00:00:00:00:03
//   guest  a real QEMU guest's e1000 on -netdev stream, qemu framing, .4, 52:54:00:00:00:04
// None is given its address on the command line: the bridge learns each from its frames. The
// host reaches each through the one TUN (ping, HTTP, TCP echo to two at once); the guest reaches
// the others through the bridge alone (the host namespace does not forward IP); one device
// restarts while the others keep answering; each device's counters and capture interface hold
// its own traffic; and a device restarted with another's MAC is reported as a conflict.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { BridgeStats } from '../../src/engine/bridge.js'
import { NET_TOOL, startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { requireLwipDevice, skipLwipDevice, startLwipDevice, type LwipDevice, type LwipDeviceOptions } from '../helpers/lwipDevice.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'
import { bootGuest, configureGuestNic, killAllGuests, requireGuest, skipGuest, type Guest } from '../helpers/qemuGuest.js'
import {
  deviceIn, expectAllPingsAnswered, expectTotalsAreTheSum, followFinalLine, freshStats, linkPackets, pingCount, pingUntilAnswered, sleep, startPinging, type FinalLine
} from '../helpers/severalDevices.js'

const HOST_IP = '192.168.100.1'
const LWIP = { name: 'lwip', ip: '192.168.100.2', mac: '02:00:00:00:00:02' }
const UART = { name: 'uart', ip: '192.168.100.3', mac: '02:00:00:00:00:03' }
const GUEST = { name: 'guest', ip: '192.168.100.4', mac: '52:54:00:00:00:04' }
const BOOT_MS = 180_000 // a guest boots in ~8 s on an idle machine, 15-35 s on a loaded one
const KIB = 1024

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe.skipIf(skipNetns || skipLwipDevice || skipGuest)('tunscope bridge with three devices on one TUN: lwIP (esp32), a Linux netns (esp32) and a QEMU guest (qemu)', () => {
  let work: string
  let host: Netns
  let dev: Netns
  let lwip: LwipDevice
  let uart: UartDevice
  let guest: Guest
  let bridge: BridgeProcess
  let finalLine: () => FinalLine | undefined
  let pcapPath: string
  let guestBlobSha = ''
  const lwipSocket = (): string => join(work, 'lwip.sock')
  const startLwip = (o: LwipDeviceOptions = {}): Promise<LwipDevice> => startLwipDevice(lwipSocket(), { ns: host, ip: `${LWIP.ip}/24`, mac: LWIP.mac, ...o })
  const curl = (url: string, file: string) =>
    host.exec('curl', ['-sS', '--max-time', '30', '-o', join(work, file), '-w', '%{http_code} %{size_download}', url], { timeoutMs: 40_000 })

  beforeAll(async () => {
    requireNetns()
    requireLwipDevice()
    requireGuest()
    work = mkdtempSync(join(tmpdir(), 'tunscope-several-'))
    pcapPath = join(work, 'capture.pcapng')
    host = await createNamespace('tsmhost')
    dev = await createNamespace('tsmdev')
    const uartSocket = join(work, 'uart.sock')
    const guestSocket = join(work, 'guest.sock')
    // The bridge first: it retries each socket until its device serves it.
    bridge = startBridge(host, ['--tun', 'tun0', '--pcap', pcapPath, '--socket', `${LWIP.name}=${lwipSocket()}`, '--socket', `${UART.name}=${uartSocket}`, '--socket', `${GUEST.name}=qemu:${guestSocket}`])
    finalLine = followFinalLine(bridge)
    const booting = bootGuest({ name: 'tsmguest', ns: host, nic: { kind: 'stream', socketPath: guestSocket, server: true }, mac: GUEST.mac, bootTimeoutMs: BOOT_MS - 30_000 })
    ;[lwip, uart] = await Promise.all([startLwip(), startUartDevice(dev, uartSocket, { ip: `${UART.ip}/24`, mac: UART.mac })])
    guest = await booting
    console.log(`[severalDevices] guest booted in ${guest.bootMs} ms`)
    await bridge.waitFor((s) => s.devices.length === 3 && s.devices.every((d) => d.link.status === 'connected'), 30_000, 'the links to the three devices')
    await configureGuestNic(guest, `${GUEST.ip}/24`)
    const blob = await guest.runOk('mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/blob bs=1k count=300 2>/dev/null && httpd -p 80 -h /tmp/www && sha256sum < /tmp/www/blob')
    guestBlobSha = blob.split(/\s/)[0]!
    // The firmware-like device ignores its UART for its first second.
    await sleep(Math.max(0, uart.startupDiscardUntil - Date.now()))
    for (const server of [['tcp-echo-server', '7'], ['http-server', '80']]) {
      const child = dev.spawn(process.execPath, [NET_TOOL, ...server])
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve())
        child.on('exit', (code) => reject(new Error(`net_tool ${server[0]} exited with ${code}`)))
      })
    }
  }, BOOT_MS)

  afterAll(async () => {
    await killAllGuests()
    await lwip?.stop().catch(() => undefined)
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('names each device and its framing; nothing tells the bridge their addresses, so the TUN is sized for the smallest link', async () => {
    const stats = await bridge.waitFor((s) => s.tun !== null)
    expect(stats.devices.map((d) => [d.name, d.framing, d.payload])).toEqual([['lwip', 'esp32', 'ethernet'], ['uart', 'esp32', 'ethernet'], ['guest', 'qemu', 'ethernet']])
    expect(stats.tun).toMatchObject({ name: 'tun0', address: HOST_IP, prefixLength: 24, mtu: 1486, up: true, kind: 'tun' })
  })

  it('each device answers ping from the host at the address it showed, and serves HTTP', async () => {
    // The host's first packet to a device not heard from yet may be lost while the bridge asks who has the address.
    for (const d of [LWIP, UART, GUEST]) await pingUntilAnswered(host, d.ip)
    const stats = await bridge.waitFor((s) => [LWIP, UART, GUEST].every((d) => deviceIn(s, d.name).device.ipv4 === d.ip), 5_000, 'each device learned')
    for (const d of [LWIP, UART, GUEST]) expect(deviceIn(stats, d.name).device).toEqual({ mac: d.mac, ipv4: d.ip, conflict: null })
    await Promise.all([LWIP, UART, GUEST].map((d) => expectAllPingsAnswered(host, d.ip, 5)))

    // lwIP and net_tool serve the same bytes for /bytes/N; the guest's busybox httpd a random file.
    expect((await curl(`http://${LWIP.ip}/bytes/200000`, 'from-lwip')).stdout).toBe('200 200000')
    expect((await curl(`http://${UART.ip}/bytes/200000`, 'from-uart')).stdout).toBe('200 200000')
    expect(readFileSync(join(work, 'from-lwip')).equals(readFileSync(join(work, 'from-uart')))).toBe(true)
    expect((await curl(`http://${GUEST.ip}/blob`, 'from-guest')).stdout).toBe(`200 ${300 * KIB}`)
    expect(sha256(readFileSync(join(work, 'from-guest')))).toBe(guestBlobSha)
  })

  it('echoes 256 KiB of TCP from two devices at once, every byte checked', async () => {
    const echo = (ip: string) => host.exec(process.execPath, [NET_TOOL, 'tcp-echo-client', ip, '7', String(256 * KIB)], { timeoutMs: 60_000 })
    const [fromLwip, fromUart] = await Promise.all([echo(LWIP.ip), echo(UART.ip)])
    expect(JSON.parse(fromLwip.stdout)).toMatchObject({ ok: true, received: 256 * KIB })
    expect(JSON.parse(fromUart.stdout)).toMatchObject({ ok: true, received: 256 * KIB })
  })

  it('the guest pings the other devices through the bridge alone: the host namespace does not forward IP, and its TUN sees none of it', async () => {
    expect((await host.exec('sysctl', ['-n', 'net.ipv4.ip_forward'], { check: true })).stdout.trim()).toBe('0')
    // The bridge switches between devices by the addresses they have shown: make sure the targets have.
    for (const d of [UART, LWIP]) await pingUntilAnswered(host, d.ip)
    const before = await freshStats(bridge)
    const tunBefore = await linkPackets(host, 'tun0')
    const PINGS = 10
    for (const d of [UART, LWIP]) {
      const out = await guest.runOk(`ping -c ${PINGS} -i 0.2 -W 2 ${d.ip}`, { timeoutMs: 30_000 })
      expect(out, `guest → ${d.name}`).toMatch(new RegExp(`${PINGS} packets transmitted, ${PINGS} packets received`))
    }
    const tunAfter = await linkPackets(host, 'tun0')
    const after = await freshStats(bridge)
    // 40 echo requests and replies went between the devices; had the bridge handed them to the host, the
    // TUN would have taken them in (and the host, not forwarding, would have dropped them).
    expect(tunAfter.rx - tunBefore.rx).toBeLessThan(PINGS)
    const delta = (name: string, pick: (s: BridgeStats['devices'][number]) => number): number => pick(deviceIn(after, name)) - pick(deviceIn(before, name))
    expect(delta(GUEST.name, (d) => d.counters.fromDevice.frames)).toBeGreaterThanOrEqual(2 * PINGS)
    expect(delta(GUEST.name, (d) => d.counters.toDevice.frames)).toBeGreaterThanOrEqual(2 * PINGS)
    for (const d of [UART, LWIP]) {
      expect(delta(d.name, (s) => s.counters.toDevice.frames), d.name).toBeGreaterThanOrEqual(PINGS)
      expect(delta(d.name, (s) => s.counters.fromDevice.frames), d.name).toBeGreaterThanOrEqual(PINGS)
    }
    // The guest learned the other devices' addresses by the bridge's proxy ARP: at the gateway's MAC.
    expect(await guest.runOk(`ip neigh show ${UART.ip}`)).toMatch(/lladdr 02:00:00:00:00:01/)
  })

  it('one device restarts (killed, started again on its socket) while the others answer every ping; then it answers again', async () => {
    const before = await freshStats(bridge)
    const others = [UART, GUEST].map((d) => ({ d, pinging: startPinging(host, d.ip) }))
    await sleep(1000)
    lwip.child.kill('SIGKILL')
    await lwip.stop().catch(() => undefined) // a killed device prints no counters
    await bridge.waitFor((s) => deviceIn(s, LWIP.name).link.status !== 'connected', 10_000, 'lwip gone')
    expect((await pingCount(host, LWIP.ip, 1)).received).toBe(0)
    lwip = await startLwip()
    const back = await bridge.waitFor((s) => deviceIn(s, LWIP.name).link.status === 'connected' && deviceIn(s, LWIP.name).counters.reconnects > deviceIn(before, LWIP.name).counters.reconnects, 15_000, 'lwip reconnected')
    expect(deviceIn(back, LWIP.name).counters.reconnects).toBe(deviceIn(before, LWIP.name).counters.reconnects + 1)
    await sleep(1000)
    for (const { d, pinging } of others) {
      const r = await pinging.stop()
      // Every ping answered, but the one the stop may have caught in flight.
      expect(r.transmitted, `${d.name}: ${r.output}`).toBeGreaterThanOrEqual(15)
      expect(r.unanswered.filter((seq) => seq !== r.transmitted), `${d.name} unanswered during the restart: ${r.output}`).toEqual([])
    }
    await pingUntilAnswered(host, LWIP.ip)
    await expectAllPingsAnswered(host, LWIP.ip, 5)
    const after = await freshStats(bridge)
    for (const d of [UART, GUEST]) expect(deviceIn(after, d.name).counters.reconnects, d.name).toBe(deviceIn(before, d.name).counters.reconnects)
    expect(deviceIn(after, LWIP.name).device).toEqual({ mac: LWIP.mac, ipv4: LWIP.ip, conflict: null })
  })

  it("each device's counters move for its own traffic, and the totals are their sum", async () => {
    const PINGS = 30
    for (const target of [LWIP, UART, GUEST]) {
      const before = await freshStats(bridge)
      const r = await pingCount(host, target.ip, PINGS, 0.05)
      expect(r.received, r.output).toBe(PINGS)
      const after = await freshStats(bridge)
      for (const d of [LWIP, UART, GUEST]) {
        const toDevice = deviceIn(after, d.name).counters.toDevice.frames - deviceIn(before, d.name).counters.toDevice.frames
        const fromDevice = deviceIn(after, d.name).counters.fromDevice.frames - deviceIn(before, d.name).counters.fromDevice.frames
        if (d === target) {
          expect(toDevice, `${d.name} pinged`).toBeGreaterThanOrEqual(PINGS)
          expect(fromDevice, `${d.name} pinged`).toBeGreaterThanOrEqual(PINGS)
        } else {
          expect(toDevice, `${d.name} while ${target.name} is pinged`).toBeLessThan(PINGS / 3)
          expect(fromDevice, `${d.name} while ${target.name} is pinged`).toBeLessThan(PINGS / 3)
        }
      }
      expectTotalsAreTheSum(after)
    }
  })

  it("a device restarted with another's MAC is a conflict: each names the other, and the bridge says so on stderr", async () => {
    await lwip.stop()
    await bridge.waitFor((s) => deviceIn(s, LWIP.name).link.status !== 'connected', 10_000, 'lwip gone')
    lwip = await startLwip({ mac: UART.mac })
    await bridge.waitFor((s) => deviceIn(s, LWIP.name).link.status === 'connected', 15_000, 'lwip reconnected')
    await pingUntilAnswered(host, LWIP.ip)
    const stats = await bridge.waitFor((s) => deviceIn(s, LWIP.name).device.conflict !== null && deviceIn(s, UART.name).device.conflict !== null, 5_000, 'the conflict')
    expect(deviceIn(stats, LWIP.name).device).toMatchObject({ mac: UART.mac, ipv4: LWIP.ip })
    expect(deviceIn(stats, LWIP.name).device.conflict).toMatch(new RegExp(`^same MAC ${UART.mac} as ${UART.name}\\b`))
    expect(deviceIn(stats, UART.name).device.conflict).toMatch(new RegExp(`^same MAC ${UART.mac} as ${LWIP.name}\\b`))
    expect(deviceIn(stats, GUEST.name).device.conflict).toBeNull()
    expect(bridge.stderr()).toMatch(new RegExp(`${LWIP.name}: device ${UART.mac} ${LWIP.ip.replace(/\./g, '\\.')} — conflict: same MAC`))
    expect(bridge.stderr()).toMatch(new RegExp(`${UART.name}: device ${UART.mac} ${UART.ip.replace(/\./g, '\\.')} — conflict: same MAC`))
    // Each is still reached at its own address (the host routes by address, each on its own port).
    await expectAllPingsAnswered(host, LWIP.ip)
    await expectAllPingsAnswered(host, UART.ip)
  })

  it('stops with a final line per device, and a pcapng with one interface per device, named, each holding its own frames', async () => {
    const { code } = await bridge.stop('SIGINT')
    expect(code).toBe(0)
    const final = finalLine()
    expect(final?.devices.map((d) => d.name)).toEqual([LWIP.name, UART.name, GUEST.name])
    expectTotalsAreTheSum(final!)

    const t = spawnSync('tshark', ['-r', pcapPath, '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.interface_id', '-e', 'frame.interface_name', '-e', 'ip.src', '-e', 'ip.dst', '-e', '_ws.malformed'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    expect(t.status, t.stderr).toBe(0)
    const rows = t.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'))
    expect(rows.filter((r) => r[4] !== '')).toEqual([])
    expect([...new Set(rows.map((r) => `${r[0]} ${r[1]}`))].sort()).toEqual([`0 ${LWIP.name}`, `1 ${UART.name}`, `2 ${GUEST.name}`])
    for (const d of [LWIP, UART, GUEST]) {
      const mine = rows.filter((r) => r[1] === d.name)
      const counters = final!.devices.find((f) => f.name === d.name)!.counters
      // Every frame the device sent or was sent, and nothing else, on its interface.
      expect(mine.length, d.name).toBe(counters.fromDevice.frames + counters.toDevice.frames)
      // Every unicast IPv4 frame there is to or from the device.
      const unicast = mine.filter((r) => r[2] && r[3] && !/\.255$|^2(2[4-9]|3\d)\./.test(r[3]))
      expect(unicast.length, d.name).toBeGreaterThan(60)
      expect(unicast.filter((r) => r[2] !== d.ip && r[3] !== d.ip), d.name).toEqual([])
    }
  })
})
