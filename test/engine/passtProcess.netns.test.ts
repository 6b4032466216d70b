// startPasst against Debian's real passt, in namespaces with a veth to an "internet" namespace
// (passt refuses to start without an interface holding a default route).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { parseMac } from '../../src/engine/addresses'
import { UserError } from '../../src/engine/errors'
import { parseForward, type Forward } from '../../src/engine/uplink/forwards'
import { PASST_NO_ROUTE, PASST_NOT_INSTALLED, startPasst, type PasstOptions, type PasstProcess } from '../../src/engine/uplink/passtProcess'
import { createNamespace, netnsRequired, skipNetns, type Netns } from '../helpers/netns'
import { alive, engineSuite, FramedClient, gatewayArpReply, occupy, occupySocket, rejection } from '../helpers/userNetEngineParts'

const passtProbe = spawnSync('passt', ['--version'], { encoding: 'utf8', timeout: 5_000 })
const passtMissing = passtProbe.error ? `passt is not runnable (${passtProbe.error.message}); install Debian's passt package` : undefined
const skipPasst = passtMissing !== undefined && !netnsRequired
if (skipPasst) console.warn(`[passt] skipping passt tests: ${passtMissing} (set TUNSCOPE_REQUIRE_NETNS=1 to fail instead)`)

const GATEWAY_MAC = '02:00:00:00:00:01'
const DEVICE_MAC = parseMac('02:00:00:00:00:02')
const base = { deviceIp: '192.168.100.2', prefixLength: 24, gatewayIp: '192.168.100.1', gatewayMac: GATEWAY_MAC }

function launcherFor(ns: Netns): string[] {
  return ['ip', 'netns', 'exec', ns.name]
}

describe.skipIf(skipNetns || skipPasst)('passt as the user-mode engine (real passt, namespaces)', () => {
  const suite = engineSuite('tspasst', () => {
    if (passtMissing) throw new Error(`passt required (TUNSCOPE_REQUIRE_NETNS=1) but ${passtMissing}`)
  })
  const socketPath = suite.socketPath
  const start = async (extra: Partial<PasstOptions> & { forwards?: Forward[] } = {}): Promise<PasstProcess> =>
    suite.track(await startPasst({ ...base, socketPath: socketPath(), forwards: [], launcher: launcherFor(suite.world.device), ...extra }))

  it('starts, its socket accepts a connection, and it answers ARP for the gateway from the --gw-mac', async () => {
    const passt = await start()
    expect(existsSync(passt.socketPath)).toBe(true)
    expect(passt.output()).toMatch(/UNIX domain socket bound at /)
    expect(passt.output()).not.toMatch(/to syslog/)
    const reply = await gatewayArpReply(passt.socketPath, DEVICE_MAC, base.deviceIp, base.gatewayIp)
    expect(reply.subarray(0, 6)).toEqual(Buffer.from(DEVICE_MAC)) // to the device
    expect(reply.subarray(22, 28)).toEqual(Buffer.from(parseMac(GATEWAY_MAC))) // sender MAC: passt's -M
    expect([...reply.subarray(28, 32)]).toEqual([192, 168, 100, 1]) // sender IP: the gateway
  })

  it('quits once its one client has gone, as when a killed Tunscope drops the connection: the forwarded port is free again', async () => {
    const passt = await start({ forwards: [parseForward('tcp:18085:80')] })
    const client = await FramedClient.open(passt.socketPath)
    client.close()
    expect(await passt.exited).toBe(0)
    const listening = await suite.world.device.exec('ss', ['-ltnH'], { check: true })
    expect(listening.stdout).not.toMatch(/:18085\b/)
  })

  it('listens on the forwarded ports on the given host addresses, and only those', async () => {
    await start({ forwards: [parseForward('tcp:18080:80'), parseForward('udp:0.0.0.0:18081:53')] })
    const tcp = await suite.world.device.exec('ss', ['-ltnH'], { check: true })
    expect(tcp.stdout).toMatch(/\b127\.0\.0\.1:18080\b/)
    expect(tcp.stdout.trim().split('\n')).toHaveLength(1)
    const udp = await suite.world.device.exec('ss', ['-lunH'], { check: true })
    expect(udp.stdout).toMatch(/\b0\.0\.0\.0:18081\b/)
  })

  it('says passt is not installed, naming the packages', async () => {
    const e = await rejection(startPasst({ ...base, socketPath: socketPath(), forwards: [], passtPath: '/nonexistent/passt' }))
    expect(e).toBeInstanceOf(UserError)
    expect(e.message).toBe(PASST_NOT_INSTALLED)
    expect(e.message).toBe(
      "passt is not installed: install Debian's or Ubuntu's passt package (sudo apt install passt) or Fedora's (sudo dnf install passt)."
    )
  })

  it('says there is no interface with a default route when the namespace has none', async () => {
    const bare = await createNamespace('tspasstbare')
    const path = socketPath()
    const e = await rejection(startPasst({ ...base, socketPath: path, forwards: [], launcher: launcherFor(bare) }))
    expect(e).toBeInstanceOf(UserError)
    expect(e.message).toBe(PASST_NO_ROUTE)
    expect(existsSync(path)).toBe(false)
    await bare.destroy()
  })

  it.each(['tcp', 'udp'] as const)('names the forwarded %s port that is already in use', async (protocol) => {
    const holder = await occupy(suite.world.device, protocol, 18090)
    try {
      const e = await rejection(start({ forwards: [parseForward(`${protocol}:18090:80`)] }))
      expect(e).toBeInstanceOf(UserError)
      expect(e.message).toBe(
        `${protocol.toUpperCase()} port 18090 on 127.0.0.1 cannot be forwarded (--forward ${protocol}:18090:80): it is already in use; choose another host port.`
      )
    } finally {
      holder.kill('SIGKILL')
    }
  })

  it('says when passt cannot create its socket (root: passt runs as nobody and cannot write there)', async () => {
    const closed = join(suite.work, 'closed')
    mkdirSync(closed, { mode: 0o700 })
    const path = join(closed, 'passt.sock')
    const e = await rejection(start({ socketPath: path }))
    expect(e).toBeInstanceOf(UserError)
    expect(e.message).toMatch(new RegExp(`^passt could not create its socket ${path}`))
    expect(e.message).toMatch(/; choose a socket path in a directory it can write to\.$/)
  })

  it('passes on any other early exit with passt\'s own last line', async () => {
    const e = await rejection(start({ mtu: 50 }))
    expect(e).toBeInstanceOf(UserError)
    expect(e.message).toBe('passt stopped with code 1 before it was ready, saying "Invalid MTU: 50".')
  })

  it('refuses a live server on the socket path, and replaces a stale file', async () => {
    const path = socketPath()
    const other = await occupySocket(path)
    try {
      const e = await rejection(start({ socketPath: path }))
      expect(e.message).toBe(`Another program already serves the socket ${path}; stop it or choose another socket path.`)
    } finally {
      await new Promise<void>((r) => other.close(() => r()))
    }
    const stale = socketPath()
    rmSync(stale, { force: true })
    spawnSync('touch', [stale])
    const passt = await start({ socketPath: stale })
    expect(existsSync(passt.socketPath)).toBe(true)
  })

  it('stop() leaves no process and no socket; exited and onExit report the end', async () => {
    const passt = await start({ forwards: [parseForward('tcp:18095:80')] })
    const ended: Array<number | null> = []
    passt.onExit((code) => ended.push(code))
    expect(alive(passt.pid)).toBe(true)
    await passt.stop()
    expect(alive(passt.pid)).toBe(false)
    expect(existsSync(passt.socketPath)).toBe(false)
    expect(ended).toHaveLength(1)
    await expect(passt.exited).resolves.toSatisfy((c: number | null) => c === null || typeof c === 'number')
    const listening = await suite.world.device.exec('ss', ['-ltnH'], { check: true })
    expect(listening.stdout).not.toMatch(/:18095\b/)
    await passt.stop() // idempotent
  })
})
