// The devices the app puts on the bridge besides its main one (the settings' own): each made into a
// bridge device by the command line's rules, and a demo one started first (a simulated device on a
// private socket, at the next address, reporting its telemetry to the main demo device, so a demo
// shows a small network).
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

import { DemoDevice } from '../demo/demoDevice.js'
import { ipv4ToBytes, subnetMask } from '../engine/addresses.js'
import type { DeviceOptions } from '../engine/bridge.js'
import { u32 } from '../engine/decode/bytes.js'
import { toDeviceOptions, type AddedDevice, type BridgeFlags, type FieldNames } from '../engine/bridgeSettings.js'
import { UserError } from '../engine/errors.js'
import { framingFor } from '../engine/framing/index.js'
import type { BridgeSettings, ExtraDeviceSettings } from '../shared/protocol.js'

export interface ExtraDevicesContext {
  /** Relative socket and serial paths are resolved against this folder. */
  baseDir: string
  names: FieldNames
  /** A demo device's socket failed after it started. */
  onFatal(error: Error): void
}

export class ExtraDevices {
  /** The running demo devices, by name. */
  private readonly demos = new Map<string, DemoDevice>()

  constructor(private readonly ctx: ExtraDevicesContext) {}

  /** Why `device` cannot join the others (one sentence), or null. Nothing is started. */
  refusal(device: ExtraDeviceSettings, settings: BridgeSettings, flags: BridgeFlags, mainName: string): string | null {
    if (device.name === mainName || settings.devices.some((d) => d.name === device.name)) return `A device named ${device.name.slice(0, 40)} is on the bridge already; give this one another name.`
    try {
      toDeviceOptions(this.added(device, join(tmpdir(), 'check.sock')), flags, this.ctx.names)
      return null
    } catch (error) {
      if (error instanceof UserError) return error.message
      throw error
    }
  }

  /**
   * The bridge options of the `index`-th extra device (a demo one is started first, at the
   * index-th address after the main device's, or by DHCP). Throws a UserError in one sentence.
   */
  async open(device: ExtraDeviceSettings, index: number, settings: BridgeSettings, flags: BridgeFlags): Promise<DeviceOptions> {
    if (device.transport !== 'demo') return toDeviceOptions(this.added(device, ''), flags, this.ctx.names)
    const socket = join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), `tunscope-demo-${process.pid}-${index + 2}.sock`)
    const options = toDeviceOptions(this.added(device, socket), flags, this.ctx.names)
    const gateway = settings.hostIp.split('/')[0]!
    const demo = new DemoDevice({
      socketPath: socket,
      baud: options.baud,
      framing: framingFor(options.framing.name, 'ethernet'),
      ip: settings.dhcp ? null : nthAddressAfter(settings.deviceIp, index + 1, settings.hostIp),
      gateway,
      // Its own MAC: the main demo device has the firmware's, 02:00:00:00:00:02.
      mac: `02:00:00:00:00:${(index + 3).toString(16).padStart(2, '0')}`,
      telemetryTo: settings.transport === 'demo' && !settings.dhcp ? settings.deviceIp : undefined,
      onFatal: (error) => this.ctx.onFatal(error)
    })
    await demo.start()
    this.demos.set(device.name, demo)
    return options
  }

  /** Stops the named device's demo, if it is one. */
  async close(name: string): Promise<void> {
    const demo = this.demos.get(name)
    this.demos.delete(name)
    await demo?.stop()
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.demos.keys()].map((name) => this.close(name)))
  }

  /** How the command line's rules see the device. */
  private added(device: ExtraDeviceSettings, demoSocket: string): AddedDevice {
    const { transport } = device
    const kind = transport === 'tcp' || transport === 'tcp-listen' ? 'tcp' : transport === 'serial' ? 'serial' : 'socket'
    const address = transport === 'demo' ? demoSocket : kind === 'tcp' || device.address.trim() === '' ? device.address : resolve(this.ctx.baseDir, device.address)
    return { name: device.name, kind, listen: transport === 'listen' || transport === 'tcp-listen', address, framing: device.framing }
  }
}

/** The address `n` after `first`, which must stay in the host's subnet and not be the host's own. */
function nthAddressAfter(first: string, n: number, hostCidr: string): string {
  const [hostIp, prefix] = hostCidr.split('/')
  const mask = subnetMask(Number(prefix))
  const host = u32(ipv4ToBytes(hostIp!), 0)
  const value = u32(ipv4ToBytes(first), 0) + n
  const hostPart = (value & ~mask) >>> 0
  // Not the host's, the network's own address or its broadcast, and still in the subnet.
  if (value === host || hostPart === 0 || hostPart === (~mask >>> 0) || value > 0xffffffff || ((value & mask) >>> 0) !== ((host & mask) >>> 0)) {
    throw new UserError(`The subnet ${hostCidr} has no room for another demo device after ${first}; remove one, or use a larger subnet.`)
  }
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.')
}
