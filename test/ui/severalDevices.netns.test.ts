// Several devices in Chromium against `tunscope serve`: the demo and a second demo device
// ("sensor", remembered in the settings) on one bridge. The device list shows both with their
// addresses; the frame list's Device column names both, and `dev == sensor` keeps sensor's frames
// only; selecting sensor shows its own counters and chart; removing it while running leaves the
// demo running, and adding it back (the Add device dialog) works. Checked at 1024×640 and
// 1600×1000, light and dark, as test/ui/layout.netns.test.ts checks the rest; screenshots in
// test-results/ and, for README, docs/devices.png and docs/devices-dark.png.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'

import { DEFAULT_SETTINGS, type BridgeSettings } from '../../src/shared/protocol.js'
import { inspectorForSuite, SCREENSHOTS, skipInspector, WINDOW_SIZES } from '../helpers/inspectorPage.js'
import { createNamespace } from '../helpers/netns.js'
import { boxOf, coveredPoints, cutOffBoxes, insideWindow, lowContrastText, scrollsSideways, settled } from '../helpers/layoutFacts.js'

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url))
const SCHEMES = ['light', 'dark'] as const
const LOOKS = WINDOW_SIZES.flatMap((size) => SCHEMES.map((scheme) => ({ size, scheme, name: `${size.width}x${size.height}-${scheme}` })))
type Look = (typeof LOOKS)[number]

const SETTINGS: BridgeSettings = { ...DEFAULT_SETTINGS, transport: 'demo', tun: 'tun0', devices: [{ name: 'sensor', transport: 'demo', address: '', framing: 'esp32' }] }
const IPV4 = /^192\.168\.100\.\d+$/

describe.skipIf(skipInspector)('two demo devices on one bridge, in Chromium: the device list, the Device column and filter, each device\'s numbers', () => {
  const ui = inspectorForSuite('tsdevs', ['--port', '0', '--start'], createNamespace, (configHome) => {
    mkdirSync(join(configHome, 'tunscope'), { recursive: true })
    writeFileSync(join(configHome, 'tunscope', 'settings.json'), JSON.stringify(SETTINGS))
  })
  let page: Page

  const filter = () => page.getByTestId('filter')
  const deviceRows = () => page.getByTestId('device-row')
  const deviceRow = (name: string) => page.locator(`[data-testid="device-row"][data-device="${name}"]`)
  const addressOf = async (name: string): Promise<string> => (await deviceRow(name).getByTestId('device-address').textContent()) ?? ''
  const deviceCells = () => page.locator('[role="row"][data-index] [data-col="dev"]')
  const countOf = async (testId: string): Promise<number> => Number((await page.getByTestId('counters').getByTestId(testId).locator('td.num').first().textContent())?.replace(/[^\d]/g, ''))
  /** The rows the list shows now, from its count ("12 of 340 frames" or "340 frames"). */
  const listed = async (): Promise<number> => Number(/^([\d,]+)/.exec((await page.getByTestId('row-count').textContent()) ?? '')?.[1]?.replaceAll(',', '') ?? NaN)
  const selectDevice = async (name: string | null): Promise<void> => {
    await (name === null ? page.getByTestId('device-all') : deviceRow(name)).locator('.device-select').click()
    await page.locator(`[data-testid="counters"]${name === null ? ':not([data-device])' : `[data-device="${name}"]`}`).waitFor()
  }

  const lookAt = async (look: Look): Promise<void> => {
    await page.mouse.move(0, 0) // no hover outline in the screenshots
    await page.setViewportSize(look.size)
    await page.emulateMedia({ colorScheme: look.scheme })
    await settled(page)
  }
  const expectWholeAndReadable = async (what: string): Promise<void> => {
    expect(await scrollsSideways(page), `${what}: the page scrolls sideways`).toBe(false)
    expect(await cutOffBoxes(page), `${what}: content cut off`).toEqual([])
    expect(await lowContrastText(page), `${what}: text below 4.5:1`).toEqual([])
  }
  const expectInSightOnTop = async (selector: string, what: string): Promise<void> => {
    const box = await boxOf(page, selector)
    expect(box, `${what}: not shown`).not.toBeNull()
    expect(await insideWindow(page, box!), `${what}: outside the window (${JSON.stringify(box)})`).toBe(true)
    expect(await coveredPoints(page, selector), `${what}: under something`).toEqual([])
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    page = ui.page
    await page.getByTestId('uart-status').filter({ hasText: /Demo device connected/ }).waitFor({ timeout: 20_000 })
  })

  it('lists the two devices, each with its own address, under All devices', async () => {
    await expect.poll(async () => deviceRows().evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device'))), { timeout: 15_000 }).toEqual(['demo', 'sensor'])
    await expect.poll(() => addressOf('demo'), { timeout: 20_000 }).toMatch(IPV4)
    await expect.poll(() => addressOf('sensor'), { timeout: 20_000 }).toMatch(IPV4)
    expect(await addressOf('demo')).not.toBe(await addressOf('sensor'))
    expect(await page.getByTestId('device-all').textContent()).toMatch(/All devices2 of 2 connected/)
    // The status bar names the main device, and says there are more.
    expect(await page.getByTestId('device-status').textContent()).toMatch(/^Device 02:00:00:00:00:02 · 192\.168\.100\.2 · 1 more$/)
    // The main device is removed by Stop, not from the list; sensor has its remove button.
    expect(await page.getByRole('button', { name: 'Remove demo' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Remove sensor' }).count()).toBe(1)
  })

  it('shows the Device column by itself, naming both devices', async () => {
    await page.getByRole('columnheader', { name: 'Device' }).waitFor()
    const names = async (): Promise<string[]> => [...new Set(await deviceCells().allTextContents())].sort()
    await filter().fill('dev == sensor || dev == demo')
    // The newest rows on screen hold both while both talk; each under its own filter at least.
    for (const name of ['demo', 'sensor']) {
      await filter().fill(`dev == ${name}`)
      await expect.poll(names, { timeout: 15_000 }).toEqual([name])
    }
    await filter().fill('')
    // The Columns menu says so; hidden there, it stays hidden until shown there or the defaults.
    const columnsMenu = async (): Promise<ReturnType<Page['getByRole']>> => {
      await page.getByRole('button', { name: /^Columns/ }).click()
      return page.getByRole('menuitemcheckbox', { name: /Device/ })
    }
    let item = await columnsMenu()
    expect(await item.getAttribute('aria-checked')).toBe('true')
    expect(await item.textContent()).toMatch(/shows by itself with frames from several devices/)
    await item.click()
    await page.keyboard.press('Escape')
    await page.getByRole('columnheader', { name: 'Device' }).waitFor({ state: 'hidden' })
    item = await columnsMenu()
    expect(await item.getAttribute('aria-checked')).toBe('false')
    expect(await item.textContent()).not.toMatch(/shows by itself/)
    await page.getByRole('menuitem', { name: 'Default columns and widths' }).click()
    await page.getByRole('columnheader', { name: 'Device' }).waitFor()
  })

  it('keeps only sensor\'s frames under dev == sensor, everything else under dev != sensor', async () => {
    await filter().fill('dev == sensor')
    expect(await filter().getAttribute('aria-invalid')).toBe('false')
    await expect.poll(listed, { timeout: 10_000 }).toBeGreaterThan(0)
    expect(new Set(await deviceCells().allTextContents())).toEqual(new Set(['sensor']))
    expect(await page.getByTestId('row-count').textContent()).toMatch(/^[\d,]+ of [\d,]+ frames$/)
    await filter().fill('dev != sensor')
    await expect.poll(listed).toBeGreaterThan(0)
    expect(new Set(await deviceCells().allTextContents())).toEqual(new Set(['demo']))
    // A name no device has matches nothing, and is no error; a malformed one is.
    await filter().fill('dev == nobody')
    expect(await filter().getAttribute('aria-invalid')).toBe('false')
    await expect.poll(listed).toBe(0)
    await filter().fill('dev == a/b')
    expect(await filter().getAttribute('aria-invalid')).toBe('true')
    await filter().fill('')
  })

  it('shows sensor\'s own counters and chart when it is selected, the totals for All devices', async () => {
    await selectDevice('sensor')
    expect(await deviceRow('sensor').locator('.device-select').getAttribute('aria-pressed')).toBe('true')
    expect(await page.getByTestId('rates').locator('h2').textContent()).toBe('Throughput · sensor')
    await expect.poll(() => countOf('total-fromDevice'), { timeout: 10_000 }).toBeGreaterThan(0)
    const sensorFrames = await countOf('total-fromDevice')
    await selectDevice(null)
    expect(await page.getByTestId('rates').locator('h2').textContent()).toBe('Throughput')
    // The totals hold the demo's frames besides sensor's (and only grow).
    expect(await countOf('total-fromDevice')).toBeGreaterThan(sensorFrames)
    // The keyboard: Down from All devices selects the demo, then sensor.
    await page.getByTestId('device-all').locator('.device-select').focus()
    await page.keyboard.press('ArrowDown')
    await page.locator('[data-testid="counters"][data-device="demo"]').waitFor()
    await page.keyboard.press('ArrowDown')
    await page.locator('[data-testid="counters"][data-device="sensor"]').waitFor()
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { closest(s: string): { getAttribute(a: string): string | null } | null } } }).document.activeElement.closest('[data-device]')?.getAttribute('data-device'))).toBe('sensor')
  })

  it('looks whole at every size, light and dark, with sensor selected', async () => {
    // A fuller list, and one of sensor's frames open: its details name the device.
    await page.getByTestId('telemetry').waitFor({ timeout: 15_000 })
    await expect.poll(listed, { timeout: 20_000 }).toBeGreaterThanOrEqual(50)
    await filter().fill('dev == sensor && udp')
    await page.locator('[role="row"][data-index]').last().click()
    await filter().fill('')
    await page.getByTestId('details').getByText('Device: sensor').waitFor()
    await filter().blur()
    for (const look of LOOKS) {
      await lookAt(look)
      await expectWholeAndReadable(look.name)
      await expectInSightOnTop('[data-testid="devices"]', `${look.name}: the device list`)
      for (const name of ['demo', 'sensor']) await expectInSightOnTop(`[data-testid="device-row"][data-device="${name}"]`, `${look.name}: ${name}'s row`)
      expect(await page.getByRole('columnheader', { name: 'Device' }).isVisible(), `${look.name}: the Device column`).toBe(true)
      await page.screenshot({ path: join(SCREENSHOTS, `devices-${look.name}.png`) })
    }
    // For README: the large screen, light and dark, while sensor's telemetry (every 2 s) is in its rates.
    await lookAt(LOOKS.find((l) => l.name === '1600x1000-light')!)
    await expect.poll(() => deviceRow('sensor').locator('.fromDevice').textContent(), { timeout: 8_000, interval: 100 }).not.toBe('← 0 B/s')
    await page.screenshot({ path: join(DOCS, 'devices.png') })
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(DOCS, 'devices-dark.png') })
    await page.emulateMedia({ colorScheme: null })
  })

  it('opens Add device inside the window and on top at every size, and says what it refuses', async () => {
    for (const look of LOOKS) {
      await lookAt(look)
      await page.getByRole('button', { name: 'Add device' }).click()
      const dialog = page.getByRole('dialog', { name: 'Add device' })
      await dialog.waitFor()
      await settled(page)
      await expectInSightOnTop('[role="dialog"]', `${look.name}: Add device`)
      for (const action of ['Cancel', 'Add']) await expectInSightOnTop(`[role="dialog"] button:text-is("${action}")`, `${look.name}: ${action}`)
      await expectWholeAndReadable(`${look.name}: Add device`)
      // The address is asked for every way but the demo.
      expect(await dialog.getByLabel('Socket path').count()).toBe(1)
      await dialog.getByLabel(/Demo device: another/).check()
      expect(await dialog.getByLabel('Socket path').count()).toBe(0)
      await page.screenshot({ path: join(SCREENSHOTS, `add-device-${look.name}.png`) })
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await dialog.waitFor({ state: 'detached' })
    }
    await page.emulateMedia({ colorScheme: null })
    // A name the list has: said before asking the engine.
    await page.getByRole('button', { name: 'Add device' }).click()
    const dialog = page.getByRole('dialog', { name: 'Add device' })
    await dialog.getByLabel('Name').fill('sensor')
    await dialog.getByLabel(/Demo device: another/).check()
    await dialog.getByRole('button', { name: 'Add' }).click()
    expect(await dialog.getByTestId('device-add-refused').textContent()).toMatch(/sensor is on the list already/)
    // What the engine refuses comes back in one sentence, the dialog still open.
    await dialog.getByLabel('Name').fill('broken')
    await dialog.getByLabel(/QEMU's TCP server/).check()
    await dialog.getByLabel('TCP address').fill('no port here')
    await dialog.getByRole('button', { name: 'Add' }).click()
    await expect.poll(async () => (await dialog.getByTestId('device-add-refused').textContent({ timeout: 5_000 })) ?? '').toMatch(/^TCP address "no port here" .*\.$/)
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached' })
    expect(await deviceRows().count()).toBe(2)
  })

  it('removes sensor while running: the demo carries on, its frames keep coming', async () => {
    await selectDevice('sensor')
    await page.getByRole('button', { name: 'Remove sensor' }).click()
    await expect.poll(() => deviceRows().count(), { timeout: 10_000 }).toBe(1)
    // Its selection gives way to All devices.
    await page.locator('[data-testid="counters"]:not([data-device])').waitFor()
    expect(await page.getByTestId('device-all').locator('.device-select').getAttribute('aria-pressed')).toBe('true')
    expect(await page.getByTestId('uart-status').textContent()).toMatch(/Demo device connected/)
    await filter().fill('dev == demo')
    const before = await listed()
    await expect.poll(listed, { timeout: 10_000 }).toBeGreaterThan(before)
    // No new frames of sensor's.
    await filter().fill('dev == sensor')
    const sensorBefore = await listed()
    await page.waitForTimeout(3_000)
    expect(await listed()).toBe(sensorBefore)
    await filter().fill('')
  })

  it('adds sensor back while running: it is listed, finds its address and sends frames again', async () => {
    await page.getByRole('button', { name: 'Add device' }).click()
    const dialog = page.getByRole('dialog', { name: 'Add device' })
    await dialog.getByLabel('Name').fill('sensor')
    await dialog.getByLabel(/Demo device: another/).check()
    await dialog.getByLabel('Framing').selectOption('esp32')
    await dialog.getByRole('button', { name: 'Add' }).click()
    await dialog.waitFor({ state: 'detached', timeout: 10_000 })
    await expect.poll(async () => deviceRows().evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device'))), { timeout: 10_000 }).toEqual(['demo', 'sensor'])
    await expect.poll(() => addressOf('sensor'), { timeout: 20_000 }).toMatch(IPV4)
    await filter().fill('dev == sensor')
    const before = await listed()
    await expect.poll(listed, { timeout: 15_000 }).toBeGreaterThan(before)
    await filter().fill('')
  })

  it('lists the settings\' devices while stopped, to remove and add before Start; Start brings both up', async () => {
    const names = () => deviceRows().evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')))
    await page.locator('.status-bar').getByRole('button', { name: 'Stop' }).click()
    await page.getByTestId('uart-status').filter({ hasText: /stopped/ }).waitFor()
    await expect.poll(names).toEqual(['demo', 'sensor'])
    expect(await addressOf('sensor')).toBe('demo device')
    expect(await page.getByTestId('device-all').textContent()).toMatch(/2 devices · stopped/)
    await lookAt(LOOKS[1])
    await expectWholeAndReadable('stopped, 1024x640 dark')
    await page.screenshot({ path: join(SCREENSHOTS, 'devices-stopped-1024x640-dark.png') })
    await page.emulateMedia({ colorScheme: null })
    await page.getByRole('button', { name: 'Remove sensor' }).click()
    await expect.poll(names).toEqual(['demo'])
    await page.getByRole('button', { name: 'Add device' }).click()
    const dialog = page.getByRole('dialog', { name: 'Add device' })
    await dialog.getByLabel('Name').fill('sensor')
    await dialog.getByLabel(/Demo device: another/).check()
    await dialog.getByRole('button', { name: 'Add' }).click()
    await dialog.waitFor({ state: 'detached', timeout: 10_000 })
    await expect.poll(names).toEqual(['demo', 'sensor'])
    await page.locator('.status-bar').getByRole('button', { name: 'Start' }).click()
    await page.getByTestId('uart-status').filter({ hasText: /Demo device connected/ }).waitFor({ timeout: 20_000 })
    await expect.poll(() => addressOf('sensor'), { timeout: 20_000 }).toMatch(IPV4)
    expect(await page.getByTestId('device-all').textContent()).toMatch(/2 of 2 connected/)
  })

  it('marks a conflict on its device: its sentence as the mark\'s tooltip, and in full once the device is selected', async () => {
    // Two demo devices never clash: the engine's status is given one on its way to the page.
    const sentence = 'same MAC 02:00:00:00:00:02 as demo: DHCP would give both one address; give each device its own MAC'
    await page.routeWebSocket(/\/engine$/, (ws) => {
      const server = ws.connectToServer()
      server.onMessage((message) => {
        if (typeof message !== 'string') return ws.send(message)
        const parsed = JSON.parse(message) as { type: string; status?: { devices: { name: string; conflict: string | null }[] }; devices?: { name: string; conflict: string | null }[] }
        const status = parsed.type === 'status' ? parsed : parsed.type === 'hello' ? parsed.status : undefined
        const sensor = status?.devices?.find((d) => d.name === 'sensor')
        if (sensor) sensor.conflict = sentence
        ws.send(JSON.stringify(parsed))
      })
    })
    await page.reload()
    const mark = deviceRow('sensor').locator('.device-conflict-mark')
    await mark.waitFor({ timeout: 15_000 })
    expect(await mark.getAttribute('title')).toBe(sentence)
    expect(await deviceRow('sensor').getByTestId('device-conflict').count()).toBe(0)
    expect(await deviceRow('sensor').locator('.device-select').getAttribute('aria-label')).toContain(`conflict: ${sentence}`)
    await selectDevice('sensor')
    expect(await deviceRow('sensor').getByTestId('device-conflict').textContent()).toBe(sentence)
    for (const look of [LOOKS[0], LOOKS[3]]) {
      await lookAt(look)
      await expectWholeAndReadable(`${look.name}: a conflict`)
      await page.getByTestId('devices').screenshot({ path: join(SCREENSHOTS, `devices-conflict-${look.name}.png`) })
    }
    await page.emulateMedia({ colorScheme: null })
  })

  it('logged no console errors or warnings', () => {
    expect(ui.consoleErrors).toEqual([])
  })
})
