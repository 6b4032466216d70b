// The user-mode network (passt, no TUN) from the inspector, in Chromium against `tunscope serve
// --demo --start`: chosen in Settings, the demo device runs behind passt and the status bar links
// its forwarded HTTP port; the forwards editor adds and removes forwards on the running network,
// each checked with curl from the host, and refuses a malformed one (or a taken port) in one
// sentence. Then, where the TUN needs admin rights Tunscope lacks, the problem banner's way out:
// start on the user-mode network instead. The server's namespace has a veth with a default route,
// which passt needs (test/helpers/internetNamespace.ts).
import { join } from 'node:path'

import type { Page } from 'playwright-core'
import { beforeAll, describe, expect, it } from 'vitest'

import { inspectorForSuite, SCREENSHOTS, skipInspector, WINDOW_SIZES } from '../helpers/inspectorPage.js'
import { createInternetNamespaces, skipUserNet } from '../helpers/internetNamespace.js'
import { boxOf, coveredPoints, insideWindow, lowContrastText, overlappingText, settled } from '../helpers/layoutFacts.js'
import type { Netns } from '../helpers/netns.js'

const SCHEMES = ['light', 'dark'] as const
const LOOKS = WINDOW_SIZES.flatMap((size) => SCHEMES.map((scheme) => ({ size, scheme, name: `${size.width}x${size.height}-${scheme}` })))

describe.skipIf(skipInspector || skipUserNet)('the user-mode network from the inspector, in Chromium', () => {
  const ui = inspectorForSuite('tsuiun', ['--demo', '--start', '--tun', 'tun0', '--port', '0'], async (prefix) => (await createInternetNamespaces(prefix)).device)
  let page: Page

  const hostSide = () => page.getByTestId('tun-status')
  const forwardLink = (label: string) => hostSide().getByRole('link', { name: label })
  const editor = () => page.getByRole('dialog', { name: 'Port forwards' })
  const openEditor = async (): Promise<void> => {
    if (await editor().count() === 0) await page.getByRole('button', { name: /Forwards/ }).click()
    await editor().waitFor()
  }
  /** `curl` from the host (the server's namespace): the HTTP status and the body, or curl's complaint. */
  const curl = async (url: string): Promise<{ code: string; body: string; error: string }> => {
    const r = await ui.ns.exec('curl', ['-sS', '--max-time', '15', '-w', '\n%{http_code}', url], { timeoutMs: 20_000 })
    const lines = r.stdout.split('\n')
    return { code: lines.pop() ?? '', body: lines.join('\n'), error: r.stderr.trim() }
  }
  const lookAt = async (look: (typeof LOOKS)[number]): Promise<void> => {
    await page.setViewportSize(look.size)
    await page.emulateMedia({ colorScheme: look.scheme })
    await settled(page)
  }
  const expectStatusBarFits = async (look: string): Promise<void> => {
    expect(await overlappingText(page, '.status-bar > *'), `${look}: status bar text overlaps`).toEqual([])
    expect(await overlappingText(page, '.status-bar .user-net > *'), `${look}: the forwards over their button`).toEqual([])
    for (const item of await page.locator('.status-bar > *').all()) {
      const box = await item.boundingBox()
      if (box) expect(await insideWindow(page, { left: box.x, top: box.y, right: box.x + box.width, bottom: box.y + box.height }), `${look}: "${await item.textContent()}" outside the window`).toBe(true)
    }
  }

  beforeAll(() => {
    page = ui.page
  })

  it('offers the user-mode network in Settings: no TUN name then, the port forwards with their hint instead', async () => {
    await page.getByTestId('uart-status').filter({ hasText: /Demo device connected/ }).waitFor({ timeout: 15_000 })
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    expect(await dialog.locator('input[name="tun"]').inputValue()).toBe('tun0')
    expect(await dialog.locator('input[name="forwards"]').count()).toBe(0)
    await dialog.getByLabel('No admin rights: user-mode network', { exact: false }).check()
    expect(await dialog.locator('input[name="tun"]').count()).toBe(0)
    expect(await dialog.getByLabel('Port forwards').inputValue()).toBe('tcp:8080:80')
    expect(await dialog.getByTestId('forwards-hint').textContent()).toMatch(/tcp:8080:80 forwards the host's 127\.0\.0\.1:8080 to the device's port 80/)
    await dialog.getByTestId('forwards-hint').scrollIntoViewIfNeeded()
    for (const look of LOOKS) {
      await lookAt(look)
      expect(await insideWindow(page, (await boxOf(page, '.modal.settings'))!), `${look.name}: the dialog outside the window`).toBe(true)
      expect(await lowContrastText(page), `${look.name}: text below 4.5:1`).toEqual([])
      await page.screenshot({ path: join(SCREENSHOTS, `usernet-settings-${look.name}.png`) })
    }
    await dialog.getByRole('button', { name: 'Save and start' }).click()
    await dialog.waitFor({ state: 'detached' })
  })

  it('runs the demo behind passt: the status bar says so and links the forward, no TUN is made', async () => {
    await hostSide().filter({ hasText: 'User-mode network' }).waitFor()
    const link = forwardLink('127.0.0.1:8080 → :80')
    await link.waitFor({ timeout: 20_000 })
    expect(await link.getAttribute('href')).toBe('http://127.0.0.1:8080/')
    expect(await link.getAttribute('target')).toBe('_blank')
    expect(await link.getAttribute('rel')).toBe('noreferrer')
    await page.getByTestId('uart-status').filter({ hasText: /Demo device connected/ }).waitFor({ timeout: 15_000 })
    const links = (await ui.ns.exec('ip', ['-o', 'link'], { check: true })).stdout
    expect(links).not.toMatch(/tun0|tap/)
  })

  it("lists the demo's frames: its host traffic's HTTP through the forward", async () => {
    // Only what crossed since the switch.
    await page.getByRole('button', { name: 'Clear' }).click()
    const filter = page.getByTestId('filter')
    const infos = page.locator('[data-col="info"]')
    await filter.fill('http')
    await infos.filter({ hasText: /GET \/ HTTP\/1\.1/ }).first().waitFor({ timeout: 20_000 })
    await infos.filter({ hasText: /HTTP\/1\.[01] 200 OK/ }).first().waitFor({ timeout: 20_000 })
    await filter.fill('')
    await page.getByTestId('device-status').filter({ hasText: /02:00:00:00:00:02/ }).waitFor({ timeout: 15_000 })
  })

  it("gets the demo device's status page at the link's address", async () => {
    const href = (await forwardLink('127.0.0.1:8080 → :80').getAttribute('href'))!
    const r = await curl(href)
    expect(r.code, r.error).toBe('200')
    expect(r.body).toContain('<h1>ESP32 demo device</h1>')
  })

  it('adds a forward from the editor: linked in the bar and served at once; removing it takes it away', async () => {
    await openEditor()
    expect(await editor().getByTestId('forward-entry').allTextContents()).toEqual([expect.stringContaining('tcp:8080:80')])
    const field = editor().getByLabel('New forward')
    await field.fill('tcp:8090:80')
    await editor().getByRole('button', { name: 'Add' }).click()
    await forwardLink('127.0.0.1:8090 → :80').waitFor({ timeout: 20_000 })
    await expect.poll(() => field.inputValue()).toBe('')
    expect(await editor().getByTestId('forward-entry').count()).toBe(2)
    const added = await curl('http://127.0.0.1:8090/')
    expect(added.code, added.error).toBe('200')
    expect(added.body).toContain('<h1>ESP32 demo device</h1>')

    await editor().getByRole('button', { name: 'Remove tcp:8090:80' }).click()
    await forwardLink('127.0.0.1:8090 → :80').waitFor({ state: 'detached', timeout: 20_000 })
    expect(await editor().getByTestId('forward-entry').count()).toBe(1)
    const gone = await curl('http://127.0.0.1:8090/')
    expect(gone.code).toBe('000')
    expect(gone.error).toMatch(/Connection refused|Failed to connect/)
    const kept = await curl('http://127.0.0.1:8080/')
    expect(kept.code, kept.error).toBe('200')
  })

  it('marks a forward to a port the device does not serve once the device refuses a connection there', async () => {
    await openEditor()
    const field = editor().getByLabel('New forward')
    await field.fill('tcp:8097:99')
    await editor().getByRole('button', { name: 'Add' }).click()
    await forwardLink('127.0.0.1:8097 → :99').waitFor({ timeout: 20_000 })
    // Each try is a SYN the device refuses (once the restarted passt has heard it; a loaded machine may take a while).
    const note = hostSide().getByText(':99 closed')
    await expect.poll(async () => {
      expect((await curl('http://127.0.0.1:8097/')).code).toBe('000')
      return note.isVisible()
    }, { timeout: 30_000, interval: 1_000 }).toBe(true)
    expect(await note.getAttribute('title')).toMatch(/^The device refused (a connection|\d+ connections) to its port 99: nothing listens there\.$/)
    expect(await hostSide().getByText(':80 closed').count()).toBe(0)
    await editor().getByRole('button', { name: 'Remove tcp:8097:99' }).click()
    await forwardLink('127.0.0.1:8097 → :99').waitFor({ state: 'detached', timeout: 20_000 })
  })

  it('refuses a malformed forward in one sentence, keeps the text to correct, and changes nothing', async () => {
    await openEditor()
    const field = editor().getByLabel('New forward')
    await field.fill('tcp:80')
    await editor().getByRole('button', { name: 'Add' }).click()
    const refusal = editor().getByTestId('forwards-refused')
    await refusal.waitFor()
    const sentence = (await refusal.textContent())!
    expect(sentence).toMatch(/^[A-Z].*tcp:80.*\.$/)
    expect(sentence.replace(/\d\.\d/g, '').split(/\.\s/)).toHaveLength(1)
    expect(await field.inputValue()).toBe('tcp:80')
    expect(await editor().getByTestId('forward-entry').count()).toBe(1)
    // The next change clears it. (The demo device echoes UDP on port 7.)
    await field.fill('udp:7007:7')
    await editor().getByRole('button', { name: 'Add' }).click()
    await hostSide().getByText('udp 127.0.0.1:7007 → :7').waitFor({ timeout: 20_000 })
    expect(await refusal.count()).toBe(0)
    // A UDP forward is text, not a link.
    expect(await hostSide().getByRole('link').count()).toBe(1)
  })

  it('refuses a host port already taken in one sentence, the forwards in effect kept', async () => {
    const holder = ui.ns.spawn('python3', ['-c', 'import socket, time\ns = socket.socket()\ns.bind(("127.0.0.1", 8095))\ns.listen()\nprint("bound", flush=True)\ntime.sleep(120)'])
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.once('data', () => resolve())
        holder.once('exit', (code) => reject(new Error(`the port holder exited with ${code}`)))
      })
      await openEditor()
      await editor().getByLabel('New forward').fill('tcp:8095:80')
      await editor().getByRole('button', { name: 'Add' }).click()
      const refusal = editor().getByTestId('forwards-refused')
      await refusal.waitFor({ timeout: 20_000 })
      expect(await refusal.textContent()).toMatch(/^[A-Z][^]*8095[^]*in use[^]*\.$/)
      expect(await editor().getByTestId('forward-entry').count()).toBe(2)
      await editor().getByLabel('New forward').fill('')
      const kept = await curl('http://127.0.0.1:8080/')
      expect(kept.code, kept.error).toBe('200')
    } finally {
      holder.kill()
    }
  })

  it('keeps the status bar and the editor inside the window, on top and readable at every size, light and dark', async () => {
    for (const look of LOOKS) {
      await lookAt(look)
      await openEditor()
      await expectStatusBarFits(look.name)
      const box = (await boxOf(page, '.forwards-editor'))!
      expect(await insideWindow(page, box), `${look.name}: the editor outside the window`).toBe(true)
      expect(await coveredPoints(page, '.forwards-editor'), `${look.name}: the editor under something`).toEqual([])
      expect(await lowContrastText(page), `${look.name}: text below 4.5:1`).toEqual([])
      await page.screenshot({ path: join(SCREENSHOTS, `usernet-${look.name}.png`) })
    }
    await page.keyboard.press('Escape')
    await editor().waitFor({ state: 'detached' })
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document.activeElement.textContent)).toMatch(/Forwards/)
  })

  it('remembers the user-mode network and its forwards after a reload, and logs no console errors or warnings', async () => {
    await page.reload()
    await forwardLink('127.0.0.1:8080 → :80').waitFor({ timeout: 15_000 })
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    expect(await dialog.getByLabel('No admin rights: user-mode network', { exact: false }).isChecked()).toBe(true)
    expect(await dialog.getByLabel('Port forwards').inputValue()).toBe('tcp:8080:80 udp:7007:7')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect(ui.consoleErrors).toEqual([])
  })
})

/**
 * The device-side namespace of an internet pair, its commands run as root without CAP_NET_ADMIN:
 * like a user without admin rights, `serve` cannot make a TUN (EPERM), but passt runs.
 */
async function internetWithoutNetAdmin(prefix: string): Promise<Netns> {
  const ns = (await createInternetNamespaces(prefix)).device
  const drop = (cmd: string, args: readonly string[]): [string, string[]] => ['setpriv', ['--inh-caps=-net_admin', '--ambient-caps=-net_admin', '--bounding-set=-net_admin', cmd, ...args]]
  return { ...ns, exec: (cmd, args = [], opts) => ns.exec(...drop(cmd, args), opts), spawn: (cmd, args = [], opts) => ns.spawn(...drop(cmd, args), opts) }
}

describe.skipIf(skipInspector || skipUserNet)('no admin rights for the TUN: the problem banner offers the user-mode network, in Chromium', () => {
  const ui = inspectorForSuite('tsuiunp', ['--socket', '/tmp/tunscope-no-such-qemu.sock', '--start', '--tun', 'tun0', '--port', '0'], internetWithoutNetAdmin)
  let page: Page

  beforeAll(() => {
    page = ui.page
  })

  it('says the TUN needs root and offers the user-mode network beside Retry', async () => {
    const banner = page.getByTestId('problem')
    await banner.filter({ hasText: /Creating TUN tun0 needs root/ }).waitFor({ timeout: 15_000 })
    await banner.getByRole('button', { name: 'No admin rights: use the user-mode network' }).waitFor()
    await banner.getByRole('button', { name: 'Retry' }).waitFor()
    for (const look of LOOKS) {
      await page.setViewportSize(look.size)
      await page.emulateMedia({ colorScheme: look.scheme })
      await settled(page)
      expect(await overlappingText(page, '.problem > *'), `${look.name}: the banner's text overlaps`).toEqual([])
      expect(await overlappingText(page, '.problem-actions > *'), `${look.name}: the banner's buttons overlap`).toEqual([])
      expect(await lowContrastText(page), `${look.name}: text below 4.5:1`).toEqual([])
      await page.screenshot({ path: join(SCREENSHOTS, `usernet-offer-${look.name}.png`) })
    }
  })

  it('starts on the user-mode network with the other settings unchanged: the banner goes, the forward is linked', async () => {
    await page.getByRole('button', { name: 'No admin rights: use the user-mode network' }).click()
    await page.getByTestId('problem').waitFor({ state: 'detached', timeout: 15_000 })
    const link = page.getByTestId('tun-status').getByRole('link', { name: '127.0.0.1:8080 → :80' })
    await link.waitFor({ timeout: 20_000 })
    expect(await page.getByTestId('uart-status').textContent()).toMatch(/waiting for QEMU/)
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    expect(await dialog.getByLabel('No admin rights: user-mode network', { exact: false }).isChecked()).toBe(true)
    expect(await dialog.getByLabel(/QEMU's unix socket/).isChecked()).toBe(true)
    expect(await dialog.getByLabel('Socket path').inputValue()).toBe('/tmp/tunscope-no-such-qemu.sock')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    expect(ui.consoleErrors).toEqual([])
  })
})
