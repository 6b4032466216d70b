// The DHCP server on the device's link (RFC 2131/2132): the host end of the link hands the device
// its address, so a firmware with its DHCP client on (ESP-IDF's open_eth examples, Zephyr, a Linux
// guest's udhcpc) comes up without a static configuration. The address is the one configured
// (deviceIp) or, on a bridge with several device ports, the one a shared pool (leasePool.ts, through
// config.addressFor) gives the client's chaddr, looked up at each DISCOVER and REQUEST; when the pool
// has none left the request is ignored (counted poolFull).
//
// It answers DHCPDISCOVER with an OFFER and DHCPREQUEST (selecting, init-reboot, renewing, rebinding)
// with an ACK for the client's address or a NAK for any other; DHCPRELEASE and DHCPDECLINE
// forget the lease (no answer); DHCPINFORM gets an ACK without an address. Replies carry the message
// type, the server identifier (the host's address), lease time with T1/T2 at 50 %/87.5 % (not for
// INFORM), subnet mask, router (the host) and DNS servers when configured, in the order of the
// client's parameter request list, and echo a client identifier (RFC 6842). Where the reply goes
// follows RFC 2131 §4.1: NAK broadcast; to ciaddr when the client has one; broadcast when it sets the
// broadcast flag; otherwise unicast to yiaddr at chaddr. Relayed requests (giaddr set) are not ours.
//
// One client at a time (one device per port): a request from any MAC may get an address (the device's
// MAC changes with its firmware), but while a lease (or an offer, held OFFER_HOLD_MS) is live for one
// chaddr, a DISCOVER from another is ignored (counted otherClient) and its REQUESTs are NAKed, without
// asking the pool. The lease ends on RELEASE, DECLINE, expiry (injected clock) or forgetLease(), which
// the bridge calls when a new device connects; the pool's lease of the MAC stays. State is O(1);
// answer() allocates nothing (the pool may, when it makes a new lease) and never throws: anything it
// will not answer is counted in `counters.ignored` by reason. The message format is written here, on
// the decoder's option walk (decode/dhcp.ts): npm's `dhcp` (infusion/node-dhcp) owns its sockets, builds
// Node Buffers per message and throws on bad input, which fits neither the bridge's buffers nor the engine.
// UDP checksums of requests are not checked: a client's kernel may hand a TAP/veth a partial (offloaded) one.
import { fold, onesSum } from '../decode/bytes.js'
import { DHCP_CLIENT_PORT, DHCP_MAGIC_COOKIE, DHCP_OPTIONS_OFFSET, DHCP_SERVER_PORT, dhcpOptionsEnd, findDhcpOption } from '../decode/dhcp.js'
import { ETHERNET_HEADER } from '../ethernet.js'

export interface DhcpServerConfig {
  /** The host's address on the link: server identifier, router and the replies' source. */
  hostIp: Uint8Array
  /** The link's prefix length (1–30): the subnet mask option. */
  prefixLength: number
  /** The one address handed out; unused when addressFor is given. */
  deviceIp: Uint8Array
  /**
   * The address for the client whose MAC is at `mac[macAt, macAt + 6)` (a shared lease pool), asked at
   * each DISCOVER and REQUEST; null: none left (ignored.poolFull). Must not throw; its answer is copied.
   */
  addressFor?: (mac: Uint8Array, macAt: number) => Uint8Array | null
  /** The MAC the bridge answers with (proxy ARP): the replies' Ethernet source. */
  gatewayMac: Uint8Array
  /** Lease time in seconds (1 to 0xffffffff, which means infinite). */
  leaseSeconds: number
  /** Up to 8 resolvers for option 6; none → no DNS option. */
  dnsServers: Uint8Array[]
}

/** Milliseconds, monotonic. */
export interface DhcpClock {
  now(): number
}

export interface DhcpServerCounters {
  offers: number
  acks: number
  naks: number
  /** Leases forgotten on the lease holder's DHCPRELEASE / DHCPDECLINE. */
  releases: number
  declines: number
  ignored: {
    /** Not a well-formed DHCP client message: bad lengths, IPv4 header checksum, cookie, op, options. */
    malformed: number
    /** Well-formed but outside what this server does: non-Ethernet chaddr, option overload, other message types. */
    unsupported: number
    /** Addressed elsewhere: another server identifier, relayed, another MAC/IP, a release of another lease. */
    notForUs: number
    /** A DISCOVER while another client holds the lease or its offer. */
    otherClient: number
    /** The caller's buffer had no room for the answer. */
    noRoom: number
    /** The address pool (config.addressFor) had no address for the client. */
    poolFull: number
  }
}

export type DhcpIgnoreReason = keyof DhcpServerCounters['ignored']

export function newDhcpServerCounters(): DhcpServerCounters {
  return { offers: 0, acks: 0, naks: 0, releases: 0, declines: 0, ignored: { malformed: 0, unsupported: 0, notForUs: 0, otherClient: 0, noRoom: 0, poolFull: 0 } }
}

/** The longest answer frame: Ethernet + IPv4 + UDP + a 576-byte DHCP message. Give answer() this much room. */
export const DHCP_ANSWER_MAX = ETHERNET_HEADER + 20 + 8 + 576
/** Requests in longer frames are refused (malformed): no DHCP client message needs more than an Ethernet MTU. */
export const DHCP_REQUEST_MAX_FRAME = 1518
/** How long an OFFER reserves the address for its client. */
export const OFFER_HOLD_MS = 60_000
export const MAX_DNS_SERVERS = 8
/** An hour: long enough that renewals are rare on a slow line, short enough that a changed setting reaches the device. */
export const DEFAULT_DHCP_LEASE = 3600

const UDP = 8
const BOOTREQUEST = 1
const BOOTREPLY = 2
const MIN_DHCP_MESSAGE = 300 // RFC 1542 §3.4: some relays and clients refuse shorter BOOTP messages
const BROADCAST_FLAG = 0x8000

const DISCOVER = 1
const OFFER = 2
const REQUEST = 3
const DECLINE = 4
const ACK = 5
const NAK = 6
const RELEASE = 7
const INFORM = 8

const OPT_SUBNET_MASK = 1
const OPT_ROUTER = 3
const OPT_DNS = 6
const OPT_REQUESTED_IP = 50
const OPT_LEASE_TIME = 51
const OPT_OVERLOAD = 52
const OPT_MESSAGE_TYPE = 53
const OPT_SERVER_ID = 54
const OPT_PARAMETER_LIST = 55
const OPT_RENEWAL_TIME = 58
const OPT_REBINDING_TIME = 59
const OPT_CLIENT_ID = 61
const OPT_END = 255

const NO_LEASE = 0
const OFFERED = 1
const BOUND = 2

/**
 * Cheap check on every frame from the device: an Ethernet frame of `length` bytes at `start` carrying an
 * unfragmented IPv4/UDP datagram to port 67. Reads header bytes only, after length checks; allocates nothing.
 * answer() checks the rest.
 */
export function isDhcpRequest(buffer: Uint8Array, start: number, length: number): boolean {
  if (!(Number.isInteger(start) && Number.isInteger(length) && start >= 0 && length >= ETHERNET_HEADER + 20 + UDP && start + length <= buffer.length)) return false
  if (buffer[start + 12] !== 0x08 || buffer[start + 13] !== 0x00) return false
  const ip = start + ETHERNET_HEADER
  const versionIhl = buffer[ip]!
  const ihl = (versionIhl & 0x0f) * 4
  if (versionIhl >> 4 !== 4 || ihl < 20 || ETHERNET_HEADER + ihl + UDP > length) return false
  if (buffer[ip + 9] !== 17 || (buffer[ip + 6]! & 0x3f) !== 0 || buffer[ip + 7] !== 0) return false // UDP, not a fragment
  return buffer[ip + ihl + 2] === DHCP_SERVER_PORT >> 8 && buffer[ip + ihl + 3] === (DHCP_SERVER_PORT & 0xff)
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!
}

function equal4(a: Uint8Array, at: number, b: Uint8Array): boolean {
  return a[at] === b[0] && a[at + 1] === b[1] && a[at + 2] === b[2] && a[at + 3] === b[3]
}

function isZero4(a: Uint8Array, at: number): boolean {
  return (a[at]! | a[at + 1]! | a[at + 2]! | a[at + 3]!) === 0
}

function isBroadcast4(a: Uint8Array, at: number): boolean {
  return (a[at]! & a[at + 1]! & a[at + 2]! & a[at + 3]!) === 0xff
}

function put32(out: Uint8Array, at: number, value: number): void {
  out[at] = value >>> 24
  out[at + 1] = (value >>> 16) & 0xff
  out[at + 2] = (value >>> 8) & 0xff
  out[at + 3] = value & 0xff
}

function copy(out: Uint8Array, at: number, from: Uint8Array, start: number, n: number): void {
  for (let i = 0; i < n; i++) out[at + i] = from[start + i]!
}

/** Which of the parameters this server gives `code` is (a bit), 0 for others. */
function parameterBit(code: number): number {
  return code === OPT_SUBNET_MASK ? 1 : code === OPT_ROUTER ? 2 : code === OPT_DNS ? 4 : 0
}

function checkConfig(c: DhcpServerConfig): void {
  const fail = (what: string): never => {
    throw new RangeError(`DHCP server configuration: ${what}`)
  }
  if (c.hostIp.length !== 4 || c.deviceIp.length !== 4) fail('hostIp and deviceIp must be 4 bytes')
  if (equal4(c.hostIp, 0, c.deviceIp)) fail('deviceIp must differ from hostIp')
  if (c.gatewayMac.length !== 6 || c.gatewayMac[0]! & 1) fail('gatewayMac must be a unicast MAC of 6 bytes')
  if (!Number.isInteger(c.prefixLength) || c.prefixLength < 1 || c.prefixLength > 30) fail('prefixLength must be 1 to 30')
  if (!Number.isInteger(c.leaseSeconds) || c.leaseSeconds < 1 || c.leaseSeconds > 0xffffffff) fail('leaseSeconds must be 1 to 4294967295')
  if (c.dnsServers.length > MAX_DNS_SERVERS || c.dnsServers.some((s) => s.length !== 4)) fail(`dnsServers: at most ${MAX_DNS_SERVERS} addresses of 4 bytes`)
}

export class DhcpServer {
  readonly counters: DhcpServerCounters = newDhcpServerCounters()
  private readonly hostIp: Uint8Array
  /** The client's address: deviceIp, or the pool's answer for the chaddr of the last DISCOVER/REQUEST. */
  private readonly deviceIp: Uint8Array
  private readonly addressFor: ((mac: Uint8Array, macAt: number) => Uint8Array | null) | null
  private readonly gatewayMac: Uint8Array
  private readonly mask: number
  private readonly leaseSeconds: number
  private readonly dns: Uint8Array // the servers back to back
  private readonly leaseMac = new Uint8Array(6)
  private leaseState = NO_LEASE
  private leaseUntil = 0

  constructor(config: DhcpServerConfig, private readonly clock: DhcpClock) {
    checkConfig(config)
    this.hostIp = Uint8Array.from(config.hostIp)
    this.deviceIp = Uint8Array.from(config.deviceIp)
    this.addressFor = config.addressFor ?? null
    this.gatewayMac = Uint8Array.from(config.gatewayMac)
    this.mask = (0xffffffff << (32 - config.prefixLength)) >>> 0
    this.leaseSeconds = config.leaseSeconds
    this.dns = new Uint8Array(4 * config.dnsServers.length)
    config.dnsServers.forEach((s, i) => this.dns.set(s, 4 * i))
  }

  /** The lease (or offer) in force, for stats and tests; null when the address is free. */
  get lease(): { mac: Uint8Array; bound: boolean; expiresAt: number } | null {
    if (!this.live()) return null
    return { mac: Uint8Array.from(this.leaseMac), bound: this.leaseState === BOUND, expiresAt: this.leaseUntil }
  }

  /** Frees the address (a new device connected; its MAC may differ). */
  forgetLease(): void {
    this.leaseState = NO_LEASE
  }

  /**
   * The answer to the Ethernet frame `frame[start, start + length)` (one isDhcpRequest accepted), written
   * as a whole Ethernet frame into `out` at `at`; returns its length, 0 for no answer (then counted in
   * counters.ignored unless it was a RELEASE/DECLINE). `out` must not overlap the request and needs up to
   * DHCP_ANSWER_MAX bytes from `at`; with less, nothing is written (ignored.noRoom).
   */
  answer(frame: Uint8Array, start: number, length: number, out: Uint8Array, at: number): number {
    if (!isDhcpRequest(frame, start, length) || length > DHCP_REQUEST_MAX_FRAME) return this.ignore('malformed')
    const ip = start + ETHERNET_HEADER
    const ihl = (frame[ip]! & 0x0f) * 4
    const total = u16(frame, ip + 2)
    if (total < ihl + UDP || total > length - ETHERNET_HEADER || fold(onesSum(frame, ip, ip + ihl)) !== 0xffff) return this.ignore('malformed')
    const udp = ip + ihl
    const udpLength = u16(frame, udp + 4)
    if (udpLength < UDP + DHCP_OPTIONS_OFFSET || udpLength > total - ihl) return this.ignore('malformed')
    const m = udp + UDP
    const end = udp + udpLength
    const ethBroadcast = isBroadcast4(frame, start) && frame[start + 4] === 0xff && frame[start + 5] === 0xff
    let ethToGateway = true
    for (let i = 0; i < 6; i++) if (frame[start + i] !== this.gatewayMac[i]) ethToGateway = false
    if (!(ethBroadcast || ethToGateway) || !(isBroadcast4(frame, ip + 16) || equal4(frame, ip + 16, this.hostIp))) return this.ignore('notForUs')

    if (frame[m] !== BOOTREQUEST) return this.ignore('malformed')
    if (frame[m + 1] !== 1 || frame[m + 2] !== 6) return this.ignore('unsupported') // Ethernet hardware addresses only
    if (frame[m + 28]! & 1 || (isZero4(frame, m + 28) && frame[m + 32] === 0 && frame[m + 33] === 0)) return this.ignore('malformed')
    if (!isZero4(frame, m + 24)) return this.ignore('notForUs') // relayed: we serve this link only
    if (u16(frame, m + 236) !== DHCP_MAGIC_COOKIE >>> 16 || u16(frame, m + 238) !== (DHCP_MAGIC_COOKIE & 0xffff)) return this.ignore('malformed')
    const options = m + DHCP_OPTIONS_OFFSET
    const optionsEnd = dhcpOptionsEnd(frame, options, end)
    if (optionsEnd < 0) return this.ignore('malformed')
    if (findDhcpOption(frame, options, optionsEnd, OPT_OVERLOAD) >= 0) return this.ignore('unsupported')
    const typeAt = findDhcpOption(frame, options, optionsEnd, OPT_MESSAGE_TYPE)
    if (typeAt < 0 || frame[typeAt + 1] !== 1) return this.ignore('malformed')
    const serverIdAt = findDhcpOption(frame, options, optionsEnd, OPT_SERVER_ID)
    if (serverIdAt >= 0 && frame[serverIdAt + 1] !== 4) return this.ignore('malformed')
    const requestedAt = findDhcpOption(frame, options, optionsEnd, OPT_REQUESTED_IP)
    if (requestedAt >= 0 && frame[requestedAt + 1] !== 4) return this.ignore('malformed')
    if (serverIdAt >= 0 && !equal4(frame, serverIdAt + 2, this.hostIp)) {
      // The client chose another server: an offer we hold for it is free again.
      if (this.leaseState === OFFERED && this.isHolder(frame, m)) this.leaseState = NO_LEASE
      return this.ignore('notForUs')
    }
    const ciaddr = m + 12

    switch (frame[typeAt + 2]) {
      case DISCOVER:
        if (this.heldByOther(frame, m)) return this.ignore('otherClient')
        if (!this.addressOf(frame, m)) return this.ignore('poolFull')
        if (!(this.live() && this.leaseState === BOUND)) this.hold(frame, m, OFFERED, OFFER_HOLD_MS)
        return this.reply(OFFER, frame, m, options, optionsEnd, out, at)
      case REQUEST: {
        // Selecting and init-reboot name the address in option 50; renewing and rebinding in ciaddr.
        const addressAt = requestedAt >= 0 ? requestedAt + 2 : serverIdAt >= 0 ? -1 : ciaddr
        if (addressAt < 0 || isZero4(frame, addressAt)) return this.ignore('malformed')
        if (this.heldByOther(frame, m)) return this.reply(NAK, frame, m, options, optionsEnd, out, at)
        if (!this.addressOf(frame, m)) return this.ignore('poolFull')
        if (!equal4(frame, addressAt, this.deviceIp)) return this.reply(NAK, frame, m, options, optionsEnd, out, at)
        const answer = this.reply(ACK, frame, m, options, optionsEnd, out, at)
        if (answer > 0) this.hold(frame, m, BOUND, this.leaseSeconds === 0xffffffff ? Infinity : this.leaseSeconds * 1000)
        return answer
      }
      case INFORM:
        if (isZero4(frame, ciaddr)) return this.ignore('malformed')
        return this.reply(ACK, frame, m, options, optionsEnd, out, at, false)
      case RELEASE:
      case DECLINE: {
        const release = frame[typeAt + 2] === RELEASE
        const addressAt = release ? ciaddr : requestedAt + 2
        if ((!release && requestedAt < 0) || !this.live() || !this.isHolder(frame, m) || !equal4(frame, addressAt, this.deviceIp)) return this.ignore('notForUs')
        this.leaseState = NO_LEASE
        if (release) this.counters.releases++
        else this.counters.declines++
        return 0
      }
      default:
        return this.ignore('unsupported')
    }
  }

  /** Sets deviceIp to the pool's address for the chaddr of the message at `m`; false when there is none. Fixed deviceIp: true. */
  private addressOf(frame: Uint8Array, m: number): boolean {
    if (this.addressFor === null) return true
    let ip: Uint8Array | null
    try {
      ip = this.addressFor(frame, m + 28)
    } catch {
      return false
    }
    if (ip === null || ip.length !== 4 || equal4(ip, 0, this.hostIp)) return false
    copy(this.deviceIp, 0, ip, 0, 4)
    return true
  }

  private ignore(reason: DhcpIgnoreReason): 0 {
    this.counters.ignored[reason]++
    return 0
  }

  private live(): boolean {
    return this.leaseState !== NO_LEASE && this.clock.now() < this.leaseUntil
  }

  private isHolder(frame: Uint8Array, m: number): boolean {
    for (let i = 0; i < 6; i++) if (frame[m + 28 + i] !== this.leaseMac[i]) return false
    return true
  }

  private heldByOther(frame: Uint8Array, m: number): boolean {
    return this.live() && !this.isHolder(frame, m)
  }

  private hold(frame: Uint8Array, m: number, state: number, ms: number): void {
    copy(this.leaseMac, 0, frame, m + 28, 6)
    this.leaseState = state
    this.leaseUntil = this.clock.now() + ms
  }

  /** Writes the reply of `type` to the request whose DHCP message starts at `m`; INFORM's ACK has `withAddress` false. */
  private reply(type: number, req: Uint8Array, m: number, options: number, optionsEnd: number, out: Uint8Array, at: number, withAddress = true): number {
    const nak = type === NAK
    const leaseOptions = withAddress && !nak
    const clientIdAt = findDhcpOption(req, options, optionsEnd, OPT_CLIENT_ID)
    const clientIdBytes = clientIdAt >= 0 ? 2 + req[clientIdAt + 1]! : 0
    const optionBytes = 3 + 6 + (leaseOptions ? 18 : 0) + (nak ? 0 : 12 + (this.dns.length ? 2 + this.dns.length : 0)) + clientIdBytes + 1
    const dhcpLength = Math.max(MIN_DHCP_MESSAGE, DHCP_OPTIONS_OFFSET + optionBytes)
    const frameLength = ETHERNET_HEADER + 20 + UDP + dhcpLength
    if (!(Number.isInteger(at) && at >= 0 && out.length - at >= frameLength)) return this.ignore('noRoom')

    // Where it goes (RFC 2131 §4.1, giaddr 0): NAK, the broadcast flag and a client without an address to
    // everyone; else to ciaddr when the client has one, or yiaddr at chaddr.
    const ciaddr = m + 12
    const hasCiaddr = !isZero4(req, ciaddr)
    const broadcast = nak || (!hasCiaddr && ((u16(req, m + 10) & BROADCAST_FLAG) !== 0 || !withAddress))
    const ip = at + ETHERNET_HEADER
    const udp = ip + 20
    const d = udp + UDP
    for (let i = 0; i < 6; i++) {
      out[at + i] = broadcast ? 0xff : req[m + 28 + i]!
      out[at + 6 + i] = this.gatewayMac[i]!
    }
    out[at + 12] = 0x08
    out[at + 13] = 0x00

    out.fill(0, d, d + dhcpLength)
    out[d] = BOOTREPLY
    out[d + 1] = 1
    out[d + 2] = 6
    copy(out, d + 4, req, m + 4, 4) // xid
    copy(out, d + 10, req, m + 10, 2) // flags
    if (type === ACK) copy(out, d + 12, req, ciaddr, 4)
    if (leaseOptions) copy(out, d + 16, this.deviceIp, 0, 4)
    copy(out, d + 28, req, m + 28, 16) // chaddr
    put32(out, d + 236, DHCP_MAGIC_COOKIE)
    let o = d + DHCP_OPTIONS_OFFSET
    out[o++] = OPT_MESSAGE_TYPE
    out[o++] = 1
    out[o++] = type
    o = this.putAddresses(out, o, OPT_SERVER_ID, this.hostIp)
    if (leaseOptions) {
      o = this.put32Option(out, o, OPT_LEASE_TIME, this.leaseSeconds)
      o = this.put32Option(out, o, OPT_RENEWAL_TIME, Math.floor(this.leaseSeconds / 2))
      o = this.put32Option(out, o, OPT_REBINDING_TIME, Math.floor((this.leaseSeconds * 7) / 8))
    }
    if (!nak) {
      // Subnet mask, router and DNS in the order the client asked for them; those it did not ask for after.
      let done = 0
      const listAt = findDhcpOption(req, options, optionsEnd, OPT_PARAMETER_LIST)
      const listEnd = listAt < 0 ? 0 : listAt + 2 + req[listAt + 1]!
      for (let i = listAt + 2; listAt >= 0 && i < listEnd; i++) {
        o = this.putParameter(out, o, req[i]!, done)
        done |= parameterBit(req[i]!)
      }
      o = this.putParameter(out, o, OPT_SUBNET_MASK, done)
      o = this.putParameter(out, o, OPT_ROUTER, done)
      o = this.putParameter(out, o, OPT_DNS, done)
    }
    if (clientIdAt >= 0) {
      copy(out, o, req, clientIdAt, clientIdBytes)
      o += clientIdBytes
    }
    out[o] = OPT_END

    out[ip] = 0x45
    out[ip + 1] = 0
    out[ip + 2] = (20 + UDP + dhcpLength) >> 8
    out[ip + 3] = (20 + UDP + dhcpLength) & 0xff
    out.fill(0, ip + 4, ip + 8) // identification, flags, fragment offset
    out[ip + 8] = 64
    out[ip + 9] = 17
    out[ip + 10] = 0
    out[ip + 11] = 0
    copy(out, ip + 12, this.hostIp, 0, 4)
    if (broadcast) out.fill(0xff, ip + 16, ip + 20)
    else if (hasCiaddr) copy(out, ip + 16, req, ciaddr, 4)
    else copy(out, ip + 16, this.deviceIp, 0, 4)
    const ipSum = ~fold(onesSum(out, ip, ip + 20)) & 0xffff
    out[ip + 10] = ipSum >> 8
    out[ip + 11] = ipSum & 0xff

    out[udp] = DHCP_SERVER_PORT >> 8
    out[udp + 1] = DHCP_SERVER_PORT & 0xff
    out[udp + 2] = DHCP_CLIENT_PORT >> 8
    out[udp + 3] = DHCP_CLIENT_PORT & 0xff
    out[udp + 4] = (UDP + dhcpLength) >> 8
    out[udp + 5] = (UDP + dhcpLength) & 0xff
    out[udp + 6] = 0
    out[udp + 7] = 0
    const pseudo = onesSum(out, ip + 12, ip + 20, 17 + UDP + dhcpLength)
    const udpSum = ~fold(onesSum(out, udp, d + dhcpLength, pseudo)) & 0xffff
    out[udp + 6] = (udpSum || 0xffff) >> 8
    out[udp + 7] = (udpSum || 0xffff) & 0xff

    if (type === OFFER) this.counters.offers++
    else if (type === ACK) this.counters.acks++
    else this.counters.naks++
    return frameLength
  }

  /** Writes parameter `code` unless already written (its bit in `done`) or not ours to give. */
  private putParameter(out: Uint8Array, o: number, code: number, done: number): number {
    const bit = parameterBit(code)
    if (bit === 0 || done & bit) return o
    if (code === OPT_SUBNET_MASK) return this.put32Option(out, o, OPT_SUBNET_MASK, this.mask)
    if (code === OPT_ROUTER) return this.putAddresses(out, o, OPT_ROUTER, this.hostIp)
    return this.dns.length ? this.putAddresses(out, o, OPT_DNS, this.dns) : o
  }

  /** An option holding all of `addresses` (4 bytes each). */
  private putAddresses(out: Uint8Array, o: number, code: number, addresses: Uint8Array): number {
    out[o] = code
    out[o + 1] = addresses.length
    copy(out, o + 2, addresses, 0, addresses.length)
    return o + 2 + addresses.length
  }

  /** A 4-byte big-endian option (seconds, or the subnet mask). */
  private put32Option(out: Uint8Array, o: number, code: number, value: number): number {
    out[o] = code
    out[o + 1] = 4
    put32(out, o + 2, value)
    return o + 6
  }
}
