// What the several-devices suites share: the bridge's last line (`{ final: true, devices }`), a
// device that must first be found (the bridge learns each device's address from its frames, and
// a host packet for an address no device has shown yet may be lost while it asks), the TUN's own
// packet counters, pings counted, and Linux devices (uart_device.py) behind one bridge.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { expect } from 'vitest'

import type { BridgeStats, DeviceStats } from '../../src/engine/bridge.js'
import type { CountersSnapshot } from '../../src/engine/counters.js'
import { startBridge, type BridgeProcess } from './bridgeProcess.js'
import { createNamespace, startUartDevice, type Netns, type UartDeviceOptions } from './netns.js'

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The bridge's last --json line as it stops: the totals and each device's own. */
export interface FinalLine {
  final: true
  counters: CountersSnapshot
  devices: Pick<DeviceStats, 'name' | 'framing' | 'payload' | 'counters' | 'dhcp'>[]
}

/** Follows the bridge's stdout beside startBridge's own reader; `final()` is the final line once printed. */
export function followFinalLine(bridge: BridgeProcess): () => FinalLine | undefined {
  let buffered = ''
  let final: FinalLine | undefined
  bridge.child.stdout!.on('data', (chunk: string | Buffer) => {
    buffered += chunk.toString()
    let newline
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      if (line.includes('"final":true')) final = JSON.parse(line) as FinalLine
    }
  })
  return () => final
}

/** A stats line printed after this call (the counters then include what happened before it). */
export function freshStats(bridge: BridgeProcess, what = 'a fresh stats line'): Promise<BridgeStats> {
  const seen = bridge.latest()
  return bridge.waitFor((s) => s !== seen, 5_000, what)
}

/** The device named `name` in the stats. */
export function deviceIn(stats: BridgeStats, name: string): DeviceStats {
  const device = stats.devices.find((d) => d.name === name)
  if (!device) throw new Error(`no device ${name} in the stats: ${stats.devices.map((d) => d.name).join(', ')}`)
  return device
}

/** Pings `ip` from `ns` one at a time until one is answered (the bridge may drop the first while it finds the device). */
export async function pingUntilAnswered(ns: Netns, ip: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const r = await ns.exec('ping', ['-n', '-q', '-c', '1', '-W', '1', ip], { timeoutMs: 5_000 })
    if (/1 received/.test(r.stdout)) return
    if (Date.now() > deadline) throw new Error(`${ip} answered no ping from ${ns.name} within ${timeoutMs} ms:\n${r.stdout}${r.stderr}`)
    await sleep(200)
  }
}

/** `count` pings from `ns` to `ip`, `intervalS` apart; resolves with how many were answered. */
export async function pingCount(ns: Netns, ip: string, count: number, intervalS = 0.2): Promise<{ sent: number; received: number; output: string }> {
  const r = await ns.exec('ping', ['-n', '-q', '-c', String(count), '-i', String(intervalS), '-W', '2', ip], { timeoutMs: 15_000 + count * intervalS * 1000 + 5_000 })
  const m = /(\d+) packets transmitted, (\d+) received/.exec(r.stdout)
  if (!m) throw new Error(`ping ${ip} from ${ns.name} printed no summary:\n${r.stdout}${r.stderr}`)
  return { sent: Number(m[1]), received: Number(m[2]), output: r.stdout }
}

/** All `count` pings answered. */
export async function expectAllPingsAnswered(ns: Netns, ip: string, count = 3, intervalS = 0.2): Promise<void> {
  const r = await pingCount(ns, ip, count, intervalS)
  expect(r.received, `ping ${ip}: ${r.output}`).toBe(count)
}

/** The packets an interface of `ns` has received and sent (for a TUN: rx is what the bridge wrote into the host). */
export async function linkPackets(ns: Netns, dev: string): Promise<{ rx: number; tx: number }> {
  const r = await ns.exec('ip', ['-j', '-s', 'link', 'show', 'dev', dev], { check: true })
  const [link] = JSON.parse(r.stdout) as { stats64: { rx: { packets: number }; tx: { packets: number } } }[]
  return { rx: link!.stats64.rx.packets, tx: link!.stats64.tx.packets }
}

/** Drop causes the host side counts itself (no device has the address, a packet that is not IP, the capture's overruns): the totals add these to the devices'. */
const HOST_SIDE_DROPS = new Set(['noDevice', 'notIp', 'captureOverrun'])

/** The totals are the sum of the devices' counters: frames and bytes each way, reconnects, errors, drops (but the host side's own). */
export function expectTotalsAreTheSum(stats: { counters: CountersSnapshot; devices: { counters: CountersSnapshot }[] }): void {
  const sum = (pick: (c: CountersSnapshot) => number): number => stats.devices.reduce((n, d) => n + pick(d.counters), 0)
  const t = stats.counters
  expect(t.fromDevice.frames).toBe(sum((c) => c.fromDevice.frames))
  expect(t.fromDevice.bytes).toBe(sum((c) => c.fromDevice.bytes))
  expect(t.toDevice.frames).toBe(sum((c) => c.toDevice.frames))
  expect(t.toDevice.bytes).toBe(sum((c) => c.toDevice.bytes))
  expect(t.reconnects).toBe(sum((c) => c.reconnects))
  expect(t.proxyArpReplies).toBe(sum((c) => c.proxyArpReplies))
  expect(t.bytesSkipped).toBe(sum((c) => c.bytesSkipped))
  for (const kind of Object.keys(t.framingErrors) as (keyof CountersSnapshot['framingErrors'])[]) expect(t.framingErrors[kind], kind).toBe(sum((c) => c.framingErrors[kind]))
  for (const cause of Object.keys(t.drops) as (keyof CountersSnapshot['drops'])[]) {
    if (HOST_SIDE_DROPS.has(cause)) expect(t.drops[cause], cause).toBeGreaterThanOrEqual(sum((c) => c.drops[cause]))
    else expect(t.drops[cause], cause).toBe(sum((c) => c.drops[cause]))
  }
}

export interface Pinging {
  /** SIGINT: resolves with what was sent and answered, and the sequence numbers never answered. */
  stop(): Promise<{ transmitted: number; received: number; unanswered: number[]; output: string }>
}

/** Pings `ip` from `ns` every `intervalS` until stopped (for traffic that must go on through something else). */
export function startPinging(ns: Netns, ip: string, intervalS = 0.2): Pinging {
  const child = ns.spawn('ping', ['-n', '-i', String(intervalS), '-W', '2', ip])
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  return {
    async stop() {
      child.kill('SIGINT')
      await exited
      const m = /(\d+) packets transmitted, (\d+) received/.exec(output)
      if (!m) throw new Error(`ping ${ip} from ${ns.name} printed no summary:\n${output}`)
      const transmitted = Number(m[1])
      const answered = new Set([...output.matchAll(/bytes from \S+ icmp_seq=(\d+)/g)].map((a) => Number(a[1])))
      const unanswered: number[] = []
      for (let seq = 1; seq <= transmitted; seq++) if (!answered.has(seq)) unanswered.push(seq)
      return { transmitted, received: Number(m[2]), unanswered, output }
    }
  }
}

/** A device played by test/fixtures/uart_device.py: its name on the bridge, MAC and address. */
export interface UartDeviceSpec {
  name: string
  mac: string
  ip: string
}

export interface UartDevicesOnBridge {
  work: string
  host: Netns
  /** Each device's own namespace, by name. */
  devices: Map<string, Netns>
  bridge: BridgeProcess
}

/**
 * A host namespace running `tunscope bridge ...bridgeArgs --socket NAME=PATH ...` to one
 * uart_device.py per spec (each in a namespace of its own, with its MAC and address/24); resolves
 * once every link is up and the devices listen to their UARTs (past their first second).
 */
export async function uartDevicesOnBridge(prefix: string, specs: readonly UartDeviceSpec[], bridgeArgs: readonly string[], deviceOptions: UartDeviceOptions = {}): Promise<UartDevicesOnBridge> {
  const work = mkdtempSync(join(tmpdir(), `tunscope-${prefix}-`))
  const host = await createNamespace(`${prefix}h`)
  const devices = new Map<string, Netns>()
  let latest = 0
  for (const d of specs) {
    const ns = await createNamespace(`${prefix}${d.name}`)
    const device = await startUartDevice(ns, join(work, `${d.name}.sock`), { ...deviceOptions, ip: `${d.ip}/24`, mac: d.mac })
    latest = Math.max(latest, device.startupDiscardUntil)
    devices.set(d.name, ns)
  }
  const bridge = startBridge(host, [...bridgeArgs, ...specs.flatMap((d) => ['--socket', `${d.name}=${join(work, `${d.name}.sock`)}`])])
  await bridge.waitFor((s) => s.devices.length === specs.length && s.devices.every((d) => d.link.status === 'connected'), 15_000, 'the links')
  await sleep(Math.max(0, latest - Date.now())) // the firmware ignores its UART for its first second
  return { work, host, devices, bridge }
}
