// `tunscope demo --framing X` behind `tunscope bridge --framing X`, for the
// framings other than the firmware's (demo.netns.test.ts covers that one): the
// demo device plays a QEMU NIC or a Zephyr SLIP device (Ethernet, or bare IP
// as without SLIP_TAP), and the host reaches it through the TUN as usual.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { FRAMING_ERROR_KINDS } from '../../src/engine/counters.js'
import { framingFor } from '../../src/engine/framing/index.js'
import { startBridge, startDemoDevice, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { deviceTraffic, type DeviceTraffic } from '../helpers/bridgedDevice.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

const DEVICE_IP = '192.168.100.2'

const CASES = [
  { prefix: 'tsdfq', framing: 'qemu', payload: 'ethernet' },
  { prefix: 'tsdfs', framing: 'slip', payload: 'ethernet' },
  { prefix: 'tsdfi', framing: 'slip', payload: 'ip' }
] as const

describe.skipIf(skipNetns).each(CASES)('tunscope demo --framing $framing --payload $payload behind tunscope bridge', ({ prefix, framing, payload }) => {
  const wire = ['--framing', framing, ...(framing === 'slip' ? ['--payload', payload] : [])]
  let host: Netns
  let bridge: BridgeProcess
  let work: string
  let demo: ChildProcess
  let traffic: DeviceTraffic

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), `tunscope-${prefix}-`))
    const socket = join(work, 'uart.sock')
    host = await createNamespace(prefix)
    traffic = deviceTraffic(host, DEVICE_IP)
    const started = await startDemoDevice(host, socket, ['--baud', '0', ...wire])
    demo = started.child
    expect(started.said()).toContain(`in ${framingFor(framing, payload).title} framing`)
    bridge = startBridge(host, [...wire, '--socket', socket, '--tun', 'tun0'])
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 15_000, 'the link to the demo device')
  }, 60_000)

  afterAll(async () => {
    demo?.kill('SIGTERM')
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('answers pings, full-size ones too', async () => {
    await traffic.expectPingsAnswered()
    // An MTU of 1500 on every one of these links: 1472 bytes of ICMP data.
    await traffic.expectPingsAnswered(['-s', '1472', '-M', 'do'])
    const stats = await bridge.waitFor((s) => s.device.ipv4 === DEVICE_IP, 5000, 'the device learned')
    if (payload === 'ethernet') expect(stats.device.mac).toBe(framingFor(framing, payload).defaultDeviceMac)
  })

  it('serves its status page and 200 000 bytes over HTTP', async () => {
    const page = join(work, 'page.html')
    const r = await host.exec('curl', ['-sS', '--max-time', '20', '-o', page, '-w', '%{http_code}', `http://${DEVICE_IP}/`], { timeoutMs: 30_000 })
    expect(r.stdout).toBe('200')
    expect(readFileSync(page, 'utf8')).toMatch(new RegExp(`ESP32 demo device[\\s\\S]*framing ${framing}/${payload}[\\s\\S]*Pings answered`))
    await traffic.expectHttp()
  })

  it('echoes 256 KiB of TCP intact', async () => {
    await traffic.expectTcpEcho(256 * 1024)
  })

  it('leaves the bridge with no framing error and nothing skipped', async () => {
    const { counters } = await bridge.waitFor(() => true)
    for (const kind of FRAMING_ERROR_KINDS) expect(counters.framingErrors[kind], kind).toBe(0)
    expect(counters.bytesSkipped).toBe(0)
    expect(counters.reconnects).toBe(0)
  })
})
