// `tunscope bridge --framing qemu` against a real QEMU guest's e1000 NIC: QEMU's own
// -netdev stream (server=on on a unix socket: the bridge connects; server=off: the bridge
// --listens; server=on over TCP: --tcp; server=off over TCP: --listen --tcp) and the older
// -netdev socket (listen=, TCP: --tcp).
// The guest (test/helpers/qemuGuest.ts) has the bridge's default device address; traffic
// runs between it and the host namespace the bridge's TUN lives in, and the bridge's --json
// counters must show it with no framing error and no drop but the ones a test provokes.
// QEMU runs in that namespace too (its TCP endpoints are the namespace's loopback); nothing
// touches the root namespace. One guest per suite; a boot takes ~6 s on an idle machine.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { CountersSnapshot } from '../../src/engine/counters.js'
import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { deviceTraffic, type DeviceTraffic } from '../helpers/bridgedDevice.js'
import { createNamespace, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { bootGuest, configureGuestNic, GUEST_NIC, qemuStreamReconnects, requireGuest, skipGuest, type Guest, type GuestNic } from '../helpers/qemuGuest.js'

const DEVICE_IP = '192.168.100.2' // the bridge's default --device-ip
const HOST_IP = '192.168.100.1'
/**
 * QEMU's default NIC MAC. The bridge sends to --device-mac until the guest's own frames
 * (IPv4 from the device address, or ARP) prove its MAC, and forgets the proven one on every
 * new connection; the e1000 drops frames to any other unicast MAC. Most suites name it with
 * --device-mac; the stream-over-TCP suite relies on the default for --framing qemu.
 */
const GUEST_MAC = '52:54:00:12:34:56'
const MB = 1024 * 1024
const BOOT_MS = 180_000 // a boot takes ~6 s on an idle machine, 15-35 s on a loaded one

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex')
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

// ------------------------------------------------------------------ the host's ends (node in the host namespace)

/**
 * `node -e HOST_PEER MODE …` in the host namespace, beside the bridge:
 *   tcp-send HOST PORT FILE        send FILE, half-close, wait for the peer to close
 *   tcp-receive PORT FILE          accept one connection, write what it sends to FILE ("ready" once listening)
 *   tftp-server PORT DIR           RFC 1350 + blksize (RFC 2348) server for DIR: UDP both ways ("ready")
 */
const HOST_PEER = String.raw`
const [mode, ...a] = process.argv.slice(1)
const fs = require('fs'), net = require('net'), dgram = require('dgram'), path = require('path')
const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n & 0xffff); return b }
if (mode === 'tcp-send') {
  const s = net.connect(Number(a[1]), a[0], () => s.end(fs.readFileSync(a[2])))
  s.on('data', () => {}).on('close', (err) => process.exit(err ? 1 : 0)).on('error', (e) => { console.error(e.message); process.exit(1) })
} else if (mode === 'tcp-receive') {
  const chunks = []
  const server = net.createServer((c) => {
    server.close()
    c.on('data', (d) => chunks.push(d)).on('end', () => { fs.writeFileSync(a[1], Buffer.concat(chunks)); c.end(); process.exit(0) })
  }).listen(Number(a[0]), () => console.log('ready'))
} else if (mode === 'tftp-server') {
  const server = dgram.createSocket('udp4')
  server.on('message', (m, peer) => {
    const op = m.readUInt16BE(0)
    const parts = m.subarray(2).toString('latin1').split('\0')
    const file = path.join(a[1], path.basename(parts[0]))
    const options = {}
    for (let i = 2; i + 1 < parts.length; i += 2) options[parts[i].toLowerCase()] = parts[i + 1]
    const size = options.blksize ? Number(options.blksize) : 512
    const oack = options.blksize ? Buffer.concat([u16(6), Buffer.from('blksize\0' + size + '\0', 'latin1')]) : null
    const t = dgram.createSocket('udp4')
    let last, timer, tries = 0
    const send = (packet) => { last = packet; tries = 0; t.send(packet, peer.port, peer.address); arm() }
    const arm = () => { clearTimeout(timer); timer = setTimeout(() => { if (++tries > 10) t.close(); else { t.send(last, peer.port, peer.address); arm() } }, 1000) }
    const done = () => { clearTimeout(timer); t.close(); console.log(JSON.stringify({ done: parts[0], op })) }
    t.bind(0, () => {
      if (op === 1) { // RRQ: DATA n, wait for ACK n
        const data = fs.readFileSync(file)
        let block = 0
        const block_ = (n) => Buffer.concat([u16(3), u16(n), data.subarray((n - 1) * size, n * size)])
        t.on('message', (ack) => {
          if (ack.readUInt16BE(0) !== 4 || ack.readUInt16BE(2) !== (block & 0xffff)) return
          if (block > 0 && block * size > data.length) return done()
          send(block_(++block))
        })
        if (oack) send(oack)
        else send(block_(++block))
      } else if (op === 2) { // WRQ: ACK n for DATA n
        const chunks = []
        let block = 0
        t.on('message', (d) => {
          if (d.readUInt16BE(0) !== 3) return
          const n = d.readUInt16BE(2)
          if (n === ((block + 1) & 0xffff)) { block++; chunks.push(d.subarray(4)) }
          if (n !== (block & 0xffff)) return
          const final = d.length - 4 < size
          if (final) fs.writeFileSync(file, Buffer.concat(chunks)) // before the last ACK: the client is done once it has it
          t.send(Buffer.concat([u16(4), u16(n)]), peer.port, peer.address)
          if (final) { clearTimeout(timer); setTimeout(done, 200) }
        })
        send(oack ?? Buffer.concat([u16(4), u16(0)]))
      }
    })
  })
  server.bind(Number(a[0]), () => console.log('ready'))
}
`

/** Starts a HOST_PEER server in `ns`; resolves once it is listening, with its exit. */
async function startHostPeer(ns: Netns, args: string[]): Promise<{ exited: Promise<number | null>; output: () => string }> {
  const child = ns.spawn(process.execPath, ['-e', HOST_PEER, ...args])
  let output = ''
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString()
      if (output.includes('ready')) resolve()
    })
    void exited.then((code) => reject(new Error(`host peer ${args[0]} exited with ${code}: ${output}`)))
  })
  return { exited, output: () => output }
}

// ------------------------------------------------------------------ one guest behind one bridge

interface GuestLink {
  ns: Netns
  work: string
  guest: Guest
  bridge: BridgeProcess
  traffic: DeviceTraffic
}

/** A namespace running `tunscope bridge --framing qemu <bridgeArgs>` and a guest (MAC GUEST_MAC) whose NIC reaches it; its NIC configured. */
async function startGuestLink(prefix: string, nic: (work: string) => GuestNic, bridgeArgs: (work: string) => string[]): Promise<GuestLink> {
  requireNetns()
  requireGuest()
  const work = mkdtempSync(join(tmpdir(), `tunscope-${prefix}-`))
  const ns = await createNamespace(prefix)
  // The bridge first: --listen must be up before QEMU connects; a connecting bridge retries until QEMU listens.
  const bridge = startBridge(ns, ['--framing', 'qemu', '--tun', 'tun0', ...bridgeArgs(work)])
  const guest = await bootGuest({ name: prefix, ns, nic: nic(work), mac: GUEST_MAC, bootTimeoutMs: BOOT_MS - 30_000 })
  console.log(`[qemuNic] ${prefix}: guest booted in ${guest.bootMs} ms`)
  await bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 30_000, 'the link to QEMU')
  await configureGuestNic(guest, `${DEVICE_IP}/24`)
  return { ns, work, guest, bridge, traffic: deviceTraffic(ns, DEVICE_IP) }
}

async function stopGuestLink(link: GuestLink | undefined): Promise<void> {
  if (!link) return
  await link.guest.kill()
  await link.ns.destroy()
  rmSync(link.work, { recursive: true, force: true })
}

/** beforeAll/afterAll of a suite with one guest link; `link()` is it inside the tests. */
function useGuestLink(prefix: string, nic: (work: string) => GuestNic, bridgeArgs: (work: string) => string[]): () => GuestLink {
  let link: GuestLink | undefined
  beforeAll(async () => {
    link = await startGuestLink(prefix, nic, bridgeArgs)
  }, BOOT_MS)
  afterAll(() => stopGuestLink(link))
  return () => link!
}

/** Runs `listen` in the guest's background and waits until something listens on TCP `port`. */
async function guestListen(guest: Guest, listen: string, port: number): Promise<void> {
  await guest.runOk(`${listen} & for i in $(seq 100); do netstat -ltn | grep -q :${port} && break; sleep 0.1; done; netstat -ltn | grep -q :${port}`)
}

/** `bytes` of random data from the host to the guest over TCP (busybox nc into a file), md5 compared. */
async function expectTcpToGuest(link: GuestLink, bytes: number): Promise<void> {
  const data = randomBytes(bytes)
  const file = join(link.work, 'to-guest')
  writeFileSync(file, data)
  await guestListen(link.guest, "nc -l -p 5001 -e sh -c 'cat > /tmp/from-host'", 5001)
  const sent = await link.ns.exec(process.execPath, ['-e', HOST_PEER, 'tcp-send', DEVICE_IP, '5001', file], { timeoutMs: 120_000 })
  expect(sent.code, sent.stderr).toBe(0)
  await link.guest.runOk('wait', { timeoutMs: 10_000 })
  expect(await link.guest.runOk('wc -c < /tmp/from-host && md5sum < /tmp/from-host && rm /tmp/from-host')).toBe(`${bytes}\n${md5(data)}  -\n`)
}

/** `bytes` of random data from the guest to the host over TCP (busybox nc from a file), md5 compared. */
async function expectTcpFromGuest(link: GuestLink, bytes: number): Promise<void> {
  const file = join(link.work, 'from-guest')
  const receiver = await startHostPeer(link.ns, ['tcp-receive', '5002', file])
  const sum = await link.guest.runOk(`dd if=/dev/urandom of=/tmp/to-host bs=64k count=${bytes / 65536} 2>/dev/null && md5sum < /tmp/to-host`)
  await link.guest.runOk(`nc ${HOST_IP} 5002 < /tmp/to-host && rm /tmp/to-host`, { timeoutMs: 120_000 })
  expect(await receiver.exited).toBe(0)
  const got = readFileSync(file)
  expect(`${got.length}\n${md5(got)}  -\n`).toBe(`${bytes}\n${sum}`)
}

/** The bridge's latest counters once a stats line newer than now has come. */
async function countersNow(bridge: BridgeProcess): Promise<CountersSnapshot> {
  const seen = bridge.latest()
  return (await bridge.waitFor((s) => s !== seen, 5_000, 'a fresh stats line')).counters
}

/** No framing error, no skipped byte, no drop but `provoked`. */
function expectClean(counters: CountersSnapshot, provoked: Partial<CountersSnapshot['drops']> = {}): void {
  expect(counters.framingErrors).toEqual({ zeroLength: 0, tooLong: 0, tooShort: 0, implausible: 0, cutByDisconnect: 0, slipEscape: 0 })
  expect(counters.bytesSkipped).toBe(0)
  expect(counters.drops).toEqual({ noLink: 0, tooBigForDevice: 0, tunWriteError: 0, backPressure: 0, otherEtherType: 0, notIp: 0, noDevice: 0, captureOverrun: 0, ...provoked })
}

/** SIGINT: exit 0 and final counters with no framing error, no skipped byte and no drop but `provoked`. */
async function expectCleanStop(link: GuestLink, provoked: Partial<CountersSnapshot['drops']> = {}): Promise<CountersSnapshot> {
  const { code, counters } = await link.bridge.stop('SIGINT')
  expect(code).toBe(0)
  expectClean(counters!, provoked)
  return counters!
}

/** Three pings answered, three of 1500 bytes (1514-byte frames) too. */
async function expectPings(link: GuestLink): Promise<void> {
  await link.traffic.expectPingsAnswered()
  await link.traffic.expectPingsAnswered(['-s', '1472', '-M', 'do'])
}

/**
 * Restarts the guest's QEMU; the bridge must count a reconnect, and the fresh guest answers
 * pings. Resolves with the packets dropped as noLink meanwhile (what the host sent while
 * QEMU was down: a retransmission, a late ACK).
 */
async function expectRestartReconnects(link: GuestLink): Promise<number> {
  const before = await countersNow(link.bridge)
  await link.guest.restart()
  console.log(`[qemuNic] ${link.guest.name}: restarted guest booted in ${link.guest.bootMs} ms`)
  const stats = await link.bridge.waitFor((s) => s.counters.reconnects > before.reconnects && s.link.status === 'connected', 30_000, 'the reconnect')
  expect(stats.counters.reconnects).toBe(before.reconnects + 1)
  await configureGuestNic(link.guest, `${DEVICE_IP}/24`)
  await link.traffic.expectPingsAnswered()
  const after = await countersNow(link.bridge)
  const noLink = after.drops.noLink - before.drops.noLink
  expect(noLink).toBeLessThanOrEqual(5)
  expectClean(after, { noLink: after.drops.noLink, tooBigForDevice: after.drops.tooBigForDevice })
  return noLink
}

// ------------------------------------------------------------------ the suites

describe.skipIf(skipNetns || skipGuest)('tunscope bridge --framing qemu --socket: a real guest on -netdev stream,server=on', () => {
  const link = useGuestLink(
    'tsqnon',
    (work) => ({ kind: 'stream', socketPath: join(work, 'net.sock'), server: true }),
    (work) => ['--socket', join(work, 'net.sock'), '--device-mac', GUEST_MAC]
  )
  let restartNoLink = 0

  it('sizes the TUN for 1514-byte frames (MTU 1500), as the guest e1000 is', async () => {
    const stats = await link().bridge.waitFor((s) => s.tun !== null)
    expect(stats.framing).toBe('qemu')
    expect(stats.tun).toMatchObject({ name: 'tun0', address: HOST_IP, prefixLength: 24, mtu: 1500, up: true })
    expect(await link().guest.runOk(`cat /sys/class/net/${GUEST_NIC}/mtu`)).toBe('1500\n')
  })

  it('answers ping, 1500-byte packets whole; the host refuses a bigger one; frames counted both ways, nothing lost', async () => {
    const before = await countersNow(link().bridge)
    await expectPings(link())
    // 6 echo requests and 6 replies: 3 × (4-byte length + 14 + 1500) and 3 × (4 + 14 + 84) bytes each way at least.
    const least = 3 * 1518 + 3 * 102
    const grown = (now: CountersSnapshot, then: CountersSnapshot, d: 'toDevice' | 'fromDevice'): boolean =>
      now[d].frames - then[d].frames >= 6 && now[d].bytes - then[d].bytes >= least
    const after = await link().bridge.waitFor((s) => grown(s.counters, before, 'toDevice') && grown(s.counters, before, 'fromDevice'), 5_000, 'the pings counted both ways')
    expect(after.device).toEqual({ mac: GUEST_MAC, ipv4: DEVICE_IP, conflict: null })
    expectClean(after.counters)

    // 1501 bytes with DF over a 1500-byte MTU: the host's kernel refuses it; it never reaches the bridge.
    const refused = await link().traffic.ping(['-c', '1', '-W', '1', '-s', '1473', '-M', 'do'])
    expect(refused.code).not.toBe(0)
    expect(refused.stdout).toMatch(/1 packets transmitted, 0 received/)
    const later = await countersNow(link().bridge)
    expect(later.toDevice.bytes - after.counters.toDevice.bytes).toBeLessThan(1501)
    expectClean(later)
  })

  it('drops and counts host packets over 1514-byte frames when the TUN lets them through', async () => {
    await link().traffic.expectTooBigDropped(link().bridge, 1500, 1600)
  })

  it('serves a 300 KB file over HTTP from busybox httpd in the guest, byte-exact', async () => {
    const sum = await link().guest.runOk('mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/blob bs=1k count=300 2>/dev/null && httpd -p 80 -h /tmp/www && sha256sum < /tmp/www/blob')
    const file = join(link().work, 'blob')
    const r = await link().ns.exec('curl', ['-sS', '--max-time', '60', '-o', file, '-w', '%{http_code} %{size_download}', `http://${DEVICE_IP}/blob`], { timeoutMs: 70_000 })
    expect(r.stdout, r.stderr).toBe(`200 ${300 * 1024}`)
    expect(`${sha256(readFileSync(file))}  -\n`).toBe(sum)
  }, 90_000)

  it('carries 4 MB of TCP from the host to the guest intact', async () => {
    await expectTcpToGuest(link(), 4 * MB)
  }, 150_000)

  it('carries 4 MB of TCP from the guest to the host intact', async () => {
    await expectTcpFromGuest(link(), 4 * MB)
  }, 150_000)

  it('carries UDP both ways: TFTP with 1468-byte blocks (1500-byte datagrams) from and to the host, intact', async () => {
    const dir = join(link().work, 'tftp')
    mkdirSync(dir)
    const data = randomBytes(256 * 1024 + 100)
    writeFileSync(join(dir, 'down'), data)
    await startHostPeer(link().ns, ['tftp-server', '6969', dir])
    await link().guest.runOk(`tftp -g -b 1468 -l /tmp/down -r down ${HOST_IP} 6969`, { timeoutMs: 60_000 })
    expect(await link().guest.runOk('wc -c < /tmp/down && md5sum < /tmp/down')).toBe(`${data.length}\n${md5(data)}  -\n`)
    await link().guest.runOk(`mv /tmp/down /tmp/up && tftp -p -b 1468 -l /tmp/up -r up ${HOST_IP} 6969`, { timeoutMs: 60_000 })
    expect(md5(readFileSync(join(dir, 'up')))).toBe(md5(data))
  }, 150_000)

  it('reconnects when the guest restarts (QEMU serves the socket again): reconnect counted, ping answered', async () => {
    restartNoLink = await expectRestartReconnects(link())
  }, BOOT_MS)

  it('stops with final counters: thousands of frames each way, no framing error, no drop but the two provoked and any while QEMU was down', async () => {
    const counters = await expectCleanStop(link(), { tooBigForDevice: 2, noLink: restartNoLink })
    expect(counters.fromDevice.frames).toBeGreaterThan(3000)
    expect(counters.toDevice.frames).toBeGreaterThan(3000)
    expect(counters.reconnects).toBe(1)
  })
})

describe.skipIf(skipNetns || skipGuest)('tunscope bridge --framing qemu --listen --socket: a real guest on -netdev stream,server=off', () => {
  const link = useGuestLink(
    'tsqnoff',
    (work) => ({ kind: 'stream', socketPath: join(work, 'net.sock'), server: false }),
    (work) => ['--listen', '--socket', join(work, 'net.sock'), '--device-mac', GUEST_MAC]
  )

  it('answers ping and carries 2 MB of TCP to the guest intact', async () => {
    await expectPings(link())
    await expectTcpToGuest(link(), 2 * MB)
    expectClean(await countersNow(link().bridge))
  }, 120_000)

  it('accepts the restarted QEMU (7.2 does not reconnect by itself): reconnect counted, ping answered', async () => {
    const noLink = await expectRestartReconnects(link())
    await expectCleanStop(link(), { noLink })
  }, BOOT_MS)
})

describe.skipIf(skipNetns || skipGuest)('tunscope bridge --framing qemu --tcp: a real guest on -netdev socket,listen= (the older socket NIC)', () => {
  const PORT = 5555
  const link = useGuestLink(
    'tsqnsock',
    () => ({ kind: 'socket-listen', host: '127.0.0.1', port: PORT }),
    () => ['--tcp', `127.0.0.1:${PORT}`, '--device-mac', GUEST_MAC]
  )

  it('answers ping and carries 2 MB of TCP each way intact', async () => {
    await expectPings(link())
    await expectTcpToGuest(link(), 2 * MB)
    await expectTcpFromGuest(link(), 2 * MB)
  }, 150_000)

  it('reconnects when the guest restarts, and stops with no framing error or drop', async () => {
    const noLink = await expectRestartReconnects(link())
    await expectCleanStop(link(), { noLink })
  }, BOOT_MS)
})

describe.skipIf(skipNetns || skipGuest)("tunscope bridge --framing qemu --tcp with QEMU's defaults: a real guest on -netdev stream,server=on over TCP, no --device-mac", () => {
  const PORT = 5556
  const link = useGuestLink(
    'tsqntcp',
    () => ({ kind: 'stream-tcp', host: '127.0.0.1', port: PORT, server: true }),
    () => ['--tcp', `127.0.0.1:${PORT}`] // the one command a user types: QEMU's default MAC is the bridge's default for qemu
  )
  let restartNoLink = 0

  it("reaches the guest before it has sent a frame the bridge could learn its MAC from", async () => {
    expect(link().bridge.latest()?.device.mac ?? null).toBeNull() // nothing proven yet: frames go to the default
    await expectPings(link())
    expect((await link().bridge.waitFor((s) => s.device.mac !== null)).device).toEqual({ mac: GUEST_MAC, ipv4: DEVICE_IP, conflict: null })
  })

  it('carries 1 MB of TCP each way intact', async () => {
    await expectTcpToGuest(link(), MB)
    await expectTcpFromGuest(link(), MB)
  }, 120_000)

  it('reaches the restarted guest first again (a new connection forgets the learned MAC); stops with no framing error or drop', async () => {
    restartNoLink = await expectRestartReconnects(link())
    await expectCleanStop(link(), { noLink: restartNoLink })
  }, BOOT_MS)
})

describe.skipIf(skipNetns || skipGuest)('tunscope bridge --framing qemu --listen --tcp: a real guest on -netdev stream,server=off over TCP', () => {
  const PORT = 5557
  // QEMU ≥ 8.0 connects again by itself (reconnect=1); 7.2 cannot, so there the guest restarts too
  const link = useGuestLink(
    'tsqntcpl',
    () => ({ kind: 'stream-tcp', host: '127.0.0.1', port: PORT, server: false, ...(qemuStreamReconnects ? { reconnect: 1 } : {}) }),
    () => ['--listen', '--tcp', `127.0.0.1:${PORT}`] // as the README has it: QEMU's default MAC is the bridge's default for qemu
  )

  it('answers ping from the host, and the guest pings the host', async () => {
    const stats = await link().bridge.waitFor((s) => s.link.status === 'connected')
    expect(stats.link).toMatchObject({ endpoint: `127.0.0.1:${PORT}`, connections: 1 })
    await expectPings(link())
    expect(await link().guest.runOk(`ping -c 3 -W 2 ${HOST_IP}`)).toMatch(/3 packets transmitted, 3 (packets )?received/)
    expectClean(await countersNow(link().bridge))
  }, 60_000)

  it('accepts the restarted QEMU: reconnect counted, ping answered', async () => {
    await expectRestartReconnects(link())
  }, BOOT_MS)

  it(`is reached again when tunscope restarts on the same port (${qemuStreamReconnects ? 'QEMU reconnect=1' : "QEMU 7.2 has no reconnect: QEMU restarts too"})`, async () => {
    const l = link()
    await expectCleanStop(l, { noLink: (await countersNow(l.bridge)).drops.noLink })
    l.bridge = startBridge(l.ns, ['--framing', 'qemu', '--tun', 'tun0', '--listen', '--tcp', `127.0.0.1:${PORT}`])
    if (!qemuStreamReconnects) await l.guest.restart()
    await l.bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 30_000, 'QEMU connecting to the restarted bridge')
    if (!qemuStreamReconnects) await configureGuestNic(l.guest, `${DEVICE_IP}/24`)
    await l.traffic.expectPingsAnswered()
    expect(await l.guest.runOk(`ping -c 2 -W 2 ${HOST_IP}`)).toMatch(/2 packets transmitted, 2 (packets )?received/)
    const counters = await expectCleanStop(l)
    expect(counters.reconnects).toBe(0)
  }, BOOT_MS)
})
