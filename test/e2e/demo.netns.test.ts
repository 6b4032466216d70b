// `tunscope demo` against the real bridge: both run in a host namespace, the
// bridge with its TUN, the demo device serving the UART socket as QEMU would.
// Everything the host sends reaches the device through the TUN and the UART.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { fillPattern } from '../../src/demo/apps/bytePattern.js'
import { NET_TOOL, startBridge, startDemoDevice, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

const DEVICE_IP = '192.168.100.2'
const LINE_BYTES_PER_SECOND = 115_200 / 10

describe.skipIf(skipNetns)('tunscope demo behind tunscope bridge', () => {
  let host: Netns
  let bridge: BridgeProcess
  let work: string
  let socket: string
  let demo: ChildProcess

  const node = (args: string[], timeoutMs = 120_000) => host.exec(process.execPath, [NET_TOOL, ...args], { timeoutMs })
  const ping = (args: string[]) => host.exec('ping', ['-n', '-q', ...args, DEVICE_IP], { timeoutMs: 30_000 })
  const curl = (path: string, out = '/dev/null') =>
    host.exec('curl', ['-sS', '--max-time', '60', '-o', out, '-w', '%{http_code} %{size_download} %{speed_download}', `http://${DEVICE_IP}${path}`], { timeoutMs: 90_000 })

  /** Starts `tunscope demo` and waits until the bridge is connected to it and its quiet first second is over. */
  async function startDemo(args: string[]): Promise<void> {
    const before = bridge?.latest()?.counters.reconnects ?? -1
    demo = (await startDemoDevice(host, socket, args)).child
    if (bridge) await bridge.waitFor((s) => s.link.status === 'connected' && s.counters.reconnects > before, 15_000, 'the bridge to reconnect')
  }

  async function stopDemo(): Promise<void> {
    const exited = new Promise((resolve) => demo.once('exit', resolve))
    demo.kill('SIGTERM')
    await exited
  }

  const quietSecond = () => new Promise((resolve) => setTimeout(resolve, 1200))

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-demo-'))
    socket = join(work, 'uart.sock')
    host = await createNamespace('tsdemo')
    await startDemo(['--baud', '0'])
    bridge = startBridge(host, ['--socket', socket, '--tun', 'tun0'])
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 15_000, 'the UART link')
    await quietSecond()
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('answers ping, learned by the bridge as 02:00:00:00:00:02', async () => {
    const r = await ping(['-c', '3', '-i', '0.2', '-W', '2'])
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
    const stats = await bridge.waitFor((s) => s.device.ipv4 === DEVICE_IP)
    expect(stats.device.mac).toBe('02:00:00:00:00:02')
  })

  it('answers full-size pings: 1486-byte IP packets, 1500-byte frames', async () => {
    const r = await ping(['-c', '3', '-i', '0.2', '-W', '2', '-s', '1458', '-M', 'do'])
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
  })

  it('serves its status page and /bytes/N exactly over HTTP', async () => {
    const page = join(work, 'page.html')
    expect((await curl('/', page)).stdout).toMatch(/^200 /)
    expect(readFileSync(page, 'utf8')).toMatch(/ESP32 demo device[\s\S]*Pings answered/)
    const file = join(work, 'bytes.bin')
    const r = await curl('/bytes/300000', file)
    expect(r.stdout).toMatch(/^200 300000 /)
    const expected = new Uint8Array(300_000)
    fillPattern(expected, 0)
    expect(Buffer.compare(readFileSync(file), expected)).toBe(0)
    expect((await curl('/nothing-here')).stdout).toMatch(/^404 /)
  })

  it('serves 40 requests back to back (each a new connection it closes first, so each leaves one in TIME-WAIT)', async () => {
    const urls = Array.from({ length: 40 }, () => `http://${DEVICE_IP}/`)
    const r = await host.exec('curl', ['-sS', '--max-time', '60', '-w', '%{http_code}\\n', ...urls.flatMap((url) => ['-o', '/dev/null', url])], { timeoutMs: 90_000 })
    expect(r.stdout.trim().split('\n')).toEqual(Array(40).fill('200'))
  })

  it('echoes 2 MB of TCP intact while it is sent (both ways at once)', async () => {
    const r = await node(['tcp-echo-client', DEVICE_IP, '7', String(2 * 1024 * 1024)])
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, received: 2 * 1024 * 1024 })
  })

  it('echoes UDP datagrams of every size up to the MTU', async () => {
    const r = await node(['udp-echo-client', DEVICE_IP, '7', '60'])
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, echoed: 60 })
  })

  it('sends JSON telemetry to the gateway on UDP port 5000', async () => {
    const listen = `const s = require('node:dgram').createSocket('udp4'); s.on('message', (m, from) => { console.log(JSON.stringify({ from: from.address, reading: JSON.parse(m) })); process.exit(0) }); s.bind(5000)`
    const r = await host.exec(process.execPath, ['-e', listen], { timeoutMs: 10_000, check: true })
    const { from, reading } = JSON.parse(r.stdout)
    expect(from).toBe(DEVICE_IP)
    expect(reading).toMatchObject({ uptime_s: expect.any(Number), temp_c: expect.any(Number) })
  })

  it('puts each fault on the wire into its own bridge counter, and the link survives', async () => {
    await stopDemo()
    await startDemo(['--baud', '0', '--fault', 'junk,badLength,oversize', '--fault-every', '1'])
    const before = bridge.latest()!.counters
    // A desync episode ends at the next good record: pings keep them coming between faults.
    const pings = ping(['-c', '40', '-i', '0.2', '-W', '1'])
    const after = (await bridge.waitFor((s) => {
      const e = s.counters.framingErrors
      return e.implausible > before.framingErrors.implausible && e.zeroLength > before.framingErrors.zeroLength && e.tooLong > before.framingErrors.tooLong
    }, 15_000, 'one of each fault')).counters
    expect(after.bytesSkipped).toBeGreaterThanOrEqual(before.bytesSkipped + 48 + 2 + 1602)
    expect(after.reconnects).toBe(before.reconnects)
    // Only the odd ping may be lost: the bridge skips a good record that lands inside a fault while it hunts.
    expect((await pings).stdout).toMatch(/40 packets transmitted, (3[6-9]|40) received/)
  })

  it('works again after the demo device restarts', async () => {
    await stopDemo()
    await startDemo(['--baud', '0'])
    await quietSecond()
    const r = await ping(['-c', '3', '-i', '0.2', '-W', '2'])
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
    const echo = await node(['tcp-echo-client', DEVICE_IP, '7', String(256 * 1024)])
    expect(JSON.parse(echo.stdout)).toMatchObject({ ok: true })
    expect((await curl('/bytes/1000')).stdout).toMatch(/^200 1000 /)
  })

  it('paces its output like a real UART at 115200 baud (wide band: not a benchmark)', async () => {
    await stopDemo()
    await startDemo(['--baud', '115200'])
    await quietSecond()
    // The bridge's 1 s utilization of the line while it is full: never over 100 %
    // (rounded, as the status line and the app show it), and near it.
    const utilization: number[] = []
    let downloaded = false
    const watched = bridge.waitFor((s) => {
      utilization.push(s.rates.window1s.fromDevice.utilization)
      return downloaded
    }, 120_000, 'the stats after the download')
    const r = await curl('/bytes/65536')
    downloaded = true
    await watched
    const [status, size, speed] = r.stdout.split(' ').map(Number)
    expect([status, size]).toEqual([200, 65536])
    // 1446 payload bytes ride in each 1502-byte record: at most ~96 % of the line.
    const share = speed! / LINE_BYTES_PER_SECOND
    expect(share).toBeGreaterThan(0.5)
    expect(share).toBeLessThan(1)
    expect(Math.max(...utilization)).toBeLessThan(1.005)
    expect(Math.max(...utilization)).toBeGreaterThan(0.9)
  })
})
