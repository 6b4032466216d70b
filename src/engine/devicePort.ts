// One device on the bridge: its transport (the byte stream: a socket, TCP, a serial port), its
// framing's decoder, the path its frames take towards the host side, the bounded writer every
// frame towards it goes through, and its own counters and rates. The bridge owns the host side (a
// TUN, a TAP or a user-mode network) and the switch between several ports; a port knows nothing
// of which.
import { BufferPool } from './bufferPool.js'
import { Counters } from './counters.js'
import type { DeviceIdentity } from './deviceIdentity.js'
import { DeviceWriter } from './deviceWriter.js'
import { FromDevicePath, type FromDeviceContext } from './fromDevice.js'
import type { FrameDecoder } from './framing/framing.js'
import { PacketFramer, type PacketFramerContext } from './packetFramer.js'
import { RateMeter } from './rates.js'
import { createTransport, type LinkState, type StreamReceiver, type Transport, type TransportOptions } from './transport/index.js'

/** What the port is built from: its transport, its framing's limit, and what its frames' path needs. */
export interface DevicePortOptions extends Omit<FromDeviceContext, 'writer' | 'onDeviceChanged' | 'counters'> {
  /** What the person calls the device (the socket's name, unless they named it). */
  name: string
  transport: TransportOptions
  /** Largest frame the device takes, its Ethernet header included. */
  maxFrame: number
  /** The device's line speed, which its rates are measured against. */
  baud: number
  /** Destination MAC towards the device until its own is learned. */
  defaultDeviceMac: Uint8Array
}

/** What the bridge knows of a device: its MAC and address once seen, and any conflict with another device. */
export interface DeviceInfo {
  mac: string | null
  ipv4: string | null
  /** Another device on the bridge has the same MAC or address, in one sentence; else null. */
  conflict: string | null
}

export interface DevicePortEvents {
  link(state: LinkState): void
  device(identity: DeviceIdentity): void
  /** The transport cannot go on (e.g. it cannot listen on its path). */
  fatal(error: Error): void
}

export class DevicePort {
  readonly name: string
  readonly counters = new Counters()
  readonly rates: RateMeter
  readonly transport: Transport
  /** Every frame towards the device goes through here, bounded. */
  readonly writer: DeviceWriter
  /** The device's frames, counted, captured and answered or queued for the host side. */
  readonly fromDevice: FromDevicePath
  readonly decoder: FrameDecoder
  /** Frames a packet for the device where its bytes are copied anyway (another device's, or a TUN batch shared by several). */
  readonly framer: PacketFramer
  private readonly pool = new BufferPool(4 * 1024, 8)
  private readonly pathContext: FromDeviceContext
  private readonly framerContext: PacketFramerContext
  /** What the bridge knows of the device, as it shows it (kept across reconnects until learned anew). */
  info: DeviceInfo = { mac: null, ipv4: null, conflict: null }

  constructor(readonly options: DevicePortOptions, events: DevicePortEvents) {
    const port = this
    this.name = options.name
    // The transport reads into the decoder, whose sink (fromDevice) writes through the writer,
    // which needs the transport: the receiver reaches the others through the port.
    const receiver: StreamReceiver = {
      space: () => port.decoder.space(),
      commit(n) {
        port.fromDevice.batchTime = performance.now()
        port.decoder.commit(n)
      },
      push(chunk) {
        port.fromDevice.batchTime = performance.now()
        port.decoder.push(chunk)
      },
      reset() {
        port.fromDevice.batchTime = performance.now()
        port.decoder.reset()
        port.fromDevice.forgetDevice()
      }
    }
    this.transport = createTransport(options.transport, receiver, {
      onState: (state) => {
        if (state.status === 'connected' && state.connections > 1) this.counters.reconnects++
        events.link(state)
      },
      onFatal: (error) => events.fatal(error)
    })
    this.writer = new DeviceWriter(this.transport, this.counters)
    const { transport: _transport, maxFrame: _maxFrame, name: _name, baud: _baud, defaultDeviceMac: _mac, ...pathContext } = options
    this.pathContext = { ...pathContext, counters: this.counters, writer: this.writer, onDeviceChanged: (identity) => events.device(identity) }
    this.fromDevice = new FromDevicePath(this.pathContext)
    this.decoder = options.framing.createDecoder(this.fromDevice, options.maxFrame)
    this.fromDevice.decoder = this.decoder
    this.rates = new RateMeter(this.counters, options.baud)
    this.framerContext = {
      framing: options.framing,
      maxFrame: options.maxFrame,
      gatewayMac: options.gatewayMac,
      deviceMac: () => this.fromDevice.identity.mac ?? options.defaultDeviceMac,
      capture: options.capture,
      capturePort: options.capturePort
    }
    this.framer = new PacketFramer(this.framerContext)
  }

  /** The port's capture interface changes when devices before it leave the bridge. */
  set capturePort(index: number) {
    this.pathContext.capturePort = index
    this.framerContext.capturePort = index
  }

  get identity(): DeviceIdentity {
    return this.fromDevice.identity
  }

  get linkState(): LinkState {
    return this.transport.state
  }

  get connected(): boolean {
    return this.transport.state.status === 'connected'
  }

  /** The counters, with the bytes a hunt under way has skipped so far: junk that keeps coming shows at once. */
  countersNow(): ReturnType<Counters['snapshot']> {
    const counters = this.counters.snapshot()
    counters.bytesSkipped += this.decoder.skippedInHunt
    return counters
  }

  /**
   * One IP packet b[ip, ip + length) to the device, framed for it in a write of its own (a packet
   * from another device): bounded like all traffic to it, and counted where it is dropped. Its
   * capture record is published by the caller, once for its whole batch.
   */
  sendPacket(b: Uint8Array, ip: number, length: number, time: number): void {
    this.send(b, ip, length, time, false)
  }

  /** One Ethernet frame b[frame, frame + length) to the device as it is (switched at Ethernet level), as sendPacket. */
  sendFrame(b: Uint8Array, frame: number, length: number, time: number): void {
    this.send(b, frame, length, time, true)
  }

  private send(b: Uint8Array, start: number, length: number, time: number, whole: boolean): void {
    if (!this.writer.admit(1)) return
    const framer = this.framer
    const chunk = this.pool.take(whole ? framer.maxBytesWhole(length) : framer.maxBytes(length))
    const wireLength = whole ? framer.frameWhole(b, start, length, chunk, 0, time) : framer.frame(b, start, length, chunk, 0, time)
    if (wireLength === 0) {
      this.counters.drops.tooBigForDevice++
      this.pool.give(chunk)
      return
    }
    this.writer.write(chunk.subarray(0, wireLength), 1, () => this.pool.give(chunk))
  }

  start(): void {
    this.rates.start()
    this.transport.start()
  }

  stop(): Promise<void> {
    this.rates.stop()
    return this.transport.stop()
  }
}
