// The bridge end to end: a host namespace runs `tunscope bridge` and its TUN;
// a device namespace's Linux kernel plays the firmware behind a TAP served
// over the UART socket by a fixture that keeps the firmware's wire rules.
import { spawnSync } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { BridgeProcess } from '../helpers/bridgeProcess.js'
import { startBridgedDevice, type BridgedDevice, type DeviceTraffic } from '../helpers/bridgedDevice.js'
import { destroyAll, pythonExecutable, requireNetns, skipNetns, type Netns, type UartDevice } from '../helpers/netns.js'

const DEVICE_IP = '192.168.100.2'
const HOST_IP = '192.168.100.1'

describe.skipIf(skipNetns)('tunscope bridge against a firmware-like device', () => {
  let host: Netns
  let dev: Netns
  let device: UartDevice
  let bridge: BridgeProcess
  let pcapPath: string
  let traffic: DeviceTraffic
  let bridged: BridgedDevice

  beforeAll(async () => {
    requireNetns()
    bridged = await startBridgedDevice({
      prefix: 'ts',
      servers: [['tcp-echo-server', '7'], ['tcp-source-server', '19', String(4 * 1024 * 1024)], ['http-server', '80'], ['udp-echo-server', '7']]
    })
    ;({ host, dev, device, bridge, pcapPath, traffic } = bridged)
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    bridged?.removeFiles()
  })

  it('configures the TUN with the firmware-safe MTU 1486', async () => {
    const stats = await bridge.waitFor((s) => s.tun !== null)
    expect(stats.tun).toMatchObject({ name: 'tun0', address: HOST_IP, prefixLength: 24, mtu: 1486, up: true, kind: 'tun' })
    expect(stats.tunWriteError).toBeNull()
  })

  it('answers ping, and the device learns the gateway by proxy ARP', async () => {
    await traffic.expectPingsAnswered()
    const neighbour = await dev.exec('ip', ['neigh', 'show', HOST_IP])
    expect(neighbour.stdout).toMatch(/lladdr 02:00:00:00:00:01/)
    const stats = await bridge.waitFor((s) => s.counters.proxyArpReplies > 0 && s.device.ipv4 === DEVICE_IP)
    expect(stats.device.mac).toBe('02:00:00:00:00:02')
  })

  it('carries full-size 1486-byte IP packets without fragmenting', async () => {
    await traffic.expectPingsAnswered(['-s', '1458', '-M', 'do'])
  })

  it('moves 4 MB of TCP each way at once, intact (echo)', async () => {
    await traffic.expectTcpEcho(4 * 1024 * 1024)
  })

  it('downloads 4 MB from the device intact', async () => {
    const r = await traffic.netTool(host, ['tcp-read-client', DEVICE_IP, '19', String(4 * 1024 * 1024)])
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true })
  })

  it('serves HTTP from the device', async () => {
    await traffic.expectHttp()
  })

  it('echoes UDP datagrams of every size up to the MTU', async () => {
    const r = await traffic.netTool(host, ['udp-echo-client', DEVICE_IP, '7', '60'])
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, echoed: 60 })
  })

  it('resynchronises after junk on the wire, counting every skipped byte, without losing the link', async () => {
    await traffic.expectJunkResync(bridge, device)
  })

  it('reconnects when the device restarts and carries traffic again', async () => {
    const before = (await bridge.waitFor(() => true)).counters
    await device.restart()
    await bridge.waitFor((s) => s.counters.reconnects > before.reconnects && s.link.status === 'connected', 15_000, 'the reconnect')
    await new Promise((r) => setTimeout(r, Math.max(0, device.startupDiscardUntil - Date.now())))
    await traffic.expectPingsAnswered()
    const echo = await traffic.netTool(host, ['udp-echo-client', DEVICE_IP, '7', '5']).catch(() => null)
    // The restarted device has no UDP echo server: only the link matters here.
    expect(echo).not.toBeUndefined()
  })

  it('drops and counts host packets too big for the device (what stalled the old 1500-byte MTU)', async () => {
    await traffic.expectTooBigDropped(bridge, 1486, 1500)
  })

  it('drops and counts frames of EtherTypes a TUN cannot carry', async () => {
    const before = (await bridge.waitFor(() => true)).counters
    // The device sends one LLDP frame (EtherType 0x88cc: chassis, port, TTL, end TLVs) out of its interface.
    const frame = '0180c200000e020000000002' + '88cc' + '020704020000000002' + '04050574617030' + '06020078' + '0000'
    const lldp = `import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("tap0", 0)); s.send(bytes.fromhex("${frame}").ljust(60, b"\\0"))`
    await dev.exec(pythonExecutable(), ['-c', lldp], { check: true })
    const after = (await bridge.waitFor((s) => s.counters.drops.otherEtherType > before.drops.otherEtherType, 5000, 'the EtherType drop')).counters
    expect(after.drops.otherEtherType - before.drops.otherEtherType).toBe(1)
    expect(after.bytesSkipped).toBe(before.bytesSkipped)
  })

  it('stops on SIGINT with final counters, removes the TUN it made and leaves a capture tshark reads', async () => {
    const { code, counters } = await bridge.stop('SIGINT')
    expect(code).toBe(0)
    expect(counters?.fromDevice.frames).toBeGreaterThan(1000)
    expect(counters?.toDevice.frames).toBeGreaterThan(1000)
    const links = await host.exec('ip', ['link', 'show'])
    expect(links.stdout).not.toMatch(/tun0/)

    const fields = spawnSync('tshark', ['-r', pcapPath, '-T', 'fields', '-e', 'frame.p2p_dir', '-e', '_ws.malformed', '-e', 'frame.comment'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    expect(fields.status, fields.stderr).toBe(0)
    const rows = fields.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'))
    expect(rows.length).toBe(counters!.fromDevice.frames + counters!.toDevice.frames + 1 /* the junk episode */)
    expect(rows.filter((r) => r[0] === '1').length).toBeGreaterThan(1000) // received: from the device
    expect(rows.filter((r) => r[0] === '0').length).toBeGreaterThan(1000) // sent: to the device
    expect(rows.filter((r) => r[1] !== '')).toEqual([])
    expect(rows.filter((r) => (r[2] ?? '').includes('UART framing error: length over the device limit'))).toHaveLength(1)
  })
})
