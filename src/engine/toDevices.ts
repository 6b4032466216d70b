// Host → several devices: each packet of a TUN batch goes to the port whose device has its
// destination address (a TAP's frame: whose device has its destination MAC), framed for that port;
// each port gets the batch's packets for it in one write. A broadcast or multicast (IPv4 or IPv6) goes to every connected device. A packet for an
// address no device has shown is held while the devices that have not shown theirs are asked for it
// (deviceSwitch.findDevice); a device that takes bare IP cannot be asked: it is found once it has
// sent something. IPv6 unicast finds no device (addresses are learned for
// IPv4 only). (One device: toDevice.ts frames in place.)
import { BufferPool } from './bufferPool.js'
import type { Counters } from './counters.js'
import { u32 } from './decode/bytes.js'
import type { DevicePort } from './devicePort.js'
import { MAX_DEVICES } from './deviceSpecs.js'
import type { DeviceSwitch } from './deviceSwitch.js'

/** The addon's big-endian length before each packet it reads. */
const ADDON_LENGTH_FIELD = 2
const IPV4_DESTINATION = 16
const IPV6_DESTINATION = 24
/** Where a packet goes: to every connected port, nowhere, or (a TAP's frame for a MAC no device has shown) to the ports that have not shown theirs. Others are port indexes. */
const FLOOD = -1
const NOWHERE = -2
const UNKNOWN_MAC = -3

export class ToDevicesPath {
  /** The addon leaves room for its length field only: packets are copied into each port's write. */
  readonly headroom = ADDON_LENGTH_FIELD
  private readonly targets: Int16Array
  private readonly bytesFor: Float64Array
  private readonly framesFor: Uint32Array
  private readonly pool = new BufferPool(64 * 1024, 8)

  constructor(
    private readonly deviceSwitch: DeviceSwitch,
    /** The host side's own counters: what no device was there to take. */
    private readonly counters: Counters,
    readonly buffer: Uint8Array,
    maxBatch: number,
    /** A TAP's frames, switched by MAC as they are; else a TUN's IP packets, routed by address. */
    private readonly ethernet = false
  ) {
    this.targets = new Int16Array(maxBatch)
    // Devices may be added while it runs: room for as many as a bridge takes.
    this.bytesFor = new Float64Array(MAX_DEVICES)
    this.framesFor = new Uint32Array(MAX_DEVICES)
  }

  /** The addon's batch callback: `count` packets laid out from buffer[0]. */
  onTunBatch(count: number): void {
    const time = performance.now()
    const b = this.buffer
    const ports = this.deviceSwitch.ports
    this.bytesFor.fill(0, 0, ports.length)
    this.framesFor.fill(0, 0, ports.length)
    for (let pos = 0, i = 0; i < count; i++) {
      const length = (b[pos]! << 8) | b[pos + 1]!
      const ip = pos + ADDON_LENGTH_FIELD
      const target = this.ethernet ? this.portOfFrame(b, ip, length) : this.targetOf(b, ip, length, time)
      this.targets[i] = target
      let taken = false
      for (let p = 0; p < ports.length; p++) {
        if (!this.goesTo(target, ports[p]!, p)) continue
        this.bytesFor[p] += this.ethernet ? ports[p]!.framer.maxBytesWhole(length) : ports[p]!.framer.maxBytes(length)
        this.framesFor[p]++
        taken = true
      }
      // A frame for a MAC no device has (every device has shown its own) finds nobody.
      if (!taken && target === UNKNOWN_MAC) this.counters.drops.noDevice++
      pos = ip + length
    }
    for (let p = 0; p < ports.length; p++) if (this.framesFor[p]! > 0) this.sendTo(ports[p]!, p, count, time)
    // The ports share one capture: its readers hear of the batch once.
    ports[0]?.options.capture?.publish()
  }

  /** Whether a packet for `target` goes to port `p`. */
  private goesTo(target: number, port: DevicePort, p: number): boolean {
    if (target === p) return true
    if (target === FLOOD) return port.connected
    return target === UNKNOWN_MAC && port.connected && port.identity.mac === null
  }

  /** Where a TAP's Ethernet frame b[frame, frame + length) goes: by its destination MAC. */
  private portOfFrame(b: Uint8Array, frame: number, length: number): number {
    if (length < 14) return NOWHERE
    if ((b[frame]! & 1) !== 0) return FLOOD
    // One device (more may join): everything is its, as without the switch.
    if (this.deviceSwitch.ports.length === 1) return 0
    const port = this.deviceSwitch.portIndexForMac(b, frame)
    return port === -1 ? UNKNOWN_MAC : port
  }

  /** Where the packet b[ip, ip + length) goes. */
  private targetOf(b: Uint8Array, ip: number, length: number, time: number): number {
    const version = b[ip]! >> 4
    // One device (more may join): every packet is its, as without the switch, whatever its address.
    const alone = this.deviceSwitch.ports.length === 1
    if (version === 6) return b[ip + IPV6_DESTINATION] === 0xff ? FLOOD : alone ? 0 : this.nowhere()
    if (version !== 4 || length < 20) {
      this.counters.drops.notIp++
      return NOWHERE
    }
    const key = u32(b, ip + IPV4_DESTINATION)
    if (this.deviceSwitch.isFlooded(key)) return FLOOD
    if (alone) return 0
    const port = this.deviceSwitch.portIndexFor(key)
    if (port !== -1) return port
    this.deviceSwitch.findDevice(b, ip, length, time)
    return NOWHERE
  }

  private nowhere(): number {
    this.counters.drops.noDevice++
    return NOWHERE
  }



  /** The batch's packets for port `p` (its own and the flooded ones), framed into one write. */
  private sendTo(port: DevicePort, p: number, count: number, time: number): void {
    if (!port.writer.admit(this.framesFor[p]!)) return
    // A device whose address is configured may not have shown its MAC yet.
    port.fromDevice.probeDevice(time)
    const b = this.buffer
    const chunk = this.pool.take(this.bytesFor[p]!)
    let out = 0
    let frames = 0
    for (let pos = 0, i = 0; i < count; i++) {
      const length = (b[pos]! << 8) | b[pos + 1]!
      const ip = pos + ADDON_LENGTH_FIELD
      pos = ip + length
      if (!this.goesTo(this.targets[i]!, port, p)) continue
      const wireLength = this.ethernet ? port.framer.frameWhole(b, ip, length, chunk, out, time) : port.framer.frame(b, ip, length, chunk, out, time)
      if (wireLength === 0) {
        port.counters.drops.tooBigForDevice++
        continue
      }
      out += wireLength
      frames++
    }
    if (frames === 0) {
      this.pool.give(chunk)
      return
    }
    port.writer.write(chunk.subarray(0, out), frames, () => this.pool.give(chunk))
  }
}
