// The addresses the DHCP servers of a multi-port bridge hand out, one pool shared by all ports: each
// new MAC gets the next free address of the subnet from `firstIp` (the user's --device-ip) upward,
// wrapping to the first host address; a MAC keeps its address for good, across restarts, through a
// JSON file in the settings folder ({ "version": 1, "leases": [{ "mac": "02:00:00:00:00:02", "ip":
// "192.168.100.2" }] }). Skipped: the network and broadcast addresses, the host's own, addresses
// leased to other MACs and those `inUse` says static devices were seen using. Leases are never given
// back, so the table holds at most the subnet's host count; when no address is left, addressFor()
// answers null and counts `full`.
//
// addressFor() is called per DHCP message: for a MAC that has its lease it allocates nothing (two
// small-integer Map lookups). A new lease is written through at once (`<file>.tmp`, then renamed over
// the file). Nothing here throws into the data path: a write that fails keeps the lease in memory and
// says why in `problem`. As with the settings (service/settingsFile.ts), a file that cannot be read as
// a lease table is never overwritten: it is renamed aside first (`<file>.bad-<time>`) and `problem`
// says where it went; entries that cannot be used (malformed, outside the subnet, a MAC or address
// seen before) are skipped and counted in `skipped`.
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

import { formatMacBytes, subnetMask } from '../addresses.js'
import { u32 } from '../decode/bytes.js'
import { moveAside } from '../fileAside.js'

export interface LeasePoolConfig {
  /** The host's address on the link: never handed out; with the prefix length, the subnet. */
  hostIp: Uint8Array
  /** 1–32; a /31 or /32 has no address to hand out (addressFor answers null). */
  prefixLength: number
  /** Where assignment starts (the user's --device-ip); inside the subnet. */
  firstIp: Uint8Array
  /** The lease table's file; null keeps the leases in memory only. */
  file: string | null
  /** True for an address that must not be leased (a static device was seen using it). Its argument is only valid during the call. */
  inUse?: (ip: Uint8Array) => boolean
}

export interface LeaseEntry {
  mac: string
  ip: string
}

export const LEASE_FILE_VERSION = 1
/** A lease file larger than this is not one Tunscope wrote (65 534 leases take about 4 MB): it is kept aside. */
export const MAX_LEASE_FILE_BYTES = 16 * 1024 * 1024

interface Lease {
  hi: number
  lo: number
  offset: number
  ip: Uint8Array
}

const MAC_TEXT = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/
const IP_PART = /^(0|[1-9]\d{0,2})$/

function toBytes(value: number, out = new Uint8Array(4)): Uint8Array {
  out[0] = value >>> 24
  out[1] = (value >>> 16) & 0xff
  out[2] = (value >>> 8) & 0xff
  out[3] = value & 0xff
  return out
}

/** 192.168.100.2 as a number, or -1: four decimal parts of 0–255 without leading zeros. */
function parseIp(text: unknown): number {
  if (typeof text !== 'string' || text.length > 15) return -1
  const parts = text.split('.')
  if (parts.length !== 4) return -1
  let value = 0
  for (const part of parts) {
    const n = IP_PART.test(part) ? Number(part) : 256
    if (n > 255) return -1
    value = value * 256 + n
  }
  return value
}

export class LeasePool {
  /** Entries of the file that could not be used: malformed, outside the subnet, or a MAC or address already listed. */
  readonly skipped: number = 0
  /** How many times addressFor() found no address left for a new MAC. */
  full = 0
  /** One sentence when the file could not be read or written (null while all is well). */
  problem: string | null = null

  private readonly file: string | null
  private readonly inUse: ((ip: Uint8Array) => boolean) | null
  private readonly network: number
  private readonly prefixLength: number
  /** Addresses in the subnet, network and broadcast included (0 for a /31 or /32: nothing to hand out). */
  private readonly size: number
  private readonly hostOffset: number
  private readonly firstOffset: number
  /** MAC → lease, keyed by its two 24-bit halves (small integers: lookups allocate nothing). */
  private readonly byMac = new Map<number, Map<number, Lease>>()
  private readonly byOffset = new Map<number, Lease>()
  /** Scan positions from firstIp known taken for good (leased, or not a host address): leases are never given back. */
  private taken = 0
  /** False when an unreadable file could not be moved aside: writing would destroy it. */
  private writable = true
  private writeFailed = false
  private readonly scratch = new Uint8Array(4)

  constructor(config: LeasePoolConfig, now: () => Date = () => new Date()) {
    const { hostIp, prefixLength, firstIp } = config
    if (hostIp.length !== 4 || firstIp.length !== 4) throw new RangeError('Lease pool: hostIp and firstIp must be 4 bytes')
    if (!Number.isInteger(prefixLength) || prefixLength < 1 || prefixLength > 32) throw new RangeError('Lease pool: prefixLength must be 1 to 32')
    const mask = subnetMask(prefixLength)
    const host = u32(hostIp, 0)
    const first = u32(firstIp, 0)
    if (((host ^ first) & mask) >>> 0 !== 0) throw new RangeError('Lease pool: firstIp must be in the subnet of hostIp')
    this.network = (host & mask) >>> 0
    this.prefixLength = prefixLength
    this.size = prefixLength > 30 ? 0 : 2 ** (32 - prefixLength)
    this.hostOffset = host - this.network
    this.firstOffset = first - this.network
    this.file = config.file
    this.inUse = config.inUse ?? null
    if (this.file !== null) this.skipped = this.load(this.file, now())
  }

  /**
   * The address of the MAC at `mac[macAt, macAt + 6)`: its lease, or a new one (written to the file).
   * null when the subnet has no address left (counted in `full`), or for bytes that are no unicast MAC.
   * The array returned belongs to the pool: copy it, do not change it. Never throws.
   */
  addressFor(mac: Uint8Array, macAt: number): Uint8Array | null {
    if (!(Number.isInteger(macAt) && macAt >= 0 && macAt + 6 <= mac.length) || mac[macAt]! & 1) return null
    const hi = (mac[macAt]! << 16) | (mac[macAt + 1]! << 8) | mac[macAt + 2]!
    const lo = (mac[macAt + 3]! << 16) | (mac[macAt + 4]! << 8) | mac[macAt + 5]!
    if ((hi | lo) === 0) return null
    const known = this.byMac.get(hi)?.get(lo)
    if (known !== undefined) return known.ip
    const offset = this.freeOffset()
    if (offset < 0) {
      this.full++
      return null
    }
    const lease = this.add(hi, lo, offset)
    this.save()
    return lease.ip
  }

  /** The leases, in address order, for display. */
  /** How many MACs hold a lease. */
  get count(): number {
    return this.byOffset.size
  }

  leases(): LeaseEntry[] {
    return [...this.byOffset.values()].sort((a, b) => a.offset - b.offset).map((l) => this.entryOf(l))
  }

  /** The next free offset in scan order from firstIp (wrapping), or -1. */
  private freeOffset(): number {
    for (let i = this.taken; i < this.size; i++) {
      const sum = this.firstOffset + i
      const offset = sum >= this.size ? sum - this.size : sum
      if (offset === 0 || offset === this.size - 1 || offset === this.hostOffset || this.byOffset.has(offset)) {
        if (i === this.taken) this.taken++
        continue
      }
      if (this.isInUse(offset)) continue
      return offset
    }
    return -1
  }

  private isInUse(offset: number): boolean {
    if (this.inUse === null) return false
    try {
      return this.inUse(toBytes((this.network + offset) >>> 0, this.scratch)) === true
    } catch {
      return true // a failing check is no licence to hand the address out
    }
  }

  private add(hi: number, lo: number, offset: number): Lease {
    const lease: Lease = { hi, lo, offset, ip: toBytes((this.network + offset) >>> 0) }
    let inner = this.byMac.get(hi)
    if (inner === undefined) this.byMac.set(hi, (inner = new Map()))
    inner.set(lo, lease)
    this.byOffset.set(offset, lease)
    return lease
  }

  private entryOf(l: Lease): LeaseEntry {
    const mac = Uint8Array.of(l.hi >> 16, (l.hi >> 8) & 0xff, l.hi & 0xff, l.lo >> 16, (l.lo >> 8) & 0xff, l.lo & 0xff)
    return { mac: formatMacBytes(mac), ip: l.ip.join('.') }
  }

  /** Reads the table; returns how many entries were skipped. */
  private load(file: string, now: Date): number {
    let text: string
    try {
      if (statSync(file).size > MAX_LEASE_FILE_BYTES) return this.keepAside(file, now, `is larger than ${MAX_LEASE_FILE_BYTES} bytes`)
      text = readFileSync(file, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      // No file yet (ENOTDIR: a file where a folder of its path should be; writing says so).
      if (code === 'ENOENT' || code === 'ENOTDIR') return 0
      return this.keepAside(file, now, `could not be read (${(error as Error).message})`)
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      return this.keepAside(file, now, `is not JSON (${(error as Error).message})`)
    }
    const table = value as { version?: unknown; leases?: unknown } | null
    if (typeof table !== 'object' || table === null || Array.isArray(table) || table.version !== LEASE_FILE_VERSION || !Array.isArray(table.leases)) {
      return this.keepAside(file, now, `is not a lease table of version ${LEASE_FILE_VERSION}`)
    }
    let skipped = 0
    for (const entry of table.leases as unknown[]) {
      if (!this.loadEntry(entry)) skipped++
    }
    if (skipped > 0) {
      this.problem = `The lease file ${file} had ${skipped} ${skipped === 1 ? 'entry' : 'entries'} that could not be used (malformed, outside ${this.subnetText()}, or a MAC or address listed before), which ${skipped === 1 ? 'was' : 'were'} skipped.`
    }
    return skipped
  }

  private loadEntry(entry: unknown): boolean {
    if (typeof entry !== 'object' || entry === null) return false
    const { mac, ip } = entry as { mac?: unknown; ip?: unknown }
    if (typeof mac !== 'string' || !MAC_TEXT.test(mac)) return false
    const b = mac.split(':').map((h) => parseInt(h, 16))
    const hi = (b[0]! << 16) | (b[1]! << 8) | b[2]!
    const lo = (b[3]! << 16) | (b[4]! << 8) | b[5]!
    const address = parseIp(ip)
    const offset = address - this.network
    if (b[0]! & 1 || (hi | lo) === 0 || address < 0 || offset <= 0 || offset >= this.size - 1 || offset === this.hostOffset) return false
    if (this.byOffset.has(offset) || this.byMac.get(hi)?.has(lo)) return false
    this.add(hi, lo, offset)
    return true
  }

  /** Renames an unreadable file to `<file>.bad-<time>` (as the settings file is); returns 0 entries skipped. */
  private keepAside(file: string, now: Date, what: string): 0 {
    const moved = moveAside(file, now)
    if ('failed' in moved) {
      this.writable = false
      this.problem = `The lease file ${file} ${what} and could not be kept aside (${moved.failed}); it is left as it is, and new leases are not remembered until you quit.`
      return 0
    }
    this.problem = `The lease file ${file} ${what}; it is kept as ${moved.aside}, and addresses are handed out afresh.`
    return 0
  }


  /** Writes the whole table: `<file>.tmp`, then renamed over the file. Never throws. */
  private save(): void {
    const file = this.file
    if (file === null || !this.writable) return
    const tmp = `${file}.tmp`
    try {
      mkdirSync(dirname(file), { recursive: true })
      const lines = this.leases().map((l) => `    ${JSON.stringify(l)}`)
      writeFileSync(tmp, `{\n  "version": ${LEASE_FILE_VERSION},\n  "leases": [\n${lines.join(',\n')}\n  ]\n}\n`)
      renameSync(tmp, file)
      if (this.writeFailed) this.problem = null
      this.writeFailed = false
    } catch (error) {
      try {
        unlinkSync(tmp)
      } catch {
        // there was no temporary file
      }
      this.writeFailed = true
      this.problem = `Could not remember the DHCP leases in ${file} (${(error as Error).message}); they apply until you quit.`
    }
  }

  private subnetText(): string {
    return `${toBytes(this.network).join('.')}/${this.prefixLength}`
  }
}
