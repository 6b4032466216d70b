// Choosing the framing by name (--framing, the app's settings): each brings its
// own default frame limit, and a name the bridge does not speak is refused.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { toBridgeOptions, type BridgeFlags } from '../../src/engine/bridgeSettings.js'
import { UserError } from '../../src/engine/errors.js'
import { EngineService } from '../../src/service/engineService.js'
import { DEFAULT_SETTINGS, parseSettings, settingsFields, type BridgeSettings } from '../../src/shared/protocol.js'

const flags: BridgeFlags = { socket: '/tmp/uart.sock', tun: 'tun0', hostIp: '192.168.100.1/24', deviceIp: '192.168.100.2', gwMac: '02:00:00:00:00:01', baud: '115200' }
const options = (more: Partial<BridgeFlags>) => toBridgeOptions({ ...flags, ...more }, {}, false)

describe('the framing choice', () => {
  it("is the ESP32 tunnel unless told otherwise, with its 1500-byte frames (MTU 1486) and the firmware's MAC", () => {
    const o = options({})
    expect(o.framing.name).toBe('esp32')
    expect(o.framing.header.bytes).toBe(2)
    expect([o.maxFrame, o.tun.mtu]).toEqual([1500, 1486])
    expect(Array.from(o.defaultDeviceMac)).toEqual([2, 0, 0, 0, 0, 2])
  })

  it("gives QEMU its 4-byte length, 1514-byte frames (MTU 1500) and its NIC's default MAC 52:54:00:12:34:56", () => {
    const o = options({ framing: 'qemu' })
    expect(o.framing.name).toBe('qemu')
    expect(o.framing.header.bytes).toBe(4)
    expect([o.maxFrame, o.tun.mtu]).toEqual([1514, 1500])
    expect(Array.from(o.defaultDeviceMac)).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56])
    expect(Array.from(options({ framing: 'qemu', deviceMac: '02:00:00:00:00:09' }).defaultDeviceMac)).toEqual([2, 0, 0, 0, 0, 9])
  })

  it('takes --max-frame up to 65535 with either framing, which keeps QEMU under its 69632-byte limit', () => {
    for (const framing of ['esp32', 'qemu']) {
      expect(options({ framing, maxFrame: '65535' }).maxFrame).toBe(65535)
      expect(() => options({ framing, maxFrame: '65536' })).toThrow(/--max-frame "65536" is out of range; give a whole number from 64 to 65535\./)
    }
  })

  it('refuses a framing it does not speak, naming the ones it does', () => {
    expect(() => options({ framing: 'slip' })).toThrow(UserError)
    expect(() => options({ framing: 'slip' })).toThrow('--framing "slip" is not a framing this bridge speaks; choose esp32 or qemu.')
    expect(() => options({ framing: 'toString' })).toThrow(/choose esp32 or qemu/)
  })
})

describe('the framing in the app\'s settings', () => {
  it('is read from settings, defaults to the ESP32 tunnel when absent (older settings) and refuses unknown ones', () => {
    expect(parseSettings({ ...DEFAULT_SETTINGS, framing: 'qemu' })?.framing).toBe('qemu')
    const { framing: _absent, ...older } = DEFAULT_SETTINGS
    expect(parseSettings(older)?.framing).toBe('esp32')
    expect(parseSettings({ ...DEFAULT_SETTINGS, framing: 'slip' })).toBeNull()
    expect(settingsFields({ framing: 'slip' }).malformed).toEqual(['framing'])
  })

  describe('checked and remembered by the engine service', () => {
    let dir: string
    let service: EngineService
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'tunscope-framing-'))
      service = new EngineService({ settingsFile: join(dir, 'settings.json'), baseDir: dir, application: 'tunscope test' })
    })
    afterEach(async () => {
      await service.close()
      rmSync(dir, { recursive: true, force: true })
    })

    it('takes QEMU framing with its 1514-byte frames (an MTU of 1500 fits) and remembers it', async () => {
      const settings: BridgeSettings = { ...DEFAULT_SETTINGS, framing: 'qemu', maxFrame: '1514', mtu: '1500' }
      expect(await service.handle({ type: 'saveSettings', settings })).toBeNull()
      expect(service.currentSettings.framing).toBe('qemu')
      expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ framing: 'qemu' })
    })
  })
})
