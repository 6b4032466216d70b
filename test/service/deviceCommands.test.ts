// The device list's commands as the engine host receives them from a UI it does not trust: only
// well-formed ones pass, and the settings file's device list is read the same way.
import { describe, expect, it } from 'vitest'

import { DEFAULT_SETTINGS, MAX_EXTRA_DEVICES, parseSettings, parseUiCommand, settingsFields } from '../../src/shared/protocol.js'

const sensor = { name: 'sensor', transport: 'demo', address: '', framing: 'esp32' }

describe('addDevice and removeDevice from an untrusted UI', () => {
  it('passes a well-formed device, and only its fields', () => {
    expect(parseUiCommand({ type: 'addDevice', device: { ...sensor, extra: 'x' } })).toEqual({ type: 'addDevice', device: sensor })
    expect(parseUiCommand({ type: 'removeDevice', name: 'sensor' })).toEqual({ type: 'removeDevice', name: 'sensor' })
  })

  it('refuses what is not one', () => {
    const bad: unknown[] = [
      { type: 'addDevice' },
      { type: 'addDevice', device: null },
      { type: 'addDevice', device: [] },
      { type: 'addDevice', device: { ...sensor, transport: 'ssh' } },
      { type: 'addDevice', device: { ...sensor, framing: 'ppp' } },
      { type: 'addDevice', device: { ...sensor, framing: 'toString' } },
      { type: 'addDevice', device: { ...sensor, name: 7 } },
      { type: 'addDevice', device: { ...sensor, address: 'x'.repeat(5000) } },
      { type: 'removeDevice' },
      { type: 'removeDevice', name: { toString: 'sensor' } },
      { type: 'removeDevice', name: 'n'.repeat(5000) }
    ]
    for (const command of bad) expect(parseUiCommand(command), JSON.stringify(command).slice(0, 80)).toBeNull()
  })

  it('reads the settings\' device list whole or not at all: a malformed one, or more than the bridge takes, is named malformed', () => {
    expect(parseSettings({ ...DEFAULT_SETTINGS, devices: [sensor] })?.devices).toEqual([sensor])
    expect(parseSettings({ ...DEFAULT_SETTINGS, devices: undefined })?.devices).toEqual([]) // settings from before the list
    expect(settingsFields({ devices: [sensor, { ...sensor, transport: 1 }] }).malformed).toEqual(['devices'])
    expect(settingsFields({ devices: 'sensor' }).malformed).toEqual(['devices'])
    const many = Array.from({ length: MAX_EXTRA_DEVICES + 1 }, (_, i) => ({ ...sensor, name: `d${i}` }))
    expect(settingsFields({ devices: many }).malformed).toEqual(['devices'])
    expect(settingsFields({ devices: many.slice(1) }).fields.devices).toHaveLength(MAX_EXTRA_DEVICES)
  })
})
