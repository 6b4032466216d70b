// Several devices on one bridge: which port an IPv4 address belongs to, and packets from one device
// to another, which go straight to the other's port (no detour through the host's kernel, no IP
// forwarding needed). Devices reach each other as they reach the host: proxy ARP answers every
// address with the gateway's MAC, so their frames to each other arrive addressed to the bridge,
// which routes them by destination address. A broadcast or multicast goes to every other device and
// on to the host. A packet (from the host or a device) for an address of the subnet that no device
// has shown yet is held while the devices that have not shown theirs are asked for it (ARP), as a
// quiet device is found only when it answers. Ports number a handful: lookups are a scan, which
// beats a map at that size.
import { subnetMask } from './addresses.js'
import type { Counters } from './counters.js'
import type { DevicePort } from './devicePort.js'
import { equalAt, u32 } from './decode/bytes.js'
import { HeldPackets } from './heldPackets.js'

/** The IPv4 destination's offset in its header. */
const IPV4_DESTINATION = 16

export class DeviceSwitch {
  /** The subnet's broadcast address (a 32-bit number). */
  private readonly subnetBroadcast: number
  private readonly mask: number
  /** Packets for addresses no device has shown yet, until one does. */
  readonly held: HeldPackets
  private readonly probe = new Uint8Array(4)

  constructor(
    readonly ports: readonly DevicePort[],
    /** The host's address on the link (a 32-bit number). */
    private readonly hostKey: number,
    prefixLength: number,
    /** The host side's counters: what no device takes is counted there. */
    counters: Counters
  ) {
    this.mask = subnetMask(prefixLength)
    this.subnetBroadcast = (hostKey | ~this.mask) >>> 0
    this.held = new HeldPackets(this, counters, (packet, time) => this.ask(packet, 0, time))
  }

  /** Whether the address is on the link (the host's subnet). */
  onLink(key: number): boolean {
    return ((key & this.mask) >>> 0) === ((this.hostKey & this.mask) >>> 0)
  }

  /**
   * An IPv4 packet for an address no device has shown: held, and the connected devices that have
   * not shown theirs are asked for it (each at most once a second).
   */
  findDevice(b: Uint8Array, ip: number, length: number, time: number): void {
    this.held.hold(b, ip, length, time)
    this.ask(b, ip, time)
  }

  /** Asks the connected devices that have not shown their address whether the packet's destination is theirs. */
  private ask(b: Uint8Array, ip: number, time: number): void {
    this.probe.set(b.subarray(ip + IPV4_DESTINATION, ip + IPV4_DESTINATION + 4))
    for (const port of this.ports) {
      if (port.connected && port.identity.addressKey === -1) port.fromDevice.probeAddress(this.probe, time)
    }
  }

  /** The index of the first port whose device has the address `key` (a 32-bit number), or -1. */
  portIndexFor(key: number): number {
    const ports = this.ports
    for (let p = 0; p < ports.length; p++) if (ports[p]!.identity.addressKey === key) return p
    return -1
  }

  /** The first port whose device has the address `key`, or null. */
  portFor(key: number): DevicePort | null {
    const p = this.portIndexFor(key)
    return p === -1 ? null : this.ports[p]!
  }

  /** Whether the address goes to every device: limited or subnet broadcast, or multicast (224/4). */
  isFlooded(key: number): boolean {
    return key === 0xffffffff || key === this.subnetBroadcast || key >>> 28 === 0xe
  }

  /** The index of the first port whose device's MAC is at b[at], or -1. */
  portIndexForMac(b: Uint8Array, at: number): number {
    const ports = this.ports
    for (let p = 0; p < ports.length; p++) {
      const mac = ports[p]!.identity.mac
      if (mac !== null && equalAt(b, at, mac)) return p
    }
    return -1
  }

  /** The first port whose device's MAC is at b[at], or null. */
  portForMac(b: Uint8Array, at: number): DevicePort | null {
    const p = this.portIndexForMac(b, at)
    return p === -1 ? null : this.ports[p]!
  }

  /**
   * Where frames are switched as they are (a TAP, a user-mode network), an Ethernet frame from
   * `from`'s device: to the device whose MAC it is addressed to (true: nothing for the host), or for
   * a broadcast or multicast to every other connected device as well as to the host (false).
   */
  frameFromDevice(from: DevicePort, b: Uint8Array, frame: number, length: number, time: number): boolean {
    if (this.ports.length === 1) return false
    if ((b[frame]! & 1) !== 0) {
      for (const port of this.ports) if (port !== from && port.connected) port.sendFrame(b, frame, length, time)
      return false
    }
    const target = this.portForMac(b, frame)
    if (target === null || target === from) return false
    target.sendFrame(b, frame, length, time)
    return true
  }

  /**
   * An Ethernet frame from the host side (a TAP, a user-mode network) for the devices: to the one
   * with its destination MAC; a broadcast or multicast to every connected device, and one for a MAC
   * no device has shown to those that have not shown theirs.
   */
  frameToDevices(b: Uint8Array, frame: number, length: number, time: number): void {
    const target = (b[frame]! & 1) === 0 ? this.portForMac(b, frame) : null
    if (target !== null) {
      target.sendFrame(b, frame, length, time)
      return
    }
    const flood = (b[frame]! & 1) !== 0
    for (const port of this.ports) if (port.connected && (flood || port.identity.mac === null)) port.sendFrame(b, frame, length, time)
  }

  /** Whether the host or any device has the address. */
  addressTaken(key: number): boolean {
    return key === this.hostKey || this.portFor(key) !== null
  }

  /**
   * An IPv4 packet from `from`'s device: to the device it is addressed to, or held for one not
   * found yet (true: nothing for the host), or for a broadcast to every other connected device as
   * well as the host (false).
   */
  fromDevice(from: DevicePort, b: Uint8Array, ip: number, length: number, time: number): boolean {
    // One device (more may join): everything goes to the host, as without the switch.
    if (this.ports.length === 1) return false
    const key = u32(b, ip + IPV4_DESTINATION)
    if (this.isFlooded(key)) {
      for (const port of this.ports) if (port !== from && port.connected) port.sendPacket(b, ip, length, time)
      return false
    }
    if (key === this.hostKey) return false
    const target = this.portFor(key)
    if (target === from) return false
    if (target === null) {
      // Beyond the link the host routes it; on the link it is a device that has not spoken yet.
      if (!this.onLink(key)) return false
      this.findDevice(b, ip, length, time)
      return true
    }
    target.sendPacket(b, ip, length, time)
    return true
  }
}
