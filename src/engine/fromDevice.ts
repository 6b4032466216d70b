// Device → host: every record the decoder accepts is counted, captured and,
// for a TUN, stripped of its Ethernet header and queued as one span of a
// batched write. ARP never reaches the TUN: the bridge answers it itself.
import type { TunDevice } from '../native/index.js'
import type { CaptureRing } from './capture/ring.js'
import { Direction } from './capture/ring.js'
import { framingErrorKind, type Counters } from './counters.js'
import { arpTargetIpEquals, ETHERNET_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, etherTypeAt, isArpRequestForOther, writeProxyArpReply } from './ethernet.js'
import { LENGTH_PREFIX_BYTES, writeLengthPrefix, type LengthPrefixDecoder, type LengthPrefixSink } from './framing/lengthPrefix.js'

/** What the path learns about the device from its own frames. */
export interface DeviceIdentity {
  mac: Uint8Array | null
  ipv4: Uint8Array | null
}

export interface FromDeviceContext {
  counters: Counters
  capture: CaptureRing | null
  tun: TunDevice
  tap: boolean
  gatewayMac: Uint8Array
  /** The device's configured address: requests for it (duplicate address probes) get no proxy answer. */
  deviceIp: Uint8Array
  /** Sends a whole wire record to the device; false when there is no link. */
  sendToDevice(record: Uint8Array): boolean
  onDeviceChanged(identity: DeviceIdentity): void
}

const MAX_SPANS = 16_384

export class FromDevicePath implements LengthPrefixSink {
  /** Capture timestamp of the read being parsed (one clock read per batch). */
  batchTime = 0
  readonly identity: DeviceIdentity = { mac: null, ipv4: null }
  decoder: LengthPrefixDecoder | null = null
  private readonly spans = new Uint32Array(2 * MAX_SPANS)
  private spanCount = 0
  private readonly reply = new Uint8Array(LENGTH_PREFIX_BYTES + 60)

  constructor(private readonly ctx: FromDeviceContext) {}

  /** A new connection may be a new device: learn its MAC again. */
  forgetDevice(): void {
    this.identity.mac = null
    if (this.decoder) this.decoder.deviceMac = null
  }

  onRecord(buffer: Uint8Array, start: number, frameLength: number): void {
    const ctx = this.ctx
    ctx.counters.fromDevice.frames++
    ctx.counters.fromDevice.bytes += LENGTH_PREFIX_BYTES + frameLength
    ctx.capture?.append(this.batchTime, Direction.fromDevice, 0, buffer, start, LENGTH_PREFIX_BYTES + frameLength)
    const frame = start + LENGTH_PREFIX_BYTES
    if (this.identity.mac === null) this.learnMac(buffer, frame)
    if (ctx.tap) {
      this.queue(buffer, frame, frameLength)
      return
    }
    const etherType = etherTypeAt(buffer, frame)
    const ip = frame + ETHERNET_HEADER
    if (etherType === ETHERTYPE_IPV4) {
      this.learnIpv4(buffer, ip + 12)
      this.queue(buffer, ip, (buffer[ip + 2]! << 8) | buffer[ip + 3]!) // total length: drops Ethernet padding
    } else if (etherType === ETHERTYPE_IPV6) {
      this.queue(buffer, ip, 40 + ((buffer[ip + 4]! << 8) | buffer[ip + 5]!))
    } else if (etherType === ETHERTYPE_ARP) {
      this.learnIpv4(buffer, frame + 28)
      this.answerArp(buffer, frame)
    } else {
      ctx.counters.drops.otherEtherType++
    }
  }

  onFramingError(code: number, kept: Uint8Array, skipped: number): void {
    const counters = this.ctx.counters
    const kind = framingErrorKind(code)
    if (kind) counters.framingErrors[kind]++
    counters.bytesSkipped += skipped
    this.ctx.capture?.append(this.batchTime, Direction.fromDevice, code, kept, 0, kept.length, skipped)
  }

  onBatchEnd(buffer: Uint8Array): void {
    this.flush(buffer)
    this.ctx.capture?.publish()
  }

  private queue(buffer: Uint8Array, start: number, length: number): void {
    if (this.spanCount === MAX_SPANS) this.flush(buffer)
    this.spans[2 * this.spanCount] = start
    this.spans[2 * this.spanCount + 1] = length
    this.spanCount++
  }

  private flush(buffer: Uint8Array): void {
    if (this.spanCount === 0) return
    const written = this.ctx.tun.writePackets(buffer, this.spans, this.spanCount)
    this.ctx.counters.drops.tunWriteError += this.spanCount - written
    this.spanCount = 0
  }

  private answerArp(buffer: Uint8Array, frame: number): void {
    if (!isArpRequestForOther(buffer, frame) || arpTargetIpEquals(buffer, frame, this.ctx.deviceIp)) return
    const length = writeProxyArpReply(buffer, frame, this.ctx.gatewayMac, this.reply, LENGTH_PREFIX_BYTES)
    writeLengthPrefix(this.reply, 0, length)
    const record = this.reply.slice(0, LENGTH_PREFIX_BYTES + length)
    if (!this.ctx.sendToDevice(record)) {
      this.ctx.counters.drops.noLink++
      return
    }
    const counters = this.ctx.counters
    counters.proxyArpReplies++
    counters.toDevice.frames++
    counters.toDevice.bytes += record.length
    this.ctx.capture?.append(performance.now(), Direction.toDevice, 0, record, 0, record.length)
  }

  private learnMac(buffer: Uint8Array, frame: number): void {
    this.identity.mac = buffer.slice(frame + 6, frame + 12)
    if (this.decoder) this.decoder.deviceMac = this.identity.mac
    this.ctx.onDeviceChanged(this.identity)
  }

  private learnIpv4(buffer: Uint8Array, at: number): void {
    const known = this.identity.ipv4
    if (known && known[0] === buffer[at] && known[1] === buffer[at + 1] && known[2] === buffer[at + 2] && known[3] === buffer[at + 3]) return
    // 0.0.0.0 is a device without an address yet (DHCP), not an address.
    if ((buffer[at]! | buffer[at + 1]! | buffer[at + 2]! | buffer[at + 3]!) === 0) return
    this.identity.ipv4 = buffer.slice(at, at + 4)
    this.ctx.onDeviceChanged(this.identity)
  }
}
