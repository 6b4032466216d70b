// DHCP in the inspector's settings: on/off, lease and resolvers as the form
// holds them, checked by the command line's rules with the form's names;
// settings from before DHCP could be chosen load with it off.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { loadSettings } from '../../src/service/settingsFile'
import { EngineService, type UiClient } from '../../src/service/engineService'
import { DEFAULT_SETTINGS, parseSettings, settingsFields, type BridgeSettings } from '../../src/shared/protocol'

let dir: string
let file: string
let service: EngineService | null = null
let base: BridgeSettings

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunscope-dhcp-settings-'))
  file = join(dir, 'config', 'settings.json')
  // A socket in a folder that does not exist: no Start here ever opens a TUN.
  base = { ...DEFAULT_SETTINGS, socket: join(dir, 'no-such-folder', 'uart1.sock') }
})

afterEach(async () => {
  await service?.close()
  service = null
  rmSync(dir, { recursive: true, force: true })
})

function start(): EngineService {
  service = new EngineService({ settingsFile: file, baseDir: dir, application: 'tunscope test' })
  const client: UiClient = { sendMessage: () => {}, sendFrames: () => {}, backlog: () => 0 }
  service.attach(client)
  return service
}

describe('DHCP settings in the protocol', () => {
  it('are off by default, with the default lease and no resolvers', () => {
    expect(DEFAULT_SETTINGS).toMatchObject({ dhcp: false, dhcpLease: '', dns: '' })
  })

  it('may be absent: settings from before DHCP load with it off', () => {
    const { dhcp: _dhcp, dhcpLease: _lease, dns: _dns, ...older } = DEFAULT_SETTINGS
    expect(parseSettings({ ...older, deviceIp: '192.168.100.7' })).toEqual({ ...DEFAULT_SETTINGS, deviceIp: '192.168.100.7' })
    expect(settingsFields(older)).toEqual({ fields: older, malformed: [] })
  })

  it('are taken when present and well-typed, refused when not', () => {
    const on = { ...DEFAULT_SETTINGS, dhcp: true, dhcpLease: '600', dns: '192.168.100.1, 9.9.9.9' }
    expect(parseSettings(on)).toEqual(on)
    expect(parseSettings({ ...DEFAULT_SETTINGS, dhcp: 'yes' })).toBeNull()
    expect(parseSettings({ ...DEFAULT_SETTINGS, dhcpLease: 600 })).toBeNull()
    expect(parseSettings({ ...DEFAULT_SETTINGS, dns: ['192.168.100.1'] })).toBeNull()
    expect(parseSettings({ ...DEFAULT_SETTINGS, dns: 'x'.repeat(5000) })).toBeNull()
    expect(settingsFields({ dhcp: 1, dns: null }).malformed).toEqual(['dhcp', 'dns'])
  })

  it('an older settings file without them loads whole, DHCP off', () => {
    const { dhcp: _dhcp, dhcpLease: _lease, dns: _dns, ...older } = { ...DEFAULT_SETTINGS, tun: 'tun7' }
    const path = join(dir, 'old.json')
    writeFileSync(path, JSON.stringify(older))
    expect(loadSettings(path)).toEqual({ settings: older, found: true, unreadable: null, writable: true })
  })
})

describe('DHCP settings from a UI', () => {
  const refused: [string, Partial<BridgeSettings>, string][] = [
    ['a lease of 0', { dhcpLease: '0' }, 'Lease "0" is out of range; give a whole number from 60 to 4294967295.'],
    ['a lease in words', { dhcpLease: 'an hour' }, 'Lease "an hour" is not a number; give a whole number from 60 to 4294967295.'],
    ['a lease with a fraction', { dhcpLease: '90.5' }, 'Lease "90.5" is not a whole number; give a whole number from 60 to 4294967295.'],
    ['a resolver that is not an address', { dns: 'x' }, 'DNS servers "x" is not an IPv4 address; write it like 192.168.100.2.'],
    ['a resolver with a command after it', { dns: '9.9.9.9;reboot' }, 'DNS servers "9.9.9.9;reboot" is not an IPv4 address; write it like 192.168.100.2.'],
    ['nine resolvers', { dns: Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 1}`).join(', ') }, 'DNS servers: 9 resolvers given; DHCP offers at most 8.']
  ]
  for (const [what, change, sentence] of refused) {
    it(`refuses a Save with DHCP on and ${what}, in one sentence, storing nothing`, async () => {
      const s = start()
      const answer = await s.handle({ type: 'saveSettings', settings: { ...base, dhcp: true, ...change } })
      expect(answer).toEqual({ type: 'settingsRejected', message: sentence })
      expect(() => readFileSync(file)).toThrow(/ENOENT/)
    })
  }

  it('keeps a lease and resolvers it would refuse while DHCP is off (they are unused then)', async () => {
    const s = start()
    const off = { ...base, dhcp: false, dhcpLease: '0', dns: 'x' }
    expect(await s.handle({ type: 'saveSettings', settings: off })).toBeNull()
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(off)
  })

  it('saves DHCP on with five resolvers, separated by commas or spaces, and an empty lease (the default)', async () => {
    const s = start()
    const on = { ...base, dhcp: true, dhcpLease: ' ', dns: '192.168.100.1,9.9.9.9 1.1.1.1 ,  8.8.8.8, 8.8.4.4' }
    expect(await s.handle({ type: 'saveSettings', settings: on })).toBeNull()
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(on)
    await s.close()
    expect(start().currentSettings).toEqual(on)
  })
})
