// The inspector UI in real Chromium (Debian's, driven by playwright-core)
// against `tunscope serve --start` in a host namespace, with the firmware-like
// device in a second namespace. Chromium runs inside the host namespace too,
// since the server listens on that namespace's loopback.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { NET_TOOL } from '../helpers/bridgeProcess.js'
import { openInspector, requireInspector, type InspectorPage, screenshotBothThemes, serveInspector, skipInspector } from '../helpers/inspectorPage.js'
import { createNamespace, destroyAll, startUartDevice, type Netns, type UartDevice } from '../helpers/netns.js'
import { tsharkFields } from '../capture/tshark.js'

const DEVICE_IP = '192.168.100.2'

describe.skipIf(skipInspector)('the inspector in Chromium against tunscope serve', () => {
  let host: Netns
  let dev: Netns
  let device: UartDevice
  let work: string
  let ui: InspectorPage
  let page: Page

  const ping = (args: string[]) => host.exec('ping', ['-n', '-q', ...args, DEVICE_IP], { timeoutMs: 30_000 })
  const rows = () => page.locator('[role="row"][data-index]')

  beforeAll(async () => {
    requireInspector()
    work = mkdtempSync(join(tmpdir(), 'tunscope-ui-'))
    host = await createNamespace('tsuih')
    dev = await createNamespace('tsuid')
    const socket = join(work, 'uart.sock')
    device = await startUartDevice(dev, socket)
    // A settings file from a hand edit gone wrong: serve must keep it and say so.
    mkdirSync(join(work, 'config', 'tunscope'), { recursive: true })
    writeFileSync(join(work, 'config', 'tunscope', 'settings.json'), '{"transport": "unix", "tun": ')
    const url = await serveInspector(host, ['--socket', socket, '--tun', 'tun0', '--port', '0', '--start'], join(work, 'config'))
    ui = await openInspector(host, url, work)
    page = ui.page
    await page.getByTestId('uart-status').filter({ hasText: /connected/ }).waitFor({ timeout: 15_000 })
    // The firmware ignores the UART for its first second.
    await new Promise((r) => setTimeout(r, Math.max(0, device.startupDiscardUntil - Date.now())))
    const started = dev.spawn(process.execPath, [NET_TOOL, 'http-server', '80'])
    await new Promise<void>((resolve) => started.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()))
  }, 90_000)

  afterAll(async () => {
    await ui?.browser.close()
    await destroyAll()
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('says in a banner, after --start too, that the unreadable settings file was kept aside, until dismissed', async () => {
    const banner = page.getByTestId('settings-file')
    expect(await banner.textContent()).toMatch(/The settings file \S+settings\.json could not be read \(it is not JSON: .*\); it is kept as \S+settings\.json\.bad-\S+, and Tunscope starts from the defaults\./)
    await banner.getByRole('button', { name: 'Dismiss' }).click()
    expect(await banner.count()).toBe(0)
  })

  it('lists pings within a second of the traffic, with the device learned in the status bar', async () => {
    const r = await ping(['-c', '3', '-i', '0.2', '-W', '2'])
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/)
    await expect.poll(() => page.locator('[data-col="info"]', { hasText: 'Echo (ping) reply' }).count(), { timeout: 1000 }).toBeGreaterThanOrEqual(3)
    await expect.poll(() => page.locator('[data-col="info"]', { hasText: 'Echo (ping) request' }).count()).toBeGreaterThanOrEqual(3)
    expect(await page.getByTestId('device-status').textContent()).toContain(`02:00:00:00:00:02 · ${DEVICE_IP}`)
    expect(await page.getByTestId('tun-status').textContent()).toMatch(/tun0 192\.168\.100\.1\/24 · MTU 1486 · up/)
  })

  it('shows a ping\'s IPv4 tree with its checksum and the bytes of a selected field', async () => {
    await page.getByLabel('Follow').uncheck()
    await page.locator('[role="row"][data-index]', { hasText: 'Echo (ping) request' }).first().click()
    const details = page.getByTestId('details')
    await expect.poll(() => details.textContent()).toMatch(/Internet Protocol Version 4/)
    expect(await details.textContent()).toMatch(/Header Checksum: 0x[0-9a-f]{4} \[correct\]/)
    expect(await details.textContent()).toMatch(/Internet Control Message Protocol/)
    expect(await page.getByTestId('hexdump').textContent()).toMatch(/0000/)
    await details.getByText(/Header Checksum: 0x[0-9a-f]{4} \[correct\]/).click()
    // The checksum's two bytes are highlighted (in hex and ASCII).
    await expect.poll(() => page.getByTestId('hexdump').locator('mark').first().textContent()).toMatch(/^[0-9a-f]{2} [0-9a-f]{2}$/)
  })

  it('shows TCP and HTTP frames, and the filter narrows the list', async () => {
    const r = await host.exec('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${DEVICE_IP}/bytes/2000`], { timeoutMs: 20_000 })
    expect(r.stdout).toBe('200')
    await expect.poll(() => page.locator('[data-col="proto"]', { hasText: 'HTTP' }).count()).toBeGreaterThan(0)
    const filter = page.getByTestId('filter')
    await filter.fill('tcp.port == 80')
    await expect.poll(async () => (await page.locator('[data-col="proto"]').allTextContents()).every((p) => p === 'TCP' || p === 'HTTP')).toBe(true)
    expect(await page.locator('[data-col="info"]', { hasText: 'Echo' }).count()).toBe(0)
    await filter.fill('icmp && dir == to-device')
    await expect.poll(async () => (await page.locator('[data-col="dir"]').allTextContents()).every((d) => d === '→ device')).toBe(true)
    await filter.fill('tcp.port == ')
    await expect.poll(() => page.getByTestId('filter-error').textContent()).toBeTruthy()
    expect(await filter.getAttribute('aria-invalid')).toBe('true')
    await filter.fill('')
  })

  it('moves the chart and the counters, with the 115 200-baud limit drawn', async () => {
    const before = await page.getByTestId('total-fromDevice').textContent()
    await ping(['-c', '5', '-i', '0.2', '-W', '2'])
    await expect.poll(() => page.getByTestId('total-fromDevice').textContent()).not.toBe(before)
    expect(await page.getByTestId('rates').textContent()).toContain('11,520 B/s limit (115,200 baud)')
    await expect.poll(() => page.getByTestId('rates').locator('path.recharts-curve').count()).toBeGreaterThanOrEqual(2)
  })

  it('counts junk on the wire under the right framing error, as a red row', async () => {
    const injected = await device.injectJunk()
    expect(injected).toBeGreaterThan(0)
    // The decoder is back in step at the next plausible record.
    await ping(['-c', '2', '-i', '0.2', '-W', '2'])
    // The fixture's junk starts with a length over the 1500-byte limit.
    await expect.poll(() => page.getByTestId('framing-tooLong').textContent()).toMatch(/[1-9]/)
    await expect.poll(() => rows().filter({ hasText: 'Framing error' }).count()).toBeGreaterThan(0)
    await page.getByTestId('framing-tooLong').getByRole('button').click()
    await expect.poll(() => page.getByTestId('details').textContent()).toMatch(/framing error/i)
  })

  it('exports a pcapng that tshark reads, both directions and no malformed frames', async () => {
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Export pcapng' }).click()
    const file = join(work, 'export.pcapng')
    await (await download).saveAs(file)
    const capture = tsharkFields(file, ['frame.p2p_dir', '_ws.col.Protocol', '_ws.malformed'])
    expect(capture).toMatchObject({ status: 0, complaints: [] })
    expect(capture.rows.length).toBeGreaterThan(10)
    expect(capture.rows.filter((row) => row[2] !== '')).toEqual([])
    expect(new Set(capture.rows.map((row) => row[0]))).toEqual(new Set(['0', '1'])) // received (from the device) and sent
    expect(new Set(capture.rows.map((row) => row[1]))).toContain('ICMP')
  })

  it('refuses bad settings in the dialog with one sentence naming the field, leaving the bridge running and the file as it was', async () => {
    const settingsFile = join(work, 'config', 'tunscope', 'settings.json')
    // None yet: the unreadable one was kept aside, and serve --start remembers nothing by itself.
    const fileNow = (): string | null => (existsSync(settingsFile) ? readFileSync(settingsFile, 'utf8') : null)
    const before = fileNow()
    await page.getByRole('button', { name: 'Settings' }).click()
    const dialog = page.getByRole('dialog', { name: 'Settings' })
    await dialog.locator('input[name="hostIp"]').fill('192.168.100.300/24')
    await dialog.locator('input[name="tun"]').fill('tun9')
    await dialog.getByRole('button', { name: 'Save and start' }).click()
    await expect.poll(() => dialog.getByTestId('settings-refused').textContent()).toMatch(/^Host address "192\.168\.100\.300\/24" .*\.$/)
    // The dialog holds what was typed, to correct; nothing else changed.
    expect(await dialog.locator('input[name="tun"]').inputValue()).toBe('tun9')
    expect(await page.getByTestId('uart-status').textContent()).toMatch(/connected/)
    expect(await page.getByTestId('problem').count()).toBe(0)
    expect(fileNow()).toBe(before)
    expect((await ping(['-c', '2', '-i', '0.2', '-W', '2'])).stdout).toMatch(/2 packets transmitted, 2 received/)

    await dialog.locator('input[name="hostIp"]').fill('192.168.100.1/24')
    await dialog.locator('input[name="tun"]').fill('tun0')
    await dialog.getByRole('button', { name: 'Save and start' }).click()
    expect(await dialog.count()).toBe(0)
    await page.getByTestId('uart-status').filter({ hasText: /connected/ }).waitFor({ timeout: 15_000 })
    expect(await page.getByTestId('problem').count()).toBe(0)
    const r = await ping(['-c', '2', '-i', '0.2', '-W', '2'])
    expect(r.stdout).toMatch(/2 packets transmitted, 2 received/)
    expect(JSON.parse(fileNow()!)).toMatchObject({ tun: 'tun0', hostIp: '192.168.100.1/24' }) // Save and start remembers
    // The restarted bridge counts from zero: no "last at" link to the junk frame of the run before.
    const tooLong = page.getByTestId('framing-tooLong')
    await expect.poll(() => tooLong.locator('td.num').textContent()).toBe('0')
    expect(await tooLong.getByRole('button').count()).toBe(0)
  })

  it('says in the status bar when the TUN is taken down or deleted under the bridge, and bridges again once it is back', async () => {
    const tun = page.getByTestId('tun-status')
    await host.exec('ip', ['link', 'set', 'tun0', 'down'], { check: true })
    await expect.poll(() => tun.textContent(), { timeout: 5_000 }).toMatch(/tun0 192\.168\.100\.1\/24 · MTU 1486 · down/)
    await expect.poll(() => tun.getAttribute('title')).toBe('tun0 is down; the kernel refuses packets from the device until it is up again.')
    await host.exec('ip', ['link', 'del', 'tun0'], { check: true })
    await expect.poll(() => tun.textContent(), { timeout: 5_000 }).toMatch(/tun0 · deleted, waiting for it to return/)
    await expect.poll(() => tun.getAttribute('title')).toBe('tun0 was deleted; packets from the device are dropped until a TUN named tun0 is back.')
    expect(await page.getByTestId('uart-status').textContent()).toMatch(/connected/)
    await host.exec('ip', ['tuntap', 'add', 'dev', 'tun0', 'mode', 'tun'], { check: true })
    await expect.poll(() => tun.textContent(), { timeout: 5_000 }).toMatch(/tun0 192\.168\.100\.1\/24 · MTU 1486 · up/)
    await expect.poll(() => tun.getAttribute('title')).toBeNull()
    const r = await ping(['-c', '2', '-i', '0.2', '-W', '2'])
    expect(r.stdout).toMatch(/2 packets transmitted, 2 received/)
  })

  it('saves a screenshot and logs no console errors', async () => {
    await page.getByTestId('filter').fill('')
    // Follow off first: a frame arriving between Playwright's aim and its click would move the row.
    await page.getByLabel('Follow').uncheck()
    await page.locator('[role="row"][data-index]', { hasText: 'Echo (ping) request' }).last().click()
    await page.getByTestId('details').getByText(/Header Checksum: 0x[0-9a-f]{4} \[correct\]/).click()
    await screenshotBothThemes(page, 'inspector')
    expect(ui.consoleErrors).toEqual([])
  })
})
