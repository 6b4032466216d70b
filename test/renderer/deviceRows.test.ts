// The device list's rows and each device's history (the components are tested in Chromium,
// test/ui/severalDevices.netns.test.ts).
import { describe, expect, it } from 'vitest'

import { CountersSnapshot } from '../../src/engine/counters'
import { DEFAULT_SETTINGS, type DeviceRowSnapshot, type DeviceStatsSnapshot, type StatsMessage, type StatusMessage } from '../../src/shared/protocol'
import { nextDeviceHistory, NO_DEVICE_HISTORY } from '../../src/renderer/src/state/deviceHistory'
import { allDevicesRow, deviceRows, suggestedName } from '../../src/renderer/src/ui/deviceRows'

const link = (status: 'waiting' | 'connected' | 'reconnecting' | 'stopped', endpoint = '', attempt = 0) => ({ status, endpoint, attempt, connections: 0, detail: null })

function statusOf(over: Partial<StatusMessage> = {}): StatusMessage {
  return {
    type: 'status', running: false, settings: DEFAULT_SETTINGS, link: null, tun: null, tunProblem: null,
    device: { mac: null, ipv4: null, live: false }, problem: null, settingsUnreadable: null, settingsUnsaved: null,
    userNet: null, demo: null, telemetry: null, devices: [], interfaces: [], mainDevice: 'esp32-uart1', ...over
  }
}

const rate = (bytesPerSecond: number) => ({ bytesPerSecond, framesPerSecond: 1, utilization: 0 })
const counters = {} as unknown as CountersSnapshot

function deviceStats(name: string, to: number, from: number): DeviceStatsSnapshot {
  return { name, counters, rates1s: { toDevice: rate(to), fromDevice: rate(from) }, rates10s: { toDevice: rate(to), fromDevice: rate(from) }, baud: 115200, lineBytesPerSecond: 11520 }
}

function statsOf(at: number, devices: DeviceStatsSnapshot[]): StatsMessage {
  return {
    type: 'stats', at, counters, rates1s: { toDevice: rate(30), fromDevice: rate(40) }, rates10s: { toDevice: rate(30), fromDevice: rate(40) },
    baud: 115200, lineBytesPerSecond: 11520, devices, captured: 0, notShown: 0
  }
}

const row = (name: string, over: Partial<DeviceRowSnapshot> = {}): DeviceRowSnapshot => ({
  name, framing: 'esp32', payload: 'ethernet', link: link('connected', `/tmp/${name}.sock`), mac: null, ipv4: null, conflict: null, removable: true, ...over
})

describe('the device list', () => {
  it('lists the running devices with their address (IPv4, else MAC, else not seen), state and own rates', () => {
    const status = statusOf({
      running: true,
      settings: { ...DEFAULT_SETTINGS, transport: 'demo', devices: [{ name: 'sensor', transport: 'demo', address: '', framing: 'esp32' }] },
      devices: [
        row('demo', { ipv4: '192.168.100.2', mac: '02:00:00:00:00:02', removable: false }),
        row('sensor', { mac: '02:00:00:00:00:03' }),
        row('late', { link: link('waiting') }),
        row('flaky', { link: link('reconnecting', '', 3) })
      ]
    })
    const rows = deviceRows(status, statsOf(0, [deviceStats('demo', 10, 20), deviceStats('sensor', 1, 2)]))
    expect(rows.map((r) => [r.name, r.address, r.seen, r.tone, r.state, r.removable])).toEqual([
      ['demo', '192.168.100.2', true, 'ok', 'connected', false],
      ['sensor', '02:00:00:00:00:03', true, 'ok', 'connected', true],
      ['late', 'not seen', false, 'wait', 'waiting for QEMU', true],
      ['flaky', 'not seen', false, 'bad', 'reconnecting 3', true]
    ])
    expect(rows.map((r) => [r.toDevice, r.fromDevice])).toEqual([[10, 20], [1, 2], [0, 0], [0, 0]])
    expect(allDevicesRow(status, statsOf(0, []), rows)).toEqual({ count: 4, connected: 2, running: true, toDevice: 30, fromDevice: 40 })
  })

  it('says a conflict on its device', () => {
    const rows = deviceRows(statusOf({ running: true, devices: [row('a', { removable: false }), row('b', { conflict: 'same MAC 02:00:00:00:00:02 as a' })] }), null)
    expect(rows.map((r) => r.conflict)).toEqual([null, 'same MAC 02:00:00:00:00:02 as a'])
  })

  it('lists the settings\' devices while stopped, the main one not removable, with how each is reached', () => {
    const status = statusOf({
      settings: { ...DEFAULT_SETTINGS, socket: 'temp/esp32-uart1.sock', devices: [{ name: 'sensor', transport: 'demo', address: '', framing: 'esp32' }, { name: 'b', transport: 'tcp', address: 'localhost:5556', framing: 'qemu' }] }
    })
    const rows = deviceRows(status, null)
    expect(rows.map((r) => [r.name, r.framing, r.address, r.tone, r.removable, r.toDevice])).toEqual([
      ['esp32-uart1', 'esp32', 'temp/esp32-uart1.sock', 'off', false, null],
      ['sensor', 'esp32', 'demo device', 'off', true, null],
      ['b', 'qemu', 'localhost:5556', 'off', true, null]
    ])
    expect(allDevicesRow(status, null, rows)).toMatchObject({ count: 3, running: false, toDevice: null })
  })

  it('suggests a free name', () => {
    expect(suggestedName([{ name: 'demo' }])).toBe('device-2')
    expect(suggestedName([{ name: 'device-2' }, { name: 'device-3' }])).toBe('device-4')
  })
})

describe('each device\'s history', () => {
  it('keeps the last `limit` samples of each device the newest stats have, stamped with their time', () => {
    let h = NO_DEVICE_HISTORY
    for (let t = 0; t < 5; t++) h = nextDeviceHistory(h, statsOf(t * 1000, [deviceStats('a', t, 0), deviceStats('b', 0, t)]), 3)
    expect(h.get('a')!.map((s) => [s.at, s.rates1s.toDevice.bytesPerSecond])).toEqual([[2000, 2], [3000, 3], [4000, 4]])
    expect(h.get('b')).toHaveLength(3)
    // b removed: forgotten; a goes on.
    h = nextDeviceHistory(h, statsOf(5000, [deviceStats('a', 5, 0)]), 3)
    expect([...h.keys()]).toEqual(['a'])
    expect(h.get('a')!.map((s) => s.at)).toEqual([3000, 4000, 5000])
  })

  it('keeps the last run\'s numbers through the stats that say the bridge stopped', () => {
    const h = nextDeviceHistory(NO_DEVICE_HISTORY, statsOf(0, [deviceStats('a', 1, 1)]), 3)
    expect(nextDeviceHistory(h, statsOf(1000, []), 3)).toBe(h)
  })
})
