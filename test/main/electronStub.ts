// STUB of the `electron` module for unit tests of src/main and src/preload.
// It stands in for the Electron binary, which cannot be downloaded on the
// development and CI machines (ELECTRON_SKIP_BINARY_DOWNLOAD=1). It records
// what the code under test asks of Electron and lets a test play Electron's
// part (fire events, call registered handlers); it implements no behaviour of
// Electron's own. Wire it with: vi.mock('electron', () => import('./electronStub.js'))
import { EventEmitter } from 'node:events'

import { vi } from 'vitest'

export class StubSession {
  readonly webRequest = { onHeadersReceived: vi.fn() }
  readonly setPermissionRequestHandler = vi.fn()
  readonly setPermissionCheckHandler = vi.fn()
}

let nextContentsId = 1

export class StubWebContents extends EventEmitter {
  readonly id = nextContentsId++
  readonly session = new StubSession()
  readonly mainFrame = { parent: null, url: '' }
  readonly setWindowOpenHandler = vi.fn()
  readonly postMessage = vi.fn()
}

export class StubBrowserWindow extends EventEmitter {
  static readonly created: StubBrowserWindow[] = []
  readonly webContents = new StubWebContents()
  readonly loadURL = vi.fn(async () => {})
  readonly show = vi.fn()
  readonly isDestroyed = vi.fn(() => false)

  constructor(readonly options: Record<string, unknown>) {
    super()
    StubBrowserWindow.created.push(this)
  }
}

export class StubMessagePort extends EventEmitter {
  readonly postMessage = vi.fn()
  readonly start = vi.fn()
  readonly close = vi.fn()
}

export class StubMessageChannelMain {
  readonly port1 = new StubMessagePort()
  readonly port2 = new StubMessagePort()
}

export class StubUtilityProcess extends EventEmitter {
  readonly postMessage = vi.fn()
  readonly kill = vi.fn(() => true)
}

export const app = {
  getPath: vi.fn((name: string) => `/stub/${name}`)
}

export const nativeTheme = { themeSource: 'light' }

export const shell = { openExternal: vi.fn(async () => {}) }

export const dialog = {
  showSaveDialog: vi.fn(),
  showOpenDialog: vi.fn()
}

type Listener = (...args: never[]) => unknown

/** ipcMain.handle's listeners by channel, for a test to call as Electron would. */
export const handlers = new Map<string, Listener>()
export const ipcMain = { handle: vi.fn((channel: string, listener: Listener) => void handlers.set(channel, listener)) }

/** ipcRenderer.on's listeners by channel. */
export const rendererListeners = new Map<string, Listener>()
export const ipcRenderer = {
  invoke: vi.fn(async () => undefined),
  on: vi.fn((channel: string, listener: Listener) => void rendererListeners.set(channel, listener))
}

export const contextBridge = { exposeInMainWorld: vi.fn() }

export const utilityProcess = { fork: vi.fn(() => new StubUtilityProcess()) }

export { StubBrowserWindow as BrowserWindow, StubMessageChannelMain as MessageChannelMain }

/** Forgets every call and registration (between tests). */
export function resetStub(): void {
  vi.clearAllMocks()
  handlers.clear()
  rendererListeners.clear()
  StubBrowserWindow.created.length = 0
  nativeTheme.themeSource = 'light'
}
