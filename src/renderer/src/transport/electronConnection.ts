// Desktop mode: the preload exposes `window.tunscope` (shared/desktopApi.ts)
// and posts the engine's MessagePort to the window.
import { ENGINE_PORT_MESSAGE, type DesktopApi } from '../../../shared/desktopApi'
import type { EngineMessage, UiCommand } from '../../../shared/protocol'
import type { EngineConnection, EngineListener } from './engineConnection'

export class ElectronConnection implements EngineConnection {
  private port: MessagePort | null = null
  readonly createTun: DesktopApi['createTun']
  readonly chooseSocketPath: DesktopApi['chooseSocketPath']
  readonly exportPcapng: DesktopApi['exportPcapng']

  constructor(private readonly api: DesktopApi) {
    this.createTun = (request) => api.createTun(request)
    this.chooseSocketPath = (current) => api.chooseSocketPath(current)
    this.exportPcapng = () => api.exportPcapng()
  }

  send(command: UiCommand): void {
    this.port?.postMessage(command)
  }

  connect(listener: EngineListener): () => void {
    const onWindowMessage = (event: MessageEvent): void => {
      // Only the preload (same window) hands us ports.
      if (event.source !== window || event.data !== ENGINE_PORT_MESSAGE || !event.ports[0]) return
      this.port?.close()
      const port = event.ports[0]
      this.port = port
      port.onmessage = (message: MessageEvent<EngineMessage | Uint8Array>) => {
        if (message.data instanceof Uint8Array) listener.frames(message.data)
        else listener.message(message.data)
      }
      port.start()
      listener.connection(true)
    }
    window.addEventListener('message', onWindowMessage)
    this.api.connectEngine()
    return () => {
      window.removeEventListener('message', onWindowMessage)
      this.port?.close()
      this.port = null
    }
  }
}

/** The connection this page should use: Electron's when the preload is there, else the WebSocket. */
export function desktopApi(): DesktopApi | null {
  return (window as unknown as { tunscope?: DesktopApi }).tunscope ?? null
}
