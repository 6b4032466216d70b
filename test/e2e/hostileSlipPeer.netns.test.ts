// The real `tunscope bridge --framing slip` against a SLIP peer that
// misbehaves on one live link: a flood of nothing but ENDs, a megabyte without
// any END, and seconds of random bytes. The bridge must stay up with bounded
// memory, count exactly what each did (an independent model of RFC 1055 slots
// below says what that is), and still carry the good frame that follows.
// The decoder's own property tests are test/framing/slip.test.ts; this is the
// whole process behind a unix socket this file serves.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { CountersSnapshot } from '../../src/engine/counters.js'
import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { DEVICE_MAC } from '../helpers/frames.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { echoRequestFrom, isEchoReply } from '../helpers/uartPeer.js'

const END = 0xc0
const ESC = 0xdb
const ESC_END = 0xdc
const ESC_ESC = 0xdd
/** The bridge's default --max-frame for SLIP carrying Ethernet. */
const MAX_FRAME = 1514
const RSS_LIMIT_BYTES = 200 * 1024 * 1024

function slip(frame: Uint8Array): Uint8Array {
  const out: number[] = [END]
  for (const b of frame) {
    if (b === END) out.push(ESC, ESC_END)
    else if (b === ESC) out.push(ESC, ESC_ESC)
    else out.push(b)
  }
  out.push(END)
  return Uint8Array.from(out)
}

/** xorshift32: the same noise on every run. */
function noise(bytes: number, seed: number, avoid: number[] = []): Uint8Array {
  const out = new Uint8Array(bytes)
  let x = seed
  for (let i = 0; i < bytes; ) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const b = x & 0xff
    if (!avoid.includes(b)) out[i++] = b
  }
  return out
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!
  return Number(/(\d+)/.exec(line)![1]) * 1024
}

/**
 * What a receiver that follows src/engine/framing/slip.ts's contract makes of `stream`, sent
 * right after a frame's closing END: each END closes a slot; an empty slot's END is a separator
 * unless it is the one right before a non-empty slot (then it is that slot's); a slot is a
 * slipEscape error at its first broken escape (ESC END included), tooLong at its (MAX_FRAME+1)th
 * byte, text when it starts with '!', '?' or '\r' and is not a frame (random slots never are), and
 * otherwise a frame or a tooShort/implausible error ("other"). The bytes after the last END are left out.
 */
function slipModel(stream: Uint8Array): { separators: number; slipEscape: number; tooLong: number; text: number; textWire: number; other: number; modelled: number } {
  const m = { separators: 0, slipEscape: 0, tooLong: 0, text: 0, textWire: 0, other: 0, modelled: 0 }
  let pendingEnd = 0
  let start = 0
  for (let i = 0; i < stream.length; i++) {
    if (stream[i] !== END) continue
    const slot = stream.subarray(start, i)
    start = i + 1
    m.modelled = start
    if (slot.length === 0) {
      m.separators += pendingEnd
      pendingEnd = 1
      continue
    }
    const wire = pendingEnd + slot.length + 1
    pendingEnd = 0
    let verdict: 'slipEscape' | 'tooLong' | undefined
    let length = 0
    let first = -1
    for (let j = 0; j < slot.length && verdict === undefined; j++) {
      let b = slot[j]!
      if (b === ESC) {
        const next = j + 1 < slot.length ? slot[++j]! : END
        if (next !== ESC_END && next !== ESC_ESC) verdict = 'slipEscape'
        b = next === ESC_END ? END : ESC
      }
      if (verdict === undefined && length >= MAX_FRAME) verdict = 'tooLong'
      if (first < 0) first = b
      length++
    }
    if (verdict) m[verdict]++
    else if (first === 0x21 || first === 0x3f || first === 0x0d) {
      m.text++
      m.textWire += wire
    } else m.other++
  }
  return m
}

/** The device end of the link: what the bridge sends is split on END and unescaped. */
class SlipPeer {
  readonly frames: Buffer[] = []
  /** Every byte written to the bridge, in order. */
  readonly sentLog: Uint8Array[] = []
  sent = 0
  private socket: net.Socket | null = null
  private pending: number[] = []
  private readonly wakers = new Set<() => void>()
  private readonly server: net.Server
  readonly connected: Promise<void>

  constructor(readonly path: string) {
    let resolve!: () => void
    this.connected = new Promise((r) => (resolve = r))
    this.server = net.createServer((socket) => {
      this.socket = socket
      socket.on('error', () => {})
      socket.on('data', (chunk: Buffer) => this.receive(chunk))
      resolve()
    })
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve))
  }

  private receive(chunk: Buffer): void {
    for (const b of chunk) {
      if (b !== END) this.pending.push(b)
      else if (this.pending.length) {
        const out: number[] = []
        for (let i = 0; i < this.pending.length; i++) {
          const c = this.pending[i]!
          out.push(c === ESC ? (this.pending[++i] === ESC_END ? END : ESC) : c)
        }
        this.frames.push(Buffer.from(out))
        this.pending = []
      }
    }
    for (const wake of [...this.wakers]) wake()
  }

  async send(bytes: Uint8Array): Promise<void> {
    this.sent += bytes.length
    this.sentLog.push(bytes)
    if (!this.socket!.write(bytes)) await new Promise((r) => this.socket!.once('drain', r))
  }

  waitFor(predicate: (f: Buffer) => boolean, timeoutMs: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const check = (): void => {
        const hit = this.frames.find(predicate)
        if (hit) done(hit)
      }
      const timer = setTimeout(() => done(undefined), timeoutMs)
      const done = (f: Buffer | undefined): void => {
        clearTimeout(timer)
        this.wakers.delete(check)
        resolve(f)
      }
      this.wakers.add(check)
      check()
    })
  }

  /** Everything sent since `from` bytes, as one array. */
  sentSince(from: number): Uint8Array {
    const out = new Uint8Array(this.sent - from)
    let at = -from
    for (const part of this.sentLog) {
      if (at + part.length > 0) out.set(part.subarray(Math.max(0, -at)), Math.max(0, at))
      at += part.length
    }
    return out
  }

  close(): void {
    this.socket?.destroy()
    this.server.close()
  }
}

describe.skipIf(skipNetns)('tunscope bridge --framing slip against a hostile SLIP peer', () => {
  let work: string
  let host: Netns
  let peer: SlipPeer
  let bridge: BridgeProcess
  let seq = 1
  let maxRss = 0

  /** Pings the host as the device until a reply comes (the first may wait for the host's ARP), then twice more. */
  async function goodFrameGoesThrough(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const s = seq++
      await peer.send(slip(echoRequestFrom(DEVICE_MAC, s)))
      if (await peer.waitFor(isEchoReply(s), 300)) break
      if (attempt === 20) throw new Error('no echo reply after 20 tries')
    }
    for (let i = 0; i < 2; i++) {
      const s = seq++
      await peer.send(slip(echoRequestFrom(DEVICE_MAC, s)))
      expect(await peer.waitFor(isEchoReply(s), 5_000), `echo reply ${s}`).toBeDefined()
    }
  }

  async function settled(what: string): Promise<CountersSnapshot> {
    const stats = await bridge.waitFor((s) => s.counters.fromDevice.bytes + s.counters.bytesSkipped > 0 && s.link.status === 'connected', 5_000, what)
    return stats.counters
  }

  /** Sends `hostile` (in 64 KiB writes, `pauseMs` apart), closes its last slot with END, then a good frame; checks the bridge's counts against the model. */
  async function survive(hostile: Uint8Array, pauseMs = 0): Promise<{ before: CountersSnapshot; after: CountersSnapshot; model: ReturnType<typeof slipModel> }> {
    const pid = bridge.child.pid!
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssBytes(pid))), 50)
    try {
      const before = await settled('the counters before')
      const from = peer.sent
      for (let at = 0; at < hostile.length; at += 64 * 1024) {
        await peer.send(hostile.subarray(at, at + 64 * 1024))
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs))
      }
      await peer.send(Uint8Array.of(END))
      await goodFrameGoesThrough()
      const model = slipModel(peer.sentSince(from))
      expect(model.modelled).toBe(peer.sent - from) // the last good frame's END ends the stream
      // Wait for the last stats line that holds the good frames' replies and everything before them.
      const after = (await bridge.waitFor((s) => {
        const c = s.counters
        return c.bytesSkipped - before.bytesSkipped + (c.fromDevice.bytes - before.fromDevice.bytes) + model.textWire === model.modelled - model.separators
      }, 5_000, 'every byte accounted for')).counters
      maxRss = Math.max(maxRss, rssBytes(pid))
      expect(after.framingErrors.slipEscape - before.framingErrors.slipEscape).toBe(model.slipEscape)
      expect(after.framingErrors.tooLong - before.framingErrors.tooLong).toBe(model.tooLong)
      expect(after.textFromDevice - before.textFromDevice).toBe(model.text)
      const other = after.framingErrors.tooShort + after.framingErrors.implausible - before.framingErrors.tooShort - before.framingErrors.implausible
      expect(other + after.fromDevice.frames - before.fromDevice.frames).toBe(model.other)
      expect(after.framingErrors.cutByDisconnect).toBe(0)
      expect(after.reconnects).toBe(0)
      expect(maxRss).toBeLessThan(RSS_LIMIT_BYTES)
      return { before, after, model }
    } finally {
      clearInterval(sampler)
    }
  }

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-hostile-slip-'))
    host = await createNamespace('tshslip')
    for (const key of ['all', 'default']) await host.exec('sysctl', ['-qw', `net.ipv6.conf.${key}.disable_ipv6=1`], { check: true })
    peer = new SlipPeer(join(work, 'slip.sock'))
    await peer.listen()
    bridge = startBridge(host, ['--framing', 'slip', '--socket', peer.path, '--tun', 'tshslip0'])
    await peer.connected
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 15_000, 'the SLIP link')
    expect(readFileSync(`/proc/${bridge.child.pid!}/comm`, 'utf8').trim()).toBe('node')
    await goodFrameGoesThrough()
  }, 30_000)

  afterAll(async () => {
    peer?.close()
    if (bridge && bridge.child.exitCode === null) await bridge.stop()
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('takes 4 MiB of nothing but ENDs as empty slots: no error, nothing skipped, the next frame goes through', async () => {
    const { before, after, model } = await survive(new Uint8Array(4 * 1024 * 1024).fill(END))
    expect(model.separators).toBeGreaterThan(4 * 1024 * 1024 - 10)
    expect(after.bytesSkipped).toBe(before.bytesSkipped)
    expect(after.framingErrors).toEqual(before.framingErrors)
  }, 60_000)

  it('skips 1 MiB without any END as one tooLong slot, counting every byte of it, and takes the next frame', async () => {
    const megabyte = noise(1024 * 1024, 0x2545f491, [END, ESC])
    const { before, after, model } = await survive(megabyte)
    expect(model.tooLong).toBe(1)
    expect(after.framingErrors.tooLong - before.framingErrors.tooLong).toBe(1)
    expect(after.bytesSkipped - before.bytesSkipped).toBe(megabyte.length + 1) // and the END that closed it
  }, 60_000)

  it('survives 3 s of random bytes: every slot counted as the model says, memory bounded, the next frame goes through', async () => {
    const random = noise(3 * 1024 * 1024, 0x9e3779b9)
    // 48 writes of 64 KiB, 60 ms apart: about three seconds
    const { before, after, model } = await survive(random, 60)
    expect(model.slipEscape).toBeGreaterThan(1000)
    expect(model.text).toBeGreaterThan(0)
    expect(after.bytesSkipped - before.bytesSkipped).toBeGreaterThan(random.length / 2)
    const { code } = await bridge.stop('SIGINT')
    expect(code).toBe(0)
  }, 60_000)
})
