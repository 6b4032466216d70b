// Listens on a unix socket for a device that connects to us (QEMU with
// `-serial unix:PATH` without `server`). One device at a time: a new
// connection replaces the old one, as happens when QEMU restarts.
import { lstatSync, unlinkSync } from 'node:fs'
import net from 'node:net'

import { UserError } from '../errors.js'
import type { LinkState, StreamReceiver, Transport, TransportEvents } from './types.js'

export class UnixServerTransport implements Transport {
  private server: net.Server | null = null
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
    // A live listener on the path belongs to another program: never take its place.
    const probe = net.connect(this.path)
    probe.once('connect', () => {
      probe.destroy()
      this.events.onFatal(new UserError(`Another program is already listening on ${this.path}; stop it or choose another --socket path.`))
    })
    probe.once('error', () => this.listen())
  }

  private listen(): void {
    try {
      removeStaleSocket(this.path)
    } catch (error) {
      this.events.onFatal(error as Error)
      return
    }
    const server = net.createServer((socket) => this.accept(socket))
    server.on('error', (error: NodeJS.ErrnoException) => {
      this.events.onFatal(new UserError(`Cannot listen on ${this.path} (${error.code}); check the folder's permissions or choose another --socket path.`))
    })
    server.listen(this.path)
    this.server = server
  }

  write(data: Uint8Array, onWritten?: () => void): boolean {
    if (!this.socket) return false
    this.socket.write(data, onWritten)
    return true
  }

  async stop(): Promise<void> {
    this.drop()
    const server = this.server
    this.server = null
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
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

/** Removes a socket left by an earlier run; refuses to touch anything that is not a socket. */
function removeStaleSocket(path: string): void {
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    return
  }
  if (!stat.isSocket()) throw new UserError(`${path} exists and is not a socket; remove it or choose another --socket path.`)
  unlinkSync(path)
}
