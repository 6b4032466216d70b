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

interface BridgeSetup {
  host: Netns
  peer: PeerServer
  bridge: BridgeProcess
}

/** Around the tests of a describe block: `tunscope bridge ARGS` in namespace `nsName`, connected to a QEMU-like peer, with its TUN/TAP up. */
function bridgeAroundTests(nsName: string, args: string[]): BridgeSetup {
  const setup = {} as BridgeSetup
  let work = ''
  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), `tunscope-${nsName}-`))
    setup.host = await createNamespace(nsName)
    setup.peer = new PeerServer(join(work, 'uart.sock'))
    await setup.peer.listen()
    setup.bridge = startBridge(setup.host, ['--socket', setup.peer.path, ...args])
    await setup.peer.connection()
    await setup.bridge.waitFor((s) => s.link.status === 'connected' && s.tunStatus === 'up', 15_000, 'the bridge')
  })
  afterAll(async () => {
    setup.peer?.close()
    if (setup.bridge?.child.exitCode === null) await setup.bridge.stop()
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })
  return setup
}

describe.skipIf(skipNetns)('tunscope bridge when its TUN changes under it', () => {
  const setup = bridgeAroundTests('tsvanish', ['--tun', TUN])
  let seq = 1

  const ip = (...args: string[]) => setup.host.exec('ip', args, { check: true })
  /** Sends one echo request and resolves once the bridge has counted it. */
  const sendOne = async (): Promise<void> => {
    const before = setup.bridge.latest()!.counters.fromDevice.frames
    await setup.peer.send(record(echoRequestFrom(DEVICE_MAC, seq++)))
    await setup.bridge.waitFor((s) => s.counters.fromDevice.frames > before, 5_000, 'the frame counted')
  }

  it('bridges pings while the TUN is up', async () => {
    await pingAs(setup.peer, DEVICE_MAC, seq, 2)
    seq += 30
  })

  it('reports a TUN taken down, names the kernel\'s refusal (EIO), and bridges again once it is up', async () => {
    await ip('link', 'set', TUN, 'down')
    const down = await setup.bridge.waitFor((s) => s.tunStatus === 'down', 5_000, 'the down state')
    expect(down.tunProblem).toBe(`${TUN} is down; the kernel refuses packets from the device until it is up again.`)
    expect(down.link.status).toBe('connected')
    const errors = down.counters.drops.tunWriteError
    await sendOne()
    const refused = await setup.bridge.waitFor((s) => s.counters.drops.tunWriteError > errors && s.tunWriteError !== null, 5_000, 'the refused write')
    expect(refused.tunWriteError).toBe('EIO')
    await ip('link', 'set', TUN, 'up')
    await setup.bridge.waitFor((s) => s.tunStatus === 'up', 5_000, 'up again')
    expect(setup.bridge.stderr()).toContain(`${TUN} is up again`)
    await pingAs(setup.peer, DEVICE_MAC, seq, 2)
    seq += 30
  })

  it('notices the TUN deleted, says so on its status and in --json, and drops what the device sends as TUN write errors', async () => {
    await ip('link', 'del', TUN)
    const gone = await setup.bridge.waitFor((s) => s.tunStatus === 'missing', 5_000, 'the missing state')
    expect(gone.tun).toBeNull()
    expect(gone.tunProblem).toBe(`${TUN} was deleted; packets from the device are dropped until a TUN named ${TUN} is back.`)
    expect(gone.link.status).toBe('connected')
    expect(setup.bridge.stderr()).toContain(gone.tunProblem)
    const errors = gone.counters.drops.tunWriteError
    await sendOne()
    await setup.bridge.waitFor((s) => s.counters.drops.tunWriteError === errors + 1, 5_000, 'the drop')
    expect(setup.bridge.stderr()).not.toMatch(/Unknown system error/)
  })

  it('attaches again when a TUN of that name is back, configures it and bridges pings', async () => {
    await ip('tuntap', 'add', 'dev', TUN, 'mode', 'tun')
    const back = await setup.bridge.waitFor((s) => s.tunStatus === 'up', 5_000, 'the TUN back')
    expect(back.tunProblem).toBeNull()
    expect(back.tun).toMatchObject({ name: TUN, address: '192.168.100.1', prefixLength: 24, mtu: 1486, up: true })
    await pingAs(setup.peer, DEVICE_MAC, seq, 3)
    seq += 30
    expect(setup.bridge.stderr()).toMatch(new RegExp(`${TUN} 192\\.168\\.100\\.1/24 mtu 1486 up \\(attached\\)`))
  })

  it('notices a TUN deleted and made again between two looks (another interface under the same name)', async () => {
    const before = setup.bridge.latest()!.tun!.index
    await ip('link', 'del', TUN)
    await ip('tuntap', 'add', 'dev', TUN, 'mode', 'tun')
    const back = await setup.bridge.waitFor((s) => s.tun !== null && s.tun.index !== before && s.tunStatus === 'up', 5_000, 'the new TUN attached')
    expect(back.tun).toMatchObject({ address: '192.168.100.1', mtu: 1486, up: true })
    await pingAs(setup.peer, DEVICE_MAC, seq, 2)
    seq += 30
  })
})

describe.skipIf(skipNetns)('tunscope bridge --tap when its TAP is deleted under it', () => {
  const TAP = 'tsgonetap0'
  const setup = bridgeAroundTests('tsvanishtap', ['--tun', TAP, '--tap'])

  it('says a TAP (not a TUN) of that name is awaited', async () => {
    await setup.host.exec('ip', ['link', 'del', TAP], { check: true })
    const gone = await setup.bridge.waitFor((s) => s.tunStatus === 'missing', 5_000, 'the missing state')
    expect(gone.tunProblem).toBe(`${TAP} was deleted; packets from the device are dropped until a TAP named ${TAP} is back.`)
  })
})
