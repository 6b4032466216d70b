// Serves the device's UART on a unix socket the way QEMU's
// `-serial unix:PATH,server,nowait` does: it listens, serves one client at a
// time, drops the device's output while nobody is connected, and takes the
// next client after a disconnect. (QEMU leaves a second client waiting in the
// backlog; here it is closed at once, which a bridge sees as the same refusal.)
import type net from 'node:net'

import { listenOnUnixSocket, type UnixListener } from '../../engine/transport/unixListen.js'

export interface UartSocketEvents {
  onConnected(): void
  onDisconnected(): void
  onData(bytes: Uint8Array): void
  /** The socket's buffer emptied after write() returned false. */
  onDrain(): void
  onFatal(error: Error): void
}

export class UartSocketServer {
  private listener: UnixListener | null = null
  private client: net.Socket | null = null
  connections = 0

  constructor(
    readonly path: string,
    private readonly events: UartSocketEvents
  ) {}

  /** Resolves once listening; rejects with one sentence if the path cannot be served (later failures go to onFatal). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      let listening = false
      this.listener = listenOnUnixSocket(
        this.path,
        (socket) => this.accept(socket),
        (error) => (listening ? this.events.onFatal(error) : reject(error)),
        () => {
          listening = true
          resolve()
        }
      )
    })
  }

  get connected(): boolean {
    return this.client !== null
  }

  /** False when the client's socket buffer is full (onDrain follows) or there is no client. */
  write(bytes: Uint8Array): boolean {
    return this.client?.write(bytes) ?? false
  }

  async stop(): Promise<void> {
    const client = this.client
    this.client = null
    client?.destroy()
    await this.listener?.close()
    this.listener = null
  }

  private accept(socket: net.Socket): void {
    if (this.client) {
      socket.destroy()
      return
    }
    this.client = socket
    this.connections++
    socket.setNoDelay?.(true)
    socket.on('data', (chunk: Buffer) => this.events.onData(chunk))
    socket.on('drain', () => this.events.onDrain())
    socket.on('error', () => {})
    socket.on('close', () => {
      if (this.client !== socket) return
      this.client = null
      this.events.onDisconnected()
    })
    this.events.onConnected()
  }
}
