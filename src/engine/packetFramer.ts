// An IP packet made into one wire record for one device port: behind an Ethernet header (the
// device's MAC, from the gateway's) when the port carries Ethernet, after the framing's record
// header, encoded when the framing escapes (SLIP). The switch uses it where a packet's bytes must
// be copied anyway: a TUN batch shared by several devices, and a packet from one device to another.
// (A TUN batch for a single device is framed in place instead: toDevice.ts.)
import type { CaptureRing } from './capture/ring.js'
import { Direction } from './capture/ring.js'
import { ETHERNET_HEADER, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet.js'
import type { Framing } from './framing/framing.js'

export interface PacketFramerContext {
  framing: Framing
  /** Largest frame the device takes, its Ethernet header included. */
  maxFrame: number
  gatewayMac: Uint8Array
  /** The device's MAC: learned, or the configured default. */
  deviceMac(): Uint8Array
  capture: CaptureRing | null
  /** The port's capture interface. */
  capturePort: number
}

export class PacketFramer {
  private readonly addsEthernet: boolean
  private readonly headerBytes: number
  /** Where an escaping framing's record is built before it is encoded (and captured as it is). */
  private readonly scratch: Uint8Array | null

  constructor(private readonly ctx: PacketFramerContext) {
    this.addsEthernet = ctx.framing.payload === 'ethernet'
    this.headerBytes = ctx.framing.header.bytes
    this.scratch = ctx.framing.encoder ? new Uint8Array(this.headerBytes + ctx.maxFrame) : null
  }

  /** The most bytes frameWhole() writes for an Ethernet frame of `frameLength` bytes. */
  maxBytesWhole(frameLength: number): number {
    const record = this.headerBytes + frameLength
    return this.ctx.framing.encoder ? this.ctx.framing.encoder.maxBytes(record) : record
  }

  /**
   * Writes the Ethernet frame b[frame, frame + length) as it is (a TAP's, a user-mode network's,
   * another device's on an Ethernet switch) as a wire record into `out` at `at`, and captures it;
   * returns its wire length, or 0 when it is over the device's limit.
   */
  frameWhole(b: Uint8Array, frame: number, length: number, out: Uint8Array, at: number, time: number): number {
    const ctx = this.ctx
    if (length > ctx.maxFrame) return 0
    const record = this.scratch ?? out
    const start = this.scratch ? 0 : at
    ctx.framing.header.write(record, start, length)
    record.set(b.subarray(frame, frame + length), start + this.headerBytes)
    return this.finish(record, start, this.headerBytes + length, out, at, time)
  }

  /** The record built at record[start, start + recordLength) onto the wire at out[at] (encoded, when the framing escapes), captured. */
  private finish(record: Uint8Array, start: number, recordLength: number, out: Uint8Array, at: number, time: number): number {
    const encoder = this.ctx.framing.encoder
    const wireLength = encoder ? encoder.encode(record, start, recordLength, out, at) : recordLength
    this.ctx.capture?.append(time, Direction.toDevice, 0, record, start, recordLength, wireLength, this.ctx.capturePort)
    return wireLength
  }

  /** The most bytes frame() writes for a packet of `packetLength` bytes. */
  maxBytes(packetLength: number): number {
    const record = this.headerBytes + (this.addsEthernet ? ETHERNET_HEADER : 0) + packetLength
    return this.ctx.framing.encoder ? this.ctx.framing.encoder.maxBytes(record) : record
  }

  /**
   * Writes the packet b[ip, ip + length) as a wire record into `out` at `at` and captures it;
   * returns its wire length, or 0 when the frame would be over the device's limit (the caller counts it).
   */
  frame(b: Uint8Array, ip: number, length: number, out: Uint8Array, at: number, time: number): number {
    const ctx = this.ctx
    const frameLength = (this.addsEthernet ? ETHERNET_HEADER : 0) + length
    if (frameLength > ctx.maxFrame) return 0
    const record = this.scratch ?? out
    const start = this.scratch ? 0 : at
    let frame = start + this.headerBytes
    ctx.framing.header.write(record, start, frameLength)
    if (this.addsEthernet) {
      record.set(ctx.deviceMac(), frame)
      record.set(ctx.gatewayMac, frame + 6)
      const etherType = b[ip]! >> 4 === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6
      record[frame + 12] = etherType >> 8
      record[frame + 13] = etherType & 0xff
      frame += ETHERNET_HEADER
    }
    record.set(b.subarray(ip, ip + length), frame)
    return this.finish(record, start, this.headerBytes + frameLength, out, at, time)
  }
}
