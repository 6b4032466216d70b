// The demo device: a simulated ESP32 that serves its UART on a unix socket as
// QEMU does and keeps the firmware's wire rules (PRODUCT.md), with ARP, ICMP
// echo, UDP and TCP echo, an HTTP server and periodic telemetry, its output
// paced at the chosen baud. A bridge cannot tell it from QEMU. It speaks the
// firmware's 2-byte length framing unless given another of the engine's
// framings (QEMU's stream netdev, SLIP with Ethernet or bare IP), as a QEMU
// NIC or a Zephyr SLIP driver would.
import { formatMacBytes, parseMac } from '../engine/addresses.js'
import { DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from '../engine/decode/dhcp.js'
import { esp32Framing } from '../engine/framing/esp32.js'
import type { Framing } from '../engine/framing/framing.js'
import { serveEcho } from './apps/echo.js'
import { serveHttp } from './apps/httpServer.js'
import { Telemetry, TELEMETRY_PORT } from './apps/telemetry.js'
import { statusPage } from './statusPage.js'
import type { DemoFault } from '../shared/demoFaults.js'
import { junkBytes, oversizeRecord, zeroLengthRecord } from './faults.js'
import { systemClock, type Clock, type Timer } from './stack/clock.js'
import { DhcpClient, type DhcpClientCounters } from './stack/dhcpClient.js'
import { DeviceStack, type UdpPeer } from './stack/deviceStack.js'
import { ipv4FromText, ipv4ToText } from './stack/ipv4Address.js'
import { FramingReceiver } from './uart/framingReceiver.js'
import { STARTUP_QUIET_MS, UartReceiver } from './uart/uartReceiver.js'
import { UartSocketServer } from './uart/uartSocketServer.js'
import { UartTransmitter } from './uart/uartTransmitter.js'

export const DEMO_MAC = '02:00:00:00:00:02'
export const DEMO_GATEWAY_MAC = '02:00:00:00:00:01'
/** The firmware's limit, Ethernet header included, both ways. */
export const DEMO_MAX_FRAME = 1500
const DISCARD_PORT = 9
const BURST_MS = 3000
/** At baud 0 a burst cannot fill a line; it sends this many frames instead. */
const UNPACED_BURST_FRAMES = 2000
/** What the burst sends to the gateway's discard port, datagram after datagram. */
const BURST_PAYLOAD = new Uint8Array(1400)

export interface DemoDeviceOptions {
  socketPath: string
  /** 0: unpaced. */
  baud: number
  /** The device's static address, or null: it takes one by DHCP once a bridge connects. */
  ip: string | null
  gateway: string
  clock?: Clock
  /** Called with a sentence if serving the socket fails after start() resolved. */
  onFatal(error: Error): void
  /** A client connected or left. */
  onLink?(connected: boolean): void
  /** With ip null: a DHCP lease was taken (its address) or lost (null). */
  onLease?(ip: string | null): void
  /**
   * How frames go on the wire (the engine's framingFor(name, payload)); the ESP32
   * firmware's 2-byte length when not given. With payload 'ip' the device sends and
   * takes bare IPv4 packets (no Ethernet, no ARP) and needs a static ip (no DHCP).
   */
  framing?: Framing
  /** The device's MAC (aa:bb:cc:dd:ee:ff); the framing's defaultDeviceMac when not given. */
  mac?: string
  /** Where its telemetry goes: another device's address (a small network), else the gateway (the host). */
  telemetryTo?: string
}

export interface DemoDeviceStats {
  uptimeSeconds: number
  connected: boolean
  connections: number
  /** The framing's name and payload, e.g. "esp32/ethernet", "slip/ip". */
  framing: string
  /**
   * Bytes are wire bytes. badLengths: with the firmware's framing the bad lengths it
   * flushed, with another the bad records its decoder skipped (discardedBytes: their bytes).
   * textIn: tunslip6 text frames (SLIP), ignored.
   */
  uart: { framesIn: number; bytesIn: number; framesOut: number; bytesOut: number; badLengths: number; discardedBytes: number; textIn: number; txDropped: number }
  stack: DeviceStack['counters']
  tcp: DeviceStack['tcp']['stats']
  httpRequests: number
  telemetrySent: number
  /** Telemetry datagrams other devices sent it, and the address of the last sender. */
  peerTelemetry: { received: number; lastFrom: string | null }
  faultsInjected: number
  /** The DHCP client's counters and leased address, or null with a static address. */
  dhcp: (DhcpClientCounters & { ip: string | null }) | null
}

export class DemoDevice {
  private readonly clock: Clock
  private readonly framing: Framing
  private readonly mac: Uint8Array
  private readonly gatewayMac = parseMac(DEMO_GATEWAY_MAC)
  private readonly server: UartSocketServer
  /** The firmware's receive rules with its own framing; the engine's decoder with any other. */
  private readonly receiver: UartReceiver | FramingReceiver
  private readonly transmitter: UartTransmitter
  private readonly stack: DeviceStack
  private readonly telemetry: Telemetry
  private readonly gatewayDiscard: UdpPeer
  private readonly dhcp: DhcpClient | null = null
  private dhcpStart: Timer | null = null
  private readonly startedAt: number
  private httpRequests = 0
  private faultsInjected = 0
  private readonly peerTelemetry: DemoDeviceStats['peerTelemetry'] = { received: 0, lastFrom: null }
  private burstLeft = 0
  private burstUntil = 0

  constructor(private readonly options: DemoDeviceOptions) {
    const clock = (this.clock = options.clock ?? systemClock)
    this.startedAt = clock.now()
    const framing = (this.framing = options.framing ?? esp32Framing)
    if (framing.payload === 'ip' && options.ip === null) throw new Error(`The demo device takes its address by DHCP only over Ethernet; ${framing.title} carries bare IP, so give it a static address.`)
    this.mac = parseMac(options.mac ?? framing.defaultDeviceMac)
    // The firmware's own limit with its framing (DEMO_MAX_FRAME); with another, what its usual peer takes.
    const maxFrame = framing === esp32Framing ? DEMO_MAX_FRAME : framing.limits.defaultMaxFrame
    this.transmitter = new UartTransmitter({
      baud: options.baud,
      clock,
      framing,
      write: (bytes) => this.server.write(bytes),
      onReady: () => this.linkReady()
    })
    this.stack = new DeviceStack({
      mac: this.mac,
      ip: options.ip === null ? 0 : ipv4FromText(options.ip),
      gatewayMac: this.gatewayMac,
      maxFrame,
      linkLayer: framing.payload,
      clock,
      link: { sendFrame: (frame) => this.transmitter.sendFrame(frame), canSend: () => this.transmitter.canSend() }
    })
    const toStack = (frame: Uint8Array): void => this.stack.receive(frame)
    this.receiver = framing === esp32Framing ? new UartReceiver(maxFrame, clock, toStack) : new FramingReceiver(framing, maxFrame, toStack)
    this.server = new UartSocketServer(options.socketPath, {
      onConnected: () => this.link(true),
      onDisconnected: () => this.link(false),
      onData: (bytes) => this.receiver.receive(bytes),
      onDrain: () => this.transmitter.drained(),
      onFatal: options.onFatal
    })
    serveEcho(this.stack)
    serveHttp(this.stack, statusPage(() => this.stats(), () => this.ipText ?? 'no address yet'), () => this.httpRequests++)
    this.gatewayDiscard = { ip: ipv4FromText(options.gateway), port: DISCARD_PORT }
    this.telemetry = new Telemetry(this.stack, options.telemetryTo ? ipv4FromText(options.telemetryTo) : this.gatewayDiscard.ip, clock, () => this.reading())
    // Another demo device may send its telemetry here, as a sensor reports to a gateway device.
    this.stack.bindUdp(TELEMETRY_PORT, (_datagram, from) => {
      this.peerTelemetry.received++
      this.peerTelemetry.lastFrom = ipv4ToText(from.ip)
    })
    if (options.ip === null) this.dhcp = this.dhcpClient()
  }

  /** The device's address now: the static one, or the DHCP lease's (null while it has none). */
  get ipText(): string | null {
    return this.stack.ip === 0 ? null : ipv4ToText(this.stack.ip)
  }

  private dhcpClient(): DhcpClient {
    const client = new DhcpClient({
      mac: this.mac,
      clock: this.clock,
      send: (to, message) => this.stack.sendUdp({ ip: to, port: DHCP_SERVER_PORT }, DHCP_CLIENT_PORT, message),
      onBound: (lease) => {
        const changed = lease.ip !== this.stack.ip
        this.stack.setIp(lease.ip)
        if (!changed) return
        this.telemetry.stop()
        this.telemetry.start()
        this.options.onLease?.(ipv4ToText(lease.ip))
      },
      onLost: () => {
        this.stack.setIp(0)
        this.telemetry.stop()
        this.options.onLease?.(null)
      }
    })
    this.stack.bindUdp(DHCP_CLIENT_PORT, (datagram) => client.receive(datagram.payload))
    return client
  }

  get socketPath(): string {
    return this.server.path
  }

  /** Resolves once the socket is served; rejects with one sentence if it cannot be. */
  async start(): Promise<void> {
    await this.server.start()
    if (!this.dhcp) this.telemetry.start() // with DHCP: once it has an address
  }

  async stop(): Promise<void> {
    this.dhcpStart?.cancel()
    this.dhcp?.stop()
    this.telemetry.stop()
    this.stack.close()
    this.transmitter.stop()
    await this.server.stop()
  }

  /** Puts one fault on the wire (nothing while no client listens, as on a real line nobody would see it). */
  inject(fault: DemoFault): void {
    this.faultsInjected++
    if (fault === 'junk') this.transmitter.sendRaw(junkBytes(this.framing))
    else if (fault === 'badLength') this.transmitter.sendRaw(zeroLengthRecord(this.framing))
    else if (fault === 'oversize') this.transmitter.sendRaw(oversizeRecord(this.mac, this.gatewayMac, this.framing))
    else this.startBurst()
  }

  stats(): DemoDeviceStats {
    const rx = this.receiver.counters
    const tx = this.transmitter.counters
    const bad = 'badLengths' in rx ? { badLengths: rx.badLengths, discardedBytes: rx.discardedBytes, textIn: 0 } : { badLengths: rx.framingErrors, discardedBytes: rx.skippedBytes, textIn: rx.textFrames }
    return {
      uptimeSeconds: Math.floor((this.clock.now() - this.startedAt) / 1000),
      connected: this.server.connected,
      connections: this.server.connections,
      framing: `${this.framing.name}/${this.framing.payload}`,
      uart: { framesIn: rx.frames, bytesIn: rx.bytes, framesOut: tx.frames, bytesOut: tx.bytes, ...bad, txDropped: tx.dropped },
      stack: { ...this.stack.counters },
      tcp: { ...this.stack.tcp.stats },
      httpRequests: this.httpRequests,
      telemetrySent: this.telemetry.sent,
      peerTelemetry: { ...this.peerTelemetry },
      faultsInjected: this.faultsInjected,
      dhcp: this.dhcp && { ...this.dhcp.counters, ip: this.ipText }
    }
  }

  get macText(): string {
    return formatMacBytes(this.mac)
  }

  /** The framing the device speaks. */
  get framingTitle(): string {
    return this.framing.title
  }

  private link(connected: boolean): void {
    this.transmitter.setConnected(connected)
    if (!connected && this.receiver instanceof FramingReceiver) this.receiver.reset()
    // A bridge is there to answer: discover now, not at the next retry (a held lease is kept),
    // but not before the firmware's quiet first second is over: it would not hear the offer.
    const dhcp = this.dhcp
    if (connected && dhcp) {
      this.dhcpStart?.cancel()
      this.dhcpStart = this.clock.after(Math.max(0, this.startedAt + STARTUP_QUIET_MS - this.clock.now()), () => dhcp.start())
    }
    this.options.onLink?.(connected)
  }

  private linkReady(): void {
    this.continueBurst()
    this.stack.linkReady()
  }

  private startBurst(): void {
    this.burstLeft = this.options.baud > 0 ? Infinity : UNPACED_BURST_FRAMES
    this.burstUntil = this.clock.now() + BURST_MS
    this.continueBurst()
  }

  private continueBurst(): void {
    while (this.burstLeft > 0 && this.clock.now() < this.burstUntil && this.server.connected && this.transmitter.canSend()) {
      this.stack.sendUdp(this.gatewayDiscard, DISCARD_PORT, BURST_PAYLOAD)
      this.burstLeft--
    }
  }

  /** A plausible sensor reading for the telemetry datagram. */
  private reading(): Record<string, number> {
    const uptime = (this.clock.now() - this.startedAt) / 1000
    return {
      uptime_s: Math.floor(uptime),
      temp_c: Math.round((24 + 3 * Math.sin(uptime / 60)) * 10) / 10,
      heap_free: 180_000 - ((this.stack.tcp.stats.active * 5_800) | 0),
      rx_frames: this.receiver.counters.frames,
      tx_frames: this.transmitter.counters.frames
    }
  }
}
