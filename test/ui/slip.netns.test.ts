// SLIP in the inspector, in Chromium against `tunscope serve --demo --framing slip --payload ip
// --start`: the demo device speaks SLIP carrying bare IP, the status bar names the link SLIP,
// the list decodes each record from its IP header (no Ethernet layer), the details tree names
// the SLIP record and its escapes, and Settings offers what SLIP carries. Screenshots at both
// window sizes, light and dark.
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'

import { inspectorForSuite, screenshotBothThemes, skipInspector, WINDOW_SIZES } from '../helpers/inspectorPage.js'

const DEVICE_IP = '192.168.100.2'

describe.skipIf(skipInspector)('SLIP carrying bare IP, in Chromium', () => {
  const ui = inspectorForSuite('tsuislip', ['--demo', '--framing', 'slip', '--payload', 'ip', '--start', '--tun', 'tun0', '--port', '0'])
  let page: Page

  beforeAll(() => {
    page = ui.page
  })

  it('names the link SLIP, and the device by its address alone (a SLIP link has no MAC)', async () => {
    const link = page.getByTestId('uart-status')
    await link.filter({ hasText: /SLIP Demo device connected/ }).waitFor({ timeout: 15_000 })
    expect(await link.getAttribute('title')).toMatch(/^SLIP \(IP\): The built-in demo device/)
    await expect.poll(() => page.getByTestId('device-status').textContent(), { timeout: 15_000 }).toBe(`Device ${DEVICE_IP}`)
    expect(await page.getByTestId('tun-status').textContent()).toMatch(/tun0 192\.168\.100\.1\/24 · MTU 1500 · up/)
  })

  it('lists pings decoded from the IP header, and the tree names the SLIP record and its escapes', async () => {
    const r = await ui.ns.exec('ping', ['-n', '-q', '-c', '3', '-i', '0.2', '-W', '2', DEVICE_IP], { timeoutMs: 30_000 })
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
    await expect.poll(() => page.locator('[data-col="info"]', { hasText: 'Echo (ping) reply' }).count()).toBeGreaterThanOrEqual(3)
    await page.getByLabel('Follow').uncheck()
    await page.locator('[role="row"][data-index]', { hasText: 'Echo (ping) reply' }).first().click()
    const details = page.getByTestId('details')
    await expect.poll(() => details.textContent()).toMatch(/SLIP record, 84 bytes of IP packet, \d+ bytes on the wire/)
    const text = await details.textContent()
    expect(text).toMatch(/Internet Protocol Version 4/)
    expect(text).not.toMatch(/Ethernet II/)
    expect(text).not.toMatch(/Bytes shown/) // a SLIP record is whole with fewer bytes than its escaped wire
    // The counters list SLIP's error kinds: an escape error, no zero length (there is no length field).
    expect(await page.getByTestId('framing-slipEscape').textContent()).toMatch(/^SLIP escape error0/)
    expect(await page.getByTestId('framing-zeroLength').count()).toBe(0)
    for (const size of WINDOW_SIZES) {
      await page.setViewportSize(size)
      await screenshotBothThemes(page, `slip-${size.width}x${size.height}`)
    }
  })

  it('offers what SLIP carries in Settings, and no console errors or warnings', async () => {
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    expect(await dialog.locator('select[name="framing"]').inputValue()).toBe('slip')
    expect(await dialog.locator('select[name="payload"]').inputValue()).toBe('ip')
    await dialog.locator('select[name="framing"]').selectOption('qemu')
    expect(await dialog.locator('select[name="payload"]').count()).toBe(0) // QEMU's NIC carries Ethernet only
    expect(await dialog.locator('input[name="maxFrame"]').inputValue()).toBe('1514') // the default follows the framing
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect(ui.consoleErrors).toEqual([])
  })
})
