// The shared address pool of a multi-port bridge's DHCP servers: the order addresses are handed out
// in, what is skipped, a full subnet, leases kept across restarts in a file, and files it cannot
// use (kept aside, never overwritten) or cannot write (the leases still work, in memory).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { LeasePool, type LeasePoolConfig } from '../../src/engine/services/leasePool'
import { ip4, mac } from './dhcpServerFrames'

const text = (ip: Uint8Array | null): string | null => (ip === null ? null : Array.from(ip).join('.'))

function pool(overrides: Partial<LeasePoolConfig> = {}): LeasePool {
  return new LeasePool({ hostIp: ip4('192.168.100.1'), prefixLength: 24, firstIp: ip4('192.168.100.2'), file: null, ...overrides })
}

/** The address for MAC text `m`, as text. */
const addr = (p: LeasePool, m: string): string | null => text(p.addressFor(mac(m), 0))

const A = '02:00:00:00:00:0a'
const B = '02:00:00:00:00:0b'
const C = '02:00:00:00:00:0c'

describe('LeasePool: which address a MAC gets', () => {
  it('gives two MACs distinct addresses from firstIp up, and the same MAC the same one again', () => {
    const p = pool()
    expect(addr(p, A)).toBe('192.168.100.2')
    expect(addr(p, B)).toBe('192.168.100.3')
    expect(addr(p, A)).toBe('192.168.100.2')
    expect(addr(p, B)).toBe('192.168.100.3')
    expect(p.leases()).toEqual([
      { mac: A, ip: '192.168.100.2' },
      { mac: B, ip: '192.168.100.3' }
    ])
    expect(p.problem).toBeNull()
  })

  it('reads the MAC at its offset in a larger buffer (a chaddr in a frame), and hands back the same array for a known MAC', () => {
    const p = pool()
    const frame = new Uint8Array(100)
    frame.set(mac(A), 70)
    const first = p.addressFor(frame, 70)
    expect(text(first)).toBe('192.168.100.2')
    expect(p.addressFor(frame, 70)).toBe(first) // nothing new made for a repeat
    expect(addr(p, A)).toBe('192.168.100.2')
  })

  it('skips the host address, addresses in use and, wrapping, the broadcast and network addresses', () => {
    const seen: string[] = []
    const p = pool({
      hostIp: ip4('10.0.0.5'),
      prefixLength: 29, // 10.0.0.0–10.0.0.7: hosts .1–.6
      firstIp: ip4('10.0.0.4'),
      inUse: (ip) => {
        seen.push(text(ip)!)
        return ip[3] === 6
      }
    })
    expect(addr(p, A)).toBe('10.0.0.4')
    expect(addr(p, B)).toBe('10.0.0.1') // .5 the host, .6 in use, .7 broadcast, .0 network
    expect(seen).toEqual(['10.0.0.4', '10.0.0.6', '10.0.0.1'])
    expect(addr(p, C)).toBe('10.0.0.2')
    expect(addr(p, '02:00:00:00:00:0d')).toBe('10.0.0.3')
    expect(addr(p, '02:00:00:00:00:0e')).toBeNull() // .6 is still in use
    expect(p.full).toBe(1)
    expect(addr(p, A)).toBe('10.0.0.4') // the leases stand
  })

  it('keeps a MAC’s lease even when its address is in use later', () => {
    let taken = false
    const p = pool({ inUse: () => taken })
    expect(addr(p, A)).toBe('192.168.100.2')
    taken = true
    expect(addr(p, A)).toBe('192.168.100.2')
    expect(addr(p, B)).toBeNull()
  })

  it('hands out an address in use again once it is free (inUse is asked afresh)', () => {
    const busy = new Set(['192.168.100.2'])
    const p = pool({ inUse: (ip) => busy.has(text(ip)!) })
    expect(addr(p, A)).toBe('192.168.100.3')
    busy.clear()
    expect(addr(p, B)).toBe('192.168.100.2')
    expect(addr(p, C)).toBe('192.168.100.4')
  })

  it('a /30 has room for the host and one device; then it is full', () => {
    const p = pool({ hostIp: ip4('192.168.100.1'), prefixLength: 30 })
    expect(addr(p, A)).toBe('192.168.100.2')
    expect(addr(p, B)).toBeNull()
    expect(addr(p, C)).toBeNull()
    expect(p.full).toBe(2)
    expect(addr(p, A)).toBe('192.168.100.2')
  })

  it('a /31 or /32 has no room at all', () => {
    expect(addr(pool({ prefixLength: 31, firstIp: ip4('192.168.100.0') }), A)).toBeNull()
    expect(addr(pool({ prefixLength: 32, firstIp: ip4('192.168.100.1') }), A)).toBeNull()
  })

  it('fills a /16 (65 534 hosts, less the host’s own) and then answers null', () => {
    const p = pool({ hostIp: ip4('10.1.0.1'), prefixLength: 16, firstIp: ip4('10.1.255.250') })
    const m = new Uint8Array(6)
    m[0] = 2
    const start = performance.now()
    for (let i = 0; i < 65_533; i++) {
      m[3] = i >> 16
      m[4] = (i >> 8) & 0xff
      m[5] = i & 0xff
      expect(p.addressFor(m, 0)).not.toBeNull()
    }
    m[2] = 1
    expect(p.addressFor(m, 0)).toBeNull()
    expect(p.full).toBe(1)
    expect(p.leases()).toHaveLength(65_533)
    expect(performance.now() - start).toBeLessThan(5_000) // no rescan of the whole table per new lease
    const ips = new Set(p.leases().map((l) => l.ip))
    expect(ips.size).toBe(65_533)
    expect(ips.has('10.1.0.1') || ips.has('10.1.0.0') || ips.has('10.1.255.255')).toBe(false)
  })

  it('refuses bytes that are no unicast MAC, and a MAC past the buffer, without throwing or counting full', () => {
    const p = pool()
    expect(p.addressFor(mac('01:00:5e:00:00:01'), 0)).toBeNull()
    expect(p.addressFor(new Uint8Array(6), 0)).toBeNull()
    expect(p.addressFor(mac(A), 1)).toBeNull()
    expect(p.addressFor(mac(A), -1)).toBeNull()
    expect(p.addressFor(mac(A), 0.5)).toBeNull()
    expect(p.full).toBe(0)
    expect(p.leases()).toEqual([])
  })

  it('refuses a bad configuration when built', () => {
    expect(() => pool({ firstIp: ip4('10.0.0.2') })).toThrow(/subnet/)
    expect(() => pool({ prefixLength: 0 })).toThrow(/prefixLength/)
    expect(() => pool({ hostIp: new Uint8Array(3) })).toThrow(/4 bytes/)
  })
})

describe('LeasePool: the lease file', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tunscope-leases-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  const asides = (): string[] => readdirSync(dir).filter((f) => f.includes('.bad-'))

  it('keeps each MAC’s address across a restart; a new MAC then gets a free one', () => {
    const file = join(dir, 'sub', 'leases.json') // the folder is made on the first write
    const before = pool({ file })
    expect(addr(before, A)).toBe('192.168.100.2')
    expect(addr(before, B)).toBe('192.168.100.3')
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      version: 1,
      leases: [
        { mac: A, ip: '192.168.100.2' },
        { mac: B, ip: '192.168.100.3' }
      ]
    })
    expect(readdirSync(join(dir, 'sub'))).toEqual(['leases.json']) // no .tmp left behind

    const after = pool({ file })
    expect(after.problem).toBeNull()
    expect(after.skipped).toBe(0)
    expect(after.leases()).toEqual(before.leases())
    expect(addr(after, B)).toBe('192.168.100.3')
    expect(addr(after, C)).toBe('192.168.100.4')
    expect(addr(after, A)).toBe('192.168.100.2')
    expect(pool({ file }).leases()).toHaveLength(3)
  })

  it('does not write for a repeat', () => {
    const file = join(dir, 'leases.json')
    const p = pool({ file })
    addr(p, A)
    writeFileSync(file, '{"version":1,"leases":[]}')
    addr(p, A)
    expect(readFileSync(file, 'utf8')).toBe('{"version":1,"leases":[]}')
  })

  it('loads a lease that is not first in line, and does not hand its address to another MAC', () => {
    const file = join(dir, 'leases.json')
    writeFileSync(file, JSON.stringify({ version: 1, leases: [{ mac: '02:00:00:00:00:0B', ip: '192.168.100.2' }, { mac: C, ip: '192.168.100.4' }] }))
    const p = pool({ file })
    expect(addr(p, A)).toBe('192.168.100.3')
    expect(addr(p, '02:00:00:00:00:99')).toBe('192.168.100.5')
    expect(addr(p, B)).toBe('192.168.100.2') // upper-case in the file, the same MAC
  })

  const unreadable: [string, string][] = [
    ['not JSON', '{"version": 1, "leases": ['],
    ['empty', ''],
    ['JSON of another shape', '[{"mac":"02:00:00:00:00:0a","ip":"192.168.100.2"}]'],
    ['another version', '{"version": 2, "leases": []}'],
    ['leases not a list', '{"version": 1, "leases": {"02:00:00:00:00:0a": "192.168.100.2"}}'],
    ['null', 'null'],
    ['bytes that are not UTF-8', '\u00ff\u00fe\u0000garbage']
  ]
  for (const [name, content] of unreadable) {
    it(`keeps a file that is ${name} aside with its bytes, and starts afresh`, () => {
      const file = join(dir, 'leases.json')
      const bytes = Buffer.from(content, 'latin1')
      writeFileSync(file, bytes)
      const now = new Date('2025-03-04T05:06:07.089Z')
      const p = new LeasePool({ hostIp: ip4('192.168.100.1'), prefixLength: 24, firstIp: ip4('192.168.100.2'), file }, () => now)
      const aside = join(dir, 'leases.json.bad-2025-03-04T05-06-07-089Z')
      expect(asides()).toEqual(['leases.json.bad-2025-03-04T05-06-07-089Z'])
      expect(readFileSync(aside)).toEqual(bytes)
      expect(p.problem).toContain(aside)
      expect(p.problem).toMatch(/^The lease file [^\n]*\.$/)
      expect(p.problem!.split('. ')).toHaveLength(1)
      expect(addr(p, A)).toBe('192.168.100.2')
      expect(readFileSync(aside)).toEqual(bytes) // the new table went to the file, not over the kept one
      expect(JSON.parse(readFileSync(file, 'utf8')).leases).toEqual([{ mac: A, ip: '192.168.100.2' }])
    })
  }

  it('skips hostile entries and counts them, keeping the good ones, without throwing', () => {
    const file = join(dir, 'leases.json')
    const flood = Array.from({ length: 100_000 }, (_, i) => ({ mac: `06:00:00:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`, ip: `192.168.${100 + ((i >> 8) & 1)}.${i & 0xff}` }))
    const hostile: unknown[] = [
      { mac: A, ip: '192.168.100.20' },
      { mac: 'zz:00:00:00:00:01', ip: '192.168.100.21' }, // bad MAC
      { mac: '01:00:5e:00:00:01', ip: '192.168.100.22' }, // multicast
      { mac: '00:00:00:00:00:00', ip: '192.168.100.22' },
      { mac: B, ip: '10.0.0.2' }, // outside the subnet
      { mac: C, ip: '192.168.100.20' }, // an address listed before
      { mac: A, ip: '192.168.100.23' }, // a MAC listed before
      { mac: B, ip: '192.168.100.1' }, // the host's own
      { mac: B, ip: '192.168.100.255' }, // broadcast
      { mac: B, ip: '192.168.100.0' }, // network
      { mac: B, ip: '192.168.100.024' },
      { mac: B, ip: '192.168.100.256' },
      { mac: B, ip: 3232261122 },
      { mac: B },
      { ip: '192.168.100.30' },
      null,
      'x',
      [A, '192.168.100.30'],
      { mac: { toString: 1 }, ip: '192.168.100.30', __proto__: { polluted: true } },
      ...flood
    ]
    writeFileSync(file, JSON.stringify({ version: 1, leases: hostile }))
    const p = pool({ file })
    // Of the flood, 192.168.100.2–254 are new addresses (one MAC each); the rest clash or lie outside.
    const kept = 1 + 253 - 1 // A, and the flood's .2–.254 but .20 taken by A
    expect(p.leases()).toHaveLength(kept)
    expect(p.skipped).toBe(hostile.length - kept)
    expect(p.problem).toMatch(new RegExp(`^The lease file [^\\n]* had ${hostile.length - kept} entries that could not be used \\(.*\\), which were skipped\\.$`))
    expect(addr(p, A)).toBe('192.168.100.20')
    expect(addr(p, B)).toBeNull() // a /24 holds at most 253 leases besides the host
    expect(asides()).toEqual([])
  })

  it('works in memory when the file cannot be written (a file where its folder should be), and says so', () => {
    writeFileSync(join(dir, 'afile'), 'not a folder')
    const file = join(dir, 'afile', 'leases.json')
    const p = pool({ file })
    expect(p.problem).toBeNull() // no file to read is a first run
    expect(addr(p, A)).toBe('192.168.100.2')
    expect(p.problem).toMatch(/^Could not remember the DHCP leases in .*afile\/leases\.json \(.*\); they apply until you quit\.$/)
    expect(addr(p, B)).toBe('192.168.100.3')
    expect(addr(p, A)).toBe('192.168.100.2')
    expect(readFileSync(join(dir, 'afile'), 'utf8')).toBe('not a folder')
  })

  it('leaves a file it cannot move aside as it is, and writes nothing over it', () => {
    // Root bypasses permissions: make the rename fail by a name of 249 characters, which `.bad-<time>` takes past NAME_MAX (255).
    const file = join(dir, 'x'.repeat(249))
    writeFileSync(file, 'not JSON')
    const p = pool({ file })
    expect(p.problem).toMatch(/could not be kept aside .*; it is left as it is, and new leases are not remembered until you quit\.$/)
    expect(addr(p, A)).toBe('192.168.100.2')
    expect(readFileSync(file, 'utf8')).toBe('not JSON')
  })
})
