// `tunscope serve --demo --start` in a network namespace, seen through its
// event stream as the inspector page sees it: the demo device's telemetry
// arrives as a reading in the status, and after Stop the status still names
// the device it learned (as last seen) until the next Start; and --tap with
// --device-mac reach the bridge.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { eventStream } from '../helpers/eventStream.js'
import { serveInspector } from '../helpers/inspectorPage.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import type { StatusMessage, UiCommand } from '../../src/shared/protocol.js'

describe.skipIf(skipNetns)('the demo device in tunscope serve, through the event stream', () => {
  let ns: Netns
  let work: string
  let client: ChildProcess
  let statuses: StatusMessage[] = []

  /** The first status from `from` on (an index into statuses) that `test` accepts. */
  const statusWhere = async (test: (s: StatusMessage) => boolean, from = 0, timeout = 15_000): Promise<StatusMessage> => {
    await expect.poll(() => statuses.slice(from).some(test), { timeout, interval: 50 }).toBe(true)
    return statuses.slice(from).find(test)!
  }
  const send = (command: UiCommand): void => void client.stdin!.write(`${JSON.stringify(command)}\n`)

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-demo-status-'))
    ns = await createNamespace('tsdstat')
    const url = await serveInspector(ns, ['--demo', '--start', '--tun', 'tun0', '--port', '0'], join(work, 'config'))
    ;({ client, statuses } = eventStream(ns, url))
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it("receives the demo's telemetry on the host's TUN address and puts the last reading in the status", async () => {
    const status = await statusWhere((s) => s.telemetry?.last !== null && s.telemetry !== null)
    expect(status.telemetry).toMatchObject({ listening: '192.168.100.1:5000', problem: null })
    expect(status.telemetry!.last!.fields.map(([name]) => name)).toEqual(['seq', 'uptime_s', 'temp_c', 'heap_free', 'rx_frames', 'tx_frames'])
    const { datagrams, readings, ...ignored } = status.telemetry!.counts
    expect(readings).toBe(datagrams)
    expect(Object.values(ignored).every((n) => n === 0)).toBe(true)
    expect(status.device).toEqual({ mac: '02:00:00:00:00:02', ipv4: '192.168.100.2', conflict: null, live: true })
  })

  it('keeps the device and the last reading after Stop, as last seen, and forgets both at the next Start', async () => {
    const beforeStop = statuses.length
    send({ type: 'stop' })
    // Stopped once the port is closed too; the statuses the stopping bridge sent before already name the device.
    const stopped = await statusWhere((s) => !s.running && s.telemetry?.listening === null, beforeStop)
    expect(stopped.telemetry).toMatchObject({ problem: null, last: { fields: expect.any(Array) } })
    for (const status of statuses.slice(beforeStop).filter((s) => !s.running)) {
      expect(status.device).toEqual({ mac: '02:00:00:00:00:02', ipv4: '192.168.100.2', conflict: null, live: false })
    }

    const beforeStart = statuses.length
    send({ type: 'start', settings: stopped.settings })
    const started = await statusWhere((s) => s.running, beforeStart)
    expect(started.device).toEqual({ mac: null, ipv4: null, conflict: null, live: true })
    expect(started.telemetry?.last ?? null).toBeNull()
    // The new bridge learns the device again and takes readings on the port the first one freed.
    const relearned = await statusWhere((s) => s.running && s.device.mac !== null && s.telemetry?.last != null, beforeStart)
    expect(relearned.telemetry).toMatchObject({ listening: '192.168.100.1:5000', problem: null })
  })

  it('says in one sentence when another program has the telemetry port, and bridges on', async () => {
    const beforeStop = statuses.length
    send({ type: 'stop' })
    const stopped = await statusWhere((s) => !s.running && s.telemetry?.listening === null, beforeStop)
    // On every address, so the service's bind to the TUN's address finds the port taken.
    const squatter = ns.spawn(process.execPath, ['-e', "require('dgram').createSocket('udp4').bind(5000, () => console.log('bound'))"])
    await new Promise((resolve) => squatter.stdout!.once('data', resolve))
    const beforeStart = statuses.length
    send({ type: 'start', settings: stopped.settings })
    const refused = await statusWhere((s) => s.running && s.telemetry?.problem != null, beforeStart)
    expect(refused.telemetry).toMatchObject({ listening: null, problem: "The demo's telemetry is not shown: UDP port 5000 on 192.168.100.1 is taken by another program.", last: null })
    await statusWhere((s) => s.running && s.device.mac === '02:00:00:00:00:02', beforeStart)
    squatter.kill()
  })
})

describe.skipIf(skipNetns)('tunscope serve --tap --device-mac, through the event stream', () => {
  let work: string

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('bridges over a TAP and expects the device at the given MAC, for this run', async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-serve-tap-'))
    const ns = await createNamespace('tstap')
    const url = await serveInspector(ns, ['--demo', '--start', '--tap', '--tun', 'tap0', '--device-mac', '02:12:34:56:78:9a', '--port', '0'], join(work, 'config'))
    const { statuses } = eventStream(ns, url)
    await expect.poll(() => statuses.some((s) => s.running && s.tun?.kind === 'tap'), { timeout: 15_000, interval: 50 }).toBe(true)
    const status = statuses.find((s) => s.running && s.tun?.kind === 'tap')!
    expect(status.settings).toMatchObject({ interfaceKind: 'tap', tun: 'tap0', deviceMac: '02:12:34:56:78:9a' })
    expect(status.tun).toMatchObject({ name: 'tap0', kind: 'tap' })
  })
})
