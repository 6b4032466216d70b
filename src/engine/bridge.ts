// The bridge: the device's byte stream, cut into frames by its framing ↔ host
// TUN/TAP, with counters, rates and an optional capture. Hosts (CLI, Electron
// main, browser server) create one, start it, read stats() and events, and
// stop it.
import { EventEmitter } from 'node:events'

import type { InterfaceState } from '../native/index.js'
import { formatMacBytes, ipv4ToBytes, type Ipv4Cidr } from './addresses.js'
import type { CaptureRing } from './capture/ring.js'
import { Counters, type CountersSnapshot } from './counters.js'
import type { DeviceIdentity } from './deviceIdentity.js'
import { DevicePort } from './devicePort.js'
import { PROBE_EVERY_MS } from './fromDevice.js'
import type { FramePayload, Framing, FramingName } from './framing/framing.js'
import { TunKeeper, type TunStatus } from './host/tunKeeper.js'
import { openHostTun } from './host/tunSetup.js'
import { RateMeter, type Rates } from './rates.js'
import { DhcpServer, type DhcpServerCounters } from './services/dhcpServer.js'
import { ToDevicePath } from './toDevice.js'
import type { LinkState, TransportOptions } from './transport/index.js'
import { ETHERNET_HEADER } from './ethernet.js'
import { UserError } from './errors.js'
import type { Forward } from './uplink/forwards.js'
import { chooseUserNetEngine, engineTitle, type UserNetEngineName } from './uplink/userNetEngine.js'
import { UserNetSide } from './uplink/userNetSide.js'
import { UserNetUplink } from './uplink/userNetUplink.js'

export interface BridgeOptions {
  transport: TransportOptions
  /** How the device's stream carries frames. */
  framing: Framing
  tun: { name: string; kind: 'tun' | 'tap'; hostIp: Ipv4Cidr; mtu: number }
  /** Largest Ethernet frame the device takes, header included (the firmware's 1500). */
  maxFrame: number
  gatewayMac: Uint8Array
  /** The device's configured IPv4 address. */
  deviceIp: string
  /** Destination MAC towards the device until its own is learned. */
  defaultDeviceMac: Uint8Array
  baud: number
  capture: CaptureRing | null
  /** Answer the device's DHCP requests with deviceIp (the host as router), or null to let them through. */
  dhcp?: { leaseSeconds: number; dnsServers: string[] } | null
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

export interface DeviceInfo {
  mac: string | null
  ipv4: string | null
}

export interface BridgeStats {
  /** The framing's name (esp32, qemu, slip). */
  framing: FramingName
  /** What its records carry: Ethernet frames, or bare IP packets (SLIP without TAP). */
  payload: FramePayload
  /** What the DHCP server answered and ignored (--dhcp), or null when it is off. */
  dhcp: DhcpServerCounters | null
  link: LinkState
  tun: InterfaceState | null
  /** Whether the TUN can take packets: 'down' and 'missing' (deleted) drop what the device sends. */
  tunStatus: TunStatus
  /** Why the TUN is down or missing, in one sentence, or null. */
  tunProblem: string | null
  /** errno name of the last packet the TUN refused (e.g. EIO while it is down), or null. */
  tunWriteError: string | null
  device: DeviceInfo
  /** The user-mode network's forwards in effect, or null with a TUN. */
  userNet: {
    engine: UserNetEngineName
    forwards: ForwardStats[]
    /** Records from the engine that its stream's framing refused (it is local: none are expected). */
    streamErrors: number
  } | null
  counters: CountersSnapshot
  rates: Rates
  baud: number
  /** Bytes per second one direction of the UART carries at the configured baud (8N1). */
  lineBytesPerSecond: number
}

export interface BridgeEvents {
  /** The TUN is ready (at start, or again after it was deleted): its state, and whether the bridge created it (else it attached). */
  tun: [InterfaceState, boolean]
  /** The TUN went down or missing, or is up again. */
  tunStatus: [TunStatus, string | null]
  link: [LinkState]
  device: [DeviceInfo]
  /** Something fatal happened after start (e.g. the listen socket failed). */
  fatal: [Error]
  /** The user-mode network is up, with its engine and forwards. */
  userNet: [{ socketPath: string; engine: UserNetEngineName; forwards: Forward[] }]
}

const TUN_READ_BUFFER = 1024 * 1024
const TUN_BATCH = 512

export class Bridge extends EventEmitter<BridgeEvents> {
  readonly counters = new Counters()
  private readonly rates: RateMeter
  private tun: TunKeeper | null = null
  private port: DevicePort | null = null
  private dhcp: DhcpServer | null = null
  private userNet: UserNetSide | null = null
  private uplink: UserNetUplink | null = null
  /** Connections the device refused (RST to the SYN), by its forwarded TCP port. */
  private readonly refusedPorts = new Map<number, number>()
  /** Asks for the device's MAC every second while the user-mode network has not heard it. */
  private prober: NodeJS.Timeout | undefined
  private device: DeviceInfo = { mac: null, ipv4: null }

  constructor(readonly options: BridgeOptions) {
    super()
    this.rates = new RateMeter(this.counters, options.baud)
  }

  /**
   * Prepares the host side (throws a UserError if the TUN or a user-mode engine cannot be had; the
   * engine, which starts in the background, reports its trouble as 'fatal') and starts reaching
   * for the device.
   */
  start(): void {
    const o = this.options
    const userNet = o.userNet ?? null
    // A user-mode engine takes and gives whole Ethernet frames, as a TAP does.
    const tap = o.tun.kind === 'tap' || userNet !== null
    const engine = userNet ? chooseUserNetEngine(userNet.engine) : null
    if (o.capture) o.capture.framing = o.framing
    const firstTun = userNet ? null : openHostTun(o.tun)
    const port = new DevicePort({
      transport: o.transport,
      framing: o.framing,
      maxFrame: o.maxFrame,
      counters: this.counters,
      capture: o.capture,
      tap,
      gatewayMac: o.gatewayMac,
      deviceIp: ipv4ToBytes(o.deviceIp),
      hostIp: ipv4ToBytes(o.tun.hostIp.address),
      probesForMac: userNet !== null || (!tap && o.framing.payload === 'ethernet'),
      slipPrefix: o.slipPrefix ?? null,
      dhcp: this.dhcp = o.dhcp ? this.dhcpServer(o.dhcp) : null
    }, {
      link: (state) => this.linkChanged(state),
      device: (identity) => this.deviceChanged(identity),
      fatal: (error) => this.emit('fatal', error)
    })
    this.port = port
    this.rates.start()
    if (userNet) this.startUserNet(engine!, userNet, port)
    else this.startTun(firstTun!, port, tap)
    port.start()
  }

  /** The host side is a TUN (or TAP): the host's packets are read in batches and framed for the device. */
  private startTun(firstTun: ReturnType<typeof openHostTun>, port: DevicePort, tap: boolean): void {
    const o = this.options
    const { fromDevice, writer } = port
    const toDevice = new ToDevicePath(
      {
        counters: this.counters,
        capture: o.capture,
        writer,
        framing: o.framing,
        tap,
        maxFrame: o.maxFrame,
        gatewayMac: o.gatewayMac,
        deviceMac: () => fromDevice.identity.mac ?? o.defaultDeviceMac,
        onHostTraffic: (now) => fromDevice.probeDevice(now)
      },
      new Uint8Array(TUN_READ_BUFFER)
    )
    this.tun = new TunKeeper(o.tun, firstTun, {
      attached: (device, state, created) => {
        fromDevice.hostSide = device
        device.startReading(toDevice.buffer, toDevice.headroom, TUN_BATCH, (count) => toDevice.onTunBatch(count), (code) => this.tun?.readFailed(code))
        this.emit('tun', state, created)
      },
      detached: () => (fromDevice.hostSide = null),
      status: (status, problem) => this.emit('tunStatus', status, problem)
    })
  }

  /**
   * The host side is a user-mode network engine, started here with the link's addresses and
   * forwards; the bridge connects to its socket (retrying until the engine has made it).
   */
  private startUserNet(engine: UserNetEngineName, userNet: UserNetOptions, port: DevicePort): void {
    const o = this.options
    const { fromDevice, writer } = port
    const uplink = this.uplink = new UserNetUplink({
      counters: this.counters,
      capture: o.capture,
      deviceFraming: o.framing,
      writer,
      maxFrame: o.maxFrame,
      setDeviceReading: (on) => port.transport.setReading(on),
      onFrameForDevice: (now) => fromDevice.probeDevice(now),
      onDeviceRefused: (port) => {
        // Counted for forwarded ports only: at most one entry per forward.
        if (this.userNet?.forwards.some((f) => f.protocol === 'tcp' && f.devicePort === port)) this.refusedPorts.set(port, (this.refusedPorts.get(port) ?? 0) + 1)
      }
    })
    fromDevice.hostSide = uplink
    // passt answers a forwarded connection only once it has heard the device, and gives up on it
    // within seconds: so until the device's MAC is known, ask for its address every second.
    this.prober = setInterval(() => {
      if (port.connected) fromDevice.probeDevice(performance.now())
    }, PROBE_EVERY_MS)
    const { address, prefixLength } = o.tun.hostIp
    const addresses = { deviceIp: o.deviceIp, prefixLength, gatewayIp: address, gatewayMac: formatMacBytes(o.gatewayMac), mtu: o.maxFrame - ETHERNET_HEADER }
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
    this.rates.stop()
    await this.port?.stop()
    await this.stopUserNet()
    this.tun?.close()
    this.tun = null
  }

  private async stopUserNet(): Promise<void> {
    clearInterval(this.prober)
    await this.userNet?.stop()
  }

  stats(): BridgeStats {
    const baud = this.options.baud
    return {
      framing: this.options.framing.name,
      payload: this.options.framing.payload,
      dhcp: this.dhcp && structuredClone(this.dhcp.counters),
      link: this.port?.linkState ?? { status: 'stopped', endpoint: '', attempt: 0, connections: 0, detail: null },
      tun: this.tun?.state ?? null,
      tunStatus: this.tun?.status ?? (this.userNet?.connected ? 'up' : 'missing'),
      tunProblem: this.tun?.problem ?? null,
      tunWriteError: this.tun?.device?.lastWriteError ?? null,
      device: this.device,
      userNet: this.userNet && {
        engine: this.userNet.engine,
        streamErrors: this.uplink?.streamErrors ?? 0,
        forwards: this.userNet.forwards.map((f) => ({ ...f, refusedByDevice: f.protocol === 'tcp' ? (this.refusedPorts.get(f.devicePort) ?? 0) : 0 }))
      },
      counters: this.countersNow(),
      rates: this.rates.rates(),
      baud,
      lineBytesPerSecond: baud / 10
    }
  }

  private dhcpServer(settings: NonNullable<BridgeOptions['dhcp']>): DhcpServer {
    const { hostIp } = this.options.tun
    return new DhcpServer({
      hostIp: ipv4ToBytes(hostIp.address),
      prefixLength: hostIp.prefixLength,
      deviceIp: ipv4ToBytes(this.options.deviceIp),
      gatewayMac: this.options.gatewayMac,
      leaseSeconds: settings.leaseSeconds,
      dnsServers: settings.dnsServers.map(ipv4ToBytes)
    }, { now: () => performance.now() })
  }

  /** The counters, with the bytes a hunt under way has skipped so far: junk that keeps coming shows at once. */
  private countersNow(): CountersSnapshot {
    const counters = this.counters.snapshot()
    counters.bytesSkipped += this.port?.decoder.skippedInHunt ?? 0
    return counters
  }

  private linkChanged(state: LinkState): void {
    if (state.status === 'connected' && state.connections > 1) this.counters.reconnects++
    this.emit('link', state)
  }

  private deviceChanged(identity: DeviceIdentity): void {
    const next: DeviceInfo = {
      mac: identity.mac ? formatMacBytes(identity.mac) : this.device.mac,
      ipv4: identity.ipv4 ? identity.ipv4.join('.') : this.device.ipv4
    }
    if (next.mac === this.device.mac && next.ipv4 === this.device.ipv4) return
    this.device = next
    this.emit('device', next)
  }
}
