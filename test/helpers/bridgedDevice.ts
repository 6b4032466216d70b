// The end-to-end bridge tests' setup and traffic: a host namespace running
// `tunscope bridge` and a device namespace whose kernel answers behind the
// firmware-like fixture, and what ping, TCP and HTTP between them must show,
// whatever framing carries them.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { expect } from 'vitest'

import type { FramingErrorKind } from '../../src/engine/counters.js'
import { NET_TOOL, startBridge, type BridgeProcess } from './bridgeProcess.js'
import { createNamespace, startUartDevice, type ExecResult, type Netns, type UartDevice, type UartDeviceOptions } from './netns.js'

export interface DeviceTraffic {
  /** ping from the host to the device with these options (-n -q added). */
  ping(args: string[]): Promise<ExecResult>
  /** Runs a net_tool command in `ns`. */
  netTool(ns: Netns, args: string[], timeoutMs?: number): Promise<ExecResult>
  /** Starts a net_tool server in `ns`; resolves once it says it is ready. */
  startServer(ns: Netns, args: string[]): Promise<void>
  /** Three pings (with `extra` options, e.g. a size) all answered. */
  expectPingsAnswered(extra?: string[]): Promise<void>
  /** `bytes` of TCP sent to the device's echo server on port 7 and back at once, intact. */
  expectTcpEcho(bytes: number): Promise<void>
  /** The device's HTTP server on port 80 serves 200 000 bytes. */
  expectHttp(): Promise<void>
  /** With tun0's MTU raised to `packetBytes` for a moment, two pings that size are dropped and counted as too big for the device. */
  expectTooBigDropped(bridge: BridgeProcess, tunMtu: number, packetBytes: number): Promise<void>
  /**
   * The device injects junk between records: the bridge skips exactly those bytes, counts exactly
   * `errors` (default one too-long episode: the length-prefix junk) and keeps the link.
   */
  expectJunkResync(bridge: BridgeProcess, device: UartDevice, errors?: Partial<Record<FramingErrorKind, number>>): Promise<void>
}

export function deviceTraffic(host: Netns, deviceIp: string): DeviceTraffic {
  const traffic: DeviceTraffic = {
    ping: (args) => host.exec('ping', ['-n', '-q', ...args, deviceIp], { timeoutMs: 30_000 }),
    netTool: (ns, args, timeoutMs = 60_000) => ns.exec(process.execPath, [NET_TOOL, ...args], { timeoutMs }),
    async startServer(ns, args) {
      const child = ns.spawn(process.execPath, [NET_TOOL, ...args])
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve())
        child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)))
      })
    },
    async expectPingsAnswered(extra = []) {
      const r = await traffic.ping(['-c', '3', '-i', '0.2', '-W', '2', ...extra])
      expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
    },
    async expectTcpEcho(bytes) {
      const r = await traffic.netTool(host, ['tcp-echo-client', deviceIp, '7', String(bytes)])
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, received: bytes })
    },
    async expectHttp() {
      const r = await host.exec('curl', ['-sS', '--max-time', '20', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${deviceIp}/bytes/200000`])
      expect(r.stdout).toBe('200 200000')
    },
    async expectTooBigDropped(bridge, tunMtu, packetBytes) {
      const before = (await bridge.waitFor(() => true)).counters
      await host.exec('ip', ['link', 'set', 'dev', 'tun0', 'mtu', String(packetBytes)], { check: true })
      try {
        const r = await traffic.ping(['-c', '2', '-i', '0.2', '-W', '1', '-s', String(packetBytes - 28), '-M', 'do'])
        expect(r.stdout).toMatch(/2 packets transmitted, 0 received/)
      } finally {
        await host.exec('ip', ['link', 'set', 'dev', 'tun0', 'mtu', String(tunMtu)], { check: true })
      }
      const after = (await bridge.waitFor((s) => s.counters.drops.tooBigForDevice >= before.drops.tooBigForDevice + 2, 5000, 'the oversize drops')).counters
      expect(after.drops.tooBigForDevice - before.drops.tooBigForDevice).toBe(2)
    },
    async expectJunkResync(bridge, device, errors = { tooLong: 1 }) {
      const before = (await bridge.waitFor(() => true)).counters
      const injected = await device.injectJunk()
      expect(injected).toBeGreaterThan(0)
      await traffic.expectPingsAnswered()
      const kinds = Object.keys(before.framingErrors) as FramingErrorKind[]
      const counted = (s: { counters: typeof before }): Record<FramingErrorKind, number> =>
        Object.fromEntries(kinds.map((k) => [k, s.counters.framingErrors[k] - before.framingErrors[k]])) as Record<FramingErrorKind, number>
      const expected = Object.fromEntries(kinds.map((k) => [k, errors[k] ?? 0]))
      // Wait for the episodes' end: while a hunt is under way, the bytes it still holds are not counted yet.
      const settled = await bridge.waitFor((s) => kinds.every((k) => counted(s)[k] >= expected[k]!), 5000, 'the end of the junk episodes')
      const after = settled.counters
      expect(after.bytesSkipped - before.bytesSkipped).toBe(injected)
      // The length-prefix junk starts with a length over the limit: one desync episode of that kind.
      // SLIP's is a slot with a bad escape and an over-long slot: one error each, END resyncs.
      expect(counted(settled)).toEqual(expected)
      expect(after.reconnects).toBe(before.reconnects)
    }
  }
  return traffic
}

export interface BridgedDevice {
  host: Netns
  dev: Netns
  device: UartDevice
  bridge: BridgeProcess
  /** Where the bridge writes its capture (--pcap). */
  pcapPath: string
  traffic: DeviceTraffic
  /** Removes the temporary folder (the namespaces go with destroyAll). */
  removeFiles(): void
}

export interface BridgedDeviceOptions {
  /** Namespace name prefix: `<prefix>host`, `<prefix>dev`. */
  prefix: string
  device?: UartDeviceOptions
  /** Flags for `tunscope bridge` besides --socket, --tun tun0 and --pcap. */
  bridgeArgs?: string[]
  /** net_tool servers to start in the device namespace. */
  servers: string[][]
}

/** Everything up and connected, past the fixture's first second of ignored input. */
export async function startBridgedDevice(o: BridgedDeviceOptions): Promise<BridgedDevice> {
  const work = mkdtempSync(join(tmpdir(), `tunscope-${o.prefix}-`))
  const removeFiles = (): void => rmSync(work, { recursive: true, force: true })
  try {
    const pcapPath = join(work, 'capture.pcapng')
    const host = await createNamespace(`${o.prefix}host`)
    const dev = await createNamespace(`${o.prefix}dev`)
    const traffic = deviceTraffic(host, '192.168.100.2')
    const socket = join(work, 'uart.sock')
    const device = await startUartDevice(dev, socket, o.device)
    const bridge = startBridge(host, [...(o.bridgeArgs ?? []), '--socket', socket, '--tun', 'tun0', '--pcap', pcapPath])
    await bridge.waitFor((s) => s.link.status === 'connected', 15_000, 'the link to the device')
    // The firmware ignores the UART for its first second.
    await new Promise((r) => setTimeout(r, Math.max(0, device.startupDiscardUntil - Date.now())))
    for (const server of o.servers) await traffic.startServer(dev, server)
    return { host, dev, device, bridge, pcapPath, traffic, removeFiles }
  } catch (error) {
    removeFiles()
    throw error
  }
}
