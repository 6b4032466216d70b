// The bridge: the device's byte stream, cut into frames by its framing ↔ host
// TUN/TAP, with counters, rates and an optional capture. Hosts (CLI, Electron
// main, browser server) create one, start it, read stats() and events, and
// stop it.
import { EventEmitter } from 'node:events'

import type { InterfaceState } from '../native/index.js'
import { formatMacBytes, ipv4ToBytes, type Ipv4Cidr } from './addresses.js'
import type { CaptureRing } from './capture/ring.js'
import { Counters, sumCounters, type CountersSnapshot } from './counters.js'
import { u32 } from './decode/bytes.js'
import { DevicePort, type DeviceInfo } from './devicePort.js'
import { DeviceSwitch } from './deviceSwitch.js'
import { PROBE_EVERY_MS } from './fromDevice.js'
import type { FramePayload, Framing, FramingName } from './framing/framing.js'
import { TunKeeper, type TunStatus } from './host/tunKeeper.js'
import { openHostTun } from './host/tunSetup.js'
import { sumRates, type Rates } from './rates.js'
import { DhcpServer, type DhcpServerCounters } from './services/dhcpServer.js'
import { LeasePool } from './services/leasePool.js'
import { ToDevicePath } from './toDevice.js'
import { ToDevicesPath } from './toDevices.js'
import type { LinkState, TransportOptions } from './transport/index.js'
import { ETHERNET_HEADER } from './ethernet.js'
import { UserError } from './errors.js'
import { MAX_DEVICES } from './deviceSpecs.js'
import { transportKey } from './transport/index.js'
import type { Forward } from './uplink/forwards.js'
import { chooseUserNetEngine, engineTitle, type UserNetEngineName } from './uplink/userNetEngine.js'
import { UserNetSide } from './uplink/userNetSide.js'
import { UserNetUplink } from './uplink/userNetUplink.js'

/** One device on the bridge: how it is reached, how its stream carries frames, and what it is. */
export interface DeviceOptions {
  /** What the person calls it: the socket's or serial port's name, or the name they gave. */
  name: string
  transport: TransportOptions
  /** How the device's stream carries frames. */
  framing: Framing
  /** Largest Ethernet frame the device takes, header included (the firmware's 1500). */
  maxFrame: number
  /** The device's address, or null: learned from its frames (one of several devices, or given by DHCP). */
  deviceIp: string | null
  /** Destination MAC towards the device until its own is learned. */
  defaultDeviceMac: Uint8Array
  baud: number
}

export interface BridgeOptions {
  /** The devices, one port each (at least one). */
  devices: DeviceOptions[]
  /** Devices may be added while it runs (the app): the switch is there from the start, even for one. */
  growable?: boolean
  tun: { name: string; kind: 'tun' | 'tap'; hostIp: Ipv4Cidr; mtu: number }
  gatewayMac: Uint8Array
  /** The address DHCP hands out (to one device), or the first it hands out (to several). */
  deviceIp: string
  capture: CaptureRing | null
  /**
   * Answer the devices' DHCP requests (the host as router), or null to let them through. One device
   * gets deviceIp; several get an address each from deviceIp up, kept per MAC in `leaseFile`
   * (null: for this run only).
   */
  dhcp?: { leaseSeconds: number; dnsServers: string[]; leaseFile?: string | null } | null
  /** The IPv6 /64 prefix (8 bytes) a SLIP device's tunslip6 '?P' request is answered with; null: not answered. */
  slipPrefix?: Uint8Array | null
  /** No TUN: the host side is a user-mode network, with these port forwards (tun's hostIp is the gateway). */
  userNet?: UserNetOptions | null
}

export interface UserNetOptions {
  forwards: Forward[]
  /** passt or QEMU's libslirp; left out, passt where installed and else libslirp. */
  engine?: UserNetEngineName
}

/** A forward in effect, and how many connections through it the device refused (nothing listens on its port). */
export interface ForwardStats extends Forward {
  refusedByDevice: number
}

export type { DeviceInfo } from './devicePort.js'

/** One device: its link, what the bridge learned of it, and its own counters and rates. */
export interface DeviceStats {
  name: string
  /** The framing's name (esp32, qemu, slip). */
  framing: FramingName
  /** What its records carry: Ethernet frames, or bare IP packets (SLIP without TAP). */
  payload: FramePayload
  link: LinkState
  device: DeviceInfo
  /** What this device's DHCP server answered and ignored (--dhcp), or null when it is off. */
  dhcp: DhcpServerCounters | null
  counters: CountersSnapshot
  rates: Rates
  baud: number
  /** Bytes per second one direction of its UART carries at its baud (8N1). */
  lineBytesPerSecond: number
}

/**
 * The bridge as a whole. The counters, rates, baud and line rate are the totals over every device
 * and the host side (with one device, that device's own); framing, payload, link and device are
 * the first device's (with one device, all there is); `devices` has each.
 */
export interface BridgeStats {
  framing: FramingName
  payload: FramePayload
  /** What the DHCP servers answered and ignored together (--dhcp), or null when it is off. */
  dhcp: DhcpServerCounters | null
  /** Several devices with DHCP: the leases kept per MAC, where, and any trouble keeping them (one sentence). */
  leases: { file: string | null; count: number; problem: string | null } | null
  link: LinkState
  tun: InterfaceState | null
  /** Whether the TUN can take packets: 'down' and 'missing' (deleted) drop what the device sends. */
  tunStatus: TunStatus
  /** Why the TUN is down or missing, in one sentence, or null. */
  tunProblem: string | null
  /** errno name of the last packet the TUN refused (e.g. EIO while it is down), or null. */
  tunWriteError: string | null
  device: DeviceInfo
  devices: DeviceStats[]
  /** The user-mode network's forwards in effect, or null with a TUN. */
  userNet: {
    engine: UserNetEngineName
    forwards: ForwardStats[]
    /** Records from the engine that its stream's framing refused (it is local: none are expected). */
    streamErrors: number
  } | null
  counters: CountersSnapshot
  rates: Rates
  /** The devices' bauds together: what the totals' utilization is measured against. */
  baud: number
  lineBytesPerSecond: number
}

export interface BridgeEvents {
  /** The TUN is ready (at start, or again after it was deleted): its state, and whether the bridge created it (else it attached). */
  tun: [InterfaceState, boolean]
  /** The TUN went down or missing, or is up again. */
  tunStatus: [TunStatus, string | null]
  /** A device's link changed: its state, and the device's name. */
  link: [LinkState, string]
  /** What the bridge knows of a device changed: that, and the device's name. */
  device: [DeviceInfo, string]
  /** Something fatal happened after start (e.g. the listen socket failed). */
  fatal: [Error]
  /** The user-mode network is up, with its engine and forwards. */
  userNet: [{ socketPath: string; engine: UserNetEngineName; forwards: Forward[] }]
}

const TUN_READ_BUFFER = 1024 * 1024
const TUN_BATCH = 512

export class Bridge extends EventEmitter<BridgeEvents> {
  /** The host side's own counters (what no device was there to take, capture overruns); the totals add every device's. */
  readonly counters = new Counters()
  /** One port per device, in the order given (then added). */
  private readonly portList: DevicePort[] = []
  /** Between several devices (or one, where more may be added); null for one device alone. */
  private readonly deviceSwitch: DeviceSwitch | null
  /** The addresses DHCP hands devices without one of their own, one per MAC; null without DHCP or the switch. */
  readonly leases: LeasePool | null
  private tun: TunKeeper | null = null
  private started = false
  private userNet: UserNetSide | null = null
  private uplink: UserNetUplink | null = null
  /** Connections the device refused (RST to the SYN), by its forwarded TCP port. */
  private readonly refusedPorts = new Map<number, number>()
  /** Asks for the device's MAC every second while the user-mode network has not heard it. */
  private prober: NodeJS.Timeout | undefined
  private readonly hostIp: Uint8Array

  constructor(readonly options: BridgeOptions) {
    super()
    const o = options
    if (o.devices.length === 0) throw new UserError('The bridge needs a device: give its socket, TCP address or serial port.')
    const switching = o.devices.length > 1 || !!o.growable
    this.hostIp = ipv4ToBytes(o.tun.hostIp.address)
    const { prefixLength } = o.tun.hostIp
    this.deviceSwitch = switching ? new DeviceSwitch(this.portList, u32(this.hostIp, 0), prefixLength, this.counters) : null
    this.leases = o.dhcp && switching
      ? new LeasePool({ hostIp: this.hostIp, prefixLength, firstIp: ipv4ToBytes(o.deviceIp), file: o.dhcp.leaseFile ?? null, inUse: (ip) => this.deviceSwitch?.portFor(u32(ip, 0)) != null })
      : null
    for (const d of o.devices) {
      this.checkJoining(d)
      this.portList.push(this.newPort(d))
    }
  }

  /** The devices' ports, in order. */
  get ports(): readonly DevicePort[] {
    return this.portList
  }

  private newPort(d: DeviceOptions): DevicePort {
    const o = this.options
    // A user-mode engine takes and gives whole Ethernet frames, as a TAP does.
    const tap = o.tun.kind === 'tap' || !!o.userNet
    const hostKey = u32(this.hostIp, 0)
    const port: DevicePort = new DevicePort({
      name: d.name,
      transport: d.transport,
      framing: d.framing,
      maxFrame: d.maxFrame,
      baud: d.baud,
      defaultDeviceMac: d.defaultDeviceMac,
      capture: o.capture,
      capturePort: this.portList.length,
      tap,
      gatewayMac: o.gatewayMac,
      deviceIp: d.deviceIp === null ? null : ipv4ToBytes(d.deviceIp),
      hostIp: this.hostIp,
      prefixLength: o.tun.hostIp.prefixLength,
      probesForMac: !!o.userNet || (!tap && d.framing.payload === 'ethernet'),
      slipPrefix: o.slipPrefix ?? null,
      dhcp: o.dhcp ? this.dhcpServer(o.dhcp, d.deviceIp) : null,
      // A TUN's side is IP: devices reach each other by address. A TAP's and a user-mode network's is Ethernet: by MAC.
      toOtherDevices: this.deviceSwitch && !tap ? (b, ip, length, time) => this.deviceSwitch!.fromDevice(port, b, ip, length, time) : null,
      toOtherDevicesL2: this.deviceSwitch && tap ? (b, frame, length, time) => this.deviceSwitch!.frameFromDevice(port, b, frame, length, time) : null,
      addressTaken: (key) => (this.deviceSwitch ? this.deviceSwitch.addressTaken(key) : key === hostKey)
    }, {
      link: (state) => this.emit('link', state, d.name),
      device: () => this.devicesChanged(),
      fatal: (error) => this.emit('fatal', error)
    })
    return port
  }

  /**
   * Prepares the host side (throws a UserError if the TUN or a user-mode engine cannot be had; the
   * engine, which starts in the background, reports its trouble as 'fatal') and starts reaching
   * for the devices.
   */
  start(): void {
    const o = this.options
    const userNet = o.userNet ?? null
    const engine = userNet ? chooseUserNetEngine(userNet.engine, this.deviceSwitch !== null) : null
    this.describeCapturePorts()
    const firstTun = userNet ? null : openHostTun(o.tun)
    if (userNet) this.startUserNet(engine!, userNet, this.portList[0]!)
    else this.startTun(firstTun!)
    this.started = true
    for (const port of this.portList) port.start()
  }

  /**
   * Adds a device while the bridge runs (or before it starts): the others carry on. Throws a
   * UserError, changing nothing, if the bridge has no switch (one device, made without `growable`),
   * is full, or another device has its name or address.
   */
  addDevice(d: DeviceOptions): void {
    if (!this.deviceSwitch) throw new UserError(`Devices join a running bridge on a TUN or a TAP; ${this.options.userNet ? 'for the user-mode network, add it and Start again' : 'start this one with them all'}.`)
    this.checkJoining(d)
    const port = this.newPort(d)
    this.portList.push(port)
    this.describeCapturePorts()
    if (!this.started) return
    port.fromDevice.hostSide = this.tun?.device ?? null
    port.start()
    this.devicesChanged()
  }

  /** A device may join if there is room and no device on the bridge has its name or is reached its way. */
  private checkJoining(d: DeviceOptions): void {
    if (this.portList.length >= MAX_DEVICES) throw new UserError(`The bridge has ${MAX_DEVICES} devices, as many as it takes; remove one first.`)
    if (this.portList.some((port) => port.name === d.name)) throw new UserError(`A device named ${d.name} is on the bridge already; give this one another name.`)
    const same = this.portList.find((port) => transportKey(port.options.transport) === transportKey(d.transport))
    if (same) throw new UserError(`${same.name} is reached that way already; give each device its own socket, TCP port or serial port.`)
  }

  /** Takes a device off the bridge (the others carry on); throws a UserError for a name it does not have, or its last device. */
  async removeDevice(name: string): Promise<void> {
    const index = this.portList.findIndex((port) => port.name === name)
    if (index === -1) throw new UserError(`No device named ${name.slice(0, 40)} is on the bridge.`)
    if (this.portList.length === 1) throw new UserError(`${name} is the bridge's last device; stop the bridge instead.`)
    const [port] = this.portList.splice(index, 1)
    for (const [i, other] of this.portList.entries()) other.capturePort = i
    this.describeCapturePorts()
    await port!.stop()
    this.devicesChanged()
  }

  /** The capture's interfaces: one per device, named after it and described by its framing and endpoint. */
  private describeCapturePorts(): void {
    this.options.capture?.setPorts(this.portList.map((port) => ({ name: port.name, description: `${port.options.framing.title} via ${port.linkState.endpoint}`, framing: port.options.framing })))
  }

  /** The host side is a TUN (or TAP): the host's packets are read in batches and framed for the devices. */
  private startTun(firstTun: ReturnType<typeof openHostTun>): void {
    const o = this.options
    const reader = this.deviceSwitch
      ? new ToDevicesPath(this.deviceSwitch, this.counters, new Uint8Array(TUN_READ_BUFFER), TUN_BATCH, o.tun.kind === 'tap')
      : this.toDevicePath(this.ports[0]!)
    this.tun = new TunKeeper(o.tun, firstTun, {
      attached: (device, state, created) => {
        for (const port of this.ports) port.fromDevice.hostSide = device
        device.startReading(reader.buffer, reader.headroom, TUN_BATCH, (count) => reader.onTunBatch(count), (code) => this.tun?.readFailed(code))
        this.emit('tun', state, created)
      },
      detached: () => {
        for (const port of this.ports) port.fromDevice.hostSide = null
      },
      status: (status, problem) => this.emit('tunStatus', status, problem)
    })
  }

  /** One device: the TUN's batches are framed in place for it. */
  private toDevicePath(port: DevicePort): ToDevicePath {
    const o = this.options
    const { fromDevice, writer } = port
    const d = port.options
    return new ToDevicePath(
      {
        counters: port.counters,
        capture: o.capture,
        capturePort: 0,
        writer,
        framing: d.framing,
        tap: o.tun.kind === 'tap',
        maxFrame: d.maxFrame,
        gatewayMac: o.gatewayMac,
        deviceMac: () => fromDevice.identity.mac ?? d.defaultDeviceMac,
        onHostTraffic: (now) => fromDevice.probeDevice(now)
      },
      new Uint8Array(TUN_READ_BUFFER)
    )
  }

  /**
   * The host side is a user-mode network engine, started here with the link's addresses and
   * forwards; the bridge connects to its socket (retrying until the engine has made it).
   */
  private startUserNet(engine: UserNetEngineName, userNet: UserNetOptions, port: DevicePort): void {
    const o = this.options
    const { fromDevice, writer } = port
    const ports = this.portList
    // Every device takes what the engine sends: its MSS is clamped to the smallest frame limit.
    const maxFrame = Math.min(...ports.map((p) => p.options.maxFrame))
    const uplink = this.uplink = new UserNetUplink({
      counters: port.counters,
      capture: o.capture,
      deviceFraming: port.options.framing,
      writer,
      maxFrame,
      setDeviceReading: (on) => {
        for (const p of ports) p.transport.setReading(on)
      },
      onFrameForDevice: (now) => fromDevice.probeDevice(now),
      onDeviceRefused: (port) => {
        // Counted for forwarded ports only: at most one entry per forward.
        if (this.userNet?.forwards.some((f) => f.protocol === 'tcp' && f.devicePort === port)) this.refusedPorts.set(port, (this.refusedPorts.get(port) ?? 0) + 1)
      },
      deviceSwitch: this.deviceSwitch
    })
    for (const p of ports) p.fromDevice.hostSide = uplink
    // passt answers a forwarded connection only once it has heard the device, and gives up on it
    // within seconds: so until the device's MAC is known, ask for its address every second. (Several
    // devices show their addresses themselves: libslirp asks for a device's MAC when it needs it.)
    this.prober = setInterval(() => {
      if (port.connected) fromDevice.probeDevice(performance.now())
    }, PROBE_EVERY_MS)
    const { address, prefixLength } = o.tun.hostIp
    const addresses = { deviceIp: o.deviceIp, prefixLength, gatewayIp: address, gatewayMac: formatMacBytes(o.gatewayMac), mtu: maxFrame - ETHERNET_HEADER }
    this.userNet = new UserNetSide(uplink, engine, addresses, userNet.forwards, {
      up: (socketPath, forwards) => this.emit('userNet', { socketPath, engine, forwards: [...forwards] }),
      connected: (up) => this.emit('tunStatus', up ? 'up' : 'down', up ? null : `the user-mode network (${engineTitle(engine)}) is not connected`),
      askDevice: () => {
        if (port.connected) fromDevice.probeDevice(performance.now(), true)
      },
      fatal: (error) => this.emit('fatal', error)
    })
    this.userNet.start()
  }


  /**
   * Changes the user-mode network's forwards while it runs (libslirp at once; passt restarts with
   * them, which resets the device's connections through it). Rejects with one sentence, the old
   * forwards still in effect, if they cannot be had.
   */
  async setForwards(forwards: readonly Forward[]): Promise<void> {
    if (!this.userNet) throw new UserError('Port forwards belong to the user-mode network (--user-net); this bridge has a TUN.')
    await this.userNet.setForwards(forwards)
  }

  async stop(): Promise<void> {
    this.deviceSwitch?.held.clear()
    await Promise.all(this.ports.map((port) => port.stop()))
    await this.stopUserNet()
    this.tun?.close()
    this.tun = null
  }

  private async stopUserNet(): Promise<void> {
    clearInterval(this.prober)
    await this.userNet?.stop()
  }


  stats(): BridgeStats {
    const devices = this.portList.map((port) => this.deviceStats(port))
    const first = devices[0]!
    const baud = devices.reduce((sum, d) => sum + d.baud, 0)
    const dhcp = devices.flatMap((d) => (d.dhcp ? [d.dhcp] : []))
    return {
      framing: first.framing,
      payload: first.payload,
      dhcp: dhcp.length > 0 ? sumCounters(dhcp) : null,
      leases: this.leases && { file: this.options.dhcp?.leaseFile ?? null, count: this.leases.count, problem: this.leases.problem },
      link: first.link,
      tun: this.tun?.state ?? null,
      tunStatus: this.tun?.status ?? (this.userNet?.connected ? 'up' : 'missing'),
      tunProblem: this.tun?.problem ?? null,
      tunWriteError: this.tun?.device?.lastWriteError ?? null,
      device: first.device,
      devices,
      userNet: this.userNet && {
        engine: this.userNet.engine,
        streamErrors: this.uplink?.streamErrors ?? 0,
        forwards: this.userNet.forwards.map((f) => ({ ...f, refusedByDevice: f.protocol === 'tcp' ? (this.refusedPorts.get(f.devicePort) ?? 0) : 0 }))
      },
      counters: sumCounters([this.counters.snapshot(), ...devices.map((d) => d.counters)]),
      rates: devices.length === 1 ? first.rates : sumRates(devices.map((d) => d.rates), baud),
      baud,
      lineBytesPerSecond: baud / 10
    }
  }

  private deviceStats(port: DevicePort): DeviceStats {
    const d = port.options
    const dhcp = d.dhcp
    return {
      name: port.name,
      framing: d.framing.name,
      payload: d.framing.payload,
      link: port.linkState,
      device: port.info,
      dhcp: dhcp ? structuredClone(dhcp.counters) : null,
      counters: port.countersNow(),
      rates: port.rates.rates(),
      baud: d.baud,
      lineBytesPerSecond: d.baud / 10
    }
  }

  /** A device's DHCP server: its own address when it has one, else one from the lease pool. */
  private dhcpServer(settings: NonNullable<BridgeOptions['dhcp']>, deviceIp: string | null): DhcpServer {
    const { hostIp } = this.options.tun
    const leases = deviceIp === null ? this.leases : null
    return new DhcpServer({
      hostIp: this.hostIp,
      prefixLength: hostIp.prefixLength,
      deviceIp: ipv4ToBytes(deviceIp ?? this.options.deviceIp),
      gatewayMac: this.options.gatewayMac,
      leaseSeconds: settings.leaseSeconds,
      dnsServers: settings.dnsServers.map(ipv4ToBytes),
      addressFor: leases ? (mac, at) => leases.addressFor(mac, at) : undefined
    }, { now: () => performance.now() })
  }

  /**
   * What the bridge knows of a device changed: each device's MAC and address (kept when a new
   * connection forgets them until they are learned again), and which share them with another.
   */
  private devicesChanged(): void {
    const ports = this.portList
    const next = ports.map((port): DeviceInfo => {
      const { mac, ipv4 } = port.identity
      return { mac: mac ? formatMacBytes(mac) : port.info.mac, ipv4: ipv4 ? ipv4.join('.') : port.info.ipv4, conflict: null }
    })
    for (const [index, info] of next.entries()) info.conflict = conflictOf(next, index, ports)
    // A device that has just shown its address may be what held packets wait for.
    this.deviceSwitch?.held.release(performance.now())
    for (const [index, info] of next.entries()) {
      const port = ports[index]!
      const before = port.info
      if (info.mac === before.mac && info.ipv4 === before.ipv4 && info.conflict === before.conflict) continue
      port.info = info
      this.emit('device', info, port.name)
    }
  }

}

/** The device at `index` shares its MAC or address with another: one sentence naming it, else null. */
function conflictOf(infos: readonly DeviceInfo[], index: number, ports: readonly DevicePort[]): string | null {
  const me = infos[index]!
  for (const [other, info] of infos.entries()) {
    if (other === index) continue
    if (me.mac !== null && info.mac === me.mac) return `same MAC ${me.mac} as ${ports[other]!.name}: DHCP would give both one address; give each device its own MAC`
    if (me.ipv4 !== null && info.ipv4 === me.ipv4) return `same address ${me.ipv4} as ${ports[other]!.name}: ${index < other ? 'the host reaches this one' : `the host reaches ${ports[other]!.name}`}`
  }
  return null
}
