// Connects to a listening device (QEMU's `-serial unix:PATH,server,nowait` or
// `tcp::PORT,server,nowait`) and reconnects forever with capped backoff.
// Reads land straight in the decoder's buffer (net's onread), no copies.
import net from 'node:net'

import { LinkStateTransport } from './linkState.js'
import type { StreamReceiver, Transport, TransportEvents } from './types.js'

const FIRST_RETRY_MS = 50
const MAX_RETRY_MS = 1000

export type StreamEndpoint = { path: string } | { host: string; port: number }

export class StreamClientTransport extends LinkStateTransport implements Transport {
  private socket: net.Socket | null = null
  private connected = false
  private stopped = false
  private retryMs = FIRST_RETRY_MS
  private retryTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly endpoint: StreamEndpoint,
    private readonly receiver: StreamReceiver,
    events: TransportEvents
  ) {
    super(events, 'path' in endpoint ? endpoint.path : `${endpoint.host}:${endpoint.port}`)
  }

  get queuedBytes(): number {
    return this.socket?.writableLength ?? 0
  }

  start(): void {
    this.stopped = false
    this.announce()
    this.connect()
  }

  write(data: Uint8Array, onWritten?: (error?: Error | null) => void): boolean {
    if (!this.connected || !this.socket) return false
    this.socket.write(data, onWritten)
    return true
  }

  setReading(on: boolean): void {
    if (on) this.socket?.resume()
    else this.socket?.pause()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    const socket = this.socket
    this.socket = null
    if (socket) {
      if (this.connected) this.receiver.reset()
      this.connected = false
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve())
        socket.destroy()
      })
    }
    this.setState({ status: 'stopped' })
  }

  private connect(): void {
    const receiver = this.receiver
    const onread = {
      buffer: () => receiver.space(),
      callback: (n: number) => {
        receiver.commit(n)
        return true
      }
    }
    const socket = 'path' in this.endpoint
      ? net.connect({ path: this.endpoint.path, onread })
      : net.connect({ host: this.endpoint.host, port: this.endpoint.port, onread, noDelay: true })
    this.socket = socket
    socket.on('connect', () => {
      this.connected = true
      this.retryMs = FIRST_RETRY_MS
      this.setConnected()
    })
    let failure: string | null = null
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failure = describeConnectError(error) // 'close' follows and retries
    })
    socket.on('close', () => {
      if (this.socket !== socket) return
      this.socket = null
      if (this.connected) {
        this.connected = false
        receiver.reset()
      }
      if (this.stopped) return
      this.setRetrying(failure ?? 'connection closed')
      this.retryTimer = setTimeout(() => this.connect(), this.retryMs)
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS)
    })
  }
}

function describeConnectError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no socket yet — is QEMU running?'
    case 'ECONNREFUSED':
      return 'nobody listening on the socket'
    case 'EACCES':
      return 'permission denied on the socket'
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset'
    default:
      return error.code ?? error.message
  }
}
