// The demo device's DHCP client (RFC 2131), as small as a firmware's: DISCOVER,
// take the first OFFER, REQUEST it, and on ACK use the address; renew at T1
// (half the lease unless the server says otherwise) by a REQUEST to the server,
// and start over when the lease runs out or a NAK comes. Every wait for an
// answer is retried with RFC 2131's backoff (4, 8, 16, 32, then 64 s). Answers
// are read with the inspector's decoder (engine/decode/dhcp.ts); any that is
// not for this client's transaction and MAC, or not whole, is counted and
// ignored: nothing a server sends makes it throw or hold more than one lease.
import { u32 } from '../../engine/decode/bytes.js'
import { DHCP_MAGIC_COOKIE, DHCP_OPTIONS_OFFSET, parseDhcp, type DhcpMessage } from '../../engine/decode/dhcp.js'
import type { Clock, Timer } from './clock.js'
import { writeIpv4 } from './ipv4Address.js'

const DISCOVER = 1
const OFFER = 2
const REQUEST = 3
const ACK = 5
const NAK = 6

const OPT_SUBNET_MASK = 1
const OPT_ROUTER = 3
const OPT_DNS = 6
const OPT_REQUESTED_IP = 50
const OPT_LEASE_TIME = 51
const OPT_MESSAGE_TYPE = 53
const OPT_SERVER_ID = 54
const OPT_PARAMETER_LIST = 55
const OPT_RENEWAL_TIME = 58
const OPT_END = 255

/** RFC 2131 §4.1: the first retransmission after 4 s, doubling up to 64 s. */
export const DHCP_FIRST_RETRY_MS = 4000
export const DHCP_LAST_RETRY_MS = 64_000
/** REQUESTs for an offer before starting over with a DISCOVER (4 + 8 + 16 + 32 s). */
const REQUEST_TRIES = 4
/** After a NAK, or a lease run out, the client starts over after this long (never in a tight loop). */
export const DHCP_RESTART_MS = 1000
/** A lease of 0xffffffff seconds does not end (RFC 2132 §9.2). */
const INFINITE = 0xffffffff
/** setTimeout's longest wait; longer ones are waited in steps. */
const LONGEST_TIMER_MS = 0x7fffffff
/** The fixed part, the cookie and the few options this client sends. */
const MESSAGE_BYTES = 300

export interface DhcpLease {
  ip: number
  serverId: number
  /** 0 when the server gave no subnet mask. */
  subnetMask: number
  /** The first router, or null. */
  router: number | null
  dns: number[]
  leaseSeconds: number
}

export type DhcpClientState = 'idle' | 'selecting' | 'requesting' | 'bound' | 'renewing'

export interface DhcpClientCounters {
  discovers: number
  requests: number
  offers: number
  acks: number
  naks: number
  /** Answers not for this client's transaction, or not whole, or not what it waits for. */
  ignored: number
  /** Waits for an answer that ran out (each is followed by a retransmission). */
  timeouts: number
}

export interface DhcpClientOptions {
  mac: Uint8Array
  clock: Clock
  /**
   * Sends a DHCP message from UDP port 68 to port 67 at `to`: 0xffffffff (broadcast,
   * from 0.0.0.0 while no lease is held) or the server (renewing, from the leased address).
   */
  send(to: number, message: Uint8Array): void
  /** A lease was taken or renewed (the address may have changed). */
  onBound(lease: DhcpLease): void
  /** The lease is gone (NAK or expiry): stop using the address. */
  onLost(): void
  /** Transaction IDs; default Math.random. */
  random?: () => number
}

export class DhcpClient {
  readonly counters: DhcpClientCounters = { discovers: 0, requests: 0, offers: 0, acks: 0, naks: 0, ignored: 0, timeouts: 0 }
  private stateNow: DhcpClientState = 'idle'
  private xid = 0
  private retryMs = DHCP_FIRST_RETRY_MS
  /** Messages sent in this phase (selecting, requesting, renewing). */
  private tries = 0
  private timer: Timer | null = null
  /** The address and server being requested (selecting → requesting) or held. */
  private offered: { ip: number; serverId: number } | null = null
  private leaseNow: DhcpLease | null = null
  private leaseEnds = Infinity
  private readonly random: () => number

  constructor(private readonly o: DhcpClientOptions) {
    this.random = o.random ?? Math.random
  }

  get state(): DhcpClientState {
    return this.stateNow
  }

  get lease(): DhcpLease | null {
    return this.leaseNow
  }

  /** Starts discovering (again, at once, when not holding a lease: the link came up). */
  start(): void {
    if (this.stateNow === 'bound' || this.stateNow === 'renewing') return
    this.discover()
  }

  stop(): void {
    this.cancel()
    this.stateNow = 'idle'
  }

  /** A UDP datagram to port 68 (its payload; valid only during the call). */
  receive(payload: Uint8Array): void {
    let m: DhcpMessage | undefined
    try {
      m = parseDhcp(payload, 0, payload.length)
    } catch {
      m = undefined
    }
    if (!m || !this.forUs(payload, m)) return this.ignore()
    if (m.messageType === OFFER && this.stateNow === 'selecting') return this.takeOffer(payload, m)
    if (m.messageType === ACK && (this.stateNow === 'requesting' || this.stateNow === 'renewing')) return this.bound(payload, m)
    if (m.messageType === NAK && (this.stateNow === 'requesting' || this.stateNow === 'renewing')) return this.nak(payload, m)
    this.ignore()
  }

  private forUs(b: Uint8Array, m: DhcpMessage): boolean {
    if (this.stateNow === 'idle' || this.stateNow === 'bound') return false
    if (m.op !== 2 || m.hardwareType !== 1 || m.hardwareLength !== 6 || m.transactionId !== this.xid) return false
    if (!m.magicCookie || m.problem !== undefined || m.messageType === undefined) return false
    for (let i = 0; i < 6; i++) if (b[28 + i] !== this.o.mac[i]) return false
    return true
  }

  private takeOffer(b: Uint8Array, m: DhcpMessage): void {
    const ip = u32(b, 16)
    const serverId = this.u32Option(b, m, OPT_SERVER_ID)
    if (!usable(ip) || serverId === null || !usable(serverId)) return this.ignore()
    this.counters.offers++
    this.offered = { ip, serverId }
    this.stateNow = 'requesting'
    this.retryMs = DHCP_FIRST_RETRY_MS
    this.tries = 0
    this.sendRequest()
  }

  private bound(b: Uint8Array, m: DhcpMessage): void {
    const ip = u32(b, 16)
    const leaseSeconds = this.u32Option(b, m, OPT_LEASE_TIME)
    const serverId = this.u32Option(b, m, OPT_SERVER_ID) ?? this.offered?.serverId ?? null
    if (ip !== this.offered?.ip || leaseSeconds === null || leaseSeconds === 0 || serverId !== this.offered.serverId) return this.ignore()
    this.counters.acks++
    const renewal = this.u32Option(b, m, OPT_RENEWAL_TIME)
    const t1 = renewal !== null && renewal < leaseSeconds ? renewal : Math.floor(leaseSeconds / 2)
    const dns = this.option(m, OPT_DNS)
    const router = this.option(m, OPT_ROUTER)
    const lease: DhcpLease = {
      ip,
      serverId,
      subnetMask: this.u32Option(b, m, OPT_SUBNET_MASK) ?? 0,
      router: router && router.length >= 4 ? u32(b, router.offset + 2) : null,
      dns: dns && dns.length % 4 === 0 ? Array.from({ length: dns.length / 4 }, (_, i) => u32(b, dns.offset + 2 + 4 * i)) : [],
      leaseSeconds
    }
    this.leaseNow = lease
    this.stateNow = 'bound'
    this.cancel()
    this.leaseEnds = leaseSeconds === INFINITE ? Infinity : this.o.clock.now() + leaseSeconds * 1000
    if (leaseSeconds !== INFINITE) this.wait(t1 * 1000, () => this.renew())
    this.o.onBound(lease)
  }

  private nak(b: Uint8Array, m: DhcpMessage): void {
    const serverId = this.u32Option(b, m, OPT_SERVER_ID)
    if (serverId !== null && serverId !== this.offered?.serverId) return this.ignore()
    this.counters.naks++
    this.restart()
  }

  /** T1: ask the server that gave the lease to extend it; retried until the lease ends. */
  private renew(): void {
    this.stateNow = 'renewing'
    this.retryMs = DHCP_FIRST_RETRY_MS
    this.tries = 0
    this.xid = this.newXid()
    this.sendRequest()
  }

  private discover(): void {
    this.cancel()
    this.stateNow = 'selecting'
    this.offered = null
    this.retryMs = DHCP_FIRST_RETRY_MS
    this.tries = 0
    this.xid = this.newXid()
    this.sendDiscover()
  }

  // The retry is armed before the message goes: an answer may come back before send() returns.
  private sendDiscover(): void {
    this.counters.discovers++
    this.retryLater(() => this.sendDiscover())
    this.o.send(0xffffffff, this.message(DISCOVER))
  }

  private sendRequest(): void {
    const offered = this.offered!
    this.counters.requests++
    this.retryLater(() => {
      // Requesting: no ACK in time means start over (RFC 2131 §3.1.5); renewing: retry until the lease ends.
      if (this.stateNow === 'requesting' && this.tries >= REQUEST_TRIES) return this.discover()
      this.sendRequest()
    })
    if (this.stateNow === 'renewing') this.o.send(offered.serverId, this.message(REQUEST, offered.ip))
    else this.o.send(0xffffffff, this.message(REQUEST, 0, offered))
  }

  /** Waits for an answer, then counts a timeout and calls `again`, each wait twice the last up to 64 s (then 64 s on); a lease that runs out first is lost. */
  private retryLater(again: () => void): void {
    const ms = Math.min(this.retryMs, this.leaseEnds - this.o.clock.now())
    this.retryMs = Math.min(this.retryMs * 2, DHCP_LAST_RETRY_MS)
    this.tries++
    this.wait(Math.max(0, ms), () => {
      if (this.o.clock.now() >= this.leaseEnds) return this.restart()
      this.counters.timeouts++
      again()
    })
  }

  /** The lease is gone: say so and discover again shortly. */
  private restart(): void {
    const had = this.leaseNow !== null
    this.leaseNow = null
    this.leaseEnds = Infinity
    this.offered = null
    this.stateNow = 'selecting'
    this.cancel()
    this.wait(DHCP_RESTART_MS, () => this.discover())
    if (had) this.o.onLost()
  }

  /** A DHCP message: `ciaddr` set when renewing; `selected` adds the requested address and server identifier. */
  private message(type: number, ciaddr = 0, selected?: { ip: number; serverId: number }): Uint8Array {
    const b = new Uint8Array(MESSAGE_BYTES)
    b[0] = 1 // BOOTREQUEST
    b[1] = 1 // Ethernet
    b[2] = 6
    writeIpv4(b, 4, this.xid)
    writeIpv4(b, 12, ciaddr)
    b.set(this.o.mac, 28)
    writeIpv4(b, DHCP_OPTIONS_OFFSET - 4, DHCP_MAGIC_COOKIE)
    let o = DHCP_OPTIONS_OFFSET
    b.set([OPT_MESSAGE_TYPE, 1, type], o)
    o += 3
    if (selected) {
      b.set([OPT_REQUESTED_IP, 4], o)
      writeIpv4(b, o + 2, selected.ip)
      b.set([OPT_SERVER_ID, 4], o + 6)
      writeIpv4(b, o + 8, selected.serverId)
      o += 12
    }
    b.set([OPT_PARAMETER_LIST, 3, OPT_SUBNET_MASK, OPT_ROUTER, OPT_DNS, OPT_END], o)
    return b
  }

  private option(m: DhcpMessage, code: number): { offset: number; length: number } | null {
    return m.options.find((option) => option.code === code) ?? null
  }

  /** An option of exactly 4 bytes (an address or seconds), or null. */
  private u32Option(b: Uint8Array, m: DhcpMessage, code: number): number | null {
    const option = this.option(m, code)
    return option && option.length === 4 ? u32(b, option.offset + 2) : null
  }

  private newXid(): number {
    return Math.floor(this.random() * 0x100000000) >>> 0
  }

  /** Calls `run` after `ms`, waiting in steps setTimeout can hold. */
  private wait(ms: number, run: () => void): void {
    this.cancel()
    const until = this.o.clock.now() + ms
    const step = (): void => {
      const left = until - this.o.clock.now()
      if (left > 0) this.timer = this.o.clock.after(Math.min(left, LONGEST_TIMER_MS), step)
      else {
        this.timer = null
        run()
      }
    }
    this.timer = this.o.clock.after(Math.min(ms, LONGEST_TIMER_MS), step)
  }

  private cancel(): void {
    this.timer?.cancel()
    this.timer = null
  }

  private ignore(): void {
    this.counters.ignored++
  }
}

/** Not 0.0.0.0, broadcast, loopback or multicast/reserved: an address a device may take. */
function usable(ip: number): boolean {
  const first = ip >>> 24
  return ip !== 0 && first !== 0 && first !== 127 && first < 224
}
