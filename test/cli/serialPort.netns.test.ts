// `tunscope bridge --serial PATH`: the bridge on a real tty. socat makes the tty
// (a pty, raw, no echo, linked at PATH) and carries its other end to the
// firmware-like fixture (test/fixtures/uart_device.py, whose kernel answers
// in its own namespace), so the bridge opens, configures (8N1, raw, the baud)
// and reads a tty exactly as it would a USB adapter. A pty does not pace
// bytes at the baud: the line is as fast as the kernel, so utilization here is
// only checked as bytes/s against baud/10, not against a real line's timing.
// Killing socat is the USB adapter unplugged (the tty hangs up, its path goes
// away); a new socat at the same path is it plugged back in.
import { spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, netnsRequired, pythonExecutable, requireNetns, skipNetns, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'
import { asNobody, cliForNobody, exitOf, expectRefused, interfaceNames, LineLog, makeTunNode, sleep, stopChild, TUNSCOPE_BIN, tunscope } from './cliHelpers.js'

const DEVICE = '192.168.100.2'
const BAUD = 115200

const socatProblem = ((): string | undefined => {
  const r = spawnSync('socat', ['-V'], { encoding: 'utf8', timeout: 5_000 })
  return r.error || r.status !== 0 ? `socat is not runnable (apt-get install socat): ${r.error?.message ?? r.stderr}` : undefined
})()
if (socatProblem && !skipNetns && !netnsRequired) console.warn(`[serial] skipping the serial port tests: ${socatProblem}`)

describe.skipIf(skipNetns || (socatProblem !== undefined && !netnsRequired))('tunscope bridge --serial over a pty', () => {
  let work: string
  let host: Netns
  let dev: Netns
  let device: UartDevice
  let socat: ChildProcess | undefined
  let tty: string
  let bridge: BridgeProcess
  let log: LineLog

  /** socat: a raw pty linked at `tty`, its other end connected to the device's socket. */
  async function plugIn(): Promise<ChildProcess> {
    const child = dev.spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${tty}`, `unix-connect:${device.socketPath}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    await new LineLog(child.stderr!).waitFor(/starting data transfer loop/, 'socat', 0, 10_000)
    expect(existsSync(tty)).toBe(true)
    return child
  }

  async function unplug(): Promise<void> {
    const child = socat
    socat = undefined
    if (!child) return
    child.kill('SIGTERM')
    await exitOf(child)
  }

  const ping = (count: number) => host.exec('ping', ['-n', '-q', '-c', String(count), '-i', '0.2', '-W', '2', DEVICE], { timeoutMs: 30_000 })

  beforeAll(async () => {
    requireNetns()
    if (socatProblem) throw new Error(socatProblem)
    work = mkdtempSync(join(tmpdir(), 'tunscope-serial-'))
    tty = join(work, 'ttyDEV')
    host = await createNamespace('tsserh')
    dev = await createNamespace('tsserd')
    device = await startUartDevice(dev, join(work, 'device.sock'))
    socat = await plugIn()
  })

  afterAll(async () => {
    await unplug()
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('refuses hostile arguments in one sentence with exit 2, before anything is configured', async () => {
    const file = join(work, 'regular-file')
    writeFileSync(file, 'not a tty\n')
    mkdirSync(join(work, 'folder'))
    const refused = async (args: string[], ...patterns: RegExp[]): Promise<void> => {
      const r = await tunscope(['bridge', ...args, '--tun', 'tsser9'], { ns: host })
      expectRefused(r, ...patterns)
    }
    await refused(['--serial', join(work, 'ttyNOPE')], /--serial .*ttyNOPE does not exist/)
    await refused(['--serial', file], /regular-file is a regular file, not a serial port/)
    await refused(['--serial', join(work, 'folder')], /folder is a folder, not a serial port/)
    await refused(['--serial', '/dev/null'], /\/dev\/null is a character device but not a tty/)
    await refused(['--serial', tty, '--listen'], /--listen listens on a socket or a TCP address, and a serial port is neither/)
    await refused(['--serial', tty, '--serial', `slip:${tty}`], /is given for two devices; give each device its own/)
    await refused(['--serial', tty, '--serial', ''], /--serial is empty/)
    await refused(['--serial', `${tty}@12345`], /The baud of \S+@12345, 12345, is not a speed serial ports take; choose a standard rate/)
    await refused(['--serial', tty, '--baud', 'fast'], /--baud "fast" is not a number/)
    await refused(['--serial', tty, '--baud', '12345'], /--baud "12345" is not a speed serial ports take/)
    expect(await interfaceNames(host)).not.toContain('tsser9')
    // serve checks the port by the same rules before it serves anything (a port not plugged in yet it takes: Start says so)
    expectRefused(await tunscope(['serve', '--serial', file, '--port', '0'], { ns: host }), /The --serial path \S+regular-file is a regular file, not a serial port/)
    expectRefused(await tunscope(['serve', '--serial', join(work, 'folder'), '--port', '0'], { ns: host }), /folder is a folder, not a serial port/)
    expectRefused(await tunscope(['serve', '--serial', '', '--port', '0'], { ns: host }), /--serial is empty; give the serial device's path/)
    expectRefused(await tunscope(['serve', '--serial', tty, '--baud', '12345', '--port', '0'], { ns: host }), /--baud "12345" is not a speed serial ports take/)
  })

  it('opens the tty and a ping crosses it, 3 of 3', async () => {
    bridge = startBridge(host, ['--serial', tty, '--baud', String(BAUD), '--tun', 'tun0'])
    log = new LineLog(bridge.child.stderr!)
    const up = await bridge.waitFor((s) => s.link.status === 'connected', 15_000, 'the serial link')
    expect(up.link).toMatchObject({ endpoint: tty, connections: 1, attempt: 0, detail: null })
    await sleep(Math.max(0, device.startupDiscardUntil - Date.now()))
    const r = await ping(3)
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
  })

  it('counts, both ways, exactly the bytes that crossed the pty, and rates them against the baud', async () => {
    await sleep(1_000) // nothing in flight
    const crossed = await device.counters()
    expect(crossed.records_to_host).toBeGreaterThanOrEqual(3)
    const stats = await bridge.waitFor(
      (s) => s.counters.fromDevice.bytes === crossed.bytes_to_host && s.counters.toDevice.bytes === crossed.bytes_to_device + crossed.startup_discarded_bytes,
      5_000,
      `the bridge's counts to equal the device's (${crossed.bytes_to_host} bytes from it, ${crossed.bytes_to_device} + ${crossed.startup_discarded_bytes} to it)`
    )
    expect(stats.counters.fromDevice.frames).toBe(crossed.records_to_host)
    expect(Object.values(stats.counters.framingErrors).every((n) => n === 0)).toBe(true)
    expect(stats.counters.bytesSkipped).toBe(0)
    expect(crossed.bad_length_flushes).toBe(0)
    expect(stats.baud).toBe(BAUD)
    expect(stats.lineBytesPerSecond).toBe(BAUD / 10)

    // a second burst, rated in the 10 s window: bytes/s over baud/10 (8N1)
    expect((await ping(3)).stdout).toMatch(/3 packets transmitted, 3 received/)
    const rated = await bridge.waitFor((s) => s.rates.window10s.toDevice.bytesPerSecond > 0 && s.rates.window10s.fromDevice.bytesPerSecond > 0, 5_000, 'rates')
    for (const direction of [rated.rates.window10s.toDevice, rated.rates.window10s.fromDevice]) {
      expect(direction.utilization).toBeCloseTo(direction.bytesPerSecond / (BAUD / 10), 9)
      expect(direction.utilization).toBeGreaterThan(0)
      expect(direction.utilization).toBeLessThan(1)
    }
  })

  it('a port another program holds is "busy"; one the user may not open says to join the dialout group; both keep trying', async () => {
    // a second bridge (root) on the same tty: serialport locks the port (flock) once open
    const other = await createNamespace('tsserb')
    const second = startBridge(other, ['--serial', tty, '--tun', 'tun0'])
    const busy = await second.waitFor((s) => s.link.attempt >= 2, 10_000, 'the busy port')
    expect(busy.link).toMatchObject({ status: 'waiting', connections: 0, detail: 'the port is busy — another program (a serial monitor?) has it open' })
    expect((await second.stop('SIGINT')).code).toBe(0)

    // nobody, not in the tty's group (a pty is root:tty 0620, like root:dialout 0660 for /dev/ttyUSB0)
    const cli = cliForNobody()
    if ('problem' in cli) throw new Error(cli.problem)
    try {
      const ns = await createNamespace('tsserp')
      await ns.exec(process.execPath, [TUNSCOPE_BIN, 'tun', 'create', '--name', 'tsp0', '--user', 'nobody', '--host-ip', '192.168.100.1/24'], { check: true })
      const tunNode = join(work, 'tun-0666')
      makeTunNode(tunNode, '0666')
      chmodSync(work, 0o755) // nobody may see the tty's link, not open the tty
      const denied = startBridge(asNobody(ns, tunNode), ['--serial', tty, '--tun', 'tsp0'], cli.bin)
      const refused = await denied.waitFor((s) => s.link.attempt >= 2, 10_000, 'the denied port')
      expect(refused.link).toMatchObject({ status: 'waiting', connections: 0 })
      expect(refused.link.detail).toBe('permission denied — add yourself to the dialout group (sudo usermod -aG dialout $USER, then log in again)')
      expect((await denied.stop('SIGINT')).code).toBe(0)
    } finally {
      cli.cleanup()
    }
    // the first bridge never noticed
    expect(bridge.latest()!.link).toMatchObject({ status: 'connected', connections: 1 })
  })

  it('the device vanishing (socat killed) is a disconnect: "reconnecting" with one sentence, retried every second', async () => {
    await unplug()
    const down = await bridge.waitFor((s) => s.link.status === 'reconnecting', 10_000, 'reconnecting')
    expect(down.link).toMatchObject({ endpoint: tty, connections: 1 })
    expect(down.link.detail).toMatch(/^(the device went away \(unplugged\?\)|no such device — is it plugged in\?)$/)
    expect(existsSync(tty)).toBe(false)
    const later = await bridge.waitFor((s) => s.link.attempt >= down.link.attempt + 2, 10_000, 'two more attempts')
    expect(later.link).toMatchObject({ status: 'reconnecting', detail: 'no such device — is it plugged in?' })
    await log.waitFor(/^reconnecting to .*ttyDEV \(\d+, (the device went away|no such device)/, 'the reconnecting line')
    // host traffic with no link is dropped and counted, not queued
    expect((await ping(2)).stdout).toMatch(/2 packets transmitted, 0 received/)
    const dropped = await bridge.waitFor((s) => s.counters.drops.noLink >= 2, 5_000, 'no-link drops')
    expect(dropped.link.status).toBe('reconnecting')
  })

  it('the path coming back (a new socat) is connected again within about a second, and ping works', async () => {
    const from = log.lines.length
    socat = await plugIn()
    const plugged = Date.now()
    const connected = await log.waitFor(/^connected to .*ttyDEV/, 'the reconnect', from, 10_000)
    expect(connected.at - plugged).toBeLessThan(2_000)
    const up = await bridge.waitFor((s) => s.link.status === 'connected', 10_000, 'the link')
    expect(up.link).toMatchObject({ connections: 2, attempt: 0, detail: null })
    expect(up.counters.reconnects).toBe(1)
    expect((await ping(3)).stdout).toMatch(/3 packets transmitted, 3 received/)
    const { code, counters } = await bridge.stop('SIGINT')
    expect(code).toBe(0)
    expect(counters?.reconnects).toBe(1)
  })

  it('tunscope serve --serial --start bridges the same tty: a ping crosses it, 3 of 3', async () => {
    const server = host.spawn(process.execPath, [TUNSCOPE_BIN, 'serve', '--serial', tty, '--baud', String(BAUD), '--tun', 'tun0', '--port', '0', '--start'], {
      env: { ...process.env, XDG_CONFIG_HOME: join(work, 'serve-config') },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const out = new LineLog(server.stdout!)
    const err = new LineLog(server.stderr!)
    try {
      await out.waitFor(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/, 'the inspector address', 0, 15_000)
      // the link is up once a ping is answered; the TUN and the tty open as the bridge starts
      let answered = ''
      for (let tries = 0; tries < 10 && !/3 received/.test(answered); tries++) {
        if (tries > 0) await sleep(500)
        answered = (await ping(3)).stdout
      }
      expect(answered, err.text).toMatch(/3 packets transmitted, 3 received/)
      expect(err.text).not.toMatch(/tunscope: /) // no problem was said
    } finally {
      server.kill('SIGTERM')
      expect(await exitOf(server)).toMatchObject({ code: 0 })
    }
  })
})

describe.skipIf(skipNetns || (socatProblem !== undefined && !netnsRequired))('tunscope bridge --serial: a device that stops reading', () => {
  let work: string
  let socat: ChildProcess | undefined

  beforeAll(() => {
    requireNetns()
    if (socatProblem) throw new Error(socatProblem)
    work = mkdtempSync(join(tmpdir(), 'tunscope-serial-bp-'))
  })

  afterAll(async () => {
    await stopChild(socat)
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('fills the tty, then drops what does not fit as back-pressure; the link stays up and memory bounded', async () => {
    const host = await createNamespace('tsserbp')
    // a pty pair: the bridge on one end, a "device" on the other that opens it and never reads
    const device = join(work, 'ttyDEVICE')
    const bridgeEnd = join(work, 'ttyBRIDGE')
    socat = host.spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${bridgeEnd}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    await new LineLog(socat.stderr!).waitFor(/starting data transfer loop/, 'socat', 0, 10_000)
    const stuck = host.spawn(pythonExecutable(), ['-c', `import os, sys; fd = os.open(${JSON.stringify(device)}, os.O_RDWR | os.O_NOCTTY); print('open', flush=True); sys.stdin.read()`], { stdio: ['pipe', 'pipe', 'pipe'] })
    await new LineLog(stuck.stdout!).waitFor(/^open$/, 'the device end opened')

    const bridge = startBridge(host, ['--serial', bridgeEnd, '--baud', '9600', '--tun', 'tun0'])
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 15_000, 'the serial link')
    // about 4 MB towards a device that takes nothing: far more than the tty, socat and the bridge's bound hold
    const blast = [
      'import socket, time',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'for i in range(3000):',
      `    try: s.sendto(b'x' * 1400, ('${DEVICE}', 9))`,
      '    except OSError: time.sleep(0.001)',
      '    if i % 200 == 0: time.sleep(0.01)'
    ].join('\n')
    expect((await host.exec(pythonExecutable(), ['-c', blast], { timeoutMs: 30_000 })).code).toBe(0)
    const stats = await bridge.waitFor((s) => s.counters.drops.backPressure > 0, 10_000, 'back-pressure drops')
    expect(stats.link).toMatchObject({ status: 'connected', connections: 1 })
    const rss = await host.exec('ps', ['-o', 'rss=', '-p', String(bridge.child.pid)])
    expect(Number(rss.stdout.trim())).toBeLessThan(300 * 1024) // kB: the flood is not held in memory
    const { code, counters } = await bridge.stop('SIGINT')
    expect(code).toBe(0)
    expect(counters!.drops.backPressure).toBeGreaterThan(0)
    expect(counters!.toDevice.bytes).toBeLessThan(3000 * 1430 / 2)
    stuck.stdin!.end()
    await exitOf(stuck)
  })
})
