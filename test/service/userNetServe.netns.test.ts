// `tunscope serve --demo --start` run as nobody, seen through its event stream: with no TUN and no
// admin rights the demo runs in the user-mode network (passt) on its own, so a first run shows live
// traffic with no password; the host reaches the demo through the forwarded port and receives its
// telemetry on the loopback; forwards change while it runs, and a malformed forward or a taken port
// is refused in one sentence with the forwards in effect left working.
import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { StatusMessage, UiCommand } from '../../src/shared/protocol.js'
import { asNobody } from '../cli/cliHelpers.js'
import { eventStream } from '../helpers/eventStream.js'
import { serveInspector } from '../helpers/inspectorPage.js'
import { nobodyWithInternet, skipUserNet, skipUserNetEngine, type InternetNamespaces } from '../helpers/internetNamespace.js'
import { destroyAll } from '../helpers/netns.js'

describe.skipIf(skipUserNet)('tunscope serve as nobody: the demo in the user-mode network', () => {
  let world: InternetNamespaces
  let work: string
  let client: ChildProcess
  let statuses: StatusMessage[] = []
  let refusals: { message: string }[] = []
  let cli: { bin: string; cleanup(): void } | undefined

  const statusWhere = async (test: (s: StatusMessage) => boolean, from = 0, timeout = 20_000): Promise<StatusMessage> => {
    await expect.poll(() => statuses.slice(from).some(test), { timeout, interval: 50 }).toBe(true)
    return statuses.slice(from).find(test)!
  }
  const send = (command: UiCommand): void => void client.stdin!.write(`${JSON.stringify(command)}\n`)
  const forwardsOf = (s: StatusMessage): string[] => s.userNet?.forwards.map((f) => f.spec) ?? []
  /** curl in the namespace: "STATUS BYTES", or curl's complaint. */
  const fetch = async (url: string): Promise<string> => {
    const r = await world.device.exec('curl', ['-sS', '--max-time', '10', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', url], { timeoutMs: 15_000 })
    return `${r.stdout} ${r.stderr}`.trim()
  }

  beforeAll(async () => {
    ;({ cli, work, world } = await nobodyWithInternet('tsuns'))
    // The settings' default host side is a TUN, which nobody cannot have.
    const url = await serveInspector(asNobody(world.device), ['--demo', '--start', '--port', '0'], join(work, 'config'), cli!.bin)
    ;({ client, statuses, refusals } = eventStream(world.device, url))
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    cli?.cleanup()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('runs the demo in the user-mode network, with no problem to report and the default forward', async () => {
    const status = await statusWhere((s) => s.running && s.userNet !== null)
    expect(status.problem).toBeNull()
    expect(status.tun).toBeNull()
    expect(forwardsOf(status)).toEqual(['tcp:8080:80'])
    const links = (await world.device.exec('ip', ['-o', 'link'], { check: true })).stdout
    expect(links).not.toMatch(/tun|tap/)
  })

  it("serves the demo's status page on the forwarded port, and its telemetry and the host's traffic arrive", async () => {
    await expect.poll(() => fetch('http://127.0.0.1:8080/'), { timeout: 20_000, interval: 500 }).toMatch(/^200 \d+/)
    // Statuses go out on changes: a reading is one (the host traffic's counts ride along).
    const status = await statusWhere((s) => (s.telemetry?.counts.readings ?? 0) > 0, 0, 30_000)
    expect(status.telemetry).toMatchObject({ listening: '127.0.0.1:5000', problem: null })
    expect(status.telemetry!.counts.notFromDevice).toBe(0)
    await statusWhere((s) => (s.demo?.traffic.answered ?? 0) > 0, 0, 30_000)
  }, 60_000)

  // A forward is listed once it works: the first connection after the status names it is served,
  // never reset by an engine that has not heard the device yet (it was, before the status waited).
  it('adds and removes a forward while running, each served at once', async () => {
    for (const [i, port] of [8091, 8092, 8093].entries()) {
      let from = statuses.length
      send({ type: 'setForwards', forwards: `tcp:8080:80, tcp:${port}:80` })
      await statusWhere((s) => forwardsOf(s).includes(`tcp:${port}:80`), from)
      expect(await fetch(`http://127.0.0.1:${port}/`), `change ${i}`).toMatch(/^200 \d+/)
      from = statuses.length
      send({ type: 'setForwards', forwards: 'tcp:8080:80' })
      await statusWhere((s) => s.userNet !== null && !forwardsOf(s).includes(`tcp:${port}:80`), from)
      expect(await fetch(`http://127.0.0.1:${port}/`)).toMatch(/Failed to connect|Connection refused/)
      expect(await fetch('http://127.0.0.1:8080/')).toMatch(/^200 \d+/)
    }
  }, 90_000)

  it('refuses a malformed forward and a taken port in one sentence each, and the forwards in effect keep working', async () => {
    send({ type: 'setForwards', forwards: 'tcp:8080:80 tcp:99999:80' })
    await expect.poll(() => refusals.length, { timeout: 10_000 }).toBe(1)
    expect(refusals[0]!.message).toMatch(/^Port forwards "tcp:99999:80": the host port "99999" is not a port number; give a whole number from 1 to 65535\.$/)
    const taken = world.device.spawn(process.execPath, ['-e', "require('net').createServer().listen(8093, '127.0.0.1', () => console.log('listening'))"])
    await new Promise((resolve) => taken.stdout!.once('data', resolve))
    try {
      send({ type: 'setForwards', forwards: 'tcp:8080:80 tcp:8093:80' })
      await expect.poll(() => refusals.length, { timeout: 20_000 }).toBe(2)
      expect(refusals[1]!.message).toMatch(/TCP port 8093 on 127\.0\.0\.1 cannot be forwarded .*: it is already in use; choose another host port\.$/)
    } finally {
      taken.kill()
    }
    const status = await statusWhere((s) => s.userNet !== null && s.link?.status === 'connected', statuses.length - 1)
    expect(forwardsOf(status)).toEqual(['tcp:8080:80'])
    await expect.poll(() => fetch('http://127.0.0.1:8080/'), { timeout: 20_000, interval: 500 }).toMatch(/^200 \d+/)
  }, 90_000)
})

// The engine chosen on serve's command line (or in Settings) is in the settings and named in the
// status; QEMU's libslirp serves the demo as passt does, and changes its forwards live.
describe.skipIf(skipUserNetEngine('slirp'))("tunscope serve --user-net --user-net-engine slirp as nobody: the demo on QEMU's libslirp", () => {
  let world: InternetNamespaces
  let work: string
  let client: ChildProcess
  let statuses: StatusMessage[] = []
  let cli: { bin: string; cleanup(): void } | undefined

  beforeAll(async () => {
    ;({ cli, work, world } = await nobodyWithInternet('tsunq', 'slirp'))
    const url = await serveInspector(asNobody(world.device), ['--demo', '--start', '--port', '0', '--user-net', '--user-net-engine', 'slirp', '--forward', 'tcp:8085:80'], join(work, 'config'), cli!.bin)
    ;({ client, statuses } = eventStream(world.device, url))
  }, 60_000)

  afterAll(async () => {
    await destroyAll()
    cli?.cleanup()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it("names the engine in the status and the settings, and serves the demo's page through the forward", async () => {
    await expect.poll(() => statuses.some((s) => s.running && s.userNet !== null), { timeout: 20_000, interval: 50 }).toBe(true)
    const status = statuses.find((s) => s.running && s.userNet !== null)!
    expect(status.userNet!.engine).toBe("QEMU's libslirp")
    expect(status.settings.userNetEngine).toBe('slirp')
    // The demo, like the firmware, reads nothing in its first second: a connection then waits out a
    // retransmission, so each try is short and a new one follows.
    await expect
      .poll(async () => (await world.device.exec('curl', ['-sS', '--max-time', '3', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:8085/'], { timeoutMs: 10_000 })).stdout, { timeout: 40_000, interval: 200 })
      .toBe('200')
  }, 60_000)

  // At the demo's 115 200 baud the download takes seconds; the forward added meanwhile must not cut it.
  it('adds a forward while a download through another is under way, and the download completes', async () => {
    const size = 40_000
    const download = world.device.exec('curl', ['-sS', '--max-time', '60', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://127.0.0.1:8085/bytes/${size}`], { timeoutMs: 70_000 })
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const from = statuses.length
    client.stdin!.write(`${JSON.stringify({ type: 'setForwards', forwards: 'tcp:8085:80 tcp:8086:80' } satisfies UiCommand)}\n`)
    await expect.poll(() => statuses.slice(from).some((s) => s.userNet?.forwards.some((f) => f.spec === 'tcp:8086:80')), { timeout: 10_000, interval: 50 }).toBe(true)
    const r = await download
    expect(r.stdout, r.stderr).toBe(`200 ${size}`)
    const added = await world.device.exec('curl', ['-sS', '--max-time', '30', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:8086/'], { timeoutMs: 40_000 })
    expect(added.stdout, added.stderr).toBe('200')
  }, 90_000)
})
