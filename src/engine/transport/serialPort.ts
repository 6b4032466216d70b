// A real serial port (a USB adapter, a board's UART) through the `serialport`
// package: 8N1, raw, no flow control, at the given baud. Missing, unreadable or
// busy devices and a device that vanishes mid-run (USB unplug) are all the same
// to the bridge: the link says why in one sentence and the port is tried again
// every second, so an adapter plugged back in comes back on its own.
// serialport hands out its own read buffers, so reads are push()ed (one copy).
// The package (a native binding) is loaded only when a serial port is used.
import { constants, promises as fs, statSync, type Stats } from 'node:fs'

import type { SerialPort } from 'serialport'

import { UserError } from '../errors.js'

import { LinkStateTransport } from './linkState.js'
import type { StreamReceiver, Transport, TransportEvents } from './types.js'

const RETRY_MS = 1000

let serialportPackage: Promise<typeof import('serialport')> | undefined

/** The rates Linux termios names (B50 … B4000000), the ones serialport sets without custom-rate tricks. */
export const STANDARD_BAUD_RATES: readonly number[] = [
  50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000,
  576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000
]

export interface SerialEndpoint {
  path: string
  baud: number
  /** RTS/CTS hardware flow control (off unless asked). */
  rtscts?: boolean
}

type WriteDone = (error?: Error | null) => void

export class SerialPortTransport extends LinkStateTransport implements Transport {
  private port: SerialPort | null = null
  private connected = false
  private stopped = false
  private retryTimer: NodeJS.Timeout | undefined
  /** Write callbacks the current port has not answered yet: a lost port answers them with an error. */
  private readonly pending = new Set<WriteDone>()

  constructor(
    private readonly endpoint: SerialEndpoint,
    private readonly receiver: StreamReceiver,
    events: TransportEvents
  ) {
    super(events, endpoint.path)
  }

  get queuedBytes(): number {
    return this.port?.writableLength ?? 0
  }

  setReading(on: boolean): void {
    if (on) this.port?.resume()
    else this.port?.pause()
  }

  start(): void {
    this.stopped = false
    this.announce()
    void this.open()
  }

  write(data: Uint8Array, onWritten?: WriteDone): boolean {
    const port = this.port
    if (!this.connected || !port) return false
    let done = false
    const finish: WriteDone = (error) => {
      if (done) return
      done = true
      this.pending.delete(finish)
      onWritten?.(error ?? null)
    }
    this.pending.add(finish)
    port.write(data, (error) => finish(error))
    return true
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retryTimer)
    const port = this.port
    this.port = null
    if (port) {
      if (this.connected) this.receiver.reset()
      this.connected = false
      await closePort(port)
      this.failPending('the bridge stopped')
    }
    this.setState({ status: 'stopped' })
  }

  private async open(): Promise<void> {
    const { path, baud } = this.endpoint
    const problem = await problemBeforeOpen(path)
    if (this.stopped) return
    if (problem) return this.retryLater(problem)
    let serialport: typeof import('serialport')
    try {
      serialport = await (serialportPackage ??= import('serialport'))
    } catch (error) {
      return this.events.onFatal(new UserError(`The serialport package cannot be loaded (${(error as Error).message}); reinstall tunscope (npm ci).`))
    }
    if (this.stopped) return
    const port = new serialport.SerialPort({
      path,
      baudRate: baud,
      dataBits: 8,
      stopBits: 1,
      parity: 'none',
      rtscts: this.endpoint.rtscts ?? false,
      xon: false,
      xoff: false,
      xany: false,
      autoOpen: false
    })
    this.port = port
    let failure: string | null = null
    port.on('error', (error: Error) => {
      failure ??= describeIoError(error) // a failed write; 'close' follows
    })
    port.on('close', (error?: Error | null) => this.lost(port, failure ?? (error ? describeIoError(error) : 'the port was closed')))
    port.open((error) => {
      if (this.port !== port) {
        if (!error) void closePort(port)
        return
      }
      if (error) {
        this.port = null
        port.destroy()
        return this.retryLater(describeOpenError(error))
      }
      port.on('data', (chunk: Buffer) => this.receiver.push(chunk))
      this.connected = true
      this.setConnected()
    })
  }

  /** The port went away (read or write error, unplug): a disconnect, tried again in a second. */
  private lost(port: SerialPort, why: string): void {
    if (this.port !== port) return
    this.port = null
    if (this.connected) {
      this.connected = false
      this.receiver.reset()
    }
    void closePort(port).then(() => this.failPending(why))
    if (this.stopped) return
    this.retryLater(why)
  }

  private retryLater(why: string): void {
    if (this.stopped) return
    this.setRetrying(why)
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => void this.open(), RETRY_MS)
  }

  private failPending(why: string): void {
    const error = new Error(why)
    for (const done of [...this.pending]) done(error)
  }
}

/** Closes the port if it is open and destroys the stream (so queued writes end). */
function closePort(port: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    const finish = (): void => {
      port.destroy()
      resolve()
    }
    if (port.isOpen) port.close(() => finish())
    else finish()
  })
}

/** What stat and access can tell without opening the device (opening may reset a board). */
async function problemBeforeOpen(path: string): Promise<string | null> {
  let stats: Stats
  try {
    stats = await fs.stat(path)
  } catch (error) {
    return describeOpenError(error as Error)
  }
  const notSerial = notASerialDevice(path, stats)
  if (notSerial) return notSerial
  try {
    await fs.access(path, constants.R_OK | constants.W_OK)
  } catch (error) {
    return describeOpenError(error as Error)
  }
  return null
}

/**
 * Why `path` cannot be a serial port, or null when it may be one: it must be a
 * character device, and one the kernel lists as a tty when it lists it at all
 * (/sys/dev/char knows /dev/ttyUSB0 and /dev/null, not the ptys of /dev/pts).
 */
export function notASerialDevice(path: string, stats: Stats = statSync(path)): string | null {
  if (stats.isDirectory()) return `${path} is a folder, not a serial port`
  if (!stats.isCharacterDevice()) return `${path} is ${stats.isFile() ? 'a regular file' : 'not a device'}, not a serial port`
  const major = Math.floor(stats.rdev / 256) & 0xfff
  const minor = (stats.rdev & 0xff) | (Math.floor(stats.rdev / 4096) & 0xfff00)
  try {
    const subsystem = statSync(`/sys/dev/char/${major}:${minor}/subsystem`)
    const tty = statSync('/sys/class/tty')
    if (subsystem.ino !== tty.ino || subsystem.dev !== tty.dev) return `${path} is a character device but not a tty, so not a serial port`
  } catch {
    // not in sysfs (a pty) or no sysfs: let open() decide
  }
  return null
}

/** One sentence for a device that cannot be opened. serialport reports errno only as text. */
export function describeOpenError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code
  const text = error.message
  if (code === 'ENOENT' || /No such file or directory/.test(text)) return 'no such device — is it plugged in?'
  if (code === 'EACCES' || code === 'EPERM' || /Permission denied|Operation not permitted/.test(text)) {
    return 'permission denied — add yourself to the dialout group (sudo usermod -aG dialout $USER, then log in again)'
  }
  if (code === 'EBUSY' || /Device or resource busy|Cannot lock port/.test(text)) return 'the port is busy — another program (a serial monitor?) has it open'
  if (code === 'ENXIO' || code === 'ENODEV' || /No such device/.test(text)) return 'the device is gone — is it plugged in?'
  if (/Inappropriate ioctl|not a tty/i.test(text)) return 'not a serial port'
  if (/baud rate/i.test(text)) return `the port does not take this baud rate (${text})`
  return text
}

/** One sentence for a port lost mid-run. */
function describeIoError(error: Error): string {
  const text = error.message
  if (/input\/output error|i\/o error|EIO|no such device|ENXIO|ENODEV|bad file descriptor|EBADF/i.test(text)) return 'the device went away (unplugged?)'
  return `the device went away (${text})`
}
