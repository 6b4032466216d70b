// The inspector UI in real Chromium (Debian's, driven by playwright-core)
// against `tunscope serve` in a network namespace. Chromium runs inside that
// namespace too, since the server listens on the namespace's loopback.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'

import { TUNSCOPE_BIN } from './bridgeProcess.js'
import { createNamespace, destroyAll, requireNetns, skipNetns, type Netns } from './netns.js'

const CHROMIUM = process.env.TUNSCOPE_CHROMIUM ?? '/usr/bin/chromium'
/** Screenshots for people (README) land here. */
export const SCREENSHOTS = fileURLToPath(new URL('../../test-results/', import.meta.url))
/** The window sizes the layout is checked at: a laptop's and a large screen's. */
export const WINDOW_SIZES = [{ width: 1024, height: 640 }, { width: 1600, height: 1000 }] as const
/** The size of the screenshots for README: the large screen. */
const VIEWPORT = WINDOW_SIZES[1]

const noChromium = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)` : undefined
const required = process.env.TUNSCOPE_REQUIRE_NETNS === '1'
if (noChromium && !skipNetns && !required) console.warn(`inspector UI tests skipped: ${noChromium}`)

/** Skip the suite where namespaces or Chromium are missing (unless TUNSCOPE_REQUIRE_NETNS=1, see netns.ts). */
export const skipInspector = skipNetns || (noChromium !== undefined && !required)

/** The first line of the first hook: throws why the suite cannot run when it is required to. */
export function requireInspector(): void {
  requireNetns()
  if (noChromium) throw new Error(noChromium)
}

/** Runs `tunscope serve <args>` in `ns` with its settings under `configHome`; resolves with the page's address. */
export function serveInspector(ns: Netns, args: string[], configHome: string, bin = TUNSCOPE_BIN): Promise<string> {
  const server = ns.spawn(process.execPath, [bin, 'serve', ...args], {
    env: { ...process.env, XDG_CONFIG_HOME: configHome }
  })
  return new Promise<string>((resolve, reject) => {
    let out = ''
    let err = ''
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = /^(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/m.exec(out)
      if (line) resolve(line[1]!)
    })
    server.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    server.on('exit', (code) => reject(new Error(`tunscope serve exited with ${code}: ${err}`)))
  })
}

export interface InspectorPage {
  browser: Browser
  page: Page
  /** Console errors and warnings and uncaught exceptions of the page, as they happen. */
  consoleErrors: string[]
}

/** Chromium in `ns` (through a wrapper script in `work` that Playwright starts like the browser itself), on `url`. */
export async function openInspector(ns: Netns, url: string, work: string): Promise<InspectorPage> {
  const wrapper = join(work, 'chromium-in-netns')
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns.name} ${CHROMIUM} "$@"\n`)
  chmodSync(wrapper, 0o755)
  const browser = await chromium.launch({
    executablePath: wrapper,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  const page = await browser.newPage({ viewport: VIEWPORT, acceptDownloads: true })
  page.setDefaultTimeout(10_000) // a missing element fails the test instead of hanging it
  const consoleErrors: string[] = []
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && consoleErrors.push(`${m.type()}: ${m.text()}`))
  page.on('pageerror', (e) => consoleErrors.push(e.message))
  await page.goto(url)
  return { browser, page, consoleErrors }
}

/** The light and the dark screenshot of the page as it is, `<name>.png` and `<name>-dark.png` in SCREENSHOTS. */
export async function screenshotBothThemes(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.emulateMedia({ colorScheme: 'light' })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-dark.png`) })
  await page.emulateMedia({ colorScheme: null })
}

/**
 * WCAG contrast of each visible primary button's text against its background,
 * in the colour scheme the page shows now, with the button's label.
 */
export async function primaryButtonContrasts(page: Page): Promise<Array<{ label: string; contrast: number }>> {
  return page.locator('button.primary:visible').evaluateAll((buttons) => {
    const luminance = (css: string): number => {
      const [r, g, b] = css.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((v) => Number(v) / 255)
      const linear = (c: number): number => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
      return 0.2126 * linear(r!) + 0.7152 * linear(g!) + 0.0722 * linear(b!)
    }
    // Runs in the page; the tests' own types have no DOM library.
    const styleOf = (globalThis as unknown as { getComputedStyle(e: unknown): { color: string; backgroundColor: string } }).getComputedStyle
    return buttons.map((button) => {
      const style = styleOf(button)
      const [hi, lo] = [luminance(style.color), luminance(style.backgroundColor)].sort((a, b) => b - a)
      return { label: button.textContent ?? '', contrast: Math.round(((hi! + 0.05) / (lo! + 0.05)) * 100) / 100 }
    })
  })
}


export interface InspectorSession extends InspectorPage {
  ns: Netns
  /** A folder of the session's own (settings under config/), removed afterwards. */
  work: string
}

/**
 * For a describe block: a namespace, `tunscope serve <serveArgs>` in it with
 * fresh settings, and Chromium on its page, made in beforeAll and removed in
 * afterAll. The returned object is filled in once beforeAll has run.
 * `makeNamespace` makes another kind of namespace than a bare one (one with a
 * way out, for the user-mode network: internetNamespace.ts). `beforeServe` prepares the session's
 * folder before serve starts (remembered settings in `configHome`/tunscope/settings.json).
 */
export function inspectorForSuite(
  nsPrefix: string, serveArgs: string[], makeNamespace: (prefix: string) => Promise<Netns> = createNamespace,
  beforeServe?: (configHome: string) => void
): InspectorSession {
  const session = {} as InspectorSession
  beforeAll(async () => {
    requireInspector()
    session.work = mkdtempSync(join(tmpdir(), `tunscope-${nsPrefix}-`))
    session.ns = await makeNamespace(nsPrefix)
    beforeServe?.(join(session.work, 'config'))
    const url = await serveInspector(session.ns, serveArgs, join(session.work, 'config'))
    Object.assign(session, await openInspector(session.ns, url, session.work))
  }, 90_000)
  afterAll(async () => {
    await session.browser?.close()
    await destroyAll()
    if (session.work) rmSync(session.work, { recursive: true, force: true })
  })
  return session
}
