// Main answers invoke calls only from our window's own page, with checked arguments.
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron'
import { beforeEach, describe, expect, it, vi } from 'vitest'

import { appPage } from '../../src/main/appPage.js'
import type { EngineHost } from '../../src/main/engineHost.js'
import { handle, isTrustedSender, noArgs } from '../../src/main/ipc.js'
import { registerHandlers } from '../../src/main/ipcHandlers.js'
import { handlers, ipcMain, resetStub, StubBrowserWindow, type StubWebContents } from './electronStub.js'

vi.mock('electron', () => import('./electronStub.js'))

const page = appPage(undefined, '/opt/Tunscope/resources/app.asar/out/renderer/index.html')
const PAGE_URL = 'file:///opt/Tunscope/resources/app.asar/out/renderer/index.html'

let stubWindow: StubBrowserWindow
let window: BrowserWindow

interface Sender {
  contents?: StubWebContents
  url?: string
  subframe?: boolean
  noFrame?: boolean
}

/** An invoke event as Electron would build it for a call from `sender`. */
function eventFrom({ contents = stubWindow.webContents, url = PAGE_URL, subframe = false, noFrame = false }: Sender = {}): IpcMainInvokeEvent {
  const senderFrame = noFrame ? null : { url, parent: subframe ? stubWindow.webContents.mainFrame : null }
  return { sender: contents, senderFrame } as unknown as IpcMainInvokeEvent
}

function call(channel: string, event: IpcMainInvokeEvent, ...args: unknown[]): Promise<unknown> {
  const listener = handlers.get(channel) as ((event: IpcMainInvokeEvent, ...args: unknown[]) => unknown) | undefined
  if (!listener) throw new Error(`no handler for ${channel}`)
  return Promise.resolve().then(() => listener(event, ...args))
}

beforeEach(() => {
  resetStub()
  stubWindow = new StubBrowserWindow({})
  window = stubWindow as unknown as BrowserWindow
})

describe('isTrustedSender', () => {
  it('trusts our window main frame on our page, whatever its hash', () => {
    expect(isTrustedSender(eventFrom(), window, page)).toBe(true)
    expect(isTrustedSender(eventFrom({ url: `${PAGE_URL}#/settings` }), window, page)).toBe(true)
  })

  it.each<[string, Sender]>([
    ['a foreign URL in our window', { url: 'https://example.com/' }],
    ['another file in our window', { url: 'file:///tmp/evil.html' }],
    ['a subframe of our page', { subframe: true }],
    ['another window', { contents: new StubBrowserWindow({}).webContents }],
    ['a frame that is gone', { noFrame: true }]
  ])('refuses %s', (_what, sender) => {
    expect(isTrustedSender(eventFrom(sender), window, page)).toBe(false)
  })

  it('refuses everything without a window, or once it is destroyed', () => {
    expect(isTrustedSender(eventFrom(), null, page)).toBe(false)
    stubWindow.isDestroyed.mockReturnValue(true)
    expect(isTrustedSender(eventFrom(), window, page)).toBe(false)
  })

  it('trusts any path of the dev server origin only', () => {
    const dev = appPage('http://localhost:5173/', '/unused')
    expect(isTrustedSender(eventFrom({ url: 'http://localhost:5173/index.html' }), window, dev)).toBe(true)
    expect(isTrustedSender(eventFrom({ url: 'http://localhost:5174/' }), window, dev)).toBe(false)
    expect(isTrustedSender(eventFrom({ url: PAGE_URL }), window, dev)).toBe(false)
  })
})

describe('handle', () => {
  const run = vi.fn(async (_event: IpcMainInvokeEvent, _path: string): Promise<string | null> => 'done')
  const register = (): void => handle('socket:choose', (event) => isTrustedSender(event, window, page), (args): [string] | null => (typeof args[0] === 'string' ? [args[0]] : null), run)

  it('runs the handler for a trusted sender with parsed arguments', async () => {
    register()
    expect(ipcMain.handle).toHaveBeenCalledWith('socket:choose', expect.any(Function))
    await expect(call('socket:choose', eventFrom(), '/tmp/uart.sock')).resolves.toBe('done')
    expect(run).toHaveBeenCalledWith(expect.anything(), '/tmp/uart.sock')
  })

  it('rejects a foreign sender without looking at its arguments', async () => {
    const parse = vi.fn(() => [] as [])
    handle('capture:export', () => false, parse, async () => ({ saved: false, message: null }) as const)
    await expect(call('capture:export', eventFrom({ url: 'https://example.com/' }))).rejects.toThrow('did not come from the Tunscope window')
    expect(parse).not.toHaveBeenCalled()
  })

  it('rejects malformed arguments', async () => {
    register()
    await expect(call('socket:choose', eventFrom(), 42)).rejects.toThrow('arguments are malformed')
    expect(run).not.toHaveBeenCalled()
  })

  it('noArgs accepts only an empty argument list', () => {
    expect(noArgs([])).toEqual([])
    expect(noArgs([1])).toBeNull()
  })
})

describe('registerHandlers', () => {
  const engine = { connect: vi.fn(), exportPcapng: vi.fn() }

  beforeEach(() => {
    registerHandlers({
      window: () => window,
      page,
      engine: engine as unknown as EngineHost,
      // No pkexec is reached in these tests: the helper would be this missing file.
      helper: { packaged: true, resourcesPath: '/nonexistent', appPath: '/nonexistent', execPath: '/nonexistent', appImage: undefined }
    })
  })

  it('registers exactly the four channels', () => {
    expect([...handlers.keys()].sort()).toEqual(['capture:export', 'engine:connect', 'socket:choose', 'tun:create'])
  })

  it.each([
    ['no request', []],
    ['two requests', [{}, {}]],
    ['a name with a space', [{ name: 'tun 0', hostIp: '192.168.100.1/24', mtu: 1486, tap: false }]],
    ['an MTU as a string', [{ name: 'tun0', hostIp: '192.168.100.1/24', mtu: '1486', tap: false }]]
  ])('tun:create refuses %s', async (_what, args) => {
    await expect(call('tun:create', eventFrom(), ...args)).rejects.toThrow('arguments are malformed')
  })

  it('socket:choose refuses a non-string or an overlong path', async () => {
    await expect(call('socket:choose', eventFrom(), null)).rejects.toThrow('arguments are malformed')
    await expect(call('socket:choose', eventFrom(), 'x'.repeat(5000))).rejects.toThrow('arguments are malformed')
  })

  it('engine:connect connects the calling window, and only a trusted one', async () => {
    await call('engine:connect', eventFrom())
    expect(engine.connect).toHaveBeenCalledWith(stubWindow.webContents)
    await expect(call('engine:connect', eventFrom({ url: 'https://example.com/' }))).rejects.toThrow()
    expect(engine.connect).toHaveBeenCalledTimes(1)
  })
})
