// Host → device: packets read from the TUN in one batch become wire records
// in place (the addon leaves headroom for the framing's record header and,
// for a TUN, the Ethernet header) and go to the device in a single write.
import { BufferPool } from './bufferPool.js'
import type { CaptureRing } from './capture/ring.js'
import { Direction } from './capture/ring.js'
import type { Counters } from './counters.js'
import type { DeviceWriter } from './deviceWriter.js'
import { ETHERNET_HEADER, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet.js'
import type { RecordHeader } from './framing/framing.js'

export interface ToDeviceContext {
  counters: Counters
  capture: CaptureRing | null
  writer: DeviceWriter
  header: RecordHeader
  tap: boolean
  maxFrame: number
  gatewayMac: Uint8Array
  /** Destination MAC for synthetic headers: the learned device MAC or the configured default. */
  deviceMac(): Uint8Array
}

export class ToDevicePath {
  /** Room the addon leaves before each packet: the record header, and for a TUN the Ethernet header (a TAP's packet is already a frame). */
  readonly headroom: number
  private readonly pool = new BufferPool(64 * 1024, 8)

  constructor(
    private readonly ctx: ToDeviceContext,
    readonly buffer: Uint8Array
  ) {
    this.headroom = ctx.header.bytes + (ctx.tap ? 0 : ETHERNET_HEADER)
  }

  /** The addon's batch callback: `count` packets laid out from buffer[0]. */
  onTunBatch(count: number): void {
    const { counters, writer } = this.ctx
    if (!writer.admit(count)) return
    const b = this.buffer
    const headroom = this.headroom
    const header = this.ctx.header
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
      header.write(b, record, frameLength) // over the addon's length, read above
      const recordLength = header.bytes + frameLength
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

  /** Writes the synthetic Ethernet header in the headroom, after the record header's room; 0 if the packet is not IP. */
  private frame(b: Uint8Array, record: number, packetLength: number): number {
    const frame = record + this.ctx.header.bytes
    const version = b[frame + ETHERNET_HEADER]! >> 4
    const etherType = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0
    if (etherType === 0) {
      this.ctx.counters.drops.notIp++
      return 0
    }
    b.set(this.ctx.deviceMac(), frame)
    b.set(this.ctx.gatewayMac, frame + 6)
    b[frame + 12] = etherType >> 8
    b[frame + 13] = etherType & 0xff
    return ETHERNET_HEADER + packetLength
  }
}
