// `tunscope bridge --serial PATH --framing slip`: the bridge on a tty speaking
// SLIP, as a Zephyr board with CONFIG_SLIP_TAP on a USB serial adapter would.
// As in serialPort.netns.test.ts, socat makes the tty (a raw pty, no echo) and
// carries its other end to the firmware-like fixture, here with --framing slip
// (END, the Ethernet frame escaped, END), whose kernel answers in its own
// namespace.
import { spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, netnsRequired, requireNetns, skipNetns, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'
import { LineLog, sleep, stopChild } from './cliHelpers.js'

const DEVICE = '192.168.100.2'
const ZEPHYR_SLIP_MAC = '00:00:5e:00:53:01'

const socatProblem = ((): string | undefined => {
  const r = spawnSync('socat', ['-V'], { encoding: 'utf8', timeout: 5_000 })
  return r.error || r.status !== 0 ? `socat is not runnable (apt-get install socat): ${r.error?.message ?? r.stderr}` : undefined
})()

describe.skipIf(skipNetns || (socatProblem !== undefined && !netnsRequired))('tunscope bridge --serial --framing slip over a pty', () => {
  let work: string
  let host: Netns
  let device: UartDevice
  let socat: ChildProcess | undefined
  let bridge: BridgeProcess

  const ping = (args: string[]) => host.exec('ping', ['-n', '-q', '-c', '3', '-i', '0.2', '-W', '2', ...args, DEVICE], { timeoutMs: 30_000 })

  beforeAll(async () => {
    requireNetns()
    if (socatProblem) throw new Error(socatProblem)
    work = mkdtempSync(join(tmpdir(), 'tunscope-serial-slip-'))
    const tty = join(work, 'ttySLIP')
    host = await createNamespace('tssslh')
    const dev = await createNamespace('tsssld')
    device = await startUartDevice(dev, join(work, 'device.sock'), { framing: 'slip', mac: ZEPHYR_SLIP_MAC, maxFrame: 1514, mtu: 1500 })
    socat = dev.spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${tty}`, `unix-connect:${device.socketPath}`], { stdio: ['ignore', 'ignore', 'pipe'] })
    await new LineLog(socat.stderr!).waitFor(/starting data transfer loop/, 'socat', 0, 10_000)
    bridge = startBridge(host, ['--serial', tty, '--baud', '115200', '--framing', 'slip', '--tun', 'tun0'])
    await bridge.waitFor((s) => s.link.status === 'connected', 15_000, 'the serial link')
    await sleep(Math.max(0, device.startupDiscardUntil - Date.now()))
  }, 60_000)

  afterAll(async () => {
    await stopChild(socat)
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('pings the device across the tty, 3 of 3, and learns its MAC from its SLIP frames', async () => {
    expect((await ping([])).stdout).toMatch(/3 packets transmitted, 3 received/)
    const stats = await bridge.waitFor((s) => s.device.mac !== null, 5_000, 'the device MAC')
    expect(stats.framing).toBe('slip')
    expect(stats.device).toEqual({ mac: ZEPHYR_SLIP_MAC, ipv4: DEVICE, conflict: null })
  })

  it('carries 1500-byte IP packets (1514-byte frames, escaped) whole', async () => {
    expect((await ping(['-s', '1472', '-M', 'do'])).stdout).toMatch(/3 packets transmitted, 3 received/)
  })

  it('counts, both ways, exactly the bytes that crossed the pty, with no framing error on either side', async () => {
    await sleep(1_000) // nothing in flight
    const crossed = await device.counters()
    const toDevice = crossed.bytes_to_device + crossed.startup_discarded_bytes + crossed.slip_separator_bytes + crossed.slip_bad_bytes
    const stats = await bridge.waitFor(
      (s) => s.counters.fromDevice.bytes === crossed.bytes_to_host && s.counters.toDevice.bytes === toDevice,
      5_000,
      `the bridge's counts to equal the device's (${crossed.bytes_to_host} bytes from it, ${toDevice} to it)`
    )
    expect(stats.counters.fromDevice.frames).toBe(crossed.records_to_host)
    expect(crossed.records_to_device).toBeGreaterThanOrEqual(6)
    expect(Object.values(stats.counters.framingErrors).every((n) => n === 0)).toBe(true)
    expect(stats.counters.bytesSkipped).toBe(0)
    expect({ escapes: crossed.slip_bad_escapes, tooLong: crossed.slip_too_long, runts: crossed.slip_runts }).toEqual({ escapes: 0, tooLong: 0, runts: 0 })
    // END before and after every frame
    expect(crossed.bytes_to_host).toBe(crossed.frame_bytes_to_host + 2 * crossed.records_to_host + crossed.slip_escapes_to_host)
    const { code } = await bridge.stop('SIGINT')
    expect(code).toBe(0)
  })
})
