// lwIP, the firmware's own stack (test/fixtures/lwip/lwip_device.c), behind `tunscope bridge
// --user-net` as nobody, with each engine. The engines offer an MSS far above what the firmware's
// 1500-byte frames take (passt 61 440, libslirp 1460 for a 1514-byte frame); lwIP believes the
// offer and builds frames its own link refuses, so without the bridge's MSS clamp a download or an
// echo stalls (the first try). With it nothing over 1500 bytes is ever built.
import { chmodSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { deviceTraffic, type DeviceTraffic } from '../helpers/bridgedDevice.js'
import { nobodyWithInternet, skipUserNetEngine, type InternetNamespaces } from '../helpers/internetNamespace.js'
import { requireLwipDevice, skipLwipDevice, startLwipDevice, type LwipDevice } from '../helpers/lwipDevice.js'
import { destroyAll } from '../helpers/netns.js'
import { asNobody } from '../cli/cliHelpers.js'

const MB = 1_000_000

for (const engine of ['passt', 'slirp'] as const) {
  describe.skipIf(skipUserNetEngine(engine) || skipLwipDevice)(`the lwIP device behind tunscope bridge --user-net --user-net-engine ${engine}`, () => {
    let world: InternetNamespaces
    let work: string
    let cli: { bin: string; cleanup(): void } | undefined
    let device: LwipDevice
    let bridge: BridgeProcess
    let traffic: DeviceTraffic

    beforeAll(async () => {
      requireLwipDevice()
      ;({ cli, work, world } = await nobodyWithInternet(`tsul${engine[0]}`, engine))
      const socket = join(work, 'uart.sock')
      device = await startLwipDevice(socket)
      chmodSync(socket, 0o777) // as QEMU's socket would be the user's own
      bridge = startBridge(asNobody(world.device), ['--user-net', '--user-net-engine', engine, '--forward', 'tcp:8080:80', '--forward', 'tcp:8007:7', '--socket', socket], cli!.bin)
      await bridge.waitFor((s) => s.link.status === 'connected' && s.tunStatus === 'up' && s.device.mac !== null, 20_000, 'the device and the engine')
      traffic = deviceTraffic(world.device, '127.0.0.1')
    }, 60_000)

    afterAll(async () => {
      await bridge?.stop()
      await device?.stop().catch(() => undefined)
      await destroyAll()
      cli?.cleanup()
      if (work) rmSync(work, { recursive: true, force: true })
    })

    it('serves 1 MB of HTTP through the forward', async () => {
      const r = await world.device.exec('curl', ['-sS', '--max-time', '30', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://127.0.0.1:8080/bytes/${MB}`], { timeoutMs: 40_000 })
      expect(r.stdout, r.stderr).toBe(`200 ${MB}`)
    }, 60_000)

    it('echoes 256 KiB and 4 MiB of TCP intact through the forward', async () => {
      for (const size of [256 * 1024, 4 * 1024 * 1024]) {
        const r = await traffic.netTool(world.device, ['tcp-echo-client', '127.0.0.1', '8007', String(size)], 60_000)
        expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, received: size })
      }
    }, 150_000)

    it('never led lwIP to build a frame its link refuses, and dropped nothing on the way', async () => {
      const counters = await device.counters()
      expect(counters).toMatchObject({ refused_out: 0, refused_in: 0, dropped_stack: 0 })
      const stats = await bridge.waitFor(() => true)
      expect(stats.counters.drops).toMatchObject({ tooBigForDevice: 0, backPressure: 0, tunWriteError: 0 })
      expect(Object.values(stats.counters.framingErrors).every((n) => n === 0)).toBe(true)
    })
  })
}
