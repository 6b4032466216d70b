// Host → device: packets read from the TUN in one batch become wire records
// in place (the addon leaves headroom for the framing's record header and,
// for a TUN carrying Ethernet, the Ethernet header) and go to the device in a
// single write. A framing that transforms the frame (SLIP's escaping) encodes
// each frame straight into the write's chunk instead.
import { BufferPool } from './bufferPool.js'
import type { CaptureRing } from './capture/ring.js'
import { Direction } from './capture/ring.js'
import type { Counters } from './counters.js'
import type { DeviceWriter } from './deviceWriter.js'
import { ETHERNET_HEADER, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet.js'
import type { Framing } from './framing/framing.js'

/** The addon's big-endian length before each packet it reads. */
const ADDON_LENGTH_FIELD = 2

export interface ToDeviceContext {
  counters: Counters
  capture: CaptureRing | null
  writer: DeviceWriter
  framing: Framing
  tap: boolean
  maxFrame: number
  gatewayMac: Uint8Array
  /** Destination MAC for synthetic headers: the learned device MAC or the configured default. */
  deviceMac(): Uint8Array
  /** The host has packets for the device (called once per batch, before they go). */
  onHostTraffic(now: number): void
  /** The port's capture interface. */
  capturePort: number
}

export class ToDevicePath {
  /**
   * Room the addon leaves before each packet: the record header, and the Ethernet header when
   * a TUN's packets go to a device that takes Ethernet (a TAP's packet is already a frame).
   */
  readonly headroom: number
  /** Whether each packet gets a synthetic Ethernet header. */
  private readonly addsEthernet: boolean
  /** Where the frame starts in a packet's slot: after the record header's room. */
  private readonly frameOffset: number
  private readonly pool = new BufferPool(64 * 1024, 8)

  constructor(
    private readonly ctx: ToDeviceContext,
    readonly buffer: Uint8Array
  ) {
    this.addsEthernet = !ctx.tap && ctx.framing.payload === 'ethernet'
    // The addon puts each packet's 2-byte length in its slot's first bytes, so a slot has at least those.
    this.headroom = Math.max(ADDON_LENGTH_FIELD, ctx.framing.header.bytes + (this.addsEthernet ? ETHERNET_HEADER : 0))
    this.frameOffset = this.headroom - (this.addsEthernet ? ETHERNET_HEADER : 0)
  }

  /** The addon's batch callback: `count` packets laid out from buffer[0]. */
  onTunBatch(count: number): void {
    const { writer, capture } = this.ctx
    if (!writer.admit(count)) return
    const time = performance.now()
    this.ctx.onHostTraffic(time)
    const b = this.buffer
    const headroom = this.headroom
    const { header, encoder } = this.ctx.framing
    // An encoder writes each frame straight into the write's chunk, sized for the worst case.
    const encoded = encoder ? this.pool.take(this.encodedWorstCase(count)) : null
    let out = 0
    let frames = 0
    for (let pos = 0, i = 0; i < count; i++) {
      const packetLength = (b[pos]! << 8) | b[pos + 1]!
      const record = pos
      pos += headroom + packetLength
      const frameLength = this.frameOf(b, record, packetLength)
      if (frameLength === 0) continue
      const frame = record + this.frameOffset
      frames++
      if (encoded) {
        const wireLength = encoder!.encode(b, frame, frameLength, encoded, out)
        capture?.append(time, Direction.toDevice, 0, b, frame, frameLength, wireLength, this.ctx.capturePort)
        out += wireLength
        continue
      }
      const start = frame - header.bytes
      header.write(b, start, frameLength) // over the addon's length, read above
      const recordLength = header.bytes + frameLength
      if (out !== start) b.copyWithin(out, start, start + recordLength)
      capture?.append(time, Direction.toDevice, 0, b, out, recordLength, recordLength, this.ctx.capturePort)
      out += recordLength
    }
    capture?.publish()
    if (out === 0) {
      if (encoded) this.pool.give(encoded)
      return
    }
    let chunk = encoded
    if (!chunk) {
      // The batch buffer is reused by the next read, so the socket gets a copy.
      chunk = this.pool.take(out)
      chunk.set(b.subarray(0, out))
    }
    writer.write(chunk.subarray(0, out), frames, () => this.pool.give(chunk))
  }

  /** The most bytes the framing's encoder writes for the batch's `count` packets. */
  private encodedWorstCase(count: number): number {
    const b = this.buffer
    const encoder = this.ctx.framing.encoder!
    let worst = 0
    for (let pos = 0, i = 0; i < count; i++) {
      const slot = this.headroom + ((b[pos]! << 8) | b[pos + 1]!)
      worst += encoder.maxBytes(slot) // the slot holds more than the frame: no need to tell them apart
      pos += slot
    }
    return worst
  }

  /**
   * The frame the packet in the slot at `record` becomes (at record + frameOffset): its
   * length, or 0 when it is dropped (counted).
   */
  private frameOf(b: Uint8Array, record: number, packetLength: number): number {
    const counters = this.ctx.counters
    const frame = record + this.frameOffset
    const frameLength = this.ctx.tap ? packetLength : this.ipFrame(b, frame, packetLength)
    if (frameLength > this.ctx.maxFrame) {
      counters.drops.tooBigForDevice++
      return 0
    }
    return frameLength
  }

  /**
   * A TUN's IP packet as the device takes it: as it is, or behind a synthetic Ethernet
   * header written in the headroom. 0 if the packet is not IP.
   */
  private ipFrame(b: Uint8Array, frame: number, packetLength: number): number {
    const version = b[frame + (this.addsEthernet ? ETHERNET_HEADER : 0)]! >> 4
    const etherType = version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0
    if (etherType === 0) {
      this.ctx.counters.drops.notIp++
      return 0
    }
    if (!this.addsEthernet) return packetLength
    b.set(this.ctx.deviceMac(), frame)
    b.set(this.ctx.gatewayMac, frame + 6)
    b[frame + 12] = etherType >> 8
    b[frame + 13] = etherType & 0xff
    return ETHERNET_HEADER + packetLength
  }
}
