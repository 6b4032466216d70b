// First run in Chromium against `tunscope serve` (no --start, fresh settings):
// the start screen, the built-in demo device's live traffic through the real
// TUN, its faults in the inspector's counters, and no start screen once the
// settings are saved. One namespace: the demo device runs inside the server.
import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'

import { inspectorForSuite, primaryButtonContrasts, screenshotBothThemes, skipInspector } from '../helpers/inspectorPage.js'

/** A framing error is counted when the next good record ends the hunt: the device's next frame (telemetry every 2 s), then the next stats. */
const FAULT_SHOWN = { timeout: 6_000 }

describe.skipIf(skipInspector)('the demo device from the start screen, in Chromium', () => {
  const ui = inspectorForSuite('tsdemo', ['--tun', 'tun0', '--port', '0'])
  let page: Page

  const filter = () => page.getByTestId('filter')
  const rows = () => page.locator('[role="row"][data-index]')
  const infos = (text: string | RegExp) => page.locator('[data-col="info"]', { hasText: text })
  const counter = (testId: string) => page.getByTestId(testId).locator('td.num')
  const countOf = async (testId: string): Promise<number> => Number((await counter(testId).textContent())?.replaceAll(',', ''))
  const chooseFault = async (label: RegExp): Promise<void> => {
    await page.getByRole('button', { name: /Faults/ }).click()
    await page.getByRole('menuitem', { name: label }).click()
  }

  beforeAll(() => {
    page = ui.page
  })

  it('offers QEMU or the demo on a first run, with the QEMU command line for the socket typed', async () => {
    await page.getByRole('heading', { name: 'Where is your ESP32?' }).waitFor()
    await page.getByRole('heading', { name: 'Connect to QEMU' }).waitFor()
    await page.getByRole('heading', { name: 'Run the demo device' }).waitFor()
    const command = page.getByTestId('qemu-command')
    // The full path, as tunscope serve (started in this folder) will use it: QEMU may start anywhere.
    expect(await command.textContent()).toContain(`-serial unix:${process.cwd()}/temp/esp32-uart1.sock,server,nowait`)
    const socket = page.getByLabel('Socket path')
    await socket.fill('/tmp/my dir/uart.sock')
    expect(await command.textContent()).toContain("-serial 'unix:/tmp/my dir/uart.sock,server,nowait'")
    await socket.fill('')
    expect(await page.getByRole('button', { name: 'Connect' }).isDisabled()).toBe(true)
    await socket.fill('temp/esp32-uart1.sock')
    await screenshotBothThemes(page, 'start-screen')
    // WCAG AA for the primary actions' text, light and dark.
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme })
      const contrasts = await primaryButtonContrasts(page)
      expect(contrasts.length).toBeGreaterThan(0)
      for (const { label, contrast } of contrasts) expect(contrast, `${colorScheme}: ${label}`).toBeGreaterThanOrEqual(4.5)
    }
    await page.emulateMedia({ colorScheme: null })
  })

  it('runs the demo: pings, HTTP and UDP listed within 15 s, the device learned in the status bar', async () => {
    await page.getByRole('button', { name: 'Run the demo' }).click()
    const demoStartedAt = Date.now()
    expect(await page.getByRole('heading', { name: 'Where is your ESP32?' }).count()).toBe(0)
    await page.getByTestId('uart-status').filter({ hasText: /Demo device connected/ }).waitFor({ timeout: 15_000 })
    // The list shows only the rows on screen: each kind is looked for under its own filter.
    const expectListed = async (filterText: string, what: string | RegExp, atLeast = 1): Promise<void> => {
      await filter().fill(filterText)
      await expect.poll(() => infos(what).count(), { timeout: 15_000 - (Date.now() - demoStartedAt) }).toBeGreaterThanOrEqual(atLeast)
    }
    await expectListed('icmp', 'Echo (ping) request')
    await expectListed('icmp', 'Echo (ping) reply')
    await expectListed('http', /GET \/ HTTP\/1\.1/)
    await expectListed('http', /HTTP\/1\.[01] 200 OK/)
    await expectListed('udp.dstport == 5000', /→ 5000 Len=/)
    await expectListed('udp.port == 7', /→ 7 Len=/)
    await expectListed('udp.port == 7', /^7 → /)
    await filter().fill('')
    expect(await page.getByTestId('device-status').textContent()).toContain('02:00:00:00:00:02 · 192.168.100.2')
    expect(await page.getByTestId('tun-status').textContent()).toMatch(/tun0 192\.168\.100\.1\/24 · MTU 1486 · up/)
    expect(await page.getByTestId('uart-status').getAttribute('title')).toMatch(/Host traffic: \d+ rounds of ping, HTTP GET and UDP echo, \d+ answers/)
  })

  it('opens the fault menu from the keyboard and closes it with Escape or a click elsewhere', async () => {
    const button = page.getByRole('button', { name: /Faults/ })
    await button.focus()
    await page.keyboard.press('Enter')
    const menu = page.getByRole('menu', { name: 'Demo faults' })
    await menu.waitFor()
    expect(await page.getByRole('menuitem').allTextContents()).toEqual([
      '48 bytes of junk implausible content, bytes skipped',
      'A zero-length record zero length',
      'A 1600-byte frame length over the device limit',
      'A burst that fills the line for 3 s utilization 100 %'
    ])
    const focused = page.locator(':focus')
    await expect.poll(() => focused.textContent()).toMatch(/junk/)
    await page.keyboard.press('ArrowDown')
    await expect.poll(() => focused.textContent()).toMatch(/zero-length/)
    await page.keyboard.press('Escape')
    await menu.waitFor({ state: 'detached' })
    expect(await focused.getAttribute('aria-haspopup')).toBe('menu')
    await button.click()
    await menu.waitFor()
    await page.getByTestId('counters').click({ position: { x: 5, y: 5 } })
    await menu.waitFor({ state: 'detached' })
  })

  it('counts junk as implausible content with the bytes skipped, as a red row', async () => {
    await filter().fill('errors')
    await chooseFault(/junk/)
    await expect.poll(() => countOf('framing-implausible'), FAULT_SHOWN).toBeGreaterThanOrEqual(1)
    expect(await countOf('bytes-skipped')).toBeGreaterThan(0)
    const row = rows().filter({ hasText: 'Framing error: implausible content' }).first()
    await row.waitFor()
    expect(await row.getAttribute('data-tone')).toBe('error')
  })

  it('counts a zero-length record and a 1600-byte frame under their own framing errors', async () => {
    await chooseFault(/zero-length/)
    await expect.poll(() => countOf('framing-zeroLength'), FAULT_SHOWN).toBe(1)
    await chooseFault(/1600-byte/)
    await expect.poll(() => countOf('framing-tooLong'), FAULT_SHOWN).toBe(1)
    await rows().filter({ hasText: 'length over the device limit' }).first().waitFor()
    await filter().fill('')
    await filter().blur()
  })

  it('fills the line with a burst: the device → host rate near the 11 520 B/s limit', async () => {
    await chooseFault(/burst/)
    const utilization = async (): Promise<number> => parseFloat((await page.getByTestId('rate-fromDevice').locator('td').nth(1).textContent()) ?? '0')
    await expect.poll(utilization, { timeout: 5_000, interval: 250 }).toBeGreaterThanOrEqual(50)
  })

  it('saves light and dark screenshots: the burst in the chart, a red row and an HTTP request in the list', async () => {
    // A fresh round of host traffic after the burst, then junk: the newest rows hold both.
    const newest = async (text: RegExp): Promise<number> => Math.max(-1, ...(await rows().filter({ hasText: text }).evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-index'))))))
    const before = await newest(/HTTP\/1\.[01] 200 OK/)
    await expect.poll(() => newest(/HTTP\/1\.[01] 200 OK/), { timeout: 10_000 }).toBeGreaterThan(before)
    const junkSoFar = await countOf('framing-implausible')
    await chooseFault(/junk/)
    await expect.poll(() => countOf('framing-implausible'), FAULT_SHOWN).toBe(junkSoFar + 1)
    await rows().filter({ hasText: /GET \/ HTTP\/1\.1/ }).last().click()
    await page.getByTestId('details').getByText(/Hypertext Transfer Protocol/).click()
    await screenshotBothThemes(page, 'demo')
  })

  it('offers the demo device in Settings, without a socket path', async () => {
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    expect(await dialog.getByLabel(/Built-in demo device/).isChecked()).toBe(true)
    expect(await dialog.locator('input[name="socket"]').count()).toBe(0)
    expect(await dialog.locator('input[name="tcp"]').count()).toBe(0)
    await dialog.getByRole('button', { name: 'Cancel' }).click()
  })

  it('shows no start screen after a reload (the settings were saved), and logs no console errors', async () => {
    await page.reload()
    await page.getByTestId('uart-status').filter({ hasText: /Demo device connected/ }).waitFor()
    expect(await page.getByRole('heading', { name: 'Where is your ESP32?' }).count()).toBe(0)
    expect(await page.getByTestId('filter').isVisible()).toBe(true)
    expect(ui.consoleErrors).toEqual([])
  })

  it("shows the demo's telemetry in its panel, and the host answers none of it with an ICMP port unreachable", async () => {
    const panel = page.getByTestId('telemetry')
    await panel.getByTestId('telemetry-meta').filter({ hasText: /^[\d,]+ readings?, the last at / }).waitFor()
    expect(await panel.locator('th').allTextContents()).toEqual(['seq', 'uptime_s', 'temp_c', 'heap_free', 'rx_frames', 'tx_frames'])
    // A port unreachable quotes the datagram it answers: for a telemetry reading (about 100 bytes)
    // that makes a frame of 150 to 250 bytes; pings are 100, and the port unreachables for the
    // burst (1400-byte datagrams to the discard port, quoted up to 576 bytes) are over 400.
    await filter().fill('icmp && frame.len > 120 && frame.len < 400')
    expect(await filter().getAttribute('aria-invalid')).toBe('false')
    await expect.poll(() => page.getByTestId('row-count').textContent()).toMatch(/^0 of [\d,]+ frames$/)
    await filter().fill('')
  })
})
