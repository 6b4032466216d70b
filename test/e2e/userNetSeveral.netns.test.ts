// Several devices on one user-mode network (QEMU's libslirp; passt serves one guest), as nobody:
// the lwIP firmware stand-in and a Linux stack behind one bridge. The bridge switches Ethernet
// frames by MAC: the engine's to the device they are for (broadcasts to all), and the devices'
// frames to each other without the engine. The forward reaches --device-ip's device.
import { chmodSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { nobodyWithInternet, skipUserNetEngine, type InternetNamespaces } from '../helpers/internetNamespace.js'
import { requireLwipDevice, skipLwipDevice, startLwipDevice, type LwipDevice } from '../helpers/lwipDevice.js'
import { createNamespace, destroyAll, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'
import { deviceIn, freshStats, pingCount, sleep } from '../helpers/severalDevices.js'
import { asNobody } from '../cli/cliHelpers.js'

const A = { name: 'lwip', mac: '02:00:00:00:00:0a', ip: '192.168.100.2' }
const B = { name: 'linux', mac: '02:00:00:00:00:0b', ip: '192.168.100.3' }
const FILE_BYTES = 200_000

describe.skipIf(skipUserNetEngine('slirp') || skipLwipDevice)('several devices behind tunscope bridge --user-net (libslirp)', () => {
  let world: InternetNamespaces
  let work: string
  let cli: { bin: string; cleanup(): void } | undefined
  let lwip: LwipDevice
  let linuxNs: Netns
  let linux: UartDevice
  let bridge: BridgeProcess

  beforeAll(async () => {
    requireLwipDevice()
    ;({ cli, work, world } = await nobodyWithInternet('tsuls', 'slirp'))
    writeFileSync(join(work, 'file.bin'), Buffer.alloc(FILE_BYTES, 7))
    world.internet.spawn('python3', ['-m', 'http.server', '--bind', world.internetIp, '--directory', work, '8000'])
    lwip = await startLwipDevice(join(work, 'a.sock'), { ip: `${A.ip}/24`, mac: A.mac })
    linuxNs = await createNamespace('tsulsb')
    linux = await startUartDevice(linuxNs, join(work, 'b.sock'), { ip: `${B.ip}/24`, mac: B.mac })
    await linuxNs.exec('ip', ['route', 'add', 'default', 'via', '192.168.100.1'], { check: true })
    for (const socket of ['a.sock', 'b.sock']) chmodSync(join(work, socket), 0o777) // as QEMU's sockets would be the user's own
    bridge = startBridge(asNobody(world.device), ['--user-net', '--user-net-engine', 'slirp', '--forward', 'tcp:8080:80', '--socket', `${A.name}=${join(work, 'a.sock')}`, '--socket', `${B.name}=${join(work, 'b.sock')}`], cli!.bin)
    await bridge.waitFor((s) => s.devices.length === 2 && s.devices.every((d) => d.link.status === 'connected') && s.tunStatus === 'up', 20_000, 'the devices and the engine')
    await sleep(Math.max(0, linux.startupDiscardUntil - Date.now())) // the firmware ignores its UART for its first second
  }, 60_000)

  afterAll(async () => {
    await bridge?.stop()
    await lwip?.stop().catch(() => undefined)
    await destroyAll()
    cli?.cleanup()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('fetches a file from the internet on the Linux device, through the engine', async () => {
    const r = await linuxNs.exec('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${world.internetIp}:8000/file.bin`], { timeoutMs: 30_000 })
    expect(r.stdout, r.stderr).toBe(`200 ${FILE_BYTES}`)
  })

  it("serves the forward from --device-ip's device (lwIP)", async () => {
    const r = await world.device.exec('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', 'http://127.0.0.1:8080/bytes/100000'], { timeoutMs: 30_000 })
    expect(r.stdout, r.stderr).toBe('200 100000')
  })

  it('switches the devices\' frames to each other by MAC: the Linux device pings lwIP, each counted on its own port', async () => {
    const before = await freshStats(bridge)
    expect((await pingCount(linuxNs, A.ip, 5)).received).toBe(5)
    const after = await freshStats(bridge)
    for (const d of [A, B]) {
      expect(deviceIn(after, d.name).device).toMatchObject({ mac: d.mac, ipv4: d.ip, conflict: null })
      expect(deviceIn(after, d.name).counters.toDevice.frames - deviceIn(before, d.name).counters.toDevice.frames, d.name).toBeGreaterThanOrEqual(5)
    }
    // The echo went device to device: the lwIP device never saw it come from the engine's gateway MAC.
    expect(await linuxNs.exec('ip', ['neigh', 'show', A.ip]).then((r) => r.stdout)).toMatch(new RegExp(`lladdr ${A.mac}`))
    expect(after.counters.drops).toMatchObject({ tooBigForDevice: 0, backPressure: 0, tunWriteError: 0 })
  })
})
