// `tunscope serve` with two demo devices on one bridge, seen through its event stream: each is a
// device of its own (name, address, counters), the second reports its telemetry to the first
// through the bridge (the host's namespace forwards nothing), and devices join and leave while it
// runs without disturbing the others.
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { DEFAULT_SETTINGS, type StatusMessage, type UiCommand } from '../../src/shared/protocol.js'
import { eventStream } from '../helpers/eventStream.js'
import { serveInspector } from '../helpers/inspectorPage.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

describe.skipIf(skipNetns)('several devices in tunscope serve', () => {
  let ns: Netns
  let work: string
  let client: ChildProcess
  let statuses: StatusMessage[] = []
  let refusals: { message: string }[] = []

  const statusWhere = async (test: (s: StatusMessage) => boolean, timeout = 20_000): Promise<StatusMessage> => {
    await expect.poll(() => statuses.some(test), { timeout, interval: 50 }).toBe(true)
    return statuses.findLast(test)!
  }
  const send = (command: UiCommand): void => void client.stdin!.write(`${JSON.stringify(command)}\n`)
  const ping = async (ip: string): Promise<boolean> => (await ns.exec('ping', ['-c', '1', '-W', '3', ip])).code === 0
  /** The demo device's own account of itself, over HTTP through the bridge. */
  const demoStats = async (ip: string): Promise<{ peerTelemetry: { received: number; lastFrom: string | null } }> =>
    JSON.parse((await ns.exec('curl', ['-s', '--max-time', '10', `http://${ip}/status.json`])).stdout)

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-several-'))
    ns = await createNamespace('tsseveral')
    const config = join(work, 'config')
    mkdirSync(join(config, 'tunscope'), { recursive: true })
    const settings = { ...DEFAULT_SETTINGS, transport: 'demo', devices: [{ name: 'sensor', transport: 'demo', address: '', framing: 'esp32' }] }
    writeFileSync(join(config, 'tunscope', 'settings.json'), JSON.stringify(settings))
    const url = await serveInspector(ns, ['--start', '--tun', 'tun0', '--port', '0'], config)
    ;({ client, statuses, refusals } = eventStream(ns, url))
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('shows each device with its own name, address and MAC, and the host reaches each', async () => {
    const both = await statusWhere((s) => s.devices.length === 2 && s.devices.every((d) => d.ipv4 !== null))
    expect(both.devices.map(({ name, ipv4, mac, removable, conflict }) => ({ name, ipv4, mac, removable, conflict }))).toEqual([
      { name: 'demo', ipv4: '192.168.100.2', mac: '02:00:00:00:00:02', removable: false, conflict: null },
      { name: 'sensor', ipv4: '192.168.100.3', mac: '02:00:00:00:00:03', removable: true, conflict: null }
    ])
    expect(both.interfaces).toEqual(['demo', 'sensor'])
    expect(await ping('192.168.100.2')).toBe(true)
    expect(await ping('192.168.100.3')).toBe(true)
  })

  it("carries the sensor's telemetry to the first device through the bridge, with the host forwarding nothing", async () => {
    expect((await ns.exec('sysctl', ['-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('0')
    await expect.poll(async () => (await demoStats('192.168.100.2')).peerTelemetry.received, { timeout: 15_000, interval: 500 }).toBeGreaterThan(1)
    expect((await demoStats('192.168.100.2')).peerTelemetry.lastFrom).toBe('192.168.100.3')
  })

  it('adds a device while running, refuses a second one of the same name in one sentence, and the others carry on', async () => {
    send({ type: 'addDevice', device: { name: 'third', transport: 'demo', address: '', framing: 'esp32' } })
    const three = await statusWhere((s) => s.devices.length === 3 && s.devices[2]!.ipv4 !== null)
    expect(three.devices[2]).toMatchObject({ name: 'third', ipv4: '192.168.100.4', mac: '02:00:00:00:00:04' })
    expect(three.settings.devices.map((d) => d.name)).toEqual(['sensor', 'third'])
    expect(await ping('192.168.100.4')).toBe(true)
    send({ type: 'addDevice', device: { name: 'sensor', transport: 'demo', address: '', framing: 'esp32' } })
    await expect.poll(() => refusals.length, { timeout: 10_000 }).toBe(1)
    expect(refusals[0]!.message).toBe('A device named sensor is on the bridge already; give this one another name.')
    send({ type: 'addDevice', device: { name: 'bad name!', transport: 'unix', address: 'x.sock', framing: 'esp32' } })
    await expect.poll(() => refusals.length, { timeout: 10_000 }).toBe(2)
    expect(refusals[1]!.message).toMatch(/^The name "bad name!" is not one a device can have; use 1 to 32 letters/)
  })

  it('removes a device while running: the first keeps answering, the capture still names the one that left', async () => {
    send({ type: 'removeDevice', name: 'sensor' })
    const two = await statusWhere((s) => s.devices.length === 2 && s.devices[1]!.name === 'third')
    expect(two.devices.map((d) => d.name)).toEqual(['demo', 'third'])
    expect(two.settings.devices.map((d) => d.name)).toEqual(['third'])
    expect(two.interfaces).toContain('sensor')
    expect(await ping('192.168.100.2')).toBe(true)
    expect(await ping('192.168.100.4')).toBe(true)
    expect(await ping('192.168.100.3')).toBe(false)
    send({ type: 'removeDevice', name: 'demo' })
    await expect.poll(() => refusals.length, { timeout: 10_000 }).toBe(3)
    expect(refusals[2]!.message).toBe('demo is the main device: change it in Settings, or Stop.')
  })

  it("takes serve's devices from its command line: the first is the main one, the others its list, each with its name and framing", async () => {
    const url = await serveInspector(ns, ['--listen', '--socket', `qemu:${join(work, 'a.sock')}`, '--socket', `sensor=slip:${join(work, 'b.sock')}`, '--tcp', '127.0.0.1:5599', '--port', '0'], join(work, 'config2'))
    const stream = eventStream(ns, url)
    await expect.poll(() => stream.statuses.length, { timeout: 10_000 }).toBeGreaterThan(0)
    const { settings } = stream.statuses[0]!
    expect(settings).toMatchObject({ transport: 'listen', socket: join(work, 'a.sock'), framing: 'qemu' })
    expect(settings.devices).toEqual([
      { name: 'sensor', transport: 'listen', address: join(work, 'b.sock'), framing: 'slip' },
      { name: '127.0.0.1_5599', transport: 'tcp-listen', address: '127.0.0.1:5599', framing: 'esp32' }
    ])
    stream.client.kill()
  })
})
