// A bridge started before its device: what the host sends meanwhile (the
// kernel's IPv6 router solicitation on the new TUN, pings) has nobody to go
// to, and is counted apart as "before the device connected", not as an
// alarming drop. Once the device has been connected, a lost link drops.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, TUNSCOPE_BIN, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

const DEVICE_IP = '192.168.100.2'

describe.skipIf(skipNetns)('a bridge with no device yet', () => {
  let host: Netns
  let bridge: BridgeProcess
  let work: string
  let socket: string

  const ping = (count: number) => host.exec('ping', ['-n', '-q', '-c', String(count), '-i', '0.2', '-W', '1', DEVICE_IP], { timeoutMs: 30_000, check: false })

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-before-'))
    socket = join(work, 'uart.sock')
    host = await createNamespace('tsbefore')
    bridge = startBridge(host, ['--socket', socket, '--tun', 'tun0'])
    await bridge.waitFor((s) => s.tun !== null && s.link.status === 'waiting', 15_000, 'the TUN, and the bridge waiting for its device')
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('counts what the host sends before the device connects apart, not as drops', async () => {
    await ping(3)
    const stats = await bridge.waitFor((s) => s.counters.beforeDevice >= 3, 10_000, 'the pings counted before the device')
    expect(stats.counters.drops).toEqual({ noLink: 0, tooBigForDevice: 0, tunWriteError: 0, backPressure: 0, otherEtherType: 0, notIp: 0, noDevice: 0, captureOverrun: 0 })
  })

  it('counts what the host sends after the device went away as no-link drops', async () => {
    const demo: ChildProcess = host.spawn(process.execPath, [TUNSCOPE_BIN, 'demo', '--socket', socket, '--baud', '0'])
    await bridge.waitFor((s) => s.link.status === 'connected', 15_000, 'the device')
    const exited = new Promise((resolve) => demo.once('exit', resolve))
    demo.kill('SIGTERM')
    await exited
    const gone = await bridge.waitFor((s) => s.link.status === 'reconnecting', 15_000, 'the bridge to notice the device is gone')
    const before = gone.counters.beforeDevice
    await ping(2)
    const stats = await bridge.waitFor((s) => s.counters.drops.noLink >= 2, 10_000, 'the pings counted as no-link drops')
    expect(stats.counters.beforeDevice).toBe(before)
    const { counters } = await bridge.stop()
    expect(counters?.beforeDevice).toBe(before)
    expect(counters?.drops.noLink).toBeGreaterThanOrEqual(2)
  })
})
