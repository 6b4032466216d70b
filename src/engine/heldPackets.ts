// Packets from the host for an address no device has shown yet, held while the bridge asks the
// devices for it (as a kernel holds packets while it resolves a neighbour): a quiet device's first
// ping or SYN is delivered once its ARP reply names it, instead of being lost to a retransmission a
// second later. Bounded in packets and bytes; what does not fit, and what waits longer than
// HOLD_MS, is dropped and counted (noDevice). Only this slow path copies: the packets are rare.
import type { Counters } from './counters.js'
import { u32 } from './decode/bytes.js'
import type { DevicePort } from './devicePort.js'
import type { DeviceSwitch } from './deviceSwitch.js'

const HOLD_PACKETS = 16
const HOLD_BYTES = 64 * 1024
/** A little longer than a few ARP probes take to be answered. */
const HOLD_MS = 3000
/** While packets are held, the devices are asked again this often (and the expired ones dropped). */
const ASK_AGAIN_MS = 1000
const IPV4_DESTINATION = 16

interface Held {
  packet: Uint8Array
  key: number
  since: number
}

export class HeldPackets {
  private readonly held: Held[] = []
  private bytes = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly deviceSwitch: DeviceSwitch,
    /** The host side's counters: where what is given up on is counted. */
    private readonly counters: Counters,
    /** Asks the devices again for the address a held packet waits for (once a second while it waits). */
    private readonly askAgain: (packet: Uint8Array, time: number) => void
  ) {}

  /** Holds a copy of the IPv4 packet b[ip, ip + length), making room by dropping the oldest. */
  hold(b: Uint8Array, ip: number, length: number, time: number): void {
    if (length > HOLD_BYTES) {
      this.counters.drops.noDevice++
      return
    }
    while (this.held.length === HOLD_PACKETS || this.bytes + length > HOLD_BYTES) this.dropOldest()
    this.held.push({ packet: b.slice(ip, ip + length), key: u32(b, ip + IPV4_DESTINATION), since: time })
    this.bytes += length
    this.timer ??= setTimeout(() => this.release(performance.now()), ASK_AGAIN_MS).unref()
  }

  /** Sends what a device has now shown the address of, and drops what has waited too long. */
  release(time: number): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.held.length === 0) return
    const still: Held[] = []
    let sent: DevicePort | null = null
    for (const h of this.held) {
      const port = this.deviceSwitch.portFor(h.key)
      if (port !== null) (sent = port).sendPacket(h.packet, 0, h.packet.length, time)
      else if (time - h.since >= HOLD_MS) this.counters.drops.noDevice++
      else still.push(h)
    }
    this.held.length = 0
    this.held.push(...still)
    this.bytes = still.reduce((sum, h) => sum + h.packet.length, 0)
    sent?.options.capture?.publish()
    // An answer may have been lost, or a probe held back by its rate: ask again while packets wait.
    for (const h of still) this.askAgain(h.packet, time)
    if (still.length > 0) this.timer = setTimeout(() => this.release(performance.now()), ASK_AGAIN_MS).unref()
  }

  /** Forgets everything held (the bridge stops). */
  clear(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.held.length = 0
    this.bytes = 0
  }

  private dropOldest(): void {
    const oldest = this.held.shift()!
    this.bytes -= oldest.packet.length
    this.counters.drops.noDevice++
  }
}
