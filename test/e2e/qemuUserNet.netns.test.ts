// A real QEMU guest (e1000 on -netdev stream) behind `tunscope bridge --framing qemu --user-net`,
// with each engine (passt, QEMU's libslirp): no TUN. The guest takes its address from the
// engine's DHCP server (the bridge's --device-ip), is
// reached through a forwarded host port (busybox httpd in the guest), and fetches from the host's
// loopback through its gateway and from a second namespace playing the internet. The bridge and
// QEMU run in a namespace with a veth to that one (test/helpers/internetNamespace.ts), since passt
// needs a default route. One guest for the file (a boot takes ~6 s on an idle machine).
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { BridgeProcess } from '../helpers/bridgeProcess.js'
import { deviceTraffic } from '../helpers/bridgedDevice.js'
import { startGuestBehindBridge } from '../helpers/guestBehindBridge.js'
import { createInternetNamespaces, skipUserNetEngine, type InternetNamespaces } from '../helpers/internetNamespace.js'
import { destroyAll, requireNetns } from '../helpers/netns.js'
import { GUEST_NIC, requireGuest, skipGuest, takeLease, type Guest } from '../helpers/qemuGuest.js'

const DEVICE_IP = '192.168.100.2' // the bridge's default --device-ip, which passt's DHCP hands out
const GATEWAY_IP = '192.168.100.1'
const BOOT_MS = 180_000

const FETCH_BYTES = 200_000

/**
 * A shell line in the guest fetching http://HOST:PORT/bytes/FETCH_BYTES with busybox nc (its static
 * wget crashes): prints the response's size, then the MD5 of its last FETCH_BYTES bytes (the body).
 * nc's input stays open a while: a FIN from the guest before the answer (nc half-closes at the end
 * of its input) makes Debian 12's passt (2023-03) send bytes past the end of the host's data and
 * never close (issue 12).
 */
const fetchLine = (host: string, port: number): string =>
  `(printf 'GET /bytes/${FETCH_BYTES} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n'; sleep 5) | nc -w 5 ${host} ${port} > /tmp/fetched; wc -c < /tmp/fetched; tail -c ${FETCH_BYTES} /tmp/fetched | md5sum`

/** net_tool.mjs's http-server body: the same deterministic pattern, hashed here. */
function patternMd5(length: number): string {
  const b = Buffer.alloc(length)
  for (let n = 0; n < length; n++) b[n] = (n * 31 + (n >>> 8) * 7 + (n >>> 16)) & 0xff
  return createHash('md5').update(b).digest('hex')
}

for (const engine of ['passt', 'slirp'] as const) describe.skipIf(skipUserNetEngine(engine) || skipGuest)(`tunscope bridge --framing qemu --user-net-engine ${engine}: a real guest`, () => {
  let world: InternetNamespaces
  let work: string
  let bridge: BridgeProcess
  let guest: Guest | undefined

  beforeAll(async () => {
    requireNetns()
    requireGuest()
    work = mkdtempSync(join(tmpdir(), 'tunscope-qusernet-'))
    world = await createInternetNamespaces(`tsqun${engine[0]}`)
    ;({ bridge, guest } = await startGuestBehindBridge({
      name: `tsqun${engine[0]}`, ns: world.device, work, bootTimeoutMs: BOOT_MS - 30_000,
      bridgeArgs: ['--framing', 'qemu', '--user-net', '--user-net-engine', engine, '--forward', 'tcp:8082:80'],
      ready: (s) => s.link.status === 'connected' && s.tunStatus === 'up', readyWhat: `QEMU and ${engine}`
    }))
  }, BOOT_MS)

  afterAll(async () => {
    await guest?.kill()
    await bridge?.stop()
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it("takes --device-ip from the engine's DHCP server, with the bridge's host address as its router", async () => {
    const g = guest!
    await g.runOk(`ip link set ${GUEST_NIC} up && for i in $(seq 100); do grep -q 1 /sys/class/net/${GUEST_NIC}/carrier && break; sleep 0.1; done`)
    const said = await takeLease(g)
    expect(said).toMatch(new RegExp(`lease ip=${DEVICE_IP.replace(/\./g, '\\.')} mask=24 router=${GATEWAY_IP.replace(/\./g, '\\.')} `))
    expect(await g.runOk('ip route show default')).toContain(`default via ${GATEWAY_IP} dev ${GUEST_NIC}`)
  }, 90_000)

  it('serves its busybox httpd on the forwarded host port', async () => {
    const g = guest!
    await g.runOk('mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/blob bs=1k count=100 2>/dev/null && httpd -p 80 -h /tmp/www')
    const r = await world.device.exec('curl', ['-sS', '--max-time', '30', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', 'http://127.0.0.1:8082/blob'], { timeoutMs: 40_000 })
    expect(r.stdout, r.stderr).toBe('200 102400')
  }, 60_000)

  it('fetches from the host through its gateway and from the internet namespace', async () => {
    const traffic = deviceTraffic(world.device, DEVICE_IP)
    await traffic.startServer(world.device, ['http-server', '9091'])
    await traffic.startServer(world.internet, ['http-server', '80'])
    // Past the guest's first receive window (64 240 bytes): its padded ACKs must reach the engine
    // (services/ethernetPadding.ts). The response's headers come before the body.
    const body = patternMd5(FETCH_BYTES)
    for (const [host, port] of [[GATEWAY_IP, 9091], [world.internetIp, 80]] as const) {
      const [size, md5] = (await guest!.runOk(fetchLine(host, port), { timeoutMs: 60_000 })).trim().split(/\s+/)
      expect(Number(size), `from ${host}`).toBeGreaterThan(FETCH_BYTES)
      expect(md5, `from ${host}`).toBe(body)
    }
    const { counters } = await bridge.waitFor(() => true)
    expect(counters.framingErrors).toMatchObject({ tooLong: 0, implausible: 0 })
  }, 150_000)
})
