// Listens on a unix socket for a device that connects to us (QEMU with
// `-serial unix:PATH` without `server`). One device at a time: a new
// connection replaces the old one, as happens when QEMU restarts.
import type net from 'node:net'

import { listenOnUnixSocket, type UnixListener } from './unixListen.js'
import type { LinkState, StreamReceiver, Transport, TransportEvents } from './types.js'

export class UnixServerTransport implements Transport {
  private listener: UnixListener | null = null
  private socket: net.Socket | null = null
  private current: LinkState

  constructor(
    private readonly path: string,
    private readonly receiver: StreamReceiver,
    private readonly events: TransportEvents
  ) {
    this.current = { status: 'waiting', endpoint: path, attempt: 0, connections: 0, detail: 'listening' }
  }

  get state(): LinkState {
    return this.current
  }

  get queuedBytes(): number {
    return this.socket?.writableLength ?? 0
  }

  start(): void {
    this.events.onState(this.current)
    this.listener = listenOnUnixSocket(this.path, (socket) => this.accept(socket), (error) => this.events.onFatal(error))
  }

  write(data: Uint8Array, onWritten?: () => void): boolean {
    if (!this.socket) return false
    this.socket.write(data, onWritten)
    return true
  }

  async stop(): Promise<void> {
    this.drop()
    await this.listener?.close()
    this.listener = null
    this.setState({ status: 'stopped' })
  }

  private accept(socket: net.Socket): void {
    this.drop()
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.receiver.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.socket = null
      this.receiver.reset()
      this.setState({ status: 'reconnecting', attempt: 1, detail: 'listening' })
    })
    this.setState({ status: 'connected', attempt: 0, connections: this.current.connections + 1, detail: null })
  }

  private drop(): void {
    const socket = this.socket
    if (!socket) return
    this.socket = null
    this.receiver.reset()
    socket.destroy()
  }

  private setState(change: Partial<LinkState>): void {
    this.current = { ...this.current, ...change }
    this.events.onState(this.current)
  }
}
