/**
 * Exercises the namespace helpers and the UART device fixture end to end: the
 * test process plays the host (the bridge's place) on the fixture's unix socket,
 * the kernel of a device namespace plays the firmware.
 */
import { connect, type Socket } from 'node:net'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  canUseNetns,
  createNamespace,
  destroyAll,
  requireNetns,
  skipNetns,
  startUartDevice,
  waitForFile,
  type Netns,
  type UartDevice
} from './netns'

// ------------------------------------------------------------------ frames

const DEVICE_MAC = Buffer.from([2, 0, 0, 0, 0, 2])
const HOST_MAC = Buffer.from([2, 0, 0, 0, 0, 1])
const BROADCAST_MAC = Buffer.alloc(6, 0xff)
const DEVICE_IP = Buffer.from([192, 168, 100, 2])
const HOST_IP = Buffer.from([192, 168, 100, 1])
const MAX_FRAME = 1500

function inetChecksum(b: Buffer): number {
  let sum = 0
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i)
  if (b.length % 2) sum += b[b.length - 1]! << 8
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return ~sum & 0xffff
}

function ethernet(dst: Buffer, src: Buffer, type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(14)
  dst.copy(h, 0)
  src.copy(h, 6)
  h.writeUInt16BE(type, 12)
  return Buffer.concat([h, payload])
}

function arpReply(): Buffer {
  const a = Buffer.alloc(28)
  a.writeUInt16BE(1, 0) // Ethernet
  a.writeUInt16BE(0x0800, 2) // IPv4
  a[4] = 6
  a[5] = 4
  a.writeUInt16BE(2, 6) // reply
  HOST_MAC.copy(a, 8)
  HOST_IP.copy(a, 14)
  DEVICE_MAC.copy(a, 18)
  DEVICE_IP.copy(a, 24)
  return ethernet(DEVICE_MAC, HOST_MAC, 0x0806, a)
}

let ipId = 1
function ipv4(src: Buffer, dst: Buffer, proto: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(20)
  h[0] = 0x45
  h.writeUInt16BE(20 + payload.length, 2)
  h.writeUInt16BE(ipId++ & 0xffff, 4)
  h.writeUInt16BE(0x4000, 6) // DF
  h[8] = 64
  h[9] = proto
  src.copy(h, 12)
  dst.copy(h, 16)
  h.writeUInt16BE(inetChecksum(h), 10)
  return Buffer.concat([h, payload])
}

function echoRequest(id: number, seq: number, data = Buffer.from(`tunscope ${id}/${seq} `.padEnd(48, '.'))): Buffer {
  const icmp = Buffer.alloc(8 + data.length)
  icmp[0] = 8
  icmp.writeUInt16BE(id, 4)
  icmp.writeUInt16BE(seq, 6)
  data.copy(icmp, 8)
  icmp.writeUInt16BE(inetChecksum(icmp), 2)
  return ethernet(DEVICE_MAC, HOST_MAC, 0x0800, ipv4(HOST_IP, DEVICE_IP, 1, icmp))
}

function record(frame: Buffer): Buffer {
  const p = Buffer.alloc(2)
  p.writeUInt16BE(frame.length)
  return Buffer.concat([p, frame])
}

const etherType = (f: Buffer): number => f.readUInt16BE(12)
const isArpRequestForHost = (f: Buffer): boolean =>
  f.length >= 42 && etherType(f) === 0x0806 && f.readUInt16BE(20) === 1 && f.subarray(38, 42).equals(HOST_IP)

function isEchoReply(f: Buffer, id: number, seq: number): boolean {
  if (f.length < 14 + 20 + 8 || etherType(f) !== 0x0800) return false
  const ihl = (f[14]! & 0x0f) * 4
  const icmp = f.subarray(14 + ihl)
  return f[14 + 9] === 1 && icmp[0] === 0 && icmp.readUInt16BE(4) === id && icmp.readUInt16BE(6) === seq
}

const isBroadcastPingFromDevice = (f: Buffer): boolean =>
  f.length >= 42 &&
  etherType(f) === 0x0800 &&
  f.subarray(0, 6).equals(BROADCAST_MAC) &&
  f.subarray(6, 12).equals(DEVICE_MAC) &&
  f[14 + 9] === 1 &&
  f[34] === 8

/** Strictly parse records from `buf`; returns the frames and where parsing stopped (and why). */
function parseRecords(buf: Buffer, from = 0): { frames: Buffer[]; end: number; error?: string } {
  const frames: Buffer[] = []
  let pos = from
  while (buf.length - pos >= 2) {
    const n = buf.readUInt16BE(pos)
    if (n === 0 || n > MAX_FRAME) return { frames, end: pos, error: `bad length ${n} at offset ${pos}` }
    if (n < 14) return { frames, end: pos, error: `runt length ${n} at offset ${pos}` }
    if (buf.length - pos < 2 + n) break
    frames.push(buf.subarray(pos + 2, pos + 2 + n))
    pos += 2 + n
  }
  return { frames, end: pos }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const sleepUntil = (t: number): Promise<void> => sleep(Math.max(0, t - Date.now()))

// ------------------------------------------------------------------ the "host" end of the UART socket

class UartHost {
  private chunks: Buffer[] = []
  private rawCache: Buffer | undefined
  readonly frames: Buffer[] = []
  parseError: string | undefined
  private parsePos = 0
  private waiters = new Set<() => void>()
  /** Answer the device's ARP requests for 192.168.100.1 (once frames parse cleanly). */
  autoArp = false

  private constructor(private readonly sock: Socket) {
    sock.on('data', (b: Buffer) => this.onData(b))
    sock.on('error', () => {})
  }

  static open(path: string): Promise<UartHost> {
    return new Promise((resolve, reject) => {
      const s = connect(path)
      s.once('connect', () => resolve(new UartHost(s)))
      s.once('error', reject)
    })
  }

  get raw(): Buffer {
    this.rawCache ??= Buffer.concat(this.chunks)
    return this.rawCache
  }

  private onData(b: Buffer): void {
    this.chunks.push(b)
    this.rawCache = undefined
    if (this.parseError === undefined) {
      const r = parseRecords(this.raw, this.parsePos)
      this.parsePos = r.end
      this.parseError = r.error
      for (const f of r.frames) {
        this.frames.push(Buffer.from(f))
        if (this.autoArp && isArpRequestForHost(f)) this.sendFrame(arpReply())
      }
    }
    for (const w of [...this.waiters]) w()
  }

  send(bytes: Buffer): void {
    this.sock.write(bytes)
  }

  sendFrame(frame: Buffer): void {
    this.send(record(frame))
  }

  /** Resolve with the first frame (index >= since) matching `pred`. */
  waitFrame(pred: (f: Buffer) => boolean, timeoutMs: number, what: string, since = 0): Promise<Buffer> {
    return this.waitUntil(() => this.frames.slice(since).find(pred), timeoutMs, what)
  }

  waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const v = probe()
        if (v !== undefined) finish(() => resolve(v))
      }
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.frames.length} frames, parse error: ${this.parseError ?? 'none'})`))),
        timeoutMs
      )
      const finish = (f: () => void): void => {
        clearTimeout(timer)
        this.waiters.delete(check)
        f()
      }
      this.waiters.add(check)
      check()
    })
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.sock.destroyed) return resolve()
      this.sock.once('close', () => resolve())
      this.sock.end()
      setTimeout(() => this.sock.destroy(), 500).unref()
    })
  }
}

// ------------------------------------------------------------------ tests

describe('canUseNetns', () => {
  it('reports ok or a reason, consistently', () => {
    const c = canUseNetns()
    if (c.ok) expect(skipNetns).toBe(false)
    else expect(c.reason).toMatch(/\S/)
    expect(canUseNetns()).toBe(c) // cached
  })
})

describe.skipIf(skipNetns)('uart_device fixture in a device namespace', () => {
  let dev: Netns
  let device: UartDevice
  let dir: string
  let sockPath: string
  const hosts: UartHost[] = []
  let mainHost: UartHost | undefined // the current client of `device`
  const openHost = async (path = sockPath): Promise<UartHost> => {
    const h = await UartHost.open(path)
    hosts.push(h)
    if (path === sockPath) mainHost = h
    return h
  }
  const closeMainHost = async (): Promise<void> => {
    const off = device.stderr.length
    await mainHost?.close()
    mainHost = undefined
    await device.waitForStderr(/client disconnected/, 5_000, off)
  }
  const ping = (args: string[]) => dev.exec('ping', args, { timeoutMs: 15_000 })

  beforeAll(async () => {
    requireNetns()
    dir = await mkdtemp(join(tmpdir(), 'tunscope-netns-'))
    sockPath = join(dir, 'uart.sock')
    dev = await createNamespace('tsdev')
    device = await startUartDevice(dev, sockPath)
  })

  afterAll(async () => {
    await Promise.allSettled(hosts.map((h) => h.close()))
    try {
      await destroyAll()
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true })
    }
  })

  it('creates the TAP with the device address, MAC and MTU 1486, IPv6 off, no static neighbours', async () => {
    const link = await dev.exec('ip', ['-o', 'link', 'show', 'dev', 'tap0'], { check: true })
    expect(link.stdout).toMatch(/mtu 1486/)
    expect(link.stdout).toMatch(/link\/ether 02:00:00:00:00:02/)
    expect(link.stdout).toMatch(/[<,]UP[,>]/)
    const addr = await dev.exec('ip', ['-o', 'addr', 'show', 'dev', 'tap0'], { check: true })
    expect(addr.stdout).toMatch(/inet 192\.168\.100\.2\/24/)
    expect(addr.stdout).not.toMatch(/inet6/)
    const neigh = await dev.exec('ip', ['neigh', 'show', 'dev', 'tap0'], { check: true })
    expect(neigh.stdout).not.toMatch(/PERMANENT/)
    expect((await stat(sockPath)).isSocket()).toBe(true)
  })

  it('drops device frames while no client is connected, and does not replay them later', async () => {
    const before = await device.counters()
    expect(before.clients_accepted).toBe(0)
    // broadcast pings need no ARP: exactly three frames, then the kernel is quiet
    await ping(['-b', '-c', '3', '-i', '0.2', '-W', '1', '192.168.100.255'])
    const after = await device.counters()
    expect(after.dropped_no_client - before.dropped_no_client).toBeGreaterThanOrEqual(3)
    expect(after.records_to_host).toBe(0)

    const host = await openHost()
    await device.waitForStderr(/client connected \(#1\)/)
    await sleep(400)
    expect(host.raw.length).toBe(0)
    await closeMainHost()
  })

  it("delivers the kernel's ARP requests as records, and the kernel answers an echo request once ARP is answered", async () => {
    const host = await openHost()
    await device.waitForStderr(/client connected \(#2\)/)
    // Send nothing during the device's 1 s startup window.
    const pinging = ping(['-c', '2', '-W', '1', '192.168.100.1'])
    const arp = await host.waitFrame(isArpRequestForHost, 5_000, 'ARP who-has 192.168.100.1')
    expect(etherType(arp)).toBe(0x0806)
    expect(arp.subarray(6, 12)).toEqual(DEVICE_MAC) // Ethernet source
    expect(arp.subarray(0, 6)).toEqual(BROADCAST_MAC)
    expect(arp.subarray(22, 28)).toEqual(DEVICE_MAC) // sender hardware address
    expect(arp.subarray(28, 32)).toEqual(DEVICE_IP) // sender protocol address
    expect(host.parseError).toBeUndefined()

    await sleepUntil(device.startupDiscardUntil + 50)
    host.sendFrame(arpReply()) // the kernel's entry is INCOMPLETE: it takes the answer
    // no auto-ARP here: if the reply was not taken, the kernel would ARP again instead of answering
    host.sendFrame(echoRequest(0x4242, 1))
    const reply = await host.waitFrame((f) => isEchoReply(f, 0x4242, 1), 3_000, 'echo reply 0x4242/1')
    expect(reply.subarray(0, 6)).toEqual(HOST_MAC)
    expect(reply.subarray(6, 12)).toEqual(DEVICE_MAC)
    expect(reply.subarray(26, 30)).toEqual(DEVICE_IP)
    expect(reply.subarray(30, 34)).toEqual(HOST_IP)
    expect(inetChecksum(reply.subarray(14, 34))).toBe(0)
    expect(inetChecksum(reply.subarray(34))).toBe(0)
    expect(reply.subarray(42)).toEqual(echoRequest(0x4242, 1).subarray(42)) // payload echoed
    // ping's own echo requests, queued behind ARP, now reach the host too
    await host.waitFrame((f) => etherType(f) === 0x0800 && f[34] === 8 && f.subarray(0, 6).equals(HOST_MAC), 3_000, "ping's echo request")
    await pinging
    expect(host.parseError).toBeUndefined()
    const c = await device.counters()
    expect(c.records_to_device).toBeGreaterThanOrEqual(2)
    expect(c.startup_discarded_bytes).toBe(0)
  })

  it('parses host records whatever the chunking', async () => {
    const host = mainHost!
    host.autoArp = true
    const two = Buffer.concat([record(echoRequest(0x5151, 1)), record(echoRequest(0x5151, 2))])
    host.send(two) // two records in one write
    const split = record(echoRequest(0x5151, 3))
    for (const piece of [split.subarray(0, 1), split.subarray(1, 2), split.subarray(2, 20), split.subarray(20)]) {
      host.send(piece)
      await sleep(30) // separate reads on the device side
    }
    for (const seq of [1, 2, 3]) await host.waitFrame((f) => isEchoReply(f, 0x5151, seq), 3_000, `echo reply 0x5151/${seq}`)
  })

  it.each([
    ['zero', Buffer.from([0x00, 0x00]), 0x6000],
    ['1600', Buffer.concat([Buffer.from([0x06, 0x40]), Buffer.alloc(1600, 0xa5)]), 0x6100]
  ])('flushes on a %s length, then recovers', async (_name, bad, id) => {
    const host = mainHost!
    host.autoArp = true
    const before = await device.counters()
    // a valid record right behind the bad length, in the same write: flushed with it
    const t0 = Date.now()
    host.send(Buffer.concat([bad, record(echoRequest(id, 1))]))
    await sleep(30)
    host.sendFrame(echoRequest(id, 2)) // still inside the 100 ms: discarded too
    const secondInWindow = Date.now() - t0 < 60 // on a badly loaded machine, don't claim it
    await sleep(250)
    const mark = host.frames.length
    host.sendFrame(echoRequest(id, 3))
    await host.waitFrame((f) => isEchoReply(f, id, 3), 3_000, `echo reply ${id}/3`, mark)
    await sleep(100)
    expect(host.frames.some((f) => isEchoReply(f, id, 1))).toBe(false)
    if (secondInWindow) expect(host.frames.some((f) => isEchoReply(f, id, 2))).toBe(false)
    const after = await device.counters()
    expect(after.bad_length_flushes - before.bad_length_flushes).toBe(1)
    if (bad.length === 2) expect(after.bad_length_zero - before.bad_length_zero).toBe(1)
    else expect(after.bad_length_too_long - before.bad_length_too_long).toBe(1)
    expect(after.flushed_bytes - before.flushed_bytes).toBeGreaterThan(bad.length)
    expect(host.parseError).toBeUndefined()
  })

  it('injects junk between two records on SIGUSR1', async () => {
    await closeMainHost()
    const host = await openHost()
    await device.waitForStderr(/client connected \(#3\)/)

    await ping(['-b', '-c', '1', '-W', '1', '192.168.100.255'])
    const first = await host.waitFrame(isBroadcastPingFromDevice, 3_000, 'first broadcast ping')
    const k = 2 + first.length
    expect(host.raw.length).toBe(k) // exactly one record so far

    const n = await device.injectJunk()
    expect(n).toBeGreaterThanOrEqual(37 + 2 + 8)
    await ping(['-b', '-c', '1', '-W', '1', '192.168.100.255'])
    await host.waitUntil(() => (host.raw.length >= k + n + 2 + 42 ? true : undefined), 3_000, 'junk and the next record')

    const raw = host.raw
    expect(host.parseError).toMatch(/bad length/) // a strict reader trips over it
    expect(raw.readUInt16BE(k)).toBeGreaterThan(MAX_FRAME) // burst 1: length field > 1500
    expect(raw.readUInt16BE(k + 37)).toBe(0) // burst 2: length field 0
    const rest = parseRecords(raw, k + n) // the junk ends exactly at a record boundary
    expect(rest.error).toBeUndefined()
    expect(rest.frames.length).toBeGreaterThanOrEqual(1)
    expect(isBroadcastPingFromDevice(rest.frames[0]!)).toBe(true)
    expect(rest.end).toBe(raw.length)

    const c = await device.counters()
    expect(c.junk_bursts).toBe(3)
    expect(c.junk_bytes).toBe(n)
  })

  it('refuses device frames longer than max-frame (the old MTU-1500 bug)', async () => {
    const ns = await createNamespace('tsdev1500')
    const sock = join(dir, 'uart1500.sock')
    const d = await startUartDevice(ns, sock, { mtu: 1500, junkOnUsr1: false })
    const host = await openHost(sock)
    await d.waitForStderr(/client connected/)
    // 1472 bytes of ICMP data → a 1500-byte IP packet → a 1514-byte frame
    await ns.exec('ping', ['-b', '-c', '1', '-W', '1', '-M', 'do', '-s', '1472', '192.168.100.255'], { timeoutMs: 10_000 })
    await ns.exec('ping', ['-b', '-c', '1', '-W', '1', '-M', 'do', '-s', '1458', '192.168.100.255'], { timeoutMs: 10_000 })
    await host.waitFrame(isBroadcastPingFromDevice, 3_000, 'the 1500-byte frame')
    const c = await d.stop()
    expect(c.dropped_oversize).toBe(1)
    expect(host.frames.map((f) => f.length)).toEqual([1500])
    await ns.destroy()
  })

  it('discards UART input during the first second after a restart', async () => {
    await closeMainHost()
    const old = await device.restart()
    expect(old.junk_bursts).toBe(3)
    const host = await openHost()
    host.autoArp = true
    await device.waitForStderr(/client connected \(#1\)/)
    expect(Date.now(), 'restart took most of the 1 s window').toBeLessThan(device.startupDiscardUntil - 150)
    host.sendFrame(echoRequest(0x7000, 1))
    await sleepUntil(device.startupDiscardUntil + 300)
    // discarded: no reply, and not even an ARP request for the sender
    expect(host.frames).toEqual([])
    const c = await device.counters()
    expect(c.startup_discarded_bytes).toBe(2 + echoRequest(0x7000, 1).length)
    host.sendFrame(echoRequest(0x7000, 2))
    await host.waitFrame((f) => isEchoReply(f, 0x7000, 2), 3_000, 'echo reply after the startup window')
  })

  it('stops on SIGTERM with counters and removes its socket and TAP', async () => {
    const c = await device.stop()
    expect(c.records_to_device).toBeGreaterThanOrEqual(1)
    expect(c.clients_accepted).toBe(1)
    await expect(stat(sockPath)).rejects.toThrow(/ENOENT/)
    const link = await dev.exec('ip', ['link', 'show', 'dev', 'tap0'])
    expect(link.code).not.toBe(0)
    // waitForFile times out cleanly on a path that never appears
    await expect(waitForFile(join(dir, 'never'), 100)).rejects.toThrow(/timed out/)
  })
})
