// The preload exposes exactly the DesktopApi, each method on its typed
// channel, and hands each engine MessagePort on to the page.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import { ENGINE_PORT_MESSAGE, type DesktopApi } from '../../src/shared/desktopApi.js'
import type { TunCreateRequest } from '../../src/shared/protocol.js'
import { contextBridge, ipcRenderer, rendererListeners } from './electronStub.js'

vi.mock('electron', () => import('./electronStub.js'))

/** Every DesktopApi key, checked against the interface by the compiler. */
const API_KEYS: Record<keyof DesktopApi, true> = { createTun: true, exportPcapng: true, chooseSocketPath: true, connectEngine: true }

const postMessage = vi.fn()
let api: DesktopApi

// The preload registers everything as it loads, once.
beforeAll(async () => {
  vi.stubGlobal('window', { postMessage })
  await import('../../src/preload/index.js')
  api = contextBridge.exposeInMainWorld.mock.calls[0]![1] as DesktopApi
})

afterAll(() => {
  vi.unstubAllGlobals()
})

describe('preload', () => {
  it('exposes window.tunscope with exactly the DesktopApi methods', () => {
    expect(contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1)
    expect(contextBridge.exposeInMainWorld.mock.calls[0]![0]).toBe('tunscope')
    expect(Object.keys(api).sort()).toEqual(Object.keys(API_KEYS).sort())
    for (const value of Object.values(api)) expect(typeof value).toBe('function')
  })

  it('invokes each method on its channel', async () => {
    const request: TunCreateRequest = { name: 'tun0', user: 'me', hostIp: '192.168.100.1/24', mtu: 1486, tap: false, commandLine: '' }
    await api.createTun(request)
    await api.exportPcapng()
    await api.chooseSocketPath('/tmp/uart.sock')
    api.connectEngine()
    expect(ipcRenderer.invoke.mock.calls).toEqual([
      ['tun:create', request],
      ['capture:export'],
      ['socket:choose', '/tmp/uart.sock'],
      ['engine:connect']
    ])
  })

  it("posts each engine port to the page's window", () => {
    const port = { fake: 'MessagePort' }
    const forward = rendererListeners.get('engine-port') as (event: { ports: unknown[] }) => void
    forward({ ports: [port] })
    expect(postMessage).toHaveBeenCalledWith(ENGINE_PORT_MESSAGE, '*', [port])
  })
})
