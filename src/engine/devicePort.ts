// One device on the bridge: its transport (the byte stream: a socket, TCP, a serial port), its
// framing's decoder, the path its frames take towards the host side, and the bounded writer every
// frame towards it goes through. The bridge owns the host side (a TUN, a TAP or a user-mode
// network) and joins it to the port; a port knows nothing of which.
import type { DeviceIdentity } from './deviceIdentity.js'
import { DeviceWriter } from './deviceWriter.js'
import { FromDevicePath, type FromDeviceContext } from './fromDevice.js'
import type { FrameDecoder } from './framing/framing.js'
import { createTransport, type LinkState, type StreamReceiver, type Transport, type TransportOptions } from './transport/index.js'

/** What the port is built from: its transport, its framing's limit, and what its frames' path needs. */
export interface DevicePortOptions extends Omit<FromDeviceContext, 'writer' | 'onDeviceChanged'> {
  transport: TransportOptions
  /** Largest frame the device takes, its Ethernet header included. */
  maxFrame: number
}

export interface DevicePortEvents {
  link(state: LinkState): void
  device(identity: DeviceIdentity): void
  /** The transport cannot go on (e.g. it cannot listen on its path). */
  fatal(error: Error): void
}

export class DevicePort {
  readonly transport: Transport
  /** Every frame towards the device goes through here, bounded. */
  readonly writer: DeviceWriter
  /** The device's frames, counted, captured and answered or queued for the host side. */
  readonly fromDevice: FromDevicePath
  readonly decoder: FrameDecoder

  constructor(options: DevicePortOptions, events: DevicePortEvents) {
    const port = this
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
    this.transport = createTransport(options.transport, receiver, { onState: (state) => events.link(state), onFatal: (error) => events.fatal(error) })
    this.writer = new DeviceWriter(this.transport, options.counters)
    const { transport: _transport, maxFrame: _maxFrame, ...pathContext } = options
    this.fromDevice = new FromDevicePath({ ...pathContext, writer: this.writer, onDeviceChanged: (identity) => events.device(identity) })
    this.decoder = options.framing.createDecoder(this.fromDevice, options.maxFrame)
    this.fromDevice.decoder = this.decoder
  }

  get linkState(): LinkState {
    return this.transport.state
  }

  get connected(): boolean {
    return this.transport.state.status === 'connected'
  }

  start(): void {
    this.transport.start()
  }

  stop(): Promise<void> {
    return this.transport.stop()
  }
}
