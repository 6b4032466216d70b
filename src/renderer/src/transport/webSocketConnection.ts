// Browser mode: the page was served by `tunscope serve`, which holds the
// session token in a cookie; the event stream is a WebSocket on the same origin.
import type { ExportResult } from '../../../shared/desktopApi'
import type { EngineMessage, UiCommand } from '../../../shared/protocol'
import type { EngineConnection, EngineListener } from './engineConnection'

const RETRY_MS = 1000

export class WebSocketConnection implements EngineConnection {
  private socket: WebSocket | null = null

  send(command: UiCommand): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(command))
  }

  connect(listener: EngineListener): () => void {
    let closed = false
    let retry: ReturnType<typeof setTimeout> | undefined
    const open = (): void => {
      const socket = new WebSocket(new URL('/engine', location.href.replace(/^http/, 'ws')))
      socket.binaryType = 'arraybuffer'
      this.socket = socket
      socket.onopen = () => listener.connection(true)
      socket.onmessage = (event: MessageEvent<string | ArrayBuffer>) => {
        if (typeof event.data === 'string') listener.message(JSON.parse(event.data) as EngineMessage)
        else listener.frames(new Uint8Array(event.data))
      }
      socket.onclose = () => {
        listener.connection(false)
        // The server restarted or went away: keep trying, as the bridge does.
        if (!closed) retry = setTimeout(open, RETRY_MS)
      }
    }
    open()
    return () => {
      closed = true
      clearTimeout(retry)
      this.socket?.close()
    }
  }

  exportPcapng(): Promise<ExportResult> {
    // The browser saves the download itself (the cookie carries the token).
    const link = document.createElement('a')
    link.href = '/capture.pcapng'
    link.download = ''
    link.click()
    return Promise.resolve({ saved: false, message: null })
  }
}
