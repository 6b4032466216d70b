// The real `tunscope bridge` against UART peers that misbehave: one that
// floods ARP requests and never reads, one whose first record is another
// host's frame or line noise, one whose MAC changes on a live link, and a
// thousand short-lived connections to --listen. Each peer is a real socket in
// this process; the bridge and its TUN live in a namespace this file creates.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { formatMacBytes } from '../../src/engine/addresses.js'
import { TAKEOVER_FRAMES } from '../../src/engine/deviceIdentity.js'
import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { arp, concat, deviceArpRequest, deviceUdpFrame, DEVICE_IP, DEVICE_MAC, ethernet, HOST_IP, record } from '../helpers/frames.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { sleep } from '../cli/cliHelpers.js'
import { PeerServer, pingAs } from '../helpers/uartPeer.js'

/** The bound for the bridge whatever its peer does. */
const RSS_LIMIT_BYTES = 150 * 1024 * 1024
const FOREIGN_MAC = Uint8Array.of(0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x60)

/** The bridge process's resident memory (`ip netns exec` execs it, so the child's pid is node's). */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!
  return Number(/(\d+)/.exec(line)![1]) * 1024
}

/** xorshift32: the same "line noise" on every run. */
function noise(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes)
  let x = seed
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

function lldpFrom(mac: Uint8Array): Uint8Array {
  // Chassis ID TLV (type 1, subtype 4 = MAC), then End: a minimal LLDPDU, 18 bytes on the wire with no padding.
  return ethernet(Uint8Array.of(0x01, 0x80, 0xc2, 0, 0, 0x0e), mac, 0x88cc, Uint8Array.of(0x02, 0x07, 0x04, ...mac, 0, 0))
}

describe.skipIf(skipNetns)('tunscope bridge against hostile UART peers', () => {
  let work: string
  let host: Netns
  /** What the running test started; stopped after it whatever happened, so the next TUN has the subnet alone. */
  let running: { peer?: PeerServer; bridge: BridgeProcess } | null = null

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-hostile-'))
    host = await createNamespace('tshostile')
    // No IPv6 router solicitations on the TUNs: the counts below are exact.
    for (const key of ['all', 'default']) await host.exec('sysctl', ['-qw', `net.ipv6.conf.${key}.disable_ipv6=1`], { check: true })
  })

  afterEach(async () => {
    running?.peer?.close()
    if (running?.bridge.child.exitCode === null) await running.bridge.stop()
    running = null
  })

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  async function bridgeTo(name: string, readData = true): Promise<{ peer: PeerServer; bridge: BridgeProcess }> {
    const peer = new PeerServer(join(work, `${name}.sock`), readData)
    await peer.listen()
    const bridge = startBridge(host, ['--socket', peer.path, '--tun', name])
    running = { peer, bridge }
    await peer.connection()
    await bridge.waitFor((s) => s.link.status === 'connected', 15_000, 'the UART link')
    return { peer, bridge }
  }

  it('answers an ARP flood from a peer that never reads with bounded memory, counting what it could not send as back-pressure', async () => {
    const { peer, bridge } = await bridgeTo('tsarp0', false)
    const pid = bridge.child.pid!
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).toBe('node')
    const requests = concat(Array.from({ length: 1024 }, () => record(deviceArpRequest(Uint8Array.of(192, 168, 100, 77)))))
    const perChunk = 1024
    const chunks = 2500 // 2.56 M requests, 113 MB
    let maxRss = rssBytes(pid)
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssBytes(pid))), 100)
    try {
      for (let i = 0; i < chunks; i++) await peer.send(requests)
      const sent = chunks * perChunk
      await bridge.waitFor((s) => s.counters.fromDevice.frames === sent, 60_000, 'every request read')
    } finally {
      clearInterval(sampler)
    }
    maxRss = Math.max(maxRss, rssBytes(pid))
    expect(maxRss).toBeLessThan(RSS_LIMIT_BYTES)

    // Now read what the kernel holds for us: what the bridge counts as sent is exactly what arrives.
    peer.socket!.on('data', (chunk: Buffer) => peer.reader.push(chunk))
    peer.socket!.resume()
    let received = -1
    while (received !== peer.reader.frames.length) {
      received = peer.reader.frames.length
      await sleep(500)
    }
    const after = await bridge.waitFor((s) => s.counters.toDevice.frames === peer.reader.frames.length, 10_000, 'the counters to settle')
    const c = after.counters
    expect(c.drops.backPressure).toBeGreaterThan(0)
    expect(c.proxyArpReplies).toBe(c.toDevice.frames)
    expect(c.proxyArpReplies + c.drops.backPressure).toBe(chunks * perChunk)
    expect(c.toDevice.bytes).toBe(peer.reader.frames.reduce((n, f) => n + 2 + f.length, 0))
    expect(peer.reader.partialBytes).toBe(0)
  }, 120_000)

  it('does not let an LLDP frame from another host, arriving first, claim the link: pings work and the device MAC is learned from its own traffic', async () => {
    const { peer, bridge } = await bridgeTo('tslldp0')
    await peer.send(record(lldpFrom(FOREIGN_MAC)))
    const replies = await pingAs(peer, DEVICE_MAC, 1, 10)
    expect(replies).toHaveLength(10)
    for (const reply of replies) expect(reply.subarray(0, 6)).toEqual(Buffer.from(DEVICE_MAC))
    const stats = await bridge.waitFor((s) => s.device.mac !== null)
    expect(stats.device).toEqual({ mac: formatMacBytes(DEVICE_MAC), ipv4: '192.168.100.2', conflict: null })
    expect(stats.counters.framingErrors.implausible).toBe(0)
    expect(stats.counters.drops.otherEtherType).toBe(1)
  })

  it('learns no MAC from 4 MiB of line noise sent first, and bridges the device that follows', async () => {
    const { peer, bridge } = await bridgeTo('tsnoise0')
    const junk = noise(4 * 1024 * 1024, 0x9e3779b9)
    for (let at = 0; at < junk.length; at += 64 * 1024) await peer.send(junk.subarray(at, at + 64 * 1024))
    // Some noise parses as records (the old bridge learned its MAC from the first one): none may claim the link.
    // The skipped bytes show while the hunt is still under way (at most one partial record may wait for more).
    const noisy = await bridge.waitFor((s) => s.counters.bytesSkipped + s.counters.fromDevice.bytes > junk.length - 1502, 30_000, 'the noise counted')
    expect(noisy.counters.fromDevice.frames).toBeGreaterThan(0)
    expect(noisy.device.mac).toBeNull()
    const replies = await pingAs(peer, DEVICE_MAC, 100, 10)
    for (const reply of replies) expect(reply.subarray(0, 6)).toEqual(Buffer.from(DEVICE_MAC))
    const stats = await bridge.waitFor((s) => s.device.mac !== null && s.counters.fromDevice.bytes + s.counters.bytesSkipped === peer.sent, 5_000, 'every byte accounted for')
    expect(stats.device.mac).toBe(formatMacBytes(DEVICE_MAC))
  })

  it('follows a device whose MAC changes on a live link once the new MAC proves itself and the old one has gone quiet', async () => {
    const { peer, bridge } = await bridgeTo('tsmac0')
    await pingAs(peer, DEVICE_MAC, 200, 2)
    await bridge.waitFor((s) => s.device.mac === formatMacBytes(DEVICE_MAC))
    const newMac = Uint8Array.of(0x02, 0, 0, 0, 0, 0x22)
    // An ARP request proves the new MAC too; the bridge answers it, addressed to the asker.
    await peer.send(record(ethernet(Uint8Array.of(255, 255, 255, 255, 255, 255), newMac, 0x0806, arp(1, newMac, DEVICE_IP, new Uint8Array(6), HOST_IP))))
    const replies = await pingAs(peer, newMac, 300, TAKEOVER_FRAMES)
    expect(replies.at(-1)!.subarray(0, 6)).toEqual(Buffer.from(newMac))
    const stats = await bridge.waitFor((s) => s.device.mac === formatMacBytes(newMac), 5_000, 'the new MAC')
    expect(stats.device.ipv4).toBe('192.168.100.2')
    expect(stats.counters.framingErrors.implausible).toBe(0)
  })

  it('--listen reads every one of 1 000 short-lived connections to its end: every byte is a frame or counted as cut', async () => {
    const path = join(work, 'listen.sock')
    const bridge = startBridge(host, ['--listen', '--socket', path, '--tun', 'tslisten0'])
    running = { bridge }
    await bridge.waitFor((s) => s.link.detail === 'listening' && s.tun !== null, 15_000, 'the listening bridge')
    const whole = record(deviceUdpFrame(new TextEncoder().encode('one whole record')))
    const cut = Uint8Array.of(0x00, 0x40, 0x02) // a 64-byte frame's length and first byte
    const payload = concat([whole, cut])
    const connections = 1000
    const inFlight = 20
    let next = 0
    const one = (): Promise<void> => new Promise((resolve) => {
      const socket = net.connect(path, () => socket.end(payload))
      socket.on('error', () => resolve())
      socket.on('close', () => resolve())
      socket.resume()
    })
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < connections) {
        next++
        await one()
      }
    }))
    const c = (await bridge.waitFor((s) => s.counters.fromDevice.bytes + s.counters.bytesSkipped >= connections * payload.length, 30_000,
      'every byte accounted for')).counters
    expect(c.fromDevice.frames).toBe(connections)
    expect(c.fromDevice.bytes).toBe(connections * whole.length)
    expect(c.bytesSkipped).toBe(connections * cut.length)
    expect(c.framingErrors.cutByDisconnect).toBe(connections)
  }, 60_000)
})
