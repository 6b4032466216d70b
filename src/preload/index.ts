// The renderer's only door to the main process (sandboxed, so CommonJS):
// `window.tunscope` is the DesktopApi and nothing more, and each engine
// MessagePort main sends is handed on to the page, which cannot see ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron'

import { ENGINE_PORT_MESSAGE, type DesktopApi } from '../shared/desktopApi.js'
import { ENGINE_PORT_CHANNEL, type IpcChannel, type IpcChannels } from '../main/ipcChannels.js'

// The one DOM call made here; the project's Node typings do not include the DOM.
declare const window: { postMessage(message: unknown, targetOrigin: string, transfer: unknown[]): void }

function invoke<C extends IpcChannel>(channel: C, ...args: Parameters<IpcChannels[C]>): Promise<Awaited<ReturnType<IpcChannels[C]>>> {
  return ipcRenderer.invoke(channel, ...args)
}

const api: DesktopApi = {
  createTun: (request) => invoke('tun:create', request),
  exportPcapng: () => invoke('capture:export'),
  chooseSocketPath: (current) => invoke('socket:choose', current),
  connectEngine: () => void invoke('engine:connect')
}

contextBridge.exposeInMainWorld('tunscope', api)

// A MessagePort cannot cross the context bridge; window.postMessage carries it
// to the page (Electron's documented way with context isolation).
ipcRenderer.on(ENGINE_PORT_CHANNEL, (event) => window.postMessage(ENGINE_PORT_MESSAGE, '*', event.ports))
