// `tunscope bridge` over each way of reaching the device: TCP client (QEMU's
// -serial tcp::PORT,server,nowait), unix server (--listen: QEMU connects to
// us), TCP server (--listen --tcp), and the default unix client with its reconnect backoff; host traffic
// with no link, full-size packets, the live pcapng stream and the plain
// final report. Everything runs in namespaces this file creates.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { deviceArpRequest, DEVICE_IP, DEVICE_MAC, ethernet, GATEWAY_MAC, HOST_IP, icmpEcho, ipv4, record } from '../helpers/frames.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'
import { exitOf, LineLog, lines, RecordReader, sleep, TCP_PEER, TUNSCOPE_BIN, tunscope } from './cliHelpers.js'

const DEVICE = '192.168.100.2'
const FINAL_BLOCK = [/^to device: +\d+ frames, \d+ bytes \(\d+ proxy ARP replies(, 1 ARP probe for its MAC)?\)$/, /^from device: +\d+ frames, \d+ bytes$/, /^framing errors: \d+ \(.*\); \d+ bytes skipped$/, /^drops: +\d+ \((none|.*no UART link \d+.*)\)(; \d+ packets? before the device connected \(not (a drop|drops)\))?$/, /^reconnects: +\d+$/]

const mac = (f: Buffer, at: number): Buffer => f.subarray(at, at + 6)
const isArpReply = (f: Buffer): boolean => f.length >= 42 && f.readUInt16BE(12) === 0x0806 && f.readUInt16BE(20) === 2
const isEchoReply = (id: number, seq: number) => (f: Buffer): boolean =>
  f.length >= 42 && f.readUInt16BE(12) === 0x0800 && f[23] === 1 && f[14 + (f[14]! & 0x0f) * 4] === 0 &&
  f.readUInt16BE(14 + (f[14]! & 0x0f) * 4 + 4) === id && f.readUInt16BE(14 + (f[14]! & 0x0f) * 4 + 6) === seq

/**
 * Plays the firmware on a raw UART stream: asks who has 192.168.100.1 and
 * expects the bridge's proxy ARP answer, then pings the host and expects the
 * host kernel's echo reply, both as records addressed to the device's MAC.
 */
async function deviceExchange(send: (bytes: Uint8Array) => void, reader: RecordReader, id: number): Promise<void> {
  const from = reader.frames.length
  send(record(deviceArpRequest(HOST_IP)))
  const arp = await reader.waitFor(isArpReply, 'the proxy ARP reply', from)
  expect(mac(arp, 0)).toEqual(Buffer.from(DEVICE_MAC))
  expect(mac(arp, 6)).toEqual(Buffer.from(GATEWAY_MAC))
  expect(arp.subarray(14, 22)).toEqual(Buffer.from([0, 1, 0x08, 0x00, 6, 4, 0, 2]))
  expect(mac(arp, 22)).toEqual(Buffer.from(GATEWAY_MAC)) // 192.168.100.1 is at 02:00:00:00:00:01
  expect(arp.subarray(28, 32)).toEqual(Buffer.from(HOST_IP))
  expect(mac(arp, 32)).toEqual(Buffer.from(DEVICE_MAC))
  expect(arp.subarray(38, 42)).toEqual(Buffer.from(DEVICE_IP))

  const data = Buffer.from(`tunscope transport test ${id}`)
  send(record(ethernet(GATEWAY_MAC, DEVICE_MAC, 0x0800, ipv4(DEVICE_IP, HOST_IP, 1, icmpEcho(8, id, 1, data), id))))
  const reply = await reader.waitFor(isEchoReply(id, 1), 'the echo reply from the host kernel', from)
  expect(mac(reply, 0)).toEqual(Buffer.from(DEVICE_MAC))
  expect(mac(reply, 6)).toEqual(Buffer.from(GATEWAY_MAC))
  expect(reply.readUInt16BE(12)).toBe(0x0800)
  expect(reply.subarray(26, 30)).toEqual(Buffer.from(HOST_IP))
  expect(reply.subarray(30, 34)).toEqual(Buffer.from(DEVICE_IP))
  expect(reply.subarray(14 + 20 + 8, 14 + 20 + 8 + data.length)).toEqual(data)
}

function connectUnix(path: string, reader: RecordReader): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path })
    socket.on('data', (chunk: Buffer) => reader.push(chunk))
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
  })
}

const waitForDeviceStartup = (device: UartDevice): Promise<void> => sleep(Math.max(0, device.startupDiscardUntil - Date.now()))

describe.skipIf(skipNetns)('tunscope bridge transports', () => {
  let work: string

  beforeAll(() => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-transports-'))
  })

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  describe('(a) --tcp HOST:PORT', () => {
    it('reaches a QEMU-like TCP server; proxy ARP and the host echo reply come back as records', async () => {
      const host = await createNamespace('tstcp')
      const peer = host.spawn(process.execPath, [TCP_PEER, '0'], { stdio: ['pipe', 'pipe', 'pipe'] })
      const peerLog = new LineLog(peer.stderr!)
      const port = Number((await peerLog.waitFor(/^listening \d+$/, 'the TCP peer')).text.split(' ')[1])
      const reader = new RecordReader()
      peer.stdout!.on('data', (chunk: Buffer) => reader.push(chunk))

      const bridge = startBridge(host, ['--tcp', `127.0.0.1:${port}`, '--tun', 'tun0'])
      const up = await bridge.waitFor((s) => s.link.status === 'connected', 15_000, 'the TCP link')
      expect(up.link).toMatchObject({ endpoint: `127.0.0.1:${port}`, connections: 1 })
      await peerLog.waitFor(/^connected$/, 'the bridge connecting')

      await deviceExchange((bytes) => peer.stdin!.write(bytes), reader, 0x7101)
      const after = await bridge.waitFor((s) => s.counters.proxyArpReplies >= 1 && s.counters.fromDevice.frames >= 2)
      expect(after.device).toMatchObject({ mac: '02:00:00:00:00:02', ipv4: DEVICE })
      expect(reader.partialBytes).toBe(0)

      const { code, counters } = await bridge.stop('SIGINT')
      expect(code).toBe(0)
      expect(counters?.fromDevice).toEqual({ frames: 2, bytes: 2 + 42 + 2 + 14 + 20 + 8 + `tunscope transport test ${0x7101}`.length })
      peer.stdin!.end()
    })
  })

  describe('(b) --listen: QEMU connects to the bridge', () => {
    let host: Netns
    let bridge: BridgeProcess
    let log: LineLog
    let socket: string

    beforeAll(async () => {
      host = await createNamespace('tslisten')
      socket = join(work, 'listen.sock')
      bridge = startBridge(host, ['--listen', '--socket', socket, '--tun', 'tun0'])
      log = new LineLog(bridge.child.stderr!)
    })

    it('says on stderr, before any device connects, that it waits for one on the socket', async () => {
      // The transport reports its first state ('waiting', detail 'listening') from inside
      // Bridge.start(), before runBridge subscribes to 'link': the line is never printed,
      // so a --listen bridge without a terminal is silent until QEMU connects.
      await bridge.waitFor((s) => s.link.status === 'waiting' && s.link.detail === 'listening', 10_000, 'the listening state')
      const line = await log.waitFor(/^waiting for the device at /, 'the waiting line', 0, 3_000).catch(() => undefined)
      expect(line?.text.startsWith(`waiting for the device at ${socket}`), `stderr so far: ${JSON.stringify(log.text)}`).toBe(true)
    })

    it('listens, and a connecting device gets proxy ARP and echo replies', async () => {
      const waiting = await bridge.waitFor((s) => s.tun !== null, 10_000, 'the bridge')
      expect(waiting.link).toMatchObject({ status: 'waiting', endpoint: socket, connections: 0 })
      expect(existsSync(socket)).toBe(true)

      const reader = new RecordReader()
      const qemu = await connectUnix(socket, reader)
      const up = await bridge.waitFor((s) => s.link.status === 'connected')
      expect(up.link.connections).toBe(1)
      await deviceExchange((bytes) => qemu.write(bytes), reader, 0x7201)
      qemu.destroy()

      const gone = await bridge.waitFor((s) => s.link.status !== 'connected', 10_000, 'the disconnect')
      expect(gone.link.status).toBe('reconnecting')
      expect(gone.counters.reconnects).toBe(0)
    })

    it('a device connecting again works, and reconnects counts it', async () => {
      const reader = new RecordReader()
      const qemu = await connectUnix(socket, reader)
      const up = await bridge.waitFor((s) => s.link.status === 'connected', 10_000, 'the second connection')
      expect(up.link.connections).toBe(2)
      expect(up.counters.reconnects).toBe(1)
      await deviceExchange((bytes) => qemu.write(bytes), reader, 0x7202)
      qemu.destroy()
      await bridge.waitFor((s) => s.link.status === 'reconnecting', 10_000, 'the second disconnect')

      // the link lines on stderr cycle: connected → reconnecting → connected → reconnecting
      // (the first 'waiting' line is the subject of the test above)
      const linkLines = log.lines.map((l) => l.text).filter((t) => /^(connected to|reconnecting to) /.test(t))
      expect(linkLines.map((t) => t.split(' ')[0])).toEqual(['connected', 'reconnecting', 'connected', 'reconnecting'])

      const { code, counters } = await bridge.stop('SIGINT')
      expect(code).toBe(0)
      expect(counters?.reconnects).toBe(1)
      expect(counters?.proxyArpReplies).toBe(2)
    })

    it('a --listen path that cannot be bound is a one-sentence error with exit 2, not a crash', async () => {
      // /proc refuses new files even to root: listen() fails with EACCES
      const r = await tunscope(['bridge', '--listen', '--socket', '/proc/tsx.sock', '--tun', 'tslst1'], { ns: host })
      expect(r.stdout).toBe('')
      expect(r.stderr).not.toMatch(/^\s+at /m) // no stack trace
      expect(lines(r.stderr).filter((l) => l.trim() !== '').at(-1)).toMatch(/^tunscope: .*\/proc\/tsx\.sock/)
      expect(r.code).toBe(2)
    })
  })

  describe('(g) --listen --tcp HOST:PORT: QEMU connects to the bridge over TCP', () => {
    const PORT = 5601
    let host: Netns
    let bridge: BridgeProcess

    /** A QEMU-like TCP client (`-netdev stream,server=off`) in the namespace, retrying until the bridge listens. */
    async function startTcpClient(): Promise<{ send(bytes: Uint8Array): void; reader: RecordReader; log: LineLog; close(): void }> {
      const client = host.spawn(process.execPath, [TCP_PEER, 'connect', '127.0.0.1', String(PORT)], { stdio: ['pipe', 'pipe', 'pipe'] })
      const log = new LineLog(client.stderr!)
      const reader = new RecordReader()
      client.stdout!.on('data', (chunk: Buffer) => reader.push(chunk))
      await log.waitFor(/^connected$/, 'the client connecting')
      return { send: (bytes) => client.stdin!.write(bytes), reader, log, close: () => client.stdin!.end() }
    }

    beforeAll(async () => {
      host = await createNamespace('tstcpl')
      bridge = startBridge(host, ['--listen', '--tcp', `127.0.0.1:${PORT}`, '--tun', 'tun0'])
    })

    it('listens on HOST:PORT, and a connecting device gets proxy ARP and the host echo reply', async () => {
      const waiting = await bridge.waitFor((s) => s.tun !== null, 10_000, 'the bridge')
      expect(waiting.link).toMatchObject({ status: 'waiting', endpoint: `127.0.0.1:${PORT}`, connections: 0, detail: 'listening' })
      const qemu = await startTcpClient()
      const up = await bridge.waitFor((s) => s.link.status === 'connected', 10_000, 'the TCP link')
      expect(up.link).toMatchObject({ endpoint: `127.0.0.1:${PORT}`, connections: 1 })
      await deviceExchange(qemu.send, qemu.reader, 0x7301)
      expect(qemu.reader.partialBytes).toBe(0)
      qemu.close()
      const gone = await bridge.waitFor((s) => s.link.status !== 'connected', 10_000, 'the disconnect')
      expect(gone.link).toMatchObject({ status: 'reconnecting', detail: 'listening' })
      expect(gone.counters.reconnects).toBe(0)
    })

    it('takes one device at a time: a second connection waits until the first closes, then works, and reconnects counts it', async () => {
      const first = await startTcpClient()
      await bridge.waitFor((s) => s.link.status === 'connected' && s.link.connections === 2, 10_000, 'the first connection')
      const second = await startTcpClient() // accepted by the kernel, waiting its turn in the bridge
      await sleep(300)
      expect(bridge.latest()!.link.connections).toBe(2)
      first.close()
      const up = await bridge.waitFor((s) => s.link.status === 'connected' && s.link.connections === 3, 10_000, 'the waiting connection taking over')
      expect(up.counters.reconnects).toBe(2)
      await deviceExchange(second.send, second.reader, 0x7302)
      second.close()
      await bridge.waitFor((s) => s.link.status === 'reconnecting', 10_000, 'the last disconnect')
    })

    it('a port another program holds is one sentence naming HOST:PORT, exit 2', async () => {
      // the bridge above holds it
      const r = await tunscope(['bridge', '--listen', '--tcp', `127.0.0.1:${PORT}`, '--tun', 'tstcpl1'], { ns: host })
      expect(r.stdout).toBe('')
      expect(r.stderr).not.toMatch(/^\s+at /m)
      expect(lines(r.stderr).filter((l) => l.trim() !== '').at(-1)).toBe(`tunscope: tcp 127.0.0.1:${PORT} is already in use by another program; stop it or choose another port.`)
      expect(r.code).toBe(2)
    })

    it('an address that is not this machine\'s is one sentence, exit 2', async () => {
      const r = await tunscope(['bridge', '--listen', '--tcp', '192.0.2.7:5602', '--tun', 'tstcpl2'], { ns: host })
      expect(r.stdout).toBe('')
      expect(r.stderr).not.toMatch(/^\s+at /m)
      expect(lines(r.stderr).filter((l) => l.trim() !== '').at(-1)).toMatch(/^tunscope: Cannot listen on tcp 192\.0\.2\.7:5602: 192\.0\.2\.7 is not an address of this machine; give 127\.0\.0\.1 /)
      expect(r.code).toBe(2)
    })

    it('stops cleanly with the reconnects counted; the port is free again at once', async () => {
      const { code, counters } = await bridge.stop('SIGINT')
      expect(code).toBe(0)
      expect(counters?.reconnects).toBe(2)
      expect(counters?.proxyArpReplies).toBe(2)
      // a restarted bridge can listen on the same port at once (TIME_WAIT from the old connections does not block it)
      bridge = startBridge(host, ['--listen', '--tcp', `127.0.0.1:${PORT}`, '--tun', 'tun0'])
      const qemu = await startTcpClient()
      await bridge.waitFor((s) => s.link.status === 'connected', 10_000, 'the link after the restart')
      await deviceExchange(qemu.send, qemu.reader, 0x7303)
      qemu.close()
      expect((await bridge.stop('SIGINT')).code).toBe(0)
    })
  })

  describe('(c)(d) the default unix client: waiting, reconnect backoff, drops with no link, full-size packets', () => {
    let host: Netns
    let dev: Netns
    let bridge: BridgeProcess
    let log: LineLog
    let socket: string
    let device: UartDevice

    const ping = (args: string[]) => host.exec('ping', ['-n', '-q', ...args, DEVICE], { timeoutMs: 30_000 })

    beforeAll(async () => {
      host = await createNamespace('tsclh')
      dev = await createNamespace('tscld')
      socket = join(work, 'client.sock')
      bridge = startBridge(host, ['--socket', socket, '--tun', 'tun0', '--mtu', '1486', '--max-frame', '1500'])
      log = new LineLog(bridge.child.stderr!)
    })

    it('(c) before any device exists the link is "waiting", and it keeps trying', async () => {
      const first = await bridge.waitFor((s) => s.tun !== null && s.link.attempt >= 1, 10_000, 'a first attempt')
      expect(first.link).toMatchObject({ status: 'waiting', endpoint: socket, connections: 0 })
      const later = await bridge.waitFor((s) => s.link.attempt > first.link.attempt, 10_000, 'another attempt')
      expect(later.link.status).toBe('waiting')
      expect(later.tun).toMatchObject({ name: 'tun0', mtu: 1486, up: true, address: '192.168.100.1', prefixLength: 24 })
    })

    it('(d) host packets sent before any device connected count apart, not as drops', async () => {
      const before = bridge.latest()!.counters
      const r = await ping(['-c', '3', '-i', '0.2', '-W', '1'])
      expect(r.stdout).toMatch(/3 packets transmitted, 0 received/)
      const after = await bridge.waitFor((s) => s.counters.beforeDevice >= before.beforeDevice + 3, 10_000, 'the packets before the device')
      expect(after.counters.drops.noLink).toBe(0)
      expect(after.counters.toDevice.frames).toBe(0)
      expect(after.link.status).toBe('waiting')
    })

    it('(c) a device appearing is connected to', async () => {
      device = await startUartDevice(dev, socket)
      const up = await bridge.waitFor((s) => s.link.status === 'connected', 10_000, 'the UART link')
      expect(up.link).toMatchObject({ attempt: 0, connections: 1 })
      expect(up.counters.reconnects).toBe(0)
    })

    it('(d) a full 1486-byte IPv4 packet (1500-byte frame) passes, nothing is too big for the device', async () => {
      await waitForDeviceStartup(device)
      const r = await ping(['-c', '3', '-i', '0.2', '-W', '2', '-s', '1458', '-M', 'do'])
      expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
      // one byte more cannot leave the host: the TUN's MTU stops it before the bridge
      const over = await host.exec('ping', ['-n', '-c', '1', '-W', '1', '-s', '1459', '-M', 'do', DEVICE], { timeoutMs: 30_000 })
      expect(over.code).not.toBe(0)
      expect(over.stderr).toMatch(/message too long, mtu\s*=\s*1486/i)
      const stats = await bridge.waitFor((s) => s.counters.fromDevice.frames >= 3)
      expect(stats.counters.drops.tooBigForDevice).toBe(0)
      expect(stats.counters.framingErrors.tooLong).toBe(0)
    })

    it('(c) the device going away: "reconnecting", the attempt counting up, retries capped at 1 s apart', async () => {
      await device.stop()
      const down = await bridge.waitFor((s) => s.link.status === 'reconnecting', 10_000, 'reconnecting')
      expect(down.link.connections).toBe(1)
      const later = await bridge.waitFor((s) => s.link.status === 'reconnecting' && s.link.attempt > down.link.attempt, 10_000, 'a later attempt')
      expect(later.link.detail).toBeTruthy()
      // 50+100+200+400+800 ms, then 1 s each: from attempt 7 on the backoff sits at its cap
      const capped = await bridge.waitFor((s) => s.link.attempt >= 7, 15_000, 'attempt 7')
      const t0 = Date.now()
      await bridge.waitFor((s) => s.link.attempt >= capped.link.attempt + 4, 15_000, 'four more attempts')
      const elapsed = Date.now() - t0
      // four attempts 1 s apart, seen through once-a-second stats: about 4 s (uncapped doubling
      // would need over 20 s; a cap under 1 s would need under 2 s)
      expect(elapsed).toBeGreaterThan(2_500)
      expect(elapsed).toBeLessThan(6_500)
      expect(bridge.latest()!.link.status).toBe('reconnecting')
    })

    it('(c) the device returning is reconnected to within about 1 s, and counted', async () => {
      const from = log.lines.length
      device = await startUartDevice(dev, socket) // resolves once it listens
      const listening = Date.now()
      const connected = await log.waitFor(/^connected to /, 'the reconnect', from, 10_000)
      expect(connected.at - listening).toBeLessThan(1600)
      const up = await bridge.waitFor((s) => s.link.status === 'connected', 10_000, 'the link')
      expect(up.link).toMatchObject({ connections: 2, attempt: 0 })
      expect(up.counters.reconnects).toBe(1)
      await waitForDeviceStartup(device)
      const r = await ping(['-c', '3', '-i', '0.2', '-W', '2'])
      expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
      const { code } = await bridge.stop('SIGINT')
      expect(code).toBe(0)
    })
  })

  describe('(e)(f) --pcap - on a pipe, and the plain report on SIGINT', () => {
    it('streams a pcapng that tshark reads live and afterwards, both directions; stderr ends with the counters, no \\r', async () => {
      const host = await createNamespace('tspcaph')
      const dev = await createNamespace('tspcapd')
      const socket = join(work, 'pcap.sock')
      const file = join(work, 'stream.pcapng')
      const device = await startUartDevice(dev, socket)

      const bridge = host.spawn(process.execPath, [TUNSCOPE_BIN, 'bridge', '--socket', socket, '--tun', 'tun0', '--pcap', '-'], { stdio: ['ignore', 'pipe', 'pipe'] })
      const stderr = new LineLog(bridge.stderr!)
      // The same bytes go to a file and, as they arrive, to tshark reading a pipe (tshark
      // refuses a socket as standard input, and node hands children socket pairs: hence cat).
      const live = spawn('sh', ['-c', 'cat | exec tshark -r - -T fields -e frame.p2p_dir -e _ws.col.Protocol'], { stdio: ['pipe', 'pipe', 'pipe'] })
      live.stdin!.on('error', () => {}) // tshark may stop reading first; its exit code tells
      const liveOut = collect(live)
      const out = createWriteStream(file)
      bridge.stdout!.on('data', (chunk: Buffer) => {
        out.write(chunk)
        live.stdin!.write(chunk)
      })
      const bridgeExit = exitOf(bridge)

      await stderr.waitFor(/^connected to /, 'the UART link', 0, 15_000)
      await waitForDeviceStartup(device)
      const r = await host.exec('ping', ['-n', '-q', '-c', '4', '-i', '0.2', '-W', '2', DEVICE], { timeoutMs: 30_000 })
      expect(r.stdout).toMatch(/4 packets transmitted, 4 received/)

      bridge.kill('SIGINT')
      const { code } = await bridgeExit
      await new Promise<void>((resolve) => out.end(resolve))
      live.stdin!.end()
      const liveResult = await liveOut

      // (f) the plain report
      expect(code).toBe(0)
      expect(stderr.text).not.toContain('\r')
      expect(stderr.text).not.toContain('\x1b')
      const err = stderr.lines.map((l) => l.text)
      const block = err.slice(-FINAL_BLOCK.length)
      FINAL_BLOCK.forEach((re, i) => expect(block[i]).toMatch(re))
      const toDevice = Number(/^to device: +(\d+) frames/.exec(block[0]!)![1])
      const fromDevice = Number(/^from device: +(\d+) frames/.exec(block[1]!)![1])
      expect(block[4]).toBe('reconnects:     0')

      // (e) the live stream
      expect(liveResult.code, liveResult.stderr).toBe(0)
      const liveRows = lines(liveResult.stdout).map((l) => l.split('\t'))
      expect(liveRows.filter(([dir, proto]) => dir === '0' && proto === 'ICMP').length).toBeGreaterThanOrEqual(4) // to the device
      expect(liveRows.filter(([dir, proto]) => dir === '1' && proto === 'ICMP').length).toBeGreaterThanOrEqual(4) // from the device

      // (e) the same bytes as a file, read after the bridge stopped
      const read = await collect(spawn('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.p2p_dir', '-e', '_ws.col.Protocol', '-e', '_ws.malformed'], { stdio: ['ignore', 'pipe', 'pipe'] }))
      expect(read.code, read.stderr).toBe(0)
      expect(read.stderr).not.toMatch(/cut short|damaged|corrupt/i)
      const rows = lines(read.stdout).map((l) => l.split('\t'))
      expect(rows.map((r) => r.slice(0, 2))).toEqual(liveRows)
      expect(rows.filter((r) => r[2] !== '')).toEqual([])
      expect(rows.filter((r) => r[0] === '0')).toHaveLength(toDevice)
      expect(rows.filter((r) => r[0] === '1')).toHaveLength(fromDevice)
      await device.stop()
    })

    it('--quiet prints only the final counters', async () => {
      const host = await createNamespace('tsquiet')
      const bridge = host.spawn(process.execPath, [TUNSCOPE_BIN, 'bridge', '--quiet', '--socket', join(work, 'nobody-here.sock'), '--tun', 'tun0'], { stdio: ['ignore', 'pipe', 'pipe'] })
      const output = collect(bridge)
      await sleep(1500)
      bridge.kill('SIGINT')
      const { code, stdout, stderr } = await output
      expect(code).toBe(0)
      expect(stdout).toBe('')
      const err = lines(stderr)
      expect(err).toHaveLength(FINAL_BLOCK.length)
      FINAL_BLOCK.forEach((re, i) => expect(err[i]).toMatch(re))
    })
  })
})

function collect(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s))
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}
