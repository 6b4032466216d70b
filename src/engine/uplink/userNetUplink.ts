// The host side without a TUN: passt's user-mode network (NAT to the host and
// the internet, DHCP, DNS, port forwards), reached as a QEMU stream netdev (a
// 4-byte length, then the Ethernet frame) on the unix socket passt serves.
// Frames pass between the device and passt as they are, except that the MSS
// of TCP SYNs is clamped both ways to what the device's frame limit allows:
// passt offers 61 440, and a device that believed it would build segments its
// own link refuses (the lwIP firmware stalls on them); and Ethernet padding is
// taken off frames to passt, which drops padded TCP segments
// (services/ethernetPadding.ts).
//
// Device → passt: the bridge's from-device path queues whole frames here, as
// for a TAP; each batch becomes one write. passt → device: passt's frames are
// decoded here and go to the device in its own framing, one write per batch,
// bounded by the device writer like all traffic to it.
import { BufferPool } from '../bufferPool.js'
import type { CaptureRing } from '../capture/ring.js'
import { Direction } from '../capture/ring.js'
import type { Counters } from '../counters.js'
import type { DeviceWriter } from '../deviceWriter.js'
import { MAX_QUEUED_BYTES } from '../deviceWriter.js'
import type { FrameDecoder, Framing, FramingSink } from '../framing/framing.js'
import { qemuFraming } from '../framing/qemu.js'
import { unpaddedLength } from '../services/ethernetPadding.js'
import { clampMss } from '../services/mssClamp.js'
import { refusedPort } from '../services/tcpRefusal.js'
import type { Transport } from '../transport/index.js'

/** passt's own limit on a frame from the guest (its 65 520-byte MTU plus the Ethernet header). */
const PASST_MAX_FRAME = 65_535
const PREFIX = qemuFraming.header.bytes

export interface UserNetContext {
  counters: Counters
  capture: CaptureRing | null
  /** How the device's link carries frames: passt's frames go to it in this framing. */
  deviceFraming: Framing
  /** Where frames for the device go, bounded. */
  writer: DeviceWriter
  /** The largest frame the device takes (--max-frame). */
  maxFrame: number
  /** passt has a frame for the device (called before it goes): the bridge may need to learn the device's MAC for passt. */
  onFrameForDevice(now: number): void
  /** The device refused a TCP connection on `port` (nothing listens there). */
  onDeviceRefused(port: number): void
}

export class UserNetUplink implements FramingSink {
  /** Cuts passt's stream into frames; the transport to passt reads into it. */
  readonly decoder: FrameDecoder
  /** The connection to passt's socket; set once by the owner, who starts and stops it. */
  transport: Transport | null = null
  /** Capture timestamp of passt's read being parsed. */
  batchTime = 0
  /** Records from passt its framing refused (passt is local and trusted: never seen, but counted). */
  streamErrors = 0
  /** Frames from the device handed to passt's link: a passt that got one has heard the device. */
  framesToPasst = 0
  private readonly pool = new BufferPool(64 * 1024, 8)
  private out: Uint8Array | null = null
  private outLength = 0
  private outFrames = 0

  constructor(private readonly ctx: UserNetContext) {
    this.decoder = qemuFraming.createDecoder(this, PASST_MAX_FRAME)
  }

  /**
   * Device → passt: `count` frames, spans[2i] their start and spans[2i + 1] their length in
   * `buffer`. Returns how many were taken (all, or none while passt is not connected or not
   * keeping up).
   */
  writePackets(buffer: Uint8Array, spans: Uint32Array, count: number): number {
    const transport = this.transport
    if (!transport || transport.state.status !== 'connected' || transport.queuedBytes > MAX_QUEUED_BYTES) return 0
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
      // its own link takes when passt's side answers.
      clampMss(chunk, at + PREFIX, length, maxFrame)
      at += PREFIX + length
    }
    const accepted = transport.write(chunk.subarray(0, at), () => this.pool.give(chunk))
    if (!accepted) this.pool.give(chunk)
    else this.framesToPasst += count
    return accepted ? count : 0
  }

  // ---- passt → device (FramingSink of passt's stream)

  onReceived(): void {}

  onRecord(buffer: Uint8Array, frame: number, frameLength: number): void {
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
  }

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
