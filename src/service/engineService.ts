// The engine as the inspector UI sees it: one bridge at a time with its
// settings (remembered in a file), a capture ring for the whole session, and
// any number of UI clients fed status, stats and frame batches. Hosted by the
// Electron engine process and by `tunscope serve` alike.
import { tmpdir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import type { Writable } from 'node:stream'

import { TELEMETRY_PORT } from '../demo/apps/telemetry.js'
import { DemoDevice } from '../demo/demoDevice.js'
import { HostTraffic, targetsAt, type HostTrafficTargets } from '../demo/hostTraffic.js'
import { Bridge, type BridgeStats, type DeviceInfo, type DeviceOptions } from '../engine/bridge.js'
import { toBridgeOptions, type FieldNames } from '../engine/bridgeSettings.js'
import { CaptureRing } from '../engine/capture/ring.js'
import type { Framing } from '../engine/framing/framing.js'
import { framingFor, payloadsOf } from '../engine/framing/index.js'
import { PcapngWriter } from '../engine/capture/pcapngWriter.js'
import { Counters, type CountersSnapshot } from '../engine/counters.js'
import { UserError } from '../engine/errors.js'
import { TunPermissionError, tunCreateCommand } from '../engine/host/tunSetup.js'
import { formatForward, type Forward } from '../engine/uplink/forwards.js'
import { engineTitle, userNetEngineInstalled } from '../engine/uplink/userNetEngine.js'
import type { InterfaceState } from '../native/index.js'
import {
  DEFAULT_SETTINGS, MAX_EXTRA_DEVICES, PROTOCOL_VERSION, type BridgeSettings, type ExtraDeviceSettings, type EngineMessage, type SettingsRejectedMessage, type StartProblem,
  type StatsMessage, type StatusMessage, type TunSnapshot, type UiCommand
} from '../shared/protocol.js'
import { ExtraDevices } from './extraDevices.js'
import { FrameFeed } from './frameFeed.js'
import { loadSettings, saveSettings } from './settingsFile.js'
import { TelemetryListener } from './telemetryListener.js'

/** How the settings form names each field in messages. */
const FORM_NAMES: FieldNames = {
  '--socket': 'Socket path', '--tcp': 'TCP address', '--listen': 'Listen', '--framing': 'Framing', '--payload': 'SLIP carries', '--ipv6-prefix': 'IPv6 prefix', '--tap': 'TAP', '--tun': 'TUN name', '--host-ip': 'Host address',
  '--device-ip': 'Device address', '--max-frame': 'Max frame', '--mtu': 'MTU', '--gw-mac': 'Gateway MAC', '--device-mac': 'Device MAC', '--baud': 'Baud',
  '--serial': 'Serial port',
  '--dhcp': 'Serve DHCP to the device', '--dhcp-lease': 'Lease', '--dns': 'DNS servers',
  '--user-net': 'Host interface', '--user-net-engine': 'Host interface', '--forward': 'Port forwards'
}
const NO_DEVICE: DeviceInfo = { mac: null, ipv4: null, conflict: null }

/** The device is reached over TCP (the bridge connects, or listens), not a unix socket. */
const overTcp = (s: BridgeSettings): boolean => s.transport === 'tcp' || s.transport === 'tcp-listen'
/** The framing chosen; the demo device speaks it too. */
const framingOf = (s: BridgeSettings): Framing => framingFor(s.framing, s.payload)
/** The forwards as the form holds them: specs separated by commas or spaces. */
const forwardSpecs = (text: string): string[] => text.split(/[\s,]+/).filter((spec) => spec !== '')
/** No host traffic: a user-mode network whose forwards are not known yet. */
const NO_TARGETS: HostTrafficTargets = { ping: null, http: null, udpEcho: null }

/** The demo device's HTTP and UDP echo through the user-mode network's forwards to their ports, where there are some. */
function targetsThrough(forwards: readonly Forward[]): HostTrafficTargets {
  const to = (protocol: Forward['protocol'], devicePort: number): { host: string; port: number } | null => {
    const f = forwards.find((forward) => forward.protocol === protocol && forward.devicePort === devicePort)
    return f ? { host: f.bindAddress === '0.0.0.0' ? '127.0.0.1' : f.bindAddress, port: f.hostPort } : null
  }
  return { ping: null, http: to('tcp', 80), udpEcho: to('udp', 7) }
}

const FEED_EVERY_MS = 33
const STATS_EVERY_MS = 1000

export interface UiClient {
  sendMessage(message: EngineMessage): void
  sendFrames(batch: Uint8Array): void
  /** Bytes queued towards this client and not yet delivered (0 if unknown). */
  backlog(): number
}

export interface EngineServiceOptions {
  /** JSON file the settings are remembered in; null: not remembered. */
  settingsFile: string | null
  /** Settings to use over the remembered ones (e.g. `tunscope serve`'s flags). */
  settings?: Partial<BridgeSettings>
  /** Relative socket paths are resolved against this folder. */
  baseDir: string
  application: string
}

interface Attached {
  client: UiClient
  feed: FrameFeed
}

/** The built-in demo device, the host traffic that keeps it busy and the host's end of its telemetry, while transport 'demo' runs. */
interface RunningDemo {
  device: DemoDevice
  traffic: HostTraffic
  /** Listens once the TUN has its address; null until then. */
  telemetry: TelemetryListener | null
}

export class EngineService {
  private settings: BridgeSettings
  /** Where settings are remembered; null: nowhere (none given, or an unreadable file stayed in place). */
  private readonly settingsFile: string | null
  private readonly settingsUnreadable: string | null
  /** Why the last write of the settings failed; cleared by the next one that succeeds. */
  private settingsUnsaved: string | null = null
  private bridge: Bridge | null = null
  private demo: RunningDemo | null = null
  private firstRun: boolean
  private tun: TunSnapshot | null = null
  private problem: StartProblem | null = null
  /** The last bridge's final counters, shown until the next start. */
  private finalCounters: CountersSnapshot = new Counters().snapshot()
  /** The device the last bridge learned, shown until the next start. */
  private lastDevice: DeviceInfo = NO_DEVICE
  /** The demo's telemetry, received now or until the last Stop; shown until the next start. */
  private telemetry: TelemetryListener | null = null
  /** The telemetry's `changes` when a status last went out. */
  private telemetryChangesSent = 0
  /** The connections refused on forwarded ports when a status last went out. */
  private refusedSent = 0
  private readonly ring = new CaptureRing()
  /** The devices besides the main one, as the running bridge has them. */
  private readonly extraDevices: ExtraDevices
  private readonly clients = new Set<Attached>()
  private readonly feedTimer: NodeJS.Timeout
  private readonly statsTimer: NodeJS.Timeout
  /** Serializes start/stop so a quick double click cannot run two bridges. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly options: EngineServiceOptions) {
    const loaded = options.settingsFile === null ? null : loadSettings(options.settingsFile)
    this.settingsFile = loaded?.writable ? options.settingsFile : null
    this.settingsUnreadable = loaded?.unreadable ?? null
    this.firstRun = loaded !== null && !loaded.found
    this.settings = { ...DEFAULT_SETTINGS, ...loaded?.settings, ...options.settings }
    this.extraDevices = new ExtraDevices({ baseDir: options.baseDir, names: FORM_NAMES, onFatal: (error) => this.failed(error) })
    this.feedTimer = setInterval(() => this.feed(), FEED_EVERY_MS)
    this.statsTimer = setInterval(() => this.broadcastStats(), STATS_EVERY_MS)
  }

  get currentSettings(): BridgeSettings {
    return this.settings
  }

  /** Why the last start failed, or null. */
  get currentProblem(): StartProblem | null {
    return this.problem
  }

  /** What went wrong with the settings file, one sentence each: unreadable and kept aside, not written. */
  get settingsFileTrouble(): { unreadable: string | null; unsaved: string | null } {
    return { unreadable: this.settingsUnreadable, unsaved: this.settingsUnsaved }
  }

  attach(client: UiClient): () => void {
    const attached: Attached = { client, feed: new FrameFeed(client, this.ring) }
    this.clients.add(attached)
    client.sendMessage({ type: 'hello', version: PROTOCOL_VERSION, timeOrigin: performance.timeOrigin, status: this.status(), firstRun: this.firstRun, baseDir: this.options.baseDir })
    client.sendMessage(this.stats(attached, this.bridge?.stats()))
    return () => this.clients.delete(attached)
  }

  /** Runs the command after those before it; resolves with the answer for its sender if its settings are refused. */
  handle(command: UiCommand): Promise<SettingsRejectedMessage | null> {
    return this.enqueue(() => this.run(command, true))
  }

  /**
   * Starts with the settings as they are (`tunscope serve --start`): the command
   * line's options are for this run and are not remembered unless the user saves them.
   */
  startForThisRun(): Promise<SettingsRejectedMessage | null> {
    return this.enqueue(() => this.run({ type: 'start', settings: this.settings }, false))
  }

  private enqueue(work: () => Promise<SettingsRejectedMessage | null>): Promise<SettingsRejectedMessage | null> {
    const done = this.queue.then(work)
    this.queue = done.catch(() => {}) // one failed command must not stop the ones after it
    return done
  }

  /** The frames captured so far, as pcapng; resolves when `out` has them all. */
  async writePcapng(out: Writable): Promise<void> {
    const writer = new PcapngWriter(this.ring, out, {
      application: this.options.application,
      from: this.ring.tail
    })
    writer.start()
    await writer.close()
  }

  async close(): Promise<void> {
    clearInterval(this.feedTimer)
    clearInterval(this.statsTimer)
    await this.handle({ type: 'stop' })
  }

  private async run(command: UiCommand, remember: boolean): Promise<SettingsRejectedMessage | null> {
    if (command.type === 'demoFault') {
      this.demo?.device.inject(command.fault)
      return null
    }
    if (command.type === 'setForwards') return this.changeForwards(command.forwards)
    if (command.type === 'addDevice') return this.addDevice(command.device)
    if (command.type === 'removeDevice') return this.removeDevice(command.name)
    if (command.type === 'stop') {
      await this.stopBridge()
    } else {
      // Checked before anything is stored or stopped: refused settings leave the running bridge alone.
      const refusal = this.refusal(command.settings)
      if (refusal) return { type: 'settingsRejected', message: refusal }
      if (command.type === 'start') await this.stopBridge()
      if (remember) this.remember(command.settings)
      if (command.type === 'start') await this.startBridge()
    }
    this.broadcastStatus()
    return null
  }

  /**
   * Why the settings cannot make a bridge, by the command line's rules (field
   * names as the form shows them), or null. The socket's folder may appear
   * later (QEMU makes it): Start says so if it is still missing then.
   */
  private refusal(settings: BridgeSettings): string | null {
    try {
      toBridgeOptions(this.flags(settings), FORM_NAMES, false)
      return null
    } catch (error) {
      if (error instanceof UserError) return error.message
      throw error
    }
  }

  private async startBridge(): Promise<void> {
    this.problem = null
    this.lastDevice = NO_DEVICE
    this.telemetry = null
    let bridge: Bridge
    try {
      let options = toBridgeOptions(this.flags(), FORM_NAMES)
      if (this.settings.transport === 'demo') await this.startDemo(options.devices[0]!.baud, options.tun.hostIp.address)
      const extras: DeviceOptions[] = []
      for (const [index, device] of this.settings.devices.entries()) extras.push(await this.extraDevices.open(device, index, this.settings, this.flags()))
      // On a TUN or a TAP more devices may join while it runs; a user-mode network's are given at Start.
      options = { ...options, devices: [...options.devices, ...extras], growable: this.settings.interfaceKind !== 'user' }
      try {
        bridge = this.startedBridge(options)
      } catch (error) {
        // A first run's demo without a TUN and without admin rights: the user-mode network needs neither.
        if (!(this.demo && error instanceof TunPermissionError && userNetEngineInstalled())) throw error
        options = toBridgeOptions(this.flags({ ...this.settings, interfaceKind: 'user' }), FORM_NAMES)
        bridge = this.startedBridge(options)
      }
      if (!options.userNet) this.demo?.traffic.retarget(targetsAt(this.settings.deviceIp))
    } catch (error) {
      await this.stopDemo()
      await this.extraDevices.closeAll()
      if (!(error instanceof UserError)) throw error
      const noRights = error instanceof TunPermissionError
      this.problem = { message: error.message, tunCommand: noRights ? tunRequest(error) : null, userNetOffer: noRights && userNetEngineInstalled() }
      return
    }
    this.bridge = bridge
    this.demo?.traffic.start()
    bridge.on('link', () => this.broadcastStatus())
    bridge.on('device', () => this.broadcastStatus())
    bridge.on('tunStatus', () => this.broadcastStatus())
    bridge.on('fatal', (error) => this.failed(error))
  }

  /** A bridge with `options`, started (throws a UserError if its TUN cannot be had). */
  private startedBridge(options: ReturnType<typeof toBridgeOptions>): Bridge {
    const bridge = new Bridge({ ...options, capture: this.ring })
    bridge.on('tun', (state) => {
      this.tun = tunSnapshot(state)
      void this.listenForTelemetry(options.tun.hostIp.address, this.settings.deviceIp)
    })
    // Through the user-mode network the host reaches the device at its forwarded ports, and the
    // device's telemetry to its gateway arrives on the host's loopback.
    bridge.on('userNet', ({ forwards }) => {
      this.demo?.traffic.retarget(targetsThrough(forwards))
      void this.listenForTelemetry('127.0.0.1', '127.0.0.1')
      this.broadcastStatus()
    })
    bridge.start()
    return bridge
  }

  /**
   * New forwards for the user-mode network, applied at once when it runs (live with libslirp, passt restarts) and
   * remembered; refused in one sentence, the old ones kept, when they cannot be had.
   */
  private async changeForwards(forwards: string): Promise<SettingsRejectedMessage | null> {
    const settings = { ...this.settings, forwards }
    try {
      const parsed = toBridgeOptions(this.flags({ ...settings, interfaceKind: 'user' }), FORM_NAMES, false).userNet!.forwards
      if (this.bridge?.stats().userNet) await this.bridge.setForwards(parsed)
    } catch (error) {
      if (error instanceof UserError) return { type: 'settingsRejected', message: error.message }
      throw error
    }
    this.remember(settings)
    this.broadcastStatus()
    return null
  }

  /** The demo device serves a private socket that the bridge then reaches like any QEMU. */
  private async startDemo(baud: number, gateway: string): Promise<void> {
    const device = new DemoDevice({
      socketPath: demoSocketPath(),
      baud,
      framing: framingOf(this.settings),
      ip: this.settings.dhcp ? null : this.settings.deviceIp, // with DHCP: the bridge gives it deviceIp
      gateway,
      onFatal: (error) => this.failed(error)
    })
    this.demo = { device, traffic: new HostTraffic(NO_TARGETS), telemetry: null }
    await device.start()
  }

  /**
   * Once the TUN has the host's address (at start, or again when it comes
   * back), the demo's telemetry is received there. A listener that could not
   * bind (the port taken, the address gone) is replaced at the TUN's next return.
   */
  private async listenForTelemetry(hostIp: string, deviceIp: string): Promise<void> {
    const demo = this.demo
    if (!demo || (demo.telemetry && demo.telemetry.snapshot().problem === null)) return
    const telemetry = new TelemetryListener({ address: hostIp, port: TELEMETRY_PORT, deviceIp })
    demo.telemetry = this.telemetry = telemetry
    await telemetry.listen()
    this.broadcastStatus()
  }

  private failed(error: Error): void {
    this.problem = { message: error.message, tunCommand: null, userNetOffer: false }
    void this.handle({ type: 'stop' })
  }

  private async stopBridge(): Promise<void> {
    const bridge = this.bridge
    this.bridge = null
    if (bridge) {
      this.lastDevice = bridge.stats().device // before the stopping bridge's last events send a status
      await bridge.stop()
      this.finalCounters = bridge.stats().counters
      this.broadcastStats(undefined, true)
    }
    await this.stopDemo()
    await this.extraDevices.closeAll()
  }

  /** A device joins the settings' list, and the running bridge at once; refused in one sentence, nothing changed. */
  private async addDevice(device: ExtraDeviceSettings): Promise<SettingsRejectedMessage | null> {
    const rejected = (message: string): SettingsRejectedMessage => ({ type: 'settingsRejected', message })
    if (this.settings.devices.length >= MAX_EXTRA_DEVICES) return rejected(`The bridge takes ${MAX_EXTRA_DEVICES + 1} devices; remove one first.`)
    const refusal = this.extraDevices.refusal(device, this.settings, this.flags(), this.mainDeviceName())
    if (refusal) return rejected(refusal)
    const bridge = this.bridge
    if (bridge) {
      try {
        bridge.addDevice(await this.extraDevices.open(device, this.settings.devices.length, this.settings, this.flags()))
      } catch (error) {
        await this.extraDevices.close(device.name)
        if (error instanceof UserError) return rejected(error.message)
        throw error
      }
    }
    this.remember({ ...this.settings, devices: [...this.settings.devices, device] })
    this.broadcastStatus()
    return null
  }

  /** A device leaves the list, and the running bridge (the others carry on). */
  private async removeDevice(name: string): Promise<SettingsRejectedMessage | null> {
    if (!this.settings.devices.some((d) => d.name === name)) {
      const main = name === this.mainDeviceName()
      return { type: 'settingsRejected', message: main ? `${name} is the main device: change it in Settings, or Stop.` : `No device named ${name.slice(0, 40)} is on the list.` }
    }
    if (this.bridge?.ports.some((port) => port.name === name)) await this.bridge.removeDevice(name)
    await this.extraDevices.close(name)
    this.remember({ ...this.settings, devices: this.settings.devices.filter((d) => d.name !== name) })
    this.broadcastStatus()
    return null
  }

  /** What the bridge calls the settings' own device ('device' while the settings cannot make one). */
  private mainDeviceName(): string {
    if (this.bridge) return this.bridge.ports[0]!.name
    try {
      return toBridgeOptions(this.flags(), FORM_NAMES, false).devices[0]!.name
    } catch (error) {
      if (error instanceof UserError) return 'device'
      throw error
    }
  }

  private async stopDemo(): Promise<void> {
    const demo = this.demo
    this.demo = null
    demo?.traffic.stop()
    demo?.telemetry?.close()
    await demo?.device.stop()
  }

  private flags(s: BridgeSettings = this.settings): Parameters<typeof toBridgeOptions>[0] {
    return {
      socket: overTcp(s) || s.transport === 'serial' ? undefined : s.transport === 'demo' ? `demo=${demoSocketPath()}` : resolve(this.options.baseDir, s.socket),
      // As typed (toBridgeOptions refuses an empty one), under baseDir when relative.
      serial: s.transport !== 'serial' ? undefined : s.serial.trim() === '' ? s.serial : resolve(this.options.baseDir, s.serial),
      tcp: overTcp(s) ? s.tcp : undefined,
      listen: s.transport === 'listen' || s.transport === 'tcp-listen',
      framing: s.framing,
      // Only a framing with a choice of payload takes the flag; the form keeps it for the others, unused.
      payload: payloadsOf(s.framing).length > 1 ? s.payload : undefined,
      ipv6Prefix: s.framing === 'slip' && s.ipv6Prefix.trim() !== '' ? s.ipv6Prefix.trim() : undefined,
      tun: s.tun,
      tap: s.interfaceKind === 'tap',
      userNet: s.interfaceKind === 'user',
      forward: s.interfaceKind === 'user' ? forwardSpecs(s.forwards) : undefined,
      userNetEngine: s.interfaceKind === 'user' && s.userNetEngine !== 'auto' ? s.userNetEngine : undefined,
      hostIp: s.hostIp,
      deviceIp: s.deviceIp,
      maxFrame: s.maxFrame,
      mtu: s.mtu.trim() === '' ? undefined : s.mtu,
      gwMac: s.gwMac,
      deviceMac: s.deviceMac.trim() === '' ? undefined : s.deviceMac, // the framing's: the firmware's, or QEMU's
      baud: s.baud,
      // Lease and resolvers are kept in the form while DHCP is off, and unused.
      dhcp: s.dhcp,
      dhcpLease: s.dhcp && s.dhcpLease.trim() !== '' ? s.dhcpLease : undefined,
      dns: s.dhcp ? s.dns.split(/[\s,]+/).filter((server) => server !== '') : []
    }
  }

  private status(): StatusMessage {
    const stats = this.bridge?.stats()
    if (this.bridge && stats?.tun) this.tun = tunSnapshot(stats.tun)
    return {
      type: 'status',
      running: this.bridge !== null,
      settings: this.settings,
      link: stats ? { ...stats.link } : null,
      tun: this.tun,
      tunProblem: stats && stats.tunStatus !== 'up' ? { status: stats.tunStatus, message: stats.tunProblem ?? '' } : null,
      device: stats ? { ...stats.device, live: true } : { ...this.lastDevice, live: false },
      userNet: stats?.userNet ? { engine: engineTitle(stats.userNet.engine), forwards: stats.userNet.forwards.map((f) => ({ ...f, spec: formatForward(f) })) } : null,
      problem: this.problem,
      settingsUnreadable: this.settingsUnreadable,
      settingsUnsaved: this.settingsUnsaved,
      demo: this.demo && { socket: this.demo.device.socketPath, traffic: { rounds: this.demo.traffic.rounds, answered: this.demo.traffic.answered } },
      telemetry: this.telemetry?.snapshot() ?? null,
      devices: (stats?.devices ?? []).map((d, index) => ({
        name: d.name, framing: d.framing, payload: d.payload, link: { ...d.link }, mac: d.device.mac, ipv4: d.device.ipv4, conflict: d.device.conflict, removable: index > 0
      })),
      interfaces: this.ring.interfaces.map((i) => i.name),
      mainDevice: this.mainDeviceName()
    }
  }

  private stats(attached: Attached, stats: BridgeStats | undefined): StatsMessage {
    const idle = { bytesPerSecond: 0, framesPerSecond: 0, utilization: 0 }
    const baud = stats?.baud ?? (Number(this.settings.baud) || 0)
    return {
      type: 'stats',
      at: Date.now(),
      counters: stats?.counters ?? this.finalCounters,
      rates1s: stats?.rates.window1s ?? { fromDevice: idle, toDevice: idle },
      rates10s: stats?.rates.window10s ?? { fromDevice: idle, toDevice: idle },
      baud,
      lineBytesPerSecond: baud / 10,
      devices: (stats?.devices ?? []).map((d) => ({
        name: d.name, counters: d.counters, rates1s: d.rates.window1s, rates10s: d.rates.window10s, baud: d.baud, lineBytesPerSecond: d.lineBytesPerSecond
      })),
      captured: this.ring.head,
      notShown: attached.feed.notShown
    }
  }

  private feed(): void {
    for (const { feed } of this.clients) feed.tick(this.ring)
  }

  /** Every second while bridging, and once more when it stops. */
  private broadcastStats(stats: BridgeStats | undefined = this.bridge?.stats(), stopped = false): void {
    if (!stats && !stopped) return
    for (const attached of this.clients) attached.client.sendMessage(this.stats(attached, stats))
    // The TUN may go down or change under us; the status bar shows it.
    const tunChanged = stats?.tun && JSON.stringify(tunSnapshot(stats.tun)) !== JSON.stringify(this.tun)
    // Telemetry goes out with the status at most once a second, however fast datagrams come.
    const telemetryChanged = this.telemetry !== null && this.telemetry.changes !== this.telemetryChangesSent
    // So do the connections the device refused on a forwarded port.
    const refusedChanged = refusedCount(stats) !== this.refusedSent
    if (tunChanged || telemetryChanged || refusedChanged) this.broadcastStatus()
  }

  private broadcastStatus(): void {
    this.telemetryChangesSent = this.telemetry?.changes ?? 0
    this.refusedSent = refusedCount(this.bridge?.stats())
    const status = this.status()
    for (const { client } of this.clients) client.sendMessage(status)
  }

  private remember(settings: BridgeSettings): void {
    this.settings = settings
    this.firstRun = false
    if (this.settingsFile) this.settingsUnsaved = saveSettings(this.settingsFile, settings)
  }
}

/** All connections the device refused on forwarded ports (they only grow while a bridge runs). */
function refusedCount(stats: BridgeStats | undefined): number {
  return stats?.userNet?.forwards.reduce((n, f) => n + f.refusedByDevice, 0) ?? 0
}

function tunSnapshot(state: InterfaceState): TunSnapshot {
  return { name: state.name, kind: state.kind, address: state.address, prefixLength: state.prefixLength, mtu: state.mtu, up: state.up }
}

function tunRequest(error: TunPermissionError): StartProblem['tunCommand'] {
  const { plan } = error
  return {
    name: plan.name,
    user: process.env.SUDO_USER ?? userInfo().username,
    hostIp: `${plan.hostIp.address}/${plan.hostIp.prefixLength}`,
    mtu: plan.mtu,
    tap: plan.kind === 'tap',
    commandLine: tunCreateCommand(plan)
  }
}

/** A socket of this process's own for the demo device, where only this user looks. */
function demoSocketPath(): string {
  return join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), `tunscope-demo-${process.pid}.sock`)
}
