// Save and Start from a UI: settings are checked by the command line's rules
// before anything is stored or stopped; a refusal goes to the sender only.
//
// No test here opens a TUN: every Start that passes the check names a socket
// in a folder that does not exist, so it fails right after, with a problem.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { EngineService, type UiClient } from '../../src/service/engineService'
import { DEFAULT_SETTINGS, type BridgeSettings, type EngineMessage, type StatusMessage } from '../../src/shared/protocol'

let dir: string
let file: string
let service: EngineService
let messages: EngineMessage[]
let missingSocket: BridgeSettings

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunscope-commands-'))
  file = join(dir, 'config', 'settings.json')
  missingSocket = { ...DEFAULT_SETTINGS, socket: join(dir, 'no-such-folder', 'uart1.sock') }
})

afterEach(async () => {
  await service.close()
  rmSync(dir, { recursive: true, force: true })
})

function start(settingsFile: string): void {
  service = new EngineService({ settingsFile, baseDir: dir, application: 'tunscope test' })
  messages = []
  const client: UiClient = { sendMessage: (m) => messages.push(m), sendFrames: () => {}, backlog: () => 0 }
  service.attach(client)
  messages.length = 0 // hello and the first stats
}

const statuses = (): StatusMessage[] => messages.filter((m): m is StatusMessage => m.type === 'status')
const saved = (): BridgeSettings => JSON.parse(readFileSync(file, 'utf8')) as BridgeSettings

describe('settings from a UI', () => {
  const refused: [string, Partial<BridgeSettings>, RegExp][] = [
    ['a TUN name with shell characters', { tun: 'a;$(id)' }, /^Interface name "a;\$\(id\)" is not usable; /],
    ['a host address out of range', { hostIp: '999.1.1.1/99' }, /^Host address "999\.1\.1\.1\/99" is not an IPv4 address /],
    ['a device outside the host subnet', { deviceIp: '10.0.0.2' }, /^Device address 10\.0\.0\.2 is outside 192\.168\.100\.1\/24/],
    ['an MTU over the max frame', { mtu: '1500' }, /^MTU 1500 would make frames longer than Max frame 1500 allows/],
    ['a TCP address that is not HOST:PORT', { transport: 'tcp', tcp: 'localhost' }, /^TCP address "localhost" is not HOST:PORT/],
    ['a TCP address to listen on that is not HOST:PORT', { transport: 'tcp-listen', tcp: 'localhost' }, /^TCP address "localhost" is not HOST:PORT; write it like 127\.0\.0\.1:5555\.$/],
    ['a socket path too long for a unix socket', { socket: `/${'s'.repeat(120)}` }, /longer than the 107 bytes a unix socket allows/],
    ['a TAP name over 15 characters', { interfaceKind: 'tap', tun: `tap${'x'.repeat(20)}` }, /^Interface name "tapx{20}" is not usable; use 1 to 15 /],
    ['a device MAC one byte short', { deviceMac: '02:00:00:00:00' }, /^Device MAC "02:00:00:00:00" is not a MAC address; write it like /],
    ['a device MAC with a command after it', { deviceMac: '02:00:00:00:00:02; reboot' }, /^Device MAC "02:00:00:00:00:02; reboot" is not a MAC address; /],
    ['the broadcast MAC as the device MAC', { deviceMac: 'ff:ff:ff:ff:ff:ff' }, /^Device MAC ff:ff:ff:ff:ff:ff is a multicast address; use a unicast one /],
    ['a multicast MAC as the device MAC', { deviceMac: '01:00:5e:00:00:01' }, /^Device MAC 01:00:5e:00:00:01 is a multicast address; /],
    ['an MTU over the max frame of a TAP', { interfaceKind: 'tap', mtu: '1501' }, /^MTU 1501 would make frames longer than Max frame 1500 allows; use at most 1500\.$/]
  ]
  for (const [what, change, sentence] of refused) {
    it(`refuses a Save with ${what}: one sentence to the sender, nothing stored or broadcast`, async () => {
      start(file)
      const answer = await service.handle({ type: 'saveSettings', settings: { ...DEFAULT_SETTINGS, ...change } })
      expect(answer).toEqual({ type: 'settingsRejected', message: expect.stringMatching(sentence) })
      expect(service.currentSettings).toEqual(DEFAULT_SETTINGS)
      expect(() => readFileSync(file)).toThrow(/ENOENT/)
      expect(statuses()).toEqual([])
    })
  }

  it('refuses a bad Start without stopping, storing or starting anything', async () => {
    start(file)
    expect(await service.handle({ type: 'start', settings: missingSocket })).toBeNull()
    const before = service.currentProblem
    expect(before?.message).toMatch(/^The socket's folder .*no-such-folder does not exist/)
    messages.length = 0

    const answer = await service.handle({ type: 'start', settings: { ...missingSocket, hostIp: '999.1.1.1/99', tun: 'a;$(id)' } })
    expect(answer).toMatchObject({ type: 'settingsRejected', message: expect.stringMatching(/^Host address "999\.1\.1\.1\/99" /) })
    // A Start that ran would have replaced the problem and sent a status (and final stats, had a bridge stopped).
    expect(service.currentProblem).toBe(before)
    expect(messages).toEqual([])
    expect(service.currentSettings).toEqual(missingSocket)
    expect(saved()).toEqual(missingSocket)
  })

  it('saves a TAP, its full-frame MTU and a device MAC, and remembers them in the next session', async () => {
    start(file)
    const tap: BridgeSettings = { ...missingSocket, interfaceKind: 'tap', tun: 'tap0', mtu: '1500', deviceMac: '02:12:34:56:78:9a' }
    expect(await service.handle({ type: 'saveSettings', settings: tap })).toBeNull()
    expect(saved()).toEqual(tap)
    expect(statuses().at(-1)).toMatchObject({ settings: tap })
    await service.close()
    start(file)
    expect(service.currentSettings).toEqual(tap)
  })

  it("takes an empty device MAC (the default) as the firmware's, as the command line does without --device-mac", async () => {
    start(file)
    expect(DEFAULT_SETTINGS.deviceMac).toBe('')
    expect(await service.handle({ type: 'saveSettings', settings: { ...missingSocket, deviceMac: ' ' } })).toBeNull()
  })

  it('saves settings whose socket folder does not exist yet (QEMU may make it later)', async () => {
    start(file)
    expect(await service.handle({ type: 'saveSettings', settings: missingSocket })).toBeNull()
    expect(saved()).toEqual(missingSocket)
    expect(statuses().at(-1)).toMatchObject({ settings: missingSocket, running: false, problem: null })
  })
})
