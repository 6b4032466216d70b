// The host's TUN changes under a running `tunscope bridge`: it is taken down,
// deleted, and made again. The bridge says so (status line, --json), names
// the kernel's errors, and bridges again once a TUN of that name is back.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge, type BridgeProcess } from '../helpers/bridgeProcess.js'
import { DEVICE_MAC, record } from '../helpers/frames.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from '../helpers/netns.js'
import { echoRequestFrom, PeerServer, pingAs } from '../helpers/uartPeer.js'

const TUN = 'tsgone0'

describe.skipIf(skipNetns)('tunscope bridge when its TUN changes under it', () => {
  let work: string
  let host: Netns
  let peer: PeerServer
  let bridge: BridgeProcess
  let seq = 1

  const ip = (...args: string[]) => host.exec('ip', args, { check: true })
  /** Sends one echo request and resolves once the bridge has counted it. */
  const sendOne = async (): Promise<void> => {
    const before = bridge.latest()!.counters.fromDevice.frames
    await peer.send(record(echoRequestFrom(DEVICE_MAC, seq++)))
    await bridge.waitFor((s) => s.counters.fromDevice.frames > before, 5_000, 'the frame counted')
  }

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-vanish-'))
    host = await createNamespace('tsvanish')
    peer = new PeerServer(join(work, 'uart.sock'))
    await peer.listen()
    bridge = startBridge(host, ['--socket', peer.path, '--tun', TUN])
    await peer.connection()
    await bridge.waitFor((s) => s.link.status === 'connected' && s.tunStatus === 'up', 15_000, 'the bridge')
  })

  afterAll(async () => {
    peer?.close()
    if (bridge?.child.exitCode === null) await bridge.stop()
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('bridges pings while the TUN is up', async () => {
    await pingAs(peer, DEVICE_MAC, seq, 2)
    seq += 30
  })

  it('reports a TUN taken down, names the kernel\'s refusal (EIO), and bridges again once it is up', async () => {
    await ip('link', 'set', TUN, 'down')
    const down = await bridge.waitFor((s) => s.tunStatus === 'down', 5_000, 'the down state')
    expect(down.tunProblem).toBe(`${TUN} is down; the kernel refuses packets from the device until it is up again.`)
    expect(down.link.status).toBe('connected')
    const errors = down.counters.drops.tunWriteError
    await sendOne()
    const refused = await bridge.waitFor((s) => s.counters.drops.tunWriteError > errors && s.tunWriteError !== null, 5_000, 'the refused write')
    expect(refused.tunWriteError).toBe('EIO')
    await ip('link', 'set', TUN, 'up')
    await bridge.waitFor((s) => s.tunStatus === 'up', 5_000, 'up again')
    expect(bridge.stderr()).toContain(`${TUN} is up again`)
    await pingAs(peer, DEVICE_MAC, seq, 2)
    seq += 30
  })

  it('notices the TUN deleted, says so on its status and in --json, and drops what the device sends as TUN write errors', async () => {
    await ip('link', 'del', TUN)
    const gone = await bridge.waitFor((s) => s.tunStatus === 'missing', 5_000, 'the missing state')
    expect(gone.tun).toBeNull()
    expect(gone.tunProblem).toBe(`${TUN} was deleted; packets from the device are dropped until a TUN named ${TUN} is back.`)
    expect(gone.link.status).toBe('connected')
    expect(bridge.stderr()).toContain(gone.tunProblem)
    const errors = gone.counters.drops.tunWriteError
    await sendOne()
    await bridge.waitFor((s) => s.counters.drops.tunWriteError === errors + 1, 5_000, 'the drop')
    expect(bridge.stderr()).not.toMatch(/Unknown system error/)
  })

  it('attaches again when a TUN of that name is back, configures it and bridges pings', async () => {
    await ip('tuntap', 'add', 'dev', TUN, 'mode', 'tun')
    const back = await bridge.waitFor((s) => s.tunStatus === 'up', 5_000, 'the TUN back')
    expect(back.tunProblem).toBeNull()
    expect(back.tun).toMatchObject({ name: TUN, address: '192.168.100.1', prefixLength: 24, mtu: 1486, up: true })
    await pingAs(peer, DEVICE_MAC, seq, 3)
    seq += 30
    expect(bridge.stderr()).toMatch(new RegExp(`${TUN} 192\\.168\\.100\\.1/24 mtu 1486 up \\(attached\\)`))
  })

  it('notices a TUN deleted and made again between two looks (another interface under the same name)', async () => {
    const before = bridge.latest()!.tun!.index
    await ip('link', 'del', TUN)
    await ip('tuntap', 'add', 'dev', TUN, 'mode', 'tun')
    const back = await bridge.waitFor((s) => s.tun !== null && s.tun.index !== before && s.tunStatus === 'up', 5_000, 'the new TUN attached')
    expect(back.tun).toMatchObject({ address: '192.168.100.1', mtu: 1486, up: true })
    await pingAs(peer, DEVICE_MAC, seq, 2)
    seq += 30
  })
})
