// A serial port in the inspector's settings (transport 'serial'): checked by
// the command line's rules with the form's field names, each refusal one
// sentence; a port that is not plugged in yet may be saved, not started; and
// settings files from before the serial port load unchanged.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { EngineService, type UiClient } from '../../src/service/engineService'
import { DEFAULT_SETTINGS, parseUiCommand, type BridgeSettings, type EngineMessage } from '../../src/shared/protocol'

let dir: string
let file: string
let service: EngineService | undefined
let messages: EngineMessage[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tunscope-serial-settings-'))
  file = join(dir, 'config', 'settings.json')
})

afterEach(async () => {
  await service?.close()
  service = undefined
  rmSync(dir, { recursive: true, force: true })
})

function start(): EngineService {
  service = new EngineService({ settingsFile: file, baseDir: dir, application: 'tunscope test' })
  messages = []
  const client: UiClient = { sendMessage: (m) => messages.push(m), sendFrames: () => {}, backlog: () => 0 }
  service.attach(client)
  return service
}

const serial = (change: Partial<BridgeSettings>): BridgeSettings => ({ ...DEFAULT_SETTINGS, transport: 'serial', ...change })
/** One sentence: a capital, no line break, one full stop at the end and none followed by another sentence. */
const ONE_SENTENCE = /^[A-Z][^\n]*\.$/

describe('a serial port in the settings', () => {
  const refused: [string, () => Partial<BridgeSettings>, RegExp][] = [
    ['an empty path', () => ({ serial: '' }), /^Serial port is empty; give the serial device's path, such as \/dev\/ttyUSB0\.$/],
    ['a path of spaces', () => ({ serial: '   ' }), /^Serial port is empty; /],
    ['a regular file', () => {
      writeFileSync(join(dir, 'notes.txt'), 'not a tty\n')
      return { serial: join(dir, 'notes.txt') }
    }, /^The Serial port path \S+notes\.txt is a regular file, not a serial port; give a serial device such as \/dev\/ttyUSB0\.$/],
    ['a folder', () => ({ serial: dir }), /^The Serial port path \S+ is a folder, not a serial port; give a serial device such as \/dev\/ttyUSB0\.$/],
    ['a relative path to a folder (taken under the engine\'s folder)', () => {
      mkdirSync(join(dir, 'dev'))
      return { serial: 'dev' }
    }, /^The Serial port path \S+\/dev is a folder, not a serial port; /],
    ['a character device that is not a tty', () => ({ serial: '/dev/null' }), /^The Serial port path \/dev\/null is a character device but not a tty, so not a serial port; /],
    ['a nonstandard baud', () => ({ baud: '12345' }), /^Baud "12345" is not a speed serial ports take; choose a standard rate such as 9600, 115200 or 921600\.$/],
    ['a baud that is not a number', () => ({ baud: '115200; reboot' }), /^Baud "115200; reboot" is not a number/],
    ['a negative baud', () => ({ baud: '-9600' }), /^Baud "-9600" /]
  ]
  for (const [what, change, sentence] of refused) {
    it(`refuses a Save with ${what} in one sentence, storing nothing`, async () => {
      start()
      const answer = await service!.handle({ type: 'saveSettings', settings: serial(change()) })
      expect(answer).toEqual({ type: 'settingsRejected', message: expect.stringMatching(sentence) })
      if (answer) expect(answer.message).toMatch(ONE_SENTENCE)
      expect(service!.currentSettings).toEqual(DEFAULT_SETTINGS)
      expect(() => readFileSync(file)).toThrow(/ENOENT/)
    })
  }

  it('saves a port that is not plugged in yet; Start then says to plug it in, in one sentence, and starts nothing', async () => {
    start()
    const unplugged = serial({ serial: join(dir, 'ttyUSB9'), baud: '921600' })
    expect(await service!.handle({ type: 'saveSettings', settings: unplugged })).toBeNull()
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(unplugged)
    expect(await service!.handle({ type: 'start', settings: unplugged })).toBeNull()
    expect(service!.currentProblem?.message).toBe(`Serial port ${join(dir, 'ttyUSB9')} does not exist; plug the device in or give its path (ls /dev/ttyUSB* /dev/ttyACM*).`)
    expect(messages.filter((m) => m.type === 'status').at(-1)).toMatchObject({ running: false, settings: unplugged })
  })

  it('remembers the serial port and its baud in the next session', async () => {
    start()
    const port = serial({ serial: '/dev/ttyACM3', baud: '460800' })
    expect(await service!.handle({ type: 'saveSettings', settings: port })).toBeNull()
    await service!.close()
    start()
    expect(service!.currentSettings).toEqual(port)
  })

  it('loads a settings file from before the serial port unchanged, with the usual port ready for when it is chosen', () => {
    const old = { transport: 'listen', framing: 'qemu', socket: '/home/me/n.sock', tcp: 'localhost:5555', interfaceKind: 'tun', tun: 'tun3', hostIp: '10.1.0.1/24', deviceIp: '10.1.0.2', maxFrame: '1514', mtu: '', gwMac: '02:00:00:00:00:01', deviceMac: '', baud: '115200' }
    mkdirSync(join(dir, 'config'))
    writeFileSync(file, JSON.stringify(old))
    start()
    expect(service!.settingsFileTrouble.unreadable).toBeNull()
    expect(service!.currentSettings).toMatchObject(old)
    expect(service!.currentSettings.serial).toBe('/dev/ttyUSB0')
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(old))
  })

  it('takes a UI command without the serial field (an older page) and refuses one whose serial is not text', () => {
    const { serial: _, ...withoutSerial } = DEFAULT_SETTINGS
    expect(parseUiCommand({ type: 'saveSettings', settings: withoutSerial })).toEqual({ type: 'saveSettings', settings: DEFAULT_SETTINGS })
    expect(parseUiCommand({ type: 'start', settings: { ...DEFAULT_SETTINGS, transport: 'serial', serial: ['/dev/ttyUSB0'] } })).toBeNull()
    expect(parseUiCommand({ type: 'start', settings: { ...DEFAULT_SETTINGS, transport: 'usb' } })).toBeNull()
  })
})
