// The inspector as a person sees it, at a laptop's window (1024×640) and a
// large screen's (1600×1000), light and dark: the start screen, then the demo
// running, its Faults menu and its Settings dialog. Asserts what a look would
// catch (text over text, boxes outside the window or under others, columns off
// screen, content cut off, sideways scrolling, contrast below 4.5:1, console
// errors or warnings) and leaves a screenshot of each in test-results/.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'

import { inspectorForSuite, SCREENSHOTS, skipInspector, WINDOW_SIZES } from '../helpers/inspectorPage.js'
import { boxOf, coveredPoints, cutOffBoxes, insideWindow, lowContrastText, overlappingText, scrollsSideways, settled, splitWords } from '../helpers/layoutFacts.js'

const SCHEMES = ['light', 'dark'] as const
const LOOKS = WINDOW_SIZES.flatMap((size) => SCHEMES.map((scheme) => ({ size, scheme, name: `${size.width}x${size.height}-${scheme}` })))
type Look = (typeof LOOKS)[number]

/** The frame list's columns that must stay on screen at any supported size. */
const ESSENTIAL_COLUMNS = ['No.', 'Time', 'Dir', 'Protocol', 'Info']

describe.skipIf(skipInspector)('the inspector at 1024×640 and 1600×1000, light and dark, in Chromium', () => {
  // A first run: no settings, no --start, so the start screen shows.
  const ui = inspectorForSuite('tslayout', ['--tun', 'tun0', '--port', '0'])
  let page: Page

  const lookAt = async (look: Look): Promise<void> => {
    await page.setViewportSize(look.size)
    await page.emulateMedia({ colorScheme: look.scheme })
    await settled(page)
  }
  const screenshot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SCREENSHOTS, `layout-${name}.png`) })

  /** What holds on every screen: no sideways scroll, nothing cut off, readable text. */
  const expectWholeAndReadable = async (look: Look): Promise<void> => {
    expect(await scrollsSideways(page), `${look.name}: the page scrolls sideways`).toBe(false)
    expect(await cutOffBoxes(page), `${look.name}: content cut off`).toEqual([])
    expect(await lowContrastText(page), `${look.name}: text below 4.5:1`).toEqual([])
  }

  /** The status bar: no item's text over another's, every item inside the window. */
  const expectStatusBarFits = async (look: Look): Promise<void> => {
    const items = '.status-bar > *'
    expect(await overlappingText(page, items), `${look.name}: status bar text overlaps`).toEqual([])
    for (const item of await page.locator(items).all()) {
      const box = await item.boundingBox()
      if (!box) continue
      expect(await insideWindow(page, { left: box.x, top: box.y, right: box.x + box.width, bottom: box.y + box.height }), `${look.name}: "${await item.textContent()}" outside the window`).toBe(true)
    }
  }

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    page = ui.page
    await page.getByRole('heading', { name: 'Where is your ESP32?' }).waitFor()
  })

  it('shows the start screen whole at every size: one primary action per choice, the QEMU command broken only between arguments', async () => {
    await page.getByLabel('Socket path').fill('/home/someone/firmware/build/temp/esp32-uart1.sock')
    for (const look of LOOKS) {
      await lookAt(look)
      await expectStatusBarFits(look)
      await expectWholeAndReadable(look)
      // The choices' own buttons start things; the status bar offers no Start of its own beside them.
      expect(await page.locator('.status-bar').getByRole('button', { name: 'Start' }).count(), look.name).toBe(0)
      expect(await splitWords(page, '[data-testid="qemu-command"]'), `${look.name}: QEMU command words broken across lines`).toEqual([])
      await screenshot(`start-${look.name}`)
    }
  })

  it('shows the running demo whole at every size: status bar, the essential columns, the side panel', async () => {
    await page.getByRole('button', { name: 'Run the demo' }).click()
    await page.getByTestId('uart-status').filter({ hasText: /connected/ }).waitFor({ timeout: 15_000 })
    await page.getByTestId('device-status').filter({ hasText: /02:00:00:00:00:02/ }).waitFor({ timeout: 15_000 })
    // A ping selected, so the details tree and the bytes show too.
    await page.getByTestId('filter').fill('icmp')
    await page.locator('[role="row"][data-index] [data-col="no"]').first().click({ timeout: 15_000 })
    await page.getByTestId('filter').fill('')
    for (const look of LOOKS) {
      await lookAt(look)
      await expectStatusBarFits(look)
      await expectWholeAndReadable(look)
      const list = (await boxOf(page, '[role="grid"][aria-label="Frames"]'))!
      for (const name of ESSENTIAL_COLUMNS) {
        const head = (await boxOf(page, `[role="columnheader"]:text-is("${name}")`))
        expect(head, `${look.name}: column ${name}`).not.toBeNull()
        expect(head!.left >= list.left - 0.5 && head!.right <= list.right + 0.5 && head!.right - head!.left >= 24, `${look.name}: column ${name} off the list (${JSON.stringify(head)} in ${JSON.stringify(list)})`).toBe(true)
      }
      await screenshot(look.name)
    }
  })

  it('opens the Faults menu inside the window and on top at every size', async () => {
    for (const look of LOOKS) {
      await lookAt(look)
      await page.getByRole('button', { name: /Faults/ }).click()
      const menu = page.getByRole('menu', { name: 'Demo faults' })
      await menu.waitFor()
      expect(await insideWindow(page, (await boxOf(page, '[role="menu"]'))!), `${look.name}: menu outside the window`).toBe(true)
      expect(await coveredPoints(page, '[role="menu"]'), `${look.name}: menu under something`).toEqual([])
      expect(await lowContrastText(page), `${look.name}: menu text below 4.5:1`).toEqual([])
      await screenshot(`faults-${look.name}`)
      await page.keyboard.press('Escape')
      await menu.waitFor({ state: 'detached' })
    }
  })

  it('opens Settings inside the window and on top of the list at every size', async () => {
    for (const look of LOOKS) {
      await lookAt(look)
      await page.getByRole('button', { name: 'Settings' }).click()
      const dialog = page.getByRole('dialog', { name: 'Settings' })
      await dialog.waitFor()
      await settled(page)
      expect(await insideWindow(page, (await boxOf(page, '[role="dialog"]'))!), `${look.name}: dialog outside the window`).toBe(true)
      expect(await coveredPoints(page, '[role="dialog"]'), `${look.name}: dialog under something`).toEqual([])
      // Its actions are in sight without scrolling, whatever the form's length.
      for (const action of ['Cancel', 'Save and start']) {
        const button = (await dialog.getByRole('button', { name: action, exact: true }).boundingBox())!
        expect(await coveredPoints(page, `[role="dialog"] button:text-is("${action}")`), `${look.name}: ${action} hidden`).toEqual([])
        expect(await insideWindow(page, { left: button.x, top: button.y, right: button.x + button.width, bottom: button.y + button.height }), `${look.name}: ${action} outside the window`).toBe(true)
      }
      await expectWholeAndReadable(look)
      await screenshot(`settings-${look.name}`)
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await dialog.waitFor({ state: 'detached' })
    }
  })

  it('logged no console errors or warnings', () => {
    expect(ui.consoleErrors).toEqual([])
  })
})
