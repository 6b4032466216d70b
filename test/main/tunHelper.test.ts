// tun:create's checks, and what each pkexec outcome becomes. pkexec here is a
// real executable (a fake one first on PATH), so execFile really runs it.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

import { createTun, helperCommand, parseTunCreateRequest, type HelperLocation, type TunCreateArgs } from '../../src/main/tunHelper.js'

const valid = { name: 'tun0', user: 'root', hostIp: '192.168.100.1/24', mtu: 1486, tap: false, commandLine: 'sudo rm -rf /' }

describe('parseTunCreateRequest', () => {
  it('keeps the checked fields and ignores user and commandLine', () => {
    expect(parseTunCreateRequest(valid)).toEqual({ name: 'tun0', hostIp: '192.168.100.1/24', mtu: 1486, tap: false })
    expect(parseTunCreateRequest({ ...valid, name: 'tap.dev-1_x', tap: true, mtu: 68 })).toMatchObject({ name: 'tap.dev-1_x', tap: true, mtu: 68 })
    expect(parseTunCreateRequest({ ...valid, name: 'a23456789012345', mtu: 65535 })).not.toBeNull()
  })

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'tun0'],
    ['an empty name', { ...valid, name: '' }],
    ['a 16-character name', { ...valid, name: 'a234567890123456' }],
    ['a name with a slash', { ...valid, name: 'tun/0' }],
    ['a name that looks like an option', { ...valid, name: '--tap' }],
    ['a name with a shell character', { ...valid, name: 'tun0;id' }],
    ['an address without prefix', { ...valid, hostIp: '192.168.100.1' }],
    ['a prefix over 30', { ...valid, hostIp: '192.168.100.1/31' }],
    ['a prefix the helper refuses (half the address space)', { ...valid, hostIp: '128.0.0.1/1' }],
    ['an address the helper refuses (loopback)', { ...valid, hostIp: '127.0.0.2/8' }],
    ['a bad address', { ...valid, hostIp: '192.168.100.300/24' }],
    ['an MTU below 68', { ...valid, mtu: 67 }],
    ['an MTU over 65535', { ...valid, mtu: 65536 }],
    ['a fractional MTU', { ...valid, mtu: 1486.5 }],
    ['an MTU as a string', { ...valid, mtu: '1486' }],
    ['tap as a string', { ...valid, tap: 'true' }],
    ['a missing field', { name: 'tun0', hostIp: '192.168.100.1/24', mtu: 1486 }]
  ])('refuses %s', (_what, request) => {
    expect(parseTunCreateRequest(request)).toBeNull()
  })
})

describe('helperCommand', () => {
  const where: HelperLocation = { packaged: true, resourcesPath: '/opt/Tunscope/resources', appPath: '/repo', execPath: '/opt/Tunscope/tunscope', appImage: undefined }

  it('packaged: the helper script the polkit action names', () => {
    expect(helperCommand(where)).toEqual(['/opt/Tunscope/resources/tunscope-tun-helper'])
  })

  it("in development: Electron as Node on the repository's CLI, through env since pkexec clears the environment", () => {
    expect(helperCommand({ ...where, packaged: false, execPath: '/repo/node_modules/electron/dist/electron' })).toEqual([
      '/usr/bin/env', 'ELECTRON_RUN_AS_NODE=1', '/repo/node_modules/electron/dist/electron', '/repo/out/cli/tunscope.mjs'
    ])
  })
})

describe('createTun through a fake pkexec', () => {
  const args: TunCreateArgs = { name: 'tun7', hostIp: '10.1.2.1/24', mtu: 1486, tap: true }
  const where: HelperLocation = { packaged: true, resourcesPath: '/opt/Tunscope/resources', appPath: '/repo', execPath: '/x', appImage: undefined }
  const savedPath = process.env.PATH
  let dir = ''

  /** Makes pkexec print `stderr`, record its arguments and exit with `code`. */
  function fakePkexec(code: number, stderr = ''): void {
    const script = `#!/bin/sh\nprintf '%s\\n' "$@" > '${join(dir, 'argv')}'\nprintf '${stderr}' >&2\nexit ${code}\n`
    writeFileSync(join(dir, 'bin', 'pkexec'), script)
    chmodSync(join(dir, 'bin', 'pkexec'), 0o755)
  }

  const recordedArgv = (): string => readFileSync(join(dir, 'argv'), 'utf8')

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tunscope-pkexec-'))
    mkdirSync(join(dir, 'bin'))
    mkdirSync(join(dir, 'empty'))
  })
  beforeEach(() => {
    writeFileSync(join(dir, 'argv'), '')
    process.env.PATH = `${join(dir, 'bin')}:${savedPath}`
  })
  afterAll(() => {
    process.env.PATH = savedPath
    rmSync(dir, { recursive: true, force: true })
  })

  it('exit 0: ok, with the helper, the checked arguments and always the OS user', async () => {
    fakePkexec(0)
    await expect(createTun(args, where)).resolves.toEqual({ ok: true })
    expect(recordedArgv().trim().split('\n')).toEqual([
      '/opt/Tunscope/resources/tunscope-tun-helper', 'tun', 'create',
      '--name', 'tun7', '--user', userInfo().username, '--host-ip', '10.1.2.1/24', '--mtu', '1486', '--tap'
    ])
  })

  it('exit 126 (the dialog was dismissed): cancelled', async () => {
    fakePkexec(126)
    await expect(createTun(args, where)).resolves.toMatchObject({ ok: false, reason: 'cancelled' })
  })

  it('exit 127 (not authorized, no agent): unavailable', async () => {
    fakePkexec(127, 'Error executing command as another user: Not authorized')
    await expect(createTun(args, where)).resolves.toMatchObject({ ok: false, reason: 'unavailable' })
  })

  it("the helper's own failure: failed, with the first line it printed", async () => {
    fakePkexec(2, '\\ntunscope: There is no user "x" on this machine; give the login of the user who will run the bridge.\\nmore\\n')
    await expect(createTun(args, where)).resolves.toEqual({
      ok: false, reason: 'failed', message: 'There is no user "x" on this machine; give the login of the user who will run the bridge.'
    })
  })

  it('a silent failure still says what happened', async () => {
    fakePkexec(3)
    await expect(createTun(args, where)).resolves.toEqual({ ok: false, reason: 'failed', message: 'The helper failed (exit code 3) without saying why.' })
  })

  it('no pkexec on PATH: unavailable', async () => {
    process.env.PATH = join(dir, 'empty')
    await expect(createTun(args, where)).resolves.toMatchObject({ ok: false, reason: 'unavailable', message: expect.stringContaining('pkexec is not installed') })
  })

  it('from an AppImage: unavailable, without asking for a password', async () => {
    fakePkexec(0)
    await expect(createTun(args, { ...where, appImage: '/home/u/Tunscope.AppImage' })).resolves.toMatchObject({ ok: false, reason: 'unavailable' })
    expect(recordedArgv()).toBe('')
  })
})
