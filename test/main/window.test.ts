// The window's lock-down: web preferences, navigation, new windows, webviews,
// permissions and the Content-Security-Policy header.
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { appPage } from '../../src/main/appPage.js'
import { CONTENT_SECURITY_POLICY, createWindow } from '../../src/main/window.js'
import { nativeTheme, resetStub, shell, StubBrowserWindow, type StubWebContents } from './electronStub.js'

vi.mock('electron', () => import('./electronStub.js'))

const INDEX = '/opt/Tunscope/resources/app.asar/out/renderer/index.html'
const page = appPage(undefined, INDEX)

let stub: StubBrowserWindow
let contents: StubWebContents

beforeEach(() => {
  resetStub()
  createWindow(page, '/app/out/preload/index.cjs')
  stub = StubBrowserWindow.created[0]!
  contents = stub.webContents
})

/** Emits a cancellable webContents event; returns whether the handler cancelled it. */
function prevented(name: string, ...args: unknown[]): boolean {
  const event = { preventDefault: vi.fn() }
  contents.emit(name, event, ...args)
  return event.preventDefault.mock.calls.length > 0
}

type HeadersListener = (details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: unknown) => void) => void

function headersFor(url: string, responseHeaders?: Record<string, string[]>): unknown {
  const listener = contents.session.webRequest.onHeadersReceived.mock.calls[0]![0] as HeadersListener
  let response: unknown
  listener({ url, responseHeaders }, (r) => (response = r))
  return response
}

describe('createWindow', () => {
  it('opens a sandboxed, context-isolated window without Node, 1280×800 with a minimum size', () => {
    expect(stub.options).toMatchObject({
      width: 1280,
      height: 800,
      minWidth: expect.any(Number),
      minHeight: expect.any(Number),
      webPreferences: { preload: '/app/out/preload/index.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false }
    })
  })

  it('loads our page and shows the window once it is ready', () => {
    expect(stub.loadURL).toHaveBeenCalledWith(`file://${INDEX}`)
    expect(stub.show).not.toHaveBeenCalled()
    stub.emit('ready-to-show')
    expect(stub.show).toHaveBeenCalled()
  })

  it('follows the OS theme', () => {
    expect(nativeTheme.themeSource).toBe('system')
  })

  it('blocks every navigation and webview', () => {
    expect(prevented('will-navigate', 'https://example.com/')).toBe(true)
    expect(prevented('will-navigate', `file://${INDEX}`)).toBe(true)
    expect(prevented('will-attach-webview', {}, {})).toBe(true)
  })

  it('denies window.open, opening https links and http links to the loopback (forwarded ports) in the browser, and nothing else', () => {
    const open = contents.setWindowOpenHandler.mock.calls[0]![0] as (details: { url: string }) => unknown
    const opened = ['https://www.wireshark.org/', 'http://127.0.0.1:8080/', 'http://localhost:8080/']
    for (const url of opened) expect(open({ url })).toEqual({ action: 'deny' })
    const refused = [
      'http://example.com/', 'http://127.0.0.1.example.com/', 'http://user:pw@127.0.0.1:8080/', 'http://localhost.evil/',
      'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'ftp://127.0.0.1/'
    ]
    for (const url of refused) expect(open({ url })).toEqual({ action: 'deny' })
    expect((shell.openExternal.mock.calls as unknown as [string][]).map(([url]) => url)).toEqual(opened)
  })

  it('denies every permission request and check', () => {
    const request = contents.session.setPermissionRequestHandler.mock.calls[0]![0] as (c: unknown, p: string, callback: (granted: boolean) => void) => void
    const callback = vi.fn()
    request(contents, 'media', callback)
    request(contents, 'notifications', callback)
    expect(callback.mock.calls).toEqual([[false], [false]])
    const check = contents.session.setPermissionCheckHandler.mock.calls[0]![0] as (c: unknown, p: string) => boolean
    expect(check(contents, 'clipboard-read')).toBe(false)
  })
})

describe('Content-Security-Policy header', () => {
  it('is strict', () => {
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "connect-src 'self'"]) {
      expect(CONTENT_SECURITY_POLICY).toContain(directive)
    }
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe/)
  })

  it('is set on our page, replacing any other policy and keeping other headers', () => {
    expect(headersFor(`file://${INDEX}#/frames`, { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] })).toEqual({
      responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] }
    })
  })

  it('leaves other responses alone', () => {
    expect(headersFor('https://example.com/', { 'X-Other': ['1'] })).toEqual({ responseHeaders: { 'X-Other': ['1'] } })
  })
})
