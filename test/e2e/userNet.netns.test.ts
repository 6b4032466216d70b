// `tunscope bridge --user-net`: no TUN; the host side is Debian's passt or QEMU's libslirp
// (--user-net-engine), which the bridge starts with the link's addresses and the forwards. The firmware-like fixture (ESP32 framing,
// a Linux TAP behind it, 1500-byte frames both ways) is reached through forwarded host ports,
// and reaches the host (its gateway address maps to the host's loopback) and an "internet"
// namespace through passt's NAT. passt needs an interface with a default route: the bridge's
// namespace has a veth to the internet one (test/helpers/internetNamespace.ts).
import type { ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, startDemoDevice, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { deviceTraffic, type DeviceTraffic } from '../helpers/bridgedDevice.js'
import { createInternetNamespaces, nobodyWithInternet, skipUserNet, skipUserNetEngine, type InternetNamespaces } from '../helpers/internetNamespace.js'
import { createNamespace, destroyAll, requireNetns, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'
import { asNobody, NOBODY_UID, processCredentials } from '../cli/cliHelpers.js'

const DEVICE_IP = '192.168.100.2'
const GATEWAY_IP = '192.168.100.1'
/** What the device sends, unasked, to whoever connects to its port 9. */
const SPOKEN_FIRST = 1_000_000
for (const engine of ['passt', 'slirp'] as const) describe.skipIf(skipUserNetEngine(engine))(`tunscope bridge --user-net --user-net-engine ${engine} as nobody: no TUN`, () => {
  let world: InternetNamespaces
  let dev: Netns
  let device: UartDevice
  let bridge: BridgeProcess
  let traffic: DeviceTraffic
  let work: string
  let cli: { bin: string; cleanup(): void } | undefined

  beforeAll(async () => {
    ;({ cli, work, world } = await nobodyWithInternet(`tsun${engine[0]}`, engine))
    dev = await createNamespace(`tsundev${engine[0]}`)
    const socket = join(work, 'uart.sock')
    device = await startUartDevice(dev, socket)
    chmodSync(socket, 0o777) // as QEMU's socket would be the user's own
    // The device's way out is its gateway, the bridge's host address.
    await dev.exec('ip', ['route', 'add', 'default', 'via', GATEWAY_IP], { check: true })
    bridge = startBridge(asNobody(world.device), ['--user-net', '--user-net-engine', engine, '--forward', 'tcp:8080:80', '--forward', 'tcp:8007:7', '--forward', 'tcp:8099:99', '--forward', 'tcp:8009:9', '--socket', socket, '--pcap', join(work, 'capture.pcapng')], cli!.bin)
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tunStatus === 'up', 20_000, 'the device and passt')
    await new Promise((r) => setTimeout(r, Math.max(0, device.startupDiscardUntil - Date.now())))
    traffic = deviceTraffic(world.device, DEVICE_IP)
    await traffic.startServer(dev, ['http-server', '80'])
    await traffic.startServer(dev, ['tcp-echo-server', '7'])
    await traffic.startServer(dev, ['tcp-source-server', '9', String(SPOKEN_FIRST)])
  }, 60_000)

  afterAll(async () => {
    await bridge?.stop()
    await destroyAll()
    cli?.cleanup()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('runs as nobody with no capability, and makes no TUN or TAP: the namespace has only its loopback and the veth', async () => {
    expect(processCredentials(bridge.child.pid!)).toEqual({ uid: NOBODY_UID, capEff: 0n })
    const links = (await world.device.exec('ip', ['-o', 'link'], { check: true })).stdout
    expect(links).not.toMatch(/tun|tap/)
    // It says which network it is on, and never speaks of a TUN.
    expect(bridge.stderr()).toMatch(engine === 'passt' ? /user-mode network \(passt\) up: tcp 127\.0\.0\.1:8080 → device port 80/ : /user-mode network \(QEMU's libslirp\) up: tcp 127\.0\.0\.1:8080/)
    expect(bridge.stderr()).not.toMatch(/tun0/)
  })

  it("serves the device's HTTP on a forwarded host port", async () => {
    const r = await world.device.exec('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', 'http://127.0.0.1:8080/bytes/200000'])
    expect(r.stdout, r.stderr).toBe('200 200000')
  })

  it('counts the connections the device refuses on a forwarded port where nothing listens, and only there', async () => {
    const r = await world.device.exec('curl', ['-sS', '--max-time', '10', 'http://127.0.0.1:8099/'])
    expect(r.stdout).toBe('')
    const { userNet } = await bridge.waitFor((s) => (s.userNet?.forwards.find((f) => f.devicePort === 99)?.refusedByDevice ?? 0) > 0, 15_000, 'a refusal on port 99')
    expect(userNet!.forwards.map((f) => [f.devicePort, f.refusedByDevice > 0])).toEqual([[80, false], [7, false], [99, true], [9, false]])
  })

  it('echoes 256 KiB of TCP intact through a forward', async () => {
    const r = await traffic.netTool(world.device, ['tcp-echo-client', '127.0.0.1', '8007', String(256 * 1024)], 120_000)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, received: 256 * 1024 })
    const { counters } = await bridge.waitFor(() => true)
    expect(counters.drops.tooBigForDevice).toBe(0)
  }, 150_000)

  // passt sends a whole window at once and recovers poorly from loss: with frames dropped at a
  // full queue (either way), 4 MiB echoes stalled for good and downloads ended short.
  it('carries 4 MiB each way at full speed with nothing dropped: the slower side makes the other wait', async () => {
    const { drops: before, fromDevice } = (await bridge.waitFor(() => true)).counters
    const size = 4 * 1024 * 1024
    const get = await world.device.exec('curl', ['-sS', '--max-time', '60', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://127.0.0.1:8080/bytes/${size}`], { timeoutMs: 70_000 })
    expect(get.stdout, get.stderr).toBe(`200 ${size}`)
    const echo = await traffic.netTool(world.device, ['tcp-echo-client', '127.0.0.1', '8007', String(size)], 70_000)
    expect(JSON.parse(echo.stdout)).toMatchObject({ ok: true, received: size })
    // Stats once a second: wait for one that has both transfers in it.
    const after = await bridge.waitFor((s) => s.counters.fromDevice.bytes > fromDevice.bytes + 2 * size, 5_000, 'both transfers counted')
    const { drops } = after.counters
    expect(after.userNet).toMatchObject({ engine, streamErrors: 0 })
    expect({ backPressure: drops.backPressure - before.backPressure, toPasst: drops.tunWriteError - before.tunWriteError }).toEqual({ backPressure: 0, toPasst: 0 })
  }, 150_000)

  // Debian 12's passt does not ACK the device's SYN-ACK until the host side sends, so a device
  // that speaks first is reset after ~24 s (README); libslirp completes the handshake at once.
  if (engine === 'slirp') {
    it('forwards a connection on which the device speaks first (a sensor stream, a banner)', async () => {
      const r = await traffic.netTool(world.device, ['tcp-read-client', '127.0.0.1', '8009', String(SPOKEN_FIRST)], 60_000)
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, received: SPOKEN_FIRST })
    }, 90_000)
  }

  it('lets the device reach the internet namespace and the host (its gateway maps to the host loopback)', async () => {
    // The device asks the engine for its gateway's MAC itself (the bridge's probes may have taught
    // it before): libslirp's 64-byte ARP reply must reach it.
    await dev.exec('ip', ['neigh', 'flush', 'all'], { check: true })
    await traffic.startServer(world.internet, ['http-server', '80'])
    const out = await dev.exec('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${world.internetIp}/bytes/50000`])
    expect(out.stdout, out.stderr).toBe('200 50000')
    await traffic.startServer(world.device, ['http-server', '9090']) // on the host's loopback and every address
    const home = await dev.exec('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${GATEWAY_IP}:9090/bytes/1000`])
    expect(home.stdout, home.stderr).toBe('200 1000')
    expect((await bridge.waitFor(() => true)).userNet!.streamErrors).toBe(0)
  }, 60_000)
})

// The demo device's own small TCP/IP stack, paced at the firmware's 115 200 baud, behind passt: a
// forwarded connection at the firmware's pace. (This stack sizes its segments by its own MTU, so it
// does not show the need for the MSS clamp; test/engine/mssClamp.test.ts covers the clamp itself.)
describe.skipIf(skipUserNet)('the demo device at 115 200 baud behind tunscope bridge --user-net', () => {
  let world: InternetNamespaces
  let bridge: BridgeProcess
  let demo: ChildProcess
  let work: string

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-usernet-demo-'))
    const socket = join(work, 'uart.sock')
    world = await createInternetNamespaces('tsund')
    demo = (await startDemoDevice(world.device, socket, ['--baud', '115200'])).child
    bridge = startBridge(world.device, ['--user-net', '--forward', 'tcp:8081:80', '--socket', socket])
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tunStatus === 'up', 20_000, 'the demo and passt')
  }, 60_000)

  afterAll(async () => {
    await bridge?.stop()
    demo?.kill('SIGTERM')
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('serves its status page and 30 000 bytes through the forward, with nothing too big for its line', async () => {
    const page = await world.device.exec('curl', ['-sS', '--max-time', '30', 'http://127.0.0.1:8081/'], { timeoutMs: 40_000 })
    expect(page.stdout, page.stderr).toMatch(/ESP32 demo device/)
    const r = await world.device.exec('curl', ['-sS', '--max-time', '60', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', 'http://127.0.0.1:8081/bytes/30000'], { timeoutMs: 70_000 })
    expect(r.stdout, r.stderr).toBe('200 30000')
    const { counters } = await bridge.waitFor(() => true)
    expect(counters.drops.tooBigForDevice).toBe(0)
    expect(Object.values(counters.framingErrors).every((n) => n === 0)).toBe(true)
  }, 120_000)
})
