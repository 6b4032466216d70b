// The UART side of the bridge: a byte stream to and from the device, however
// it is reached (QEMU's unix socket, TCP, or QEMU connecting to us over either).

export type LinkStatus = 'waiting' | 'connected' | 'reconnecting' | 'stopped'

export interface LinkState {
  status: LinkStatus
  /** Human description of where the device is reached: a path or host:port. */
  endpoint: string
  /** Failed attempts since the last connection (for 'reconnecting'). */
  attempt: number
  /** Connections made so far. */
  connections: number
  /** Why the device is not connected (e.g. "no socket yet"), or null. */
  detail: string | null
}

/** Where received bytes go: the framing decoder. */
export interface StreamReceiver {
  /** Memory the next read may fill (zero-copy path). */
  space(): Uint8Array
  commit(n: number): void
  /** Copies a chunk in, for transports that hand out their own buffers. */
  push(chunk: Uint8Array): void
  /** The stream broke: anything half-received is reported and dropped. */
  reset(): void
}

export interface TransportEvents {
  onState(state: LinkState): void
  /** The transport cannot go on (e.g. it cannot listen on its path). */
  onFatal(error: Error): void
}

export interface Transport {
  readonly state: LinkState
  start(): void
  stop(): Promise<void>
  /**
   * Sends bytes if a device is connected; returns false (and sends nothing) when not.
   * `data` must stay untouched until onWritten is called: with an error if the
   * connection went away before the kernel took it all.
   */
  write(data: Uint8Array, onWritten?: (error?: Error | null) => void): boolean
  /** Bytes accepted by write() but not yet handed to the kernel. */
  readonly queuedBytes: number
  /**
   * Stops (false) or restarts (true) reading from the connection, so the peer waits on its full
   * socket instead of its bytes being read and dropped further on; a new connection reads.
   */
  setReading(on: boolean): void
}

export type TransportOptions =
  | { kind: 'unix-client'; path: string }
  | { kind: 'tcp-client'; host: string; port: number }
  | { kind: 'unix-server'; path: string }
  /** Listens on TCP; the device (QEMU with server=off) connects. */
  | { kind: 'tcp-server'; host: string; port: number }
  /** A serial device (8N1, raw) at `baud`. */
  | { kind: 'serial'; path: string; baud: number }
