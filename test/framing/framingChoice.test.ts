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
const bridgeOptions = (more: Partial<BridgeFlags>) => toBridgeOptions({ ...flags, ...more }, {}, false)
/** One device's options, with the bridge's TUN and prefix beside them. */
const options = (more: Partial<BridgeFlags>) => {
  const o = bridgeOptions(more)
  return { ...o.devices[0]!, tun: o.tun, slipPrefix: o.slipPrefix }
}

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
    expect(() => options({ framing: 'ppp' })).toThrow(UserError)
    expect(() => options({ framing: 'ppp' })).toThrow('--framing "ppp" is not a framing this bridge speaks; choose esp32, qemu or slip.')
    expect(() => options({ framing: 'toString' })).toThrow(/choose esp32, qemu or slip/)
  })

  it('takes SLIP carrying Ethernet (the default) or bare IP; only IP frees the TUN of the Ethernet header', () => {
    expect(options({ framing: 'slip' })).toMatchObject({ framing: { name: 'slip', payload: 'ethernet' }, maxFrame: 1514, tun: { mtu: 1500 } })
    expect(options({ framing: 'slip', payload: 'ethernet' }).framing.payload).toBe('ethernet')
    expect(options({ framing: 'slip', payload: 'ip' })).toMatchObject({ framing: { name: 'slip', payload: 'ip' }, maxFrame: 1500, tun: { mtu: 1500 } })
    expect(options({ framing: 'slip', payload: 'ip', maxFrame: '296' }).tun.mtu).toBe(296) // Linux slattach's default MTU
  })

  it("takes --ipv6-prefix for tunslip6's '?P' as the /64's 8 bytes, with SLIP only, and refuses what is not a /64 in one sentence", () => {
    expect(Array.from(options({ framing: 'slip', ipv6Prefix: 'fd00:1::/64' }).slipPrefix!)).toEqual([0xfd, 0, 0, 1, 0, 0, 0, 0])
    expect(Array.from(options({ framing: 'slip', ipv6Prefix: '2001:db8:aa:bb::' }).slipPrefix!)).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0xaa, 0, 0xbb])
    expect(Array.from(options({ framing: 'slip', ipv6Prefix: '1:2:3:4:5:6:7:8' }).slipPrefix!)).toEqual([0, 1, 0, 2, 0, 3, 0, 4])
    expect(options({ framing: 'slip' }).slipPrefix).toBeNull()
    for (const bad of ['fd00::/48', 'fd00::1::', 'fd00:1', '::ffff:1.2.3.4', 'fd00::/64/1', 'fg00::', '1:2:3:4:5:6:7:8:9', '12345::', '']) {
      expect(() => options({ framing: 'slip', ipv6Prefix: bad })).toThrow(`--ipv6-prefix "${bad}" is not an IPv6 /64 prefix; write it like fd00:1::/64.`)
    }
    expect(() => options({ framing: 'qemu', ipv6Prefix: 'fd00::/64' })).toThrow("--ipv6-prefix answers tunslip6's prefix request, which only SLIP devices send; add --framing slip or drop it.")
  })

  it('refuses a payload the framing cannot carry, and bare IP with what needs Ethernet (TAP, DHCP), in one sentence each', () => {
    expect(() => options({ framing: 'qemu', payload: 'ip' })).toThrow('--payload is for framings that can carry bare IP (slip); qemu always carries Ethernet frames.')
    expect(() => options({ payload: 'ethernet' })).toThrow(/esp32 always carries Ethernet frames/)
    expect(() => options({ framing: 'slip', payload: 'IP' })).toThrow('--payload "IP" is not what slip can carry; choose ethernet or ip.')
    expect(() => options({ framing: 'slip', payload: '__proto__' })).toThrow(/choose ethernet or ip/)
    expect(() => options({ framing: 'slip', payload: 'ip', tap: true })).toThrow('a TAP (--tap) needs Ethernet frames, and --payload ip carries bare IP packets; use a TUN, or --payload ethernet.')
    expect(() => options({ framing: 'slip', payload: 'ip', dhcp: true })).toThrow(/DHCP \(--dhcp\) needs Ethernet frames/)
  })
})

describe('the framing in the app\'s settings', () => {
  it('is read from settings, defaults to the ESP32 tunnel when absent (older settings) and refuses unknown ones', () => {
    expect(parseSettings({ ...DEFAULT_SETTINGS, framing: 'qemu' })?.framing).toBe('qemu')
    const { framing: _absent, ...older } = DEFAULT_SETTINGS
    expect(parseSettings(older)?.framing).toBe('esp32')
    expect(parseSettings({ ...DEFAULT_SETTINGS, framing: 'slip' })?.framing).toBe('slip')
    expect(parseSettings({ ...DEFAULT_SETTINGS, framing: 'ppp' })).toBeNull()
    const { payload: _payload, ipv6Prefix: _prefix, ...beforeSlip } = DEFAULT_SETTINGS
    expect(parseSettings(beforeSlip)).toMatchObject({ payload: 'ethernet', ipv6Prefix: '' })
    expect(parseSettings({ ...DEFAULT_SETTINGS, framing: 'slip', payload: 'ip' })?.payload).toBe('ip')
    expect(settingsFields({ payload: 'IP', ipv6Prefix: 7 }).malformed).toEqual(['payload', 'ipv6Prefix'])
    expect(settingsFields({ framing: 'ppp' }).malformed).toEqual(['framing'])
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
