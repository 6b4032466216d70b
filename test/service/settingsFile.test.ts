// The settings file: a missing one is a first run; one Tunscope cannot read,
// or reads only in part, is renamed aside (never overwritten) with one
// sentence saying where it went; the engine starts from the defaults. A save
// that fails is said until one succeeds.
import * as fs from 'node:fs'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { EngineService, type UiClient } from '../../src/service/engineService'
import { loadSettings } from '../../src/service/settingsFile'
import { DEFAULT_SETTINGS, type EngineMessage, type HelloMessage, type StatusMessage } from '../../src/shared/protocol'

/** renameSync as the system does it, unless a test makes it fail. */
const renameFailure = vi.hoisted(() => ({ error: null as Error | null }))
vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>()
  return {
    ...real,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      if (renameFailure.error) throw renameFailure.error
      real.renameSync(from, to)
    }
  }
})

const AT = new Date('2026-03-04T05:06:07.089Z')
const ASIDE = 'settings.json.bad-2026-03-04T05-06-07-089Z'

let dir: string
let file: string
let services: EngineService[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunscope-settings-'))
  file = join(dir, 'settings.json')
  services = []
  renameFailure.error = null
})

afterEach(async () => {
  for (const service of services) await service.close()
  rmSync(dir, { recursive: true, force: true })
})

function serviceOn(settingsFile: string): EngineService {
  const service = new EngineService({ settingsFile, baseDir: dir, application: 'tunscope test' })
  services.push(service)
  return service
}

/** Attaches a UI to `service`; returns the messages it gets, hello first. */
function attach(service: EngineService): EngineMessage[] {
  const messages: EngineMessage[] = []
  const client: UiClient = { sendMessage: (m) => messages.push(m), sendFrames: () => {}, backlog: () => 0 }
  service.attach(client)
  return messages
}

const hello = (service: EngineService): HelloMessage => attach(service)[0] as HelloMessage

describe('a settings file Tunscope cannot read', () => {
  const unreadable: [string, string, RegExp][] = [
    ['corrupt JSON', '{"transport": "unix", "socket": "/home/me/qemu/uart1.sock", "tun": ', /it is not JSON: /],
    ['empty', '', /it is empty/],
    ['blank', ' \n', /it is empty/],
    ['not an object', '["tun0"]', /it holds no settings object/],
    ['null', 'null', /it holds no settings object/]
  ]
  for (const [what, text, reason] of unreadable) {
    it(`${what}: is kept aside as it was, said in the status, and the engine starts from the defaults`, () => {
      writeFileSync(file, text)
      const loaded = loadSettings(file, AT)
      expect(loaded).toMatchObject({ settings: {}, found: true, writable: true })
      expect(loaded.unreadable).toMatch(reason)
      expect(loaded.unreadable!.startsWith(`The settings file ${file} could not be read (`)).toBe(true)
      expect(loaded.unreadable!.endsWith(`); it is kept as ${join(dir, ASIDE)}, and Tunscope starts from the defaults.`)).toBe(true)
      expect(readdirSync(dir)).toEqual([ASIDE])
      expect(readFileSync(join(dir, ASIDE), 'utf8')).toBe(text)
    })
  }

  it('is never overwritten: the service says so in hello, and a later Save writes a new file beside the kept one', async () => {
    const text = '{"transport": "unix", "socket": "/home/me/qemu/uart1.sock", "tun": '
    writeFileSync(file, text)
    const service = serviceOn(file)
    expect(service.currentSettings).toEqual(DEFAULT_SETTINGS)
    const greeting = hello(service)
    expect(greeting.firstRun).toBe(false)
    expect(greeting.status.settingsUnreadable).toMatch(/^The settings file .*settings\.json could not be read \(it is not JSON: .*\); it is kept as .*settings\.json\.bad-\S+, and Tunscope starts from the defaults\.$/)
    expect(service.settingsFileTrouble.unreadable).toBe(greeting.status.settingsUnreadable)

    await service.handle({ type: 'saveSettings', settings: { ...DEFAULT_SETTINGS, tun: 'tun7' } })
    const [aside] = readdirSync(dir).filter((name) => name.startsWith('settings.json.bad-'))
    expect(readFileSync(join(dir, aside!), 'utf8')).toBe(text)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ tun: 'tun7' })
  })

  it('with some fields of the wrong type: keeps the well-formed ones, the defaults for the rest, and the file aside', () => {
    const text = JSON.stringify({
      transport: 'listen', socket: '/home/me/qemu/uart1.sock', interfaceKind: 'tup', tun: 5, hostIp: '10.0.0.1/24', deviceIp: '10.0.0.2', mtu: 1486,
      deviceMac: 'f'.repeat(5000), baud: null
    })
    writeFileSync(file, text)
    const service = serviceOn(file)
    expect(service.currentSettings).toEqual({ ...DEFAULT_SETTINGS, transport: 'listen', socket: '/home/me/qemu/uart1.sock', hostIp: '10.0.0.1/24', deviceIp: '10.0.0.2' })
    expect(hello(service).status.settingsUnreadable).toMatch(/^The settings file .*settings\.json had fields Tunscope could not read \(interfaceKind, tun, mtu, deviceMac, baud\); it is kept as .*settings\.json\.bad-\S+, and those fields start from the defaults\.$/)
    const [aside] = readdirSync(dir)
    expect(readFileSync(join(dir, aside!), 'utf8')).toBe(text)
  })

  it('that cannot be moved aside is left in place, and nothing is written over it', async () => {
    writeFileSync(file, '{ not json')
    renameFailure.error = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' })
    const service = serviceOn(file)
    expect(hello(service).status.settingsUnreadable).toMatch(/^The settings file .* could not be read \(it is not JSON: .*\) and could not be kept aside \(EROFS: read-only file system\); it is left as it is, Tunscope starts from the defaults, and nothing is remembered until you quit\.$/)
    await service.handle({ type: 'saveSettings', settings: { ...DEFAULT_SETTINGS, tun: 'tun7' } })
    expect(service.currentSettings.tun).toBe('tun7')
    expect(readFileSync(file, 'utf8')).toBe('{ not json')
  })
})

describe('a settings file Tunscope can read', () => {
  it('missing: a first run, nothing said, nothing written until a save', () => {
    const service = serviceOn(file)
    const greeting = hello(service)
    expect(greeting.firstRun).toBe(true)
    expect(greeting.status).toMatchObject({ settings: DEFAULT_SETTINGS, settingsUnreadable: null, settingsUnsaved: null })
    expect(readdirSync(dir)).toEqual([])
  })

  it('complete, or from a version with fewer fields: used as it is and left in place', () => {
    // Before TCP, TAP and the device MAC could be set in the app.
    const { tcp: _tcp, interfaceKind: _kind, deviceMac: _mac, ...older } = { ...DEFAULT_SETTINGS, socket: '/home/me/qemu/uart1.sock', tun: 'tun3' }
    const text = JSON.stringify(older)
    writeFileSync(file, text)
    const service = serviceOn(file)
    expect(service.currentSettings).toEqual({ ...DEFAULT_SETTINGS, socket: '/home/me/qemu/uart1.sock', tun: 'tun3' })
    expect(hello(service)).toMatchObject({ firstRun: false, status: { settingsUnreadable: null } })
    expect(readdirSync(dir)).toEqual(['settings.json'])
    expect(readFileSync(file, 'utf8')).toBe(text)
  })
})

describe('a save that fails', () => {
  it('stays in the status through a Start, until a save succeeds', async () => {
    // This Start fails before it opens a TUN: the socket's folder does not exist.
    const settings = { ...DEFAULT_SETTINGS, socket: join(dir, 'no-such-folder', 'uart1.sock') }
    const blocker = join(dir, 'blocker')
    writeFileSync(blocker, 'a file where the settings folder should be')
    const service = serviceOn(join(blocker, 'settings.json'))
    const messages = attach(service)
    const lastStatus = (): StatusMessage => messages.filter((m): m is StatusMessage => m.type === 'status').at(-1)!

    await service.handle({ type: 'saveSettings', settings })
    const unsaved = lastStatus().settingsUnsaved
    expect(unsaved).toMatch(/^Could not remember the settings in .*blocker\/settings\.json \(E[A-Z]+: .*\); they apply until you quit\.$/)

    await service.handle({ type: 'start', settings })
    expect(lastStatus()).toMatchObject({ settingsUnsaved: unsaved, problem: { message: expect.stringMatching(/socket's folder/) } })
    expect(service.settingsFileTrouble.unsaved).toBe(unsaved)

    rmSync(blocker)
    mkdirSync(blocker)
    await service.handle({ type: 'saveSettings', settings })
    expect(lastStatus().settingsUnsaved).toBeNull()
    expect(JSON.parse(readFileSync(join(blocker, 'settings.json'), 'utf8'))).toEqual(settings)
  })
})
