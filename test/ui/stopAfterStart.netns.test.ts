// `tunscope serve --demo --start` on a first run (no settings file) in
// Chromium: the run's settings are not saved, yet Stop must return to the
// frames with the device named as last seen, not to the first-run choice.
import { describe, expect, it } from 'vitest'

import { inspectorForSuite, skipInspector } from '../helpers/inspectorPage.js'

describe.skipIf(skipInspector)('Stop after serve --demo --start on a first run, in Chromium', () => {
  const ui = inspectorForSuite('tsstop', ['--demo', '--start', '--tun', 'tun0', '--port', '0'])

  it('keeps the frames and names the device as last seen after Stop, with no start screen, and bridges again on Start', async () => {
    const page = ui.page
    const statusBar = page.locator('.status-bar')
    const device = page.getByTestId('device-status')
    await device.filter({ hasText: '02:00:00:00:00:02 · 192.168.100.2' }).waitFor({ timeout: 15_000 })
    await statusBar.getByRole('button', { name: 'Stop' }).click()
    await expect.poll(() => device.textContent()).toMatch('02:00:00:00:00:02 · 192.168.100.2 · last seen')
    expect(await page.getByTestId('uart-status').textContent()).toMatch(/stopped/)
    expect(await page.getByRole('heading', { name: 'Where is your ESP32?' }).count()).toBe(0)
    expect(await page.locator('[role="row"][data-index]').count()).toBeGreaterThan(0)
    await statusBar.getByRole('button', { name: 'Start' }).click()
    await device.filter({ hasText: /^Device 02:00:00:00:00:02 · 192\.168\.100\.2$/ }).waitFor({ timeout: 15_000 })
    expect(ui.consoleErrors).toEqual([])
  })
})
