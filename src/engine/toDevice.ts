// Host → device: packets read from the TUN in one batch become wire records
// in place (the addon leaves headroom for the length prefix and Ethernet
// header) and go to the UART in a single write.
import { BufferPool } from './bufferPool.js'
import type { CaptureRing } from './capture/ring.js'
import { Direction } from './capture/ring.js'
import type { Counters } from './counters.js'
import type { DeviceWriter } from './deviceWriter.js'
import { ETHERNET_HEADER, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet.js'
import { LENGTH_PREFIX_BYTES, writeLengthPrefix } from './framing/lengthPrefix.js'

/** Room the addon leaves before each packet read from a TUN: prefix + Ethernet header. */
export const TUN_HEADROOM = LENGTH_PREFIX_BYTES + ETHERNET_HEADER
/** For a TAP the packet is already a frame: only the prefix is missing. */
export const TAP_HEADROOM = LENGTH_PREFIX_BYTES

export interface ToDeviceContext {
  counters: Counters
  capture: CaptureRing | null
  writer: DeviceWriter
  tap: boolean
  maxFrame: number
  gatewayMac: Uint8Array
  /** Destination MAC for synthetic headers: the learned device MAC or the configured default. */
  deviceMac(): Uint8Array
}

export class ToDevicePath {
  private readonly pool = new BufferPool(64 * 1024, 8)

  constructor(
    private readonly ctx: ToDeviceContext,
    readonly buffer: Uint8Array
  ) {}

  /** The addon's batch callback: `count` packets laid out from buffer[0]. */
  onTunBatch(count: number): void {
    const { counters, writer } = this.ctx
    if (!writer.admit(count)) return
    const b = this.buffer
    const headroom = this.ctx.tap ? TAP_HEADROOM : TUN_HEADROOM
    const time = performance.now()
    let out = 0
    let frames = 0
    for (let pos = 0, i = 0; i < count; i++) {
      const packetLength = (b[pos]! << 8) | b[pos + 1]!
      const record = pos
      pos += headroom + packetLength
      const frameLength = this.ctx.tap ? packetLength : this.frame(b, record, packetLength)
      if (frameLength === 0) continue
      if (frameLength > this.ctx.maxFrame) {
        counters.drops.tooBigForDevice++
        continue
      }
      const recordLength = LENGTH_PREFIX_BYTES + frameLength
      if (out !== record) b.copyWithin(out, record, record + recordLength)
      this.ctx.capture?.append(time, Direction.toDevice, 0, b, out, recordLength)
      frames++
      out += recordLength
    }
    this.ctx.capture?.publish()
    // The batch buffer is reused by the next read, so the socket gets a copy.
    if (out === 0) return
    const chunk = this.pool.take(out)
    chunk.set(b.subarray(0, out))
    writer.write(chunk.subarray(0, out), frames, () => this.pool.give(chunk))
  }

  /** Writes prefix and synthetic Ethernet header in the headroom; 0 if the packet is not IP. */
  private frame(b: Uint8Array, record: number, packetLength: number): number {
    const version = b[record + TUN_HEADROOM]! >> 4
    const etherType = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0
    if (etherType === 0) {
      this.ctx.counters.drops.notIp++
      return 0
    }
    const frameLength = ETHERNET_HEADER + packetLength
    writeLengthPrefix(b, record, frameLength)
    b.set(this.ctx.deviceMac(), record + 2)
    b.set(this.ctx.gatewayMac, record + 8)
    b[record + 14] = etherType >> 8
    b[record + 15] = etherType & 0xff
    return frameLength
  }
}
