// Device → host: every record the decoder accepts is counted, captured and,
// for a TUN, stripped of its Ethernet header (when it has one) and queued as
// one span of a batched write. ARP never reaches the TUN: the bridge answers
// it itself. Text a framing carries (tunslip6's) is counted and captured only.
import type { CaptureRing } from './capture/ring.js'
import { Direction } from './capture/ring.js'
import { framingErrorKind, TextRecord, type Counters } from './counters.js'
import { u32 } from './decode/bytes.js'
import { DeviceIdentity, type LinkSubnet } from './deviceIdentity.js'
import type { DeviceWriter } from './deviceWriter.js'
import { ARP_FRAME, ETHERNET_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, etherTypeAt, isArpRequestForOther, writeArpRequest, writeProxyArpReply } from './ethernet.js'
import type { FrameDecoder, Framing, FramingSink, TextKind } from './framing/framing.js'
import { DHCP_ANSWER_MAX, isDhcpRequest, type DhcpServer } from './services/dhcpServer.js'

export interface FromDeviceContext {
  counters: Counters
  capture: CaptureRing | null
  /** The capture keeps its record header with each frame, and the bridge's own answers are framed by it. */
  framing: Framing
  tap: boolean
  gatewayMac: Uint8Array
  /**
   * The device's configured address: frames from it prove the device's MAC; requests for it get no
   * proxy answer. null: learned from the device's frames, as any address of the link's subnet.
   */
  deviceIp: Uint8Array | null
  /** The host's address on the TUN: the sender of the bridge's ARP probes. */
  hostIp: Uint8Array
  prefixLength: number
  /** The port's capture interface. */
  capturePort: number
  /**
   * Frames to the device need its MAC before it has spoken: the bridge addresses the host's
   * packets itself (a TUN carrying Ethernet), or passt sends nothing to a guest it has not heard.
   */
  probesForMac: boolean
  /** The IPv6 /64 prefix (8 bytes) tunslip6's '?P' request is answered with; null: not answered. */
  slipPrefix: Uint8Array | null
  /** Where the bridge's own answers (proxy ARP, DHCP) go, bounded like all traffic to the device. */
  writer: DeviceWriter
  /** Answers the device's DHCP requests (--dhcp); null lets them through like any packet. */
  dhcp: DhcpServer | null
  /**
   * With several devices on the bridge: takes an IPv4 packet b[ip, ip + length) meant for other
   * devices (true when it is theirs alone; a broadcast goes to them and on to the host). null: one device.
   */
  toOtherDevices: ((b: Uint8Array, ip: number, length: number, time: number) => boolean) | null
  /**
   * With several devices where frames are switched as they are (a TAP, a user-mode network): takes an
   * Ethernet frame meant for other devices (true when it is theirs alone; a broadcast goes to them
   * and on to the host). null: one device, or a TUN.
   */
  toOtherDevicesL2: ((b: Uint8Array, frame: number, length: number, time: number) => boolean) | null
  /** Whether the host or a device on the bridge has the address (a 32-bit number). */
  addressTaken(ip: number): boolean
  onDeviceChanged(identity: DeviceIdentity): void
}

/** Where the device's packets (or, for a TAP and a user-mode network, frames) go: `count` spans of `buffer`; returns how many it took. */
export interface HostSide {
  writePackets(buffer: Uint8Array, spans: Uint32Array, count: number): number
}

const MAX_SPANS = 16_384
/** Offsets inside an ARP frame (Ethernet/IPv4). */
const ARP_SENDER_IP = 28
const ARP_TARGET_IP = 38
const QUESTION_MARK = 0x3f
const EXCLAMATION_MARK = 0x21
const LETTER_P = 0x50
/** While the device's MAC is unknown, at most one ARP probe for its address this often. */
export const PROBE_EVERY_MS = 1000
/** At most this many ARP probes (for different addresses) a second to one device. */
const PROBES_PER_SECOND = 4

export class FromDevicePath implements FramingSink {
  /** Capture timestamp of the read being parsed (one clock read per batch). */
  batchTime = 0
  readonly identity: DeviceIdentity
  /** Where packets go (the TUN, or the user-mode network); null while it is gone (they are then dropped, counted as tunWriteError: refused by the host side). */
  hostSide: HostSide | null = null
  decoder: FrameDecoder | null = null
  private readonly spans = new Uint32Array(2 * MAX_SPANS)
  private spanCount = 0
  /** Records are bare IP packets (no MAC, no ARP, no DHCP on such a link). */
  private readonly ipPayload: boolean
  /** The last few ARP probes: when, and for which address (a 32-bit number). */
  private readonly probeTimes = new Float64Array(PROBES_PER_SECOND).fill(-Infinity)
  private readonly probeAddresses = new Float64Array(PROBES_PER_SECOND).fill(-1)
  private probeNext = 0

  constructor(private readonly ctx: FromDeviceContext) {
    this.ipPayload = ctx.framing.payload === 'ip'
    const subnet: LinkSubnet = { hostIp: u32(ctx.hostIp, 0), prefixLength: ctx.prefixLength }
    this.identity = new DeviceIdentity(ctx.deviceIp, subnet, () => {
      if (this.decoder) this.decoder.deviceMac = this.identity.mac
      ctx.onDeviceChanged(this.identity)
    })
  }

  /** A new connection may be a new device: learn its MAC again. */
  forgetDevice(): void {
    this.identity.forget()
    this.probeTimes.fill(-Infinity)
    // A new firmware may come with a new MAC: it must not wait out the old one's lease.
    this.ctx.dhcp?.forgetLease()
  }

  /**
   * Until the device's MAC is known, the host's packets go to the configured default, which a
   * device with another MAC (a QEMU NIC given macaddr=) drops, and passt (which learns a guest
   * only from its frames) addresses them to nobody. So while it is unknown and the host has
   * something for the device, ask for the device's address now and then: its ARP reply proves
   * its MAC, to the bridge and to passt alike. `now` and unconditionally with `afresh`: a passt
   * just (re)started has not heard the device, whose MAC the bridge may long know, and resets
   * the forwarded connections it gets meanwhile.
   */
  probeDevice(now: number, afresh = false): void {
    const ctx = this.ctx
    if (!ctx.probesForMac || ctx.deviceIp === null) return
    if (!afresh && this.identity.mac !== null) return
    this.probeAddress(ctx.deviceIp, now, afresh)
  }

  /**
   * Asks the device whether `ip` is its address (unless `afresh`, at most once a second for one
   * address and PROBES_PER_SECOND addresses a second, so traffic to many addresses cannot flood the
   * device's line with probes): how the switch finds which of several quiet devices has an address.
   */
  probeAddress(ip: Uint8Array, now: number, afresh = false): void {
    const ctx = this.ctx
    if (this.ipPayload || (!afresh && !this.mayProbe(u32(ip, 0), now))) return
    this.probeTimes[this.probeNext] = now
    this.probeAddresses[this.probeNext] = u32(ip, 0)
    this.probeNext = (this.probeNext + 1) % PROBES_PER_SECOND
    this.batchTime = now
    this.sendAnswer(ARP_FRAME, (record, at) => writeArpRequest(ctx.gatewayMac, ctx.hostIp, ip, record, at), () => ctx.counters.arpProbes++)
    ctx.capture?.publish()
  }

  private mayProbe(address: number, now: number): boolean {
    let recent = 0
    for (let i = 0; i < PROBES_PER_SECOND; i++) {
      if (now - this.probeTimes[i]! >= PROBE_EVERY_MS) continue
      if (this.probeAddresses[i] === address) return false
      recent++
    }
    return recent < PROBES_PER_SECOND
  }

  onReceived(n: number): void {
    this.ctx.counters.lineBytesFromDevice += n
    this.ctx.counters.lineFromDeviceAt = this.batchTime
  }

  onRecord(buffer: Uint8Array, frame: number, frameLength: number, wireLength: number): void {
    const ctx = this.ctx
    const headerBytes = ctx.framing.header.bytes
    ctx.counters.fromDevice.frames++
    ctx.counters.fromDevice.bytes += wireLength
    ctx.capture?.append(this.batchTime, Direction.fromDevice, 0, buffer, frame - headerBytes, headerBytes + frameLength, wireLength, ctx.capturePort)
    if (this.ipPayload) {
      this.onPacket(buffer, frame)
      return
    }
    const etherType = etherTypeAt(buffer, frame)
    this.identity.observe(buffer, frame, etherType)
    if (ctx.dhcp !== null && etherType === ETHERTYPE_IPV4 && isDhcpRequest(buffer, frame, frameLength)) {
      this.answerDhcp(ctx.dhcp, buffer, frame, frameLength)
      return
    }
    if (ctx.tap) {
      if (ctx.toOtherDevicesL2?.(buffer, frame, frameLength, this.batchTime)) return
      this.queue(buffer, frame, frameLength)
      return
    }
    if (etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6) {
      this.queueIp(buffer, frame + ETHERNET_HEADER)
    } else if (etherType === ETHERTYPE_ARP) {
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
    this.ctx.capture?.append(this.batchTime, Direction.fromDevice, code, kept, 0, kept.length, skipped, this.ctx.capturePort)
  }

  onText(kind: TextKind, buffer: Uint8Array, start: number, length: number, wireLength: number): void {
    this.ctx.counters.textFromDevice++
    this.ctx.capture?.append(this.batchTime, Direction.fromDevice, TextRecord[kind], buffer, start, length, wireLength, this.ctx.capturePort)
    const prefix = this.ctx.slipPrefix
    if (prefix && kind === 'control' && length >= 2 && buffer[start] === QUESTION_MARK && buffer[start + 1] === LETTER_P) this.answerPrefixRequest(prefix)
  }

  onBatchEnd(buffer: Uint8Array): void {
    this.flush(buffer)
    this.ctx.capture?.publish()
  }

  /** A bare IP packet (the framing has checked it is IPv4 or IPv6 and whole). */
  private onPacket(buffer: Uint8Array, packet: number): void {
    this.identity.observePacket(buffer, packet)
    this.queueIp(buffer, packet)
  }

  /**
   * Queues the IP packet at `ip` by its own length, which drops any Ethernet padding after it; with
   * several devices, an IPv4 packet for another device goes to it instead.
   */
  private queueIp(buffer: Uint8Array, ip: number): void {
    if (buffer[ip]! >> 4 === 4) {
      const length = (buffer[ip + 2]! << 8) | buffer[ip + 3]!
      if (this.ctx.toOtherDevices?.(buffer, ip, length, this.batchTime)) return
      this.queue(buffer, ip, length)
    } else this.queue(buffer, ip, 40 + ((buffer[ip + 4]! << 8) | buffer[ip + 5]!))
  }

  private queue(buffer: Uint8Array, start: number, length: number): void {
    if (this.spanCount === MAX_SPANS) this.flush(buffer)
    this.spans[2 * this.spanCount] = start
    this.spans[2 * this.spanCount + 1] = length
    this.spanCount++
  }

  private flush(buffer: Uint8Array): void {
    if (this.spanCount === 0) return
    const written = this.hostSide ? this.hostSide.writePackets(buffer, this.spans, this.spanCount) : 0
    this.ctx.counters.drops.tunWriteError += this.spanCount - written
    this.spanCount = 0
  }

  /**
   * Proxy ARP: the bridge answers for every address but the asker's own. With several devices, an
   * unconfigured device's probe (RFC 5227, from 0.0.0.0) for an address nobody on the bridge has is
   * not answered: that address is free for it to take.
   */
  private answerArp(buffer: Uint8Array, frame: number): void {
    if (!isArpRequestForOther(buffer, frame)) return
    const target = u32(buffer, frame + ARP_TARGET_IP)
    if (target === this.identity.addressKey) return
    if (this.ctx.toOtherDevices !== null && u32(buffer, frame + ARP_SENDER_IP) === 0 && !this.ctx.addressTaken(target)) return
    const counters = this.ctx.counters
    this.sendAnswer(ARP_FRAME, (record, at) => writeProxyArpReply(buffer, frame, this.ctx.gatewayMac, record, at), () => counters.proxyArpReplies++)
  }

  /** tunslip6's answer to '?P': '!P' and the prefix's 8 bytes, sent as a text record. */
  private answerPrefixRequest(prefix: Uint8Array): void {
    const { writer, capture } = this.ctx
    if (!writer.admit(1)) return
    const text = Uint8Array.of(EXCLAMATION_MARK, LETTER_P, ...prefix)
    const wire = this.wireOf(text, text.length)
    capture?.append(this.batchTime, Direction.toDevice, TextRecord.control, text, 0, text.length, wire.length, this.ctx.capturePort)
    writer.write(wire, 1)
  }

  /** The DHCP server counts what it answers and ignores; a request it ignores is not forwarded either. */
  private answerDhcp(server: DhcpServer, buffer: Uint8Array, frame: number, frameLength: number): void {
    this.sendAnswer(DHCP_ANSWER_MAX, (record, at) => server.answer(buffer, frame, frameLength, record, at))
  }

  /**
   * One frame of the bridge's own (at most `maxFrame` bytes, written by `write` at
   * the given offset, 0 for none) sent to the device with the framing's header,
   * captured, and bounded like all traffic to it.
   */
  private sendAnswer(maxFrame: number, write: (record: Uint8Array, at: number) => number, delivered?: () => void): void {
    const { framing: { header }, writer } = this.ctx
    if (!writer.admit(1)) return
    // Its own memory: the write may still be queued when the next answer is made.
    const record = new Uint8Array(header.bytes + maxFrame)
    const frameLength = write(record, header.bytes)
    if (frameLength === 0) return
    header.write(record, 0, frameLength)
    const recordLength = header.bytes + frameLength
    const wire = this.wireOf(record, recordLength)
    this.ctx.capture?.append(this.batchTime, Direction.toDevice, 0, record, 0, recordLength, wire.length, this.ctx.capturePort)
    writer.write(wire, 1, (ok) => {
      if (ok) delivered?.()
    })
  }

  /** bytes[0, length) as they go on the wire: as they are, or encoded (SLIP) into memory of their own. */
  private wireOf(bytes: Uint8Array, length: number): Uint8Array {
    const encoder = this.ctx.framing.encoder
    if (!encoder) return bytes.subarray(0, length)
    const wire = new Uint8Array(encoder.maxBytes(length))
    return wire.subarray(0, encoder.encode(bytes, 0, length, wire, 0))
  }
}
