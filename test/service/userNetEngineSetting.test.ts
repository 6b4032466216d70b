// The app's choice of user-mode engine (Settings → Engine, `userNetEngine`): taken from a settings
// file or a UI command only when it names an engine, absent in settings from before it (automatic).
import { describe, expect, it } from 'vitest'

import { DEFAULT_SETTINGS, parseSettings, parseUiCommand, settingsFields } from '../../src/shared/protocol'

describe('the userNetEngine setting', () => {
  it('is automatic by default and in settings from before it', () => {
    expect(DEFAULT_SETTINGS.userNetEngine).toBe('auto')
    const { userNetEngine: _engine, ...older } = DEFAULT_SETTINGS
    expect(parseSettings(older)).toEqual(DEFAULT_SETTINGS)
  })

  it('takes passt and slirp, and refuses anything else as malformed', () => {
    for (const engine of ['passt', 'slirp'] as const) expect(parseSettings({ ...DEFAULT_SETTINGS, userNetEngine: engine })?.userNetEngine).toBe(engine)
    for (const junk of ['gvproxy', 'PASST', '', 1, null, ['slirp'], { engine: 'slirp' }]) {
      expect(parseSettings({ ...DEFAULT_SETTINGS, userNetEngine: junk }), JSON.stringify(junk)).toBeNull()
      expect(settingsFields({ userNetEngine: junk }).malformed).toEqual(['userNetEngine'])
    }
    expect(parseUiCommand({ type: 'start', settings: { ...DEFAULT_SETTINGS, interfaceKind: 'user', userNetEngine: 'qemu' } })).toBeNull()
  })
})
