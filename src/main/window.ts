// The app window, locked down: the renderer runs sandboxed without Node, sees
// only the preload's API, cannot navigate, open windows, embed webviews or
// get permissions, and its page carries a strict Content-Security-Policy.
import { BrowserWindow, nativeTheme, shell, type OnHeadersReceivedListenerDetails, type WebContents } from 'electron'

import type { AppPage } from './appPage.js'

/** style-src allows inline styles: React and recharts set style attributes. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join('; ')

export function createWindow(page: AppPage, preload: string): BrowserWindow {
  // The renderer follows the OS theme through prefers-color-scheme.
  nativeTheme.themeSource = 'system'
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 560,
    title: 'Tunscope',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false
    }
  })
  lockDown(window.webContents, page)
  // Shown once painted, so it never flashes blank.
  window.once('ready-to-show', () => window.show())
  void window.loadURL(page.url)
  return window
}

function lockDown(contents: WebContents, page: AppPage): void {
  const { session } = contents
  session.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: withPolicy(details, page) }))
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  contents.on('will-navigate', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (opensInBrowser(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
}

/**
 * Links the browser may open: https anywhere, and plain http to this machine's loopback only (the
 * user-mode network's forwarded ports in the status bar). Parsed, not prefix-matched, so
 * http://127.0.0.1.example.com/ is not mistaken for the loopback.
 */
export function opensInBrowser(url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === 'https:') return true
  return parsed.protocol === 'http:' && (parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost') && parsed.username === '' && parsed.password === ''
}

/** Our page's headers with our policy in place of any other; everything else's unchanged. */
function withPolicy({ url, responseHeaders }: OnHeadersReceivedListenerDetails, page: AppPage): Record<string, string[]> | undefined {
  if (!page.isPage(url)) return responseHeaders
  const headers = Object.fromEntries(Object.entries(responseHeaders ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy'))
  return { ...headers, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] }
}
