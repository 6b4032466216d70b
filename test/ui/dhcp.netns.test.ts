// DHCP from the inspector's Settings, in Chromium against `tunscope serve
// --demo --start`: the DHCP checkbox shows the lease and resolver fields,
// a bad lease is refused in one sentence, and once saved the restarted demo
// device takes its address by DHCP, the whole exchange decoded in the list.
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'

import { inspectorForSuite, screenshotBothThemes, skipInspector } from '../helpers/inspectorPage.js'

describe.skipIf(skipInspector)('Serve DHCP to the device, from Settings, in Chromium', () => {
  const ui = inspectorForSuite('tsuidhcp', ['--demo', '--start', '--tun', 'tun0', '--port', '0'])
  let page: Page

  beforeAll(() => {
    page = ui.page
  })

  it('shows the lease and DNS fields only with DHCP on, and refuses a lease of 0 in one sentence', async () => {
    await page.getByTestId('uart-status').filter({ hasText: /Demo device connected/ }).waitFor({ timeout: 15_000 })
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    const dhcp = dialog.getByLabel(/Serve DHCP to the device/)
    expect(await dhcp.isChecked()).toBe(false)
    expect(await dialog.locator('input[name="dhcpLease"]').count()).toBe(0)
    expect(await dialog.locator('input[name="dns"]').count()).toBe(0)
    await dhcp.check()
    await dialog.locator('input[name="dhcpLease"]').fill('0')
    await dialog.locator('input[name="dns"]').fill('192.168.100.1, 9.9.9.9')
    await dialog.getByRole('button', { name: 'Save and start' }).click()
    await expect.poll(() => dialog.getByTestId('settings-refused').textContent())
      .toBe('Lease "0" is out of range; give a whole number from 60 to 4294967295.')
    await dialog.locator('input[name="dns"]').fill('x')
    await dialog.locator('input[name="dhcpLease"]').fill('120')
    await dialog.getByRole('button', { name: 'Save and start' }).click()
    await expect.poll(() => dialog.getByTestId('settings-refused').textContent())
      .toBe('DNS servers "x" is not an IPv4 address; write it like 192.168.100.2.')
    await dialog.locator('input[name="dns"]').fill('192.168.100.1, 9.9.9.9')
    await dialog.locator('input[name="dns"]').scrollIntoViewIfNeeded()
    await screenshotBothThemes(page, 'settings-dhcp')
    await dialog.getByRole('button', { name: 'Save and start' }).click()
    await dialog.waitFor({ state: 'detached' })
  })

  it('the restarted demo device takes its address by DHCP: Discover, Offer, Request and ACK in the list', async () => {
    await page.getByTestId('uart-status').filter({ hasText: /Demo device connected/ }).waitFor({ timeout: 15_000 })
    await page.getByTestId('filter').fill('dhcp')
    const infos = page.locator('[data-col="info"]')
    for (const kind of ['Discover', 'Offer', 'Request', 'ACK']) {
      await infos.filter({ hasText: new RegExp(`^DHCP ${kind} - Transaction ID 0x`) }).first().waitFor({ timeout: 15_000 })
    }
    await page.getByTestId('filter').fill('')
    await expect.poll(() => page.getByTestId('device-status').textContent(), { timeout: 10_000 }).toContain('02:00:00:00:00:02 · 192.168.100.2')
    const r = await ui.ns.exec('ping', ['-n', '-q', '-c', '2', '-i', '0.2', '-W', '2', '192.168.100.2'], { timeoutMs: 30_000 })
    expect(r.stdout).toMatch(/2 packets transmitted, 2 received/)
  })

  it('keeps DHCP on in Settings after a reload, and logs no console errors or warnings', async () => {
    await page.reload()
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    expect(await dialog.getByLabel(/Serve DHCP to the device/).isChecked()).toBe(true)
    expect(await dialog.locator('input[name="dhcpLease"]').inputValue()).toBe('120')
    expect(await dialog.locator('input[name="dns"]').inputValue()).toBe('192.168.100.1, 9.9.9.9')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect(ui.consoleErrors).toEqual([])
  })
})
