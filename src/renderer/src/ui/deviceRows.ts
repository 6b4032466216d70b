// The device list's rows (DevicesPanel.tsx): the running bridge's devices with their numbers, or,
// while stopped, the devices the settings will start (the main one and settings.devices), so they
// can be added and removed before Start. Pure, no DOM: unit-tested in node (test/renderer/deviceRows.test.ts).
import type { FramePayload, FramingName } from '../../../engine/framing/framing'
import type { BridgeSettings, ExtraDeviceSettings, LinkSnapshot, StatsMessage, StatusMessage } from '../../../shared/protocol'

export type DeviceTone = 'ok' | 'wait' | 'bad' | 'off'

export interface DeviceRow {
  name: string
  framing: FramingName
  payload: FramePayload
  /** The link's state in a word or two (connected, waiting for QEMU, reconnecting 2, stopped), and its dot's colour. */
  state: string
  tone: DeviceTone
  /** The device's IPv4 address, else its MAC, else 'not seen' (running); how it is reached (stopped). */
  address: string
  /** The address is the device's own (learned from its frames), not a stand-in. */
  seen: boolean
  /** Where the bridge reaches it: the socket, HOST:PORT, serial port, or the demo. */
  endpoint: string
  /** Another device has the same MAC or address, in one sentence; else null. */
  conflict: string | null
  removable: boolean
  /** bytes/s over the last second, null while stopped. */
  toDevice: number | null
  fromDevice: number | null
}

/** The "All devices" row's numbers. */
export interface AllDevicesRow {
  count: number
  connected: number
  running: boolean
  toDevice: number | null
  fromDevice: number | null
}

/** What a link that is not up yet waits for, by transport; QEMU for the others (as the status bar says). */
const WAITING_FOR: Partial<Record<BridgeSettings['transport'], string>> = { demo: 'the demo', serial: 'the port', 'tcp-listen': 'a connection', listen: 'a connection' }

function linkState(link: LinkSnapshot, transport: BridgeSettings['transport'] | undefined): { state: string; tone: DeviceTone } {
  if (link.status === 'connected') return { state: 'connected', tone: 'ok' }
  if (link.status === 'reconnecting') return { state: `reconnecting ${link.attempt}${link.detail ? ` (${link.detail})` : ''}`, tone: 'bad' }
  if (link.status === 'stopped') return { state: 'stopped', tone: 'off' }
  return { state: `waiting for ${(transport && WAITING_FOR[transport]) ?? 'QEMU'}${link.detail ? ` (${link.detail})` : ''}`, tone: 'wait' }
}

/** How a device is reached, as the list says it while stopped. */
export function endpointOf(transport: BridgeSettings['transport'], address: string): string {
  return transport === 'demo' ? 'demo device' : address
}

function mainEndpoint(s: BridgeSettings): string {
  return endpointOf(s.transport, s.transport === 'tcp' || s.transport === 'tcp-listen' ? s.tcp : s.transport === 'serial' ? s.serial : s.socket)
}

function transportOf(status: StatusMessage, name: string, index: number): BridgeSettings['transport'] | undefined {
  return index === 0 ? status.settings.transport : status.settings.devices?.find((d) => d.name === name)?.transport
}

/** The rows under "All devices", the main device first. */
export function deviceRows(status: StatusMessage, stats: StatsMessage | null): DeviceRow[] {
  const settings = status.settings
  const devices = status.devices ?? []
  if (status.running && devices.length > 0) {
    return devices.map((d, index) => {
      const numbers = stats?.devices?.find((s) => s.name === d.name)
      const address = d.ipv4 ?? d.mac
      const extra = settings.devices?.find((e) => e.name === d.name)
      return {
        name: d.name,
        framing: d.framing,
        payload: d.payload,
        ...linkState(d.link, transportOf(status, d.name, index)),
        address: address ?? 'not seen',
        seen: address !== null,
        endpoint: d.link.endpoint || (extra ? endpointOf(extra.transport, extra.address) : index === 0 ? mainEndpoint(settings) : ''),
        conflict: d.conflict,
        removable: d.removable,
        toDevice: numbers?.rates1s.toDevice.bytesPerSecond ?? 0,
        fromDevice: numbers?.rates1s.fromDevice.bytesPerSecond ?? 0
      }
    })
  }
  const stopped = (name: string, framing: FramingName, payload: FramePayload, endpoint: string, removable: boolean): DeviceRow => ({
    name, framing, payload, state: status.running ? 'starting' : 'stopped', tone: status.running ? 'wait' : 'off', address: endpoint, seen: false, endpoint, conflict: null, removable, toDevice: null, fromDevice: null
  })
  return [
    stopped(status.mainDevice, settings.framing, settings.payload, mainEndpoint(settings), false),
    ...(settings.devices ?? []).map((d: ExtraDeviceSettings) => stopped(d.name, d.framing, 'ethernet', endpointOf(d.transport, d.address), true))
  ]
}

export function allDevicesRow(status: StatusMessage, stats: StatsMessage | null, rows: readonly DeviceRow[]): AllDevicesRow {
  const running = status.running
  return {
    count: rows.length,
    connected: rows.filter((r) => r.tone === 'ok').length,
    running,
    toDevice: running ? stats?.rates1s.toDevice.bytesPerSecond ?? 0 : null,
    fromDevice: running ? stats?.rates1s.fromDevice.bytesPerSecond ?? 0 : null
  }
}

/** A name for the next device: the first of device-2, device-3, … that no row has. */
export function suggestedName(rows: readonly { name: string }[], base = 'device'): string {
  const taken = new Set(rows.map((r) => r.name))
  let n = 2
  while (taken.has(`${base}-${n}`)) n++
  return `${base}-${n}`
}
