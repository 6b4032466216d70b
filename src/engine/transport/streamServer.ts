// Listens for a device that connects to us (QEMU without `server`, over a unix
// socket or TCP), one device at a time. A connection that arrives while
// another is open waits its turn: the open one is read to its end first (QEMU
// closes it when it restarts, so that is at once), and only one that stays
// open past DRAIN_MS is cut, its half-read record counted as cut by the
// disconnect. So no byte a connection delivered goes unread.
import type net from 'node:net'

import { LinkStateTransport } from './linkState.js'
import type { StreamReceiver, Transport, TransportEvents } from './types.js'

/** How long an open connection may keep a newer one waiting. */
const DRAIN_MS = 1000
/** Connections waiting at once; beyond this a new one is closed unread, as a full listen backlog would. */
const MAX_WAITING = 64

export interface StreamListener {
  /** Stops listening (also before listening began); resolves when closed. */
  close(): Promise<void>
}

/** Starts listening; `onFatal` gets one sentence if it cannot. */
export type Listen = (onConnection: (socket: net.Socket) => void, onFatal: (error: Error) => void) => StreamListener

export class StreamServerTransport extends LinkStateTransport implements Transport {
  private listener: StreamListener | null = null
  private socket: net.Socket | null = null
  private readonly waiting: net.Socket[] = []
  private drainTimer: NodeJS.Timeout | undefined

  /** @param endpoint where it listens, as the link state shows it (a path or host:port) */
  constructor(
    endpoint: string,
    private readonly listen: Listen,
    private readonly receiver: StreamReceiver,
    events: TransportEvents
  ) {
    super(events, endpoint, 'listening')
  }

  get queuedBytes(): number {
    return this.socket?.writableLength ?? 0
  }

  start(): void {
    this.announce()
    this.listener = this.listen((socket) => this.arrived(socket), (error) => this.events.onFatal(error))
  }

  write(data: Uint8Array, onWritten?: (error?: Error | null) => void): boolean {
    if (!this.socket) return false
    this.socket.write(data, onWritten)
    return true
  }

  setReading(on: boolean): void {
    if (on) this.socket?.resume()
    else this.socket?.pause()
  }

  async stop(): Promise<void> {
    for (const socket of this.waiting.splice(0)) socket.destroy()
    clearTimeout(this.drainTimer)
    const socket = this.socket
    this.socket = null
    if (socket) {
      this.receiver.reset()
      socket.destroy()
    }
    await this.listener?.close()
    this.listener = null
    this.setState({ status: 'stopped' })
  }

  private arrived(socket: net.Socket): void {
    socket.on('error', () => {}) // 'close' follows
    if (!this.socket) {
      this.activate(socket)
      return
    }
    if (this.waiting.length === MAX_WAITING) {
      socket.destroy()
      return
    }
    socket.pause()
    this.waiting.push(socket)
    this.drainTimer ??= setTimeout(() => this.cut(), DRAIN_MS)
  }

  private activate(socket: net.Socket): void {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.receiver.push(chunk))
    socket.on('close', () => this.closed(socket))
    socket.resume()
    this.setConnected()
  }

  private closed(socket: net.Socket): void {
    if (this.socket !== socket) return
    this.socket = null
    clearTimeout(this.drainTimer)
    this.drainTimer = undefined
    this.receiver.reset()
    const next = this.waiting.shift()
    if (next) {
      this.activate(next)
      if (this.waiting.length > 0) this.drainTimer = setTimeout(() => this.cut(), DRAIN_MS)
    } else {
      this.setState({ status: 'reconnecting', attempt: 1, detail: 'listening' })
    }
  }

  /** Ends the open connection now; 'close' then hands over to the next one waiting. */
  private cut(): void {
    this.drainTimer = undefined
    this.socket?.destroy()
  }
}
