// The privileged helper and the least-privilege flow: root runs
// `tunscope tun create` once, then the bridge runs as an ordinary user (nobody
// here) and attaches to the persistent TUN that user owns. Everything happens
// in namespaces this file creates.
//
// The unprivileged runs see a world-writable /dev/net/tun (as on a desktop)
// through a private mount namespace; the machine's own node is not touched.
import { spawnSync } from 'node:child_process'
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startBridge } from '../helpers/bridgeProcess.js'
import { createNamespace, destroyAll, netnsRequired, requireNetns, skipNetns, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'
import { asNobody, expectRefused, lines, linkSnapshot, makeTunNode, cliForNobody, NOBODY_UID, processCredentials, TUNSCOPE_BIN, tunscope, type LinkSnapshot } from './cliHelpers.js'

const DEVICE_IP = '192.168.100.2'
const CREATE = ['tun', 'create', '--name', 'tsx0', '--user', 'nobody', '--host-ip', '192.168.100.1/24', '--mtu', '1486']

// Decided once, before the suites: a CLI nobody can run (this checkout's, or a readable copy of it).
const nobodyCli = skipNetns ? null : cliForNobody()
const nobodyProblem = nobodyCli && 'problem' in nobodyCli ? nobodyCli.problem : undefined
const nobodyBin = nobodyCli && 'bin' in nobodyCli ? nobodyCli.bin : TUNSCOPE_BIN
if (nobodyProblem && !netnsRequired) console.warn(`[tunHelper] skipping the unprivileged-bridge tests: ${nobodyProblem}`)


describe.skipIf(skipNetns)('tunscope tun create/delete and the unprivileged bridge', () => {
  let host: Netns
  let dev: Netns
  let nobody: Netns
  let nobodyNoTun: Netns
  let work: string
  let sockets: string
  let created: LinkSnapshot

  const inHost = (args: string[]) => tunscope(args, { ns: host })
  /** `tunscope ARGS` as nobody inside the host namespace. */
  const asNobodyRun = (args: string[], ns = nobody) => ns.exec(process.execPath, [nobodyBin, ...args], { timeoutMs: 15_000 })

  beforeAll(async () => {
    requireNetns()
    work = mkdtempSync(join(tmpdir(), 'tunscope-tunhelper-'))
    chmodSync(work, 0o755)
    // the socket folder: anyone may create and connect there, as in a user's project folder
    sockets = join(work, 'sockets')
    mkdirSync(sockets)
    chmodSync(sockets, 0o777)
    makeTunNode(join(work, 'tun-0666'), '0666')
    makeTunNode(join(work, 'tun-0600'), '0600')
    try {
      closeSync(openSync(join(work, 'tun-0666'), 'r+')) // an unattached TUN queue: creates nothing
    } catch (error) {
      throw new Error(`device nodes do not work under ${tmpdir()} (mounted nodev?): ${(error as Error).message}`)
    }
    host = await createNamespace('tstunh')
    dev = await createNamespace('tstund')
    nobody = asNobody(host, join(work, 'tun-0666'))
    nobodyNoTun = asNobody(host, join(work, 'tun-0600'))
  })

  afterAll(async () => {
    await destroyAll()
    if (nobodyCli && 'cleanup' in nobodyCli) nobodyCli.cleanup()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('tun create makes a persistent TUN owned by nobody, MTU 1486, up, 192.168.100.1/24', async () => {
    const r = await inHost(CREATE)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(lines(r.stdout)).toEqual(['tsx0 is ready: persistent TUN owned by nobody, 192.168.100.1/24, MTU 1486, up.'])

    const shown = await host.exec('ip', ['-d', 'link', 'show', 'dev', 'tsx0'], { check: true })
    // iproute2 prints the owner by name when it has one: "... persist on user nobody"
    expect(shown.stdout).toMatch(/\btun type tun pi off vnet_hdr off persist on user nobody\b/)
    expect(shown.stdout).toMatch(/^\d+: tsx0: <[^>]*\bUP\b[^>]*> mtu 1486 /)
    // the mark that lets later calls change or delete it
    expect(shown.stdout).toMatch(/^\s+alias tunscope$/m)
    const owner = await host.exec('cat', ['/sys/class/net/tsx0/owner'], { check: true })
    expect(owner.stdout.trim()).toBe(String(NOBODY_UID))
    const addr = await host.exec('ip', ['-4', '-o', 'addr', 'show', 'dev', 'tsx0'], { check: true })
    expect(addr.stdout).toMatch(/inet 192\.168\.100\.1\/24 /)

    created = (await linkSnapshot(host, 'tsx0'))!
    expect(created).toMatchObject({ mtu: 1486, up: true, kind: 'tun', ipv4: ['192.168.100.1/24'], tun: { type: 'tun', pi: false, persist: true, user: 'nobody' } })
  })

  it('tun create again with the same arguments is idempotent', async () => {
    const r = await inHost(CREATE)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(await linkSnapshot(host, 'tsx0')).toEqual(created)
  })

  it.each([
    [['--user', 'root']],
    [['--user', 'nobody', '--user', 'root']],
    [['--user', 'root', '--user', 'nobody']],
    [['--user', 'nobody', '--host-ip', '128.0.0.1/1']],
    [['--user', 'nobody', '--host-ip', '127.0.0.2/8']],
    [['--user', 'nobody', '--host-ip', '0.1.2.3/24']],
    [['--user', 'nobody', '--host-ip', '255.255.255.255/30']]
  ])('tun create --name tsx0 %j over the TUN it made: exit 2, one sentence, the TUN as it was', async (args) => {
    expectRefused(await inHost(['tun', 'create', '--name', 'tsx0', ...args]), /^tunscope: --(user|host-ip) /)
    expect(await linkSnapshot(host, 'tsx0')).toEqual(created)
  })

  describe.skipIf(nobodyProblem !== undefined && !netnsRequired)('as nobody', () => {
    let device: UartDevice

    beforeAll(() => {
      if (nobodyProblem) throw new Error(`the unprivileged-bridge tests are required (TUNSCOPE_REQUIRE_NETNS=1), but ${nobodyProblem}`)
    })

    it('the bridge attaches to the TUN nobody owns without privileges and carries ping; SIGINT leaves the TUN as it was', async () => {
      const socket = join(sockets, 'uart.sock')
      device = await startUartDevice(dev, socket)
      chmodSync(socket, 0o666) // QEMU run by the user would own it; here root's fixture serves it
      const bridge = startBridge(nobody, ['--socket', socket, '--tun', 'tsx0'], nobodyBin)
      try {
        const up = await bridge.waitFor((s) => s.link.status === 'connected' && s.tun !== null, 15_000, 'the UART link')
        expect(up.tun).toMatchObject({ name: 'tsx0', kind: 'tun', mtu: 1486, up: true, address: '192.168.100.1', prefixLength: 24 })
        // it really is nobody, with no capabilities at all
        expect(processCredentials(bridge.child.pid!)).toEqual({ uid: NOBODY_UID, capEff: 0n })

        await new Promise((r) => setTimeout(r, Math.max(0, device.startupDiscardUntil - Date.now())))
        const ping = await host.exec('ping', ['-n', '-q', '-c', '3', '-i', '0.2', '-W', '2', DEVICE_IP], { timeoutMs: 30_000 })
        expect(ping.stdout).toMatch(/3 packets transmitted, 3 received/)

        // root may not take away a device a bridge is attached to
        const busy = await inHost(['tun', 'delete', '--name', 'tsx0'])
        expectRefused(busy, /tsx0 is in use/, /stop the bridge first/)
        expect(await linkSnapshot(host, 'tsx0')).not.toBeNull()

        // ...but asking again for what is already there succeeds without touching it
        const again = await inHost(CREATE)
        expect(again.code, again.stderr).toBe(0)
        expect(again.stdout).toMatch(/tsx0 is ready/)
      } finally {
        const { code } = await bridge.stop('SIGINT')
        expect(code).toBe(0)
        await device.stop()
      }
      expect(bridge.stderr()).not.toMatch(/error|denied|needs root/i)
      expect(await linkSnapshot(host, 'tsx0')).toEqual(created)
    })

    it('a bridge as nobody against a TUN owned by root: exit 2, naming tun create', async () => {
      // tun create will not hand a device to root; iproute2 will
      await host.exec('ip', ['tuntap', 'add', 'dev', 'tsroot0', 'mode', 'tun', 'user', 'root'], { check: true })
      const before = await linkSnapshot(host, 'tsroot0')
      expect(before?.tun).toMatchObject({ persist: true, user: 'root' })
      const r = await asNobodyRun(['bridge', '--socket', join(sockets, 'none.sock'), '--tun', 'tsroot0'])
      expectRefused(
        r,
        /TUN tsroot0 belongs to another user/,
        /run "sudo tunscope tun create --name tsroot0 --user nobody --host-ip 192\.168\.100\.1\/24 --mtu 1486"/
      )
      expect(await linkSnapshot(host, 'tsroot0')).toEqual(before)
    })

    it('a bridge as nobody where the TUN does not exist: exit 2 with the tun create command, nothing made', async () => {
      const r = await asNobodyRun(['bridge', '--socket', join(sockets, 'none.sock'), '--tun', 'tsmiss0'])
      expectRefused(r, /Creating TUN tsmiss0 needs root/, /sudo tunscope tun create --name tsmiss0 --user nobody /)
      expect(await linkSnapshot(host, 'tsmiss0')).toBeNull()
    })

    it('a bridge --tap as nobody where the TAP does not exist: says TAP, and the command has --tap', async () => {
      const r = await asNobodyRun(['bridge', '--socket', join(sockets, 'none.sock'), '--tun', 'tsmisstap0', '--tap'])
      const line = expectRefused(r, /Creating TAP tsmisstap0 needs root/, /sudo tunscope tun create --name tsmisstap0 --tap --user nobody /)
      expect(line).not.toMatch(/TUN/)
      expect(await linkSnapshot(host, 'tsmisstap0')).toBeNull()
    })

    it('a bridge as nobody against its own TUN with MTU 1500: exit 2, says MTU 1500 instead of 1486, names the command', async () => {
      const made = await inHost(['tun', 'create', '--name', 'ts1500', '--user', 'nobody', '--mtu', '1500'])
      expect(made.code, made.stderr).toBe(0)
      const before = await linkSnapshot(host, 'ts1500')
      expect(before).toMatchObject({ mtu: 1500, tun: { user: 'nobody' } })
      const r = await asNobodyRun(['bridge', '--socket', join(sockets, 'none.sock'), '--tun', 'ts1500'])
      expectRefused(r, /ts1500 has MTU 1500 instead of 1486/, /needs root/, /sudo tunscope tun create --name ts1500 --user nobody --host-ip 192\.168\.100\.1\/24 --mtu 1486/)
      expect(await linkSnapshot(host, 'ts1500')).toEqual(before)
    })

    it('a bridge as nobody when /dev/net/tun is not open to users: exit 2, says so', async () => {
      const r = await asNobodyRun(['bridge', '--socket', join(sockets, 'none.sock'), '--tun', 'tsx0'], nobodyNoTun)
      expectRefused(r, /You may not open \/dev\/net\/tun/)
      expect(await linkSnapshot(host, 'tsx0')).toEqual(created)
    })

    it('tun create and tun delete as nobody: exit 2, "must run as root", nothing made or removed', async () => {
      expectRefused(await asNobodyRun(['tun', 'create', '--name', 'tsnot0', '--user', 'nobody']), /tun create changes network devices and must run as root/, /sudo/)
      // arguments are checked first: a bad one is named even without root
      expectRefused(await asNobodyRun(['tun', 'create', '--name', 'tsnot0', '--user', 'nobody', '--host-ip', '127.0.0.2/8']), /--host-ip 127\.0\.0\.2\/8 is a loopback address/)
      expectRefused(await asNobodyRun(['tun', 'create', '--name', 'tsnot0', '--user', 'root']), /--user root is the superuser/)
      expect(await linkSnapshot(host, 'tsnot0')).toBeNull()
      expectRefused(await asNobodyRun(['tun', 'delete', '--name', 'tsx0']), /tun delete .*must run as root/, /sudo/)
      expect(await linkSnapshot(host, 'tsx0')).toEqual(created)
    })
  })

  it('tun create over an existing interface that is not a TUN: exit 2, the interface untouched', async () => {
    await host.exec('ip', ['link', 'add', 'tsveth0', 'type', 'veth', 'peer', 'name', 'tsveth1'], { check: true })
    await host.exec('ip', ['addr', 'add', '10.9.9.1/24', 'dev', 'tsveth0'], { check: true })
    for (const name of ['tsveth0', 'lo']) {
      const before = await linkSnapshot(host, name)
      const r = await inHost(['tun', 'create', '--name', name, '--user', 'nobody'])
      expectRefused(r, new RegExp(`${name} is an existing interface that is not a TUN/TAP device`), /choose another --name/)
      expect(await linkSnapshot(host, name)).toEqual(before)
    }
  })

  it('tun create --tap over an existing TUN: exit 2, the TUN untouched', async () => {
    const r = await inHost(['tun', 'create', '--tap', '--name', 'tsx0', '--user', 'nobody'])
    expectRefused(r, /tsx0 already exists as a TUN device/, /delete it first or choose another --name/)
    expect(await linkSnapshot(host, 'tsx0')).toEqual(created)
  })

  it('tun delete refuses lo, a veth and a missing name', async () => {
    for (const name of ['lo', 'tsveth0']) {
      const before = await linkSnapshot(host, name)
      expectRefused(await inHost(['tun', 'delete', '--name', name]), new RegExp(`${name} is not a TUN/TAP device`))
      expect(await linkSnapshot(host, name)).toEqual(before)
    }
    expectRefused(await inHost(['tun', 'delete', '--name', 'tsmiss0']), /There is no interface named tsmiss0/)
  })

  describe('a TUN/TAP tunscope did not make (a VPN\'s, from ip tuntap)', () => {
    // As a VPN keeps it: persistent, addressed, its own MTU, up; tsvpn1 owned by nobody and otherwise just what tun create asks for.
    beforeAll(async () => {
      for (const [name, mode, user, cidr, mtu] of [['tsvpn0', 'tun', 'root', '10.8.0.1/24', '1400'], ['tsvpn1', 'tap', 'nobody', '192.168.100.1/24', '1486']] as const) {
        await host.exec('ip', ['tuntap', 'add', 'dev', name, 'mode', mode, 'user', user], { check: true })
        await host.exec('ip', ['addr', 'add', cidr, 'dev', name], { check: true })
        await host.exec('ip', ['link', 'set', 'dev', name, 'mtu', mtu, 'up'], { check: true })
      }
    })

    /** Everything tun create or delete could change: owner, persistence, address, MTU, up, alias. */
    const deviceState = async (name: string) => ({
      link: await linkSnapshot(host, name),
      owner: (await host.exec('cat', [`/sys/class/net/${name}/owner`], { check: true })).stdout,
      alias: (await host.exec('cat', [`/sys/class/net/${name}/ifalias`], { check: true })).stdout
    })

    it.each([
      ['tsvpn0', ['--user', 'nobody']],
      ['tsvpn0', ['--user', 'nobody', '--tap']],
      ['tsvpn1', ['--user', 'nobody', '--tap']]
    ])('tun create --name %s %j: exit 2, one sentence, the device exactly as it was', async (name, args) => {
      const before = await deviceState(name)
      expect(before.link).toMatchObject({ up: true, tun: { persist: true } })
      const r = await inHost(['tun', 'create', '--name', name, ...args])
      expectRefused(r, new RegExp(`^tunscope: ${name} already exists and was not made by "tunscope tun create", so it is left as it is; choose another --name\\.$`))
      expect(await deviceState(name)).toEqual(before)
    })

    it.each(['tsvpn0', 'tsvpn1'])('tun delete --name %s: exit 2, one sentence, the device exactly as it was', async (name) => {
      const before = await deviceState(name)
      const r = await inHost(['tun', 'delete', '--name', name])
      expectRefused(r, new RegExp(`^tunscope: ${name} was not made by "tunscope tun create", so tunscope will not delete it; remove it with the tool that made it\\.$`))
      expect(await deviceState(name)).toEqual(before)
    })
  })

  it('tun delete removes the persistent TUN', async () => {
    const r = await inHost(['tun', 'delete', '--name', 'tsx0'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(lines(r.stdout)).toEqual(['tsx0 deleted.'])
    expect(await linkSnapshot(host, 'tsx0')).toBeNull()
    // and deleting it again finds nothing
    expectRefused(await inHost(['tun', 'delete', '--name', 'tsx0']), /There is no interface named tsx0/)
  })

  it('tun create makes tsx0 again after tun delete, and tun delete removes that one too', async () => {
    const again = await inHost(CREATE)
    expect(again.code, again.stderr).toBe(0)
    expect(await linkSnapshot(host, 'tsx0')).toMatchObject({ mtu: 1486, up: true, ipv4: ['192.168.100.1/24'], tun: { persist: true, user: 'nobody' } })
    expect((await host.exec('cat', ['/sys/class/net/tsx0/ifalias'], { check: true })).stdout).toBe('tunscope\n')
    const r = await inHost(['tun', 'delete', '--name', 'tsx0'])
    expect(r.code, r.stderr).toBe(0)
    expect(await linkSnapshot(host, 'tsx0')).toBeNull()
  })

  it('nothing of this reached the root namespace', () => {
    const root = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    expect(root.stdout).not.toMatch(/\b(tsx0|tsroot0|tsmiss0|ts1500|tsveth0|tsnot0|tsvpn0|tsvpn1):/)
  })
})
