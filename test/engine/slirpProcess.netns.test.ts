// startSlirp against Debian's real QEMU (its libslirp behind `-M none`), in a namespace with a
// veth to an "internet" namespace, as the passt suite runs; and the CLI's choice of engine.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { parseMac } from '../../src/engine/addresses'
import { UserError } from '../../src/engine/errors'
import { parseForward, type Forward } from '../../src/engine/uplink/forwards'
import { QEMU_NOT_INSTALLED, startSlirp, type SlirpOptions, type SlirpProcess } from '../../src/engine/uplink/slirpProcess'
import { startBridge } from '../helpers/bridgeProcess'
import { HAS_QEMU } from '../helpers/internetNamespace'
import { netnsRequired, skipNetns } from '../helpers/netns'
import { alive, engineSuite, gatewayArpReply, occupy, rejection } from '../helpers/userNetEngineParts'

const skipQemu = !HAS_QEMU && !netnsRequired
if (skipQemu) console.warn("[slirp] skipping the libslirp engine's tests: qemu-system-x86_64 is not installed (Debian's qemu-system-x86)")

const DEVICE_MAC = parseMac('02:00:00:00:00:02')
const base = { deviceIp: '192.168.100.2', prefixLength: 24, gatewayIp: '192.168.100.1' }

describe.skipIf(skipNetns || skipQemu)("QEMU's libslirp as the user-mode engine (real QEMU, namespaces)", () => {
  const suite = engineSuite('tsslirp', () => {
    if (!HAS_QEMU) throw new Error('QEMU required (TUNSCOPE_REQUIRE_NETNS=1) but qemu-system-x86_64 is not installed')
  })
  const socketPath = suite.socketPath
  const track = (engine: SlirpProcess): SlirpProcess => (suite.track(engine), engine)
  const start = async (extra: Partial<SlirpOptions> & { forwards?: Forward[] } = {}): Promise<SlirpProcess> =>
    track(await startSlirp({ ...base, socketPath: socketPath(), forwards: [], launcher: ['ip', 'netns', 'exec', suite.world.device.name], ...extra }))

  it("starts, its socket accepts a connection, and libslirp answers ARP for the gateway with its own MAC", async () => {
    const slirp = await start()
    expect(existsSync(slirp.socketPath)).toBe(true)
    const reply = await gatewayArpReply(slirp.socketPath, DEVICE_MAC, base.deviceIp, base.gatewayIp)
    expect(reply.subarray(0, 6)).toEqual(Buffer.from(DEVICE_MAC))
    // libslirp's gateway MAC is 52:55 and the gateway's address: not --gw-mac (README says so).
    expect([...reply.subarray(22, 28)]).toEqual([0x52, 0x55, 192, 168, 100, 1])
    expect([...reply.subarray(28, 32)]).toEqual([192, 168, 100, 1])
  })

  it('listens on the forwarded ports on the given host addresses, and only those', async () => {
    await start({ forwards: [parseForward('tcp:18180:80'), parseForward('udp:0.0.0.0:18181:53')] })
    const tcp = await suite.world.device.exec('ss', ['-ltnH'], { check: true })
    expect(tcp.stdout).toMatch(/\b127\.0\.0\.1:18180\b/)
    expect(tcp.stdout.trim().split('\n')).toHaveLength(1)
    const udp = await suite.world.device.exec('ss', ['-lunH'], { check: true })
    expect(udp.stdout).toMatch(/\b0\.0\.0\.0:18181\b/)
  })

  it.each(['tcp', 'udp'] as const)('names the forwarded %s port that is already in use, and leaves no QEMU', async (protocol) => {
    const holder = await occupy(suite.world.device, protocol, 18190)
    try {
      const path = socketPath()
      const e = await rejection(start({ socketPath: path, forwards: [parseForward(`${protocol}:18190:80`)] }))
      expect(e).toBeInstanceOf(UserError)
      expect(e.message).toBe(
        `${protocol.toUpperCase()} port 18190 on 127.0.0.1 cannot be forwarded (--forward ${protocol}:18190:80): it is already in use; choose another host port.`
      )
      expect(existsSync(path)).toBe(false)
    } finally {
      holder.kill('SIGKILL')
    }
  })

  const listening = async (): Promise<string[]> =>
    (await suite.world.device.exec('ss', ['-ltnH'], { check: true })).stdout.match(/127\.0\.0\.1:181\d\d\b/g)?.sort() ?? []

  it('changes its forwards while it runs: the added port listens, the removed one stops, the others stay', async () => {
    const [a, b, c] = ['tcp:18160:80', 'tcp:18161:81', 'tcp:18162:82'].map((spec) => parseForward(spec))
    const slirp = await start({ forwards: [a!, b!] })
    await slirp.changeForwards([a!, b!], [a!, c!])
    expect(await listening()).toEqual(['127.0.0.1:18160', '127.0.0.1:18162'])
    await slirp.changeForwards([a!, c!], [])
    expect(await listening()).toEqual([])
  })

  it('refuses a change to a taken port in one sentence, with the forwards it had back in effect', async () => {
    const [a, b] = ['tcp:18170:80', 'tcp:18171:81'].map((spec) => parseForward(spec))
    const slirp = await start({ forwards: [a!, b!] })
    const holder = await occupy(suite.world.device, 'tcp', 18172)
    try {
      const e = await rejection(slirp.changeForwards([a!, b!], [a!, parseForward('tcp:18173:83'), parseForward('tcp:18172:82')]))
      expect(e).toBeInstanceOf(UserError)
      expect(e.message).toBe('TCP port 18172 on 127.0.0.1 cannot be forwarded (--forward tcp:18172:82): it is already in use; choose another host port.')
      expect(await listening()).toEqual(['127.0.0.1:18170', '127.0.0.1:18171', '127.0.0.1:18172'])
    } finally {
      holder.kill('SIGKILL')
    }
    expect(await listening()).toEqual(['127.0.0.1:18170', '127.0.0.1:18171'])
  })

  it('says QEMU is not installed, naming the packages', async () => {
    const e = await rejection(startSlirp({ ...base, socketPath: socketPath(), forwards: [], qemuPath: '/nonexistent/qemu-system-x86_64', launcher: [] }))
    expect(e).toBeInstanceOf(UserError)
    expect(e.message).toBe(QEMU_NOT_INSTALLED)
  })

  it('stop() leaves no process, no socket and no forwarded port', async () => {
    const slirp = await start({ forwards: [parseForward('tcp:18195:80')] })
    expect(alive(slirp.pid)).toBe(true)
    await slirp.stop()
    expect(alive(slirp.pid)).toBe(false)
    expect(existsSync(slirp.socketPath)).toBe(false)
    const listening = await suite.world.device.exec('ss', ['-ltnH'], { check: true })
    expect(listening.stdout).not.toMatch(/:18195\b/)
  })

  // QEMU has no --one-off as passt has: without setpriv's parent-death signal, a killed Tunscope
  // would leave it running, holding the forwarded ports.
  it('dies with a Tunscope that was killed: the forwarded port is free again', async () => {
    const bridge = startBridge(suite.world.device, ['--user-net', '--user-net-engine', 'slirp', '--forward', 'tcp:18199:80', '--socket', join(suite.work, 'no-device.sock')])
    for (const deadline = Date.now() + 15_000; !(await suite.world.device.exec('ss', ['-ltnH'])).stdout.includes(':18199'); ) {
      if (Date.now() > deadline) throw new Error('the bridge never forwarded port 18199')
      await new Promise((r) => setTimeout(r, 100))
    }
    bridge.child.kill('SIGKILL')
    for (const deadline = Date.now() + 10_000; (await suite.world.device.exec('ss', ['-ltnH'])).stdout.includes(':18199'); ) {
      if (Date.now() > deadline) throw new Error('QEMU outlived the killed bridge: port 18199 is still held')
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(spawnSync('ip', ['netns', 'pids', suite.world.device.name], { encoding: 'utf8' }).stdout.trim()).toBe('')
  }, 40_000)
})
