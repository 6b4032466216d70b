// The start screen as a person sees it when the settings are not the ESP32
// UART tunnel's: `tunscope serve --framing qemu` (QEMU's NIC: the ESP32
// open_eth and the e1000 options, each to copy) and `tunscope serve --serial`
// (what to plug in, no QEMU command), at 1024×640 and 1600×1000, light and
// dark. Asserts each command is whole on screen (inside the window, nothing
// over it, no word broken across lines, nothing cut off) and leaves a
// screenshot of each look in test-results/.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'

import { inspectorForSuite, SCREENSHOTS, skipInspector, WINDOW_SIZES } from '../helpers/inspectorPage.js'
import { boxOf, coveredPoints, cutOffBoxes, insideWindow, lowContrastText, overlappingText, scrollsSideways, settled, splitWords } from '../helpers/layoutFacts.js'

const SCHEMES = ['light', 'dark'] as const
const LOOKS = WINDOW_SIZES.flatMap((size) => SCHEMES.map((scheme) => ({ size, scheme, name: `${size.width}x${size.height}-${scheme}` })))
type Look = (typeof LOOKS)[number]

/** Sets the window's size and scheme, then checks what holds on every screen and takes its screenshot. */
async function lookAt(page: Page, look: Look): Promise<void> {
  await page.setViewportSize(look.size)
  await page.emulateMedia({ colorScheme: look.scheme })
  await settled(page)
  expect(await scrollsSideways(page), `${look.name}: the page scrolls sideways`).toBe(false)
  expect(await cutOffBoxes(page), `${look.name}: content cut off`).toEqual([])
  expect(await lowContrastText(page), `${look.name}: text below 4.5:1`).toEqual([])
}

/** The element is drawn whole inside the window with nothing over it. */
async function expectWholeInWindow(page: Page, selector: string, look: Look): Promise<void> {
  const box = await boxOf(page, selector)
  expect(box, `${look.name}: ${selector} not shown`).not.toBeNull()
  expect(await insideWindow(page, box!), `${look.name}: ${selector} outside the window (${JSON.stringify(box)})`).toBe(true)
  expect(await coveredPoints(page, selector), `${look.name}: ${selector} under something`).toEqual([])
}

describe.skipIf(skipInspector)('the start screen for a QEMU NIC (--framing qemu), in Chromium', () => {
  const ui = inspectorForSuite('tsstartq', ['--framing', 'qemu', '--socket', 'temp/qemu-nic.sock', '--tun', 'tun0', '--port', '0'])
  let page: Page

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    page = ui.page
    await page.getByRole('heading', { name: 'Where is your QEMU machine?' }).waitFor()
  })

  it('offers the ESP32 open_eth and the e1000 options, each with its Copy, whole on screen at every size', async () => {
    const esp32 = page.getByTestId('qemu-command')
    const e1000 = page.getByTestId('qemu-command-e1000')
    // Tunscope connects (the default transport): QEMU serves the socket, at its full path.
    const path = `${process.cwd()}/temp/qemu-nic.sock`
    expect(await esp32.textContent()).toContain(`-netdev stream,id=n0,server=on,addr.type=unix,addr.path=${path} \\\n  -net nic,model=open_eth,netdev=n0`)
    expect(await e1000.textContent()).toBe(`-netdev stream,id=n0,server=on,addr.type=unix,addr.path=${path} \\\n  -device e1000,netdev=n0,mac=52:54:00:12:34:56`)
    await page.getByLabel('Socket path').fill('/home/someone/vm/qemu-nic.sock')
    expect(await e1000.textContent()).toContain('addr.path=/home/someone/vm/qemu-nic.sock \\')
    expect(await page.getByRole('button', { name: 'Copy' }).count()).toBe(2)
    await expect.poll(() => page.getByText(/^Other machines/).count()).toBe(1)

    for (const look of LOOKS) {
      await lookAt(page, look)
      for (const selector of ['[data-testid="qemu-command"]', '[data-testid="qemu-command-e1000"]']) {
        await expectWholeInWindow(page, selector, look)
        expect(await splitWords(page, selector), `${look.name}: ${selector} words broken across lines`).toEqual([])
        // A usual path shows whole, without scrolling the command sideways.
        const width = await page.locator(selector).evaluate((e) => ({ content: (e as unknown as { scrollWidth: number }).scrollWidth, shown: (e as unknown as { clientWidth: number }).clientWidth }))
        expect(width.content, `${look.name}: ${selector} wider than its box`).toBeLessThanOrEqual(width.shown + 1)
      }
      for (const copy of await page.getByRole('button', { name: 'Copy' }).all()) {
        const b = (await copy.boundingBox())!
        expect(await insideWindow(page, { left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height }), `${look.name}: a Copy button outside the window`).toBe(true)
      }
      expect(await overlappingText(page, '.start-card > *'), `${look.name}: start card text overlaps`).toEqual([])
      await page.screenshot({ path: join(SCREENSHOTS, `start-qemu-${look.name}.png`) })
    }
  })

  it('copies the e1000 command as shown', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'])
    await page.locator('.start-command-head', { hasText: /^Other machines/ }).getByRole('button', { name: 'Copy' }).click()
    await page.getByRole('button', { name: 'Copied' }).waitFor()
    const copied = await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())
    expect(copied).toBe(await page.getByTestId('qemu-command-e1000').textContent())
  })

  it('logged no console errors or warnings', () => {
    expect(ui.consoleErrors).toEqual([])
  })
})

describe.skipIf(skipInspector)('the start screen for a serial port (serve --serial), in Chromium', () => {
  const ui = inspectorForSuite('tsstarts', ['--serial', '/dev/ttyUSB7', '--baud', '921600', '--tun', 'tun0', '--port', '0'])
  let page: Page

  beforeAll(async () => {
    page = ui.page
    await page.getByRole('heading', { name: 'Connect to the board' }).waitFor()
  })

  it('says what to plug in instead of a QEMU command, whole on screen at every size', async () => {
    expect(await page.getByTestId('qemu-command').count()).toBe(0)
    const steps = page.getByTestId('serial-steps')
    expect(await steps.textContent()).toMatch(/UART1 to the adapter.*\/dev\/ttyUSB0 or \/dev\/ttyACM0.*dialout/)
    expect(await page.locator('.start-card', { hasText: 'Connect to the board' }).textContent()).toContain('at 921600 baud')
    expect(await page.getByLabel('Serial port').inputValue()).toBe('/dev/ttyUSB7')
    for (const look of LOOKS) {
      await lookAt(page, look)
      await expectWholeInWindow(page, '[data-testid="serial-steps"]', look)
      expect(await overlappingText(page, '.start-card > *'), `${look.name}: start card text overlaps`).toEqual([])
      await page.screenshot({ path: join(SCREENSHOTS, `start-serial-${look.name}.png`) })
    }
  })

  it('logged no console errors or warnings', () => {
    expect(ui.consoleErrors).toEqual([])
  })
})
