// A real QEMU guest on `-netdev stream` (QEMU serving the socket) behind `tunscope bridge --socket`:
// the bridge started, the guest booted, and the link waited for, as the guest suites share it.
import { join } from 'node:path'

import type { BridgeStats } from '../../src/engine/bridge.js'
import { startBridge, type BridgeProcess } from './bridgeProcess.js'
import type { Netns } from './netns.js'
import { bootGuest, type Guest } from './qemuGuest.js'

export interface GuestBehindBridgeOptions {
  /** The guest's name (and the suite's, in the boot-time line). */
  name: string
  ns: Netns
  /** Where the socket goes. */
  work: string
  /** The bridge's options besides --socket. */
  bridgeArgs: string[]
  /** The guest NIC's MAC; QEMU's default when left out. */
  mac?: string
  bootTimeoutMs: number
  /** The stats that say the link is ready. */
  ready: (stats: BridgeStats) => boolean
  readyWhat: string
}

export async function startGuestBehindBridge(o: GuestBehindBridgeOptions): Promise<{ bridge: BridgeProcess; guest: Guest }> {
  const socketPath = join(o.work, 'net.sock')
  const bridge = startBridge(o.ns, [...o.bridgeArgs, '--socket', socketPath])
  const guest = await bootGuest({ name: o.name, ns: o.ns, nic: { kind: 'stream', socketPath, server: true }, mac: o.mac, bootTimeoutMs: o.bootTimeoutMs })
  console.log(`[${o.name}] guest booted in ${guest.bootMs} ms`)
  await bridge.waitFor(o.ready, 30_000, o.readyWhat)
  return { bridge, guest }
}
