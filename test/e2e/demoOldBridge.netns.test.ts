// The demo device behind a host end that is not Tunscope's: the firmware's old
// host script (test/fixtures/old_host_bridge.py: no resync, ARP written to the
// TUN, every packet logged), with TUN MTU 1486. Whatever the demo sends must
// suit a naive bridge too, as the real firmware does.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { NET_TOOL, TUNSCOPE_BIN } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, pythonExecutable, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'

const DEVICE_IP = '192.168.100.2'
const OLD_BRIDGE = fileURLToPath(new URL('../fixtures/old_host_bridge.py', import.meta.url))

describe.skipIf(skipNetns)('tunscope demo behind the old host script', () => {
  let host: Netns
  let work: string
  let socket: string
  let demo: ChildProcess
  let bridgeLog = ''

  const node = (args: string[]) => host.exec(process.execPath, [NET_TOOL, ...args], { timeoutMs: 120_000 })
  const ping = (args: string[]) => host.exec('ping', ['-n', '-q', ...args, DEVICE_IP], { timeoutMs: 30_000 })
  const connections = () => bridgeLog.split('\n').filter((line) => line === 'connected').length

  async function until(what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; bridge log ends: ${bridgeLog.slice(-500)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** Starts `tunscope demo --baud 0`, waits for the old bridge to connect and the device's quiet first second. */
  async function startDemo(): Promise<void> {
    const before = connections()
    demo = host.spawn(process.execPath, [TUNSCOPE_BIN, 'demo', '--socket', socket, '--baud', '0'])
    await until('the old bridge to connect', () => connections() > before)
    await new Promise((resolve) => setTimeout(resolve, 1200))
  }

  /** Every host-side check of the acceptance list. */
  async function expectEverythingWorks(): Promise<void> {
    expect((await ping(['-c', '3', '-i', '0.2', '-W', '2'])).stdout).toMatch(/3 packets transmitted, 3 received/)
    expect((await ping(['-c', '3', '-i', '0.2', '-W', '2', '-s', '1458', '-M', 'do'])).stdout).toMatch(/3 packets transmitted, 3 received/)
    const http = await host.exec('curl', ['-sS', '--max-time', '30', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${DEVICE_IP}/bytes/100000`], { timeoutMs: 40_000 })
    expect(http.stdout).toBe('200 100000')
    expect(JSON.parse((await node(['tcp-echo-client', DEVICE_IP, '7', String(256 * 1024)])).stdout)).toMatchObject({ ok: true, received: 256 * 1024 })
    expect(JSON.parse((await node(['udp-echo-client', DEVICE_IP, '7', '30'])).stdout)).toMatchObject({ ok: true, echoed: 30 })
  }

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-oldbridge-'))
    socket = join(work, 'uart.sock')
    host = await createNamespace('tsold')
    const bridge = host.spawn(pythonExecutable(), [OLD_BRIDGE, socket, 'tun0'])
    bridge.stderr!.on('data', (d: Buffer) => (bridgeLog += d.toString()))
    await startDemo()
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('answers ping and 1486-byte pings, serves HTTP, echoes 256 KB of TCP intact and UDP', async () => {
    await expectEverythingWorks()
    expect(bridgeLog).not.toMatch(/TUN write failed|bad length/)
  })

  it('does all of it again after the demo device restarts', async () => {
    const exited = new Promise((resolve) => demo.once('exit', resolve))
    demo.kill('SIGTERM')
    await exited
    await startDemo()
    await expectEverythingWorks()
  })
})
