// The host side without a TUN: a user-mode network engine (passt, or QEMU's libslirp: NAT to the
// host and the internet, DHCP, DNS, port forwards), reached as a QEMU stream netdev (a 4-byte
// length, then the Ethernet frame) on the unix socket the engine serves. Frames pass between the
// device and the engine as they are, except that the MSS of TCP SYNs is clamped both ways to what
// the device's frame limit allows: the engines offer more (passt 61 440, libslirp 1460), and a
// device that believed it would build segments its own link refuses (lwIP stalls on them); and
// Ethernet padding is taken off frames to the engine, as passt drops padded TCP segments
// (services/ethernetPadding.ts).
//
// Device → engine: the bridge's from-device path queues whole frames here, as for a TAP; each
// batch becomes one write. Engine → device: the engine's frames are decoded here and go to the
// device in its own framing, one write per batch.
//
// Neither way drops for want of room: whichever side is slower makes the other wait. Reading from
// the engine stops while the device's queue is full, and reading from the device while the
// engine's is. passt has no congestion control towards the guest and recovers poorly from loss
// either way (a 4 MiB echo stalled after 2-3 MB; a download ended short), where a wait costs
// nothing.
import { BufferPool } from '../bufferPool.js'
import type { CaptureRing } from '../capture/ring.js'
import { Direction } from '../capture/ring.js'
import type { Counters } from '../counters.js'
import type { DeviceWriter } from '../deviceWriter.js'
import { MAX_QUEUED_BYTES } from '../deviceWriter.js'
import type { FrameDecoder, Framing, FramingSink } from '../framing/framing.js'
import type { DeviceSwitch } from '../deviceSwitch.js'
import { qemuFraming } from '../framing/qemu.js'
import { unpaddedLength } from '../services/ethernetPadding.js'
import { clampMss } from '../services/mssClamp.js'
import { refusedPort } from '../services/tcpRefusal.js'
import type { StreamReceiver, Transport } from '../transport/index.js'

/** The engines' own limit on a frame (passt's 65 520-byte MTU plus the Ethernet header; libslirp's is lower). */
const ENGINE_MAX_FRAME = 65_535
const PREFIX = qemuFraming.header.bytes
/** The most one read from the engine takes: even doubled by SLIP's escapes, it fits beside what may wait. */
const MAX_READ = 64 * 1024
/** Reading from the engine stops while more than this waits for the device (with one read, under the writer's bound). */
const PAUSE_ABOVE = MAX_QUEUED_BYTES / 4
/** Reading from the device stops while more than this waits for the engine, and starts again at a quarter of it. */
const DEVICE_PAUSE_ABOVE = 64 * 1024
/** What may wait for the engine: the pause point plus the device's largest read (its decoder's 256 KiB). */
const ENGINE_QUEUE_LIMIT = 512 * 1024

export interface UserNetContext {
  counters: Counters
  capture: CaptureRing | null
  /** How the device's link carries frames: the engine's frames go to it in this framing. */
  deviceFraming: Framing
  /** Where frames for the device go, bounded. */
  writer: DeviceWriter
  /** Stops (false) or restarts reading from the device's link while the engine catches up. */
  setDeviceReading(on: boolean): void
  /** The largest frame the device takes (--max-frame). */
  maxFrame: number
  /** The engine has a frame for the device (called before it goes): the bridge may need to learn the device's MAC for the engine. */
  onFrameForDevice(now: number): void
  /** The device refused a TCP connection on `port` (nothing listens there). */
  onDeviceRefused(port: number): void
  /**
   * Several devices: the engine's frames are switched to them by MAC (each written on its own, as
   * the switch does), and reading from the engine waits for whichever device is slowest. null: one
   * device, whose frames are batched into `writer`.
   */
  deviceSwitch: DeviceSwitch | null
}

export class UserNetUplink implements FramingSink, StreamReceiver {
  /** Cuts the engine's stream into frames. */
  private readonly decoder: FrameDecoder
  /** The connection to the engine's socket, which reads into this; the owner starts and stops it. */
  private transport: Transport | null = null
  /** Reading from the device is stopped until the engine's queue drains. */
  private deviceWaits = false
  /** Capture timestamp of the engine's read being parsed. */
  private batchTime = 0
  /** Records from the engine its framing refused (the engine is local and trusted: never seen, but counted). */
  streamErrors = 0
  /** Frames from the device handed to the engine's link: an engine that got one has heard the device. */
  framesToEngine = 0
  private readonly pool = new BufferPool(64 * 1024, 8)
  private out: Uint8Array | null = null
  private outLength = 0
  private outFrames = 0

  constructor(private readonly ctx: UserNetContext) {
    this.decoder = qemuFraming.createDecoder(this, ENGINE_MAX_FRAME)
  }

  /** Relays over `link` from now on (null: none; the device may read again). */
  attach(link: Transport | null): void {
    this.transport = link
    this.deviceCanSend()
  }

  /**
   * Device → engine: `count` frames, spans[2i] their start and spans[2i + 1] their length in
   * `buffer`. Returns how many were taken (all, or none while the engine is not connected or not
   * keeping up).
   */

  writePackets(buffer: Uint8Array, spans: Uint32Array, count: number): number {
    const transport = this.transport
    if (!transport || transport.state.status !== 'connected' || transport.queuedBytes > ENGINE_QUEUE_LIMIT) return 0
    // Room for the frames as they came; padding taken off leaves some of it unused.
    let room = 0
    for (let i = 0; i < count; i++) room += PREFIX + spans[2 * i + 1]!
    const chunk = this.pool.take(room)
    const maxFrame = this.ctx.maxFrame
    let at = 0
    for (let i = 0; i < count; i++) {
      const start = spans[2 * i]!
      const length = unpaddedLength(buffer, start, spans[2 * i + 1]!)
      const refused = refusedPort(buffer, start, length)
      if (refused >= 0) this.ctx.onDeviceRefused(refused)
      qemuFraming.header.write(chunk, at, length)
      chunk.set(buffer.subarray(start, start + length), at + PREFIX)
      // What the device offers goes out as it came (the capture has it so), but no bigger than
      // its own link takes when the engine's side answers.
      clampMss(chunk, at + PREFIX, length, maxFrame)
      at += PREFIX + length
    }
    const accepted = transport.write(chunk.subarray(0, at), () => {
      this.pool.give(chunk)
      if (this.deviceWaits && transport.queuedBytes <= DEVICE_PAUSE_ABOVE / 4) this.deviceCanSend()
    })
    if (!accepted) {
      this.pool.give(chunk)
      return 0
    }
    this.framesToEngine += count
    if (!this.deviceWaits && transport.queuedBytes > DEVICE_PAUSE_ABOVE) {
      this.deviceWaits = true
      this.ctx.setDeviceReading(false)
    }
    return count
  }

  private deviceCanSend(): void {
    if (!this.deviceWaits) return
    this.deviceWaits = false
    this.ctx.setDeviceReading(true)
  }

  // ---- engine → device: the link's reads (StreamReceiver), cut into frames (FramingSink)

  space(): Uint8Array {
    const space = this.decoder.space()
    return space.length > MAX_READ ? space.subarray(0, MAX_READ) : space
  }

  commit(n: number): void {
    this.batchTime = performance.now()
    this.decoder.commit(n)
  }

  push(chunk: Uint8Array): void {
    this.batchTime = performance.now()
    this.decoder.push(chunk)
  }

  reset(): void {
    this.decoder.reset()
  }

  onReceived(): void {}

  onRecord(buffer: Uint8Array, frame: number, frameLength: number): void {
    const deviceSwitch = this.ctx.deviceSwitch
    if (deviceSwitch) {
      clampMss(buffer, frame, frameLength, this.ctx.maxFrame)
      deviceSwitch.frameToDevices(buffer, frame, frameLength, this.batchTime)
      return
    }
    const { counters, writer, deviceFraming: { header, encoder } } = this.ctx
    if (frameLength > this.ctx.maxFrame) {
      counters.drops.tooBigForDevice++
      return
    }
    if (!writer.admit(1)) return
    this.ctx.onFrameForDevice(this.batchTime)
    clampMss(buffer, frame, frameLength, this.ctx.maxFrame)
    const room = encoder ? encoder.maxBytes(frameLength) : header.bytes + frameLength
    const out = this.room(room)
    const at = this.outLength
    let wireLength: number
    if (encoder) {
      wireLength = encoder.encode(buffer, frame, frameLength, out, at)
      this.ctx.capture?.append(this.batchTime, Direction.toDevice, 0, buffer, frame, frameLength, wireLength)
    } else {
      header.write(out, at, frameLength)
      out.set(buffer.subarray(frame, frame + frameLength), at + header.bytes)
      wireLength = header.bytes + frameLength
      this.ctx.capture?.append(this.batchTime, Direction.toDevice, 0, out, at, wireLength)
    }
    this.outLength += wireLength
    this.outFrames++
  }

  onFramingError(): void {
    this.streamErrors++
  }

  onBatchEnd(): void {
    this.flush()
    this.ctx.capture?.publish()
    const writer = this.slowestWriter()
    if (this.transport && writer.queuedBytes > PAUSE_ABOVE) {
      this.transport.setReading(false)
      writer.whenRoom(this.readAgain)
    }
  }

  /** The writer with the most waiting: the one device, or the slowest of several. */
  private slowestWriter(): DeviceWriter {
    let slowest = this.ctx.writer
    for (const port of this.ctx.deviceSwitch?.ports ?? []) if (port.writer.queuedBytes > slowest.queuedBytes) slowest = port.writer
    return slowest
  }

  private readonly readAgain = (): void => this.transport?.setReading(true)

  /** The output chunk with `bytes` free after what it holds, flushing a full one first. */
  private room(bytes: number): Uint8Array {
    if (this.out && this.outLength + bytes > this.out.length) this.flush()
    this.out ??= this.pool.take(Math.max(64 * 1024, bytes))
    return this.out
  }

  private flush(): void {
    const out = this.out
    if (!out || this.outLength === 0) return
    this.ctx.writer.write(out.subarray(0, this.outLength), this.outFrames, () => this.pool.give(out))
    this.out = null
    this.outLength = 0
    this.outFrames = 0
  }
}
