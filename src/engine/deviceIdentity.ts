// What the bridge knows of the device, learned only from frames that prove
// they are the device's: an IPv4 packet from its address (the framing has
// already checked the header checksum) or an ARP naming it. A stray record
// (another host's LLDP, line noise that happens to parse) never claims the
// link; and when the device's MAC changes on a live link (new firmware, a
// different board behind the same socket), the new one takes over once its
// proven frames keep coming while the old one has gone quiet.
//
// A device whose address is not configured (one of several on a bridge, or
// one given its address by DHCP) proves itself with any address of the link's
// subnet but the host's: its port is its own link, so such a frame can only
// be the device's, and the address it uses is learned with its MAC.
import { subnetMask } from './addresses.js'
import { equalAt, u32 } from './decode/bytes.js'
import { ETHERNET_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet.js'

/** Proven frames in a row from another MAC, none from the known one in between, before it takes over. */
export const TAKEOVER_FRAMES = 3

/** Offsets from the Ethernet frame's first byte. */
const SOURCE_MAC = 6
const IPV4_SOURCE = ETHERNET_HEADER + 12
const ARP_SENDER_IP = 28
const ARP_TARGET_IP = 38

/** The link's subnet, where an unconfigured device's address must lie. */
export interface LinkSubnet {
  /** The host's address on the link, as a 32-bit number. */
  hostIp: number
  prefixLength: number
}

export class DeviceIdentity {
  /** The proven MAC, or null: frames to the device then use the configured one. */
  mac: Uint8Array | null = null
  /** The IPv4 address the proven MAC sends from. */
  ipv4: Uint8Array | null = null
  /**
   * The device's address as a 32-bit number, what the switch routes by: the configured one, else
   * the learned one, else -1.
   */
  addressKey = -1
  private readonly challenger = new Uint8Array(6)
  private challengerFrames = 0
  /** Another address the device's frames come from, and how many in a row. */
  private addressChallenger = 0
  private addressChallengerFrames = 0

  private readonly mask: number
  private readonly network: number

  constructor(
    /** The device's configured address, or null: any address of `subnet` but the host's. */
    private readonly deviceIp: Uint8Array | null,
    private readonly subnet: LinkSubnet,
    private readonly onChanged: () => void
  ) {
    this.mask = subnetMask(subnet.prefixLength)
    this.network = (subnet.hostIp & this.mask) >>> 0
    if (deviceIp !== null) this.addressKey = u32(deviceIp, 0)
  }

  /** Whether the address at b[at] can be the device's. */
  private claims(b: Uint8Array, at: number): boolean {
    if (this.deviceIp !== null) return equalAt(b, at, this.deviceIp)
    const ip = u32(b, at)
    const host = (ip & ~this.mask) >>> 0
    return ((ip & this.mask) >>> 0) === this.network && ip !== this.subnet.hostIp && host !== 0 && host !== (~this.mask >>> 0)
  }

  /** Every frame the framing accepted from the device passes here. */
  observe(b: Uint8Array, frame: number, etherType: number): void {
    if (this.proves(b, frame, etherType)) this.proven(b, frame + SOURCE_MAC)
    if (this.mac === null || !equalAt(b, frame + SOURCE_MAC, this.mac)) return
    if (etherType === ETHERTYPE_IPV4) this.learnIpv4(b, frame + IPV4_SOURCE)
    else if (etherType === ETHERTYPE_ARP) this.learnIpv4(b, frame + ARP_SENDER_IP)
  }

  /** A bare IP packet (a link without MACs, such as SLIP): one from the configured address names the device. */
  observePacket(b: Uint8Array, packet: number): void {
    if (b[packet]! >> 4 === 4 && this.claims(b, packet + IPV4_SOURCE - ETHERNET_HEADER)) this.learnIpv4(b, packet + IPV4_SOURCE - ETHERNET_HEADER)
  }

  /** A new connection may be a new device. */
  forget(): void {
    if (this.mac === null) return
    this.mac = null
    this.challengerFrames = 0
    this.onChanged()
  }

  private proves(b: Uint8Array, frame: number, etherType: number): boolean {
    if (etherType === ETHERTYPE_IPV4) return this.claims(b, frame + IPV4_SOURCE)
    if (etherType !== ETHERTYPE_ARP) return false
    if (this.claims(b, frame + ARP_SENDER_IP)) return true
    // A probe (RFC 5227) asks for the device's address from 0.0.0.0.
    return isZeroAt(b, frame + ARP_SENDER_IP) && this.claims(b, frame + ARP_TARGET_IP)
  }

  private proven(b: Uint8Array, at: number): void {
    if (this.mac !== null && equalAt(b, at, this.mac)) {
      this.challengerFrames = 0
      return
    }
    if (this.mac !== null) {
      if (this.challengerFrames === 0 || !equalAt(b, at, this.challenger)) {
        this.challenger.set(b.subarray(at, at + 6))
        this.challengerFrames = 0
      }
      if (++this.challengerFrames < TAKEOVER_FRAMES) return
    }
    this.mac = b.slice(at, at + 6)
    this.ipv4 = null
    this.challengerFrames = 0
    this.onChanged()
  }

  private learnIpv4(b: Uint8Array, at: number): void {
    if (this.ipv4 !== null && equalAt(b, at, this.ipv4)) {
      this.addressChallengerFrames = 0
      return
    }
    // 0.0.0.0 is a device without an address yet (DHCP, ARP probes), not an address; an unconfigured
    // device's address is one of the link's.
    if (isZeroAt(b, at) || (this.deviceIp === null && !this.claims(b, at))) return
    // A changed address (a new lease) takes over after repeated frames from it alone: a device that
    // sends from ever other addresses must not make the switch and the log churn with every frame.
    if (this.ipv4 !== null) {
      const key = u32(b, at)
      if (this.addressChallengerFrames === 0 || key !== this.addressChallenger) {
        this.addressChallenger = key
        this.addressChallengerFrames = 0
      }
      if (++this.addressChallengerFrames < TAKEOVER_FRAMES) return
    }
    this.addressChallengerFrames = 0
    this.ipv4 = b.slice(at, at + 4)
    if (this.deviceIp === null) this.addressKey = u32(b, at)
    this.onChanged()
  }
}

function isZeroAt(b: Uint8Array, at: number): boolean {
  return (b[at]! | b[at + 1]! | b[at + 2]! | b[at + 3]!) === 0
}
