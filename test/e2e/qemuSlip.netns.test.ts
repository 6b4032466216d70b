// `tunscope bridge --framing slip --payload ip` against a real Linux kernel's SLIP: a QEMU
// guest (test/helpers/qemuGuest.ts) puts its second serial port into N_SLIP (sl0), as
// `slattach` would, and QEMU connects that port to a unix socket as a client
// (`-serial unix:PATH`), as Zephyr's QEMU boards do: `tunscope bridge --listen` on that
// path is the whole host end, with no socat loop. The guest has the bridge's default
// device address on sl0, the host's TUN address as its peer; the bridge's --json counters
// must show the traffic with no framing error and no drop. QEMU and the bridge run in a
// namespace this file creates. One guest; a boot takes ~6 s on an idle machine.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { deviceTraffic, type DeviceTraffic } from '../helpers/bridgedDevice.js'
import { createNamespace, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { bootGuest, requireGuest, skipGuest, type Guest } from '../helpers/qemuGuest.js'

const DEVICE_IP = '192.168.100.2' // the bridge's default --device-ip
const HOST_IP = '192.168.100.1'
const BOOT_MS = 180_000 // ~6 s on an idle machine, 15-35 s on a loaded one
/** Linux SLIP's default MTU is 296; the guest raises it to what the bridge's TUN takes. */
const SLIP_MTU = 1500

describe.skipIf(skipNetns || skipGuest)('tunscope bridge --framing slip --payload ip ↔ a real guest kernel\'s SLIP (QEMU -serial unix:, the bridge --listens)', () => {
  let ns: Netns
  let work: string
  let guest: Guest
  let bridge: BridgeProcess
  let traffic: DeviceTraffic
  let pcapPath: string

  /** The guest's ttyS1 in N_SLIP as sl0, addressed point-to-point to the host. */
  async function attachSlip(): Promise<void> {
    expect(await guest.runOk('slip_attach /dev/ttyS1')).toBe('sl0\n')
    await guest.runOk(`ip addr add ${DEVICE_IP} peer ${HOST_IP} dev sl0 && ip link set sl0 mtu ${SLIP_MTU} up`)
  }

  beforeAll(async () => {
    requireNetns()
    requireGuest()
    work = mkdtempSync(join(tmpdir(), 'tunscope-slip-'))
    ns = await createNamespace('tsslip')
    // The link is IPv4 only. Without this the TUN's IPv6 router solicitations reach ttyS1 while it
    // is still an ordinary terminal (before slip_attach), whose echo the bridge rightly counts as a bad frame.
    for (const key of ['all', 'default']) await ns.exec('sysctl', ['-qw', `net.ipv6.conf.${key}.disable_ipv6=1`], { check: true })
    const socketPath = join(work, 'slip.sock')
    pcapPath = join(work, 'slip.pcapng')
    // The bridge first: it listens, and QEMU's -serial unix: connects to it.
    bridge = startBridge(ns, ['--framing', 'slip', '--payload', 'ip', '--listen', '--socket', socketPath, '--tun', 'tun0', '--pcap', pcapPath])
    guest = await bootGuest({ name: 'slip', ns, slip: { socketPath, server: false }, bootTimeoutMs: BOOT_MS - 30_000 })
    console.log(`[qemuSlip] guest booted in ${guest.bootMs} ms`)
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 30_000, 'the link to QEMU')
    await attachSlip()
    traffic = deviceTraffic(ns, DEVICE_IP)
  }, BOOT_MS)

  afterAll(async () => {
    await guest?.kill()
    await bridge?.stop()
    await ns?.destroy()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('gives the TUN the MTU a bare-IP link takes: --max-frame with no Ethernet header to subtract', async () => {
    const stats = await bridge.waitFor((s) => s.tun !== null)
    expect(stats).toMatchObject({ framing: 'slip', payload: 'ip', tun: { mtu: 1500 } })
  })

  it('answers pings both ways, and full-MTU ones, with no framing error', async () => {
    await traffic.expectPingsAnswered()
    await traffic.expectPingsAnswered(['-s', String(SLIP_MTU - 28)])
    const r = await guest.run(`ping -c 3 -W 2 ${HOST_IP}`, { timeoutMs: 20_000 })
    expect(r.output).toMatch(/3 packets transmitted, 3 packets received/)
    const { counters, device } = await bridge.waitFor((s) => s.counters.fromDevice.frames >= 9)
    expect(counters.framingErrors).toEqual({ zeroLength: 0, tooLong: 0, tooShort: 0, implausible: 0, cutByDisconnect: 0, slipEscape: 0 })
    expect(counters.bytesSkipped).toBe(0)
    expect(device).toEqual({ mac: null, ipv4: DEVICE_IP, conflict: null }) // a SLIP link has no MAC; the address is learned
  }, 60_000)

  it('carries TCP both ways intact: 200 kB to an echo server in the guest and back', async () => {
    // busybox nc in the guest runs cat on each connection; the host's client checks every byte that comes back.
    await guest.runOk("nc -l -p 5001 -e cat & for i in $(seq 100); do netstat -ltn | grep -q :5001 && break; sleep 0.1; done; netstat -ltn | grep -q :5001")
    const r = await traffic.netTool(ns, ['tcp-echo-client', DEVICE_IP, '5001', '200000'], 120_000)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, received: 200_000 })
    const { counters } = await bridge.waitFor(() => true)
    expect(counters.drops).toMatchObject({ tooBigForDevice: 0, tunWriteError: 0, notIp: 0, noLink: 0 })
  }, 150_000)

  it('captures bare IP under the raw-IP link type: tshark reads IPv4 and ICMP, nothing malformed', async () => {
    await traffic.expectPingsAnswered()
    const { code, counters } = await bridge.stop()
    expect(code).toBe(0)
    expect(counters?.fromDevice.frames).toBeGreaterThan(0)
    const fields = spawnSync('tshark', ['-r', pcapPath, '-T', 'fields', '-E', 'separator=|', '-e', 'frame.interface_id', '-e', 'ip.src', '-e', '_ws.col.Protocol', '-e', '_ws.malformed'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    expect(fields.status, fields.stderr).toBe(0)
    const rows = fields.stdout.trim().split('\n').map((line) => line.split('|'))
    expect(rows.length).toBeGreaterThan(20)
    // One device: one interface (0), of the raw-IP link type.
    expect(rows.every(([iface, , , malformed]) => iface === '0' && malformed === '')).toBe(true)
    expect(rows.some(([, src, protocol]) => src === DEVICE_IP && protocol === 'ICMP')).toBe(true)
    const linkTypes = spawnSync('capinfos', ['-E', pcapPath], { encoding: 'utf8' })
    expect(linkTypes.stdout).toMatch(/Raw IP/)
  }, 60_000)

  it('takes the guest back after QEMU restarts (a new connection to the listening bridge)', async () => {
    bridge = startBridge(ns, ['--framing', 'slip', '--payload', 'ip', '--listen', '--socket', join(work, 'slip.sock'), '--tun', 'tun0'])
    await bridge.waitFor((s) => s.tun !== null, 30_000, 'the TUN')
    await guest.restart()
    await bridge.waitFor((s) => s.link.status === 'connected', 30_000, 'QEMU connecting again')
    await attachSlip()
    await traffic.expectPingsAnswered()
  }, BOOT_MS)
})
